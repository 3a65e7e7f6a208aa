using System;
using System.Collections.Generic;
using System.IO;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Unikraft.Gen.Build;
using Xunit;

namespace Unikraft.Gen.Tests;

// A kernel always boots: every mount type, read-only or not, under every program that reads,
// writes, lists or touches no file, on every platform. Each case compiles the program with its
// kernel (warnings as errors), runs it as a process and checks its output and exit status.
public sealed class BootMatrixTests
{
    public static IEnumerable<object[]> Cases()
    {
        foreach (string platform in new[] { "hosted", "sim" })
        {
            foreach (string type in new[] { "ramfs", "initrd", "hostfs", "devfs" })
            {
                foreach (bool readOnly in new[] { false, true })
                {
                    foreach (string program in new[] { "none", "read", "write", "list" })
                    {
                        yield return new object[] { platform, type, readOnly, program };
                    }
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task EveryMountAndProgram_Boots_AndRuns(string platform, string type, bool readOnly, string program)
    {
        // devfs has no files of its own to hold a root's directories: it hangs under a ramfs root.
        string mountPoint = type == "devfs" ? "/dev" : "/";
        string folder = Path.Combine(Path.GetTempPath(), "unikraft-gen-tests", "matrix-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        try
        {
            File.WriteAllText(Path.Combine(folder, "hello.txt"), "hello");
            string source = type is "initrd" or "hostfs" ? folder : "";
            var properties = new Dictionary<string, string>
            {
                ["UnikraftPlatform"] = platform,
                ["UnikraftBootBanner"] = "false",
                ["UnikraftMounts"] = mountPoint + "|" + type + "|" + source + "|" + (readOnly ? "true" : "false") + "|",
            };
            GeneratorHarness.Result result = GeneratorHarness.Run(
                GeneratorHarness.Compilation(new[] { ("Program.cs", Program(program, type, mountPoint)) }), properties);
            Assert.Empty(result.Problems);

            var resources = new List<ResourceDescription>();
            if (type == "initrd")
            {
                var archive = new MemoryStream();
                CpioWriter.Write(folder, archive);
                byte[] bytes = archive.ToArray();
                resources.Add(new ResourceDescription(KernelGenerator.Plan.InitrdResource(mountPoint), () => new MemoryStream(bytes), isPublic: true));
            }

            using var built = new BuiltProgram(result, "matrix", resources);
            (int status, string output, string error) = await built.RunAsync(new Dictionary<string, string> { ["UNIKRAFT_SIM_SEED"] = "1" });

            Assert.True(status == 0, "exit status " + status + "\n" + output + error);
            Assert.Equal(Expected(program, type, readOnly), output);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task FileCallsWithNoMount_CompileCleanly_AndFailAsWithNoFileSystem()
    {
        const string program = """
            Console.WriteLine(File.Exists("/a.txt"));
            try
            {
                Console.WriteLine(File.ReadAllText(args.Length > 0 ? args[0] : "b.txt"));
            }
            catch (IOException exception)
            {
                Console.WriteLine(exception.GetType().Name);
            }
            """;
        GeneratorHarness.Result result = GeneratorHarness.Run(GeneratorHarness.Compilation(new[] { ("Program.cs", program) }),
            new Dictionary<string, string> { ["UnikraftBootBanner"] = "false", ["UnikraftMounts"] = "" });
        // Before, the kernel's VFS had a field nothing set: warning CS0649 in generated code.
        Assert.Empty(result.Problems);
        using var built = new BuiltProgram(result, "nomount");

        (int status, string output, string error) = await built.RunAsync(new Dictionary<string, string>());

        Assert.True(status == 0, output + error);
        Assert.Equal("False\nFileNotFoundException\n", output);
    }

    [Fact]
    public async Task Backslash_IsACharacterOfAName_ToTheGeneratorAndTheKernel()
    {
        // As .NET reads paths on Linux: "/data/a\\b.txt" is a file under /data, and the relative
        // "data\\c.txt" a file named "data\\c.txt" in "/" (the analyzer reads them so too: MountTests).
        const string program = """
            File.WriteAllText("/data/a\\b.txt", "1");
            File.WriteAllText("data\\c.txt", "2");
            Console.WriteLine(string.Join(" ", Directory.GetFiles("/data")) + " | " + string.Join(" ", Directory.GetFiles("/")));
            """;
        GeneratorHarness.Result result = GeneratorHarness.Run(GeneratorHarness.Compilation(new[] { ("Program.cs", program) }),
            new Dictionary<string, string> { ["UnikraftBootBanner"] = "false", ["UnikraftMounts"] = "/|ramfs|||>/data|ramfs|||" });
        Assert.Empty(result.Problems);
        string manifest = result.Manifest;
        Assert.Contains("//   /data  ramfs\n//       Program.cs:1  File.WriteAllText(string, string?) '/data/a\\b.txt'", manifest);
        Assert.Contains("Program.cs:2  File.WriteAllText(string, string?) '/data\\c.txt'", manifest.Substring(0, manifest.IndexOf("//   /data  ramfs", StringComparison.Ordinal)));
        using var built = new BuiltProgram(result, "backslash");

        (int status, string output, string error) = await built.RunAsync(new Dictionary<string, string>());

        Assert.True(status == 0, output + error);
        Assert.Equal("/data/a\\b.txt | /data\\c.txt\n", output);
    }

    [Theory]
    [InlineData("/data/cache|ramfs|||>/data|hostfs|{0}||>/|ramfs|||")]
    [InlineData("/data|hostfs|{0}||>/data/cache|ramfs|||>/|ramfs|||")]
    [InlineData("/|ramfs|||>/data|hostfs|{0}||>/data/cache|ramfs|||")]
    [InlineData("/data/cache|ramfs|||>/data|hostfs|{0}||")]
    // A read-only hostfs holds the mount point when its folder has it (the build checks: MountPointCheckTests).
    [InlineData("/data/cache|ramfs|||>/data|hostfs|{0}|true|>/|ramfs|||")]
    public async Task MountsWrittenInAnyOrder_BootInTreeOrder(string mounts)
    {
        string folder = Path.Combine(Path.GetTempPath(), "unikraft-gen-tests", "order-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        try
        {
            File.WriteAllText(Path.Combine(folder, "hello.txt"), "hello");
            if (mounts.Contains("|true|", StringComparison.Ordinal))
            {
                Directory.CreateDirectory(Path.Combine(folder, "cache"));
            }

            const string program = """
                File.WriteAllText("/data/cache/note.txt", "cached");
                Console.WriteLine(File.ReadAllText("/data/hello.txt") + " " + File.ReadAllText("/data/cache/note.txt"));
                """;
            GeneratorHarness.Result result = GeneratorHarness.Run(GeneratorHarness.Compilation(new[] { ("Program.cs", program) }),
                new Dictionary<string, string> { ["UnikraftBootBanner"] = "false", ["UnikraftMounts"] = string.Format(mounts, folder) });
            Assert.Empty(result.Problems);
            using var built = new BuiltProgram(result, "order");

            (int status, string output, string error) = await built.RunAsync(new Dictionary<string, string>());

            Assert.True(status == 0, "exit status " + status + "\n" + output + error);
            Assert.Equal("hello cached\n", output);
            Assert.False(File.Exists(Path.Combine(folder, "cache", "note.txt")), "the ramfs at /data/cache wrote through to the host");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    // The program: a constant path under the mount, so the plan finds which mount it needs.
    internal static string Program(string program, string type, string mountPoint)
    {
        string directory = mountPoint == "/" ? "" : mountPoint;
        string readPath = type == "devfs" ? "/dev/null" : directory + "/hello.txt";
        string writePath = type == "devfs" ? "/dev/null" : directory + "/new.txt";
        return program switch
        {
            "none" => "Console.WriteLine(\"ok\");\n",
            "read" => $$"""
                Console.WriteLine(File.Exists("{{readPath}}") ? "[" + File.ReadAllText("{{readPath}}") + "]" : "absent");
                """,
            "write" => $$"""
                try
                {
                    File.WriteAllText("{{writePath}}", "written");
                    Console.WriteLine("[" + File.ReadAllText("{{writePath}}") + "]");
                }
                catch (UnauthorizedAccessException)
                {
                    Console.WriteLine("refused");
                }
                """,
            _ => $$"""
                foreach (string entry in Directory.GetFiles("{{mountPoint}}").Order(StringComparer.Ordinal))
                {
                    Console.WriteLine(entry);
                }

                Console.WriteLine("end");
                """,
        };
    }

    private static string Expected(string program, string type, bool readOnly)
    {
        bool hasFiles = type is "initrd" or "hostfs";
        return program switch
        {
            "none" => "ok\n",
            "read" => type == "devfs" ? "[]\n" : hasFiles ? "[hello]\n" : "absent\n",
            // A device node stays writable on a read-only mount, as on Linux (the mount's
            // read-only flag guards the file system's contents, not the devices it names).
            "write" => type == "devfs" ? "[]\n" : readOnly ? "refused\n" : "[written]\n",
            _ => type == "devfs"
                ? "/dev/console\n/dev/null\n/dev/random\n/dev/stderr\n/dev/stdin\n/dev/stdout\n/dev/urandom\n/dev/zero\nend\n"
                : hasFiles ? "/hello.txt\nend\n" : "end\n",
        };
    }
}
