namespace Unikraft.Kernel.Tests.Virtio;

using System;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Xunit;

// The split virtqueue as the device sees it: the tests play the device, reading the descriptor
// table and the available ring and writing the used ring at the offsets of virtio 1.2, 2.7, so a
// layout or index mistake in the driver's queue fails here, not in a VM.
public sealed unsafe class VirtQueueTests : IDisposable
{
    private const int Size = 8;
    private readonly byte* memory;
    private readonly VirtQueue queue;
    private ushort deviceSeen;
    private ushort deviceUsed;

    public VirtQueueTests()
    {
        memory = (byte*)NativeMemory.AlignedAlloc((nuint)VirtQueue.MemoryLength(Size), 4096);
        new Span<byte>(memory, VirtQueue.MemoryLength(Size)).Clear();
        // The "physical" address is the memory's own here.
        queue = new VirtQueue(memory, (ulong)memory, Size);
    }

    public void Dispose() => NativeMemory.AlignedFree(memory);

    [Fact]
    public void Areas_AreWhereTheSpecPutsThem()
    {
        Assert.Equal((ulong)memory, queue.DescriptorTablePhysical);
        Assert.Equal((ulong)memory + 16 * Size, queue.DriverAreaPhysical);
        // The used ring on the page after the table and the available ring.
        Assert.Equal((ulong)memory + 4096, queue.DeviceAreaPhysical);
        Assert.Equal(4096 + 6 + 8 * Size, VirtQueue.MemoryLength(Size));
    }

    [Fact]
    public void Add_WritesTheDescriptorAndTheRingSlot_AndPublishMovesTheIndex()
    {
        Assert.True(queue.TryTakeFree(out int descriptor));
        queue.Add(descriptor, 0x1234_5678_9000, 1526, deviceWrites: true);

        Span<byte> entry = new Span<byte>(memory + 16 * descriptor, 16);
        Assert.Equal(0x1234_5678_9000UL, BinaryPrimitives.ReadUInt64LittleEndian(entry));
        Assert.Equal(1526u, BinaryPrimitives.ReadUInt32LittleEndian(entry[8..]));
        Assert.Equal(VirtQueue.DescriptorWrite, BinaryPrimitives.ReadUInt16LittleEndian(entry[12..]));
        Assert.Equal(descriptor, AvailableRing(0));
        // Not visible to the device before Publish.
        Assert.Equal(0, AvailableIndex());

        queue.Publish();

        Assert.Equal(1, AvailableIndex());
    }

    [Fact]
    public void TakeUsed_GivesWhatTheDeviceUsed_InItsOrder_WithTheLengthItWrote()
    {
        int[] added = new int[3];
        for (int index = 0; index < added.Length; index++)
        {
            Assert.True(queue.TryTakeFree(out added[index]));
            queue.Add(added[index], (ulong)(0x10000 * (index + 1)), 2048, deviceWrites: true);
        }
        queue.Publish();
        Assert.False(queue.TryTakeUsed(out _, out _));

        // The device finishes the second buffer first, then the first.
        Use(added[1], 60);
        Use(added[0], 1514);

        Assert.True(queue.TryTakeUsed(out int first, out int firstLength));
        Assert.Equal((added[1], 60), (first, firstLength));
        Assert.True(queue.TryTakeUsed(out int second, out int secondLength));
        Assert.Equal((added[0], 1514), (second, secondLength));
        Assert.False(queue.TryTakeUsed(out _, out _));
    }

    // More round trips than the 16-bit indexes count: both rings wrap past 65535 onto the slot
    // the index modulo the size names, and every buffer comes back with its own length.
    [Fact]
    public void ManyRoundTrips_WrapBothRingsAndTheirIndexes()
    {
        const int Trips = 70_000;
        for (int trip = 0; trip < Trips; trip++)
        {
            Assert.True(queue.TryTakeFree(out int descriptor));
            queue.Add(descriptor, (ulong)trip, trip % 1500 + 1, deviceWrites: false);
            queue.Publish();

            // The device takes what the driver made available, in the ring's order.
            ushort available = AvailableIndex();
            Assert.Equal((ushort)(trip + 1), available);
            int offered = AvailableRing(deviceSeen);
            deviceSeen++;
            Assert.Equal(descriptor, offered);
            Assert.Equal((ulong)trip, BinaryPrimitives.ReadUInt64LittleEndian(new Span<byte>(memory + 16 * offered, 8)));
            Use(offered, trip % 1500 + 1);

            Assert.True(queue.TryTakeUsed(out int used, out int length));
            Assert.Equal((descriptor, trip % 1500 + 1), (used, length));
            queue.Free(used);
        }
        Assert.Equal(Size, queue.FreeCount);
        Assert.Equal((ushort)(Trips % 65536), AvailableIndex());
    }

    [Fact]
    public void EveryDescriptorHeld_NoneIsFree_UntilOneIsUsedAndFreed()
    {
        for (int index = 0; index < Size; index++)
        {
            Assert.True(queue.TryTakeFree(out int descriptor));
            queue.Add(descriptor, 0, 64, deviceWrites: false);
        }
        queue.Publish();
        Assert.False(queue.TryTakeFree(out _));

        Use(AvailableRing(0), 0);
        Assert.True(queue.TryTakeUsed(out int used, out _));
        queue.Free(used);

        Assert.True(queue.TryTakeFree(out int again));
        Assert.Equal(used, again);
    }

    [Fact]
    public void DeviceUsingADescriptorItDoesNotHold_IsAKernelError()
    {
        Use(3, 10);

        Assert.Throws<KernelException>(() => queue.TryTakeUsed(out _, out _));
    }

    [Fact]
    public void Notification_FollowsTheDevicesNoNotifyFlag_AndSuppressSetsTheDriversFlag()
    {
        Assert.True(queue.DeviceWantsNotification());
        BinaryPrimitives.WriteUInt16LittleEndian(new Span<byte>(memory + VirtQueue.UsedOffset(Size), 2), VirtQueue.UsedNoNotify);
        Assert.False(queue.DeviceWantsNotification());

        queue.SuppressInterrupts();

        Assert.Equal(VirtQueue.AvailableNoInterrupt, BinaryPrimitives.ReadUInt16LittleEndian(new Span<byte>(memory + VirtQueue.AvailableOffset(Size), 2)));
    }

    [Fact]
    public void SizeNotAPowerOfTwo_IsRefused()
    {
        Assert.Throws<KernelException>(() => new VirtQueue(memory, 0, 6));
    }

    private ushort AvailableIndex() => BinaryPrimitives.ReadUInt16LittleEndian(new Span<byte>(memory + VirtQueue.AvailableOffset(Size) + 2, 2));

    private int AvailableRing(ushort index) => BinaryPrimitives.ReadUInt16LittleEndian(new Span<byte>(memory + VirtQueue.AvailableOffset(Size) + 4 + 2 * (index % Size), 2));

    // The device puts an element in the used ring and moves its index.
    private void Use(int descriptor, int length)
    {
        byte* used = memory + VirtQueue.UsedOffset(Size);
        Span<byte> element = new Span<byte>(used + 4 + 8 * (deviceUsed % Size), 8);
        BinaryPrimitives.WriteUInt32LittleEndian(element, (uint)descriptor);
        BinaryPrimitives.WriteUInt32LittleEndian(element[4..], (uint)length);
        deviceUsed++;
        BinaryPrimitives.WriteUInt16LittleEndian(new Span<byte>(used + 2, 2), deviceUsed);
    }
}
