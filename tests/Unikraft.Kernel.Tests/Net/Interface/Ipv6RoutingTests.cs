namespace Unikraft.Kernel.Tests.Net.Interface;

using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using Unikraft.Kernel;
using Unikraft.Kernel.Tests.Net.Wire;
using Xunit;

// The IPv6 host beyond its link: a default router (configured, or from a router advertisement),
// extension headers, fragments both ways, and ICMPv6 errors reaching UDP and the path MTU. Host A
// and host B are the two hosts of CapturedFrames6 (2001:2::1 and 2001:2::2 on one link); frames
// are carried between them by the test.
public class Ipv6RoutingTests
{
    private const long Second = 1_000_000_000;

    // A host off the link, behind the router.
    private static readonly Ipv6Address Far = new Ipv6Address(0x2001_0002_0000_0009, 9);

    [Fact]
    public void ConfiguredRouter_CarriesOffLinkPackets_ResolvedAsItsNeighbor()
    {
        NetTestHost a = HostWithIpv6(hostB: false);
        Ipv6Interface ipv6 = a.Interface.Ipv6!;
        Assert.Equal(-Errno.ENETUNREACH, a.Stack.Send6(Ipv6Address.Unspecified, Far, IpProtocol.Icmpv6, new byte[8]));
        ipv6.ConfigureRouter(CapturedFrames6.LinkLocalB);

        Assert.True(a.Stack.TrySelectSource6(Far, out Ipv6Address source));
        Assert.Equal(CapturedFrames6.AddressA, source);
        Assert.Equal(1500 - Ipv6Packet.HeaderLength, a.Stack.MaximumPayloadTo6(Far));
        Assert.Equal(0, a.Stack.Send6(Ipv6Address.Unspecified, Far, IpProtocol.Icmpv6, EchoRequest(CapturedFrames6.AddressA, Far, 8)));

        // The router is solicited (its solicited-node group), not the far host.
        byte[] solicitation = a.Device.TakeOnly();
        Ipv6Header solicitationHeader = Ipv6Of(solicitation);
        Assert.Equal(CapturedFrames6.LinkLocalB.SolicitedNode, solicitationHeader.Destination);
        Icmpv6Message.TryWrap(PacketOf(solicitation).Payload, out Icmpv6Message message);
        Assert.True(NdpNeighborMessage.TryParse(message, solicitationHeader, out NdpNeighborMessage parsed));
        Assert.Equal(CapturedFrames6.LinkLocalB, parsed.Target);

        a.Device.Inject(CapturedFrames6.LinkLocalNeighborAdvertisement);

        byte[] sent = a.Device.TakeOnly();
        Assert.True(EthernetFrame.TryWrap(sent, out EthernetFrame ethernet));
        Assert.Equal(CapturedFrames6.MacB, ethernet.Destination);
        Assert.Equal(new Ipv6Header(CapturedFrames6.AddressA, Far, IpProtocol.Icmpv6, 16, 64, 0, 0), Ipv6Of(sent));
    }

    [Fact]
    public void OnLinkDestination_StillGoesDirectly_WithARouter()
    {
        NetTestHost a = HostWithIpv6(hostB: false);
        a.Interface.Ipv6!.ConfigureRouter(CapturedFrames6.LinkLocalB);

        Assert.Equal(0, a.Interface.Ipv6.Output(CapturedFrames6.AddressA, CapturedFrames6.AddressB, IpProtocol.Icmpv6,
            EchoRequest(CapturedFrames6.AddressA, CapturedFrames6.AddressB, 8)));

        // As without a router: Linux's solicitation for 2001:2::2, byte for byte.
        Assert.Equal(CapturedFrames6.NeighborSolicitation, a.Device.TakeOnly());
    }

    [Fact]
    public void RouterAdvertisement_GivesTheDefaultRouter_ItsAddress_OnLinkPrefix_AndMtu()
    {
        NetTestHost a = HostWithIpv6(hostB: false);
        Ipv6Interface ipv6 = a.Interface.Ipv6!;
        Ipv6Address onLinkPrefix = new Ipv6Address(0x2001_0002_0000_0007, 0);

        a.Device.Inject(RouterAdvertisement(1800, onLinkPrefix, 1400, Ipv6Header.NeighborDiscoveryHopLimit));

        Assert.Equal(1, a.Stack.Counters.RouterAdvertisementsReceived);
        Assert.True(ipv6.TryDefaultRouter(a.Stack.Now, out Ipv6Address router));
        Assert.Equal(CapturedFrames6.LinkLocalB, router);
        Assert.True(ipv6.IsOnLink(new Ipv6Address(0x2001_0002_0000_0007, 5)));
        Assert.Equal(1400, ipv6.Mtu);
        Assert.Equal(1400 - Ipv6Packet.HeaderLength, a.Stack.MaximumPayloadTo6(Far));
        // The router's link-layer address came with it: the packet leaves at once, to the router.
        Assert.Equal(0, a.Stack.Send6(Ipv6Address.Unspecified, Far, IpProtocol.Icmpv6, EchoRequest(CapturedFrames6.AddressA, Far, 8)));
        byte[] sent = a.Device.TakeOnly();
        Assert.True(EthernetFrame.TryWrap(sent, out EthernetFrame ethernet));
        Assert.Equal(CapturedFrames6.MacB, ethernet.Destination);
        Assert.Equal(Far, Ipv6Of(sent).Destination);

        // Its lifetime runs out (RFC 4861, 6.3.5), and a lifetime of 0 ends it at once.
        a.Run(1801 * Second);
        Assert.False(ipv6.TryDefaultRouter(a.Stack.Now, out _));
        a.Device.Inject(RouterAdvertisement(1800, onLinkPrefix, 0, Ipv6Header.NeighborDiscoveryHopLimit));
        Assert.True(ipv6.TryDefaultRouter(a.Stack.Now, out _));
        a.Device.Inject(RouterAdvertisement(0, onLinkPrefix, 0, Ipv6Header.NeighborDiscoveryHopLimit));
        Assert.False(ipv6.TryDefaultRouter(a.Stack.Now, out _));
        Assert.Equal(-Errno.ENETUNREACH, a.Stack.Send6(Ipv6Address.Unspecified, Far, IpProtocol.Icmpv6, new byte[8]));
    }

