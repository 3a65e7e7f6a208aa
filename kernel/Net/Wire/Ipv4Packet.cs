namespace Unikraft.Kernel;

using System;
using System.Buffers.Binary;

// A checked view over an IPv4 datagram (RFC 791, 3.1). TryWrap checks once that the header
// length and the total length fit the bytes, so every field, the options and the payload are in
// bounds after it; what the fields mean (version, checksum) is the representation's to check.
internal readonly ref struct Ipv4Packet
{
    // NOTE: the fixed header is 20 bytes; IHL counts 32-bit words, so options run to 60 (RFC 791, 3.1).
    public const int MinimumHeaderLength = 20;

    public const int MaximumHeaderLength = 60;

    // NOTE: the total length field is 16 bits (RFC 791, 3.1).
    public const int MaximumLength = 65535;

    // NOTE: fragment offsets count 8-byte units (RFC 791, 3.1, "Fragment Offset").
    public const int FragmentUnit = 8;

    private const ushort DontFragmentBit = 0x4000;

    private const ushort MoreFragmentsBit = 0x2000;

    private const ushort OffsetMask = 0x1FFF;

    private readonly Span<byte> bytes;

    private Ipv4Packet(Span<byte> bytes)
    {
        this.bytes = bytes;
    }

    // bytes may run past the datagram (Ethernet padding); the view ends at its total length.
    public static bool TryWrap(Span<byte> bytes, out Ipv4Packet packet)
    {
        packet = default;
        if (bytes.Length < MinimumHeaderLength)
        {
            return false;
        }
        int headerLength = (bytes[0] & 0x0F) * 4;
        int totalLength = BinaryPrimitives.ReadUInt16BigEndian(bytes.Slice(2));
        if (headerLength < MinimumHeaderLength || totalLength < headerLength || totalLength > bytes.Length)
        {
            return false;
        }
        packet = new Ipv4Packet(bytes.Slice(0, totalLength));
        return true;
    }

    public Span<byte> Bytes => bytes;

    public int Version => bytes[0] >> 4;

    public int HeaderLength => (bytes[0] & 0x0F) * 4;

    public byte TypeOfService => bytes[1];

    public int TotalLength => BinaryPrimitives.ReadUInt16BigEndian(bytes.Slice(2));

    public ushort Identification => BinaryPrimitives.ReadUInt16BigEndian(bytes.Slice(4));

    public bool DontFragment => (FlagsAndOffset & DontFragmentBit) != 0;

    public bool MoreFragments => (FlagsAndOffset & MoreFragmentsBit) != 0;

    // In bytes (the field times 8).
    public int FragmentOffset => (FlagsAndOffset & OffsetMask) * FragmentUnit;

    public byte TimeToLive => bytes[8];

    public byte Protocol => bytes[9];

    public ushort HeaderChecksum => BinaryPrimitives.ReadUInt16BigEndian(bytes.Slice(10));

    public Ipv4Address Source => Ipv4Address.Read(bytes.Slice(12));

    public Ipv4Address Destination => Ipv4Address.Read(bytes.Slice(16));

    public Span<byte> Header => bytes.Slice(0, HeaderLength);

    public Span<byte> Options => bytes.Slice(MinimumHeaderLength, HeaderLength - MinimumHeaderLength);

    public Span<byte> Payload => bytes.Slice(HeaderLength);

    // True when the header, options included, sums to zero with its checksum (RFC 791, 3.1).
    public bool ChecksumIsValid => Checksum.Compute(Header) == 0;

    private ushort FlagsAndOffset => BinaryPrimitives.ReadUInt16BigEndian(bytes.Slice(6));

    public void SetVersionAndHeaderLength(int headerLength) => bytes[0] = (byte)(0x40 | (headerLength / 4));

    public void SetTypeOfService(byte value) => bytes[1] = value;

    public void SetTotalLength(int value) => BinaryPrimitives.WriteUInt16BigEndian(bytes.Slice(2), (ushort)value);

    public void SetIdentification(ushort value) => BinaryPrimitives.WriteUInt16BigEndian(bytes.Slice(4), value);

    // offset in bytes, a multiple of 8.
    public void SetFlagsAndOffset(bool dontFragment, bool moreFragments, int offset)
    {
        int value = (dontFragment ? DontFragmentBit : 0) | (moreFragments ? MoreFragmentsBit : 0) | ((offset / FragmentUnit) & OffsetMask);
        BinaryPrimitives.WriteUInt16BigEndian(bytes.Slice(6), (ushort)value);
    }

    public void SetTimeToLive(byte value) => bytes[8] = value;

    public void SetProtocol(byte value) => bytes[9] = value;

    public void SetSource(Ipv4Address value) => value.Write(bytes.Slice(12));

    public void SetDestination(Ipv4Address value) => value.Write(bytes.Slice(16));

    // Computes the header checksum over the header as it stands now and writes it.
    public void FillChecksum()
    {
        BinaryPrimitives.WriteUInt16BigEndian(bytes.Slice(10), 0);
        BinaryPrimitives.WriteUInt16BigEndian(bytes.Slice(10), Checksum.Compute(Header));
    }
}

