namespace Unikraft.Kernel;

using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Text;

// One inotify instance, the open file description inotify_init1 installs: its watches, each on a
// file or directory of the VFS named by (mount, inode), and the queue of events a read takes.
// A read blocks until an event is queued (EAGAIN with O_NONBLOCK), and poll and epoll see the
// instance readable while events wait.
internal sealed class InotifyInstance : IFileDescription
{
    // NOTE: struct inotify_event is wd (4), mask (4), cookie (4), len (4), then len bytes of
    // name, NUL-padded; Linux pads a name to a multiple of the header's size
    // (round_event_name_len in fs/notify/inotify/inotify_user.c).
    public const int EventHeaderLength = 16;

    // NOTE: /proc/sys/fs/inotify/max_queued_events defaults to 16384; past it one IN_Q_OVERFLOW
    // event (wd -1) stands for everything dropped.
    public const int MaximumQueuedEvents = 16384;

    // NOTE: /proc/sys/fs/inotify/max_user_watches: Linux scales it with memory (8192 at least).
    public const int MaximumWatches = 8192;

    // NOTE: F_SETFL may change O_APPEND | O_NONBLOCK | O_DIRECT | O_NOATIME (fs/fcntl.c).
    private const int ChangeableFlags = OpenFlags.O_APPEND | OpenFlags.O_NONBLOCK | OpenFlags.O_DIRECT | OpenFlags.O_NOATIME;

    private readonly InotifyWatches registry;
    private readonly Dictionary<int, InotifyWatch> watches = new Dictionary<int, InotifyWatch>();
    private readonly Queue<byte[]> events = new Queue<byte[]>();
    private readonly WaitQueue readers;
    private byte[]? lastEvent;
    private bool overflowQueued;
    private int nextDescriptor = 1;
    private int flags = OpenFlags.O_RDONLY;
    private bool released;

    public InotifyInstance(Kernel kernel, InotifyWatches registry)
    {
        this.registry = registry;
        readers = new WaitQueue(kernel.Scheduler);
    }

    public Readiness Readiness { get; } = new Readiness();

    public int StatusFlags => flags;

    public int QueuedEvents => events.Count;

    public int WatchCount => watches.Count;

    public void SetStatusFlags(int newFlags)
    {
        flags = (flags & ~ChangeableFlags) | (newFlags & ChangeableFlags);
    }

    // inotify_add_watch on a location already resolved: the watch descriptor, the same one when
    // the file is watched already (its mask replaced, or widened with IN_MASK_ADD).
    public long AddWatch(VfsLocation location, uint mask)
    {
        foreach (InotifyWatch existing in watches.Values)
        {
            if (existing.Mount == location.Mount && existing.Inode == location.Vnode.Inode)
            {
                if ((mask & InotifyMask.IN_MASK_CREATE) != 0)
                {
                    return -Errno.EEXIST;
                }
                existing.Mask = (mask & InotifyMask.IN_MASK_ADD) != 0 ? existing.Mask | mask : mask;
                return existing.Descriptor;
            }
        }
        if (watches.Count >= MaximumWatches)
        {
            return -Errno.ENOSPC;
        }
        InotifyWatch watch = new InotifyWatch(this, nextDescriptor++, location.Mount, location.Vnode.Inode, mask);
        watches.Add(watch.Descriptor, watch);
        registry.Add(watch);
        return watch.Descriptor;
    }

    // inotify_rm_watch: the watch goes, and IN_IGNORED says so to the reader.
    public long RemoveWatch(int descriptor)
    {
        if (!watches.TryGetValue(descriptor, out InotifyWatch? watch))
        {
            return -Errno.EINVAL;
        }
        Forget(watch);
        return 0;
    }

    // The watch's file is gone (or it was IN_ONESHOT): IN_IGNORED, and the watch goes.
    public void Forget(InotifyWatch watch)
    {
        if (!watches.Remove(watch.Descriptor))
        {
            return;
        }
        registry.Remove(watch);
        Queue(watch.Descriptor, InotifyMask.IN_IGNORED, 0, null);
    }

