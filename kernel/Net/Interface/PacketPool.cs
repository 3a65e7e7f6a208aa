namespace Unikraft.Kernel;

using System;
using System.Collections.Generic;

// The buffers the stack holds datagrams in while they wait (for ARP, for the loopback queue, for
// their other fragments): power-of-two sizes from 2 KiB to 64 KiB, reused instead of allocated
// per datagram. Each size keeps at most a few free buffers, so an idle stack returns to a small
// footprint after a burst.
internal sealed class PacketPool
{
    // NOTE: 2 KiB holds an Ethernet frame at the 1500-byte MTU; 64 KiB holds the largest IPv4
    // datagram (65535 bytes, RFC 791, 3.1) with room for a link header.
    public const int SmallestLength = 2048;

    public const int LargestLength = 65536;

    private const int BucketCount = 6;

    private readonly Stack<byte[]>[] free = new Stack<byte[]>[BucketCount];
    private readonly int keepPerBucket;

    public PacketPool(int keepPerBucket)
    {
        this.keepPerBucket = keepPerBucket;
        for (int index = 0; index < BucketCount; index++)
        {
            free[index] = new Stack<byte[]>();
        }
    }

    // Buffers handed out and not yet returned.
    public int Outstanding { get; private set; }

    // A buffer of at least length bytes (length at most LargestLength).
    public byte[] Rent(int length)
    {
        int bucket = Bucket(length);
        Outstanding++;
        if (free[bucket].Count > 0)
        {
            return free[bucket].Pop();
        }
        return new byte[SmallestLength << bucket];
    }

    public void Return(byte[] buffer)
    {
        Outstanding--;
        int bucket = Bucket(buffer.Length);
        if ((SmallestLength << bucket) == buffer.Length && free[bucket].Count < keepPerBucket)
        {
            free[bucket].Push(buffer);
        }
    }

    private static int Bucket(int length)
    {
        int bucket = 0;
        while (bucket < BucketCount - 1 && (SmallestLength << bucket) < length)
        {
            bucket++;
        }
        return bucket;
    }
}
