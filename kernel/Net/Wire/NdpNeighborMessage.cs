namespace Unikraft.Kernel;

using System;

// The Neighbor Discovery options this stack reads or writes (RFC 4861, 4.6).
internal static class NdpOptionType
{
    public const byte SourceLinkLayerAddress = 1;

    public const byte TargetLinkLayerAddress = 2;
}

// A parsed Neighbor Solicitation or Neighbor Advertisement (RFC 4861, 4.3 and 4.4), IPv6's ARP:
// after the ICMPv6 type, code and checksum come four bytes (reserved in a solicitation, the
// router, solicited and override flags in an advertisement), the target address, and options, of
// which the link-layer address options are read (source in a solicitation, target in an
// advertisement) and the others skipped, as 4.6 says.
internal readonly record struct NdpNeighborMessage(byte Type, Ipv6Address Target, bool Router, bool Solicited, bool Override,
    bool HasLinkLayerAddress, MacAddress LinkLayerAddress)
{
    // NOTE: 4 bytes of ICMPv6 header, 4 reserved or flag bytes, 16 of target (RFC 4861, 4.3, 4.4).
    public const int FixedLength = 24;

    // NOTE: a link-layer address option for Ethernet is 8 bytes: type, length 1 (in units of 8
    // bytes), the 6-byte address (RFC 2464, 6).
    public const int LinkLayerOptionLength = 8;

    private const int TargetOffset = 8;

    // NOTE: the flags are the top three bits of the first byte after the checksum (RFC 4861, 4.4).
    private const uint RouterFlag = 0x8000_0000;

    private const uint SolicitedFlag = 0x4000_0000;

    private const uint OverrideFlag = 0x2000_0000;

    // The bytes this message takes as an ICMPv6 message.
    public int Length => FixedLength + (HasLinkLayerAddress ? LinkLayerOptionLength : 0);

    public static NdpNeighborMessage Solicitation(Ipv6Address target, MacAddress source)
    {
        return new NdpNeighborMessage(Icmpv6Type.NeighborSolicitation, target, false, false, false, true, source);
    }

    public static NdpNeighborMessage Advertisement(Ipv6Address target, bool solicited, MacAddress mac) =>
        Advertisement(target, solicited, true, mac);

    // NOTE: a host's advertisement of its own address sets Override (RFC 4861, 7.2.4) and not
    // Router; one for an optimistic address (still under duplicate address detection) does not
    // set Override (RFC 4429, 3.3), so it cannot replace another host's entry.
    public static NdpNeighborMessage Advertisement(Ipv6Address target, bool solicited, bool overrides, MacAddress mac)
    {
        return new NdpNeighborMessage(Icmpv6Type.NeighborAdvertisement, target, false, solicited, overrides, true, mac);
    }

    // RFC 4862, 5.4.2: a duplicate address detection probe: for target, from ::, with no
    // link-layer address option.
    public static NdpNeighborMessage Probe(Ipv6Address target)
    {
        return new NdpNeighborMessage(Icmpv6Type.NeighborSolicitation, target, false, false, false, false, default);
    }

    // Parses a solicitation or an advertisement with the validity checks of RFC 4861, 7.1.1 and
    // 7.1.2: hop limit 255 (so it came from the link), a good checksum, code 0, at least 24
    // bytes, a target that is not multicast, no option of length zero; a solicitation from the
    // unspecified address (duplicate address detection) went to a solicited-node group and
    // carries no source link-layer address; an advertisement to a multicast group is not
    // solicited. False for anything else: such a message is silently discarded.
    public static bool TryParse(Icmpv6Message message, in Ipv6Header ip, out NdpNeighborMessage parsed)
    {
        parsed = default;
        byte type = message.Type;
        Span<byte> bytes = message.Bytes;
        if ((type != Icmpv6Type.NeighborSolicitation && type != Icmpv6Type.NeighborAdvertisement) ||
            ip.HopLimit != Ipv6Header.NeighborDiscoveryHopLimit || message.Code != 0 || bytes.Length < FixedLength ||
            !message.ChecksumIsValid(ip.Source, ip.Destination))
        {
            return false;
        }
        Ipv6Address target = Ipv6Address.Read(bytes.Slice(TargetOffset));
        if (target.IsMulticast)
        {
            return false;
        }
        byte wanted = type == Icmpv6Type.NeighborSolicitation ? NdpOptionType.SourceLinkLayerAddress : NdpOptionType.TargetLinkLayerAddress;
        bool hasMac = false;
        MacAddress mac = default;
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
            if (bytes[offset] == wanted && optionLength == LinkLayerOptionLength)
            {
                hasMac = true;
                mac = MacAddress.Read(bytes.Slice(offset + 2));
            }
            offset += optionLength;
        }
        uint flags = message.RestOfHeader;
        bool solicited = (flags & SolicitedFlag) != 0;
        if (type == Icmpv6Type.NeighborSolicitation && ip.Source.IsUnspecified &&
            (hasMac || ip.Destination != target.SolicitedNode))
        {
            return false;
        }
        if (type == Icmpv6Type.NeighborAdvertisement && ip.Destination.IsMulticast && solicited)
        {
            return false;
        }
        bool isAdvertisement = type == Icmpv6Type.NeighborAdvertisement;
        parsed = new NdpNeighborMessage(type, target, isAdvertisement && (flags & RouterFlag) != 0, isAdvertisement && solicited,
            isAdvertisement && (flags & OverrideFlag) != 0, hasMac, mac);
        return true;
    }

    // Writes the whole message, checksum included, into a view of exactly Length bytes.
    public void Emit(Icmpv6Message message, Ipv6Address source, Ipv6Address destination)
    {
        Span<byte> bytes = message.Bytes;
        Target.Write(bytes.Slice(TargetOffset));
        if (HasLinkLayerAddress)
        {
            bytes[FixedLength] = Type == Icmpv6Type.NeighborSolicitation ? NdpOptionType.SourceLinkLayerAddress : NdpOptionType.TargetLinkLayerAddress;
            bytes[FixedLength + 1] = LinkLayerOptionLength / 8;
            LinkLayerAddress.Write(bytes.Slice(FixedLength + 2));
        }
        uint flags = (Router ? RouterFlag : 0) | (Solicited ? SolicitedFlag : 0) | (Override ? OverrideFlag : 0);
        new Icmpv6Header(Type, 0, flags).Emit(message, source, destination);
    }
}
