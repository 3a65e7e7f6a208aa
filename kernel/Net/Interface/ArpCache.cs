namespace Unikraft.Kernel;

using System;
using System.Collections.Generic;

// The ARP cache of one interface (RFC 826), with the rules RFC 1122, 2.3.2 adds: entries expire,
// a datagram to an unresolved address waits in a small queue while its request is out, requests
// to one address go out at most once a second, and after a few unanswered ones the address is
// given up: its queue is dropped and sends to it fail with EHOSTUNREACH for a while.
internal sealed class ArpCache
{
    // NOTE: RFC 1122, 2.3.2.1 asks for at most one request per second per destination.
    public const long RequestInterval = 1_000_000_000;

    // NOTE: 3 requests, as Linux's neighbour table sends by default (mcast_solicit = 3).
    public const int MaximumRequests = 3;

    // NOTE: an entry is trusted for 60 s, then resolved again (RFC 1122, 2.3.2.1 asks for a
    // timeout; Linux keeps entries reachable for 15-45 s and then revalidates them).
    public const long EntryLifetime = 60_000_000_000;

    // How long an address that gave up answers EHOSTUNREACH at once before a send tries again.
    // NOTE: Linux's neighbour layer keeps a FAILED entry until its next garbage collection; one
    // request interval here lets a program's own retry (ping's one per second) start a new round.
    public const long FailedHold = 1_000_000_000;

    // NOTE: RFC 1122, 2.3.2.2 asks to keep at least one datagram per unresolved address; 3, as
    // Linux's former unres_qlen, and 64 KiB in all per interface, so a sender cannot make the
    // cache hold unbounded memory for an address that never answers.
    public const int MaximumQueuedPerAddress = 3;

    public const int MaximumQueuedBytes = 65536;

    // NOTE: a bound on the table itself; Linux's gc_thresh3 is 1024.
    public const int MaximumEntries = 1024;

    private readonly Dictionary<uint, ArpEntry> entries = new Dictionary<uint, ArpEntry>();
    private readonly List<ArpEntry> scan = new List<ArpEntry>();

    public int Count => entries.Count;

    public int QueuedBytes { get; private set; }

    // The hardware address of a resolved, unexpired entry.
    public bool TryLookup(Ipv4Address address, long now, out MacAddress mac)
    {
        if (entries.TryGetValue(address.Value, out ArpEntry? entry) && entry.Resolved && entry.Expires > now)
        {
            mac = entry.Mac;
            return true;
        }
        mac = default;
        return false;
    }

    // The entry that a datagram to address waits on, made when missing. Null when the table is
    // full of entries that cannot be dropped.
    public ArpEntry? Resolving(Ipv4Address address, long now)
    {
        if (entries.TryGetValue(address.Value, out ArpEntry? entry))
        {
            if (entry.Resolved && entry.Expires <= now)
            {
                // Expired: resolved again from scratch, as if never seen.
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
        entry = new ArpEntry(address);
        entries[address.Value] = entry;
        return entry;
    }

    // Records what an ARP packet said about its sender. update: only when an entry exists (RFC
    // 826's merge); otherwise a new entry is made. Returns the entry, whose queue the caller
    // now sends, or null when nothing was recorded.
    public ArpEntry? Learn(Ipv4Address address, MacAddress mac, long now, bool createIfMissing)
    {
        if (!entries.TryGetValue(address.Value, out ArpEntry? entry))
        {
            if (!createIfMissing || (entries.Count >= MaximumEntries && !EvictOne(now)))
            {
                return null;
            }
            entry = new ArpEntry(address);
            entries[address.Value] = entry;
        }
        entry.Mac = mac;
        entry.Resolved = true;
        entry.Expires = now + EntryLifetime;
        entry.Requests = 0;
        entry.FailedUntil = 0;
        return entry;
    }

    // Adds a datagram to an entry's queue; the oldest waiting datagram of that address is dropped
    // (and counted by the caller through the return value) when the queue is full.
    public bool Enqueue(ArpEntry entry, PendingDatagram datagram, PacketPool pool, out bool droppedOne)
    {
        droppedOne = false;
        if (datagram.Length > MaximumQueuedBytes)
        {
            return false;
        }
        while (entry.Queue.Count > 0 && (entry.Queue.Count >= MaximumQueuedPerAddress || QueuedBytes + datagram.Length > MaximumQueuedBytes))
        {
            Release(entry.Queue.Dequeue(), pool);
            droppedOne = true;
        }
        if (QueuedBytes + datagram.Length > MaximumQueuedBytes)
        {
            return false;
        }
        entry.Queue.Enqueue(datagram);
        QueuedBytes += datagram.Length;
        return true;
    }

    // Takes the next waiting datagram of an entry; the caller sends it and returns its buffer.
    public bool TryDequeue(ArpEntry entry, out PendingDatagram datagram)
    {
        if (entry.Queue.Count == 0)
        {
            datagram = default;
            return false;
        }
        datagram = entry.Queue.Dequeue();
        QueuedBytes -= datagram.Length;
        return true;
    }

    // Drops an entry's queue (its address gave up).
    public int DropQueue(ArpEntry entry, PacketPool pool)
    {
        int dropped = entry.Queue.Count;
        while (entry.Queue.Count > 0)
        {
            Release(entry.Queue.Dequeue(), pool);
        }
        return dropped;
    }

    // The unresolved entries whose next request (or giving up) is due by now, into scan; the
    // earliest later deadline comes back in next (long.MaxValue: none).
    public List<ArpEntry> Due(long now, out long next)
    {
        scan.Clear();
        next = long.MaxValue;
        foreach (ArpEntry entry in entries.Values)
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

    private void Release(PendingDatagram datagram, PacketPool pool)
    {
        QueuedBytes -= datagram.Length;
        pool.Return(datagram.Buffer);
    }

    // Drops one entry nobody waits on: an expired or failed one first, else any without a queue.
    private bool EvictOne(long now)
    {
        uint victim = 0;
        bool found = false;
        foreach (KeyValuePair<uint, ArpEntry> pair in entries)
        {
            ArpEntry entry = pair.Value;
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

// One address in the cache: resolved (with its hardware address and expiry), or being resolved
// (requests sent so far, when the next one is due, the datagrams waiting), or given up until
// FailedUntil.
internal sealed class ArpEntry
{
    public ArpEntry(Ipv4Address address)
    {
        Address = address;
    }

    public Ipv4Address Address { get; }

    public MacAddress Mac { get; set; }

    public bool Resolved { get; set; }

    public long Expires { get; set; }

    public int Requests { get; set; }

    public long NextRequest { get; set; }

    public long FailedUntil { get; set; }

    public Queue<PendingDatagram> Queue { get; } = new Queue<PendingDatagram>();
}

// A datagram waiting for its next hop's hardware address: the transport payload in a pooled
// buffer and what its IPv4 header will say.
internal readonly struct PendingDatagram
{
    public PendingDatagram(byte[] buffer, int length, Ipv4Address source, Ipv4Address destination, byte protocol)
    {
        Buffer = buffer;
        Length = length;
        Source = source;
        Destination = destination;
        Protocol = protocol;
    }

    public byte[] Buffer { get; }

    public int Length { get; }

    public Ipv4Address Source { get; }

    public Ipv4Address Destination { get; }

    public byte Protocol { get; }
}
