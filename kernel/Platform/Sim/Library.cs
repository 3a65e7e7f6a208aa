// The sim platform: several kernels in one process and one thread under a seeded simulator,
// so one seed replays one run exactly (FoundationDB's simulation, TigerBeetle's VOPR).
using Unikraft.Kernel;

[assembly: KernelLibrary("platform-sim", Summary = "Deterministic simulation: virtual clock, seeded scheduler and randomness, simulated network and faulty storage",
    Needs = new[] { "core", "sched", "time", "random", "console", "environ", "netdev", "vfs" })]