    // An event for one of this instance's watches, queued unless it repeats the last one
    // unread (Linux merges those: a run of writes is one IN_MODIFY).
    public void Queue(int descriptor, uint mask, uint cookie, string? name)
    {
        if (released)
        {
            return;
        }
        byte[] nameBytes = name == null || name.Length == 0 ? Array.Empty<byte>() : Encoding.UTF8.GetBytes(name);
        int nameLength = nameBytes.Length == 0 ? 0 : (nameBytes.Length + 1 + EventHeaderLength - 1) / EventHeaderLength * EventHeaderLength;
        byte[] record = new byte[EventHeaderLength + nameLength];
        BinaryPrimitives.WriteInt32LittleEndian(record, descriptor);
        BinaryPrimitives.WriteUInt32LittleEndian(record.AsSpan(4), mask);
        BinaryPrimitives.WriteUInt32LittleEndian(record.AsSpan(8), cookie);
        BinaryPrimitives.WriteUInt32LittleEndian(record.AsSpan(12), (uint)nameLength);
        nameBytes.CopyTo(record.AsSpan(EventHeaderLength));
        if (events.Count > 0 && lastEvent != null && record.AsSpan().SequenceEqual(lastEvent))
        {
            return;
        }
        if (events.Count >= MaximumQueuedEvents)
        {
            if (overflowQueued)
            {
                return;
            }
            overflowQueued = true;
            record = new byte[EventHeaderLength];
            BinaryPrimitives.WriteInt32LittleEndian(record, -1);
            BinaryPrimitives.WriteUInt32LittleEndian(record.AsSpan(4), InotifyMask.IN_Q_OVERFLOW);
        }
        events.Enqueue(record);
        lastEvent = record;
        readers.WakeAll();
        Readiness.Changed(this, PollEvents.POLLIN | PollEvents.POLLRDNORM);
    }

    // Whole events, as many as fit; EINVAL when the first does not fit (inotify(7)).
    public long Read(Span<byte> buffer)
    {
        while (events.Count == 0)
        {
            if ((flags & OpenFlags.O_NONBLOCK) != 0)
            {
                return -Errno.EAGAIN;
            }
            readers.Wait(long.MaxValue);
        }
        int written = 0;
        while (events.Count > 0 && events.Peek().Length <= buffer.Length - written)
        {
            byte[] record = events.Dequeue();
            record.CopyTo(buffer.Slice(written));
            written += record.Length;
            if (BinaryPrimitives.ReadUInt32LittleEndian(record.AsSpan(4)) == InotifyMask.IN_Q_OVERFLOW)
            {
                overflowQueued = false;
            }
        }
        if (events.Count == 0)
        {
            lastEvent = null;
        }
        return written == 0 ? -Errno.EINVAL : written;
    }

    public long Write(ReadOnlySpan<byte> buffer)
    {
        return -Errno.EINVAL;
    }

    // NOTE: an anonymous inode (anon_inode:inotify): mode 0600 with no file type bits.
    public long GetAttributes(out Stat attributes)
    {
        attributes = default;
        attributes.Mode = 0x180;
        attributes.LinkCount = 1;
        attributes.BlockSize = 4096;
        return 0;
    }

    public int Poll()
    {
        return events.Count > 0 ? PollEvents.POLLIN | PollEvents.POLLRDNORM : 0;
    }

    // The last fd was closed: every watch goes, nothing more is queued.
    public void Release()
    {
        released = true;
        foreach (InotifyWatch watch in watches.Values)
        {
            registry.Remove(watch);
        }
        watches.Clear();
        events.Clear();
        Readiness.Released(this);
    }
}

// One watch: which file (a mount and an inode: vnodes are compared so, see IVnode), which events.
internal sealed class InotifyWatch
{
    public InotifyWatch(InotifyInstance instance, int descriptor, VfsMount mount, long inode, uint mask)
    {
        Instance = instance;
        Descriptor = descriptor;
        Mount = mount;
        Inode = inode;
        Mask = mask;
    }

    public InotifyInstance Instance { get; }

    public int Descriptor { get; }

    public VfsMount Mount { get; }

    public long Inode { get; }

    public uint Mask { get; set; }
}
