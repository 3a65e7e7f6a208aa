namespace Unikraft.Kernel;

using System;
using System.Buffers.Binary;

// A parsed Router Advertisement (RFC 4861, 4.2), as much of it as a host that learns its default
// router and one prefix needs: the router lifetime, the router's link-layer address (the source
// link-layer address option) and the first prefix information option (4.6.2) that is on-link or
// autonomous. Other options (MTU, RDNSS, DNSSL, a second prefix) are skipped, as 4.6 allows.
internal readonly record struct NdpRouterAdvertisement(ushort RouterLifetimeSeconds, bool Managed, bool HasLinkLayerAddress,
    MacAddress LinkLayerAddress, bool HasPrefix, Ipv6Address Prefix, int PrefixLength, bool OnLink, bool Autonomous, uint ValidLifetimeSeconds)
{
    // NOTE: 4 bytes of ICMPv6 header, hop limit, flags, router lifetime (2), reachable time (4),
    // retransmit timer (4) (RFC 4861, 4.2).
    public const int FixedLength = 16;

    // NOTE: the prefix information option is 32 bytes: type 3, length 4, prefix length, flags
    // (L 0x80, A 0x40), valid lifetime, preferred lifetime, 4 reserved, the prefix (RFC 4861, 4.6.2).
    public const byte PrefixInformationOption = 3;

    public const int PrefixOptionLength = 32;

    private const byte OnLinkFlag = 0x80;

    private const byte AutonomousFlag = 0x40;

    // NOTE: the managed flag is the top bit of the byte after the cur hop limit (RFC 4861, 4.2).
    private const uint ManagedFlag = 0x0080_0000;

    // The validity checks of RFC 4861, 6.1.2: from a link-local address, hop limit 255, code 0, a
    // good checksum, at least 16 bytes, no option of length zero. False: silently discarded.
    public static bool TryParse(Icmpv6Message message, in Ipv6Header ip, out NdpRouterAdvertisement parsed)
    {
        parsed = default;
        Span<byte> bytes = message.Bytes;
        if (message.Type != Icmpv6Type.RouterAdvertisement || !ip.Source.IsLinkLocal || ip.HopLimit != Ipv6Header.NeighborDiscoveryHopLimit
            || message.Code != 0 || bytes.Length < FixedLength || !message.ChecksumIsValid(ip.Source, ip.Destination))
        {
            return false;
        }
        uint rest = message.RestOfHeader;
        ushort lifetime = (ushort)(rest & 0xFFFF);
        bool hasMac = false;
        MacAddress mac = default;
        bool hasPrefix = false;
        Ipv6Address prefix = default;
        int prefixLength = 0;
        bool onLink = false;
        bool autonomous = false;
        uint valid = 0;
        int offset = FixedLength;
        while (offset < bytes.Length)
        {
            if (bytes.Length - offset < 2)
            {
                return false;
            }
            int optionLength = bytes[offset + 1] * 8;
            if (optionLength == 0 || offset + optionLength > bytes.Length)
            {
                return false;
            }
            Span<byte> option = bytes.Slice(offset, optionLength);
            if (option[0] == NdpOptionType.SourceLinkLayerAddress && optionLength == NdpNeighborMessage.LinkLayerOptionLength)
            {
                hasMac = true;
                mac = MacAddress.Read(option.Slice(2));
            }
            else if (option[0] == PrefixInformationOption && optionLength == PrefixOptionLength && !hasPrefix && option[2] <= 128
                && (option[3] & (OnLinkFlag | AutonomousFlag)) != 0)
            {
                hasPrefix = true;
                prefixLength = option[2];
                onLink = (option[3] & OnLinkFlag) != 0;
                autonomous = (option[3] & AutonomousFlag) != 0;
                valid = BinaryPrimitives.ReadUInt32BigEndian(option.Slice(4));
                prefix = Ipv6Address.Read(option.Slice(16));
            }
            offset += optionLength;
        }
        parsed = new NdpRouterAdvertisement(lifetime, (rest & ManagedFlag) != 0, hasMac, mac, hasPrefix, prefix, prefixLength, onLink, autonomous, valid);
        return true;
    }
}

// A Router Solicitation (RFC 4861, 4.1): four reserved bytes, then this host's link-layer address
// (a solicitation from the unspecified address carries none; this stack always has its
// link-local address, so it always sends one).
internal static class NdpRouterSolicitation
{
    // NOTE: 4 bytes of ICMPv6 header, 4 reserved, an 8-byte source link-layer address option.
    public const int Length = Icmpv6Message.HeaderLength + NdpNeighborMessage.LinkLayerOptionLength;

    // Writes the whole message, checksum included, into a view of exactly Length bytes.
    public static void Emit(Icmpv6Message message, MacAddress mac, Ipv6Address source, Ipv6Address destination)
    {
        Span<byte> bytes = message.Bytes;
        bytes[Icmpv6Message.HeaderLength] = NdpOptionType.SourceLinkLayerAddress;
        bytes[Icmpv6Message.HeaderLength + 1] = NdpNeighborMessage.LinkLayerOptionLength / 8;
        mac.Write(bytes.Slice(Icmpv6Message.HeaderLength + 2));
        new Icmpv6Header(Icmpv6Type.RouterSolicitation, 0, 0).Emit(message, source, destination);
    }
}
