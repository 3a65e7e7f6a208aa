namespace Unikraft.Kernel;

using System;
using System.Collections.Generic;

// The IPv6 side of one interface (RFC 8200 over Ethernet, RFC 2464): its addresses, the
// link-local one made from the MAC (RFC 4291, 2.5.6 and appendix A) first and then the configured
// ones, its neighbor cache, and the packets in and out. It takes the frames its NetInterface
// hands it (EtherType 0x86DD), answers neighbor solicitations for its addresses and ICMPv6 echo,
// learns neighbors, and answers a next header it does not speak with a parameter problem, as
// Linux does. On-link destinations (the link-local prefix, the configured prefixes and the one a
// router advertised) are reached directly; others through the default router that router
// discovery found (RouterDiscovery), when the interface solicited one.
// NOTE: duplicate address detection (RFC 4862, 5.4) is skipped: the addresses are the project's
// own configuration and the MAC's, taken as unique on the link, and used at once, as Linux does
// for an address added with `nodad`.
// NOTE: no MLD (RFC 3810) reports are sent for the groups joined: a plain Ethernet link or a TAP
// device delivers multicast without them; a switch that snoops MLD would need them.
internal sealed class Ipv6Interface
{
    // NOTE: an ICMPv6 error quotes as much of the offending packet as keeps it within the minimum
    // IPv6 MTU, 1280 bytes (RFC 4443, 2.4 (c)).
    public const int ErrorLimit = Ipv6Packet.MinimumMtu;

    // NOTE: the offset of the next header field in the IPv6 header, what a parameter problem
    // about an unknown next header points at (RFC 4443, 3.4); Linux points there too.
    private const int NextHeaderOffset = 6;

    private readonly NetStack stack;
    private readonly NetInterface link;
    private readonly NeighborCache neighbors = new NeighborCache();
    private readonly RouterDiscovery routers;
    private Ipv6Address[] addresses;
    private int[] prefixLengths;
    private readonly byte[] transmitBuffer;
    private readonly byte[] scratch;

    // configured and prefixLengths: the project's addresses (Address6 of <UnikraftNet>), in order.
    public Ipv6Interface(NetStack stack, NetInterface link, Ipv6Address[] configured, int[] configuredPrefixLengths)
    {
        this.stack = stack;
        this.link = link;
        addresses = new Ipv6Address[configured.Length + 1];
        prefixLengths = new int[configured.Length + 1];
        // NOTE: the link-local prefix is fe80::/64 (RFC 4291, 2.5.6).
        addresses[0] = Ipv6Address.LinkLocalFromMac(link.Mac);
        prefixLengths[0] = 64;
        for (int index = 0; index < configured.Length; index++)
        {
            addresses[index + 1] = configured[index];
            prefixLengths[index + 1] = configuredPrefixLengths[index];
        }
        transmitBuffer = new byte[link.Device.Info.MaximumTransmitFrameLength];
        scratch = new byte[link.Mtu];
        routers = new RouterDiscovery(this);
    }

    // The default router and the advertised prefix (router discovery, RFC 4861, 6.3).
    public RouterDiscovery Routers => routers;

    internal NetStack Stack => stack;

    internal MacAddress Mac => link.Mac;

    // Adds an address (a stateless autoconfigured one, RFC 4862, 5.5.3), unless it is there.
    public void AddAddress(Ipv6Address address, int prefixLength)
    {
        if (IsOwn(address))
        {
            return;
        }
        int count = addresses.Length;
        Array.Resize(ref addresses, count + 1);
        Array.Resize(ref prefixLengths, count + 1);
        addresses[count] = address;
        prefixLengths[count] = prefixLength;
    }

    // Whether a packet to destination has a way out of this interface: on the link, or through
    // its default router.
    public bool HasRoute(Ipv6Address destination) => IsOnLink(destination) || !routers.Router(stack.Now).IsUnspecified;

    // The neighbor a packet to destination goes to: destination itself on the link, else the
    // default router (unspecified: none).
    public Ipv6Address NextHop(Ipv6Address destination) => IsOnLink(destination) ? destination : routers.Router(stack.Now);

    public NeighborCache Neighbors => neighbors;

    public Ipv6Address LinkLocal => addresses[0];

    public int Mtu => link.Mtu;

    // As NetInterface.SegmentOffload: the longest packet holding one TCP segment the device cuts.
    public int SegmentOffload => link.SegmentOffload;

