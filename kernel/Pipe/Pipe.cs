namespace Unikraft.Kernel;

using System;

// The buffer between the two ends of one pipe, as pipe(7) describes it: a 64 KiB ring, writes
// of up to PIPE_BUF bytes that never interleave with other writes, a reader that sees the end
// of file once every write end is closed, and a writer that gets EPIPE once every read end is.
// Blocked readers and writers wait on one WaitQueue, which every change wakes; the watchers of
// each end (poll, epoll) hear the changes that can make that end ready: a write the read end, a
// read the write end, a close both.
internal sealed class Pipe
{
    // NOTE: the default capacity of a Linux pipe, 16 pages (pipe(7), "Pipe capacity").
    public const int Capacity = 65536;

    // NOTE: PIPE_BUF from linux/limits.h: writes of at most this many bytes are atomic (pipe(7)).
    public const int AtomicLength = 4096;

    private readonly byte[] ring = new byte[Capacity];
    private readonly WaitQueue waiters;
    private int head;
    private int count;

    public Pipe(Kernel kernel)
    {
        waiters = new WaitQueue(kernel.Scheduler);
        Inode = kernel.NextAnonymousInode();
        ReadEnd = new PipeEnd(this, true);
        WriteEnd = new PipeEnd(this, false);
        Readers = 1;
        Writers = 1;
    }

    public long Inode { get; }

    public PipeEnd ReadEnd { get; }

    public PipeEnd WriteEnd { get; }

    // Open descriptions of each end (an end's description is released on its last close).
    public int Readers { get; private set; }

    public int Writers { get; private set; }

    // Bytes waiting to be read.
    public int Count => count;

    public long Read(Span<byte> buffer, bool nonBlocking)
    {
        if (buffer.IsEmpty)
        {
            return 0;
        }
        while (true)
        {
            if (count > 0)
            {
                int length = Math.Min(count, buffer.Length);
                int first = Math.Min(length, Capacity - head);
                ring.AsSpan(head, first).CopyTo(buffer);
                ring.AsSpan(0, length - first).CopyTo(buffer.Slice(first));
                bool wasFull = Capacity - count < AtomicLength;
                head = (head + length) % Capacity;
                count -= length;
                waiters.WakeAll();
                // NOTE: as Linux's pipe_read, the write end hears only when a read made room in
                // a pipe that had none.
                if (wasFull && Capacity - count >= AtomicLength)
                {
                    WriteEnd.Readiness.Changed(WriteEnd, PollEvents.POLLOUT | PollEvents.POLLWRNORM);
                }
                return length;
            }
            if (Writers == 0)
            {
                return 0;
            }
            if (nonBlocking)
            {
                return -Errno.EAGAIN;
            }
            waiters.Wait(long.MaxValue);
        }
    }

    // NOTE: with no reader left Linux also raises SIGPIPE; this kernel has no signals, so the
    // writer sees only EPIPE (as a program that ignores SIGPIPE does, which .NET's runtime does).
    public long Write(ReadOnlySpan<byte> buffer, bool nonBlocking)
    {
        if (buffer.IsEmpty)
        {
            return 0;
        }
        // A small write goes in whole or waits for room; a larger one goes in as room appears
        // and may interleave with other writers (pipe(7), "PIPE_BUF").
        bool atomic = buffer.Length <= AtomicLength;
        int written = 0;
        while (true)
        {
            if (Readers == 0)
            {
                return written > 0 ? written : -Errno.EPIPE;
            }
            int free = Capacity - count;
            int remaining = buffer.Length - written;
            if (free > 0 && (!atomic || free >= remaining))
            {
                int length = Math.Min(free, remaining);
                int tail = (head + count) % Capacity;
                int first = Math.Min(length, Capacity - tail);
                buffer.Slice(written, first).CopyTo(ring.AsSpan(tail));
                buffer.Slice(written + first, length - first).CopyTo(ring);
                count += length;
                written += length;
                waiters.WakeAll();
                // NOTE: every write wakes the read end's watchers, not only one into an empty
                // pipe: Linux's pipe_write does the same once epoll watches the pipe, so an
                // edge-triggered reader hears each write.
                ReadEnd.Readiness.Changed(ReadEnd, PollEvents.POLLIN | PollEvents.POLLRDNORM);
                if (written == buffer.Length)
                {
                    return written;
                }
                continue;
            }
            if (nonBlocking)
            {
                return written > 0 ? written : -Errno.EAGAIN;
            }
            waiters.Wait(long.MaxValue);
        }
    }

    // The read end: readable with data, POLLHUP once no writer is left. The write end: writable
    // while a page is free (Linux reports POLLOUT while one of its 16 page slots is free),
    // POLLERR once no reader is left.
    public int Poll(bool readEnd)
    {
        int mask = 0;
        if (readEnd)
        {
            if (count > 0)
            {
                mask |= PollEvents.POLLIN | PollEvents.POLLRDNORM;
            }
            if (Writers == 0)
            {
                mask |= PollEvents.POLLHUP;
            }
            return mask;
        }
        if (Capacity - count >= AtomicLength)
        {
            mask |= PollEvents.POLLOUT | PollEvents.POLLWRNORM;
        }
        if (Readers == 0)
        {
            mask |= PollEvents.POLLERR;
        }
        return mask;
    }

    // The last close of one end's description.
    public void Close(bool readEnd)
    {
        if (readEnd)
        {
            Readers--;
        }
        else
        {
            Writers--;
        }
        waiters.WakeAll();
        const int everything = PollEvents.POLLIN | PollEvents.POLLRDNORM | PollEvents.POLLOUT | PollEvents.POLLWRNORM
            | PollEvents.POLLERR | PollEvents.POLLHUP;
        ReadEnd.Readiness.Changed(ReadEnd, everything);
        WriteEnd.Readiness.Changed(WriteEnd, everything);
    }
}
