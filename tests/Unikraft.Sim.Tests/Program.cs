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
public static class Program
{
    public static int Main(string[] args)
    {
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
}
