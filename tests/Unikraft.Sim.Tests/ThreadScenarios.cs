namespace Unikraft.Sim.Tests;

using System;
using System.Collections.Generic;
using Unikraft.Kernel;
using Xunit;

// Blocked callers of simulated kernels are threads of control: the world steps around them
// without a nested loop, and the seed decides which woken caller resumes first.
public class ThreadScenarios
{
    [Fact]
    public void WaitersWokenTogether_ResumeInTheSeedsOrder_AndOneSeedReplaysIt()
    {
        HashSet<string> orders = new HashSet<string>();
        for (ulong seed = 1; seed <= 20; seed++)
        {
            string first = WakeOrder(seed);
            string second = WakeOrder(seed);
            Assert.True(first == second, "seed " + seed + " resumed the waiters as " + first + " and then as " + second);
            orders.Add(first);
        }
        Assert.True(orders.Count >= 5, "twenty seeds gave only " + orders.Count + " orders: " + string.Join(" | ", orders));
    }

    [Fact]
    public void ClientAndServerInOneKernel_AnswerEachOther()
    {
        SimHarness.RunSeeds("ThreadScenarios.ClientAndServerInOneKernel", 3000, 60, ClientAndServer);
    }

    [Fact]
    public void TheShorterSleep_ReturnsAtItsDeadline_WhileALongerOneBlockedAfterIt()
    {
        SimHarness.RunSeeds("ThreadScenarios.Sleeps", 4000, 20, world =>
        {
            SimNode node = world.AddNode("k");
            List<string> events = new List<string>();
            node.Spawn(() =>
            {
                Sys.Nanosleep(Kernel.Current, new Timespec(1, 0));
                events.Add("B at " + world.Now / Virtual.Second + " s");
            });
            node.Spawn(() =>
            {
                Sys.Nanosleep(Kernel.Current, new Timespec(10, 0));
                events.Add("A at " + world.Now / Virtual.Second + " s");
            });

            world.RunUntilQuiescent(long.MaxValue);

            Assert.Equal(new[] { "B at 1 s", "A at 10 s" }, events);
            Assert.Equal(0, node.Kernel.Scheduler.BlockedCount);
        });
    }

    internal static string WakeOrder(ulong seed)
    {
        Simulation world = new Simulation(seed);
        SimNode node = world.AddNode("k");
        WaitQueue queue = new WaitQueue(node.Kernel.Scheduler);
        List<int> order = new List<int>();
        for (int index = 0; index < 6; index++)
        {
            int id = index;
            node.Spawn(() =>
            {
                queue.Wait(long.MaxValue);
                order.Add(id);
            });
        }
        // Virtual time moves only once every waiter has blocked.
        node.Spawn(() => Sys.UkTimerArm(Kernel.Current, Virtual.Millisecond, _ => queue.WakeAll(), null));

        world.RunUntilQuiescent(long.MaxValue);

        Assert.Equal(6, order.Count);
        return string.Join(",", order);
    }

    // A server and clients in one kernel, each blocked in a wait queue in turn; every request is
    // answered, and the run takes no virtual time (nothing waits for a deadline).
    internal static void ClientAndServer(Simulation world)
    {
        SimNode node = world.AddNode("k");
        WaitQueue requestsArrived = new WaitQueue(node.Kernel.Scheduler);
        Queue<(int Client, int Number)> requests = new Queue<(int Client, int Number)>();
        int clients = 1 + world.Random.Next(4);
        int rounds = 1 + world.Random.Next(5);
        WaitQueue[] repliesArrived = new WaitQueue[clients];
        Queue<int>[] replies = new Queue<int>[clients];
        int answered = 0;
        long deadline = 10 * Virtual.Second;
        node.Spawn(() =>
        {
            for (int served = 0; served < clients * rounds; served++)
            {
                while (requests.Count == 0)
                {
                    if (!requestsArrived.Wait(deadline))
                    {
                        throw new SimInvariantException("the server waited in vain: " + served + " of " + clients * rounds + " served");
                    }
                }
                (int client, int number) = requests.Dequeue();
                replies[client].Enqueue(number * 2);
                repliesArrived[client].WakeAll();
            }
        });
        for (int index = 0; index < clients; index++)
        {
            int client = index;
            repliesArrived[client] = new WaitQueue(node.Kernel.Scheduler);
            replies[client] = new Queue<int>();
            node.Spawn(() =>
            {
                for (int round = 0; round < rounds; round++)
                {
                    requests.Enqueue((client, round));
                    requestsArrived.WakeAll();
                    while (replies[client].Count == 0)
                    {
                        if (!repliesArrived[client].Wait(deadline))
                        {
                            throw new SimInvariantException("client " + client + " timed out waiting for reply " + round);
                        }
                    }
                    int reply = replies[client].Dequeue();
                    if (reply != round * 2)
                    {
                        throw new SimInvariantException("client " + client + " got " + reply + " for request " + round);
                    }
                    answered++;
                }
            });
        }

        world.RunUntilQuiescent(long.MaxValue);

        Assert.Equal(clients * rounds, answered);
        Assert.Equal(0, world.Now);
        Assert.Equal(0, node.Kernel.Scheduler.BlockedCount);
    }
}
