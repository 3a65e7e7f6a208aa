// The interface library: an IPv4 host on its network devices: Ethernet in and out, ARP, IPv4
// routing, ICMP, and the hand-off to the transports above.
using Unikraft.Kernel;

[assembly: KernelLibrary("net-iface", Summary = "IPv4 host over Ethernet devices: ARP, IPv4, ICMP, loopback, transports' hand-off",
    Needs = new[] { "core", "sched", "time", "random", "netdev", "net-wire" })]
