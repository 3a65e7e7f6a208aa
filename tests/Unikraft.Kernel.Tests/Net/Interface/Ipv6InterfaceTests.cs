namespace Unikraft.Kernel.Tests.Net.Interface;

using System;
using Unikraft.Kernel;
using Unikraft.Kernel.Tests.Net.Wire;
using Xunit;

// The interface's IPv6 against the frames Linux sent and answered (CapturedFrames6): the kernel
// stands where one of the two namespaces stood, and its answers are compared with Linux's.
public class Ipv6InterfaceTests
{
    private const long Second = 1_000_000_000;
    private const int Icmpv6Start = EthernetFrame.HeaderLength + Ipv6Packet.HeaderLength;

    [Fact]
    public void CapturedSolicitation_IsAnsweredWithLinuxsAdvertisementBytes()
    {
        NetTestHost b = HostWithIpv6(hostB: true);

        b.Device.Inject(CapturedFrames6.NeighborSolicitation);

        Assert.Equal(CapturedFrames6.NeighborAdvertisement, b.Device.TakeOnly());
        Assert.Equal(1, b.Stack.Counters.NeighborAdvertisementsSent);
        // The solicitation taught the sender's link-layer address (RFC 4861, 7.2.3).
        Assert.True(b.Interface.Ipv6!.Neighbors.TryLookup(CapturedFrames6.AddressA, b.Stack.Now, out MacAddress mac));
        Assert.Equal(CapturedFrames6.MacA, mac);
    }

    [Fact]
    public void CapturedEchoRequest_IsAnsweredWithLinuxsIcmpv6Bytes()
    {
        NetTestHost b = HostWithIpv6(hostB: true);
        b.Device.Inject(CapturedFrames6.NeighborSolicitation);
        b.Device.Sent.Clear();

        b.Device.Inject(CapturedFrames6.EchoRequest);

        byte[] reply = b.Device.TakeOnly();
        Ipv6Header header = Ipv6Of(reply);
        Assert.Equal(new Ipv6Header(CapturedFrames6.AddressB, CapturedFrames6.AddressA, IpProtocol.Icmpv6, 32, 64, 0, 0), header);
        // The Ethernet header and the whole ICMPv6 message as Linux's reply; only the flow label
        // Linux chose differs (this host sends 0, RFC 6437 allows it).
        Assert.Equal(CapturedFrames6.EchoReply.AsSpan(0, EthernetFrame.HeaderLength).ToArray(), reply.AsSpan(0, EthernetFrame.HeaderLength).ToArray());
        Assert.Equal(CapturedFrames6.EchoReply.AsSpan(Icmpv6Start).ToArray(), reply.AsSpan(Icmpv6Start).ToArray());
        Assert.Equal(1, b.Stack.Counters.Icmpv6EchoReplies);
    }

    [Fact]
    public void LinkLocalAddress_FromTheMac_AnswersSolicitationAndEcho()
    {
        NetTestHost b = HostWithIpv6(hostB: true);
        Assert.Equal(CapturedFrames6.LinkLocalB, b.Interface.Ipv6!.LinkLocal);

        b.Device.Inject(CapturedFrames6.LinkLocalNeighborSolicitation);
        Assert.Equal(CapturedFrames6.LinkLocalNeighborAdvertisement, b.Device.TakeOnly());

        // The second capture's echo request, link-local to link-local.
        byte[] request = (byte[])CapturedFrames6.EchoRequest.Clone();
        Readdress(request, CapturedFrames6.LinkLocalA, CapturedFrames6.LinkLocalB);
        b.Device.Inject(request);
        byte[] reply = b.Device.TakeOnly();
        Ipv6Header header = Ipv6Of(reply);
        Assert.Equal(CapturedFrames6.LinkLocalB, header.Source);
        Assert.Equal(CapturedFrames6.LinkLocalA, header.Destination);
        Assert.True(Icmpv6Message.TryWrap(PacketOf(reply).Payload, out Icmpv6Message message));
        Assert.True(Icmpv6Header.TryParse(message, header.Source, header.Destination, out Icmpv6Header icmp));
        Assert.Equal(Icmpv6Header.Echo(Icmpv6Type.EchoReply, 0x5786, 1), icmp);
    }