    // RFC 4861, 6.3.7: router solicitations to ff02::2, 4 s apart, three at most, none once a
    // router advertised itself.
    [Fact]
    public void RouterSolicitations_AreSentUntilARouterAnswers_ThreeAtMost()
    {
        NetTestHost a = HostWithIpv6(hostB: false);
        a.Interface.Ipv6!.SolicitRouters();

        byte[] solicitation = a.Device.TakeOnly();
        Assert.True(EthernetFrame.TryWrap(solicitation, out EthernetFrame ethernet));
        Assert.Equal(Ipv6Address.AllRouters.MulticastMac, ethernet.Destination);
        Assert.Equal(new Ipv6Header(CapturedFrames6.LinkLocalA, Ipv6Address.AllRouters, IpProtocol.Icmpv6, 8, 255, 0, 0), Ipv6Of(solicitation));
        Assert.True(Icmpv6Message.TryWrap(PacketOf(solicitation).Payload, out Icmpv6Message message));
        Assert.True(Icmpv6Header.TryParse(message, CapturedFrames6.LinkLocalA, Ipv6Address.AllRouters, out Icmpv6Header icmp));
        Assert.Equal(new Icmpv6Header(Icmpv6Type.RouterSolicitation, 0, 0), icmp);
        a.Run(4 * Second + Second / 10);
        Assert.Single(a.Device.Sent);
        a.Device.Sent.Clear();
        a.Device.Inject(RouterAdvertisement(1800, new Ipv6Address(0x2001_0002_0000_0007, 0), 0, Ipv6Header.NeighborDiscoveryHopLimit));
        a.Run(20 * Second);
        Assert.Empty(a.Device.Sent);
        Assert.Equal(2, a.Stack.Counters.RouterSolicitationsSent);

        NetTestHost unanswered = HostWithIpv6(hostB: false);
        unanswered.Interface.Ipv6!.SolicitRouters();
        unanswered.Run(30 * Second);
        Assert.Equal(3, unanswered.Stack.Counters.RouterSolicitationsSent);
    }

    // RFC 4861, 6.1.2: an advertisement that may have crossed a router (hop limit below 255) is
    // not believed.
    [Fact]
    public void RouterAdvertisement_FromOffTheLink_IsIgnored()
    {
        NetTestHost a = HostWithIpv6(hostB: false);

        a.Device.Inject(RouterAdvertisement(1800, new Ipv6Address(0x2001_0002_0000_0007, 0), 1400, 64));

        Assert.Equal(1, a.Stack.Counters.RouterAdvertisementsDropped);
        Assert.False(a.Interface.Ipv6!.TryDefaultRouter(a.Stack.Now, out _));
        Assert.Equal(1500, a.Interface.Ipv6.Mtu);
    }

    // A UDP datagram longer than the MTU leaves in fragments (RFC 8200, 4.5) that the other host
    // puts back together, whatever order they come in.
    [Fact]
    public void LongUdpDatagram_IsFragmented_AndReassembledByThePeer()
    {
        NetTestHost a = HostWithIpv6(hostB: false);
        NetTestHost b = HostWithIpv6(hostB: true);
        a.Interface.Ipv6!.Neighbors.Learn(CapturedFrames6.AddressB, CapturedFrames6.MacB, a.Stack.Now, true);
        UdpEndpoint receiver = b.Udp.Open6();
        Assert.Equal(0, receiver.Bind6(Ipv6Address.Unspecified, 7));
        UdpEndpoint sender = a.Udp.Open6();
        byte[] data = Pattern(4000);

        Assert.Equal(4000, sender.SendTo6(CapturedFrames6.AddressB, 7, data));

        Assert.Equal(3, a.Device.Sent.Count);
        Assert.Equal(3, a.Stack.Counters.Ipv6FragmentsSent);
        uint identification = 0;
        for (int index = 0; index < 3; index++)
        {
            byte[] frame = a.Device.Sent[index];
            Assert.True(frame.Length <= EthernetFrame.HeaderLength + 1500);
            Ipv6Header header = Ipv6Of(frame);
            Assert.Equal(Ipv6ExtensionHeader.Fragment, header.NextHeader);
            Ipv6FragmentHeader fragment = Ipv6FragmentHeader.Read(PacketOf(frame).Payload);
            Assert.Equal(IpProtocol.Udp, fragment.NextHeader);
            Assert.Equal(index * 1448, fragment.Offset);
            Assert.Equal(index < 2, fragment.More);
            identification = index == 0 ? fragment.Identification : identification;
            Assert.Equal(identification, fragment.Identification);
        }

        b.Device.Inject(a.Device.Sent[2]);
        b.Device.Inject(a.Device.Sent[0]);
        Assert.Equal(1, b.Stack.Reassembly6InFlight());
        b.Device.Inject(a.Device.Sent[1]);

        byte[] buffer = new byte[5000];
        Assert.Equal(4000, receiver.ReceiveFrom6(buffer, true, long.MaxValue, out Ipv6Address from, out _, out _));
        Assert.Equal(CapturedFrames6.AddressA, from);
        Assert.Equal(data, buffer.AsSpan(0, 4000).ToArray());
        Assert.Equal(1, b.Stack.Counters.Ipv6Reassembled);
        Assert.Equal(0, b.Stack.Reassembly6InFlight());
    }

