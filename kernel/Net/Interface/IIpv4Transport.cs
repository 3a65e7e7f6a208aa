namespace Unikraft.Kernel;

using System;

// What a transport (UDP, TCP) sees of the IPv4 layer below it: a way to send a datagram and to
// learn which address it would leave from. Protocol code never does I/O of its own; it hands
// its bytes here, so the same TCP runs over a device, over loopback or in a test.
internal interface IIpv4Output
{
    // Sends one IPv4 datagram carrying payload (the transport header and its data, checksum
    // already set). 0 when it left or was queued (behind ARP resolution), else -errno:
    // -ENETUNREACH (no route), -EHOSTUNREACH (ARP gave up), -EMSGSIZE (longer than an IPv4
    // datagram can be), -ENOBUFS (the device's queue is full).
    int Send(Ipv4Address source, Ipv4Address destination, byte protocol, ReadOnlySpan<byte> payload);

    // The local address a datagram to destination leaves from; false when no route reaches it.
    bool TrySelectSource(Ipv4Address destination, out Ipv4Address source);

    // The largest transport payload (header included) one datagram to destination carries
    // unfragmented: the route's MTU less the 20-byte IPv4 header.
    int MaximumPayloadTo(Ipv4Address destination);

    // The largest TCP segment (header included) one datagram to destination may carry for the
    // route's device to cut into segments of at most MaximumPayloadTo itself (TCP segmentation
    // offload, FrameOffload); 0 when the route's device cannot, or the destination is this host.
    int SegmentOffloadTo(Ipv4Address destination);

    // Sends one TCP segment whose checksum field holds the sum of its pseudo-header (folded, not
    // complemented) for the route's device to complete, and, when it is longer than
    // MaximumPayloadTo, to cut into segments of segmentSize data bytes; only when
    // SegmentOffloadTo(destination) is not 0. 0 when it left, else -errno as Send's.
    int SendTcpOffloaded(Ipv4Address source, Ipv4Address destination, ReadOnlySpan<byte> segment, int segmentSize);
}

// A transport as the IPv4 layer sees it: the datagrams addressed to this host with its
// protocol number, already checked (header checksum, length, reassembled).
internal interface IIpv4Transport
{
    // One of IpProtocol's numbers.
    byte Protocol { get; }

    // payload is the transport header and data; it is valid only during the call. checksumTrusted:
    // the device it came from vouched for its checksum (FrameOffload.ChecksumTrusted: the host
    // checked it, or it never crossed a wire), so the transport does not check it. Returns false
    // when no endpoint wants it (a closed UDP port), so the layer answers with ICMP port
    // unreachable where RFC 1122 says to.
    bool Receive(Ipv4Address source, Ipv4Address destination, ReadOnlySpan<byte> payload, bool checksumTrusted);
}

// A transport that hears ICMP errors about the datagrams it sent (RFC 1122, 3.2.2.1 and 4.1.3.3:
// an ICMP error is passed up to the transport the quoted datagram belongs to).
internal interface IIcmpErrorTransport
{
    // type and code are the ICMP message's; local and remote are the quoted datagram's source
    // (this host) and destination; quotedTransport is at least the first 8 bytes of its transport
    // header (ports, for UDP and TCP).
    void ReceiveIcmpError(byte type, byte code, Ipv4Address local, Ipv4Address remote, ReadOnlySpan<byte> quotedTransport);
}

// What a transport sees of the IPv6 side of the stack (Ipv6Interface): the same calls as
// IIpv4Output's, for the interfaces given IPv6 addresses: on-link destinations, and the others
// through an interface's default router.
internal interface IIpv6Output
{
    // Sends one IPv6 packet carrying payload (checksum already set). 0, or -errno as
    // Ipv6Interface.Output answers (-ENETUNREACH: no interface's link holds destination and none
    // has a router). A payload longer than the path MTU allows leaves in fragments.
    int Send6(Ipv6Address source, Ipv6Address destination, byte nextHeader, ReadOnlySpan<byte> payload);

    // The local address a packet to destination leaves from; false when no interface reaches it.
    bool TrySelectSource6(Ipv6Address destination, out Ipv6Address source);

    // One of this host's IPv6 addresses (any interface's).
    bool IsLocal6(Ipv6Address address);

    // The largest transport payload (header included) one packet to destination carries
    // unfragmented: the path's MTU (the route's, or less after a packet too big, RFC 8201) less the
    // 40-byte IPv6 header; 0 when no interface reaches it.
    int MaximumPayloadTo6(Ipv6Address destination);

    // A transport's word that destination answers (a connection's forward progress): its next
    // hop's neighbor entry is confirmed reachable (RFC 4861, 7.3.1), so it is not probed.
    void ConfirmReachable6(Ipv6Address destination);

    // As IIpv4Output.SegmentOffloadTo and SendTcpOffloaded, over IPv6 (virtio's GSO_TCPV6).
    int SegmentOffloadTo6(Ipv6Address destination);

    int SendTcpOffloaded6(Ipv6Address source, Ipv6Address destination, ReadOnlySpan<byte> segment, int segmentSize);
}

// The IPv6 side of an output with none (a test's IPv4-only one): nothing is reachable or local.
internal sealed class NoIpv6 : IIpv6Output
{
    public static readonly NoIpv6 Instance = new NoIpv6();

    public int Send6(Ipv6Address source, Ipv6Address destination, byte nextHeader, ReadOnlySpan<byte> payload) => -Errno.ENETUNREACH;

    public bool TrySelectSource6(Ipv6Address destination, out Ipv6Address source)
    {
        source = default;
        return false;
    }

    public bool IsLocal6(Ipv6Address address) => false;

    public int MaximumPayloadTo6(Ipv6Address destination) => 0;

    public void ConfirmReachable6(Ipv6Address destination)
    {
    }

    public int SegmentOffloadTo6(Ipv6Address destination) => 0;

    public int SendTcpOffloaded6(Ipv6Address source, Ipv6Address destination, ReadOnlySpan<byte> segment, int segmentSize) => -Errno.ENETUNREACH;
}

// A transport that hears ICMPv6 errors about the packets it sent (RFC 4443, 2.4 (a)), as
// IIcmpErrorTransport does over IPv4.
internal interface IIcmpv6ErrorTransport
{
    // type and code are the ICMPv6 message's, restOfHeader its 4 bytes after the checksum (the MTU
    // of a packet too big); local and remote are the quoted packet's source (this host) and
    // destination; quotedTransport is at least the first 8 bytes of its transport header.
    void ReceiveIcmpv6Error(byte type, byte code, uint restOfHeader, Ipv6Address local, Ipv6Address remote, ReadOnlySpan<byte> quotedTransport);
}

// A transport that also takes IPv6 packets of its next header (UDP and TCP do): already checked by
// Ipv6Interface (version, lengths, an address of this host). False when no endpoint wants it,
// so the interface answers with ICMPv6 port unreachable (RFC 4443, 3.1).
internal interface IIpv6Transport
{
    // checksumTrusted: as IIpv4Transport.Receive's, the device vouched for the checksum.
    bool Receive6(Ipv6Address source, Ipv6Address destination, ReadOnlySpan<byte> payload, bool checksumTrusted);
}
