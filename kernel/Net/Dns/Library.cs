// The DNS library: the message format and a stub resolver over the kernel's own UDP.
using Unikraft.Kernel;

[assembly: KernelLibrary("net-dns", Summary = "DNS stub resolver (RFC 1035): A/AAAA/CNAME messages, queries over the kernel's UDP with retries, a TTL-bounded cache, localhost and /etc/hosts",
    Needs = new[] { "core", "sched", "time", "random", "vfs", "net-wire", "net-iface", "net-udp" })]
