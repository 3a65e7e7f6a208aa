// The app-facing API: BCL-shaped classes that programs call directly or through interceptors.
// It is pruned to what the program calls or names, and talks to the kernel only through Sys.
using Unikraft.Kernel;

[assembly: KernelLibrary("api", Summary = "App-facing API shaped like the BCL, written only against the syscalls",
    Needs = new[] { "core" })]