    // The link-local address first, then the configured ones.
    public int AddressCount => addresses.Length;

    public Ipv6Address AddressAt(int index) => addresses[index];

    public int PrefixLengthAt(int index) => prefixLengths[index];

    public bool IsOwn(Ipv6Address address)
    {
        for (int index = 0; index < addresses.Length; index++)
        {
            if (addresses[index] == address)
            {
                return true;
            }
        }
        return false;
    }

    // The groups this interface listens to: all-nodes and the solicited-node group of each of its
    // addresses (RFC 4291, 2.8).
    public bool IsJoined(Ipv6Address group)
    {
        if (group == Ipv6Address.AllNodes)
        {
            return true;
        }
        for (int index = 0; index < addresses.Length; index++)
        {
            if (addresses[index].SolicitedNode == group)
            {
                return true;
            }
        }
        return false;
    }

    // Whether a frame sent to mac is this interface's: its own address, or the 33:33 group
    // address of a group it joined (RFC 2464, 7). The devices do not filter, so this does.
    public bool AcceptsMac(MacAddress mac)
    {
        if (mac.Equals(link.Mac) || mac.Equals(Ipv6Address.AllNodes.MulticastMac))
        {
            return true;
        }
        for (int index = 0; index < addresses.Length; index++)
        {
            if (mac.Equals(addresses[index].SolicitedNode.MulticastMac))
            {
                return true;
            }
        }
        return false;
    }

    // On this link: the link-local prefix, one of the configured prefixes, or the advertised one.
    public bool IsOnLink(Ipv6Address destination)
    {
        if (routers.IsOnLinkPrefix(destination))
        {
            return true;
        }
        for (int index = 0; index < addresses.Length; index++)
        {
            if (destination.IsInSubnet(addresses[index], prefixLengths[index]))
            {
                return true;
            }
        }
        return false;
    }

    // The address a packet to destination leaves from (RFC 6724's first rules, as far as they
    // matter here): link-local for a link-local or multicast destination, else the configured
    // address whose prefix holds the destination, else the first configured one.
    public Ipv6Address SourceFor(Ipv6Address destination)
    {
        if (destination.IsLinkLocal || destination.IsMulticast || addresses.Length == 1)
        {
            return addresses[0];
        }
        for (int index = 1; index < addresses.Length; index++)
        {
            if (destination.IsInSubnet(addresses[index], prefixLengths[index]))
            {
                return addresses[index];
            }
        }
        return addresses[1];
    }

    // One IPv6 frame from the device (after its Ethernet header).
    public void Receive(Span<byte> bytes, in EthernetHeader ethernet) => Receive(bytes, ethernet, false);

    // checksumTrusted: the device vouched for the transport checksum (FrameOffload.ChecksumTrusted:
    // a TAP device's frame from the host may carry only the pseudo-header's sum), so UDP does not
    // check it.
    public void Receive(Span<byte> bytes, in EthernetHeader ethernet, bool checksumTrusted)
    {
        NetCounters counters = stack.Counters;
        counters.Ipv6Received++;
        if (!AcceptsMac(ethernet.Destination))
        {
            // Another host's unicast, or a group this interface did not join.
            counters.Ipv6NotForUs++;
            return;
        }
        if (!Ipv6Packet.TryWrap(bytes, out Ipv6Packet packet) || !Ipv6Header.TryParse(packet, out Ipv6Header header))
        {
            counters.Ipv6BadHeader++;
            return;
        }
        // NOTE: a multicast address is never a source (RFC 4291, 2.7), nor is the loopback address
        // on a wire (2.5.3).
        if (header.Source.IsMulticast || header.Source.IsLoopback || header.Destination.IsLoopback)
        {
            counters.Ipv6BadAddress++;
            return;
        }
        bool multicast = header.Destination.IsMulticast;
        if (multicast ? !IsJoined(header.Destination) : !IsOwn(header.Destination))
        {
            // Not ours: forwarding is a router's work, and this host does none.
            counters.Ipv6NotForUs++;
            return;
        }
        counters.Ipv6Delivered++;
        switch (header.NextHeader)
        {
            case IpProtocol.Icmpv6:
                ReceiveIcmpv6(header, packet.Payload, ethernet.Source);
                break;
            case IpProtocol.Udp:
                ReceiveUdp(header, packet, checksumTrusted);
                break;
            case IpProtocol.Tcp when stack.TransportFor(IpProtocol.Tcp) is IIpv6Transport tcp:
                // TCP answers what no socket takes with RST itself (RFC 9293, 3.10.7.1).
                tcp.Receive6(header.Source, header.Destination, packet.Payload, checksumTrusted);
                break;
            case Ipv6ExtensionHeader.HopByHop:
            case Ipv6ExtensionHeader.Routing:
            case Ipv6ExtensionHeader.Fragment:
            case Ipv6ExtensionHeader.DestinationOptions:
            case Ipv6ExtensionHeader.NoNextHeader:
                // Extension headers are not read yet: what carries one (an MLD query's router
                // alert, a fragment) is dropped, not answered as an unknown protocol. No next
                // header is dropped in any case (RFC 8200, 4.7).
                counters.Ipv6ExtensionDropped++;
                break;
            default:
                // RFC 8200, 4: a next header the host does not recognize is answered with a
                // parameter problem, code 1, pointing at the field; Linux does so too
                // (ip6_protocol_deliver_rcu), and the captured exchange in the tests shows it.
                counters.Ipv6UnknownNextHeader++;
                SendError(header, packet.Bytes, Icmpv6Header.ParameterProblem(Icmpv6Type.CodeUnrecognizedNextHeader, NextHeaderOffset));
                break;
        }
    }

