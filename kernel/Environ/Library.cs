// The environ library: the environment the program boots with.
using Unikraft.Kernel;

[assembly: KernelLibrary("environ", Summary = "Boot environment and uk_getenv",
    Needs = new[] { "core" })]