    // ping -6 -s 3000: the request comes in fragments, and the reply leaves in fragments.
    [Fact]
    public void FragmentedEchoRequest_IsAnswered_InFragments()
    {
        NetTestHost b = HostWithIpv6(hostB: true);
        b.Device.Inject(CapturedFrames6.NeighborSolicitation);
        b.Device.Sent.Clear();
        byte[] request = EchoRequest(CapturedFrames6.AddressA, CapturedFrames6.AddressB, 3000);

        foreach (byte[] fragment in Fragments(CapturedFrames6.AddressA, CapturedFrames6.AddressB, IpProtocol.Icmpv6, request, 1448, 0x1234))
        {
            b.Device.Inject(fragment);
        }

        Assert.Equal(1, b.Stack.Counters.Icmpv6EchoReplies);
        Assert.Equal(3, b.Device.Sent.Count);
        byte[] reply = Reassemble(b.Device.Sent);
        Assert.Equal(request.Length, reply.Length);
        Assert.Equal(Icmpv6Type.EchoReply, reply[0]);
        Assert.Equal(request.AsSpan(4).ToArray(), reply.AsSpan(4).ToArray());
        Assert.True(Icmpv6Message.TryWrap(reply, out Icmpv6Message message));
        Assert.True(message.ChecksumIsValid(CapturedFrames6.AddressB, CapturedFrames6.AddressA));
    }

    // RFC 8200, 4.5 and RFC 5722: overlapping fragments drop the whole packet.
    [Fact]
    public void OverlappingFragments_DropThePacket()
    {
        NetTestHost b = HostWithIpv6(hostB: true);
        b.Device.Inject(CapturedFrames6.NeighborSolicitation);
        b.Device.Sent.Clear();
        byte[] request = EchoRequest(CapturedFrames6.AddressA, CapturedFrames6.AddressB, 3000);
        List<byte[]> fragments = Fragments(CapturedFrames6.AddressA, CapturedFrames6.AddressB, IpProtocol.Icmpv6, request, 1448, 7);
        // A fragment covering [1440, 2888), overlapping the first's last 8 bytes.
        List<byte[]> shifted = Fragments(CapturedFrames6.AddressA, CapturedFrames6.AddressB, IpProtocol.Icmpv6, request, 1440, 7);

        b.Device.Inject(fragments[0]);
        b.Device.Inject(shifted[1]);
        b.Device.Inject(fragments[1]);
        b.Device.Inject(fragments[2]);

        Assert.Empty(b.Device.Sent);
        Assert.Equal(0, b.Stack.Counters.Icmpv6EchoReplies);
        Assert.Equal(0, b.Stack.Counters.Ipv6Reassembled);
    }

    // A fragment received twice (the same bytes at the same place) does not spoil the packet.
    [Fact]
    public void DuplicateFragment_IsIgnored()
    {
        NetTestHost b = HostWithIpv6(hostB: true);
        b.Device.Inject(CapturedFrames6.NeighborSolicitation);
        b.Device.Sent.Clear();
        List<byte[]> fragments = Fragments(CapturedFrames6.AddressA, CapturedFrames6.AddressB, IpProtocol.Icmpv6,
            EchoRequest(CapturedFrames6.AddressA, CapturedFrames6.AddressB, 3000), 1448, 8);

        b.Device.Inject(fragments[0]);
        b.Device.Inject(fragments[0]);
        b.Device.Inject(fragments[1]);
        b.Device.Inject(fragments[2]);

        Assert.Equal(1, b.Stack.Counters.Icmpv6EchoReplies);
    }

