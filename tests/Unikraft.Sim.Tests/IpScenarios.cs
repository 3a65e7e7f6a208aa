namespace Unikraft.Sim.Tests;

using System;
using System.Collections.Generic;
using System.Threading.Tasks;
using Unikraft.Kernel;
using Xunit;

// Two kernels, each with its own IPv4 stack on a NIC of the simulated switch: A resolves B by
// ARP, pings it (id, sequence and data must come back), exchanges UDP datagrams with B's echo
// endpoint, hears port unreachable from a closed port, and pings with 8000 bytes, which leave
// in fragments and come back reassembled. With faults from the seed (loss, delay, jitter,
// duplication, reordering), the stack's ARP retries and the program's own retries (one a
// second, as ping and a UDP client do) must still get every answer.
public class IpScenarios
{
    internal static readonly Ipv4Address AddressA = new Ipv4Address(198, 18, 0, 1);
    internal static readonly Ipv4Address AddressB = new Ipv4Address(198, 18, 0, 2);
    public const ushort EchoPort = 7;
    public const ushort ClosedPort = 9999;
    public const ushort PingIdentifier = 0x5eed;

    private static long arpRetriesSeen;
    private static long lostFramesSeen;

    [Fact]
    public void PingUdpAndFragments_OverACleanLink()
    {
        SimHarness.RunSeeds("IpScenarios.PingUdpAndFragments_OverACleanLink", 1, 20, world =>
        {
            Outcome outcome = Exchange(world, faults: false);
            // A clean link: one ARP request each way at most, every ping answered first time.
            Assert.Equal(1, outcome.A.Counters.ArpRequestsSent);
            Assert.Equal(0, outcome.B.Counters.ArpRequestsSent);
            Assert.Equal(1, outcome.Program.PingAttempts);
        });
    }

    [Fact]
    public void ArpAndPingSurviveLossAndReordering()
    {
        arpRetriesSeen = 0;
        lostFramesSeen = 0;
        SimHarness.RunSeeds("IpScenarios.ArpAndPingSurviveLossAndReordering", 1, 60, world =>
        {
            Outcome outcome = Exchange(world, faults: true);
            arpRetriesSeen += Math.Max(0, outcome.A.Counters.ArpRequestsSent - 1);
            lostFramesSeen += world.Network.Counters.Lost;
        });
        if (SimHarness.ReplaySeed() == null)
        {
            // The faults did bite: frames were lost and ARP had to ask again on some seeds.
            Assert.True(lostFramesSeen > 0, "no frame was lost on any seed");
            Assert.True(arpRetriesSeen > 0, "ARP never had to retry on any seed");
        }
    }

    // ARP's own retries, with no retry by the program: the link is cut for a seeded time under
    // two seconds while A sends one UDP datagram, which waits behind ARP. The requests sent into
    // the cut are lost; the first one after it (a second apart, RFC 1122 2.3.2.1) resolves B, and
    // the waiting datagram arrives, the seed's delay, jitter, duplication and reordering on top.
    [Fact]
    public void ArpRetriesResolveAcrossACut()
    {
        SimHarness.RunSeeds("IpScenarios.ArpRetriesResolveAcrossACut", 1, 40, world =>
        {
            SimNode a = world.AddNode("a");
            SimNode b = world.AddNode("b");
            SimNic nicA = world.Network.Attach(a);
            SimNic nicB = world.Network.Attach(b);
            world.Network.RandomizeFaults(world.Random, 0, 5 * Virtual.Millisecond, 0.2, 0.3, 0);
            long cut = world.Random.NextLong(19 * Virtual.Second / 10);
            world.Network.Partition(a, b, cut);
            NetStack stackA = Boot(a, nicA, AddressA);
            NetStack stackB = Boot(b, nicB, AddressB);
            UdpLayer udpA = new UdpLayer(a.Kernel, stackA);
            stackA.Register(udpA);
            UdpLayer udpB = new UdpLayer(b.Kernel, stackB);
            stackB.Register(udpB);
            UdpEndpoint server = udpB.Open();
            Assert.Equal(0, server.Bind(Ipv4Address.Any, EchoPort));
            long sent = -1;
            a.Spawn(() => sent = udpA.Open().SendTo(AddressB, EchoPort, new byte[] { 1, 2, 3 }));

            bool arrived = world.RunUntil(() => server.QueuedDatagrams > 0, 10 * Virtual.Second);

            Assert.Equal(3, sent);
            Assert.True(arrived, "the datagram never arrived; cut " + cut + " ns; " + world.Network.Counters);
            Assert.Equal(0, stackA.Counters.ArpGaveUp);
            // One request per second from the send: those sent while the link was cut are lost.
            // The send is at time 0, so the requests go out at 0, 1 s and 2 s.
            long lost = cut == 0 ? 0 : cut <= ArpCache.RequestInterval ? 1 : 2;
            long expectedRequests = lost + 1;
            Assert.Equal(expectedRequests, stackA.Counters.ArpRequestsSent);
            Assert.True(world.Now >= cut, "the datagram arrived through the cut");
        });
    }

