namespace Unikraft.Kernel;

using System;

// What IPv4 and IPv6 reassembly share: a fixed number of slots, each one pooled 64 KiB buffer
// with the ranges of data received so far (RFC 815's holes are the gaps between them, kept as
// sorted, disjoint ranges), the length once the last fragment came, a timeout from the first
// fragment and eviction of the oldest slot when all are busy. What differs stays with each
// protocol: the key that names a datagram (Ipv4Reassembly, Ipv6Reassembly keep it per slot
// index), the largest length, what is kept of the first fragment, and what an overlap means:
// IPv4 merges it (the later bytes win, RFC 791, 3.2's reassembly writes each fragment over the
// buffer), IPv6 drops the whole packet (RFC 8200, 4.5 and RFC 5722) unless the fragment only
// repeats bytes received, the same bytes at the same place (one sent twice), which is ignored.
internal sealed class ReassemblyBuffers
{
    // NOTE: more separate ranges than this means tiny or overlapping fragments meant to use up
    // the reassembler (RFC 1858's attacks); the datagram is dropped.
    public const int MaximumRanges = 64;

    // NOTE: the fragment offset counts 8-byte units in both protocols (RFC 791, 3.1; RFC 8200, 4.5).
    public const int FragmentUnit = 8;

    // What Place did with a fragment.
    public const int Rejected = 0;
    public const int Ignored = 1;
    public const int Placed = 2;
    public const int Completed = 3;

    private readonly PacketPool pool;
    private readonly Slot[] slots;
    private readonly long timeout;
    private readonly int dataOffset;
    private readonly bool overlapDropsDatagram;

    // dataOffset: where in the buffer the data starts (room the protocol keeps for a header it
    // rebuilds); overlapDropsDatagram: IPv6's rule (else IPv4's).
    public ReassemblyBuffers(PacketPool pool, int capacity, long timeout, int dataOffset, bool overlapDropsDatagram)
    {
        this.pool = pool;
        this.timeout = timeout;
        this.dataOffset = dataOffset;
        this.overlapDropsDatagram = overlapDropsDatagram;
        slots = new Slot[capacity];
        for (int index = 0; index < slots.Length; index++)
        {
            slots[index] = new Slot();
        }
    }

    public int Capacity => slots.Length;

    public int InFlight
    {
        get
        {
            int count = 0;
            for (int index = 0; index < slots.Length; index++)
            {
                if (slots[index].Buffer != null)
                {
                    count++;
                }
            }
            return count;
        }
    }

    public long Evicted { get; private set; }

    public long Dropped { get; private set; }

    public bool InUse(int index) => slots[index].Buffer != null;

    // Whether a fragment of this length at start may belong to a datagram at all: every fragment
    // but the last carries a multiple of 8 bytes and none is empty, and the data ends at most at
    // limit (the protocol's largest datagram). A fragment that fails is counted as dropped.
    public bool Acceptable(int start, int length, bool more, int limit)
    {
        if ((more && (length % FragmentUnit) != 0) || length == 0 || start + length > limit ||
            dataOffset + start + length > PacketPool.LargestLength)
        {
            Dropped++;
            return false;
        }
        return true;
    }

    // A fresh slot for a new datagram: a free one, or the oldest one, evicted.
    public int Open(long now)
    {
        int oldest = 0;
        int index = -1;
        for (int candidate = 0; candidate < slots.Length; candidate++)
        {
            if (slots[candidate].Buffer == null)
            {
                index = candidate;
                break;
            }
            if (slots[candidate].Started < slots[oldest].Started)
            {
                oldest = candidate;
            }
        }
        if (index < 0)
        {
            Evicted++;
            Release(oldest);
            index = oldest;
        }
        Slot slot = slots[index];
        slot.Buffer = pool.Rent(PacketPool.LargestLength);
        slot.Started = now;
        slot.TotalLength = -1;
        slot.RangeCount = 0;
        return index;
    }

