namespace Unikraft.Kernel;

using System;
using System.Buffers.Binary;

// The Internet checksum (RFC 1071): the ones' complement of the ones' complement sum of the
// data as 16-bit big-endian words, an odd last byte padded with zero. IPv4 and ICMP sum their
// own bytes; UDP and TCP add the pseudo-header of RFC 768 and RFC 9293, 3.1; ICMPv6 adds IPv6's
// (RFC 8200, 8.1).
internal static class Checksum
{
    // The running 32-bit sum of bytes as big-endian words, added to sum. Feed pieces in order;
    // only the last piece may have an odd length.
    public static uint Add(uint sum, ReadOnlySpan<byte> bytes)
    {
        int index = 0;
        ulong wide = sum;
        while (index + 8 <= bytes.Length)
        {
            ulong word = BinaryPrimitives.ReadUInt64BigEndian(bytes.Slice(index));
            wide += (word >> 48) + ((word >> 32) & 0xFFFF) + ((word >> 16) & 0xFFFF) + (word & 0xFFFF);
            index += 8;
        }
        while (index + 2 <= bytes.Length)
        {
            wide += BinaryPrimitives.ReadUInt16BigEndian(bytes.Slice(index));
            index += 2;
        }
        if (index < bytes.Length)
        {
            wide += (uint)bytes[index] << 8;
        }
        while ((wide >> 32) != 0)
        {
            wide = (wide & 0xFFFF_FFFF) + (wide >> 32);
        }
        return (uint)wide;
    }

    // The sum of the IPv4 pseudo-header: source, destination, zero, protocol, and the length of
    // the transport header with its payload.
    public static uint PseudoHeader(Ipv4Address source, Ipv4Address destination, byte protocol, int length)
    {
        ulong sum = (source.Value >> 16) + (source.Value & 0xFFFF) + (destination.Value >> 16) + (destination.Value & 0xFFFF) +
            (uint)protocol + (uint)length;
        return (uint)((sum & 0xFFFF_FFFF) + (sum >> 32));
    }

    // The sum of the IPv6 pseudo-header (RFC 8200, 8.1): source, destination, the upper-layer
    // length as 32 bits, three zero bytes and the next header. ICMPv6 has it too (RFC 4443, 2.3).
    public static uint PseudoHeader(Ipv6Address source, Ipv6Address destination, byte nextHeader, int length)
    {
        ulong sum = Halves(source.High) + Halves(source.Low) + Halves(destination.High) + Halves(destination.Low) +
            ((uint)length >> 16) + ((uint)length & 0xFFFF) + nextHeader;
        while ((sum >> 32) != 0)
        {
            sum = (sum & 0xFFFF_FFFF) + (sum >> 32);
        }
        return (uint)sum;
    }

    private static ulong Halves(ulong value) => (value >> 48) + ((value >> 32) & 0xFFFF) + ((value >> 16) & 0xFFFF) + (value & 0xFFFF);

    // Folds a running sum to 16 bits and complements it: the value to write into a header.
    public static ushort Finish(uint sum)
    {
        while ((sum >> 16) != 0)
        {
            sum = (sum & 0xFFFF) + (sum >> 16);
        }
        return (ushort)~sum;
    }

    // The checksum of bytes alone (an IPv4 header, an ICMP message). Over bytes that already
    // hold their correct checksum it is 0.
    public static ushort Compute(ReadOnlySpan<byte> bytes) => Finish(Add(0, bytes));
}
