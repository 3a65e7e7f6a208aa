namespace Unikraft.Kernel;

using System;
using System.Buffers.Binary;
using System.Globalization;

// A 32-bit IPv4 address, held in host order so comparisons and masks read as arithmetic.
internal readonly struct Ipv4Address : IEquatable<Ipv4Address>
{
    public const int Length = 4;

    private readonly uint value;

    public Ipv4Address(uint value)
    {
        this.value = value;
    }

    public Ipv4Address(byte a, byte b, byte c, byte d)
    {
        value = ((uint)a << 24) | ((uint)b << 16) | ((uint)c << 8) | d;
    }

    public static Ipv4Address Any => new Ipv4Address(0);

    public static Ipv4Address Broadcast => new Ipv4Address(0xFFFF_FFFF);

    public static Ipv4Address Loopback => new Ipv4Address(127, 0, 0, 1);

    public uint Value => value;

    public bool IsAny => value == 0;

    public bool IsBroadcast => value == 0xFFFF_FFFF;

    // NOTE: 127.0.0.0/8 is the loopback network (RFC 1122, 3.2.1.3 (g)).
    public bool IsLoopback => (value >> 24) == 127;

    // NOTE: 224.0.0.0/4 is the multicast range (RFC 5771).
    public bool IsMulticast => (value >> 28) == 0xE;

    public static Ipv4Address Read(ReadOnlySpan<byte> bytes) => new Ipv4Address(BinaryPrimitives.ReadUInt32BigEndian(bytes));

    public void Write(Span<byte> bytes) => BinaryPrimitives.WriteUInt32BigEndian(bytes, value);

    // The network mask of a prefix length in [0, 32].
    public static Ipv4Address Mask(int prefixLength)
    {
        return new Ipv4Address(prefixLength <= 0 ? 0u : prefixLength >= 32 ? 0xFFFF_FFFFu : ~(0xFFFF_FFFFu >> prefixLength));
    }

    public bool IsInSubnet(Ipv4Address network, int prefixLength)
    {
        uint mask = Mask(prefixLength).value;
        return (value & mask) == (network.value & mask);
    }

    // Reads dotted-quad text ("198.18.0.2"); false for anything else: no leading zeros taken as
    // octal, no fewer than four parts, no part above 255.
    public static bool TryParse(ReadOnlySpan<char> text, out Ipv4Address address)
    {
        address = default;
        uint result = 0;
        int parts = 0;
        int index = 0;
        while (parts < 4)
        {
            int start = index;
            int part = 0;
            while (index < text.Length && text[index] >= '0' && text[index] <= '9' && index - start < 3)
            {
                part = part * 10 + (text[index] - '0');
                index++;
            }
            int digits = index - start;
            if (digits == 0 || part > 255 || (digits > 1 && text[start] == '0'))
            {
                return false;
            }
            result = (result << 8) | (uint)part;
            parts++;
            if (parts < 4)
            {
                if (index >= text.Length || text[index] != '.')
                {
                    return false;
                }
                index++;
            }
        }
        if (index != text.Length)
        {
            return false;
        }
        address = new Ipv4Address(result);
        return true;
    }

    public bool Equals(Ipv4Address other) => value == other.value;

    public override bool Equals(object? obj) => obj is Ipv4Address other && Equals(other);

    public override int GetHashCode() => (int)value;

    public static bool operator ==(Ipv4Address left, Ipv4Address right) => left.value == right.value;

    public static bool operator !=(Ipv4Address left, Ipv4Address right) => left.value != right.value;

    public override string ToString()
    {
        return ((value >> 24) & 0xFF).ToString(CultureInfo.InvariantCulture) + "." +
            ((value >> 16) & 0xFF).ToString(CultureInfo.InvariantCulture) + "." +
            ((value >> 8) & 0xFF).ToString(CultureInfo.InvariantCulture) + "." +
            (value & 0xFF).ToString(CultureInfo.InvariantCulture);
    }
}
