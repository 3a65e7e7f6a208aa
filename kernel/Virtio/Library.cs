// The virtio library: the kernel's own drivers for virtio devices (OASIS virtio 1.2) on the
// virtio-mmio transport: split virtqueues in DMA memory, and virtio-net as a network device.
using Unikraft.Kernel;

[assembly: KernelLibrary("virtio", Summary = "virtio-mmio transport, split virtqueues, virtio-net as a network device",
    Needs = new[] { "core", "sched", "netdev" })]
