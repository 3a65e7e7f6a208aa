namespace Unikraft.Kernel;

using System;
using System.Buffers.Binary;

// A checked view over a UDP datagram (RFC 768): ports, length, checksum, payload. TryWrap checks
// that the length field is at least the header and fits the bytes, so the payload is in bounds.
internal readonly ref struct UdpDatagram
{
    public const int HeaderLength = 8;

    // NOTE: an IPv4 datagram holds at most 65535 - 20 (IP header) - 8 (UDP header) bytes of UDP
    // payload (udp(7): EMSGSIZE above it).
    public const int MaximumPayloadLength = Ipv4Packet.MaximumLength - Ipv4Packet.MinimumHeaderLength - HeaderLength;

    private readonly Span<byte> bytes;

    private UdpDatagram(Span<byte> bytes)
    {
        this.bytes = bytes;
    }

    // bytes is the IPv4 payload; the view ends at the UDP length field.
    public static bool TryWrap(Span<byte> bytes, out UdpDatagram datagram)
    {
        datagram = default;
        if (bytes.Length < HeaderLength)
        {
            return false;
        }
        int length = BinaryPrimitives.ReadUInt16BigEndian(bytes.Slice(4));
        if (length < HeaderLength || length > bytes.Length)
        {
            return false;
        }
        datagram = new UdpDatagram(bytes.Slice(0, length));
        return true;
    }

    public Span<byte> Bytes => bytes;

    public ushort SourcePort => BinaryPrimitives.ReadUInt16BigEndian(bytes);

    public ushort DestinationPort => BinaryPrimitives.ReadUInt16BigEndian(bytes.Slice(2));

    public int Length => BinaryPrimitives.ReadUInt16BigEndian(bytes.Slice(4));

    public ushort DatagramChecksum => BinaryPrimitives.ReadUInt16BigEndian(bytes.Slice(6));

    public Span<byte> Payload => bytes.Slice(HeaderLength);

    public void SetSourcePort(ushort value) => BinaryPrimitives.WriteUInt16BigEndian(bytes, value);

    public void SetDestinationPort(ushort value) => BinaryPrimitives.WriteUInt16BigEndian(bytes.Slice(2), value);

    public void SetLength(int value) => BinaryPrimitives.WriteUInt16BigEndian(bytes.Slice(4), (ushort)value);

    public void SetChecksum(ushort value) => BinaryPrimitives.WriteUInt16BigEndian(bytes.Slice(6), value);

    // The checksum over the pseudo-header, the header and the payload (RFC 768).
    public ushort ComputeChecksum(Ipv4Address source, Ipv4Address destination)
    {
        uint sum = Checksum.PseudoHeader(source, destination, IpProtocol.Udp, bytes.Length);
        return Checksum.Finish(Checksum.Add(sum, bytes));
    }

    // Zero in the field means the sender computed none, which IPv4 allows (RFC 768); otherwise
    // the sum over everything, the field included, must come out zero.
    public bool ChecksumIsValid(Ipv4Address source, Ipv4Address destination)
    {
        return DatagramChecksum == 0 || ComputeChecksum(source, destination) == 0;
    }

    // The checksum over the IPv6 pseudo-header (RFC 8200, 8.1), the header and the payload.
    public ushort ComputeChecksum(Ipv6Address source, Ipv6Address destination)
    {
        uint sum = Checksum.PseudoHeader(source, destination, IpProtocol.Udp, bytes.Length);
        return Checksum.Finish(Checksum.Add(sum, bytes));
    }

    // NOTE: over IPv6 the checksum is mandatory (RFC 8200, 8.1): a zero in the field is a bad
    // datagram, dropped as Linux's udp6 input drops it.
    public bool ChecksumIsValid(Ipv6Address source, Ipv6Address destination)
    {
        return DatagramChecksum != 0 && ComputeChecksum(source, destination) == 0;
    }
}