    // UDP goes to the stack's UDP layer; a datagram no endpoint takes, or one that comes while no
    // program made a UDP socket, is answered with port unreachable (RFC 4443, 3.1, code 4; Linux's
    // __udp6_lib_rcv), but only once its checksum is right: a bad or zero one is dropped.
    private void ReceiveUdp(in Ipv6Header header, Ipv6Packet packet, bool checksumTrusted)
    {
        Span<byte> payload = packet.Payload;
        if (stack.TransportFor(IpProtocol.Udp) is IIpv6Transport udp)
        {
            if (udp.Receive6(header.Source, header.Destination, payload, checksumTrusted))
            {
                return;
            }
        }
        else if (!UdpDatagram.TryWrap(payload, out UdpDatagram datagram) ||
            !UdpHeader.TryParse(datagram, header.Source, header.Destination, checksumTrusted, out _))
        {
            return;
        }
        stack.Counters.Udp6NoPort++;
        SendError(header, packet.Bytes, Icmpv6Header.DestinationUnreachable(Icmpv6Type.CodePortUnreachable));
    }

    private void ReceiveIcmpv6(in Ipv6Header header, Span<byte> payload, MacAddress linkSource)
    {
        if (!Icmpv6Message.TryWrap(payload, out Icmpv6Message message) ||
            !Icmpv6Header.TryParse(message, header.Source, header.Destination, out Icmpv6Header icmp))
        {
            stack.Counters.Icmpv6Bad++;
            return;
        }
        switch (icmp.Type)
        {
            case Icmpv6Type.NeighborSolicitation:
                ReceiveSolicitation(header, message, linkSource);
                break;
            case Icmpv6Type.NeighborAdvertisement:
                ReceiveAdvertisement(header, message);
                break;
            case Icmpv6Type.RouterAdvertisement:
                routers.Receive(header, message);
                break;
            case Icmpv6Type.EchoRequest:
                if (KernelFeatures.IcmpEcho)
                {
                    AnswerEcho(header, payload, icmp);
                    return;
                }
                // UnikraftIcmpEcho=false: dropped unanswered, as with IPv4.
                stack.Counters.IcmpEchoIgnored++;
                break;
        }
    }

