// The hostfs library: one host folder passed through to the kernel, sandboxed by Linux's
// openat2 (RESOLVE_BENEATH). Hosted platform only.
using Unikraft.Kernel;

[assembly: KernelLibrary("hostfs", Summary = "One host folder passed through, sandboxed with openat2 RESOLVE_BENEATH (hosted platform)",
    Needs = new[] { "core", "vfs" })]