    internal static Outcome Exchange(Simulation world, bool faults)
    {
        SimNode a = world.AddNode("a");
        SimNode b = world.AddNode("b");
        SimNic nicA = world.Network.Attach(a);
        SimNic nicB = world.Network.Attach(b);
        if (faults)
        {
            // NOTE: no corruption: a real link's frame check sequence drops corrupted frames
            // before ARP (which has no checksum of its own) can read them; the sim NIC has none.
            world.Network.RandomizeFaults(world.Random, 0.2, 5 * Virtual.Millisecond, 0.1, 0.2, 0);
        }
        NetStack stackA = Boot(a, nicA, AddressA);
        NetStack stackB = Boot(b, nicB, AddressB);
        UdpLayer udpA = new UdpLayer(a.Kernel, stackA);
        stackA.Register(udpA);
        UdpLayer udpB = new UdpLayer(b.Kernel, stackB);
        stackB.Register(udpB);
        IcmpInbox inbox = new IcmpInbox(a);
        stackA.Register(inbox);
        UdpEndpoint echo = udpB.Open();
        Assert.Equal(0, echo.Bind(Ipv4Address.Any, EchoPort));
        echo.Listener = new EchoListener();

        ClientProgram program = new ClientProgram(a, stackA, udpA, inbox);
        Task run = a.Start(program.Run);
        bool done = world.RunUntil(() => run.IsCompleted, 30 * 60 * Virtual.Second);
        if (run.IsFaulted)
        {
            throw run.Exception!.InnerException!;
        }
        Assert.True(done, "the client did not finish in 30 minutes of virtual time: " + program.Stage + "; " + world.Network.Counters);

        Assert.True(stackA.InterfaceAt(0).Arp.TryLookup(AddressB, stackA.Now, out MacAddress macB));
        Assert.Equal(nicB.Info.Mac, macB);
        Assert.True(stackB.InterfaceAt(0).Arp.TryLookup(AddressA, stackB.Now, out MacAddress macA));
        Assert.Equal(nicA.Info.Mac, macA);
        Assert.True(stackA.Counters.FragmentsSent >= 6, "the 8000-byte ping left unfragmented");
        Assert.True(stackB.Counters.Reassembled >= 1, "B never reassembled the big ping");
        Assert.True(stackA.Counters.Reassembled >= 1, "A never reassembled the big reply");
        Assert.True(stackB.Counters.IcmpErrorsSent >= 1, "B sent no port unreachable");
        return new Outcome(stackA, stackB, program);
    }

    private static NetStack Boot(SimNode node, SimNic nic, Ipv4Address address)
    {
        NetStack stack = new NetStack(node.Kernel);
        node.Kernel.Net = stack;
        stack.AddInterface("eth0", nic, address, 24, Ipv4Address.Any);
        return stack;
    }

    internal sealed class Outcome
    {
        public Outcome(NetStack a, NetStack b, ClientProgram program)
        {
            A = a;
            B = b;
            Program = program;
        }

        public NetStack A { get; }

