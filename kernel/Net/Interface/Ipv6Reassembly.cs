namespace Unikraft.Kernel;

using System;

// Puts fragmented IPv6 packets back together (RFC 8200, 4.5) in ReassemblyBuffers. A packet is
// identified by its source, destination and fragment identification; its fragments' data go into
// one pooled 64 KiB buffer behind a rebuilt 40-byte fixed header whose next header is the first
// fragment's fragment header's, so the reassembled packet reads as one unfragmented packet (the
// extension headers before the fragment header, already processed, are not kept). Bounded as
// Ipv4Reassembly is: at most MaximumPackets in flight (a new one evicts the oldest), at most
// ReassemblyBuffers.MaximumRanges separate ranges each, and a packet not complete within Timeout
// is dropped. A fragment that overlaps another is not accepted: the whole packet is dropped
// (RFC 8200, 4.5 and RFC 5722); a fragment that repeats bytes received, the same bytes at the
// same place (one sent twice), is ignored.
internal sealed class Ipv6Reassembly
{
    // NOTE: 8 packets: 512 KiB at most, as for IPv4 (Linux bounds it by memory, ip6frag_high_thresh).
    public const int MaximumPackets = 8;

    // NOTE: 60 s (RFC 8200, 4.5: "within 60 seconds of the reception of the first-arriving fragment").
    public const long Timeout = 60_000_000_000;

    // NOTE: the fragment offset counts 8-byte units (RFC 8200, 4.5).
    public const int FragmentUnit = ReassemblyBuffers.FragmentUnit;

    // The first fragment's leading bytes kept for an ICMPv6 time exceeded's quote.
    public const int QuotedLength = 256;

    private readonly ReassemblyBuffers buffers;
    private readonly Key[] keys = new Key[MaximumPackets];

    public Ipv6Reassembly(PacketPool pool)
    {
        buffers = new ReassemblyBuffers(pool, MaximumPackets, Timeout, Ipv6Packet.HeaderLength, true);
        for (int index = 0; index < keys.Length; index++)
        {
            keys[index] = new Key();
        }
    }

    public int InFlight => buffers.InFlight;

    public long Evicted => buffers.Evicted;

    public long Dropped => buffers.Dropped;

    // Adds one fragment: data is what follows its fragment header, offset its byte offset,
    // nextHeader the fragment header's, unfragmentable the bytes of the IPv6 header and extension
    // headers before the fragment header, original the whole fragment as it came (its start is
    // kept for a quote). Returns the slot of a now-complete packet (read it with Packet, then
    // Release it), or -1.
    public int Add(in Ipv6Header header, uint identification, int offset, bool more, byte nextHeader, int unfragmentable,
        ReadOnlySpan<byte> data, ReadOnlySpan<byte> original, long now)
    {
        // NOTE: the reassembled payload (the unfragmentable extension headers and the data) fits
        // the 16-bit payload length (RFC 8200, 4.5); a packet past that is dropped, as Linux drops it.
        int limit = Ipv6Packet.MaximumPayloadLength - (unfragmentable - Ipv6Packet.HeaderLength);
        if (!buffers.Acceptable(offset, data.Length, more, limit))
        {
            return -1;
        }
        int index = Find(header, identification);
        if (index < 0)
        {
            index = buffers.Open(now);
            Key fresh = keys[index];
            fresh.Source = header.Source;
            fresh.Destination = header.Destination;
            fresh.Identification = identification;
            fresh.QuoteLength = 0;
            fresh.HopLimit = header.HopLimit;
            fresh.TrafficClass = header.TrafficClass;
            fresh.FlowLabel = header.FlowLabel;
        }
        int placed = buffers.Place(index, offset, data, more);
        if (placed == ReassemblyBuffers.Rejected || placed == ReassemblyBuffers.Ignored)
        {
            return -1;
        }
        Key key = keys[index];
        if (offset == 0)
        {
            key.NextHeader = nextHeader;
            key.QuoteLength = Math.Min(original.Length, QuotedLength);
            original.Slice(0, key.QuoteLength).CopyTo(key.Quote);
        }
        if (placed != ReassemblyBuffers.Completed)
        {
            return -1;
        }
        new Ipv6Header(key.Source, key.Destination, key.NextHeader, buffers.TotalLength(index), key.HopLimit, key.TrafficClass, key.FlowLabel)
            .TryEmit(buffers.Buffer(index));
        return index;
    }

    // The reassembled packet: a fixed header, its next header the first fragment's fragment
    // header's, then the fragmentable part.
    public Span<byte> Packet(int index) => buffers.Buffer(index).Slice(0, Ipv6Packet.HeaderLength + buffers.TotalLength(index));

    public void Release(int index) => buffers.Release(index);

    // Drops the packets older than Timeout. For each whose first fragment came, expired receives
    // the slot (Quote: the start of that fragment, for RFC 8200, 4.5's time exceeded) before it is
    // released. Returns the earliest deadline still pending.
    public long Expire(long now, Action<int>? expired) => buffers.Expire(now, expired);

    // The start of the first fragment as it arrived (empty when it has not).
    public ReadOnlySpan<byte> Quote(int index) => keys[index].Quote.AsSpan(0, keys[index].QuoteLength);

    private int Find(in Ipv6Header header, uint identification)
    {
        for (int index = 0; index < keys.Length; index++)
        {
            Key key = keys[index];
            if (buffers.InUse(index) && key.Identification == identification && key.Source == header.Source &&
                key.Destination == header.Destination)
            {
                return index;
            }
        }
        return -1;
    }

    // What names a packet, the fixed header's fields to rebuild, and the first fragment's start.
    private sealed class Key
    {
        public Ipv6Address Source;

        public Ipv6Address Destination;

        public uint Identification;

        public byte NextHeader;

        public byte HopLimit;

        public byte TrafficClass;

        public int FlowLabel;

        public readonly byte[] Quote = new byte[QuotedLength];

        public int QuoteLength;
    }
}
