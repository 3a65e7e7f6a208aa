namespace Unikraft.Sim.Tests;

using System;
using System.Globalization;

// The test assembly's entry point. The test host never calls it; DeterminismTests starts it as
// a separate process:
//
//   dotnet exec Unikraft.Sim.Tests.dll trace-hash <scenario> <first seed> <count>
//
// prints "probe <hash code of a fixed string>" (which differs between processes, since .NET
// randomises string hashing per process), then "<seed> <trace hash> <events> <virtual ns>" per
// seed. Anything else is a usage error (exit code 2).
//
//   dotnet exec Unikraft.Sim.Tests.dll tcp <mix> <first seed> <count>
//
// runs TcpScenarios' bulk exchange (1 MiB each way) on more seeds of one fault mix (clean, loss1,
// loss5, jitter, dup, corrupt, mtu, bw, mixed) than the suite does, a line per seed, the failure
// report for a failing one; UNIKRAFT_SIM_MAX_STEPS lowers the livelock bound to stop a stuck
// seed sooner.
public static class Program
{
    public static int Main(string[] args)
    {
        if (args.Length == 4 && args[0] == "tcp" &&
            ulong.TryParse(args[2], NumberStyles.None, CultureInfo.InvariantCulture, out ulong tcpFirst) &&
            int.TryParse(args[3], NumberStyles.None, CultureInfo.InvariantCulture, out int tcpCount))
        {
            return TcpSeeds(args[1], tcpFirst, tcpCount);
        }
        if (args.Length != 4 || args[0] != "trace-hash" ||
            !ulong.TryParse(args[2], NumberStyles.None, CultureInfo.InvariantCulture, out ulong first) ||
            !int.TryParse(args[3], NumberStyles.None, CultureInfo.InvariantCulture, out int count))
        {
            Console.Error.WriteLine("usage: trace-hash <scenario: timers|scheduler|files|network|threads|ip|tcp> <first seed> <count>");
            return 2;
        }
        Console.WriteLine("probe " + "unikraft determinism probe".GetHashCode().ToString(CultureInfo.InvariantCulture));
        Action<Unikraft.Kernel.Simulation> body = DeterminismTests.Body(args[1]);
        for (ulong seed = first; seed < first + (ulong)count; seed++)
        {
            Unikraft.Kernel.Simulation world = SimHarness.RunOne("DeterminismTests", seed, body);
            Console.WriteLine(DeterminismTests.Line(seed, world));
        }
        return 0;
    }

    // "tcp <mix> <first seed> <count>": the bulk TCP scenario on many seeds of one fault mix,
    // one line per seed (its trace hash, virtual and wall time), for exploring beyond the suite.
    private static int TcpSeeds(string mix, ulong first, int count)
    {
        int failures = 0;
        // UNIKRAFT_SIM_MAX_STEPS: a livelock bound lower than the default, to stop a stuck seed sooner.
        Unikraft.Kernel.SimOptions options = new Unikraft.Kernel.SimOptions();
        if (long.TryParse(Environment.GetEnvironmentVariable("UNIKRAFT_SIM_MAX_STEPS"), NumberStyles.None, CultureInfo.InvariantCulture, out long steps))
        {
            options.MaximumSteps = steps;
        }
        for (ulong seed = first; seed < first + (ulong)count; seed++)
        {
            System.Diagnostics.Stopwatch watch = System.Diagnostics.Stopwatch.StartNew();
            try
            {
                Unikraft.Kernel.Simulation world = SimHarness.RunOne("TcpScenarios(" + mix + ")", seed,
                    world => TcpScenarios.Bulk(world, mix, skipTcpChecksum: false, length: TcpScenarios.BulkLength), options);
                Console.WriteLine(DeterminismTests.Line(seed, world) + " " + watch.ElapsedMilliseconds.ToString(CultureInfo.InvariantCulture) + " ms");
            }
            catch (SimFailure failure)
            {
                failures++;
                Console.WriteLine(failure.Message);
            }
        }
        return failures == 0 ? 0 : 1;
    }
}