        public NetStack B { get; }

        public ClientProgram Program { get; }
    }

    // B's UDP echo: every datagram goes back to its sender, from the interrupt that brought it.
    private sealed class EchoListener : IUdpEndpointListener
    {
        private readonly byte[] buffer = new byte[2048];

        public void EndpointChanged(UdpEndpoint endpoint, int events)
        {
            while (endpoint.ReceiveFrom(buffer, true, long.MaxValue, out Ipv4Address from, out ushort port, out _) is long length and >= 0)
            {
                endpoint.SendTo(from, port, buffer.AsSpan(0, (int)length));
            }
        }
    }

    // A's ICMP messages as a ping socket would take them; each arrival wakes the program.
    internal sealed class IcmpInbox : IIpv4Transport
    {
        private readonly SimNode node;

        public IcmpInbox(SimNode node)
        {
            this.node = node;
        }

        public byte Protocol => IpProtocol.Icmp;

        public List<byte[]> Messages { get; } = new List<byte[]>();

        public Wakeup? Waiting { get; set; }

        public bool Receive(Ipv4Address source, Ipv4Address destination, ReadOnlySpan<byte> payload, bool checksumTrusted)
        {
            if (Kernel.Current != node.Kernel)
            {
                throw new SimInvariantException("an ICMP message for " + node.Name + " arrived on another kernel");
            }
            Messages.Add(payload.ToArray());
            Waiting?.Signal();
            return true;
        }
    }

    // One wait for "something arrived" or a timeout, whichever first (a timer, never Task.Delay,
    // which would leave the kernel's vCPU).
    internal sealed class Wakeup
    {
        private readonly TaskCompletionSource<bool> done = new TaskCompletionSource<bool>();

        public Task<bool> Task => done.Task;

        public static Wakeup Arm(Kernel kernel, long timeout)
        {
            Wakeup wakeup = new Wakeup();
            Assert.Equal(0, Sys.UkTimerArm(kernel, timeout, static state => ((Wakeup)state!).done.TrySetResult(false), wakeup));
            return wakeup;
        }

        public void Signal() => done.TrySetResult(true);
    }

    internal sealed class ClientProgram
    {
        private readonly SimNode node;
        private readonly NetStack stack;
        private readonly UdpLayer udp;
        private readonly IcmpInbox inbox;

        public ClientProgram(SimNode node, NetStack stack, UdpLayer udp, IcmpInbox inbox)
        {
            this.node = node;
            this.stack = stack;
            this.udp = udp;
            this.inbox = inbox;
        }

        public string Stage { get; private set; } = "not started";

        public int PingAttempts { get; private set; }

        public async Task Run()
        {
            Stage = "ping";
            PingAttempts = await Ping(1, Pattern(56, 1));

            Stage = "udp echo";
            UdpEndpoint client = udp.Open();
            Assert.Equal(0, client.Bind(Ipv4Address.Any, 0));
            UdpListener heard = new UdpListener();
            client.Listener = heard;
            for (int message = 0; message < 5; message++)
            {
                byte[] payload = Pattern(20 + message * 100, 50 + message);
                await Until(() => client.SendTo(AddressB, EchoPort, payload), heard, () => Echoed(client, payload));
            }

            Stage = "closed port";
            UdpEndpoint stray = udp.Open();
            await Until(() => stray.SendTo(AddressB, ClosedPort, Pattern(10, 9)), null, () => PortUnreachableSeen(stray.LocalPort));

            Stage = "8000-byte ping";
            await Ping(2, Pattern(8000, 2));
            Stage = "done";
        }

        // Sends echo requests with one sequence number until the matching reply comes; returns
        // how many requests it took.
        private async Task<int> Ping(ushort sequence, byte[] data)
        {
            byte[] request = new byte[IcmpMessage.HeaderLength + data.Length];
            data.CopyTo(request, IcmpMessage.HeaderLength);
            IcmpMessage.TryWrap(request, out IcmpMessage view);
            IcmpHeader.Echo(IcmpType.EchoRequest, PingIdentifier, sequence).Emit(view);
            int attempts = 0;
            await Until(() =>
            {
                attempts++;
                return stack.Send(Ipv4Address.Any, AddressB, IpProtocol.Icmp, request);
            }, null, () => EchoReplySeen(sequence, data));
            return attempts;
        }