// The parsed header of a UDP datagram.
internal readonly record struct UdpHeader(ushort SourcePort, ushort DestinationPort)
{
    // False for a bad checksum (RFC 1122, 4.1.3.4: silently discarded) or a zero destination port.
    public static bool TryParse(UdpDatagram datagram, Ipv4Address source, Ipv4Address destination, out UdpHeader header) =>
        TryParse(datagram, source, destination, false, out header);

    // checksumTrusted: the device vouched for the checksum (FrameOffload.ChecksumTrusted), which
    // may then hold only the pseudo-header's sum, and is not checked.
    public static bool TryParse(UdpDatagram datagram, Ipv4Address source, Ipv4Address destination, bool checksumTrusted, out UdpHeader header)
    {
        header = default;
        if ((!checksumTrusted && !datagram.ChecksumIsValid(source, destination)) || datagram.DestinationPort == 0)
        {
            return false;
        }
        header = new UdpHeader(datagram.SourcePort, datagram.DestinationPort);
        return true;
    }

    // Over IPv6: false for a bad or a zero checksum (RFC 8200, 8.1) or a zero destination port.
    // checksumTrusted: the device vouched for it (FrameOffload.ChecksumTrusted), as over IPv4.
    public static bool TryParse(UdpDatagram datagram, Ipv6Address source, Ipv6Address destination, bool checksumTrusted, out UdpHeader header)
    {
        header = default;
        if ((!checksumTrusted && !datagram.ChecksumIsValid(source, destination)) || datagram.DestinationPort == 0)
        {
            return false;
        }
        header = new UdpHeader(datagram.SourcePort, datagram.DestinationPort);
        return true;
    }

    // Writes the header of a datagram whose payload the caller already put in place after it.
    // datagram must hold exactly HeaderLength + payloadLength bytes.
    public void Emit(UdpDatagram datagram, Ipv4Address source, Ipv4Address destination, int payloadLength)
    {
        datagram.SetSourcePort(SourcePort);
        datagram.SetDestinationPort(DestinationPort);
        datagram.SetLength(UdpDatagram.HeaderLength + payloadLength);
        datagram.SetChecksum(0);
        ushort sum = datagram.ComputeChecksum(source, destination);
        // NOTE: a computed zero is sent as all ones, since zero means "no checksum" (RFC 768).
        datagram.SetChecksum(sum == 0 ? (ushort)0xFFFF : sum);
    }

    // As Emit, on raw bytes whose length field is not yet set (the view needs it to wrap).
    public bool TryEmit(Span<byte> bytes, Ipv4Address source, Ipv4Address destination, int payloadLength)
    {
        int length = UdpDatagram.HeaderLength + payloadLength;
        if (payloadLength < 0 || payloadLength > UdpDatagram.MaximumPayloadLength || bytes.Length < length)
        {
            return false;
        }
        BinaryPrimitives.WriteUInt16BigEndian(bytes.Slice(4), (ushort)length);
        if (!UdpDatagram.TryWrap(bytes.Slice(0, length), out UdpDatagram datagram))
        {
            return false;
        }
        Emit(datagram, source, destination, payloadLength);
        return true;
    }

    // As TryEmit, over IPv6: the checksum covers the IPv6 pseudo-header; a computed zero is sent
    // as all ones there too (RFC 8200, 8.1).
    public bool TryEmit(Span<byte> bytes, Ipv6Address source, Ipv6Address destination, int payloadLength)
    {
        int length = UdpDatagram.HeaderLength + payloadLength;
        if (payloadLength < 0 || payloadLength > UdpDatagram.MaximumPayloadLength || bytes.Length < length)
        {
            return false;
        }
        BinaryPrimitives.WriteUInt16BigEndian(bytes.Slice(4), (ushort)length);
        if (!UdpDatagram.TryWrap(bytes.Slice(0, length), out UdpDatagram datagram))
        {
            return false;
        }
        datagram.SetSourcePort(SourcePort);
        datagram.SetDestinationPort(DestinationPort);
        datagram.SetChecksum(0);
        ushort sum = datagram.ComputeChecksum(source, destination);
        datagram.SetChecksum(sum == 0 ? (ushort)0xFFFF : sum);
        return true;
    }
}