    // RFC 8200, 4.5: 60 s after the first fragment came, an incomplete packet is dropped and its
    // sender told with time exceeded, code 1.
    [Fact]
    public void IncompletePacket_TimesOutAfterSixtySeconds_WithTimeExceeded()
    {
        NetTestHost b = HostWithIpv6(hostB: true);
        b.Device.Inject(CapturedFrames6.NeighborSolicitation);
        b.Device.Sent.Clear();
        List<byte[]> fragments = Fragments(CapturedFrames6.AddressA, CapturedFrames6.AddressB, IpProtocol.Icmpv6,
            EchoRequest(CapturedFrames6.AddressA, CapturedFrames6.AddressB, 3000), 1448, 9);
        b.Device.Inject(fragments[0]);
        b.Device.Inject(fragments[2]);

        b.Run(59 * Second);
        Assert.Empty(b.Device.Sent);
        // A's address is learned again (the neighbor entry lasts 30 s), so the error leaves at once.
        b.Device.Inject(CapturedFrames6.NeighborSolicitation);
        b.Device.Sent.Clear();
        b.Run(2 * Second);

        byte[] error = b.Device.TakeOnly();
        Ipv6Header header = Ipv6Of(error);
        Assert.Equal(CapturedFrames6.AddressA, header.Destination);
        Span<byte> icmp = PacketOf(error).Payload;
        Assert.Equal(Icmpv6Type.TimeExceeded, icmp[0]);
        Assert.Equal(Icmpv6Type.CodeReassemblyTimeExceeded, icmp[1]);
        // It quotes the first fragment: its fixed header, then its fragment header.
        Assert.Equal(fragments[0].AsSpan(EthernetFrame.HeaderLength, 48).ToArray(), icmp.Slice(Icmpv6Message.HeaderLength, 48).ToArray());
        Assert.Equal(1, b.Stack.Counters.Ipv6ReassemblyTimeouts);
        Assert.Equal(0, b.Stack.Reassembly6InFlight());
    }

    // RFC 8200, 4.2 and 4.3: a hop-by-hop header's options that ask to be skipped (a router alert,
    // padding) are skipped, and the datagram behind it delivered.
    [Fact]
    public void HopByHopAndDestinationOptions_AreWalked_ToTheUdpDatagram()
    {
        NetTestHost b = HostWithIpv6(hostB: true);
        UdpEndpoint endpoint = b.Udp.Open6();
        Assert.Equal(0, endpoint.Bind6(Ipv6Address.Unspecified, 7));
        byte[] udp = Udp(CapturedFrames6.AddressA, CapturedFrames6.AddressB, 40000, 7, "opts");
        // Hop-by-hop: router alert (type 5, 2 bytes of value) and PadN; then destination options: Pad1s.
        byte[] hopByHop = { Ipv6ExtensionHeader.DestinationOptions, 0, 5, 2, 0, 0, 1, 0 };
        byte[] destination = { IpProtocol.Udp, 0, 0, 0, 0, 0, 0, 0 };

        b.Device.Inject(Frame(CapturedFrames6.AddressA, CapturedFrames6.AddressB, Ipv6ExtensionHeader.HopByHop, Concat(hopByHop, destination, udp)));

        byte[] buffer = new byte[16];
        Assert.Equal(4, endpoint.ReceiveFrom6(buffer, true, long.MaxValue, out _, out _, out _));
        Assert.Empty(b.Device.Sent);
    }

    [Fact]
    public void UnknownOption_GoesByItsHighBits()
    {
        NetTestHost b = HostWithIpv6(hostB: true);
        b.Device.Inject(CapturedFrames6.NeighborSolicitation);
        b.Device.Sent.Clear();
        UdpEndpoint endpoint = b.Udp.Open6();
        Assert.Equal(0, endpoint.Bind6(Ipv6Address.Unspecified, 7));
        byte[] udp = Udp(CapturedFrames6.AddressA, CapturedFrames6.AddressB, 40000, 7, "opts");

        // 00: skipped, delivered.
        b.Device.Inject(Frame(CapturedFrames6.AddressA, CapturedFrames6.AddressB, Ipv6ExtensionHeader.DestinationOptions,
            Concat(new byte[] { IpProtocol.Udp, 0, 0x1E, 4, 1, 2, 3, 4 }, udp)));
        // 01: dropped silently.
        b.Device.Inject(Frame(CapturedFrames6.AddressA, CapturedFrames6.AddressB, Ipv6ExtensionHeader.DestinationOptions,
            Concat(new byte[] { IpProtocol.Udp, 0, 0x5E, 4, 1, 2, 3, 4 }, udp)));
        Assert.Empty(b.Device.Sent);
        // 10: dropped, answered with parameter problem code 2 at the option (40 + 2).
        b.Device.Inject(Frame(CapturedFrames6.AddressA, CapturedFrames6.AddressB, Ipv6ExtensionHeader.DestinationOptions,
            Concat(new byte[] { IpProtocol.Udp, 0, 0x9E, 4, 1, 2, 3, 4 }, udp)));

        byte[] buffer = new byte[16];
        Assert.Equal(4, endpoint.ReceiveFrom6(buffer, true, long.MaxValue, out _, out _, out _));
        Assert.Equal(-Errno.EAGAIN, endpoint.ReceiveFrom6(buffer, true, long.MaxValue, out _, out _, out _));
        Span<byte> icmp = PacketOf(b.Device.TakeOnly()).Payload;
        Assert.Equal(Icmpv6Type.ParameterProblem, icmp[0]);
        Assert.Equal(Icmpv6Type.CodeUnrecognizedOption, icmp[1]);
        Assert.Equal(42u, BinaryPrimitives.ReadUInt32BigEndian(icmp.Slice(4)));
    }

