namespace Unikraft.Kernel;

using System;
using System.Threading;

// A bounded queue of frames between exactly two threads: one producer and one consumer (a host
// reader thread and the vCPU, or the vCPU and a host writer thread). Every slot is allocated
// once, up front, so the data path allocates nothing, and no lock is taken: the producer alone
// moves the tail and the consumer alone the head, each published with a volatile write after
// the slot is filled or emptied.
internal sealed class HostFrameRing
{
    private readonly byte[][] slots;
    private readonly int[] lengths;
    // Counts of frames ever taken and ever added; their difference is the fill level.
    private long head;
    private long tail;

    public HostFrameRing(int capacity, int slotLength)
    {
        if (capacity < 1 || slotLength < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(capacity), "a frame ring needs at least one slot of at least one byte");
        }
        slots = new byte[capacity][];
        lengths = new int[capacity];
        for (int index = 0; index < capacity; index++)
        {
            slots[index] = new byte[slotLength];
        }
        SlotLength = slotLength;
    }

    public int Capacity => slots.Length;

    public int SlotLength { get; }

    // Either thread; exact only on the consumer's side (the producer may add at any moment).
    public bool IsEmpty => Volatile.Read(ref head) == Volatile.Read(ref tail);

    public int Count => (int)(Volatile.Read(ref tail) - Volatile.Read(ref head));

    // Producer: whether TryBeginWrite would give a slot.
    public bool HasRoom => tail - Volatile.Read(ref head) < slots.Length;

    // Producer: the free slot to fill next, or false when the ring is full.
    public bool TryBeginWrite(out Span<byte> slot)
    {
        long next = tail;
        if (next - Volatile.Read(ref head) >= slots.Length)
        {
            slot = default;
            return false;
        }
        slot = slots[(int)(next % slots.Length)];
        return true;
    }

    // Producer: publishes the slot TryBeginWrite gave, holding length bytes.
    public void CommitWrite(int length)
    {
        long next = tail;
        lengths[(int)(next % slots.Length)] = length;
        Volatile.Write(ref tail, next + 1);
    }

    // Consumer: the oldest frame, left in the ring until Release.
    public bool TryPeek(out ReadOnlySpan<byte> frame)
    {
        long next = head;
        if (next == Volatile.Read(ref tail))
        {
            frame = default;
            return false;
        }
        int index = (int)(next % slots.Length);
        frame = slots[index].AsSpan(0, lengths[index]);
        return true;
    }

    // Consumer: frees the slot TryPeek gave.
    public void Release()
    {
        Volatile.Write(ref head, head + 1);
    }
}
