// The native library: the BCL's own native layer (System.Native), served by the kernel.
using Unikraft.Kernel;

[assembly: KernelLibrary("native", Summary = "The BCL's native layer (System.Native) served by the kernel: linked in a NativeAOT image, through jump slots under the JIT",
    Needs = new[] { "core", "vfs", "console", "random", "pipe", "poll", "net-socket", "net-dns" })]
