namespace Unikraft.Sim.Tests;

using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using Unikraft.Kernel;
using Xunit;

// One seed is one run: the same seed twice gives the same trace hash, in one process and in
// two separate processes (whose string hashing, object addresses and JIT differ); different
// seeds explore different runs.
public class DeterminismTests
{
    public static IEnumerable<object[]> Scenarios()
    {
        yield return new object[] { "timers" };
        yield return new object[] { "scheduler" };
        yield return new object[] { "files" };
        yield return new object[] { "network" };
        yield return new object[] { "threads" };
        yield return new object[] { "ip" };
        yield return new object[] { "tcp" };
    }

    [Theory]
    [MemberData(nameof(Scenarios))]
    public void SameSeed_GivesTheSameTraceHash(string scenario)
    {
        Action<Simulation> body = Body(scenario);
        HashSet<ulong> hashes = new HashSet<ulong>();
        for (ulong seed = 77; seed < 87; seed++)
        {
            Simulation first = SimHarness.RunOne("DeterminismTests", seed, body);
            Simulation second = SimHarness.RunOne("DeterminismTests", seed, body);
            Assert.True(first.Trace.Hash == second.Trace.Hash,
                scenario + " seed " + seed + " gave two traces: " + first.Trace.Describe() + " and " + second.Trace.Describe());
            Assert.Equal(first.Trace.Count, second.Trace.Count);
            Assert.Equal(first.Now, second.Now);
            hashes.Add(first.Trace.Hash);
        }
        Assert.True(hashes.Count >= 8, scenario + ": ten seeds gave only " + hashes.Count + " different runs");
    }

    // Each seed runs in this process and in two child processes (Program.Main), one of them
    // without tiered compilation; all three must print the same hash, event count and virtual
    // time. The children's string hash codes of one fixed string must differ, so the check runs
    // with process-random hashing in effect, not by luck of equal seeds.
    [Theory]
    [MemberData(nameof(Scenarios))]
    public void SameSeed_InTwoProcesses_GivesTheSameTraceHash(string scenario)
    {
        const ulong First = 77;
        const int Count = 6;
        List<string> here = new List<string>();
        for (ulong seed = First; seed < First + Count; seed++)
        {
            here.Add(Line(seed, SimHarness.RunOne("DeterminismTests", seed, Body(scenario))));
        }
        (string firstProbe, List<string> firstLines) = RunChild(scenario, First, Count, tieredCompilation: true);
        (string secondProbe, List<string> secondLines) = RunChild(scenario, First, Count, tieredCompilation: false);

        Assert.NotEqual(firstProbe, secondProbe);
        Assert.Equal(here, firstLines);
        Assert.Equal(here, secondLines);
        Assert.True(here.Select(line => line.Split(' ')[1]).Distinct().Count() >= Count - 1, scenario + ": the seeds gave too few different runs");
    }

    // "<seed> <trace hash> <events> <virtual ns>".
    internal static string Line(ulong seed, Simulation world)
    {
        return seed.ToString(CultureInfo.InvariantCulture) + " " + world.Trace.HashText + " " +
            world.Trace.Count.ToString(CultureInfo.InvariantCulture) + " " + world.Now.ToString(CultureInfo.InvariantCulture);
    }

    private static (string Probe, List<string> Lines) RunChild(string scenario, ulong first, int count, bool tieredCompilation)
    {
        string assembly = typeof(DeterminismTests).Assembly.Location;
        // The dotnet CLI tells the processes it starts where it is; the test host is one of them.
        string dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet";
        ProcessStartInfo start = new ProcessStartInfo(dotnet)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in new[] { "exec", assembly, "trace-hash", scenario, first.ToString(CultureInfo.InvariantCulture),
                     count.ToString(CultureInfo.InvariantCulture) })
        {
            start.ArgumentList.Add(argument);
        }
        start.Environment["DOTNET_TieredCompilation"] = tieredCompilation ? "1" : "0";
        start.Environment.Remove(SimHarness.SeedVariable);
        using Process process = Process.Start(start) ?? throw new InvalidOperationException("cannot start " + dotnet);
        System.Threading.Tasks.Task<string> error = process.StandardError.ReadToEndAsync();
        string text = process.StandardOutput.ReadToEnd();
        Assert.True(process.WaitForExit(240_000), "the child process did not finish in 4 minutes");
        Assert.True(process.ExitCode == 0, "the child process failed (" + process.ExitCode + "): " + error.Result + text);
        List<string> lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
        Assert.True(lines.Count == count + 1 && lines[0].StartsWith("probe ", StringComparison.Ordinal), "unexpected output: " + text);
        return (lines[0], lines.Skip(1).ToList());
    }

    [Fact]
    public void KeptTrace_HashesToTheRunningHash()
    {
        Simulation world = SimHarness.RunOne("DeterminismTests", 5, world => NetworkScenarios.Exchange(world, false),
            new SimOptions { KeepTrace = true });
        ulong hash = 14695981039346656037;
        foreach (string line in world.Trace.Lines)
        {
            foreach (char value in line + "\n")
            {
                hash = (hash ^ (byte)value) * 1099511628211;
                hash = (hash ^ (byte)(value >> 8)) * 1099511628211;
            }
        }
        Assert.Equal(world.Trace.Hash, hash);
        Assert.Contains(world.Trace.Lines, line => line.Contains(" step client ", StringComparison.Ordinal));
        Assert.Contains(world.Trace.Lines, line => line.Contains(" arrive ", StringComparison.Ordinal));
        Assert.Contains(world.Trace.Lines, line => line.Contains(" timer ", StringComparison.Ordinal));
    }

    internal static Action<Simulation> Body(string scenario)
    {
        return scenario switch
        {
            "timers" => TimerScenarios.Run,
            "scheduler" => SchedulerScenarios.Run,
            "files" => FileScenarios.Run,
            "threads" => ThreadScenarios.ClientAndServer,
            "ip" => world => IpScenarios.Exchange(world, true),
            "tcp" => TcpScenarios.Replayable,
            _ => world => NetworkScenarios.Exchange(world, false),
        };
    }
}