    [Fact]
    public void UnknownNextHeader_IsAnsweredWithLinuxsParameterProblem()
    {
        NetTestHost b = HostWithIpv6(hostB: true);
        b.Device.Inject(CapturedFrames6.NeighborSolicitation);
        b.Device.Sent.Clear();

        b.Device.Inject(CapturedFrames6.UnknownNextHeader);

        byte[] error = b.Device.TakeOnly();
        Assert.Equal(CapturedFrames6.ParameterProblem.AsSpan(0, EthernetFrame.HeaderLength).ToArray(), error.AsSpan(0, EthernetFrame.HeaderLength).ToArray());
        Assert.Equal(CapturedFrames6.ParameterProblem.AsSpan(Icmpv6Start).ToArray(), error.AsSpan(Icmpv6Start).ToArray());
        Assert.Equal(1, b.Stack.Counters.Icmpv6ErrorsSent);
    }

    // RFC 4443, 4.2: an echo request to a group is answered (Linux does, echo_ignore_multicast
    // being 0), from a unicast address of the interface: the link-local one for a link-local asker.
    [Fact]
    public void EchoRequestToAllNodes_IsAnsweredFromTheLinkLocalAddress()
    {
        NetTestHost b = HostWithIpv6(hostB: true);
        b.Device.Inject(CapturedFrames6.LinkLocalNeighborSolicitation);
        b.Device.Sent.Clear();
        byte[] request = (byte[])CapturedFrames6.EchoRequest.Clone();
        Ipv6Address.AllNodes.MulticastMac.Write(request);
        Readdress(request, CapturedFrames6.LinkLocalA, Ipv6Address.AllNodes);

        b.Device.Inject(request);

        Ipv6Header header = Ipv6Of(b.Device.TakeOnly());
        Assert.Equal(CapturedFrames6.LinkLocalB, header.Source);
        Assert.Equal(CapturedFrames6.LinkLocalA, header.Destination);
    }

    // RFC 4861, 7.2.4: a solicitation from :: (another host's duplicate address detection) for an
    // address of this interface is answered to all nodes, not solicited, so that host sees the
    // address is taken.
    [Fact]
    public void DuplicateAddressDetectionForOurAddress_IsAnsweredToAllNodes()
    {
        NetTestHost b = HostWithIpv6(hostB: true);
        byte[] probe = (byte[])CapturedFrames6.NeighborSolicitation.Clone();
        Ipv6Packet packet = PacketOf(probe);
        packet.SetSource(Ipv6Address.Unspecified);
        packet.SetPayloadLength(NdpNeighborMessage.FixedLength);
        byte[] trimmed = probe.AsSpan(0, EthernetFrame.HeaderLength + Ipv6Packet.HeaderLength + NdpNeighborMessage.FixedLength).ToArray();
        Ipv6Packet trimmedPacket = PacketOf(trimmed);
        Icmpv6Message.TryWrap(trimmedPacket.Payload, out Icmpv6Message message);
        message.FillChecksum(Ipv6Address.Unspecified, trimmedPacket.Destination);

        b.Device.Inject(trimmed);

        byte[] answer = b.Device.TakeOnly();
        Assert.True(EthernetFrame.TryWrap(answer, out EthernetFrame ethernet));
        Assert.Equal(Ipv6Address.AllNodes.MulticastMac, ethernet.Destination);
        Ipv6Header header = Ipv6Of(answer);
        Assert.Equal(Ipv6Address.AllNodes, header.Destination);
        Icmpv6Message.TryWrap(PacketOf(answer).Payload, out Icmpv6Message advertisement);
        Assert.True(NdpNeighborMessage.TryParse(advertisement, header, out NdpNeighborMessage parsed));
        Assert.Equal(NdpNeighborMessage.Advertisement(CapturedFrames6.AddressB, false, CapturedFrames6.MacB), parsed);
        // Nothing was learned from it: :: is no neighbor.
        Assert.Equal(0, b.Interface.Ipv6!.Neighbors.Count);
    }

    [Fact]
    public void FramesForOtherHostsOrGroups_AreDropped()
    {
        NetTestHost b = HostWithIpv6(hostB: true);
        // A solicitation for 2001:2::3 at its own solicited-node group: a group B never joined.
        byte[] other = (byte[])CapturedFrames6.NeighborSolicitation.Clone();
        new Ipv6Address(0x2001_0002_0000_0000, 3).SolicitedNode.MulticastMac.Write(other);
        b.Device.Inject(other);
        // An echo request to the unicast MAC but another host's address.
        byte[] request = (byte[])CapturedFrames6.EchoRequest.Clone();
        Readdress(request, CapturedFrames6.AddressA, new Ipv6Address(0x2001_0002_0000_0000, 3));
        b.Device.Inject(request);

        Assert.Empty(b.Device.Sent);
        Assert.Equal(2, b.Stack.Counters.Ipv6NotForUs);
    }

