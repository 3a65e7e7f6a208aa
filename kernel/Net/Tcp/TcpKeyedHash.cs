namespace Unikraft.Kernel;

using System;
using System.Buffers.Binary;
using System.Numerics;

// SipHash-2-4 (Aumasson and Bernstein, "SipHash: a fast short-input PRF", 2012) under a secret
// drawn once per stack: the pseudo-random function F of RFC 6528's initial sequence numbers, of
// the timestamp offsets RFC 7323, 7.1 asks for, of the ephemeral port search's start
// (RFC 6056, 3.3.3) and of SYN cookies (RFC 4987, 3.6). Without the key an off-path attacker cannot predict any of them.
internal sealed class TcpKeyedHash
{
    private readonly ulong key0;
    private readonly ulong key1;

    public TcpKeyedHash(ulong key0, ulong key1)
    {
        this.key0 = key0;
        this.key1 = key1;
    }

    // The hash of a connection's 4-tuple with a salt that keeps different uses apart.
    public ulong Hash(TcpEndpoints endpoints, uint salt)
    {
        Span<byte> message = stackalloc byte[MaximumTupleLength + 4];
        int length = WriteTuple(endpoints, message);
        BinaryPrimitives.WriteUInt32LittleEndian(message.Slice(length), salt);
        return Hash(message.Slice(0, length + 4));
    }

    // The hash of a 4-tuple, a salt and two more words (a SYN cookie's peer sequence number and
    // time counter).
    public ulong Hash(TcpEndpoints endpoints, uint salt, uint first, uint second)
    {
        Span<byte> message = stackalloc byte[MaximumTupleLength + 12];
        int length = WriteTuple(endpoints, message);
        BinaryPrimitives.WriteUInt32LittleEndian(message.Slice(length), salt);
        BinaryPrimitives.WriteUInt32LittleEndian(message.Slice(length + 4), first);
        BinaryPrimitives.WriteUInt32LittleEndian(message.Slice(length + 8), second);
        return Hash(message.Slice(0, length + 12));
    }

    // NOTE: two 16-byte addresses and two ports.
    private const int MaximumTupleLength = 36;

    // The addresses and ports the hash covers: 4 bytes an address for an IPv4 4-tuple (the message
    // IPv4 always had), the whole 16 for IPv6 (RFC 6528, 3: F covers the addresses whatever their
    // family). Returns the bytes written.
    private static int WriteTuple(TcpEndpoints endpoints, Span<byte> message)
    {
        if (endpoints.IsIpv4)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(message, endpoints.LocalAddress.Value);
            BinaryPrimitives.WriteUInt32LittleEndian(message.Slice(4), endpoints.RemoteAddress.Value);
            BinaryPrimitives.WriteUInt16LittleEndian(message.Slice(8), endpoints.LocalPort);
            BinaryPrimitives.WriteUInt16LittleEndian(message.Slice(10), endpoints.RemotePort);
            return 12;
        }
        endpoints.LocalAddress6.Write(message);
        endpoints.RemoteAddress6.Write(message.Slice(16));
        BinaryPrimitives.WriteUInt16LittleEndian(message.Slice(32), endpoints.LocalPort);
        BinaryPrimitives.WriteUInt16LittleEndian(message.Slice(34), endpoints.RemotePort);
        return MaximumTupleLength;
    }

    public ulong Hash(ReadOnlySpan<byte> message)
    {
        // NOTE: the initial state is the key XORed with "somepseudorandomlygeneratedbytes"
        // (SipHash paper, 2.1).
        ulong v0 = key0 ^ 0x736f6d6570736575UL;
        ulong v1 = key1 ^ 0x646f72616e646f6dUL;
        ulong v2 = key0 ^ 0x6c7967656e657261UL;
        ulong v3 = key1 ^ 0x7465646279746573UL;
        int index = 0;
        while (index + 8 <= message.Length)
        {
            ulong word = BinaryPrimitives.ReadUInt64LittleEndian(message.Slice(index));
            v3 ^= word;
            Round(ref v0, ref v1, ref v2, ref v3);
            Round(ref v0, ref v1, ref v2, ref v3);
            v0 ^= word;
            index += 8;
        }
        // The last word: the remaining bytes, little-endian, with the length in the top byte.
        ulong last = (ulong)(message.Length & 0xFF) << 56;
        for (int shift = 0; index < message.Length; index++, shift += 8)
        {
            last |= (ulong)message[index] << shift;
        }
        v3 ^= last;
        Round(ref v0, ref v1, ref v2, ref v3);
        Round(ref v0, ref v1, ref v2, ref v3);
        v0 ^= last;
        v2 ^= 0xFF;
        for (int round = 0; round < 4; round++)
        {
            Round(ref v0, ref v1, ref v2, ref v3);
        }
        return v0 ^ v1 ^ v2 ^ v3;
    }

    private static void Round(ref ulong v0, ref ulong v1, ref ulong v2, ref ulong v3)
    {
        v0 += v1;
        v1 = BitOperations.RotateLeft(v1, 13);
        v1 ^= v0;
        v0 = BitOperations.RotateLeft(v0, 32);
        v2 += v3;
        v3 = BitOperations.RotateLeft(v3, 16);
        v3 ^= v2;
        v0 += v3;
        v3 = BitOperations.RotateLeft(v3, 21);
        v3 ^= v0;
        v2 += v1;
        v1 = BitOperations.RotateLeft(v1, 17);
        v1 ^= v2;
        v2 = BitOperations.RotateLeft(v2, 32);
    }
}
