// The vfs library: vnodes, mounts, path walk, open files and the file syscalls.
using Unikraft.Kernel;

[assembly: KernelLibrary("vfs", Summary = "Mount table, path walk, open files and the file syscalls",
    Needs = new[] { "core" })]
