namespace Unikraft.Kernel;

using System;
using System.Buffers.Binary;

// A checked view over an IPv6 packet (RFC 8200, 3): the 40-byte fixed header and the payload
// its length field counts (extension headers included). TryWrap checks once that the header and
// the payload fit the bytes, so every field and the payload are in bounds after it; what the
// fields mean (the version) is the representation's to check.
internal readonly ref struct Ipv6Packet
{
    // NOTE: the fixed header is 40 bytes (RFC 8200, 3).
    public const int HeaderLength = 40;

    // NOTE: the payload length field is 16 bits (RFC 8200, 3); longer payloads are jumbograms
    // (RFC 2675), which need a hop-by-hop option this host does not read.
    public const int MaximumPayloadLength = 65535;

    // NOTE: every link carries at least 1280-byte packets (RFC 8200, 5).
    public const int MinimumMtu = 1280;

    private readonly Span<byte> bytes;

    private Ipv6Packet(Span<byte> bytes)
    {
        this.bytes = bytes;
    }

    // bytes may run past the packet (Ethernet padding); the view ends where the payload length
    // says. False when the bytes cannot hold the header and that payload.
    public static bool TryWrap(Span<byte> bytes, out Ipv6Packet packet)
    {
        packet = default;
        if (bytes.Length < HeaderLength)
        {
            return false;
        }
        int payloadLength = BinaryPrimitives.ReadUInt16BigEndian(bytes.Slice(4));
        if (HeaderLength + payloadLength > bytes.Length)
        {
            return false;
        }
        packet = new Ipv6Packet(bytes.Slice(0, HeaderLength + payloadLength));
        return true;
    }

    public Span<byte> Bytes => bytes;

    public int Version => bytes[0] >> 4;

    // The 8 bits after the version (RFC 8200, 7: the DS field and ECN).
    public byte TrafficClass => (byte)((BinaryPrimitives.ReadUInt32BigEndian(bytes) >> 20) & 0xFF);

    // The low 20 bits of the first word (RFC 8200, 6).
    public int FlowLabel => (int)(BinaryPrimitives.ReadUInt32BigEndian(bytes) & 0xF_FFFF);

    public int PayloadLength => BinaryPrimitives.ReadUInt16BigEndian(bytes.Slice(4));

    public byte NextHeader => bytes[6];

    public byte HopLimit => bytes[7];

    public Ipv6Address Source => Ipv6Address.Read(bytes.Slice(8));

    public Ipv6Address Destination => Ipv6Address.Read(bytes.Slice(24));

    public Span<byte> Header => bytes.Slice(0, HeaderLength);

    public Span<byte> Payload => bytes.Slice(HeaderLength);

    public void SetVersionClassAndFlow(byte trafficClass, int flowLabel)
    {
        BinaryPrimitives.WriteUInt32BigEndian(bytes, (6u << 28) | ((uint)trafficClass << 20) | ((uint)flowLabel & 0xF_FFFF));
    }

    public void SetPayloadLength(int value) => BinaryPrimitives.WriteUInt16BigEndian(bytes.Slice(4), (ushort)value);

    public void SetNextHeader(byte value) => bytes[6] = value;

    public void SetHopLimit(byte value) => bytes[7] = value;

    public void SetSource(Ipv6Address value) => value.Write(bytes.Slice(8));

    public void SetDestination(Ipv6Address value) => value.Write(bytes.Slice(24));
}

// A parsed IPv6 fixed header. IPv6 has no header checksum: the transports' checksums cover the
// addresses through the pseudo-header (RFC 8200, 8.1).
internal readonly record struct Ipv6Header(Ipv6Address Source, Ipv6Address Destination, byte NextHeader, int PayloadLength,
    byte HopLimit, byte TrafficClass, int FlowLabel)
{
    // NOTE: 64, Linux's default hop limit (net.ipv6.conf.all.hop_limit), as for IPv4's TTL.
    public const byte DefaultHopLimit = 64;

    // NOTE: Neighbor Discovery sends with 255 and receivers refuse anything else, so a message
    // cannot come from off the link (RFC 4861, 6.1.2 and 7.1).
    public const byte NeighborDiscoveryHopLimit = 255;

    // False for a version other than 6 (RFC 8200, 3); a packet whose length field runs past
    // the bytes is refused earlier, by TryWrap.
    public static bool TryParse(Ipv6Packet packet, out Ipv6Header header)
    {
        header = default;
        if (packet.Version != 6)
        {
            return false;
        }
        header = new Ipv6Header(packet.Source, packet.Destination, packet.NextHeader, packet.PayloadLength, packet.HopLimit,
            packet.TrafficClass, packet.FlowLabel);
        return true;
    }

    // Writes the 40-byte header at the start of packet; the payload is the caller's to put after it.
    public void Emit(Ipv6Packet packet)
    {
        packet.SetVersionClassAndFlow(TrafficClass, FlowLabel);
        packet.SetPayloadLength(PayloadLength);
        packet.SetNextHeader(NextHeader);
        packet.SetHopLimit(HopLimit);
        packet.SetSource(Source);
        packet.SetDestination(Destination);
    }

    // Emit needs a view, and a view needs its payload length in place first: this writes the
    // header into raw bytes (at least 40 + PayloadLength long) in one step.
    public bool TryEmit(Span<byte> bytes)
    {
        if (PayloadLength > Ipv6Packet.MaximumPayloadLength || bytes.Length < Ipv6Packet.HeaderLength + PayloadLength)
        {
            return false;
        }
        BinaryPrimitives.WriteUInt16BigEndian(bytes.Slice(4), (ushort)PayloadLength);
        if (!Ipv6Packet.TryWrap(bytes, out Ipv6Packet packet))
        {
            return false;
        }
        Emit(packet);
        return true;
    }
}

// The IPv6 extension headers the interface walks (Ipv6Interface.Dispatch), and "no next header".
// NOTE: numbers from RFC 8200, 4 (and the IANA protocol numbers registry).
internal static class Ipv6ExtensionHeader
{
    public const byte HopByHop = 0;

    public const byte Routing = 43;

    public const byte Fragment = 44;

    public const byte NoNextHeader = 59;

    public const byte DestinationOptions = 60;
}

// The fragment header (RFC 8200, 4.5): next header, a reserved byte, the offset of the data in
// 8-byte units in the high 13 bits of the next two bytes with the M (more fragments) flag in the
// lowest, and the 32-bit identification. Offset here is in bytes.
internal readonly record struct Ipv6FragmentHeader(byte NextHeader, int Offset, bool More, uint Identification)
{
    public const int Length = 8;

    // bytes: at least Length long.
    public static Ipv6FragmentHeader Read(ReadOnlySpan<byte> bytes)
    {
        ushort offsetAndFlag = BinaryPrimitives.ReadUInt16BigEndian(bytes.Slice(2));
        return new Ipv6FragmentHeader(bytes[0], offsetAndFlag & 0xFFF8, (offsetAndFlag & 1) != 0, BinaryPrimitives.ReadUInt32BigEndian(bytes.Slice(4)));
    }

    // Offset: a multiple of 8 below 65536.
    public void Write(Span<byte> bytes)
    {
        bytes[0] = NextHeader;
        bytes[1] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(bytes.Slice(2), (ushort)((Offset & 0xFFF8) | (More ? 1 : 0)));
        BinaryPrimitives.WriteUInt32BigEndian(bytes.Slice(4), Identification);
    }
}
