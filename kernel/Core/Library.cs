// The core library: the kernel instance, boot wiring attributes, errno values, the file
// descriptor table, the kernel log and the syscall trace. Every other library needs it.
using Unikraft.Kernel;

[assembly: KernelLibrary("core", Summary = "Kernel instance, errno, fd table, kernel log and syscall trace")]
