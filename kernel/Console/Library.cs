// The console library: the console device and the console file description on fds 0-2.
using Unikraft.Kernel;

[assembly: KernelLibrary("console", Summary = "Standard input, output and error on fds 0-2",
    Needs = new[] { "core", "sched" })]
