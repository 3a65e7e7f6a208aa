namespace Unikraft.Kernel;

// What a virtio driver needs of the machine under it, and only that: where the transports are,
// their registers mapped, memory the device reaches by DMA with its physical address, and a way to
// sleep until a device's interrupt line fires. The microvm platform gives them through its shim
// (MicroVmVirtio); a test can give plain memory.
internal unsafe interface IVirtioMachine
{
    // How many virtio-mmio transports the machine has, and for each its registers' physical
    // address and its interrupt line.
    int TransportCount { get; }

    ulong TransportAddress(int index);

    int TransportLine(int index);

    // The registers at physical, length bytes, mapped uncached; null when the machine refuses.
    byte* MapRegisters(ulong physical, int length);

    // length bytes of zeroed, physically contiguous memory and its physical address; null when
    // there is none.
    byte* AllocateDma(int length, out ulong physical);

    // Blocks the calling thread until line fires: 0, or -errno. The line stays masked from then
    // until the next call, so the driver acknowledges the device between the two.
    int WaitForInterrupt(int line);
}
