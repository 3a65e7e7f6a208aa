using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Threading.Tasks;
using Unikraft.Kernel;

// One simulated minute of a workload: 100 concurrent tasks on one kernel, each sleeping on a
// timer of 1-20 ms (drawn from getrandom), yielding, and writing a console line now and then;
// plus two kernels exchanging a frame every millisecond over a simulated link. Prints the
// simulated seconds per real second of each run and their median.
int rounds = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 5;
bool trace = args.Length > 1 && args[1] == "--trace-syscalls";
const long Second = 1_000_000_000;
const long SimulatedTime = 60 * Second;

List<double> speeds = new List<double>();
for (int round = 0; round <= rounds; round++)
{
    Simulation world = new Simulation((ulong)(round + 1), new SimOptions { TraceSyscalls = trace, TraceTail = 0 });
    SimNode node = world.AddNode("k0");
    for (int index = 0; index < 100; index++)
    {
        int id = index;
        _ = node.Start(async () =>
        {
            byte[] dice = new byte[2];
            long iteration = 0;
            while (true)
            {
                Sys.Getrandom(Kernel.Current, dice, 0);
                await KernelTask.Delay(1 + dice[0] % 20);
                await Task.Yield();
                if (++iteration % 500 == 0)
                {
                    Sys.Write(Kernel.Current, 1, System.Text.Encoding.ASCII.GetBytes("task " + id + " at " + iteration + "\n"));
                }
            }
        });
    }
    SimNode a = world.AddNode("a");
    SimNode b = world.AddNode("b");
    SimNic nicA = world.Network.Attach(a);
    SimNic nicB = world.Network.Attach(b);
    world.Network.SetFaults(a, b, LinkFaults.Parse("loss=0.01,delay=200us,jitter=50us", out _)!);
    byte[] frame = new byte[128];
    nicB.Info.Mac.Write(frame);
    nicA.Info.Mac.Write(frame.AsSpan(6));
    nicB.Interrupt = _ =>
    {
        Span<byte> buffer = stackalloc byte[1514];
        while (nicB.TryReceive(buffer, out int _))
        {
        }
    };
    _ = a.Start(async () =>
    {
        while (true)
        {
            nicA.TryTransmit(frame);
            await KernelTask.Delay(1);
        }
    });

    Stopwatch watch = Stopwatch.StartNew();
    world.RunFor(SimulatedTime);
    double seconds = watch.Elapsed.TotalSeconds;
    double speed = SimulatedTime / (double)Second / seconds;
    if (round == 0)
    {
        // The first round warms the JIT up and is not counted.
        continue;
    }
    speeds.Add(speed);
    Console.WriteLine(string.Format(CultureInfo.InvariantCulture,
        "round {0}: {1:F0} simulated s in {2:F2} real s = {3:F1} simulated s per real s ({4} steps, {5} trace events, {6:F0} steps/s)",
        round, SimulatedTime / (double)Second, seconds, speed, world.Steps, world.Trace.Count, world.Steps / seconds));
}
speeds.Sort();
Console.WriteLine(string.Format(CultureInfo.InvariantCulture, "median: {0:F1} simulated seconds per real second ({1} rounds{2})",
    speeds[speeds.Count / 2], speeds.Count, trace ? ", syscall trace on" : ""));