    // RFC 8200, 4.4: a routing header with no segments left is ignored; one with segments left
    // (this host forwards nothing) is a parameter problem at its routing type.
    [Fact]
    public void RoutingHeader_WithNoSegmentsLeft_IsIgnored_ElseAParameterProblem()
    {
        NetTestHost b = HostWithIpv6(hostB: true);
        b.Device.Inject(CapturedFrames6.NeighborSolicitation);
        b.Device.Sent.Clear();
        UdpEndpoint endpoint = b.Udp.Open6();
        Assert.Equal(0, endpoint.Bind6(Ipv6Address.Unspecified, 7));
        byte[] udp = Udp(CapturedFrames6.AddressA, CapturedFrames6.AddressB, 40000, 7, "route");

        b.Device.Inject(Frame(CapturedFrames6.AddressA, CapturedFrames6.AddressB, Ipv6ExtensionHeader.Routing,
            Concat(new byte[] { IpProtocol.Udp, 0, 4, 0, 0, 0, 0, 0 }, udp)));
        byte[] buffer = new byte[16];
        Assert.Equal(5, endpoint.ReceiveFrom6(buffer, true, long.MaxValue, out _, out _, out _));
        Assert.Empty(b.Device.Sent);

        b.Device.Inject(Frame(CapturedFrames6.AddressA, CapturedFrames6.AddressB, Ipv6ExtensionHeader.Routing,
            Concat(new byte[] { IpProtocol.Udp, 0, 4, 1, 0, 0, 0, 0 }, udp)));
        Assert.Equal(-Errno.EAGAIN, endpoint.ReceiveFrom6(buffer, true, long.MaxValue, out _, out _, out _));
        Span<byte> icmp = PacketOf(b.Device.TakeOnly()).Payload;
        Assert.Equal(Icmpv6Type.ParameterProblem, icmp[0]);
        Assert.Equal(Icmpv6Type.CodeErroneousHeaderField, icmp[1]);
        Assert.Equal(42u, BinaryPrimitives.ReadUInt32BigEndian(icmp.Slice(4)));
    }

    // A connected UDP socket hears port unreachable as ECONNREFUSED on its next call, as over IPv4.
    [Fact]
    public void PortUnreachable_ReachesTheConnectedEndpoint_AsConnectionRefused()
    {
        NetTestHost a = HostWithIpv6(hostB: false);
        NetTestHost b = HostWithIpv6(hostB: true);
        a.Interface.Ipv6!.Neighbors.Learn(CapturedFrames6.AddressB, CapturedFrames6.MacB, a.Stack.Now, true);
        b.Device.Inject(CapturedFrames6.NeighborSolicitation);
        b.Device.Sent.Clear();
        UdpEndpoint endpoint = a.Udp.Open6();
        Assert.Equal(0, endpoint.Connect6(CapturedFrames6.AddressB, 9));
        Assert.Equal(6, endpoint.Send("closed"u8));

        // B has nothing on port 9: its answer goes back to A.
        b.Device.Inject(a.Device.TakeOnly());
        byte[] unreachable = b.Device.TakeOnly();
        a.Device.Inject(unreachable);

        Assert.Equal(1, a.Stack.Counters.Icmpv6ErrorsReceived);
        Assert.Equal(1, a.Udp.IcmpErrors);
        Assert.Equal(-Errno.ECONNREFUSED, endpoint.Send("again"u8));
    }

    // RFC 8201: packet too big lowers the path MTU to that destination, and UDP's next long
    // datagram leaves in fragments that fit it; other destinations keep the link's MTU.
    [Fact]
    public void PacketTooBig_LowersThePathMtu_AndTheNextDatagramIsFragmentedToFit()
    {
        NetTestHost a = HostWithIpv6(hostB: false);
        Ipv6Interface ipv6 = a.Interface.Ipv6!;
        ipv6.Neighbors.Learn(CapturedFrames6.AddressB, CapturedFrames6.MacB, a.Stack.Now, true);
        UdpEndpoint endpoint = a.Udp.Open6();
        Assert.Equal(1400, endpoint.SendTo6(CapturedFrames6.AddressB, 7, Pattern(1400)));
        byte[] whole = a.Device.TakeOnly();

        byte[] quoted = whole.AsSpan(EthernetFrame.HeaderLength, 1280 - Ipv6Packet.HeaderLength - Icmpv6Message.HeaderLength).ToArray();
        byte[] tooBig = new byte[Icmpv6Message.HeaderLength + quoted.Length];
        quoted.CopyTo(tooBig, Icmpv6Message.HeaderLength);
        Icmpv6Message.TryWrap(tooBig, out Icmpv6Message message);
        new Icmpv6Header(Icmpv6Type.PacketTooBig, 0, 1300).Emit(message, CapturedFrames6.AddressB, CapturedFrames6.AddressA);
        a.Device.Inject(Frame(CapturedFrames6.AddressB, CapturedFrames6.AddressA, IpProtocol.Icmpv6, tooBig));

        Assert.Equal(1300, ipv6.PathMtuTo(CapturedFrames6.AddressB));
        Assert.Equal(1500, ipv6.PathMtuTo(Far));
        Assert.Equal(1300 - Ipv6Packet.HeaderLength, a.Stack.MaximumPayloadTo6(CapturedFrames6.AddressB));
        Assert.Equal(1400, endpoint.SendTo6(CapturedFrames6.AddressB, 7, Pattern(1400)));
        Assert.Equal(2, a.Device.Sent.Count);
        Assert.All(a.Device.Sent, frame => Assert.True(frame.Length - EthernetFrame.HeaderLength <= 1300));

        // NOTE: RFC 8201, 4: a packet too big below 1280 is taken as 1280.
        new Icmpv6Header(Icmpv6Type.PacketTooBig, 0, 600).Emit(message, CapturedFrames6.AddressB, CapturedFrames6.AddressA);
        a.Device.Inject(Frame(CapturedFrames6.AddressB, CapturedFrames6.AddressA, IpProtocol.Icmpv6, tooBig));
        Assert.Equal(1280, ipv6.PathMtuTo(CapturedFrames6.AddressB));
        // Forgotten after 10 minutes.
        a.Run(601 * Second);
        Assert.Equal(1500, ipv6.PathMtuTo(CapturedFrames6.AddressB));
    }

