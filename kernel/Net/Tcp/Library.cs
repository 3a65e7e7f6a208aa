// The TCP library: RFC 9293's connections over the IPv4 layer's transport contract.
using Unikraft.Kernel;

[assembly: KernelLibrary("net-tcp", Summary = "TCP (RFC 9293): connections, listeners, retransmission, congestion control, over IPv4",
    Needs = new[] { "core", "sched", "time", "random", "net-wire", "net-iface" })]
