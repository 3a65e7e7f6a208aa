// The wire library: checked views over the bytes of Ethernet, ARP, IPv4, ICMP, IPv6, ICMPv6 (with
// Neighbor Discovery's neighbor messages), UDP and TCP, and
// parsed representations that emit the same bytes back. No I/O, no state, no allocation.
using Unikraft.Kernel;

[assembly: KernelLibrary("net-wire", Summary = "Wire formats: views and representations of Ethernet, ARP, IPv4, ICMP, IPv6, ICMPv6, NDP, UDP and TCP",
    Needs = new[] { "core" })]
