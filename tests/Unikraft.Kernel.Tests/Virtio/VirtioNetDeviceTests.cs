namespace Unikraft.Kernel.Tests.Virtio;

using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;
using Xunit;

// The virtio-net driver against a machine made of plain memory: the transport's registers are a
// block the test fills as a device would (magic, version 2, device 1, features, the MAC), DMA
// memory is the test's own (its physical address is its address), and the test plays the device
// on the rings the driver set up.
public sealed unsafe class VirtioNetDeviceTests : IDisposable
{
    private static readonly MacAddress Mac = new MacAddress(0x52_54_00_12_34_56);
    private readonly FakeMachine machine = new FakeMachine();

    public void Dispose() => machine.Dispose();

    [Fact]
    public void Probe_NegotiatesVersion1AndMac_GivesEveryReceiveBuffer_AndEndsWithDriverOk()
    {
        VirtioNetDevice device = Probe();

        Assert.Equal(VirtioNetDevice.FeatureVersion1 | VirtioNetDevice.FeatureMac, device.Features);
        Assert.Equal(Mac, device.Info.Mac);
        Assert.Equal(1500, device.Info.Mtu);
        Assert.Equal(1u | 2 | 8 | 4, machine.Register(VirtioMmio.Status));
        Assert.Equal(0u, machine.Register(VirtioMmio.QueueNotify));
        Assert.Equal(machine.FirstLine, device.Line);
        // Every receive buffer is the device's: 128 in the ring, each 2 KiB the device may write.
        byte* rings = machine.Allocations[0];
        Assert.Equal(VirtioNetDevice.QueueSize, Available(rings));
        for (int slot = 0; slot < VirtioNetDevice.QueueSize; slot++)
        {
            int descriptor = AvailableSlot(rings, slot);
            byte* entry = rings + 16 * descriptor;
            Assert.Equal((ulong)machine.Allocations[1] + (ulong)(descriptor * VirtioNetDevice.BufferLength), *(ulong*)entry);
            Assert.Equal((uint)VirtioNetDevice.BufferLength, *(uint*)(entry + 8));
            Assert.Equal(VirtQueue.DescriptorWrite, *(ushort*)(entry + 12));
        }
    }

    [Fact]
    public void Probe_WithNoNetworkDevice_FindsNone()
    {
        machine.SetRegister(VirtioMmio.DeviceId, 2);

        Assert.Null(VirtioNetDevice.Probe(machine, 0));
    }

