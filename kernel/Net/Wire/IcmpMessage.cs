namespace Unikraft.Kernel;

using System;
using System.Buffers.Binary;

// The ICMP message types and codes this stack sends or answers (RFC 792).
internal static class IcmpType
{
    public const byte EchoReply = 0;

    public const byte DestinationUnreachable = 3;

    public const byte EchoRequest = 8;

    public const byte TimeExceeded = 11;

    // Destination unreachable codes (RFC 792, "Destination Unreachable Message").
    public const byte CodeNetUnreachable = 0;

    public const byte CodeHostUnreachable = 1;

    public const byte CodeProtocolUnreachable = 2;

    public const byte CodePortUnreachable = 3;

    public const byte CodeFragmentationNeeded = 4;

    // Time exceeded codes.
    public const byte CodeTtlExceeded = 0;

    public const byte CodeReassemblyTimeExceeded = 1;

    // An error message (as opposed to a query): RFC 1122, 3.2.2 forbids answering one with another.
    public static bool IsError(byte type)
    {
        // NOTE: 3 destination unreachable, 4 source quench, 5 redirect, 11 time exceeded,
        // 12 parameter problem are the error types of RFC 792.
        return type == 3 || type == 4 || type == 5 || type == 11 || type == 12;
    }
}

// A checked view over an ICMP message (RFC 792): type, code, checksum, four bytes whose meaning
// depends on the type (identifier and sequence number for echo, unused for unreachable), and the
// data (echo's payload, or the quoted IP header and 8 bytes of the datagram that caused an error).
internal readonly ref struct IcmpMessage
{
    public const int HeaderLength = 8;

    private readonly Span<byte> bytes;

    private IcmpMessage(Span<byte> bytes)
    {
        this.bytes = bytes;
    }

    // bytes is the whole message (the IPv4 payload), so the checksum covers exactly it.
    public static bool TryWrap(Span<byte> bytes, out IcmpMessage message)
    {
        message = bytes.Length >= HeaderLength ? new IcmpMessage(bytes) : default;
        return bytes.Length >= HeaderLength;
    }

    public Span<byte> Bytes => bytes;

    public byte Type => bytes[0];

    public byte Code => bytes[1];

    public ushort MessageChecksum => BinaryPrimitives.ReadUInt16BigEndian(bytes.Slice(2));

    public uint RestOfHeader => BinaryPrimitives.ReadUInt32BigEndian(bytes.Slice(4));

    public ushort Identifier => BinaryPrimitives.ReadUInt16BigEndian(bytes.Slice(4));

    public ushort SequenceNumber => BinaryPrimitives.ReadUInt16BigEndian(bytes.Slice(6));

    public Span<byte> Data => bytes.Slice(HeaderLength);

    // The checksum covers the whole message (RFC 792).
    public bool ChecksumIsValid => Checksum.Compute(bytes) == 0;

    public void SetType(byte value) => bytes[0] = value;

    public void SetCode(byte value) => bytes[1] = value;

    public void SetRestOfHeader(uint value) => BinaryPrimitives.WriteUInt32BigEndian(bytes.Slice(4), value);

    public void FillChecksum()
    {
        BinaryPrimitives.WriteUInt16BigEndian(bytes.Slice(2), 0);
        BinaryPrimitives.WriteUInt16BigEndian(bytes.Slice(2), Checksum.Compute(bytes));
    }
}

// A parsed ICMP header; the data stays in the view. For echo, RestOfHeader is the identifier
// (high half) and the sequence number (low half); for destination unreachable it is zero
// (RFC 792) unless code 4 carries the next hop's MTU in its low half (RFC 1191, 4).
internal readonly record struct IcmpHeader(byte Type, byte Code, uint RestOfHeader)
{
    public ushort Identifier => (ushort)(RestOfHeader >> 16);

    public ushort SequenceNumber => (ushort)RestOfHeader;

    public static IcmpHeader Echo(byte type, ushort identifier, ushort sequenceNumber)
    {
        return new IcmpHeader(type, 0, ((uint)identifier << 16) | sequenceNumber);
    }

    public static IcmpHeader Unreachable(byte code)
    {
        return new IcmpHeader(IcmpType.DestinationUnreachable, code, 0);
    }

    // False for a bad checksum (RFC 1122, 3.2.2: a message with a bad checksum is dropped).
    public static bool TryParse(IcmpMessage message, out IcmpHeader header)
    {
        header = default;
        if (!message.ChecksumIsValid)
        {
            return false;
        }
        header = new IcmpHeader(message.Type, message.Code, message.RestOfHeader);
        return true;
    }

    // Writes the header into a view whose data the caller already put in place, then the
    // checksum over both.
    public void Emit(IcmpMessage message)
    {
        message.SetType(Type);
        message.SetCode(Code);
        message.SetRestOfHeader(RestOfHeader);
        message.FillChecksum();
    }
}
