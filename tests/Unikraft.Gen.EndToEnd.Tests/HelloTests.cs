namespace Unikraft.Gen.EndToEnd.Tests;

using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.RegularExpressions;
using Xunit;
using Xunit.Abstractions;

// samples/Hello, built once with `dotnet build` and run with `dotnet run`: the program is one
// Console.WriteLine, so its kernel holds the console, write and exit_group, and, since the BCL's
// own native calls reach the kernel under dotnet run too, what the native layer serves; nothing
// for network, block devices or mounts.
public sealed class HelloTests : IClassFixture<HelloTests.DebugBuild>
{
    private const string Greeting = "Hello, world!\n";

    private const string BannerStart = "Unikraft.Gen kernel (hosted) for Hello";

    // Libraries a console-only program must not carry, even with the native layer: mounts of
    // host folders or archives, block devices, network.
    private static readonly string[] ForbiddenLibraries =
        ["devfs", "initrd", "hostfs", "block", "netdev", "net"];

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

    // Under dotnet run on hosted the kernel serves the BCL's native layer (its JIT route), so the
    // kernel holds what the program calls (write, exit_group) plus what the native layer's entry
    // points reach, each syscall with its reason, and nothing for network, block or mounts.
    [Fact]
    public void Hello_Manifest_HoldsTheProgramsCallsAndTheNativeLayer_EachWithItsReason()
    {
        string path = build.OutputFile("Hello.kernel.txt");
        KernelManifest manifest = KernelManifest.Load(path);
        output.WriteLine(manifest.Text);

        Assert.Contains("write", manifest.ImplementedSyscalls);
        Assert.Contains("exit_group", manifest.ImplementedSyscalls);
        Assert.Contains("native", manifest.Libraries);
        Assert.Equal(manifest.ImplementedSyscalls.Count, manifest.StatedImplementedCount);
        Assert.Empty(manifest.StubbedSyscalls);
        Assert.Contains("console", manifest.Devices);
        string[] forbidden = manifest.Libraries.Where(library => ForbiddenLibraries.Contains(library) ||
            library.StartsWith("net", StringComparison.Ordinal)).ToArray();
        Assert.True(forbidden.Length == 0,
            "A console-only program's kernel carries " + string.Join(", ", forbidden) + ":\n" + manifest.Text);

        // Every syscall says why it is there: the program's call, the kernel's own boot, or an
        // entry point of the native layer.
        string current = "";
        var reasoned = new SortedSet<string>(StringComparer.Ordinal);
        foreach (string line in manifest.Text.Split('\n'))
        {
            Match header = Regex.Match(line, @"^  ([a-z_][a-z0-9_]*) \(\d+\)  library ");
            if (header.Success)
            {
                current = header.Groups[1].Value;
            }
            else if (current.Length > 0 && line.StartsWith("      ", StringComparison.Ordinal) &&
                (line.Contains("[native layer]  SystemNative_", StringComparison.Ordinal) || line.Contains("Program.cs:1", StringComparison.Ordinal) || line.Contains("kernel: ", StringComparison.Ordinal)))
            {
                reasoned.Add(current);
            }
            else if (!line.StartsWith("      ", StringComparison.Ordinal))
            {
                current = "";
            }
        }
        Assert.Equal(manifest.ImplementedSyscalls, reasoned);
        Assert.Contains("[native layer]  SystemNative_Open", manifest.Text, StringComparison.Ordinal);
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
