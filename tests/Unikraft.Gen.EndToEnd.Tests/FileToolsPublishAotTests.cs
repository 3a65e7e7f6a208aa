namespace Unikraft.Gen.EndToEnd.Tests;

using System;
using System.IO;
using System.Linq;
using Xunit;

// samples/FileTools published with NativeAOT: StreamReader, FileStream (sync and async on the
// thread pool), DirectoryInfo, File.Copy and File.Move, Console.Out and Environment.CurrentDirectory
// are no interceptor's calls; they reach the kernel through the BCL's own native layer, which the
// link sends to the kernel (-Wl,--wrap).
public sealed class FileToolsPublishAotTests : IClassFixture<FileToolsPublishAotTests.AotPublish>
{
    private const string Expected =
        "inventory total: 16\nmoved.txt 9\nreport.txt 9\nruns: {0}, cwd /\nhost passwd visible: False\nwork left: False\n";

    private readonly AotPublish publish;

    public FileToolsPublishAotTests(AotPublish publish)
    {
        this.publish = publish;
    }

    private static string Counter => Path.Combine(Repository.Sample("FileTools"), "data", "runs.txt");

    [Fact]
    public void FileTools_PublishAot_ConstructorsAndInstanceMembersReachTheKernel()
    {
        File.Delete(Counter);
        try
        {
            CommandResult first = publish.RunPublished();
            Assert.True(first.ExitCode == 0, first.Describe());
            Assert.Equal(string.Format(Expected, 1), first.StandardOutput);
            Assert.DoesNotContain("this is a JIT run", first.StandardError);
            Assert.DoesNotContain("before the kernel booted", first.StandardError);

            // The async FileStream wrote through hostfs into the sandboxed folder, and the next run
            // reads it back from there.
            Assert.Equal("1", File.ReadAllText(Counter));
            CommandResult second = publish.RunPublished();
            Assert.True(second.ExitCode == 0, second.Describe());
            Assert.Equal(string.Format(Expected, 2), second.StandardOutput);
        }
        finally
        {
            File.Delete(Counter);
        }
    }

    // The program's own paths never reach the host: under strace, no syscall names them. Were the
    // BCL's native calls not sent to the kernel, the host would be asked for /etc/inventory.txt,
    // /etc/passwd and /tmp/work itself.
    [Fact]
    public void FileTools_PublishAot_TouchesNoHostPathOfTheProgram()
    {
        File.Delete(Counter);
        string trace = Path.Combine(publish.Folder, "strace.txt");
        try
        {
            CommandResult run = Command.Run("strace", ["-f", "-o", trace, "-e", "trace=%file", Path.Combine(publish.PublishPath, "FileTools")],
                publish.Folder, TimeSpan.FromMinutes(2));
            Assert.True(run.ExitCode == 0, run.Describe());
            string[] lines = File.ReadAllLines(trace);
            foreach (string path in new[] { "\"/etc/inventory.txt\"", "\"/etc/passwd\"", "\"/tmp/work", "\"/data/", "\"report.txt\"", "\"moved.txt\"" })
            {
                string[] hits = lines.Where(line => line.Contains(path, StringComparison.Ordinal)).ToArray();
                Assert.True(hits.Length == 0, "The host saw " + path + ":\n" + string.Join("\n", hits));
            }

            // The counter file was reached only beneath the hostfs folder's descriptor.
            Assert.Contains(lines, line => line.Contains("\"runs.txt\"", StringComparison.Ordinal));
        }
        finally
        {
            File.Delete(Counter);
        }
    }

    // The SystemNative functions this program imports are an internal contract of one runtime
    // version; when a runtime update changes them, this fails and names the difference. Review
    // each new function (serve it in kernel/Native, or add it to NativeHelpers.txt with a reason),
    // then rewrite the snapshot with UNIKRAFT_UPDATE_SNAPSHOTS=1.
    [Fact]
    public void FileTools_PublishAot_NativeImportsAreTheReviewedSet()
    {
        string report = Directory.GetFiles(publish.ArtifactsPath, "FileTools.native.txt", SearchOption.AllDirectories).Single();
        string[] lines = File.ReadAllLines(report);
        Assert.DoesNotContain(lines, line => line.Contains("NOT SERVED", StringComparison.Ordinal));
        string[] imports = lines
            .Where(line => line.StartsWith("  served  ", StringComparison.Ordinal) || line.StartsWith("  helper  ", StringComparison.Ordinal))
            .Select(line => line.Substring(2).Split("  (")[0])
            .OrderBy(line => line, StringComparer.Ordinal)
            .ToArray();
        Assert.Contains("served  SystemNative_Open", imports);
        Assert.Contains("served  SystemNative_OpenDir", imports);
        Assert.Contains("served  SystemNative_PWrite", imports);

        string snapshot = Path.Combine(Repository.Root, "tests", "Unikraft.Gen.EndToEnd.Tests", "Snapshots", "FileTools.native-imports.txt");
        string actual = string.Join("\n", imports) + "\n";
        if (Environment.GetEnvironmentVariable("UNIKRAFT_UPDATE_SNAPSHOTS") == "1")
        {
            File.WriteAllText(snapshot, actual);
        }
        string expected = File.Exists(snapshot) ? File.ReadAllText(snapshot) : "";
        string[] added = imports.Except(expected.Split('\n', StringSplitOptions.RemoveEmptyEntries)).ToArray();
        string[] removed = expected.Split('\n', StringSplitOptions.RemoveEmptyEntries).Except(imports).ToArray();
        Assert.True(added.Length == 0 && removed.Length == 0,
            "The native imports of FileTools changed (runtime update?). New: " + string.Join(", ", added) +
            "; gone: " + string.Join(", ", removed) + ". Review them, then rerun with UNIKRAFT_UPDATE_SNAPSHOTS=1.");
    }

    public sealed class AotPublish : SampleBuild
    {
        public AotPublish()
            : base("FileTools", "aot", "publish", "-c", "Release", "-r", "linux-x64", "-p:PublishAot=true", "-o", "{publish}")
        {
        }
    }
}
