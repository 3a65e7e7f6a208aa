// The time library: the clock device, clock_gettime and nanosleep. nanosleep keeps the
// scheduler's poll loop running while it waits, so it needs sched.
using Unikraft.Kernel;

[assembly: KernelLibrary("time", Summary = "Clock device, clock_gettime and nanosleep",
    Needs = new[] { "core", "sched" })]
