namespace Unikraft.Sim.Tests;

using System;
using System.Collections.Generic;
using System.Threading.Tasks;
using Unikraft.Kernel;
using Xunit;

// Many tasks on several kernels sleep on timers (Task.Delay through uk_timer_arm) and block in
// nanosleep; virtual time must never go back and no timer may fire early.
public class TimerScenarios
{
    [Fact]
    public void TimersNeverFireEarly()
    {
        SimHarness.RunSeeds("TimerScenarios.TimersNeverFireEarly", 1000, 150, Run);
    }

    internal static void Run(Simulation world)
    {
        long lastNow = 0;
        world.AddInvariant(w =>
        {
            if (w.Now < lastNow)
            {
                throw new SimInvariantException("virtual time went back from " + lastNow + " to " + w.Now);
            }
            lastNow = w.Now;
        });

        int nodeCount = 1 + world.Random.Next(3);
        List<Task> tasks = new List<Task>();
        int expected = 0;
        int fired = 0;
        for (int n = 0; n < nodeCount; n++)
        {
            SimNode node = world.AddNode("k" + n);
            int taskCount = 2 + world.Random.Next(12);
            for (int t = 0; t < taskCount; t++)
            {
                int rounds = 1 + world.Random.Next(6);
                expected += rounds;
                tasks.Add(node.Start(async () =>
                {
                    byte[] dice = new byte[4];
                    for (int round = 0; round < rounds; round++)
                    {
                        Sys.Getrandom(Kernel.Current, dice, 0);
                        long delay = (BitConverter.ToUInt32(dice) % 5000) * Virtual.Microsecond;
                        if (round % 3 == 2)
                        {
                            // A blocking sleep: the kernel's own poll loop, with the world
                            // running around it.
                            long before = node.Clock.MonotonicNanoseconds;
                            Sys.Nanosleep(Kernel.Current, Timespec.FromNanoseconds(delay));
                            Check(node, before + delay, "nanosleep");
                        }
                        else
                        {
                            long deadline = node.Clock.MonotonicNanoseconds + delay;
                            await KernelTask.Delay(TimeSpan.FromTicks(delay / 100));
                            Check(node, deadline, "Task.Delay");
                        }
                        fired++;
                    }
                }));
            }
        }

        world.RunUntilQuiescent(long.MaxValue);
        foreach (Task task in tasks)
        {
            if (task.IsFaulted)
            {
                throw task.Exception!.InnerException!;
            }
            Assert.True(task.IsCompletedSuccessfully, "a task never finished");
        }
        Assert.Equal(expected, fired);
    }

    private static void Check(SimNode node, long deadline, string what)
    {
        if (Kernel.Current != node.Kernel)
        {
            throw new SimInvariantException(what + " resumed on another kernel than " + node.Name);
        }
        if (node.Clock.MonotonicNanoseconds < deadline)
        {
            throw new SimInvariantException(what + " on " + node.Name + " returned at " + node.Clock.MonotonicNanoseconds +
                ", before its deadline " + deadline);
        }
    }
}
