namespace Unikraft.Kernel;

using System;

// Puts fragmented IPv4 datagrams back together (RFC 791, 3.2 and RFC 815's hole list, kept as
// the sorted ranges received so far). Bounded: at most MaximumDatagrams in flight, each in one
// pooled 64 KiB buffer, so reassembly never holds more than MaximumDatagrams * 64 KiB; a new
// datagram when all slots are busy evicts the oldest. A datagram not complete within Timeout is
// dropped, and if its first fragment came, the stack answers with ICMP time exceeded.
internal sealed class Ipv4Reassembly
{
    // NOTE: 8 datagrams: 512 KiB at most. Linux bounds reassembly by memory (ipfrag_high_thresh,
    // 4 MiB); a unikernel with one program needs far less.
    public const int MaximumDatagrams = 8;

    // NOTE: 30 s, Linux's ipfrag_time; RFC 791, 3.2 suggests 15 s as the timer's lower bound.
    public const long Timeout = 30_000_000_000;

    // NOTE: more separate ranges than this means tiny or overlapping fragments meant to use up
    // the reassembler (RFC 1858's attacks); the datagram is dropped.
    public const int MaximumRanges = 64;

    private readonly PacketPool pool;
    private readonly Slot[] slots = new Slot[MaximumDatagrams];

    public Ipv4Reassembly(PacketPool pool)
    {
        this.pool = pool;
        for (int index = 0; index < slots.Length; index++)
        {
            slots[index] = new Slot();
        }
    }

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

    // Adds one fragment. Returns the slot of a now-complete datagram (read it with Payload and
    // Header, then Release it), or -1.
    public int Add(in Ipv4Header header, ReadOnlySpan<byte> ipHeader, ReadOnlySpan<byte> payload, long now)
    {
        int start = header.FragmentOffset;
        int end = start + payload.Length;
        // NOTE: every fragment but the last carries a multiple of 8 bytes (RFC 791, 3.2), and no
        // datagram is longer than 65535 bytes with its header.
        if ((header.MoreFragments && (payload.Length % Ipv4Packet.FragmentUnit) != 0) ||
            end > Ipv4Packet.MaximumLength - Ipv4Packet.MinimumHeaderLength || payload.Length == 0)
        {
            Dropped++;
            return -1;
        }
        int index = Find(header);
        if (index < 0)
        {
            index = Take(now);
            Slot fresh = slots[index];
            fresh.Buffer = pool.Rent(PacketPool.LargestLength);
            fresh.Source = header.Source;
            fresh.Destination = header.Destination;
            fresh.Protocol = header.Protocol;
            fresh.Identification = header.Identification;
            fresh.Started = now;
            fresh.TotalLength = -1;
            fresh.RangeCount = 0;
            fresh.HeaderLength = 0;
        }
        Slot slot = slots[index];
        if (!header.MoreFragments)
        {
            // The last fragment fixes the length; a second, different last fragment or data
            // past it means a broken or hostile sender.
            if ((slot.TotalLength >= 0 && slot.TotalLength != end) || slot.End() > end)
            {
                Drop(index);
                return -1;
            }
            slot.TotalLength = end;
        }
        else if (slot.TotalLength >= 0 && end > slot.TotalLength)
        {
            Drop(index);
            return -1;
        }
        if (start == 0)
        {
            ipHeader.CopyTo(slot.Header);
            slot.HeaderLength = ipHeader.Length;
        }
        payload.CopyTo(slot.Buffer.AsSpan(start));
        if (!slot.AddRange(start, end))
        {
            Drop(index);
            return -1;
        }
        if (slot.TotalLength >= 0 && slot.RangeCount == 1 && slot.Starts[0] == 0 && slot.Ends[0] == slot.TotalLength)
        {
            return index;
        }
        return -1;
    }

    public Span<byte> Payload(int index) => slots[index].Buffer.AsSpan(0, slots[index].TotalLength);

    // The first fragment's IPv4 header as it arrived (for an ICMP error's quote).
    public ReadOnlySpan<byte> Header(int index) => slots[index].Header.AsSpan(0, slots[index].HeaderLength);

    public void Release(int index)
    {
        Slot slot = slots[index];
        if (slot.Buffer != null)
        {
            pool.Return(slot.Buffer);
            slot.Buffer = null!;
        }
    }

    // Drops the datagrams older than Timeout. For each one whose first fragment came, expired
    // receives the slot (header and the first bytes of data, for RFC 1122, 3.3.2's time
    // exceeded) before it is released. Returns the earliest deadline still pending.
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
            long deadline = slot.Started + Timeout;
            if (deadline <= now)
            {
                Dropped++;
                if (slot.HeaderLength > 0 && expired != null)
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

    // The bytes of a timed-out datagram's start that arrived: at most the first 8, for the quote.
    public ReadOnlySpan<byte> Start(int index, int length)
    {
        Slot slot = slots[index];
        int have = slot.RangeCount > 0 && slot.Starts[0] == 0 ? slot.Ends[0] : 0;
        return slot.Buffer.AsSpan(0, Math.Min(have, length));
    }

    private int Find(in Ipv4Header header)
    {
        // NOTE: a datagram is identified by source, destination, protocol and identification
        // (RFC 791, 3.2).
        for (int index = 0; index < slots.Length; index++)
        {
            Slot slot = slots[index];
            if (slot.Buffer != null && slot.Identification == header.Identification && slot.Protocol == header.Protocol &&
                slot.Source == header.Source && slot.Destination == header.Destination)
            {
                return index;
            }
        }
        return -1;
    }

    // A free slot, or the oldest one, evicted.
    private int Take(long now)
    {
        int oldest = 0;
        for (int index = 0; index < slots.Length; index++)
        {
            if (slots[index].Buffer == null)
            {
                return index;
            }
            if (slots[index].Started < slots[oldest].Started)
            {
                oldest = index;
            }
        }
        Evicted++;
        Release(oldest);
        return oldest;
    }

    private void Drop(int index)
    {
        Dropped++;
        Release(index);
    }

    private sealed class Slot
    {
        public byte[] Buffer = null!;

        public Ipv4Address Source;

        public Ipv4Address Destination;

        public byte Protocol;

        public ushort Identification;

        public long Started;

        // The datagram's payload length once the last fragment came, else -1.
        public int TotalLength;

        public readonly byte[] Header = new byte[Ipv4Packet.MaximumHeaderLength];

        public int HeaderLength;

        public readonly int[] Starts = new int[MaximumRanges];

        public readonly int[] Ends = new int[MaximumRanges];

        public int RangeCount;

        public int End() => RangeCount == 0 ? 0 : Ends[RangeCount - 1];

        // Merges [start, end) into the sorted, disjoint ranges; false when there would be too many.
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
