// The interface library: an IPv4 host on its network devices: Ethernet in and out, ARP, IPv4
// routing, ICMP, and the hand-off to the transports above; IPv6 on the link (neighbor discovery,
// ICMPv6) for interfaces given an IPv6 address.
using Unikraft.Kernel;

[assembly: KernelLibrary("net-iface", Summary = "IPv4 host over Ethernet devices: ARP, IPv4, ICMP, loopback, transports' hand-off; on-link IPv6: NDP, ICMPv6",
    Needs = new[] { "core", "sched", "time", "random", "netdev", "net-wire" })]
