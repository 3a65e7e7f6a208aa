namespace Unikraft.Kernel.Tests.Net.Interface;

using System;
using Unikraft.Kernel;
using Unikraft.Kernel.Tests.Net.Tcp;
using Unikraft.Kernel.Tests.Net.Wire;
using Xunit;

// Neighbor unreachability detection (RFC 4861, 7.3) with the kernel's time passed in: REACHABLE
// for 30 s after a confirmation, then STALE; a packet to a STALE neighbor makes it DELAY, 5 s
// later PROBE (unicast solicitations a second apart), and three unanswered remove the entry.
public class NeighborUnreachabilityTests
{
    private const long Second = 1_000_000_000;
    private const int Icmpv6Start = EthernetFrame.HeaderLength + Ipv6Packet.HeaderLength;
    private const ushort Port = 8080;

    [Fact]
    public void StaleNeighbor_IsProbedByUnicastAfterTheDelay_ThenRemoved()
    {
        NetTestHost a = Resolved();
        Ipv6Interface ipv6 = a.Interface.Ipv6!;
        Assert.Equal(NeighborState.Reachable, ipv6.Neighbors.Find(CapturedFrames6.AddressB)!.State);

        a.Run(NeighborCache.ReachableTime + Second);
        Assert.Empty(a.Device.Sent); // REACHABLE runs out without a frame: it is STALE when next used
        Assert.Equal(0, Echo(a));
        // The packet goes at once to the address the entry has, and the entry waits in DELAY.
        Assert.Equal(CapturedFrames6.MacB, DestinationMac(a.Device.TakeOnly()));
        Assert.Equal(NeighborState.Delay, ipv6.Neighbors.Find(CapturedFrames6.AddressB)!.State);

        a.Run(NeighborCache.DelayFirstProbeTime - Second / 2);
        Assert.Empty(a.Device.Sent);
        a.Run(Second);
        byte[] probe = a.Device.TakeOnly();
        AssertUnicastProbe(probe);
        Assert.Equal(NeighborState.Probe, ipv6.Neighbors.Find(CapturedFrames6.AddressB)!.State);
        Assert.Equal(0, Echo(a)); // sent on to the address it has while probing
        Assert.Equal(CapturedFrames6.MacB, DestinationMac(a.Device.TakeOnly()));

        a.Run(2 * Second);
        Assert.Equal(2, a.Device.Sent.Count);
        AssertUnicastProbe(a.Device.Sent[0]);
        AssertUnicastProbe(a.Device.Sent[1]);
        a.Device.Sent.Clear();
        Assert.Equal(3, a.Stack.Counters.NeighborProbesSent);
        a.Run(Second);
        Assert.Null(ipv6.Neighbors.Find(CapturedFrames6.AddressB));
        Assert.Equal(1, a.Stack.Counters.NeighborUnreachable);
        Assert.Empty(a.Device.Sent);

        // The next packet resolves the address from scratch, by multicast.
        Assert.Equal(0, Echo(a));
        Assert.Equal(CapturedFrames6.NeighborSolicitation, a.Device.TakeOnly());
    }

    [Fact]
    public void AnsweredProbe_MakesTheNeighborReachableAgain()
    {
        NetTestHost a = Resolved();
        Ipv6Interface ipv6 = a.Interface.Ipv6!;
        a.Run(NeighborCache.ReachableTime + Second);
        Echo(a);
        a.Run(NeighborCache.DelayFirstProbeTime + Second / 2);
        a.Device.Sent.Clear();
        Assert.Equal(NeighborState.Probe, ipv6.Neighbors.Find(CapturedFrames6.AddressB)!.State);

        a.Device.Inject(CapturedFrames6.NeighborAdvertisement); // solicited

        Assert.Equal(NeighborState.Reachable, ipv6.Neighbors.Find(CapturedFrames6.AddressB)!.State);
        a.Run(10 * Second);
        Assert.Empty(a.Device.Sent);
        Assert.Equal(1, a.Stack.Counters.NeighborProbesSent);
        Assert.Equal(0, a.Stack.Counters.NeighborUnreachable);
    }

    [Fact]
    public void SolicitationsSender_IsStale_AndProbedOnlyOnceUsed()
    {
        NetTestHost b = new NetTestHost(hostB: true);
        b.Interface.EnableIpv6(new[] { CapturedFrames6.AddressB }, new[] { 64 });
        b.Device.Inject(CapturedFrames6.NeighborSolicitation);
        b.Device.Sent.Clear();

        // RFC 4861, 7.2.3: what a solicitation teaches is STALE; nothing is probed while unused.
        Assert.Equal(NeighborState.Stale, b.Interface.Ipv6!.Neighbors.Find(CapturedFrames6.AddressA)!.State);
        b.Run(NeighborCache.ReachableTime);
        Assert.Empty(b.Device.Sent);
    }

