namespace Unikraft.Kernel;

// The protocol numbers an IPv4 header (or an IPv6 header's next header) carries that this stack
// speaks.
// NOTE: numbers from the IANA "Assigned Internet Protocol Numbers" registry (RFC 790 onwards),
// which IPv6's next header shares (RFC 8200, 3).
internal static class IpProtocol
{
    public const byte Icmp = 1;

    public const byte Tcp = 6;

    public const byte Udp = 17;

    // NOTE: 58 is ICMP for IPv6 (RFC 4443, 1).
    public const byte Icmpv6 = 58;
}
