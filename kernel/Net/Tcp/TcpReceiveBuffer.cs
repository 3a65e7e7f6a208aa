namespace Unikraft.Kernel;

using System;

// The bytes a connection received and its user has not read: a ring whose readable part ends at
// RCV.NXT, and beyond it the out-of-order data (RFC 9293, 3.10.7.4: segments "held for later
// processing"), written straight into the ring at their offset and tracked as ranges, so a hole
// filled later makes everything after it readable without a copy. The free part of the ring is
// the window this side advertises, so nothing the peer may send can overflow it. The ranges
// also give the SACK blocks of RFC 2018. The ring is allocated on first write, at most
// InitialRingSize bytes, and doubles (up to the capacity) only when data must be held beyond its
// end: the window is the capacity, while the memory is what the user leaves unread, so an idle
// connection holding a short request costs what it did with a small buffer.
internal sealed class TcpReceiveBuffer
{
    // NOTE: out-of-order runs tracked at once; a segment that would start a further run is
    // dropped and comes again by retransmission (as smoltcp's assembler bounds its contigs).
    public const int MaximumRanges = 8;

    // NOTE: the ring's first allocation: 64 KiB, this stack's whole receive buffer before its
    // window grew to 256 KiB.
    public const int InitialRingSize = 65536;

    private readonly int[] starts = new int[MaximumRanges];
    private readonly int[] ends = new int[MaximumRanges];
    // When each run last took data, as a count of the runs' writes: the SACK blocks name the
    // newest first (RFC 2018, 4).
    private readonly long[] touched = new long[MaximumRanges];
    private long writes;
    private byte[]? ring;
    private int head;
    private int count;
    private int ranges;

    public TcpReceiveBuffer(int capacity)
    {
        Capacity = capacity;
    }

    public int Capacity { get; private set; }

    // Readable bytes, in order.
    public int Count => count;

    // Room after the readable bytes: the receive window.
    public int Free => Capacity - count;

    // Out-of-order runs held beyond the readable bytes.
    public int RangeCount => ranges;

    // A run's first and past-the-last offsets from RCV.NXT.
    public int RangeStart(int index) => starts[index];

    public int RangeEnd(int index) => ends[index];

    // The index of the run that took data most recently but rank others (rank 0: the newest).
    public int RecentRange(int rank)
    {
        int found = -1;
        long below = long.MaxValue;
        for (int step = 0; step <= rank; step++)
        {
            found = -1;
            for (int index = 0; index < ranges; index++)
            {
                if (touched[index] < below && (found < 0 || touched[index] > touched[found]))
                {
                    found = index;
                }
            }
            if (found < 0)
            {
                return -1;
            }
            below = touched[found];
        }
        return found;
    }

    public void Resize(int capacity)
    {
        if (count == 0 && ranges == 0)
        {
            Capacity = capacity;
            ring = null;
            head = 0;
        }
    }

    // Stores data that begins offset bytes after RCV.NXT (negative: some of it was received
    // already). Returns by how much the readable part grew, which is how far RCV.NXT moves.
    public int Write(int offset, ReadOnlySpan<byte> data)
    {
        if (offset < 0)
        {
            if (-offset >= data.Length)
            {
                return 0;
            }
            data = data.Slice(-offset);
            offset = 0;
        }
        int room = Free - offset;
        if (room <= 0 || data.IsEmpty)
        {
            return 0;
        }
        if (data.Length > room)
        {
            data = data.Slice(0, room);
        }
        if (offset > 0 && !TryAddRange(offset, offset + data.Length))
        {
            return 0;
        }
        byte[] bytes = Reserve(count + offset + data.Length);
        int start = (head + count + offset) % bytes.Length;
        int first = Math.Min(data.Length, bytes.Length - start);
        data.Slice(0, first).CopyTo(bytes.AsSpan(start));
        data.Slice(first).CopyTo(bytes);
        if (offset > 0)
        {
            return 0;
        }
        int grown = 0;
        int advance = data.Length;
        while (advance > 0)
        {
            count += advance;
            grown += advance;
            Shift(advance);
            advance = 0;
            // A run that now starts at or before RCV.NXT joins the readable part.
            if (ranges > 0 && starts[0] <= 0)
            {
                advance = Math.Max(ends[0], 0);
                RemoveRange(0);
            }
        }
        return grown;
    }

    public int Read(Span<byte> destination)
    {
        int length = Peek(destination);
        if (ring != null)
        {
            head = (head + length) % ring.Length;
        }
        count -= length;
        return length;
    }

    // Copies the in-order bytes at the front into destination and leaves them queued (MSG_PEEK).
    public int Peek(Span<byte> destination)
    {
        int length = Math.Min(destination.Length, count);
        if (length <= 0 || ring == null)
        {
            return 0;
        }
        int first = Math.Min(length, ring.Length - head);
        ring.AsSpan(head, first).CopyTo(destination);
        ring.AsSpan(0, length - first).CopyTo(destination.Slice(first));
        return length;
    }

    // Bytes of memory the ring holds now (0 before the first write).
    public int Allocated => ring?.Length ?? 0;

    // The ring, large enough for length bytes from the head: allocated, or doubled with what it
    // holds moved to the front in order (the readable bytes and the runs beyond them, all within
    // its old length), so offsets from the head stay as they were.
    private byte[] Reserve(int length)
    {
        if (ring != null && ring.Length >= length)
        {
            return ring;
        }
        int size = ring?.Length ?? Math.Min(Capacity, InitialRingSize);
        while (size < length)
        {
            size = (int)Math.Min((long)size * 2, Capacity);
        }
        byte[] grown = new byte[size];
        if (ring != null)
        {
            ring.AsSpan(head).CopyTo(grown);
            ring.AsSpan(0, head).CopyTo(grown.AsSpan(ring.Length - head));
        }
        ring = grown;
        head = 0;
        return ring;
    }

    // Moves the ranges' offsets as RCV.NXT advances, dropping runs now wholly behind it.
    private void Shift(int advance)
    {
        for (int index = 0; index < ranges; index++)
        {
            starts[index] -= advance;
            ends[index] -= advance;
        }
        while (ranges > 0 && ends[0] <= 0)
        {
            RemoveRange(0);
        }
    }

    // Adds [start, end), merging it with the runs it overlaps or touches; false when it would be
    // one run too many.
    private bool TryAddRange(int start, int end)
    {
        int index = 0;
        while (index < ranges && ends[index] < start)
        {
            index++;
        }
        if (index < ranges && starts[index] <= end)
        {
            starts[index] = Math.Min(starts[index], start);
            ends[index] = Math.Max(ends[index], end);
            while (index + 1 < ranges && starts[index + 1] <= ends[index])
            {
                ends[index] = Math.Max(ends[index], ends[index + 1]);
                RemoveRange(index + 1);
            }
            touched[index] = ++writes;
            return true;
        }
        if (ranges == MaximumRanges)
        {
            return false;
        }
        for (int move = ranges; move > index; move--)
        {
            starts[move] = starts[move - 1];
            ends[move] = ends[move - 1];
            touched[move] = touched[move - 1];
        }
        starts[index] = start;
        ends[index] = end;
        touched[index] = ++writes;
        ranges++;
        return true;
    }

    private void RemoveRange(int index)
    {
        for (int move = index; move + 1 < ranges; move++)
        {
            starts[move] = starts[move + 1];
            ends[move] = ends[move + 1];
            touched[move] = touched[move + 1];
        }
        ranges--;
    }
}
