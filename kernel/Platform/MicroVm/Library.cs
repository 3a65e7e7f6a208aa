// The microvm platform: the program and its kernel boot in a QEMU microvm with no Linux inside;
// the boot and trap layer in shim/ serves the runtime's own system calls. It borrows the hosted
// platform's libc calls, clock and randomness: in the VM the shim answers those calls.
using Unikraft.Kernel;

[assembly: KernelLibrary("platform-microvm", Summary = "Boots the kernel in a QEMU microvm: the serial line, the TSC and RTC clocks, RDRAND, virtio-mmio devices",
    Needs = new[] { "core", "platform-hosted", "virtio" })]
