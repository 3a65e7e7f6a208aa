using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Xunit;

namespace Unikraft.Gen.Tests;

public sealed class ManifestTests
{
    [Fact]
    public void Hello_ListsExactlyConsoleWriteAndExit()
    {
        GeneratorHarness.Result result = GeneratorHarness.RunProgram("Hello");

        Assert.Empty(result.Problems);
        Assert.Equal(new[] { "write", "exit_group" }, result.ImplementedSyscalls);
        Assert.Equal(new[] { "console" }, result.Section("Devices"));
        Assert.Equal(new[] { "console", "core", "platform-hosted" }, result.Section("Libraries"));
        Assert.Contains("Program.cs:1  Console.WriteLine(string?)", result.Manifest);
        Assert.Contains("exit_group (231)", result.Manifest);
        Assert.Contains("boot: runs the program's Main and exits with its status", result.Manifest);
    }

    [Fact]
    public void SleepAndRandom_GetsTimeAndRandom_WithTheirCallSites()
    {
        GeneratorHarness.Result result = GeneratorHarness.RunProgram("SleepAndRandom");

        Assert.Empty(result.Problems);
        Assert.Contains("nanosleep", result.ImplementedSyscalls);
        Assert.Contains("getrandom", result.ImplementedSyscalls);
        Assert.Contains("clock", result.Section("Devices"));
        Assert.Contains("random", result.Section("Devices"));
        Assert.Contains("time", result.Section("Libraries"));
        Assert.Contains("random", result.Section("Libraries"));
        Assert.Contains("Program.cs:2  Thread.Sleep(int)", result.Manifest);
        Assert.Contains("Program.cs:3  Random.Next(int, int)", result.Manifest);
    }

    [Fact]
    public void RemovingTheCalls_RemovesTimeAndRandom()
    {
        string program = GeneratorHarness.ReadProgram("SleepAndRandom")
            .Replace("Thread.Sleep(10);", "")
            .Replace("Random.Shared.Next(1, 7)", "4");
        GeneratorHarness.Result result = GeneratorHarness.Run(GeneratorHarness.Compilation(new[] { ("Program.cs", program) }));

        Assert.Empty(result.Problems);
        Assert.Equal(new[] { "write", "exit_group" }, result.ImplementedSyscalls);
        Assert.DoesNotContain("clock", result.Section("Devices"));
        Assert.DoesNotContain("random", result.Section("Devices"));
        Assert.DoesNotContain("time", result.Section("Libraries"));
    }

    [Fact]
    public void SeededRandom_IsNotRedirected_AndNeedsNoRandomDevice()
    {
        string program = "var random = new Random(42);\nConsole.WriteLine(random.Next(10));\n";
        GeneratorHarness.Result result = GeneratorHarness.Run(GeneratorHarness.Compilation(new[] { ("Program.cs", program) }));

        Assert.Empty(result.Problems);
        Assert.DoesNotContain("getrandom", result.ImplementedSyscalls);
    }

    [Fact]
    public void AsyncMain_GetsTheScheduler_AndTimers()
    {
        GeneratorHarness.Result result = GeneratorHarness.RunProgram("AsyncTasks");

        Assert.Empty(result.Problems);
        Assert.Contains("uk_timer_arm", result.ImplementedSyscalls);
        Assert.Contains("uk_spawn", result.ImplementedSyscalls);
        Assert.Contains("sched", result.Section("Libraries"));
        Assert.Contains("kernel.RunAsync(", result.Source("Unikraft.Boot.g.cs"));
    }

    [Fact]
    public void KernelApiThroughAliasAndUsingStatic_IsDetected()
    {
        GeneratorHarness.Result result = GeneratorHarness.RunProgram("KernelApiDirect");

        Assert.Empty(result.Problems);
        Assert.Contains("clock_gettime", result.ImplementedSyscalls);
        Assert.Contains("Program.cs:6  KernelClock.UtcNow", result.Manifest);
        Assert.Contains("Program.cs:7  KernelConsole.WriteLine(string?)", result.Manifest);
    }

    [Fact]
    public void Manifest_IsWrittenInAStableOrder()
    {
        string first = GeneratorHarness.RunProgram("UnusualSyntax").Manifest;
        string second = GeneratorHarness.RunProgram("UnusualSyntax").Manifest;

        Assert.Equal(first, second);
    }

    [Fact]
    public void UnknownPlatform_IsABuildErrorNamingTheValidOnes()
    {
        GeneratorHarness.Result result = GeneratorHarness.RunProgram("Hello", new Dictionary<string, string> { ["UnikraftPlatform"] = "xen" });

        Diagnostic error = Assert.Single(result.GeneratorDiagnostics);
        Assert.Equal("UKG0001", error.Id);
        Assert.Contains("'xen'", error.GetMessage());
        Assert.Contains("hosted", error.GetMessage());
    }

    [Fact]
    public void BannerOff_BootPrintsNoBanner()
    {
        GeneratorHarness.Result on = GeneratorHarness.RunProgram("Hello");
        GeneratorHarness.Result off = GeneratorHarness.RunProgram("Hello", new Dictionary<string, string> { ["UnikraftBootBanner"] = "false" });

        Assert.Contains("kernel.PrintBanner(", on.Source("Unikraft.Boot.g.cs"));
        Assert.DoesNotContain("PrintBanner", off.Source("Unikraft.Boot.g.cs"));
        Assert.Empty(off.Problems);
    }

    [Fact]
    public void LibraryProject_GetsNoBoot()
    {
        var compilation = GeneratorHarness.Compilation(new[] { ("Lib.cs", "public static class Greeter { public static void Hi() => System.Console.WriteLine(\"hi\"); }") },
            kind: Microsoft.CodeAnalysis.OutputKind.DynamicallyLinkedLibrary);
        GeneratorHarness.Result result = GeneratorHarness.Run(compilation, new Dictionary<string, string> { ["OutputType"] = "Library" });

        Assert.Empty(result.Problems);
        Assert.DoesNotContain(result.Run.Results.Single().GeneratedSources, s => s.HintName == "Unikraft.Boot.g.cs");
    }
}