    [Fact]
    public void Probe_LegacyTransport_IsRefusedSayingHowToGetTheModernOne()
    {
        machine.SetRegister(VirtioMmio.Version, 1);

        KernelException error = Assert.Throws<KernelException>(() => VirtioNetDevice.Probe(machine, 0));
        Assert.Contains("virtio-mmio.force-legacy=false", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TryTransmit_PutsAZeroHeaderBeforeTheFrame_AndNotifiesTheTransmitQueue()
    {
        VirtioNetDevice device = Probe();
        byte[] frame = Frame(60, 0x11);

        Assert.True(device.TryTransmit(frame));

        byte* rings = machine.Allocations[2];
        Assert.Equal(1, Available(rings));
        int descriptor = AvailableSlot(rings, 0);
        byte* entry = rings + 16 * descriptor;
        Assert.Equal(12u + 60, *(uint*)(entry + 8));
        Assert.Equal(0, *(ushort*)(entry + 12));
        byte* buffer = (byte*)*(ulong*)entry;
        Assert.True(new ReadOnlySpan<byte>(buffer, 12).IndexOfAnyExcept((byte)0) < 0, "the header is not zeros");
        Assert.True(new ReadOnlySpan<byte>(buffer + 12, 60).SequenceEqual(frame));
        Assert.Equal(1u, machine.Register(VirtioMmio.QueueNotify));
        // The device is asked not to interrupt for sent frames.
        Assert.Equal(VirtQueue.AvailableNoInterrupt, *(ushort*)(rings + VirtQueue.AvailableOffset(VirtioNetDevice.QueueSize)));
    }

    // The device sends what it is given; the driver takes the buffers back as it needs them, so far
    // more frames than the ring holds go out. A device that sends nothing fills the ring, and then
    // the driver says it is busy.
    [Fact]
    public void Transmit_ManyMoreFramesThanTheRingHolds_ReclaimsWhatTheDeviceSent_ThenBusyWhenItStops()
    {
        VirtioNetDevice device = Probe();
        var transmit = new DeviceSide(machine.Allocations[2], VirtioNetDevice.QueueSize);
        for (int index = 0; index < 1000; index++)
        {
            Assert.True(device.TryTransmit(Frame(100, (byte)index)), "frame " + index);
            Assert.True(transmit.TryTake(out byte* buffer, out int length));
            Assert.Equal(112, length);
            Assert.Equal((byte)index, buffer[12 + 20]);
            transmit.Use(0);
        }

        for (int index = 0; index < VirtioNetDevice.QueueSize; index++)
        {
            Assert.True(device.TryTransmit(Frame(100, 1)));
        }
        Assert.False(device.TryTransmit(Frame(100, 1)));
        Assert.Equal(1, device.TransmitBusy);
    }

    [Fact]
    public void TryReceive_SkipsTheHeader_AndGivesTheBufferStraightBack()
    {
        VirtioNetDevice device = Probe();
        var receive = new DeviceSide(machine.Allocations[0], VirtioNetDevice.QueueSize);
        byte[] frame = Frame(98, 0x42);
        Assert.True(receive.TryTake(out byte* buffer, out int length));
        Assert.Equal(VirtioNetDevice.BufferLength, length);
        new Span<byte>(buffer, 12).Fill(0xEE);
        frame.CopyTo(new Span<byte>(buffer + 12, frame.Length));
        int descriptor = receive.LastTaken;
        receive.Use(12 + frame.Length);

        byte[] into = new byte[1514];
        Assert.True(device.TryReceive(into, out int received));
        Assert.Equal(98, received);
        Assert.True(into.AsSpan(0, 98).SequenceEqual(frame));
        Assert.False(device.TryReceive(into, out _));
        // Back in the ring, after the 128 given at the start.
        Assert.Equal(VirtioNetDevice.QueueSize + 1, Available(machine.Allocations[0]));
        Assert.Equal(descriptor, AvailableSlot(machine.Allocations[0], VirtioNetDevice.QueueSize));
    }

    [Fact]
    public void TryReceive_FrameLongerThanTheCallersBuffer_IsDropped_AndTheNextOneComes()
    {
        VirtioNetDevice device = Probe();
        var receive = new DeviceSide(machine.Allocations[0], VirtioNetDevice.QueueSize);
        foreach (int length in new[] { 1000, 60 })
        {
            Assert.True(receive.TryTake(out byte* buffer, out _));
            new Span<byte>(buffer + 12, length).Fill((byte)(length & 0xFF));
            receive.Use(12 + length);
        }

        byte[] into = new byte[500];
        Assert.True(device.TryReceive(into, out int received));
        Assert.Equal(60, received);
        Assert.Equal(1, device.ReceiveDropped);
    }

    // The device's line fires: the driver's thread acknowledges what the device said and posts the
    // kernel's interrupt, and the listener drains the frame on the scheduler.
    [Fact]
    public void Interrupt_IsAcknowledged_AndTheListenerGetsTheFrame()
    {
        VirtioNetDevice device = Probe();
        var receive = new DeviceSide(machine.Allocations[0], VirtioNetDevice.QueueSize);
        Kernel kernel = new Kernel(new TestPlatform());
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        int received = 0;
        device.ListenForFrames(kernel.Scheduler, () =>
        {
            byte[] into = new byte[1514];
            if (device.TryReceive(into, out int length))
            {
                received = length;
                done.TrySetResult();
            }
        });

        Assert.True(receive.TryTake(out byte* buffer, out _));
        new Span<byte>(buffer + 12, 64).Fill(7);
        receive.Use(12 + 64);
        machine.SetRegister(VirtioMmio.InterruptStatus, VirtioMmio.InterruptUsedBuffer);
        machine.Fire();
        kernel.Scheduler.RunUntilCompleted(Task.WhenAny(done.Task, Task.Delay(10_000)));

        Assert.True(done.Task.IsCompleted, "the listener got no frame");
        Assert.Equal(64, received);
        // The frame can reach the listener before the interrupt thread has acknowledged the line:
        // ListenForFrames reports frames already used, and this one was used before the loop ran.
        SpinWait.SpinUntil(() => machine.Register(VirtioMmio.InterruptAcknowledge) == VirtioMmio.InterruptUsedBuffer, 10_000);
        Assert.Equal(VirtioMmio.InterruptUsedBuffer, machine.Register(VirtioMmio.InterruptAcknowledge));
        Assert.Equal(1, device.InterruptCount);
    }

    private VirtioNetDevice Probe()
    {
        VirtioNetDevice? device = VirtioNetDevice.Probe(machine, 0);
        Assert.NotNull(device);
        machine.Devices.Add(device);
        return device;
    }

    private static byte[] Frame(int length, byte fill)
    {
        byte[] frame = new byte[length];
        frame.AsSpan().Fill(fill);
        return frame;
    }

    private static int Available(byte* rings) => *(ushort*)(rings + VirtQueue.AvailableOffset(VirtioNetDevice.QueueSize) + 2);

    private static int AvailableSlot(byte* rings, int index) =>
        *(ushort*)(rings + VirtQueue.AvailableOffset(VirtioNetDevice.QueueSize) + 4 + 2 * (index % VirtioNetDevice.QueueSize));

    // The device's side of one queue: it takes buffers from the available ring and puts them in
    // the used ring.
    private sealed class DeviceSide
    {
        private readonly byte* rings;
        private readonly int size;
        private ushort seen;
        private ushort used;

        public DeviceSide(byte* rings, int size)
        {
            this.rings = rings;
            this.size = size;
        }

        public int LastTaken { get; private set; }

        public bool TryTake(out byte* buffer, out int length)
        {
            if (seen == *(ushort*)(rings + VirtQueue.AvailableOffset(size) + 2))
            {
                buffer = null;
                length = 0;
                return false;
            }
            LastTaken = *(ushort*)(rings + VirtQueue.AvailableOffset(size) + 4 + 2 * (seen % size));
            seen++;
            byte* entry = rings + 16 * LastTaken;
            buffer = (byte*)*(ulong*)entry;
            length = (int)*(uint*)(entry + 8);
            return true;
        }

        public void Use(int written)
        {
            byte* ring = rings + VirtQueue.UsedOffset(size);
            byte* element = ring + 4 + 8 * (used % size);
            *(uint*)element = (uint)LastTaken;
            *(uint*)(element + 4) = (uint)written;
            used++;
            System.Threading.Volatile.Write(ref *(ushort*)(ring + 2), used);
        }
    }

    // One transport of plain memory, DMA from the test's own memory, and an interrupt line the
    // test fires.
    private sealed class FakeMachine : IVirtioMachine, IDisposable
    {
        private readonly byte* registers;
        private readonly SemaphoreSlim line = new SemaphoreSlim(0);
        private volatile bool stopped;
        private int blocked;

        public FakeMachine()
        {
            registers = (byte*)NativeMemory.AlignedAlloc(VirtioMmio.WindowLength, 4096);
            new Span<byte>(registers, VirtioMmio.WindowLength).Clear();
            SetRegister(VirtioMmio.MagicValue, VirtioMmio.Magic);
            SetRegister(VirtioMmio.Version, VirtioMmio.ModernVersion);
            SetRegister(VirtioMmio.DeviceId, VirtioNetDevice.NetDeviceId);
            // Plain memory answers both feature selections alike: bits 0 and 5, and 32 and 37.
            SetRegister(VirtioMmio.DeviceFeatures, 0x21);
            SetRegister(VirtioMmio.QueueSizeMaximum, 256);
            Mac.Write(new Span<byte>(registers + VirtioMmio.Config, 6));
        }

        public List<VirtioNetDevice> Devices { get; } = new List<VirtioNetDevice>();

        // Rings and buffers, in the order the driver asked: receive rings, receive buffers,
        // transmit rings, transmit buffers.
        public List<nint> AllocationAddresses { get; } = new List<nint>();

        public byte*[] Allocations
        {
            get
            {
                byte*[] result = new byte*[AllocationAddresses.Count];
                for (int index = 0; index < result.Length; index++)
                {
                    result[index] = (byte*)AllocationAddresses[index];
                }
                return result;
            }
        }

        public int FirstLine => 5;

        public int TransportCount => 1;

        public ulong TransportAddress(int index) => 0xFEB00000;

        public int TransportLine(int index) => FirstLine + index;

        public uint Register(int offset) => *(uint*)(registers + offset);

        public void SetRegister(int offset, uint value) => *(uint*)(registers + offset) = value;

        public byte* MapRegisters(ulong physical, int length) => physical == 0xFEB00000 ? registers : null;

        public byte* AllocateDma(int length, out ulong physical)
        {
            byte* memory = (byte*)NativeMemory.AlignedAlloc((nuint)length, 4096);
            new Span<byte>(memory, length).Clear();
            AllocationAddresses.Add((nint)memory);
            physical = (ulong)memory;
            return memory;
        }

        public int WaitForInterrupt(int line)
        {
            Interlocked.Increment(ref blocked);
            this.line.Wait();
            Interlocked.Decrement(ref blocked);
            return stopped ? -Errno.EINTR : 0;
        }

        public void Fire() => line.Release();

        public void Dispose()
        {
            // The drivers' interrupt threads end, each from its wait, before the memory goes.
            Assert.True(SpinWait.SpinUntil(() => Volatile.Read(ref blocked) == Devices.Count, 10_000), "an interrupt thread did not come back to wait");
            stopped = true;
            if (Devices.Count > 0)
            {
                line.Release(Devices.Count);
            }
            Assert.True(SpinWait.SpinUntil(() => Volatile.Read(ref blocked) == 0, 10_000), "an interrupt thread did not end");
            foreach (nint memory in AllocationAddresses)
            {
                NativeMemory.AlignedFree((void*)memory);
            }
            NativeMemory.AlignedFree(registers);
        }
    }
}