        // Sends, then waits up to a second for done(); sends again on a timeout or an
        // EHOSTUNREACH (ARP gave up), as a program retrying once a second would.
        private async Task Until(Func<long> send, UdpListener? listener, Func<bool> done)
        {
            for (int attempt = 0; attempt < 600; attempt++)
            {
                long sent = send();
                if (sent < 0 && sent != -Errno.EHOSTUNREACH)
                {
                    throw new SimInvariantException(Stage + ": send failed with " + Errno.Name((int)-sent));
                }
                long deadline = stack.Now + Virtual.Second;
                // done() may consume what it looks at (a UDP read), so it is asked once per wake-up.
                bool finished = done();
                while (!finished && stack.Now < deadline)
                {
                    Wakeup wakeup = Wakeup.Arm(node.Kernel, deadline - stack.Now);
                    inbox.Waiting = wakeup;
                    if (listener != null)
                    {
                        listener.Waiting = wakeup;
                    }
                    await wakeup.Task;
                    if (Kernel.Current != node.Kernel)
                    {
                        throw new SimInvariantException("the client resumed on another kernel");
                    }
                    finished = done();
                }
                if (finished)
                {
                    return;
                }
            }
            throw new SimInvariantException(Stage + ": no answer after 600 attempts");
        }

        private bool EchoReplySeen(ushort sequence, byte[] data)
        {
            foreach (byte[] message in inbox.Messages)
            {
                if (message.Length == IcmpMessage.HeaderLength + data.Length && message[0] == IcmpType.EchoReply &&
                    IcmpMessage.TryWrap(message, out IcmpMessage view) && view.Identifier == PingIdentifier &&
                    view.SequenceNumber == sequence)
                {
                    if (!view.Data.SequenceEqual(data))
                    {
                        throw new SimInvariantException("echo reply " + sequence + " came back with other data");
                    }
                    return true;
                }
            }
            return false;
        }

        private static bool Echoed(UdpEndpoint client, byte[] payload)
        {
            byte[] buffer = new byte[2048];
            while (client.ReceiveFrom(buffer, true, long.MaxValue, out Ipv4Address from, out ushort port, out int length) >= 0)
            {
                if (from == AddressB && port == EchoPort && buffer.AsSpan(0, length).SequenceEqual(payload))
                {
                    return true;
                }
            }
            return false;
        }

        // An ICMP port unreachable quoting a datagram from sourcePort to the closed port.
        private bool PortUnreachableSeen(ushort sourcePort)
        {
            foreach (byte[] message in inbox.Messages)
            {
                if (message[0] != IcmpType.DestinationUnreachable || message[1] != IcmpType.CodePortUnreachable ||
                    !IcmpMessage.TryWrap(message, out IcmpMessage view) || !Ipv4Packet.TryWrap(view.Data, out Ipv4Packet quoted) ||
                    quoted.Payload.Length < UdpDatagram.HeaderLength)
                {
                    continue;
                }
                int source = (quoted.Payload[0] << 8) | quoted.Payload[1];
                int destination = (quoted.Payload[2] << 8) | quoted.Payload[3];
                if (quoted.Protocol == IpProtocol.Udp && quoted.Destination == AddressB && source == sourcePort && destination == ClosedPort)
                {
                    return true;
                }
            }
            return false;
        }

        private static byte[] Pattern(int length, int seed)
        {
            byte[] bytes = new byte[length];
            for (int index = 0; index < length; index++)
            {
                bytes[index] = (byte)(index * 7 + seed);
            }
            return bytes;
        }
    }

    internal sealed class UdpListener : IUdpEndpointListener
    {
        public Wakeup? Waiting { get; set; }

        public void EndpointChanged(UdpEndpoint endpoint, int events) => Waiting?.Signal();
    }
}
