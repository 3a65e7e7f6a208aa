namespace Unikraft.Gen.EndToEnd.Tests;

using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.RegularExpressions;
using Xunit;
using Xunit.Abstractions;

// samples/Hello, built once with `dotnet build` and run with `dotnet run`: the program is one
// Console.WriteLine, so its kernel should hold the console, write and exit_group, and nothing else.
public sealed class HelloTests : IClassFixture<HelloTests.DebugBuild>
{
    private const string Greeting = "Hello, world!\n";

    private const string BannerStart = "Unikraft.Gen kernel (hosted) for Hello";

    // Libraries a console-only program must not carry: time, randomness, files, network.
    private static readonly string[] ForbiddenLibraries =
        ["time", "random", "vfs", "ramfs", "devfs", "initrd", "hostfs", "block", "netdev", "net"];

    private readonly DebugBuild build;
    private readonly ITestOutputHelper output;

    public HelloTests(DebugBuild build, ITestOutputHelper output)
    {
        this.build = build;
        this.output = output;
    }

    [Fact]
    public void Hello_Run_PrintsBannerThenGreeting_ExitsZero()
    {
        CommandResult run = build.RunWithDotnet();

        Assert.True(run.ExitCode == 0, run.Describe());
        Assert.Equal(Greeting, run.StandardOutput);
        string[] errorLines = run.ErrorLines;
        Assert.True(errorLines.Length >= 1, "No boot banner on stderr.\n" + run.Describe());
        string banner = errorLines[0];
        Assert.StartsWith(BannerStart, banner, StringComparison.Ordinal);
        Assert.Matches(@"devices: [^|]*\bconsole\b", banner);
        Assert.Matches(@"syscalls: [^|]*\bwrite\b", banner);
        Assert.DoesNotContain(errorLines, line => line.Contains("reached but not in this kernel", StringComparison.Ordinal));
    }

    [Fact]
    public void Hello_Manifest_ListsExactlyConsoleWriteAndExit()
    {
        string path = build.OutputFile("Hello.kernel.txt");
        KernelManifest manifest = KernelManifest.Load(path);
        output.WriteLine(manifest.Text);

        Assert.Equal(["exit_group", "write"], manifest.ImplementedSyscalls);
        Assert.Equal(manifest.ImplementedSyscalls.Count, manifest.StatedImplementedCount);
        Assert.Equal(["console"], manifest.Devices);
        Assert.DoesNotContain("write", manifest.StubbedSyscalls);
        Assert.DoesNotContain("exit_group", manifest.StubbedSyscalls);
        string[] forbidden = manifest.Libraries.Where(library => ForbiddenLibraries.Contains(library) ||
            library.StartsWith("net", StringComparison.Ordinal) || library.EndsWith("fs", StringComparison.Ordinal)).ToArray();
        Assert.True(forbidden.Length == 0,
            "A console-only program's kernel carries " + string.Join(", ", forbidden) + ":\n" + manifest.Text);
    }

    [Fact]
    public void Hello_Traced_MakesOnlySyscallsInItsKernel()
    {
        KernelManifest manifest = KernelManifest.Load(build.OutputFile("Hello.kernel.txt"));

        CommandResult run = build.RunWithDotnet(new Dictionary<string, string> { ["UNIKRAFT_TRACE"] = "1" });

        Assert.True(run.ExitCode == 0, run.Describe());
        Assert.Equal(Greeting, run.StandardOutput);
        string[] missed = run.ErrorLines.Where(line => line.Contains("reached but not in this kernel", StringComparison.Ordinal)).ToArray();
        Assert.True(missed.Length == 0, "The program reached syscalls its kernel left out:\n" + string.Join("\n", missed));

        var made = new SortedSet<string>(StringComparer.Ordinal);
        foreach (string line in run.ErrorLines)
        {
            Match traced = Regex.Match(line, @"^\[uk\] syscall ([a-z_][a-z0-9_]*) = (\S+)$");
            if (!traced.Success)
            {
                continue;
            }
            string name = traced.Groups[1].Value;
            string result = traced.Groups[2].Value;
            Assert.True(result != "-ENOSYS", "Traced " + name + " = -ENOSYS: the kernel lacks a syscall the program makes.\n" + run.Describe());
            Assert.True(manifest.ImplementedSyscalls.Contains(name),
                "Traced " + name + ", which the manifest does not list as implemented.\n" + run.Describe());
            made.Add(name);
        }
        Assert.True(made.Contains("write"), "UNIKRAFT_TRACE=1 traced no write.\n" + run.Describe());

        // The plan is a static over-approximation: a syscall with a body that this run never made
        // is not an error, but the number is worth watching.
        string[] neverMade = manifest.ImplementedSyscalls.Where(name => !made.Contains(name)).ToArray();
        output.WriteLine("Hello's kernel implements " + manifest.ImplementedSyscalls.Count + " syscalls (" +
            string.Join(", ", manifest.ImplementedSyscalls) + "); the traced run made " + made.Count + " (" +
            string.Join(", ", made) + ").");
        output.WriteLine("Over-approximation: " + neverMade.Length + " of " + manifest.ImplementedSyscalls.Count +
            " implemented syscalls never made" + (neverMade.Length == 0 ? "." : ": " + string.Join(", ", neverMade) + "."));
    }

    public sealed class DebugBuild : SampleBuild
    {
        public DebugBuild()
            : base("Hello", "debug", "build")
        {
        }
    }
}
