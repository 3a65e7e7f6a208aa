namespace Unikraft.Kernel;

using System;

// Puts fragmented IPv4 datagrams back together (RFC 791, 3.2 and RFC 815's hole list) in
// ReassemblyBuffers: at most MaximumDatagrams in flight, each in one pooled 64 KiB buffer, so
// reassembly never holds more than MaximumDatagrams * 64 KiB; a new datagram when all slots are
// busy evicts the oldest. A datagram not complete within Timeout is dropped, and if its first
// fragment came, the stack answers with ICMP time exceeded. Overlapping fragments merge, the later
// bytes over the earlier (RFC 791's reassembly; RFC 8200's rule against overlaps is IPv6's).
internal sealed class Ipv4Reassembly
{
    // NOTE: 8 datagrams: 512 KiB at most. Linux bounds reassembly by memory (ipfrag_high_thresh,
    // 4 MiB); a unikernel with one program needs far less.
    public const int MaximumDatagrams = 8;

    // NOTE: 30 s, Linux's ipfrag_time; RFC 791, 3.2 suggests 15 s as the timer's lower bound.
    public const long Timeout = 30_000_000_000;

    private readonly ReassemblyBuffers buffers;
    private readonly Key[] keys = new Key[MaximumDatagrams];

    public Ipv4Reassembly(PacketPool pool)
    {
        buffers = new ReassemblyBuffers(pool, MaximumDatagrams, Timeout, 0, false);
        for (int index = 0; index < keys.Length; index++)
        {
            keys[index] = new Key();
        }
    }

    public int InFlight => buffers.InFlight;

    public long Evicted => buffers.Evicted;

    public long Dropped => buffers.Dropped;

    // Adds one fragment. Returns the slot of a now-complete datagram (read it with Payload and
    // Header, then Release it), or -1.
    public int Add(in Ipv4Header header, ReadOnlySpan<byte> ipHeader, ReadOnlySpan<byte> payload, long now)
    {
        int start = header.FragmentOffset;
        // NOTE: no datagram is longer than 65535 bytes with its header (RFC 791, 3.1).
        if (!buffers.Acceptable(start, payload.Length, header.MoreFragments, Ipv4Packet.MaximumLength - Ipv4Packet.MinimumHeaderLength))
        {
            return -1;
        }
        int index = Find(header);
        if (index < 0)
        {
            index = buffers.Open(now);
            Key fresh = keys[index];
            fresh.Source = header.Source;
            fresh.Destination = header.Destination;
            fresh.Protocol = header.Protocol;
            fresh.Identification = header.Identification;
            fresh.HeaderLength = 0;
        }
        int placed = buffers.Place(index, start, payload, header.MoreFragments);
        if (placed == ReassemblyBuffers.Rejected)
        {
            return -1;
        }
        if (start == 0)
        {
            Key key = keys[index];
            ipHeader.CopyTo(key.Header);
            key.HeaderLength = ipHeader.Length;
        }
        return placed == ReassemblyBuffers.Completed ? index : -1;
    }

    public Span<byte> Payload(int index) => buffers.Buffer(index).Slice(0, buffers.TotalLength(index));

    // The first fragment's IPv4 header as it arrived (for an ICMP error's quote).
    public ReadOnlySpan<byte> Header(int index) => keys[index].Header.AsSpan(0, keys[index].HeaderLength);

    public void Release(int index) => buffers.Release(index);

    // Drops the datagrams older than Timeout. For each one whose first fragment came, expired
    // receives the slot (header and the first bytes of data, for RFC 1122, 3.3.2's time
    // exceeded) before it is released. Returns the earliest deadline still pending.
    public long Expire(long now, Action<int>? expired) => buffers.Expire(now, expired);

    // The bytes of a timed-out datagram's start that arrived: at most the first 8, for the quote.
    public ReadOnlySpan<byte> Start(int index, int length) => buffers.Buffer(index).Slice(0, Math.Min(buffers.Leading(index), length));

    private int Find(in Ipv4Header header)
    {
        // NOTE: a datagram is identified by source, destination, protocol and identification
        // (RFC 791, 3.2).
        for (int index = 0; index < keys.Length; index++)
        {
            Key key = keys[index];
            if (buffers.InUse(index) && key.Identification == header.Identification && key.Protocol == header.Protocol &&
                key.Source == header.Source && key.Destination == header.Destination)
            {
                return index;
            }
        }
        return -1;
    }

    // What names a datagram, and its first fragment's header.
    private sealed class Key
    {
        public Ipv4Address Source;

        public Ipv4Address Destination;

        public byte Protocol;

        public ushort Identification;

        public readonly byte[] Header = new byte[Ipv4Packet.MaximumHeaderLength];

        public int HeaderLength;
    }
}
