namespace Unikraft.Kernel;

using System;

// Puts fragmented IPv6 packets back together (RFC 8200, 4.5). A packet is identified by its
// source, destination and fragment identification; its fragments' data go into one pooled
// 64 KiB buffer behind a rebuilt 40-byte fixed header whose next header is the first fragment's
// fragment header's, so the reassembled packet reads as one unfragmented packet (the extension
// headers before the fragment header, already processed, are not kept). Bounded as
// Ipv4Reassembly is: at most MaximumPackets in flight (a new one evicts the oldest), at most
// MaximumRanges separate ranges each, and a packet not complete within Timeout is dropped. A
// fragment that overlaps another is not accepted: the whole packet is dropped (RFC 8200, 4.5 and
// RFC 5722); a fragment that repeats bytes received, the same bytes at the same place (one sent
// twice), is ignored.
internal sealed class Ipv6Reassembly
{
    // NOTE: 8 packets: 512 KiB at most, as for IPv4 (Linux bounds it by memory, ip6frag_high_thresh).
    public const int MaximumPackets = 8;

    // NOTE: 60 s (RFC 8200, 4.5: "within 60 seconds of the reception of the first-arriving fragment").
    public const long Timeout = 60_000_000_000;

    // NOTE: more separate ranges than this means tiny fragments meant to use up the reassembler.
    public const int MaximumRanges = 64;

    // NOTE: the fragment offset counts 8-byte units (RFC 8200, 4.5).
    public const int FragmentUnit = 8;

    // The first fragment's leading bytes kept for an ICMPv6 time exceeded's quote.
    public const int QuotedLength = 256;

    private readonly PacketPool pool;
    private readonly Slot[] slots = new Slot[MaximumPackets];

    public Ipv6Reassembly(PacketPool pool)
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

    // Adds one fragment: data is what follows its fragment header, offset its byte offset,
    // nextHeader the fragment header's, unfragmentable the bytes of the IPv6 header and extension
    // headers before the fragment header, original the whole fragment as it came (its start is
    // kept for a quote). Returns the slot of a now-complete packet (read it with Packet, then
    // Release it), or -1.
    public int Add(in Ipv6Header header, uint identification, int offset, bool more, byte nextHeader, int unfragmentable,
        ReadOnlySpan<byte> data, ReadOnlySpan<byte> original, long now)
    {
        int start = offset;
        int end = start + data.Length;
        // NOTE: every fragment but the last carries a multiple of 8 bytes, and the reassembled
        // payload (the unfragmentable extension headers and the data) fits the 16-bit payload
        // length (RFC 8200, 4.5); a packet past that is dropped, as Linux drops it.
        if ((more && (data.Length % FragmentUnit) != 0) || data.Length == 0 ||
            unfragmentable - Ipv6Packet.HeaderLength + end > Ipv6Packet.MaximumPayloadLength ||
            Ipv6Packet.HeaderLength + end > PacketPool.LargestLength)
        {
            Dropped++;
            return -1;
        }
        int index = Find(header, identification);
        if (index < 0)
        {
            index = Take();
            Slot fresh = slots[index];
            fresh.Buffer = pool.Rent(PacketPool.LargestLength);
            fresh.Source = header.Source;
            fresh.Destination = header.Destination;
            fresh.Identification = identification;
            fresh.Started = now;
            fresh.TotalLength = -1;
            fresh.RangeCount = 0;
            fresh.QuoteLength = 0;
            fresh.HopLimit = header.HopLimit;
            fresh.TrafficClass = header.TrafficClass;
            fresh.FlowLabel = header.FlowLabel;
        }
        Slot slot = slots[index];
        if (!more)
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
        if (slot.Holds(start, end) && data.SequenceEqual(slot.Buffer.AsSpan(Ipv6Packet.HeaderLength + start, data.Length)))
        {
            // A duplicate of data received (a fragment sent twice): nothing new, nothing overlaps.
            return -1;
        }
        if (!slot.AddRange(start, end))
        {
            Drop(index);
            return -1;
        }
        if (start == 0)
        {
            slot.NextHeader = nextHeader;
            slot.QuoteLength = Math.Min(original.Length, QuotedLength);
            original.Slice(0, slot.QuoteLength).CopyTo(slot.Quote);
        }
        data.CopyTo(slot.Buffer.AsSpan(Ipv6Packet.HeaderLength + start));
        if (slot.TotalLength >= 0 && slot.RangeCount == 1 && slot.Starts[0] == 0 && slot.Ends[0] == slot.TotalLength)
        {
            new Ipv6Header(slot.Source, slot.Destination, slot.NextHeader, slot.TotalLength, slot.HopLimit, slot.TrafficClass, slot.FlowLabel)
                .TryEmit(slot.Buffer);
            return index;
        }
        return -1;
    }