    // RFC 4861, 7.2.3 and 7.2.4: a solicitation for one of this interface's addresses teaches the
    // sender's link-layer address and is answered with an advertisement, to the sender (solicited)
    // or, for duplicate address detection from ::, to all nodes (unsolicited).
    private void ReceiveSolicitation(in Ipv6Header header, Icmpv6Message message, MacAddress linkSource)
    {
        if (!NdpNeighborMessage.TryParse(message, header, out NdpNeighborMessage solicitation))
        {
            stack.Counters.NeighborDropped++;
            return;
        }
        if (!IsOwn(solicitation.Target))
        {
            return;
        }
        long now = stack.Now;
        MacAddress answerTo = linkSource;
        if (!header.Source.IsUnspecified && solicitation.HasLinkLayerAddress)
        {
            NeighborEntry? entry = neighbors.Learn(header.Source, solicitation.LinkLayerAddress, now, true);
            if (entry != null)
            {
                SendQueued(entry);
            }
            answerTo = solicitation.LinkLayerAddress;
        }
        bool fromUnspecified = header.Source.IsUnspecified;
        Ipv6Address destination = fromUnspecified ? Ipv6Address.AllNodes : header.Source;
        NdpNeighborMessage advertisement = NdpNeighborMessage.Advertisement(solicitation.Target, !fromUnspecified, link.Mac);
        SendNeighborMessage(advertisement, solicitation.Target, destination, fromUnspecified ? destination.MulticastMac : answerTo);
        stack.Counters.NeighborAdvertisementsSent++;
    }

    // RFC 4861, 7.2.5: an advertisement updates an entry that exists (none is made for it).
    private void ReceiveAdvertisement(in Ipv6Header header, Icmpv6Message message)
    {
        if (!NdpNeighborMessage.TryParse(message, header, out NdpNeighborMessage advertisement) || IsOwn(advertisement.Target))
        {
            stack.Counters.NeighborDropped++;
            return;
        }
        long now = stack.Now;
        if (!advertisement.HasLinkLayerAddress)
        {
            if (advertisement.Solicited)
            {
                neighbors.Confirm(advertisement.Target, now);
            }
            return;
        }
        NeighborEntry? entry = neighbors.Learn(advertisement.Target, advertisement.LinkLayerAddress, now, false);
        if (entry != null)
        {
            SendQueued(entry);
        }
    }

    // RFC 4443, 4.2: the reply carries the request's identifier, sequence number and data; it
    // leaves from the address the request went to, or for a request to a group, from this
    // interface's link-local address.
    private void AnswerEcho(in Ipv6Header header, Span<byte> payload, in Icmpv6Header icmp)
    {
        if (icmp.Code != 0 || header.Source.IsUnspecified || payload.Length > scratch.Length - Ipv6Packet.HeaderLength)
        {
            return;
        }
        Ipv6Address source = header.Destination.IsMulticast ? SourceFor(header.Source) : header.Destination;
        Span<byte> reply = scratch.AsSpan(0, payload.Length);
        payload.CopyTo(reply);
        Icmpv6Message.TryWrap(reply, out Icmpv6Message replyMessage);
        new Icmpv6Header(Icmpv6Type.EchoReply, 0, icmp.RestOfHeader).Emit(replyMessage, source, header.Source);
        if (Output(source, header.Source, IpProtocol.Icmpv6, reply) == 0)
        {
            stack.Counters.Icmpv6EchoReplies++;
        }
    }

    // Sends an ICMPv6 error about a received packet, unless RFC 4443, 2.4 (e) forbids one: never
    // about an ICMPv6 error, a packet sent to a group, or one whose source is not one host. Errors
    // share the stack's rate limit (2.4 (f)).
    private void SendError(in Ipv6Header header, ReadOnlySpan<byte> offending, in Icmpv6Header error)
    {
        if (header.Destination.IsMulticast || header.Source.IsUnspecified || header.Source.IsMulticast)
        {
            return;
        }
        if (!stack.TakeIcmpToken())
        {
            stack.Counters.IcmpRateLimited++;
            return;
        }
        int quoted = Math.Min(offending.Length, Math.Min(ErrorLimit, scratch.Length) - Ipv6Packet.HeaderLength - Icmpv6Message.HeaderLength);
        Span<byte> message = scratch.AsSpan(0, Icmpv6Message.HeaderLength + quoted);
        offending.Slice(0, quoted).CopyTo(message.Slice(Icmpv6Message.HeaderLength));
        Icmpv6Message.TryWrap(message, out Icmpv6Message view);
        error.Emit(view, header.Destination, header.Source);
        if (Output(header.Destination, header.Source, IpProtocol.Icmpv6, message) == 0)
        {
            stack.Counters.Icmpv6ErrorsSent++;
        }
    }

