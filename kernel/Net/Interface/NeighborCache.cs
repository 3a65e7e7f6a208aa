namespace Unikraft.Kernel;

using System;
using System.Collections.Generic;

// The neighbor cache of one interface's IPv6 (RFC 4861, 5.1), IPv6's ARP cache: the link-layer
// address of each on-link neighbor, learned from neighbor solicitations and advertisements. As
// the ARP cache: entries expire, a packet to an unresolved address waits in a small queue while
// its solicitation is out, solicitations to one address go out at most once a second, and after
// three unanswered ones the address is given up (its queue dropped, sends failing with
// EHOSTUNREACH for a while).
// NOTE: Neighbor Unreachability Detection (RFC 4861, 7.3: the STALE, DELAY and PROBE states that
// confirm a neighbor by unicast before its entry runs out) is not here yet: a resolved entry is
// trusted for ReachableTime, refreshed by every advertisement or solicitation that names it, and
// then resolved again from scratch.
internal sealed class NeighborCache
{
    // NOTE: RETRANS_TIMER, 1 s between solicitations (RFC 4861, 10).
    public const long RequestInterval = 1_000_000_000;

    // NOTE: MAX_MULTICAST_SOLICIT, 3 (RFC 4861, 10).
    public const int MaximumRequests = 3;

    // NOTE: REACHABLE_TIME is 30 s (RFC 4861, 10); an entry is trusted that long after it was last
    // confirmed.
    public const long ReachableTime = 30_000_000_000;

    // As ArpCache.FailedHold: one solicitation interval, so ping's own retries start a new round.
    public const long FailedHold = 1_000_000_000;

    // NOTE: as ArpCache: 3 packets per unresolved address (RFC 4861, 7.2.2 asks for a small
    // queue per address), 64 KiB in all, and at most 1024 entries (Linux's gc_thresh3).
    public const int MaximumQueuedPerAddress = 3;

    public const int MaximumQueuedBytes = 65536;

    public const int MaximumEntries = 1024;

    private readonly Dictionary<Ipv6Address, NeighborEntry> entries = new Dictionary<Ipv6Address, NeighborEntry>();
    private readonly List<NeighborEntry> scan = new List<NeighborEntry>();

    public int Count => entries.Count;

    public int QueuedBytes { get; private set; }

    // The link-layer address of a resolved, unexpired entry.
    public bool TryLookup(Ipv6Address address, long now, out MacAddress mac)
    {
        if (entries.TryGetValue(address, out NeighborEntry? entry) && entry.Resolved && entry.Expires > now)
        {
            mac = entry.Mac;
            return true;
        }
        mac = default;
        return false;
    }

    // The entry that a packet to address waits on, made when missing. Null when the table is full
    // of entries that cannot be dropped.
    public NeighborEntry? Resolving(Ipv6Address address, long now)
    {
        if (entries.TryGetValue(address, out NeighborEntry? entry))
        {
            if (entry.Resolved && entry.Expires <= now)
            {
                entry.Resolved = false;
                entry.Requests = 0;
                entry.FailedUntil = 0;
            }
            return entry;
        }
        if (entries.Count >= MaximumEntries && !EvictOne(now))
        {
            return null;
        }
        entry = new NeighborEntry(address);
        entries[address] = entry;
        return entry;
    }

    // Records a neighbor's link-layer address. createIfMissing: a solicitation's source
    // link-layer address makes an entry (RFC 4861, 7.2.3); an advertisement only updates one that
    // exists (7.2.5). Returns the entry, whose queue the caller now sends, or null.
    public NeighborEntry? Learn(Ipv6Address address, MacAddress mac, long now, bool createIfMissing)
    {
        if (!entries.TryGetValue(address, out NeighborEntry? entry))
        {
            if (!createIfMissing || (entries.Count >= MaximumEntries && !EvictOne(now)))
            {
                return null;
            }
            entry = new NeighborEntry(address);
            entries[address] = entry;
        }
        entry.Mac = mac;
        entry.Resolved = true;
        entry.Expires = now + ReachableTime;
        entry.Requests = 0;
        entry.FailedUntil = 0;
        return entry;
    }

    // A solicited advertisement without a link-layer address confirms a resolved entry
    // (RFC 4861, 7.2.5: reachable again, its address unchanged).
    public void Confirm(Ipv6Address address, long now)
    {
        if (entries.TryGetValue(address, out NeighborEntry? entry) && entry.Resolved)
        {
            entry.Expires = now + ReachableTime;
        }
    }

