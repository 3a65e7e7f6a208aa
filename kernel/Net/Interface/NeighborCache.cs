namespace Unikraft.Kernel;

using System;
using System.Collections.Generic;

// The neighbor cache of one interface's IPv6 (RFC 4861, 5.1), IPv6's ARP cache: the link-layer
// address of each on-link neighbor, learned from neighbor solicitations and advertisements, and
// whether the neighbor is known to be reachable (Neighbor Unreachability Detection, 7.3). An entry
// is INCOMPLETE while its address is resolved: packets wait in a small queue, multicast
// solicitations go out once a second, and after three unanswered ones the address is given up
// (its queue dropped, sends failing with EHOSTUNREACH for a while). A resolved entry is REACHABLE
// for ReachableTime after a confirmation (a solicited advertisement, or forward progress of a
// connection to it: Confirm), then STALE; a packet sent to a STALE neighbor (with the address it
// has) makes it DELAY, and a neighbor not confirmed within DelayFirstProbeTime is probed (PROBE):
// unicast solicitations to the address it has, once a second; after three unanswered the entry is
// removed. The state changes of 7.3.3's table happen here; the interface sends the solicitations
// and reports what it drops (Ipv6Interface.Tick). The timers are lazy where the RFC allows it:
// REACHABLE becomes STALE when the entry is next used.
internal sealed class NeighborCache
{
    // NOTE: RETRANS_TIMER, 1 s between solicitations (RFC 4861, 10).
    public const long RequestInterval = 1_000_000_000;

    // NOTE: MAX_MULTICAST_SOLICIT, 3 (RFC 4861, 10).
    public const int MaximumRequests = 3;

    // NOTE: MAX_UNICAST_SOLICIT, 3 (RFC 4861, 10): the probes of an entry in PROBE.
    public const int MaximumProbes = 3;

    // NOTE: REACHABLE_TIME is 30 s (RFC 4861, 10, BaseReachableTime; the RFC draws it between half
    // and one and a half of that, Linux too; one value keeps runs repeatable); a neighbor is taken
    // as reachable that long after it was last confirmed.
    public const long ReachableTime = 30_000_000_000;

    // NOTE: DELAY_FIRST_PROBE_TIME, 5 s (RFC 4861, 10): how long a STALE neighbor that a packet
    // went to has for a confirmation from above (a connection's progress) before it is probed.
    public const long DelayFirstProbeTime = 5_000_000_000;

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

    // The entry of an address, whatever its state, or null.
    public NeighborEntry? Find(Ipv6Address address) => entries.TryGetValue(address, out NeighborEntry? entry) ? entry : null;

    // The link-layer address of a resolved entry (in any state but INCOMPLETE), without using it.
    public bool TryLookup(Ipv6Address address, long now, out MacAddress mac)
    {
        if (entries.TryGetValue(address, out NeighborEntry? entry) && entry.State != NeighborState.Incomplete)
        {
            mac = entry.Mac;
            return true;
        }
        mac = default;
        return false;
    }

    // The link-layer address a packet to a resolved neighbor goes to now (RFC 4861, 7.3.3): a
    // REACHABLE entry past its time is STALE; a packet to a STALE one makes it DELAY, and then
    // probeDue says when it is probed unless confirmed first (else long.MaxValue).
    public bool TryUse(Ipv6Address address, long now, out MacAddress mac, out long probeDue)
    {
        probeDue = long.MaxValue;
        if (!entries.TryGetValue(address, out NeighborEntry? entry) || entry.State == NeighborState.Incomplete)
        {
            mac = default;
            return false;
        }
        if (entry.State == NeighborState.Reachable && entry.ReachableUntil <= now)
        {
            entry.State = NeighborState.Stale;
        }
        if (entry.State == NeighborState.Stale)
        {
            entry.State = NeighborState.Delay;
            entry.NextRequest = now + DelayFirstProbeTime;
            probeDue = entry.NextRequest;
        }
        mac = entry.Mac;
        return true;
    }