// A parsed IPv4 header. Options are skipped on parse and never emitted (this host sends none);
// PayloadLength is the total length less the header.
internal readonly record struct Ipv4Header(Ipv4Address Source, Ipv4Address Destination, byte Protocol, int PayloadLength,
    byte TimeToLive, ushort Identification, bool DontFragment, bool MoreFragments, int FragmentOffset, byte TypeOfService)
{
    // NOTE: 64 is the TTL RFC 1700 recommended and Linux uses (net.ipv4.ip_default_ttl).
    public const byte DefaultTimeToLive = 64;

    // False for a version other than 4 or a bad header checksum (RFC 1122, 3.2.1.1 and 3.2.1.2:
    // a host MUST silently discard such datagrams).
    public static bool TryParse(Ipv4Packet packet, out Ipv4Header header)
    {
        header = default;
        if (packet.Version != 4 || !packet.ChecksumIsValid)
        {
            return false;
        }
        header = new Ipv4Header(packet.Source, packet.Destination, packet.Protocol, packet.TotalLength - packet.HeaderLength,
            packet.TimeToLive, packet.Identification, packet.DontFragment, packet.MoreFragments, packet.FragmentOffset,
            packet.TypeOfService);
        return true;
    }

    // A fragment is any datagram with more to follow or a non-zero offset (RFC 791, 3.2).
    public bool IsFragment => MoreFragments || FragmentOffset != 0;

    // Writes a 20-byte header, checksum included, at the start of packet; the payload is the
    // caller's to put after it. packet must hold MinimumHeaderLength + PayloadLength bytes.
    public void Emit(Ipv4Packet packet)
    {
        packet.SetVersionAndHeaderLength(Ipv4Packet.MinimumHeaderLength);
        packet.SetTypeOfService(TypeOfService);
        packet.SetTotalLength(Ipv4Packet.MinimumHeaderLength + PayloadLength);
        packet.SetIdentification(Identification);
        packet.SetFlagsAndOffset(DontFragment, MoreFragments, FragmentOffset);
        packet.SetTimeToLive(TimeToLive);
        packet.SetProtocol(Protocol);
        packet.SetSource(Source);
        packet.SetDestination(Destination);
        packet.FillChecksum();
    }

    // Emit needs a view, and a view needs its total length in place first: this writes the header
    // into raw bytes (at least 20 + PayloadLength long) in one step.
    public bool TryEmit(Span<byte> bytes)
    {
        int total = Ipv4Packet.MinimumHeaderLength + PayloadLength;
        if (bytes.Length < total || total > Ipv4Packet.MaximumLength)
        {
            return false;
        }
        bytes[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(bytes.Slice(2), (ushort)total);
        if (!Ipv4Packet.TryWrap(bytes, out Ipv4Packet packet))
        {
            return false;
        }
        Emit(packet);
        return true;
    }
}