    // RFC 4862, 5.4.2: a probe per address, from :: to its solicited-node group, with no
    // link-layer address; the addresses are optimistic meanwhile (RFC 4429): used, but answered
    // without Override; after a second with no answer they are the host's for good.
    [Fact]
    public void DuplicateAddressDetection_ProbesEachAddress_AndKeepsThemWhenNoOneAnswers()
    {
        NetTestHost a = HostWithIpv6(hostB: false);
        Ipv6Interface ipv6 = a.Interface.Ipv6!;

        ipv6.StartDuplicateAddressDetection();

        Assert.Equal(2, a.Device.Sent.Count);
        byte[] probe = a.Device.Sent[1];
        Assert.True(EthernetFrame.TryWrap(probe, out EthernetFrame ethernet));
        Assert.Equal(CapturedFrames6.AddressA.SolicitedNode.MulticastMac, ethernet.Destination);
        Ipv6Header header = Ipv6Of(probe);
        Assert.Equal(new Ipv6Header(Ipv6Address.Unspecified, CapturedFrames6.AddressA.SolicitedNode, IpProtocol.Icmpv6,
            NdpNeighborMessage.FixedLength, 255, 0, 0), header);
        Icmpv6Message.TryWrap(PacketOf(probe).Payload, out Icmpv6Message message);
        Assert.True(NdpNeighborMessage.TryParse(message, header, out NdpNeighborMessage parsed));
        Assert.Equal(NdpNeighborMessage.Probe(CapturedFrames6.AddressA), parsed);
        Assert.Equal(CapturedFrames6.LinkLocalA, TargetOf(a.Device.Sent[0]));
        a.Device.Sent.Clear();
        Assert.True(ipv6.IsTentativeAt(1));
        Assert.True(a.Stack.TrySelectSource6(CapturedFrames6.AddressB, out Ipv6Address source));
        Assert.Equal(CapturedFrames6.AddressA, source);

        // Optimistic: a solicitation is answered, without Override.
        a.Device.Inject(Solicitation(CapturedFrames6.AddressB, CapturedFrames6.AddressA));
        NdpNeighborMessage answer = AdvertisementIn(a.Device.TakeOnly());
        Assert.False(answer.Override);

        a.Run(DuplicateAddressDetectionTime + Second / 10);
        Assert.False(ipv6.IsTentativeAt(1));
        a.Device.Inject(Solicitation(CapturedFrames6.AddressB, CapturedFrames6.AddressA));
        Assert.True(AdvertisementIn(a.Device.TakeOnly()).Override);
        // An advertisement for it now is another host's mistake, not a reason to give it up.
        a.Device.Inject(AdvertisementFromB(CapturedFrames6.AddressA));
        Assert.True(ipv6.IsOwn(CapturedFrames6.AddressA));
        Assert.Equal(0, a.Stack.Counters.DuplicateAddresses);
    }

    // RFC 4862, 5.4.4: an advertisement for an address under detection means another host has it.
    [Fact]
    public void AdvertisementForAnAddressUnderDetection_MakesItDuplicate_LoggedAndNotUsed()
    {
        NetTestHost a = HostWithIpv6(hostB: false);
        Ipv6Interface ipv6 = a.Interface.Ipv6!;
        ipv6.StartDuplicateAddressDetection();
        a.Device.Sent.Clear();

        a.Device.Inject(AdvertisementFromB(CapturedFrames6.AddressA));

        Assert.True(ipv6.IsDuplicateAt(1));
        Assert.False(ipv6.IsOwn(CapturedFrames6.AddressA));
        Assert.False(a.Stack.IsLocal6(CapturedFrames6.AddressA));
        Assert.Equal(1, a.Stack.Counters.DuplicateAddresses);
        Assert.Contains("[uk] net eth0: ipv6 2001:2::1 is in use by another host on the link (duplicate address detection, RFC 4862): not used",
            a.Platform.Log);
        // Packets leave from the link-local address now, and a solicitation for it goes unanswered.
        Assert.True(a.Stack.TrySelectSource6(CapturedFrames6.AddressB, out Ipv6Address source));
        Assert.Equal(CapturedFrames6.LinkLocalA, source);
        a.Device.Inject(Solicitation(CapturedFrames6.AddressB, CapturedFrames6.AddressA));
        Assert.Empty(a.Device.Sent);
    }