    // Sends one packet to an on-link destination: at once when its link-layer address is known
    // (or it is a group), else behind a neighbor solicitation. 0, or -errno: -ENETUNREACH (not on
    // this link), -EMSGSIZE (longer than the MTU: this host does not fragment IPv6), -EHOSTUNREACH
    // (resolution gave up), -ENOBUFS.
    public int Output(Ipv6Address source, Ipv6Address destination, byte nextHeader, ReadOnlySpan<byte> payload)
    {
        if (Ipv6Packet.HeaderLength + payload.Length > link.Mtu)
        {
            return -Errno.EMSGSIZE;
        }
        if (destination.IsMulticast)
        {
            return Transmit(destination.MulticastMac, source, destination, nextHeader, payload, Ipv6Header.DefaultHopLimit);
        }
        Ipv6Address nextHop = NextHop(destination);
        if (nextHop.IsUnspecified)
        {
            return -Errno.ENETUNREACH;
        }
        long now = stack.Now;
        if (neighbors.TryLookup(nextHop, now, out MacAddress mac))
        {
            return Transmit(mac, source, destination, nextHeader, payload, Ipv6Header.DefaultHopLimit);
        }
        NeighborEntry? entry = neighbors.Resolving(nextHop, now);
        if (entry == null)
        {
            return -Errno.ENOBUFS;
        }
        if (entry.FailedUntil != 0)
        {
            if (entry.FailedUntil > now)
            {
                return -Errno.EHOSTUNREACH;
            }
            entry.FailedUntil = 0;
            entry.Requests = 0;
        }
        byte[] buffer = stack.Pool.Rent(payload.Length);
        payload.CopyTo(buffer);
        if (!neighbors.Enqueue(entry, new PendingPacket6(buffer, payload.Length, source, destination, nextHeader), stack.Pool, out bool droppedOne))
        {
            stack.Pool.Return(buffer);
            return -Errno.ENOBUFS;
        }
        if (droppedOne)
        {
            stack.Counters.NeighborQueueDropped++;
        }
        if (entry.Requests == 0)
        {
            SendSolicitation(entry, now);
        }
        return 0;
    }

    // As NetInterface.OutputTcpOffloaded, over IPv6: one TCP segment (its checksum field holding
    // the pseudo-header's sum) for the device to complete and, longer than the MTU allows, to cut
    // into segments of segmentSize data bytes; only to a neighbor whose link-layer address is known
    // (-EHOSTUNREACH otherwise, and TCP sends the pieces one by one, behind neighbor discovery).
    public int OutputTcpOffloaded(Ipv6Address source, Ipv6Address destination, ReadOnlySpan<byte> segment, int segmentSize)
    {
        int packetLength = Ipv6Packet.HeaderLength + segment.Length;
        if (SegmentOffload == 0 || packetLength > SegmentOffload || segment.Length < TcpSegment.HeaderLength || destination.IsMulticast)
        {
            return -Errno.EMSGSIZE;
        }
        if (!neighbors.TryLookup(NextHop(destination), stack.Now, out MacAddress mac))
        {
            return -Errno.EHOSTUNREACH;
        }
        int frameLength = EthernetFrame.HeaderLength + packetLength;
        Span<byte> frame = transmitBuffer.AsSpan(0, frameLength);
        EthernetFrame.TryWrap(frame, out EthernetFrame ethernet);
        new EthernetHeader(mac, link.Mac, EtherType.Ipv6).Emit(ethernet);
        new Ipv6Header(source, destination, IpProtocol.Tcp, segment.Length, Ipv6Header.DefaultHopLimit, 0, 0).TryEmit(ethernet.Payload);
        segment.CopyTo(ethernet.Payload.Slice(Ipv6Packet.HeaderLength));
        const int checksumStart = EthernetFrame.HeaderLength + Ipv6Packet.HeaderLength;
        FrameOffload offload = packetLength > link.Mtu
            ? FrameOffload.SegmentTcp6(checksumStart, TcpSegment.ChecksumOffset, checksumStart + TcpSegment.HeaderLengthOf(segment), segmentSize)
            : FrameOffload.CompleteChecksum(checksumStart, TcpSegment.ChecksumOffset);
        if (!link.Device.TryTransmit(frame, offload))
        {
            stack.Counters.TransmitRefused++;
            return -Errno.ENOBUFS;
        }
        stack.Counters.FramesSent++;
        if (offload.IsSegmented)
        {
            stack.Counters.SegmentOffloadsSent++;
        }
        return 0;
    }