    // The INCOMPLETE entry that a packet to address waits on, made when missing. Null when the
    // table is full of entries that cannot be dropped.
    public NeighborEntry? Resolving(Ipv6Address address, long now)
    {
        if (entries.TryGetValue(address, out NeighborEntry? entry))
        {
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

    // A link-layer address a solicitation or a router's message carried (RFC 4861, 7.2.3, 6.3.4):
    // a new entry is STALE, as is one whose address changed; createIfMissing false: only an
    // existing entry is updated.
    public NeighborEntry? Learn(Ipv6Address address, MacAddress mac, long now, bool createIfMissing) =>
        Learn(address, mac, now, createIfMissing, false, true);

    // Records a neighbor's link-layer address by RFC 4861, 7.2.5's rules for an advertisement
    // (solicited: it answers a solicitation; overrides: its Override flag), and 7.2.3's for a
    // solicitation (createIfMissing, not solicited, overriding). An INCOMPLETE entry takes the
    // address, REACHABLE when solicited, else STALE; a resolved one takes a different address only
    // when overridden (else a REACHABLE one turns STALE and keeps its own), goes STALE when its
    // address changed and REACHABLE when solicited. Returns the entry, whose queue the caller now
    // sends, or null.
    public NeighborEntry? Learn(Ipv6Address address, MacAddress mac, long now, bool createIfMissing, bool solicited, bool overrides)
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
        if (entry.State == NeighborState.Incomplete)
        {
            entry.Mac = mac;
            entry.Requests = 0;
            entry.FailedUntil = 0;
            entry.State = NeighborState.Stale;
            if (solicited)
            {
                MakeReachable(entry, now);
            }
            return entry;
        }
        bool changed = !entry.Mac.Equals(mac);
        if (changed && !overrides)
        {
            if (entry.State == NeighborState.Reachable)
            {
                entry.State = NeighborState.Stale;
            }
            return entry;
        }
        if (changed)
        {
            entry.Mac = mac;
            entry.State = NeighborState.Stale;
        }
        if (solicited)
        {
            MakeReachable(entry, now);
        }
        return entry;
    }

    // A confirmation that the neighbor is reachable: a solicited advertisement (RFC 4861, 7.2.5)
    // or an upper layer's (7.3.1: a connection's forward progress). Only a resolved entry.
    public void Confirm(Ipv6Address address, long now)
    {
        if (entries.TryGetValue(address, out NeighborEntry? entry) && entry.State != NeighborState.Incomplete)
        {
            MakeReachable(entry, now);
        }
    }

    // Removes an entry (a neighbor found unreachable); its queue must have been drained.
    public void Remove(NeighborEntry entry)
    {
        if (entries.TryGetValue(entry.Address, out NeighborEntry? held) && held == entry)
        {
            entries.Remove(entry.Address);
        }
    }

    private static void MakeReachable(NeighborEntry entry, long now)
    {
        entry.State = NeighborState.Reachable;
        entry.ReachableUntil = now + ReachableTime;
        entry.Requests = 0;
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

    // The entries whose timer is due by now: INCOMPLETE ones whose next solicitation (or giving
    // up) is, DELAY ones to probe, PROBE ones whose next probe (or removal) is. The earliest later
    // deadline comes back in next (long.MaxValue: none).
    public List<NeighborEntry> Due(long now, out long next)
    {
        scan.Clear();
        next = long.MaxValue;
        foreach (NeighborEntry entry in entries.Values)
        {
            bool timed = entry.State == NeighborState.Delay || entry.State == NeighborState.Probe ||
                (entry.State == NeighborState.Incomplete && entry.Requests != 0 && entry.FailedUntil == 0);
            if (!timed)
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

    // Drops one entry nobody waits on: a STALE or failed one first, else any without a queue.
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
            bool stale = entry.State == NeighborState.Stale || (entry.FailedUntil != 0 && entry.FailedUntil <= now);
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

// The states of a neighbor entry (RFC 4861, 7.3.2).
internal static class NeighborState
{
    public const int Incomplete = 0;

    public const int Reachable = 1;

    public const int Stale = 2;

    public const int Delay = 3;

    public const int Probe = 4;
}

// One neighbor: its state (NeighborState), its link-layer address once resolved, until when it is
// REACHABLE, the solicitations or probes sent and when the next is due (or, in DELAY, the first
// probe), the packets waiting while INCOMPLETE, or given up until FailedUntil.
internal sealed class NeighborEntry
{
    public NeighborEntry(Ipv6Address address)
    {
        Address = address;
    }

    public Ipv6Address Address { get; }

    public int State { get; set; } = NeighborState.Incomplete;

    public MacAddress Mac { get; set; }

    public long ReachableUntil { get; set; }

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