    [Fact]
    public void TcpProgress_ConfirmsTheNeighbor_SoItIsNeverProbed()
    {
        Tcp6Tests.Tcp6Link link = new Tcp6Tests.Tcp6Link();
        (TcpSocket client, TcpSocket server) = link.Connect(Port);
        NeighborCache neighbors = link.B.Host.Interface.Ipv6!.Neighbors;

        // Every 20 s B sends and A acknowledges: each acknowledgment of new data confirms A, so its
        // entry stays REACHABLE past 30 s after the advertisement, never DELAY, never probed.
        for (int round = 1; round <= 3; round++)
        {
            link.B.Host.Run(20 * Second);
            link.Pump();
            Assert.Equal(64, link.Move(client, server, new byte[64]).Length);
            Assert.Equal(NeighborState.Reachable, neighbors.Find(CapturedFrames6.AddressA)!.State);
        }
        link.B.Host.Run(10 * Second);
        link.Pump();
        Assert.Equal(0, link.B.Host.Stack.Counters.NeighborProbesSent);
    }

    [Fact]
    public void ConnectToANeighborThatNeverAnswers_FailsWithEHOSTUNREACH_AfterThreeSolicitations()
    {
        Tcp6Tests.Tcp6Host b = new Tcp6Tests.Tcp6Host(hostB: true);
        TcpSocket client = b.Tcp.CreateSocket6();
        Assert.Equal(-Errno.EINPROGRESS, client.Connect6(CapturedFrames6.AddressA, Port));

        b.Host.Run(2 * Second + Second / 2);
        Assert.Equal(TcpState.SynSent, client.State);
        b.Host.Run(Second);

        // As Linux: three multicast solicitations a second apart, then the SYN waiting for the
        // neighbor is dropped and connect(2) fails with EHOSTUNREACH ("No route to host").
        Assert.Equal(TcpState.Closed, client.State);
        Assert.Equal(Errno.EHOSTUNREACH, client.TakeError());
        Assert.Equal(3, b.Host.Stack.Counters.NeighborSolicitationsSent);
        Assert.Equal(0, b.Host.Stack.Pool.Outstanding);
    }

    [Fact]
    public void AddressUnreachable_ForAnEstablishedConnection_IsSoft_AndEndsItOnlyAtTheTimeout()
    {
        Tcp6Tests.Tcp6Link link = new Tcp6Tests.Tcp6Link();
        (TcpSocket client, TcpSocket server) = link.Connect(Port);

        // A goes away: B's data is never answered; its neighbor entry is probed, removed, resolved
        // again and given up, and TCP hears address unreachable, but goes on retransmitting.
        Assert.True(client.Send(new byte[100]) > 0);
        link.B.Device.Sent.Clear();
        // NOTE: the retransmissions back off from 200 ms: the one at 51 s finds the entry past its
        // REACHABLE time (DELAY, probed, removed at 59 s), the one at 102 s resolves it again and
        // is given up at 105 s.
        link.B.Host.Run(110 * Second);
        link.B.Device.Sent.Clear();
        Assert.Equal(1, link.B.Host.Stack.Counters.NeighborUnreachable);
        Assert.Equal(1, link.B.Host.Stack.Counters.NeighborGaveUp);
        Assert.True(link.B.Host.Stack.Counters.NeighborQueueDropped > 0);
        Assert.Equal(TcpState.Established, client.State);
        Assert.Equal(0, client.TakeError());

        for (int round = 0; round < 200 && client.State != TcpState.Closed; round++)
        {
            link.B.Host.Run(60 * Second);
            link.B.Device.Sent.Clear();
        }
        // NOTE: Linux's tcp_write_err: the last ICMP error heard, not ETIMEDOUT.
        Assert.Equal(TcpState.Closed, client.State);
        Assert.Equal(Errno.EHOSTUNREACH, client.TakeError());
    }

    // A host with IPv6 whose entry for B was resolved by Linux's own solicited advertisement.
    private static NetTestHost Resolved()
    {
        NetTestHost a = new NetTestHost(hostB: false);
        a.Interface.EnableIpv6(new[] { CapturedFrames6.AddressA }, new[] { 64 });
        Assert.Equal(0, Echo(a));
        Assert.Equal(CapturedFrames6.NeighborSolicitation, a.Device.TakeOnly());
        a.Device.Inject(CapturedFrames6.NeighborAdvertisement);
        a.Device.TakeOnly();
        return a;
    }

    private static int Echo(NetTestHost a) =>
        a.Interface.Ipv6!.Output(CapturedFrames6.AddressA, CapturedFrames6.AddressB, IpProtocol.Icmpv6,
            CapturedFrames6.EchoRequest.AsSpan(Icmpv6Start).ToArray());

    private static MacAddress DestinationMac(byte[] frame)
    {
        Assert.True(EthernetFrame.TryWrap(frame, out EthernetFrame ethernet));
        return ethernet.Destination;
    }

    // RFC 4861, 7.3.3: a probe is a solicitation for B sent to B itself, at B's link-layer address.
    private static void AssertUnicastProbe(byte[] frame)
    {
        Assert.Equal(CapturedFrames6.MacB, DestinationMac(frame));
        Assert.True(EthernetFrame.TryWrap(frame, out EthernetFrame ethernet));
        Assert.True(Ipv6Packet.TryWrap(ethernet.Payload, out Ipv6Packet packet));
        Assert.True(Ipv6Header.TryParse(packet, out Ipv6Header header));
        Assert.Equal(CapturedFrames6.AddressB, header.Destination);
        Assert.Equal(IpProtocol.Icmpv6, header.NextHeader);
        Assert.Equal(Icmpv6Type.NeighborSolicitation, frame[Icmpv6Start]);
        Assert.Equal(CapturedFrames6.AddressB, Ipv6Address.Read(frame.AsSpan(Icmpv6Start + 8)));
    }
}
