// The native library: the BCL's own native layer (System.Native), served by the kernel.
using Unikraft.Kernel;

[assembly: KernelLibrary("native", Summary = "The BCL's native layer (System.Native) served by the kernel in a NativeAOT image",
    Needs = new[] { "core", "vfs", "console", "random", "pipe", "poll" })]
