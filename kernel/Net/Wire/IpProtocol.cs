namespace Unikraft.Kernel;

// The protocol numbers an IPv4 header carries that this stack speaks.
// NOTE: numbers from the IANA "Assigned Internet Protocol Numbers" registry (RFC 790 onwards).
internal static class IpProtocol
{
    public const byte Icmp = 1;

    public const byte Tcp = 6;

    public const byte Udp = 17;
}
