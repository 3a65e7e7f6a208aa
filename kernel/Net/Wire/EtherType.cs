namespace Unikraft.Kernel;

// The EtherTypes an Ethernet II header carries that this stack reads or names.
// NOTE: values from the IEEE "EtherType" registry (RFC 894 for IPv4 over Ethernet, RFC 826 for ARP).
internal static class EtherType
{
    public const ushort Ipv4 = 0x0800;

    public const ushort Arp = 0x0806;

    public const ushort Ipv6 = 0x86DD;
}
