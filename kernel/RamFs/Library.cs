// The ramfs library: a file system held in memory, with a size limit.
using Unikraft.Kernel;

[assembly: KernelLibrary("ramfs", Summary = "File system held in memory, with a size limit",
    Needs = new[] { "core", "vfs" })]
