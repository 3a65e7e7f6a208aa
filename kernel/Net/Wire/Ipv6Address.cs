namespace Unikraft.Kernel;

using System;
using System.Buffers.Binary;
using System.Globalization;

// A 128-bit IPv6 address (RFC 4291), held as two 64-bit halves in host order so comparisons and
// prefixes read as arithmetic: High is the first 8 bytes on the wire, Low the last 8.
internal readonly struct Ipv6Address : IEquatable<Ipv6Address>
{
    public const int Length = 16;

    // NOTE: the interface identifier of a unicast address is its low 64 bits (RFC 4291, 2.5.1).
    public const int InterfaceIdentifierBits = 64;

    private readonly ulong high;
    private readonly ulong low;

    public Ipv6Address(ulong high, ulong low)
    {
        this.high = high;
        this.low = low;
    }

    // :: (RFC 4291, 2.5.2).
    public static Ipv6Address Unspecified => default;

    // NOTE: ff02::1, the link-local all-nodes group every IPv6 host listens to (RFC 4291, 2.7.1).
    public static Ipv6Address AllNodes => new Ipv6Address(0xFF02_0000_0000_0000, 1);

    // NOTE: ff02::2, the link's routers (RFC 4291, 2.7.1), where router solicitations go.
    public static Ipv6Address AllRouters => new Ipv6Address(0xFF02_0000_0000_0000, 2);

    public ulong High => high;

    public ulong Low => low;

    public bool IsUnspecified => high == 0 && low == 0;

    // NOTE: ::1 (RFC 4291, 2.5.3).
    public bool IsLoopback => high == 0 && low == 1;

    // NOTE: ff00::/8 (RFC 4291, 2.7).
    public bool IsMulticast => (high >> 56) == 0xFF;

    // NOTE: fe80::/10 (RFC 4291, 2.5.6).
    public bool IsLinkLocal => (high >> 54) == (0xFE80UL >> 6);

    // NOTE: ::ffff:0:0/96, an IPv4 address in IPv6's form (RFC 4291, 2.5.5.2).
    public bool IsIpv4Mapped => high == 0 && (low >> 32) == 0xFFFF;

    // ::ffff:a.b.c.d for an IPv4 address, as a dual-stack socket names IPv4 peers (RFC 4291, 2.5.5.2).
    public static Ipv6Address MapIpv4(Ipv4Address address) => new Ipv6Address(0, 0xFFFF_0000_0000UL | address.Value);

    // The IPv4 address in the low 32 bits (meaningful when IsIpv4Mapped).
    public Ipv4Address MappedIpv4 => new Ipv4Address((uint)low);

    // The solicited-node multicast group of this address: ff02::1:ff00:0/104 and its low 24 bits
    // (RFC 4291, 2.7.1). A Neighbor Solicitation for the address is sent there (RFC 4861, 7.2.2).
    public Ipv6Address SolicitedNode => new Ipv6Address(0xFF02_0000_0000_0000, 0x0000_0001_FF00_0000 | (low & 0xFF_FFFF));

    // The Ethernet group address a multicast IPv6 address is sent to: 33:33 and its low 32 bits
    // (RFC 2464, 7).
    public MacAddress MulticastMac => new MacAddress(0x3333_0000_0000 | (long)(low & 0xFFFF_FFFF));

    // The link-local address of an interface whose identifier comes from its hardware address:
    // fe80::/64 and the modified EUI-64 of the MAC, ff:fe inserted in its middle and the
    // universal/local bit flipped (RFC 4291, 2.5.1 and appendix A; RFC 2464, 4 and 5).
    public static Ipv6Address LinkLocalFromMac(MacAddress mac)
    {
        ulong value = (ulong)mac.Value;
        ulong identifier = ((value >> 24) << 40) | (0xFF_FEUL << 24) | (value & 0xFF_FFFF);
        // NOTE: the universal/local bit is bit 1 of the first byte (0x02), bit 57 of the identifier.
        identifier ^= 0x0200_0000_0000_0000;
        return new Ipv6Address(0xFE80_0000_0000_0000, identifier);
    }

    public static Ipv6Address Read(ReadOnlySpan<byte> bytes)
    {
        return new Ipv6Address(BinaryPrimitives.ReadUInt64BigEndian(bytes), BinaryPrimitives.ReadUInt64BigEndian(bytes.Slice(8)));
    }

    public void Write(Span<byte> bytes)
    {
        BinaryPrimitives.WriteUInt64BigEndian(bytes, high);
        BinaryPrimitives.WriteUInt64BigEndian(bytes.Slice(8), low);
    }

    // Whether this address is in the prefix of network with prefixLength bits (0 to 128).
    public bool IsInSubnet(Ipv6Address network, int prefixLength)
    {
        if (prefixLength <= 0)
        {
            return true;
        }
        if (prefixLength <= 64)
        {
            ulong mask = prefixLength == 64 ? ulong.MaxValue : ~(ulong.MaxValue >> prefixLength);
            return (high & mask) == (network.high & mask);
        }
        ulong lowMask = prefixLength >= 128 ? ulong.MaxValue : ~(ulong.MaxValue >> (prefixLength - 64));
        return high == network.high && (low & lowMask) == (network.low & lowMask);
    }

    // Reads the text forms of RFC 4291, 2.2: eight groups of 1 to 4 hex digits, one "::" for a run
    // of zero groups, and a dotted IPv4 address as the last 32 bits. False for anything else: a
    // zone ("%eth0"), a prefix, more than one "::", a group of 5 digits.
    public static bool TryParse(ReadOnlySpan<char> text, out Ipv6Address address)
    {
        address = default;
        Span<ushort> groups = stackalloc ushort[8];
        int count = 0;
        int gap = -1;
        int index = 0;
        if (text.Length >= 2 && text[0] == ':' && text[1] == ':')
        {
            gap = 0;
            index = 2;
        }
        else if (text.Length > 0 && text[0] == ':')
        {
            return false;
        }
        while (index < text.Length)
        {
            if (count == 8)
            {
                return false;
            }
            int start = index;
            int value = 0;
            while (index < text.Length && index - start < 5 && HexValue(text[index]) >= 0)
            {
                value = value * 16 + HexValue(text[index]);
                index++;
            }
            if (index < text.Length && text[index] == '.')
            {
                // The last 32 bits as dotted decimal (RFC 4291, 2.2, form 3).
                if (count > 6 || !Ipv4Address.TryParse(text.Slice(start), out Ipv4Address v4))
                {
                    return false;
                }
                groups[count++] = (ushort)(v4.Value >> 16);
                groups[count++] = (ushort)v4.Value;
                index = text.Length;
                break;
            }
            int digits = index - start;
            if (digits == 0 || digits > 4)
            {
                return false;
            }
            groups[count++] = (ushort)value;
            if (index == text.Length)
            {
                break;
            }
            if (text[index] != ':')
            {
                return false;
            }
            index++;
            if (index < text.Length && text[index] == ':')
            {
                if (gap >= 0)
                {
                    return false;
                }
                gap = count;
                index++;
            }
            else if (index == text.Length)
            {
                // A single trailing ':'.
                return false;
            }
        }
        if (gap < 0 ? count != 8 : count > 7)
        {
            return false;
        }
        Span<ushort> full = stackalloc ushort[8];
        full.Clear();
        if (gap < 0)
        {
            groups.CopyTo(full);
        }
        else
        {
            groups.Slice(0, gap).CopyTo(full);
            groups.Slice(gap, count - gap).CopyTo(full.Slice(8 - (count - gap)));
        }
        ulong high = ((ulong)full[0] << 48) | ((ulong)full[1] << 32) | ((ulong)full[2] << 16) | full[3];
        ulong low = ((ulong)full[4] << 48) | ((ulong)full[5] << 32) | ((ulong)full[6] << 16) | full[7];
        address = new Ipv6Address(high, low);
        return true;
    }

    private static int HexValue(char c)
    {
        if (c >= '0' && c <= '9')
        {
            return c - '0';
        }
        if (c >= 'a' && c <= 'f')
        {
            return c - 'a' + 10;
        }
        if (c >= 'A' && c <= 'F')
        {
            return c - 'A' + 10;
        }
        return -1;
    }

    public ushort Group(int index) => (ushort)((index < 4 ? high : low) >> (48 - 16 * (index & 3)));

    public bool Equals(Ipv6Address other) => high == other.high && low == other.low;

    public override bool Equals(object? obj) => obj is Ipv6Address other && Equals(other);

    public override int GetHashCode() => (high ^ low).GetHashCode();

    public static bool operator ==(Ipv6Address left, Ipv6Address right) => left.Equals(right);

    public static bool operator !=(Ipv6Address left, Ipv6Address right) => !left.Equals(right);

    // The canonical text of RFC 5952, 4: lower-case hex without leading zeros, the longest run of
    // two or more zero groups (the first of equal runs) as "::", and an IPv4-mapped address with
    // its last 32 bits dotted (5).
    public override string ToString()
    {
        if (IsIpv4Mapped)
        {
            return "::ffff:" + new Ipv4Address((uint)low).ToString();
        }
        int bestStart = -1;
        int bestLength = 1;
        int runStart = -1;
        for (int index = 0; index <= 8; index++)
        {
            if (index < 8 && Group(index) == 0)
            {
                if (runStart < 0)
                {
                    runStart = index;
                }
                continue;
            }
            if (runStart >= 0 && index - runStart > bestLength)
            {
                bestStart = runStart;
                bestLength = index - runStart;
            }
            runStart = -1;
        }
        string text = "";
        for (int index = 0; index < 8; index++)
        {
            if (index == bestStart)
            {
                text += "::";
                index += bestLength - 1;
                continue;
            }
            if (index > 0 && index != bestStart + bestLength)
            {
                text += ":";
            }
            text += Group(index).ToString("x", CultureInfo.InvariantCulture);
        }
        return text;
    }
}
