// The hosted platform: the kernel runs as an ordinary Linux process and its devices are the
// host's.
using Unikraft.Kernel;

[assembly: KernelLibrary("platform-hosted", Summary = "Runs the kernel as a Linux process on the host's console, clocks, randomness and network (passt or TAP)",
    Needs = new[] { "core", "sched", "netdev", "net-wire" })]
