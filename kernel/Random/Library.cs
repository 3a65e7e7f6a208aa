// The random library: the randomness device and getrandom.
using Unikraft.Kernel;

[assembly: KernelLibrary("random", Summary = "Randomness device and getrandom",
    Needs = new[] { "core" })]
