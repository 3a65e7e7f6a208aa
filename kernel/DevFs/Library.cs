// The devfs library: the device nodes under /dev.
using Unikraft.Kernel;

[assembly: KernelLibrary("devfs", Summary = "Device nodes: null, zero, random, urandom, console, stdin, stdout, stderr",
    Needs = new[] { "core", "vfs" })]
