namespace Unikraft.Sim.Tests;

using System;
using System.Collections.Generic;
using Unikraft.Kernel;
using Xunit;

// One seed is one run: the same seed twice gives the same trace hash; different seeds explore
// different runs.
public class DeterminismTests
{
    public static IEnumerable<object[]> Scenarios()
    {
        yield return new object[] { "timers" };
        yield return new object[] { "scheduler" };
        yield return new object[] { "files" };
        yield return new object[] { "network" };
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
            _ => world => NetworkScenarios.Exchange(world, false),
        };
    }
}