    [Fact]
    public void InterfaceWithoutIpv6_DropsIpv6Frames()
    {
        NetTestHost b = new NetTestHost(hostB: true);

        b.Device.Inject(CapturedFrames6.NeighborSolicitation);

        Assert.Empty(b.Device.Sent);
        Assert.Equal(1, b.Stack.Counters.FramesDropped);
        Assert.Equal(0, b.Stack.Counters.Ipv6Received);
    }

    [Fact]
    public void OutputToAnUnknownNeighbor_SolicitsAsLinuxDoes_AndSendsWhenAnswered()
    {
        NetTestHost a = HostWithIpv6(hostB: false);
        byte[] payload = EchoPayload(CapturedFrames6.EchoRequest);

        Assert.Equal(0, a.Interface.Ipv6!.Output(CapturedFrames6.AddressA, CapturedFrames6.AddressB, IpProtocol.Icmpv6, payload));

        // The solicitation is Linux's, byte for byte.
        Assert.Equal(CapturedFrames6.NeighborSolicitation, a.Device.TakeOnly());
        a.Device.Inject(CapturedFrames6.NeighborAdvertisement);
        byte[] sent = a.Device.TakeOnly();
        Assert.Equal(CapturedFrames6.EchoRequest.AsSpan(0, EthernetFrame.HeaderLength).ToArray(), sent.AsSpan(0, EthernetFrame.HeaderLength).ToArray());
        Assert.Equal(CapturedFrames6.EchoRequest.AsSpan(Icmpv6Start).ToArray(), sent.AsSpan(Icmpv6Start).ToArray());
        Assert.Equal(0, a.Interface.Ipv6.Neighbors.QueuedBytes);
    }

    [Fact]
    public void UnansweredSolicitations_GiveUpAfterThree_WithHostUnreachable()
    {
        NetTestHost a = HostWithIpv6(hostB: false);
        byte[] payload = EchoPayload(CapturedFrames6.EchoRequest);
        Assert.Equal(0, a.Interface.Ipv6!.Output(CapturedFrames6.AddressA, CapturedFrames6.AddressB, IpProtocol.Icmpv6, payload));

        a.Run(3 * Second + Second / 2);

        Assert.Equal(3, a.Stack.Counters.NeighborSolicitationsSent);
        Assert.Equal(3, a.Device.Sent.Count);
        Assert.Equal(1, a.Stack.Counters.NeighborGaveUp);
        Assert.Equal(1, a.Stack.Counters.NeighborQueueDropped);
        Assert.Equal(-Errno.EHOSTUNREACH, a.Interface.Ipv6.Output(CapturedFrames6.AddressA, CapturedFrames6.AddressB, IpProtocol.Icmpv6, payload));
    }

    [Fact]
    public void OffLinkDestination_IsUnreachable()
    {
        NetTestHost a = HostWithIpv6(hostB: false);
        Ipv6Address offLink = new Ipv6Address(0x2001_0002_0000_0001, 1);
        Assert.Equal(-Errno.ENETUNREACH, a.Interface.Ipv6!.Output(CapturedFrames6.AddressA, offLink, IpProtocol.Icmpv6, new byte[8]));
        Assert.Empty(a.Device.Sent);
    }

    private static NetTestHost HostWithIpv6(bool hostB)
    {
        NetTestHost host = new NetTestHost(hostB);
        host.Interface.EnableIpv6(new[] { hostB ? CapturedFrames6.AddressB : CapturedFrames6.AddressA }, new[] { 64 });
        return host;
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

    private static byte[] EchoPayload(byte[] frame) => frame.AsSpan(Icmpv6Start).ToArray();

    // Gives a captured ICMPv6 frame other addresses, its checksum made right for them.
    private static void Readdress(byte[] frame, Ipv6Address source, Ipv6Address destination)
    {
        Ipv6Packet packet = PacketOf(frame);
        packet.SetSource(source);
        packet.SetDestination(destination);
        Assert.True(Icmpv6Message.TryWrap(packet.Payload, out Icmpv6Message message));
        message.FillChecksum(source, destination);
    }
}