    // RFC 4862, 5.4.3: another host probing for the same address at the same time.
    [Fact]
    public void AnotherHostsProbeForAnAddressUnderDetection_MakesItDuplicate()
    {
        NetTestHost a = HostWithIpv6(hostB: false);
        a.Interface.Ipv6!.StartDuplicateAddressDetection();
        a.Device.Sent.Clear();
        byte[] message = new byte[NdpNeighborMessage.FixedLength];
        Icmpv6Message.TryWrap(message, out Icmpv6Message view);
        NdpNeighborMessage.Probe(CapturedFrames6.AddressA).Emit(view, Ipv6Address.Unspecified, CapturedFrames6.AddressA.SolicitedNode);

        a.Device.Inject(Frame(CapturedFrames6.MacB, CapturedFrames6.AddressA.SolicitedNode.MulticastMac, Ipv6Address.Unspecified,
            CapturedFrames6.AddressA.SolicitedNode, IpProtocol.Icmpv6, message, 255));

        Assert.True(a.Interface.Ipv6.IsDuplicateAt(1));
        Assert.Empty(a.Device.Sent);
    }

    private const long DuplicateAddressDetectionTime = Ipv6Interface.DuplicateDetectionTime;

    private static Ipv6Address TargetOf(byte[] frame)
    {
        Icmpv6Message.TryWrap(PacketOf(frame).Payload, out Icmpv6Message message);
        Assert.True(NdpNeighborMessage.TryParse(message, Ipv6Of(frame), out NdpNeighborMessage parsed));
        return parsed.Target;
    }

    private static NdpNeighborMessage AdvertisementIn(byte[] frame)
    {
        Icmpv6Message.TryWrap(PacketOf(frame).Payload, out Icmpv6Message message);
        Assert.True(NdpNeighborMessage.TryParse(message, Ipv6Of(frame), out NdpNeighborMessage parsed));
        Assert.Equal(Icmpv6Type.NeighborAdvertisement, parsed.Type);
        return parsed;
    }

    // A solicitation from B (2001:2::2, with its link-layer address) for target.
    private static byte[] Solicitation(Ipv6Address source, Ipv6Address target)
    {
        NdpNeighborMessage solicitation = NdpNeighborMessage.Solicitation(target, CapturedFrames6.MacB);
        byte[] message = new byte[solicitation.Length];
        Icmpv6Message.TryWrap(message, out Icmpv6Message view);
        solicitation.Emit(view, source, target.SolicitedNode);
        return Frame(CapturedFrames6.MacB, target.SolicitedNode.MulticastMac, source, target.SolicitedNode, IpProtocol.Icmpv6, message, 255);
    }

    // An unsolicited advertisement from B's link-local address, to all nodes, claiming target.
    private static byte[] AdvertisementFromB(Ipv6Address target)
    {
        NdpNeighborMessage advertisement = NdpNeighborMessage.Advertisement(target, false, CapturedFrames6.MacB);
        byte[] message = new byte[advertisement.Length];
        Icmpv6Message.TryWrap(message, out Icmpv6Message view);
        advertisement.Emit(view, CapturedFrames6.LinkLocalB, Ipv6Address.AllNodes);
        return Frame(CapturedFrames6.MacB, Ipv6Address.AllNodes.MulticastMac, CapturedFrames6.LinkLocalB, Ipv6Address.AllNodes, IpProtocol.Icmpv6,
            message, 255);
    }

    private static NetTestHost HostWithIpv6(bool hostB)
    {
        NetTestHost host = new NetTestHost(hostB);
        host.Interface.EnableIpv6(new[] { hostB ? CapturedFrames6.AddressB : CapturedFrames6.AddressA }, new[] { 64 });
        return host;
    }

    // A router advertisement from B's link-local address to all nodes: the router lifetime, B's
    // link-layer address, a prefix flagged on-link (valid an hour) and, unless 0, an MTU.
    private static byte[] RouterAdvertisement(ushort lifetime, Ipv6Address prefix, int mtu, byte hopLimit)
    {
        int length = 16 + 8 + 32 + (mtu > 0 ? 8 : 0);
        byte[] message = new byte[length];
        message[4] = 64;
        BinaryPrimitives.WriteUInt16BigEndian(message.AsSpan(6), lifetime);
        message[16] = 1;
        message[17] = 1;
        CapturedFrames6.MacB.Write(message.AsSpan(18));
        message[24] = 3;
        message[25] = 4;
        message[26] = 64;
        message[27] = 0xC0;
        BinaryPrimitives.WriteUInt32BigEndian(message.AsSpan(28), 3600);
        BinaryPrimitives.WriteUInt32BigEndian(message.AsSpan(32), 3600);
        prefix.Write(message.AsSpan(40));
        if (mtu > 0)
        {
            message[56] = 5;
            message[57] = 1;
            BinaryPrimitives.WriteUInt32BigEndian(message.AsSpan(60), (uint)mtu);
        }
        Icmpv6Message.TryWrap(message, out Icmpv6Message view);
        new Icmpv6Header(Icmpv6Type.RouterAdvertisement, 0, BinaryPrimitives.ReadUInt32BigEndian(message.AsSpan(4)))
            .Emit(view, CapturedFrames6.LinkLocalB, Ipv6Address.AllNodes);
        return Frame(CapturedFrames6.MacB, Ipv6Address.AllNodes.MulticastMac, CapturedFrames6.LinkLocalB, Ipv6Address.AllNodes,
            IpProtocol.Icmpv6, message, hopLimit);
    }