    // Adds a packet to an entry's queue; the oldest waiting packet of that address is dropped
    // (and counted by the caller through droppedOne) when the queue is full.
    public bool Enqueue(NeighborEntry entry, PendingPacket6 packet, PacketPool pool, out bool droppedOne)
    {
        droppedOne = false;
        if (packet.Length > MaximumQueuedBytes)
        {
            return false;
        }
        while (entry.Queue.Count > 0 && (entry.Queue.Count >= MaximumQueuedPerAddress || QueuedBytes + packet.Length > MaximumQueuedBytes))
        {
            Release(entry.Queue.Dequeue(), pool);
            droppedOne = true;
        }
        if (QueuedBytes + packet.Length > MaximumQueuedBytes)
        {
            return false;
        }
        entry.Queue.Enqueue(packet);
        QueuedBytes += packet.Length;
        return true;
    }

    // Takes the next waiting packet of an entry; the caller sends it and returns its buffer.
    public bool TryDequeue(NeighborEntry entry, out PendingPacket6 packet)
    {
        if (entry.Queue.Count == 0)
        {
            packet = default;
            return false;
        }
        packet = entry.Queue.Dequeue();
        QueuedBytes -= packet.Length;
        return true;
    }

    // Drops an entry's queue (its address gave up).
    public int DropQueue(NeighborEntry entry, PacketPool pool)
    {
        int dropped = entry.Queue.Count;
        while (entry.Queue.Count > 0)
        {
            Release(entry.Queue.Dequeue(), pool);
        }
        return dropped;
    }

    // The unresolved entries whose next solicitation (or giving up) is due by now; the earliest
    // later deadline comes back in next (long.MaxValue: none).
    public List<NeighborEntry> Due(long now, out long next)
    {
        scan.Clear();
        next = long.MaxValue;
        foreach (NeighborEntry entry in entries.Values)
        {
            if (entry.Resolved || entry.Requests == 0 || entry.FailedUntil != 0)
            {
                continue;
            }
            if (entry.NextRequest <= now)
            {
                scan.Add(entry);
            }
            else if (entry.NextRequest < next)
            {
                next = entry.NextRequest;
            }
        }
        return scan;
    }

    private void Release(PendingPacket6 packet, PacketPool pool)
    {
        QueuedBytes -= packet.Length;
        pool.Return(packet.Buffer);
    }

    // Drops one entry nobody waits on: an expired or failed one first, else any without a queue.
    private bool EvictOne(long now)
    {
        Ipv6Address victim = default;
        bool found = false;
        foreach (KeyValuePair<Ipv6Address, NeighborEntry> pair in entries)
        {
            NeighborEntry entry = pair.Value;
            if (entry.Queue.Count != 0)
            {
                continue;
            }
            bool stale = (entry.Resolved && entry.Expires <= now) || (entry.FailedUntil != 0 && entry.FailedUntil <= now);
            if (stale || !found)
            {
                victim = pair.Key;
                found = true;
                if (stale)
                {
                    break;
                }
            }
        }
        if (found)
        {
            entries.Remove(victim);
        }
        return found;
    }
}

// One neighbor: resolved (its link-layer address and expiry), or being resolved (solicitations
// sent, when the next is due, the packets waiting), or given up until FailedUntil.
internal sealed class NeighborEntry
{
    public NeighborEntry(Ipv6Address address)
    {
        Address = address;
    }

    public Ipv6Address Address { get; }

    public MacAddress Mac { get; set; }

    public bool Resolved { get; set; }

    public long Expires { get; set; }

    public int Requests { get; set; }

    public long NextRequest { get; set; }

    public long FailedUntil { get; set; }

    public Queue<PendingPacket6> Queue { get; } = new Queue<PendingPacket6>();
}

// An IPv6 packet waiting for its next hop's link-layer address: the upper-layer payload in a
// pooled buffer and what its IPv6 header will say.
internal readonly struct PendingPacket6
{
    public PendingPacket6(byte[] buffer, int length, Ipv6Address source, Ipv6Address destination, byte nextHeader)
    {
        Buffer = buffer;
        Length = length;
        Source = source;
        Destination = destination;
        NextHeader = nextHeader;
    }

    public byte[] Buffer { get; }

    public int Length { get; }

    public Ipv6Address Source { get; }

    public Ipv6Address Destination { get; }

    public byte NextHeader { get; }
}
