namespace Unikraft.Kernel;

using System;
using System.Threading;

// A split virtqueue (virtio 1.2, 2.7) in memory the device reaches by DMA: the descriptor table,
// the driver area (the available ring) and the device area (the used ring). The driver hands the
// device buffers through the available ring and takes them back from the used ring; both rings
// count with free-running 16-bit indexes, a slot being the index modulo the queue's size (a power
// of two, so the wrap at 65536 lands on the same slot).
//
// Every buffer here is one descriptor (no chains: virtio 1.x lets a driver lay a network header
// and its frame out in one buffer). A descriptor is free (the driver may take it), the driver's
// (taken, or back from the device), or the device's (added until it is used). One thread at a
// time uses a queue; the device runs beside it, so the indexes it reads are written last, with
// release semantics, and the one it writes is read with acquire semantics.
internal sealed unsafe class VirtQueue
{
    // NOTE: layouts from virtio 1.2, 2.7.5 (struct virtq_desc: le64 addr, le32 len, le16 flags,
    // le16 next), 2.7.6 (struct virtq_avail: le16 flags, le16 idx, le16 ring[size], le16
    // used_event) and 2.7.8 (struct virtq_used: le16 flags, le16 idx, then size elements of
    // le32 id, le32 len, le16 avail_event). Alignment: 16, 2 and 4 bytes (2.7); the used ring here
    // starts on its own page.
    public const int DescriptorLength = 16;
    public const int UsedElementLength = 8;
    public const ushort DescriptorWrite = 2;
    public const ushort AvailableNoInterrupt = 1;
    public const ushort UsedNoNotify = 1;
    private const int PageLength = 4096;

    private readonly byte* memory;
    private readonly ulong physical;
    private readonly int[] freeStack;
    private readonly byte[] owner;
    private int freeCount;
    private ushort nextAvailable;
    private ushort lastUsed;

    private const byte OwnerFree = 0;
    private const byte OwnerDriver = 1;
    private const byte OwnerDevice = 2;

    // memory: MemoryLength(size) zeroed bytes at physical, which the device reads and writes.
    public VirtQueue(byte* memory, ulong physical, int size)
    {
        if (size < 1 || size > 32768 || (size & (size - 1)) != 0)
        {
            throw new KernelException("virtio: a queue's size must be a power of two up to 32768, not " + size);
        }
        this.memory = memory;
        this.physical = physical;
        Size = size;
        freeStack = new int[size];
        owner = new byte[size];
        for (int index = 0; index < size; index++)
        {
            freeStack[index] = size - 1 - index;
        }
        freeCount = size;
    }

    public int Size { get; }

    public ulong DescriptorTablePhysical => physical;

    public ulong DriverAreaPhysical => physical + (ulong)AvailableOffset(Size);

    public ulong DeviceAreaPhysical => physical + (ulong)UsedOffset(Size);

    // Descriptors nobody holds.
    public int FreeCount => freeCount;

    // The bytes a queue of size takes: the descriptor table and the available ring, then the used
    // ring on the next page.
    public static int MemoryLength(int size) => UsedOffset(size) + 6 + UsedElementLength * size;

    public static int AvailableOffset(int size) => DescriptorLength * size;

    public static int UsedOffset(int size) => (AvailableOffset(size) + 6 + 2 * size + PageLength - 1) / PageLength * PageLength;

    // Asks the device not to interrupt when it uses this queue's buffers (the driver takes them
    // back when it needs them, as a transmit queue's): a hint the device may ignore (2.7.10).
    public void SuppressInterrupts()
    {
        Volatile.Write(ref *(ushort*)(memory + AvailableOffset(Size)), AvailableNoInterrupt);
    }

    // A free descriptor for the driver, or false when every one is held.
    public bool TryTakeFree(out int descriptor)
    {
        if (freeCount == 0)
        {
            descriptor = -1;
            return false;
        }
        descriptor = freeStack[--freeCount];
        owner[descriptor] = OwnerDriver;
        return true;
    }

    // Gives back a descriptor the driver holds.
    public void Free(int descriptor)
    {
        Check(descriptor, OwnerDriver);
        owner[descriptor] = OwnerFree;
        freeStack[freeCount++] = descriptor;
    }

    // Puts a buffer the driver holds in the available ring: length bytes at address, which the
    // device writes (a receive buffer) or reads. The device sees it from the next Publish.
    public void Add(int descriptor, ulong address, int length, bool deviceWrites)
    {
        Check(descriptor, OwnerDriver);
        byte* entry = memory + DescriptorLength * descriptor;
        *(ulong*)entry = address;
        *(uint*)(entry + 8) = (uint)length;
        *(ushort*)(entry + 12) = deviceWrites ? DescriptorWrite : (ushort)0;
        *(ushort*)(entry + 14) = 0;
        ushort* ring = (ushort*)(memory + AvailableOffset(Size) + 4);
        ring[nextAvailable & (Size - 1)] = (ushort)descriptor;
        nextAvailable++;
        owner[descriptor] = OwnerDevice;
    }

    // Makes every added buffer visible to the device: the available index is written after the
    // descriptors and ring slots (release).
    public void Publish()
    {
        Volatile.Write(ref *(ushort*)(memory + AvailableOffset(Size) + 2), nextAvailable);
    }

    // Whether the device asked to be told of new buffers (no VIRTQ_USED_F_NO_NOTIFY); read after
    // Publish, with a full fence between, so a device that is going to sleep is not missed.
    public bool DeviceWantsNotification()
    {
        Interlocked.MemoryBarrier();
        return (Volatile.Read(ref *(ushort*)(memory + UsedOffset(Size))) & UsedNoNotify) == 0;
    }

    // The next buffer the device is done with, in the order it used them: its descriptor (the
    // driver holds it again) and the bytes the device wrote into it.
    public bool TryTakeUsed(out int descriptor, out int length)
    {
        byte* used = memory + UsedOffset(Size);
        ushort deviceIndex = Volatile.Read(ref *(ushort*)(used + 2));
        if (deviceIndex == lastUsed)
        {
            descriptor = -1;
            length = 0;
            return false;
        }
        byte* element = used + 4 + UsedElementLength * (lastUsed & (Size - 1));
        uint id = *(uint*)element;
        uint written = *(uint*)(element + 4);
        if (id >= (uint)Size || owner[id] != OwnerDevice)
        {
            throw new KernelException("virtio: the device used descriptor " + id + ", which it did not hold");
        }
        lastUsed++;
        owner[id] = OwnerDriver;
        descriptor = (int)id;
        length = (int)written;
        return true;
    }

    private void Check(int descriptor, byte expected)
    {
        if ((uint)descriptor >= (uint)Size || owner[descriptor] != expected)
        {
            throw new KernelException("virtio: descriptor " + descriptor + " is not the driver's to use");
        }
    }
}
