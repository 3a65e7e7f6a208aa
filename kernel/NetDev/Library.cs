// The netdev library: the network device interface and the wrappers that trace, capture and
// inject faults around any device.
using Unikraft.Kernel;

[assembly: KernelLibrary("netdev", Summary = "Network device interface; tracing, pcap-capturing and fault-injecting wrappers",
    Needs = new[] { "core", "sched" })]
