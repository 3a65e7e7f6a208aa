namespace Unikraft.Kernel;

using System;
using System.Collections.Generic;

// The resolver's answers for a while: each entry lives for the smallest TTL of the records it was
// made of (RFC 1035, 3.2.1), bounded by MaximumTtl, and the cache holds at most Capacity entries
// (the one closest to expiry goes first). A TTL of 0 is not cached (RFC 1035, 3.2.1: "should not
// be cached"). Negative answers are kept for the SOA's minimum TTL (RFC 2308, 5).
internal sealed class DnsCache
{
    // NOTE: a stub resolver's cache is small; 64 names cover a program's peers. An hour bounds
    // how long a changed record can go unseen (nscd's positive-time-to-live default is 3600 s).
    public const int Capacity = 64;

    public const long MaximumTtlSeconds = 3600;

    private const long NanosecondsPerSecond = 1_000_000_000;

    private readonly Dictionary<string, Entry> entries = new Dictionary<string, Entry>(StringComparer.OrdinalIgnoreCase);

    public int Count => entries.Count;

    // The entry for name and type while it lives: Found with its addresses and canonical name, or
    // NoName for a cached negative answer. False when there is none (or it expired).
    public bool TryGet(string name, ushort type, long now, out int status, out string canonicalName, out List<byte[]>? addresses)
    {
        string key = Key(name, type);
        status = DnsStatus.Failed;
        canonicalName = name;
        addresses = null;
        if (!entries.TryGetValue(key, out Entry? entry))
        {
            return false;
        }
        if (entry.Expires <= now)
        {
            entries.Remove(key);
            return false;
        }
        status = entry.Status;
        canonicalName = entry.CanonicalName;
        addresses = entry.Addresses;
        return true;
    }

    public void Add(string name, ushort type, int status, string canonicalName, List<byte[]> addresses, uint ttlSeconds, long now)
    {
        if (ttlSeconds == 0)
        {
            return;
        }
        long ttl = Math.Min(ttlSeconds, MaximumTtlSeconds);
        string key = Key(name, type);
        if (!entries.ContainsKey(key) && entries.Count >= Capacity)
        {
            Evict(now);
        }
        entries[key] = new Entry(status, canonicalName, new List<byte[]>(addresses), now + ttl * NanosecondsPerSecond);
    }

    // Drops what expired; when nothing did, the entry that would expire first.
    private void Evict(long now)
    {
        List<string> expired = new List<string>();
        string? soonest = null;
        long soonestExpiry = long.MaxValue;
        foreach (KeyValuePair<string, Entry> pair in entries)
        {
            if (pair.Value.Expires <= now)
            {
                expired.Add(pair.Key);
            }
            else if (pair.Value.Expires < soonestExpiry)
            {
                soonestExpiry = pair.Value.Expires;
                soonest = pair.Key;
            }
        }
        for (int index = 0; index < expired.Count; index++)
        {
            entries.Remove(expired[index]);
        }
        if (expired.Count == 0 && soonest != null)
        {
            entries.Remove(soonest);
        }
    }

    private static string Key(string name, ushort type) => DnsName.Trim(name) + "/" + type.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private sealed class Entry
    {
        public Entry(int status, string canonicalName, List<byte[]> addresses, long expires)
        {
            Status = status;
            CanonicalName = canonicalName;
            Addresses = addresses;
            Expires = expires;
        }

        public int Status { get; }

        public string CanonicalName { get; }

        public List<byte[]> Addresses { get; }

        public long Expires { get; }
    }
}
