namespace Unikraft.Kernel;

using System;
using System.Buffers.Binary;

// A checked view over the bytes of one TCP segment (RFC 9293, 3.1): TryWrap checks once that
// the fixed header is there and that the data offset points inside the bytes, after which every
// field read never throws. Setters write through the view and need one made from writable
// bytes; on those they never throw either. No copies.
internal readonly ref struct TcpSegment
{
    // NOTE: the fixed header is five 32-bit words; the data offset counts words, 5..15, so the
    // header with its options is 20..60 bytes (RFC 9293, 3.1).
    public const int HeaderLength = 20;

    public const int MaximumHeaderLength = 60;

    // NOTE: the checksum field is bytes 16 and 17 of the header (RFC 9293, 3.1).
    public const int ChecksumOffset = 16;

    private readonly ReadOnlySpan<byte> bytes;
    private readonly Span<byte> writable;

    private TcpSegment(ReadOnlySpan<byte> bytes, Span<byte> writable)
    {
        this.bytes = bytes;
        this.writable = writable;
    }

    public static bool TryWrap(ReadOnlySpan<byte> bytes, out TcpSegment segment)
    {
        segment = default;
        if (!IsWellFormed(bytes))
        {
            return false;
        }
        segment = new TcpSegment(bytes, default);
        return true;
    }

    public static bool TryWrap(Span<byte> bytes, out TcpSegment segment)
    {
        segment = default;
        if (!IsWellFormed(bytes))
        {
            return false;
        }
        segment = new TcpSegment(bytes, bytes);
        return true;
    }

    // The header's length by its data offset, read from bytes that hold at least the fixed header.
    public static int HeaderLengthOf(ReadOnlySpan<byte> bytes) => (bytes[12] >> 4) * 4;

    // A view for emitting: only the fixed header must fit, since the data offset is not written
    // yet. Emit sets it before anything reads the options.
    public static bool TryWrapForEmit(Span<byte> bytes, out TcpSegment segment)
    {
        segment = default;
        if (bytes.Length < HeaderLength)
        {
            return false;
        }
        bytes[12] = (byte)(5 << 4);
        segment = new TcpSegment(bytes, bytes);
        return true;
    }

    private static bool IsWellFormed(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < HeaderLength)
        {
            return false;
        }
        int headerLength = (bytes[12] >> 4) * 4;
        return headerLength >= HeaderLength && headerLength <= bytes.Length;
    }

    public int Length => bytes.Length;

    public ReadOnlySpan<byte> Bytes => bytes;

    public ushort SourcePort => BinaryPrimitives.ReadUInt16BigEndian(bytes);

    public ushort DestinationPort => BinaryPrimitives.ReadUInt16BigEndian(bytes.Slice(2));

    public uint SequenceNumber => BinaryPrimitives.ReadUInt32BigEndian(bytes.Slice(4));

    public uint AcknowledgmentNumber => BinaryPrimitives.ReadUInt32BigEndian(bytes.Slice(8));

    // The header's length in bytes, options included (the data offset times four).
    public int DataOffset => (bytes[12] >> 4) * 4;

    public byte Flags => bytes[13];

    public ushort Window => BinaryPrimitives.ReadUInt16BigEndian(bytes.Slice(14));

    public ushort Checksum => BinaryPrimitives.ReadUInt16BigEndian(bytes.Slice(16));

    public ushort UrgentPointer => BinaryPrimitives.ReadUInt16BigEndian(bytes.Slice(18));

    public ReadOnlySpan<byte> Options => bytes.Slice(HeaderLength, Math.Min(DataOffset, bytes.Length) - HeaderLength);

    public ReadOnlySpan<byte> Payload => bytes.Slice(Math.Min(DataOffset, bytes.Length));

    public Span<byte> WritableOptions => writable.Slice(HeaderLength, Math.Min(DataOffset, writable.Length) - HeaderLength);

    public void SetSourcePort(ushort value) => BinaryPrimitives.WriteUInt16BigEndian(writable, value);

    public void SetDestinationPort(ushort value) => BinaryPrimitives.WriteUInt16BigEndian(writable.Slice(2), value);

    public void SetSequenceNumber(uint value) => BinaryPrimitives.WriteUInt32BigEndian(writable.Slice(4), value);

    public void SetAcknowledgmentNumber(uint value) => BinaryPrimitives.WriteUInt32BigEndian(writable.Slice(8), value);

    // length in bytes, a multiple of 4 in [20, 60] and within the view; the reserved bits are
    // written as zero (RFC 9293, 3.1: "must be zero in generated segments").
    public void SetDataOffset(int length) => writable[12] = (byte)((Math.Clamp(length, HeaderLength, Math.Min(MaximumHeaderLength, writable.Length)) / 4) << 4);

    public void SetFlags(byte value) => writable[13] = value;

    public void SetWindow(ushort value) => BinaryPrimitives.WriteUInt16BigEndian(writable.Slice(14), value);

    public void SetChecksum(ushort value) => BinaryPrimitives.WriteUInt16BigEndian(writable.Slice(16), value);

    public void SetUrgentPointer(ushort value) => BinaryPrimitives.WriteUInt16BigEndian(writable.Slice(18), value);

    // The checksum over the pseudo-header and the whole segment (RFC 9293, 3.1); over a segment
    // that holds its correct checksum this is 0.
    public ushort ComputeChecksum(Ipv4Address source, Ipv4Address destination)
    {
        uint sum = Unikraft.Kernel.Checksum.PseudoHeader(source, destination, IpProtocol.Tcp, bytes.Length);
        return Unikraft.Kernel.Checksum.Finish(Unikraft.Kernel.Checksum.Add(sum, bytes));
    }
}
