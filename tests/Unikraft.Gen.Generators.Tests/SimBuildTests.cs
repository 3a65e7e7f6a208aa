using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Emit;
using Xunit;

namespace Unikraft.Gen.Tests;

// <UnikraftPlatform>sim</UnikraftPlatform>: the program runs as one node of a seeded simulation,
// on virtual time; one seed replays one run exactly.
public sealed class SimBuildTests
{
    private const string Program = """
        await Task.Delay(TimeSpan.FromMinutes(10));
        Thread.Sleep(TimeSpan.FromMinutes(5));
        int first = Random.Shared.Next(1_000_000);
        int second = await Task.Run(() => Random.Shared.Next(1_000_000));
        Console.WriteLine($"{first} {second} after {Unikraft.Kernel.KernelClock.TickCount64 / 60_000} minutes");
        """;

    private static GeneratorHarness.Result Build() =>
        GeneratorHarness.Run(GeneratorHarness.Compilation(new[] { ("Program.cs", Program) }),
            new Dictionary<string, string> { ["UnikraftPlatform"] = "sim" });

    [Fact]
    public void SimBuild_CompilesCleanly_AndBootsASimulation()
    {
        GeneratorHarness.Result result = Build();

        Assert.Empty(result.Problems);
        Assert.Contains("global::Unikraft.Kernel.SimProgram.Run(", result.Source("Unikraft.Boot.g.cs"));
        Assert.DoesNotContain("HostedPlatform", result.Source("Unikraft.Boot.g.cs"));
        Assert.Contains("Unikraft.Gen kernel manifest for App (platform sim)", result.Manifest);
    }

    [Fact]
    public async Task SimBuild_SameSeedReplaysTheRun_OnVirtualTime()
    {
        GeneratorHarness.Result result = Build();
        Assert.Empty(result.Problems);
        using var built = new BuiltProgram(result, "sim");

        var watch = Stopwatch.StartNew();
        (int status, string output, string error) first = await RunAsync(built, "7");
        (int status, string output, string error) again = await RunAsync(built, "7");
        (int status, string output, string error) other = await RunAsync(built, "8");
        watch.Stop();

        Assert.True(first.status == 0, first.error);
        Assert.EndsWith("after 15 minutes\n", first.output);
        Assert.Equal(first.output, again.output);
        string HashLine(string error) => error.Split('\n').Single(l => l.StartsWith("[uk] sim: seed", StringComparison.Ordinal));
        Assert.Equal(HashLine(first.error), HashLine(again.error));
        Assert.Contains("replay with UNIKRAFT_SIM_SEED=7", HashLine(first.error));
        Assert.NotEqual(first.output, other.output);

        // Fifteen simulated minutes, three runs, far less real time.
        Assert.True(watch.Elapsed < TimeSpan.FromMinutes(2), "three runs took " + watch.Elapsed);
    }

    [Fact]
    public async Task SimBuild_BadSeed_IsAClearError()
    {
        using var built = new BuiltProgram(Build(), "sim");

        (int status, string _, string error) = await RunAsync(built, "seven");

        Assert.Equal(2, status);
        Assert.Contains("UNIKRAFT_SIM_SEED='seven' is not a seed", error);
    }

    private static Task<(int Status, string Output, string Error)> RunAsync(BuiltProgram built, string seed) =>
        built.RunAsync(new Dictionary<string, string> { ["UNIKRAFT_SIM_SEED"] = seed });
}
