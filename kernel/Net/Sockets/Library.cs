// The socket library: socket file descriptions and the socket syscalls over the stack's transports.
using Unikraft.Kernel;

[assembly: KernelLibrary("net-socket", Summary = "Sockets: AF_INET stream and datagram file descriptions and the socket syscalls, over the transports' boundary",
    Needs = new[] { "core", "sched", "time", "random", "net-wire", "net-iface", "net-tcp", "net-udp" })]