    // The reassembled packet: a fixed header, its next header the first fragment's fragment
    // header's, then the fragmentable part.
    public Span<byte> Packet(int index) => slots[index].Buffer.AsSpan(0, Ipv6Packet.HeaderLength + slots[index].TotalLength);

    public void Release(int index)
    {
        Slot slot = slots[index];
        if (slot.Buffer != null)
        {
            pool.Return(slot.Buffer);
            slot.Buffer = null!;
        }
    }

    // Drops the packets older than Timeout. For each whose first fragment came, expired receives
    // the slot (Quote: the start of that fragment, for RFC 8200, 4.5's time exceeded) before it is
    // released. Returns the earliest deadline still pending.
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
                if (slot.QuoteLength > 0 && expired != null)
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

    // The start of the first fragment as it arrived (empty when it has not).
    public ReadOnlySpan<byte> Quote(int index) => slots[index].Quote.AsSpan(0, slots[index].QuoteLength);

    private int Find(in Ipv6Header header, uint identification)
    {
        for (int index = 0; index < slots.Length; index++)
        {
            Slot slot = slots[index];
            if (slot.Buffer != null && slot.Identification == identification && slot.Source == header.Source &&
                slot.Destination == header.Destination)
            {
                return index;
            }
        }
        return -1;
    }

    // A free slot, or the oldest one, evicted.
    private int Take()
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

        public Ipv6Address Source;

        public Ipv6Address Destination;

        public uint Identification;

        public long Started;

        public byte NextHeader;

        public byte HopLimit;

        public byte TrafficClass;

        public int FlowLabel;

        // The packet's fragmentable length once the last fragment came, else -1.
        public int TotalLength;

        public readonly byte[] Quote = new byte[QuotedLength];

        public int QuoteLength;

        public readonly int[] Starts = new int[MaximumRanges];

        public readonly int[] Ends = new int[MaximumRanges];

        public int RangeCount;

        public int End() => RangeCount == 0 ? 0 : Ends[RangeCount - 1];

        // Whether [start, end) lies inside data received.
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

        // Adds [start, end) to the sorted ranges, merging it with the ranges it touches; false
        // when it overlaps data received or there would be too many ranges.
        public bool AddRange(int start, int end)
        {
            int index = 0;
            while (index < RangeCount && Ends[index] <= start)
            {
                index++;
            }
            // Ranges merge, so a duplicate lies inside one; anything else sharing a byte overlaps.
            if (index < RangeCount && Starts[index] < end)
            {
                return false;
            }
            bool joinsBefore = index > 0 && Ends[index - 1] == start;
            bool joinsAfter = index < RangeCount && Starts[index] == end;
            if (joinsBefore && joinsAfter)
            {
                Ends[index - 1] = Ends[index];
                Array.Copy(Starts, index + 1, Starts, index, RangeCount - index - 1);
                Array.Copy(Ends, index + 1, Ends, index, RangeCount - index - 1);
                RangeCount--;
                return true;
            }
            if (joinsBefore)
            {
                Ends[index - 1] = end;
                return true;
            }
            if (joinsAfter)
            {
                Starts[index] = start;
                return true;
            }
            if (RangeCount == MaximumRanges)
            {
                return false;
            }
            Array.Copy(Starts, index, Starts, index + 1, RangeCount - index);
            Array.Copy(Ends, index, Ends, index + 1, RangeCount - index);
            Starts[index] = start;
            Ends[index] = end;
            RangeCount++;
            return true;
        }
    }
}
