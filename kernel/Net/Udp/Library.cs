// The UDP library: endpoints bound to an address and port, datagrams in and out over IPv4.
using Unikraft.Kernel;

[assembly: KernelLibrary("net-udp", Summary = "UDP (RFC 768): bound endpoints, ephemeral ports, bounded receive queues, readiness",
    Needs = new[] { "core", "sched", "net-wire", "net-iface" })]
