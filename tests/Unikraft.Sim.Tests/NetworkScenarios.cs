namespace Unikraft.Sim.Tests;

using System.Threading.Tasks;
using Unikraft.Kernel;
using Xunit;

// Two kernels exchange messages through their NICs over a faulty simulated link.
public class NetworkScenarios
{
    public const int Messages = 30;

    [Fact]
    public void ReliableDelivery()
    {
        SimHarness.RunSeeds("NetworkScenarios.ReliableDelivery", 1, 200, world => Exchange(world, skipDeduplication: false));
    }

    // The injected bug, run only when a replay asks for a seed (InjectedBugTests finds one).
    [Fact]
    public void BuggyReceiverWithoutDeduplication()
    {
        ulong? seed = SimHarness.ReplaySeed();
        if (seed.HasValue)
        {
            SimHarness.RunOne("NetworkScenarios.BuggyReceiverWithoutDeduplication", seed.Value,
                world => Exchange(world, skipDeduplication: true));
        }
    }

    // The scenario: the seed chooses every link fault, and sometimes a partition that heals;
    // all messages must arrive exactly once, in order, within a minute of virtual time.
    internal static void Exchange(Simulation world, bool skipDeduplication)
    {
        SimNode client = world.AddNode("client");
        SimNode server = world.AddNode("server");
        SimNic clientNic = world.Network.Attach(client);
        SimNic serverNic = world.Network.Attach(server);
        world.Network.RandomizeFaults(world.Random, 0.3, 5 * Virtual.Millisecond, 0.2, 0.2, 0.05);
        if (world.Random.Chance(0.3))
        {
            long start = world.Random.NextLong(50 * Virtual.Millisecond);
            long length = world.Random.NextLong(500 * Virtual.Millisecond);
            world.Schedule(start, _ => world.Network.Partition(client, server, length), null);
        }

        int window = 1 + world.Random.Next(6);
        ReliableSender sender = new ReliableSender(client, clientNic, serverNic.Info.Mac, Messages, window, 20 * Virtual.Millisecond);
        ReliableReceiver receiver = new ReliableReceiver(server, serverNic, clientNic.Info.Mac) { SkipDeduplication = skipDeduplication };
        clientNic.Interrupt = _ => sender.OnInterrupt();
        serverNic.Interrupt = _ => receiver.OnInterrupt();
        world.AddInvariant(_ => receiver.Check());

        Task sending = client.Start(sender.Run);
        bool done = world.RunUntil(() => sending.IsCompleted, 60 * Virtual.Second);

        if (sending.IsFaulted)
        {
            throw sending.Exception!.InnerException!;
        }
        Assert.True(done, "the sender did not finish in a minute of virtual time; acked " + sender.Acked + " of " + Messages +
            "; " + world.Network.Counters);
        Assert.Equal(Messages, receiver.Expected);
        receiver.Check();
    }
}