    // Puts one fragment's data at start into the slot. Rejected: the datagram was dropped (a
    // second, different end, data past the end, an overlap where that drops it, too many ranges);
    // Ignored: an exact repeat under IPv6's rule; Completed: every byte up to the end is there.
    public int Place(int index, int start, ReadOnlySpan<byte> data, bool more)
    {
        Slot slot = slots[index];
        int end = start + data.Length;
        if (!more)
        {
            // The last fragment fixes the length; a second, different last fragment or data
            // past it means a broken or hostile sender.
            if ((slot.TotalLength >= 0 && slot.TotalLength != end) || slot.End() > end)
            {
                Drop(index);
                return Rejected;
            }
            slot.TotalLength = end;
        }
        else if (slot.TotalLength >= 0 && end > slot.TotalLength)
        {
            Drop(index);
            return Rejected;
        }
        if (overlapDropsDatagram && slot.Holds(start, end) &&
            data.SequenceEqual(slot.Buffer.AsSpan(dataOffset + start, data.Length)))
        {
            return Ignored;
        }
        if ((overlapDropsDatagram && slot.Overlaps(start, end)) || !slot.AddRange(start, end))
        {
            Drop(index);
            return Rejected;
        }
        data.CopyTo(slot.Buffer.AsSpan(dataOffset + start));
        bool complete = slot.TotalLength >= 0 && slot.RangeCount == 1 && slot.Starts[0] == 0 &&
            slot.Ends[0] == slot.TotalLength;
        return complete ? Completed : Placed;
    }

    // The whole buffer of a slot (the protocol's header room, then the data).
    public Span<byte> Buffer(int index) => slots[index].Buffer;

    // The data's length once the last fragment came, else -1.
    public int TotalLength(int index) => slots[index].TotalLength;

    // How many bytes from the datagram's start arrived without a gap (0 before the first fragment).
    public int Leading(int index)
    {
        Slot slot = slots[index];
        return slot.RangeCount > 0 && slot.Starts[0] == 0 ? slot.Ends[0] : 0;
    }

    public void Release(int index)
    {
        Slot slot = slots[index];
        if (slot.Buffer != null)
        {
            pool.Return(slot.Buffer);
            slot.Buffer = null!;
        }
    }

    // Drops the datagrams older than the timeout. For each one whose first fragment came, expired
    // receives the slot (for the protocol's time exceeded) before it is released. Returns the
    // earliest deadline still pending.
    public long Expire(long now, Action<int>? expired)
    {
        long next = long.MaxValue;
        for (int index = 0; index < slots.Length; index++)
        {
            Slot slot = slots[index];
            if (slot.Buffer == null)
            {
                continue;
            }
            long deadline = slot.Started + timeout;
            if (deadline <= now)
            {
                Dropped++;
                if (Leading(index) > 0 && expired != null)
                {
                    expired(index);
                }
                Release(index);
            }
            else if (deadline < next)
            {
                next = deadline;
            }
        }
        return next;
    }

    private void Drop(int index)
    {
        Dropped++;
        Release(index);
    }

    private sealed class Slot
    {
        public byte[] Buffer = null!;

        public long Started;

        public int TotalLength;

        public readonly int[] Starts = new int[MaximumRanges];

        public readonly int[] Ends = new int[MaximumRanges];

        public int RangeCount;

        public int End() => RangeCount == 0 ? 0 : Ends[RangeCount - 1];

        // Whether [start, end) lies inside one range received.
        public bool Holds(int start, int end)
        {
            for (int index = 0; index < RangeCount; index++)
            {
                if (Starts[index] <= start && end <= Ends[index])
                {
                    return true;
                }
            }
            return false;
        }

        // Whether [start, end) shares a byte with data received (touching a range is no overlap).
        public bool Overlaps(int start, int end)
        {
            for (int index = 0; index < RangeCount; index++)
            {
                if (Starts[index] < end && start < Ends[index])
                {
                    return true;
                }
            }
            return false;
        }

        // Merges [start, end) into the sorted, disjoint ranges, joining the ranges it overlaps or
        // touches; false when there would be too many.
        public bool AddRange(int start, int end)
        {
            int index = 0;
            while (index < RangeCount && Ends[index] < start)
            {
                index++;
            }
            int last = index;
            while (last < RangeCount && Starts[last] <= end)
            {
                start = Math.Min(start, Starts[last]);
                end = Math.Max(end, Ends[last]);
                last++;
            }
            int merged = last - index;
            if (merged == 0)
            {
                if (RangeCount == MaximumRanges)
                {
                    return false;
                }
                Array.Copy(Starts, index, Starts, index + 1, RangeCount - index);
                Array.Copy(Ends, index, Ends, index + 1, RangeCount - index);
                RangeCount++;
            }
            else if (merged > 1)
            {
                Array.Copy(Starts, last, Starts, index + 1, RangeCount - last);
                Array.Copy(Ends, last, Ends, index + 1, RangeCount - last);
                RangeCount -= merged - 1;
            }
            Starts[index] = start;
            Ends[index] = end;
            return true;
        }
    }
}
