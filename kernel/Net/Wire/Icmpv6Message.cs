namespace Unikraft.Kernel;

using System;
using System.Buffers.Binary;

// The ICMPv6 message types and codes this stack sends or answers (RFC 4443, RFC 4861).
internal static class Icmpv6Type
{
    public const byte DestinationUnreachable = 1;

    public const byte PacketTooBig = 2;

    public const byte TimeExceeded = 3;

    public const byte ParameterProblem = 4;

    public const byte EchoRequest = 128;

    public const byte EchoReply = 129;

    // Neighbor Discovery (RFC 4861, 4).
    public const byte RouterSolicitation = 133;

    public const byte RouterAdvertisement = 134;

    public const byte NeighborSolicitation = 135;

    public const byte NeighborAdvertisement = 136;

    // Destination unreachable codes (RFC 4443, 3.1): what a UDP datagram to a closed port gets.
    public const byte CodePortUnreachable = 4;

    // NOTE: the other destination unreachable codes (RFC 4443, 3.1).
    public const byte CodeNoRoute = 0;

    public const byte CodeAdministrativelyProhibited = 1;

    public const byte CodeAddressUnreachable = 3;

    public const byte CodeSourcePolicyFailed = 5;

    public const byte CodeRejectRoute = 6;

    // Time exceeded codes (RFC 4443, 3.3).
    public const byte CodeHopLimitExceeded = 0;

    public const byte CodeReassemblyTimeExceeded = 1;

    // Parameter problem codes (RFC 4443, 3.4).
    public const byte CodeErroneousHeaderField = 0;

    public const byte CodeUnrecognizedNextHeader = 1;

    public const byte CodeUnrecognizedOption = 2;

    // NOTE: types 0 to 127 are errors, 128 to 255 informational (RFC 4443, 2.1); an error is never
    // answered with another (2.4 (e)).
    public static bool IsError(byte type) => type < 128;
}

// A checked view over an ICMPv6 message (RFC 4443, 2.1): type, code, checksum, then the message
// body, whose first four bytes are the rest of the header (identifier and sequence number for
// echo, the pointer of a parameter problem, the MTU of packet too big, flags of a neighbor
// advertisement). The checksum covers the IPv6 pseudo-header too, so the view's checksum members
// take the addresses.
internal readonly ref struct Icmpv6Message
{
    public const int HeaderLength = 8;

    // NOTE: the checksum field is at offset 2 (RFC 4443, 2.1).
    private const int ChecksumOffset = 2;

    private readonly Span<byte> bytes;

    private Icmpv6Message(Span<byte> bytes)
    {
        this.bytes = bytes;
    }

    // bytes is the whole message (the IPv6 payload), so the checksum covers exactly it.
    public static bool TryWrap(Span<byte> bytes, out Icmpv6Message message)
    {
        message = bytes.Length >= HeaderLength ? new Icmpv6Message(bytes) : default;
        return bytes.Length >= HeaderLength;
    }

    public Span<byte> Bytes => bytes;

    public byte Type => bytes[0];

    public byte Code => bytes[1];

    public ushort MessageChecksum => BinaryPrimitives.ReadUInt16BigEndian(bytes.Slice(ChecksumOffset));

    public uint RestOfHeader => BinaryPrimitives.ReadUInt32BigEndian(bytes.Slice(4));

    public Span<byte> Data => bytes.Slice(HeaderLength);

    // The checksum of RFC 4443, 2.3: the message and the pseudo-header of the packet it came in.
    public bool ChecksumIsValid(Ipv6Address source, Ipv6Address destination)
    {
        uint sum = Checksum.PseudoHeader(source, destination, IpProtocol.Icmpv6, bytes.Length);
        return Checksum.Finish(Checksum.Add(sum, bytes)) == 0;
    }

    public void SetType(byte value) => bytes[0] = value;

    public void SetCode(byte value) => bytes[1] = value;

    public void SetRestOfHeader(uint value) => BinaryPrimitives.WriteUInt32BigEndian(bytes.Slice(4), value);

    public void FillChecksum(Ipv6Address source, Ipv6Address destination)
    {
        BinaryPrimitives.WriteUInt16BigEndian(bytes.Slice(ChecksumOffset), 0);
        uint sum = Checksum.PseudoHeader(source, destination, IpProtocol.Icmpv6, bytes.Length);
        BinaryPrimitives.WriteUInt16BigEndian(bytes.Slice(ChecksumOffset), Checksum.Finish(Checksum.Add(sum, bytes)));
    }
}

// A parsed ICMPv6 header; the body after the first four bytes stays in the view. For echo,
// RestOfHeader is the identifier (high half) and the sequence number (low half); for a parameter
// problem it is the pointer, the offset in the quoted packet where the problem is (RFC 4443, 3.4).
internal readonly record struct Icmpv6Header(byte Type, byte Code, uint RestOfHeader)
{
    public ushort Identifier => (ushort)(RestOfHeader >> 16);

    public ushort SequenceNumber => (ushort)RestOfHeader;

    public static Icmpv6Header Echo(byte type, ushort identifier, ushort sequenceNumber)
    {
        return new Icmpv6Header(type, 0, ((uint)identifier << 16) | sequenceNumber);
    }

    // RFC 4443, 3.1: the 4 bytes after the checksum are unused, sent as zero.
    public static Icmpv6Header DestinationUnreachable(byte code)
    {
        return new Icmpv6Header(Icmpv6Type.DestinationUnreachable, code, 0);
    }

    public static Icmpv6Header ParameterProblem(byte code, uint pointer)
    {
        return new Icmpv6Header(Icmpv6Type.ParameterProblem, code, pointer);
    }

    // False for a bad checksum: RFC 4443, 2.3 has a message with a wrong one silently discarded.
    public static bool TryParse(Icmpv6Message message, Ipv6Address source, Ipv6Address destination, out Icmpv6Header header)
    {
        header = default;
        if (!message.ChecksumIsValid(source, destination))
        {
            return false;
        }
        header = new Icmpv6Header(message.Type, message.Code, message.RestOfHeader);
        return true;
    }

    // Writes the header into a view whose data the caller already put in place, then the
    // checksum over both and the pseudo-header of the packet it will leave in.
    public void Emit(Icmpv6Message message, Ipv6Address source, Ipv6Address destination)
    {
        message.SetType(Type);
        message.SetCode(Code);
        message.SetRestOfHeader(RestOfHeader);
        message.FillChecksum(source, destination);
    }
}
