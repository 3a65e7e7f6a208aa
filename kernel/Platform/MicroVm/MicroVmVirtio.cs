namespace Unikraft.Kernel;

using System.Runtime.InteropServices;

// The VM's virtio-mmio transports, reached through the three calls the shim gives the kernel's
// drivers (shim/devices.c, numbered 500-502 in shim/syscalls.c's SERVED list). They go straight to
// libc's syscall(2), as the other devices' calls do (MicroVmSerial).
internal sealed unsafe class MicroVmVirtio : IVirtioMachine
{
    // NOTE: QEMU's microvm machine (hw/i386/microvm.c) puts 8 virtio-mmio transports at
    // 0xFEB00000, 512 bytes apart, when it has one IO-APIC (the runner boots it with ioapic2=off);
    // with ACPI (on by default) their lines are the IO-APIC's 16 to 23. QEMU plugs the first
    // -device into the last transport (seen: one card at 0xFEB00E00), so the transports are
    // listed from the last: the index-th card found is the runner's index-th -device.
    public const ulong FirstTransport = 0xFEB00000;
    public const int Transports = 8;
    public const int FirstLine = 16;

    private const long DeviceMap = 500;
    private const long DeviceDma = 501;
    private const long DeviceWait = 502;

    public int TransportCount => Transports;

    public ulong TransportAddress(int index) => FirstTransport + (ulong)((Transports - 1 - index) * VirtioMmio.WindowLength);

    public int TransportLine(int index) => FirstLine + Transports - 1 - index;

    public byte* MapRegisters(ulong physical, int length)
    {
        long result = syscall(DeviceMap, (nint)physical, length, 0);
        return result < 0 ? null : (byte*)result;
    }

    public byte* AllocateDma(int length, out ulong physical)
    {
        ulong address = 0;
        long result = syscall(DeviceDma, length, (nint)(&address), 0);
        physical = address;
        return result < 0 ? null : (byte*)result;
    }

    public int WaitForInterrupt(int line)
    {
        long result = syscall(DeviceWait, line, 0, 0);
        return result < 0 ? -Marshal.GetLastPInvokeError() : 0;
    }

    // NOTE: syscall(2) answers -1 and sets errno on an error.
    [DllImport("libc", SetLastError = true)]
    private static extern long syscall(long number, nint first, nint second, nint third);
}

// The microvm boot's network devices, one call per <UnikraftNet Type="virtio"> item.
internal static class MicroVmNetDevices
{
    // The index-th virtio-net device of the VM (the runner adds one per item, in order).
    public static INetDevice OpenVirtio(int index)
    {
        VirtioNetDevice? device = VirtioNetDevice.Probe(new MicroVmVirtio(), index);
        if (device == null)
        {
            throw new KernelException("netdev virtio: the VM has no virtio-net device number " + index
                + ": boot it with its runner (<name>-vm), which adds one per UnikraftNet item");
        }
        return device;
    }
}
