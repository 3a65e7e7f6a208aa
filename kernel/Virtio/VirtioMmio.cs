namespace Unikraft.Kernel;

using System.Runtime.CompilerServices;
using System.Threading;

// One virtio-mmio transport (virtio 1.2, 4.2.2: the register layout of version 2, "modern"): a
// 512-byte window of 32-bit little-endian registers, then the device's configuration space.
internal sealed unsafe class VirtioMmio
{
    // NOTE: register offsets from virtio 1.2, 4.2.2, table "MMIO Device Register Layout".
    public const int MagicValue = 0x000;
    public const int Version = 0x004;
    public const int DeviceId = 0x008;
    public const int DeviceFeatures = 0x010;
    public const int DeviceFeaturesSelect = 0x014;
    public const int DriverFeatures = 0x020;
    public const int DriverFeaturesSelect = 0x024;
    public const int QueueSelect = 0x030;
    public const int QueueSizeMaximum = 0x034;
    public const int QueueSize = 0x038;
    public const int QueueReady = 0x044;
    public const int QueueNotify = 0x050;
    public const int InterruptStatus = 0x060;
    public const int InterruptAcknowledge = 0x064;
    public const int Status = 0x070;
    public const int QueueDescriptorLow = 0x080;
    public const int QueueDescriptorHigh = 0x084;
    public const int QueueDriverLow = 0x090;
    public const int QueueDriverHigh = 0x094;
    public const int QueueDeviceLow = 0x0A0;
    public const int QueueDeviceHigh = 0x0A4;
    public const int ConfigGeneration = 0x0FC;
    public const int Config = 0x100;
    public const int WindowLength = 0x200;

    // NOTE: "virt" in little-endian (4.2.2); version 2 is the modern transport (QEMU gives it
    // with -global virtio-mmio.force-legacy=false; 1 is the legacy one, which this driver refuses).
    public const uint Magic = 0x74726976;
    public const uint ModernVersion = 2;

    // NOTE: device status bits, virtio 1.2, 2.1.
    public const uint StatusAcknowledge = 1;
    public const uint StatusDriver = 2;
    public const uint StatusDriverOk = 4;
    public const uint StatusFeaturesOk = 8;
    public const uint StatusFailed = 128;

    // NOTE: interrupt status bits, 4.2.2: a used buffer, a configuration change.
    public const uint InterruptUsedBuffer = 1;
    public const uint InterruptConfigChange = 2;

    private readonly byte* registers;

    public VirtioMmio(byte* registers, ulong physical, int line)
    {
        this.registers = registers;
        Physical = physical;
        Line = line;
    }

    public ulong Physical { get; }

    // The transport's interrupt line.
    public int Line { get; }

    // NOTE: a register takes only 32-bit accesses (4.2.2; QEMU ignores a write and reads 0 for any
    // other width). Inlined, `(Read(Status) & 8) == 0` compiled to a one-byte `test` on the
    // register, which read 0: the calls stay calls, so each access is one 32-bit mov.
    [MethodImpl(MethodImplOptions.NoInlining)]
    public uint Read(int offset) => Volatile.Read(ref *(uint*)(registers + offset));

    [MethodImpl(MethodImplOptions.NoInlining)]
    public void Write(int offset, uint value) => Volatile.Write(ref *(uint*)(registers + offset), value);

    public byte ReadConfigByte(int offset) => Volatile.Read(ref *(registers + Config + offset));

    // The 64 feature bits the device offers (two 32-bit selections).
    public ulong ReadDeviceFeatures()
    {
        Write(DeviceFeaturesSelect, 0);
        ulong low = Read(DeviceFeatures);
        Write(DeviceFeaturesSelect, 1);
        ulong high = Read(DeviceFeatures);
        return low | (high << 32);
    }

    public void WriteDriverFeatures(ulong features)
    {
        Write(DriverFeaturesSelect, 0);
        Write(DriverFeatures, (uint)features);
        Write(DriverFeaturesSelect, 1);
        Write(DriverFeatures, (uint)(features >> 32));
    }

    // Gives the device queue index's three areas and turns it on (4.2.3.2).
    public void EnableQueue(int index, VirtQueue queue)
    {
        Write(QueueSelect, (uint)index);
        Write(QueueSize, (uint)queue.Size);
        Write(QueueDescriptorLow, (uint)queue.DescriptorTablePhysical);
        Write(QueueDescriptorHigh, (uint)(queue.DescriptorTablePhysical >> 32));
        Write(QueueDriverLow, (uint)queue.DriverAreaPhysical);
        Write(QueueDriverHigh, (uint)(queue.DriverAreaPhysical >> 32));
        Write(QueueDeviceLow, (uint)queue.DeviceAreaPhysical);
        Write(QueueDeviceHigh, (uint)(queue.DeviceAreaPhysical >> 32));
        Write(QueueReady, 1);
    }

    // The largest size the device takes for queue index; 0 when the queue does not exist. (A
    // queue in use would read QueueReady 1; after the reset the driver starts with, none is.)
    public int QueueMaximum(int index)
    {
        Write(QueueSelect, (uint)index);
        return (int)Read(QueueSizeMaximum);
    }
}