    private static byte[] EchoRequest(Ipv6Address source, Ipv6Address destination, int dataLength)
    {
        byte[] message = new byte[Icmpv6Message.HeaderLength + dataLength];
        Pattern(dataLength).CopyTo(message, Icmpv6Message.HeaderLength);
        Icmpv6Message.TryWrap(message, out Icmpv6Message view);
        Icmpv6Header.Echo(Icmpv6Type.EchoRequest, 0x77, 1).Emit(view, source, destination);
        return message;
    }

    private static byte[] Udp(Ipv6Address source, Ipv6Address destination, ushort sourcePort, ushort destinationPort, string text)
    {
        byte[] datagram = new byte[UdpDatagram.HeaderLength + text.Length];
        System.Text.Encoding.ASCII.GetBytes(text).CopyTo(datagram, UdpDatagram.HeaderLength);
        Assert.True(new UdpHeader(sourcePort, destinationPort).TryEmit(datagram, source, destination, text.Length));
        return datagram;
    }

    // A frame from A's MAC to B's (or back, by the source address) carrying payload.
    private static byte[] Frame(Ipv6Address source, Ipv6Address destination, byte nextHeader, byte[] payload)
    {
        bool fromA = source == CapturedFrames6.AddressA;
        return Frame(fromA ? CapturedFrames6.MacA : CapturedFrames6.MacB, fromA ? CapturedFrames6.MacB : CapturedFrames6.MacA,
            source, destination, nextHeader, payload, Ipv6Header.DefaultHopLimit);
    }

    private static byte[] Frame(MacAddress from, MacAddress to, Ipv6Address source, Ipv6Address destination, byte nextHeader, byte[] payload,
        byte hopLimit)
    {
        byte[] frame = new byte[EthernetFrame.HeaderLength + Ipv6Packet.HeaderLength + payload.Length];
        EthernetFrame.TryWrap(frame, out EthernetFrame ethernet);
        new EthernetHeader(to, from, EtherType.Ipv6).Emit(ethernet);
        Assert.True(new Ipv6Header(source, destination, nextHeader, payload.Length, hopLimit, 0, 0).TryEmit(ethernet.Payload));
        payload.CopyTo(frame, EthernetFrame.HeaderLength + Ipv6Packet.HeaderLength);
        return frame;
    }

    // The payload cut in pieces of piece bytes (a multiple of 8), each behind a fragment header.
    private static List<byte[]> Fragments(Ipv6Address source, Ipv6Address destination, byte nextHeader, byte[] payload, int piece,
        uint identification)
    {
        var frames = new List<byte[]>();
        for (int offset = 0; offset < payload.Length; offset += piece)
        {
            int length = Math.Min(piece, payload.Length - offset);
            byte[] fragment = new byte[Ipv6FragmentHeader.Length + length];
            new Ipv6FragmentHeader(nextHeader, offset, offset + length < payload.Length, identification).Write(fragment);
            payload.AsSpan(offset, length).CopyTo(fragment.AsSpan(Ipv6FragmentHeader.Length));
            frames.Add(Frame(source, destination, Ipv6ExtensionHeader.Fragment, fragment));
        }
        return frames;
    }

    // The fragmentable part of the fragments in these frames, put together by offset.
    private static byte[] Reassemble(List<byte[]> frames)
    {
        byte[] whole = new byte[65536];
        int total = 0;
        foreach (byte[] frame in frames)
        {
            Span<byte> payload = PacketOf(frame).Payload;
            Assert.Equal(Ipv6ExtensionHeader.Fragment, Ipv6Of(frame).NextHeader);
            Ipv6FragmentHeader fragment = Ipv6FragmentHeader.Read(payload);
            payload.Slice(Ipv6FragmentHeader.Length).CopyTo(whole.AsSpan(fragment.Offset));
            if (!fragment.More)
            {
                total = fragment.Offset + payload.Length - Ipv6FragmentHeader.Length;
            }
        }
        return whole.AsSpan(0, total).ToArray();
    }

    private static byte[] Concat(params byte[][] parts)
    {
        int length = 0;
        foreach (byte[] part in parts)
        {
            length += part.Length;
        }
        byte[] all = new byte[length];
        int offset = 0;
        foreach (byte[] part in parts)
        {
            part.CopyTo(all, offset);
            offset += part.Length;
        }
        return all;
    }

    private static byte[] Pattern(int length)
    {
        byte[] bytes = new byte[length];
        for (int index = 0; index < length; index++)
        {
            bytes[index] = (byte)(index * 7 + 3);
        }
        return bytes;
    }

    private static Ipv6Packet PacketOf(byte[] frame)
    {
        Assert.True(EthernetFrame.TryWrap(frame, out EthernetFrame ethernet));
        Assert.Equal(EtherType.Ipv6, ethernet.EtherType);
        Assert.True(Ipv6Packet.TryWrap(ethernet.Payload, out Ipv6Packet packet));
        return packet;
    }

    private static Ipv6Header Ipv6Of(byte[] frame)
    {
        Assert.True(Ipv6Header.TryParse(PacketOf(frame), out Ipv6Header header));
        return header;
    }
}

internal static class Ipv6ReassemblyProbe
{
    // Packets waiting in the stack's interfaces' IPv6 reassembly.
    public static int Reassembly6InFlight(this NetStack stack)
    {
        int count = 0;
        for (int index = 0; index < stack.InterfaceCount; index++)
        {
            count += stack.InterfaceAt(index).Ipv6?.Reassembly.InFlight ?? 0;
        }
        return count;
    }
}