    // Retries due solicitations, gives up on neighbors that never answered; returns the next deadline.
    public long Tick(long now)
    {
        List<NeighborEntry> due = neighbors.Due(now, out long next);
        next = Math.Min(next, routers.Tick(now));
        for (int index = 0; index < due.Count; index++)
        {
            NeighborEntry entry = due[index];
            if (entry.Requests >= NeighborCache.MaximumRequests)
            {
                stack.Counters.NeighborGaveUp++;
                stack.Counters.NeighborQueueDropped += neighbors.DropQueue(entry, stack.Pool);
                entry.FailedUntil = now + NeighborCache.FailedHold;
                continue;
            }
            SendSolicitation(entry, now);
            if (entry.NextRequest < next)
            {
                next = entry.NextRequest;
            }
        }
        return next;
    }

    private void SendQueued(NeighborEntry entry)
    {
        while (neighbors.TryDequeue(entry, out PendingPacket6 packet))
        {
            Transmit(entry.Mac, packet.Source, packet.Destination, packet.NextHeader, packet.Buffer.AsSpan(0, packet.Length),
                Ipv6Header.DefaultHopLimit);
            stack.Pool.Return(packet.Buffer);
        }
    }

    // RFC 4861, 7.2.2: a multicast solicitation to the target's solicited-node group, with this
    // host's link-layer address, from the address the waiting packets will leave from.
    private void SendSolicitation(NeighborEntry entry, long now)
    {
        entry.Requests++;
        entry.NextRequest = now + NeighborCache.RequestInterval;
        stack.ScheduleTick(entry.NextRequest);
        Ipv6Address group = entry.Address.SolicitedNode;
        SendNeighborMessage(NdpNeighborMessage.Solicitation(entry.Address, link.Mac), SourceFor(entry.Address), group, group.MulticastMac);
        stack.Counters.NeighborSolicitationsSent++;
    }

    // RFC 4861, 6.3.7: a router solicitation to all routers, from the link-local address, with
    // this host's link-layer address.
    internal void SendRouterSolicitation()
    {
        Span<byte> message = scratch.AsSpan(0, NdpRouterSolicitation.Length);
        message.Clear();
        Icmpv6Message.TryWrap(message, out Icmpv6Message view);
        Ipv6Address group = Ipv6Address.AllRouters;
        NdpRouterSolicitation.Emit(view, link.Mac, addresses[0], group);
        Transmit(group.MulticastMac, addresses[0], group, IpProtocol.Icmpv6, message, Ipv6Header.NeighborDiscoveryHopLimit);
        stack.Counters.RouterSolicitationsSent++;
    }

    // A router's link-layer address, from its advertisement (RFC 4861, 6.3.4).
    internal void LearnRouter(Ipv6Address router, MacAddress mac)
    {
        NeighborEntry? entry = neighbors.Learn(router, mac, stack.Now, true);
        if (entry != null)
        {
            SendQueued(entry);
        }
    }

    private void SendNeighborMessage(in NdpNeighborMessage neighbor, Ipv6Address source, Ipv6Address destination, MacAddress mac)
    {
        Span<byte> message = scratch.AsSpan(0, neighbor.Length);
        message.Clear();
        Icmpv6Message.TryWrap(message, out Icmpv6Message view);
        neighbor.Emit(view, source, destination);
        Transmit(mac, source, destination, IpProtocol.Icmpv6, message, Ipv6Header.NeighborDiscoveryHopLimit);
    }

    private int Transmit(MacAddress mac, Ipv6Address source, Ipv6Address destination, byte nextHeader, ReadOnlySpan<byte> payload,
        byte hopLimit)
    {
        int frameLength = EthernetFrame.HeaderLength + Ipv6Packet.HeaderLength + payload.Length;
        Span<byte> frame = transmitBuffer.AsSpan(0, frameLength);
        EthernetFrame.TryWrap(frame, out EthernetFrame ethernet);
        new EthernetHeader(mac, link.Mac, EtherType.Ipv6).Emit(ethernet);
        new Ipv6Header(source, destination, nextHeader, payload.Length, hopLimit, 0, 0).TryEmit(ethernet.Payload);
        payload.CopyTo(ethernet.Payload.Slice(Ipv6Packet.HeaderLength));
        if (!link.Device.TryTransmit(frame))
        {
            stack.Counters.TransmitRefused++;
            return -Errno.ENOBUFS;
        }
        stack.Counters.FramesSent++;
        return 0;
    }
}
