namespace Unikraft.Kernel;

using System;
using System.Collections.Generic;

// An epoll instance (epoll(7)): an interest list of (description, fd) pairs and a ready list.
// Each item watches its description's Readiness; a change that makes an event it asks for ready
// puts it on the ready list and wakes epoll_wait. epoll_wait reports each ready item once,
// then level-triggered items go back on the list (they are reported again while they stay
// ready), edge-triggered ones wait for the next change, and one-shot ones are disabled until
// EPOLL_CTL_MOD arms them again. The instance is itself pollable: readable while an item on its
// ready list is ready, so epolls nest (with loops refused, ELOOP).
internal sealed class EpollFile : IFileDescription
{
    public const int EPOLL_CTL_ADD = 1;
    public const int EPOLL_CTL_DEL = 2;
    public const int EPOLL_CTL_MOD = 3;

    // NOTE: the input flags of eventpoll.h.
    public const uint EPOLLEXCLUSIVE = 1u << 28;
    public const uint EPOLLWAKEUP = 1u << 29;
    public const uint EPOLLONESHOT = 1u << 30;
    public const uint EPOLLET = 1u << 31;

    // NOTE: EP_PRIVATE_BITS of fs/eventpoll.c: the flags that are not events. A one-shot item
    // that fired keeps only these, which disables it.
    public const uint PrivateBits = EPOLLWAKEUP | EPOLLONESHOT | EPOLLET | EPOLLEXCLUSIVE;

    // NOTE: EPOLLEXCLUSIVE_OK_BITS of fs/eventpoll.c: what EPOLLEXCLUSIVE may come with.
    public const uint ExclusiveBits = PollEvents.POLLIN | PollEvents.POLLOUT | PollEvents.POLLERR | PollEvents.POLLHUP
        | EPOLLWAKEUP | EPOLLET | EPOLLEXCLUSIVE;

    // NOTE: EP_MAX_NESTS of fs/eventpoll.c: epolls nest at most this deep.
    public const int MaximumNesting = 4;

    private readonly Dictionary<EpollKey, EpollItem> interest = new Dictionary<EpollKey, EpollItem>();
    private readonly List<EpollItem> ready = new List<EpollItem>();
    private readonly List<EpollItem> again = new List<EpollItem>();
    private readonly WaitQueue waiters;
    private readonly long inode;

    public EpollFile(Kernel kernel)
    {
        waiters = new WaitQueue(kernel.Scheduler);
        inode = kernel.NextAnonymousInode();
    }

    public int InterestCount => interest.Count;

    // NOTE: anon_inode_getfile opens an epoll O_RDWR; F_SETFL may change O_NONBLOCK, which
    // epoll_wait ignores, as on Linux.
    public int StatusFlags { get; private set; } = OpenFlags.O_RDWR;

    public Readiness Readiness { get; } = new Readiness();

    public void SetStatusFlags(int flags)
    {
        const int changeable = OpenFlags.O_APPEND | OpenFlags.O_NONBLOCK | OpenFlags.O_DIRECT | OpenFlags.O_NOATIME;
        StatusFlags = (StatusFlags & ~changeable) | (flags & changeable);
    }

    // NOTE: an epoll fd has no read or write; Linux answers EINVAL.
    public long Read(Span<byte> buffer)
    {
        return -Errno.EINVAL;
    }

    public long Write(ReadOnlySpan<byte> buffer)
    {
        return -Errno.EINVAL;
    }

    // NOTE: an anonymous inode: mode 0600 with no file type bits (fs/anon_inodes.c).
    public long GetAttributes(out Stat attributes)
    {
        attributes = default;
        attributes.Mode = 0x180;
        attributes.LinkCount = 1;
        attributes.Inode = inode;
        attributes.BlockSize = 4096;
        return 0;
    }

    public int Poll()
    {
        for (int index = 0; index < ready.Count; index++)
        {
            if (ready[index].ReadyEvents() != 0)
            {
                return PollEvents.POLLIN | PollEvents.POLLRDNORM;
            }
        }
        return 0;
    }

    // The last close: every item stops watching, and whoever watches this epoll forgets it.
    public void Release()
    {
        foreach (EpollItem item in interest.Values)
        {
            item.Description.Readiness?.Remove(item);
        }
        interest.Clear();
        ready.Clear();
        Readiness.Released(this);
    }

    // epoll_ctl(2) once the fds are known good: target is what fd refers to, events as given
    // (EPOLLERR and EPOLLHUP are added, as Linux always reports them).
    public long Control(int operation, int fd, IFileDescription target, uint events, ulong data)
    {
        EpollKey key = new EpollKey(target, fd);
        if (operation == EPOLL_CTL_ADD && target is EpollFile nested && nested.Reaches(this, 1))
        {
            return -Errno.ELOOP;
        }
        interest.TryGetValue(key, out EpollItem? item);
        switch (operation)
        {
            case EPOLL_CTL_ADD:
                if (item != null)
                {
                    return -Errno.EEXIST;
                }
                item = new EpollItem(this, target, fd, events | PollEvents.POLLERR | PollEvents.POLLHUP, data);
                interest.Add(key, item);
                target.Readiness!.Add(item);
                QueueIfReady(item);
                return 0;
            case EPOLL_CTL_DEL:
                if (item == null)
                {
                    return -Errno.ENOENT;
                }
                Forget(item);
                return 0;
            case EPOLL_CTL_MOD:
                if (item == null)
                {
                    return -Errno.ENOENT;
                }
                // NOTE: an exclusive item cannot be modified (epoll_ctl(2), EINVAL).
                if ((item.Events & EPOLLEXCLUSIVE) != 0)
                {
                    return -Errno.EINVAL;
                }
                item.Events = events | PollEvents.POLLERR | PollEvents.POLLHUP;
                item.Data = data;
                QueueIfReady(item);
                return 0;
            default:
                return -Errno.EINVAL;
        }
    }

    // epoll_wait(2): up to events.Length ready items, waiting until one is ready or the
    // deadline (long.MaxValue: none; waitAtAll false: a timeout of 0) passes.
    public long Wait(Span<EpollEvent> events, bool waitAtAll, long deadline)
    {
        while (true)
        {
            int reported = Harvest(events);
            if (reported > 0 || !waitAtAll)
            {
                return reported;
            }
            if (!waiters.Wait(deadline))
            {
                return Harvest(events);
            }
        }
    }

    // Whether target is this epoll or is watched by it, directly or through nested epolls, or
    // the nesting would be too deep.
    private bool Reaches(EpollFile target, int depth)
    {
        if (ReferenceEquals(this, target) || depth > MaximumNesting)
        {
            return true;
        }
        foreach (EpollItem item in interest.Values)
        {
            if (item.Description is EpollFile nested && nested.Reaches(target, depth + 1))
            {
                return true;
            }
        }
        return false;
    }

    // An item's description changed in a way that may concern it.
    internal void ItemChanged(EpollItem item, int events)
    {
        if ((events & (int)item.Events) == 0)
        {
            return;
        }
        QueueIfReady(item);
    }

    // The item leaves the interest list: EPOLL_CTL_DEL, or the last close of its description.
    internal void Forget(EpollItem item)
    {
        interest.Remove(new EpollKey(item.Description, item.Fd));
        item.Description.Readiness?.Remove(item);
        if (item.Queued)
        {
            item.Queued = false;
            ready.Remove(item);
        }
    }

    private void QueueIfReady(EpollItem item)
    {
        if (item.ReadyEvents() == 0)
        {
            return;
        }
        if (!item.Queued)
        {
            item.Queued = true;
            ready.Add(item);
        }
        waiters.WakeAll();
        Readiness.Changed(this, PollEvents.POLLIN | PollEvents.POLLRDNORM);
    }

    // Reports ready items in ready-list order, as ep_send_events does: an item no longer ready
    // drops off, a level-triggered one goes back to the end of the list, the ones not reached
    // (the caller's array was full) stay at its front.
    private int Harvest(Span<EpollEvent> events)
    {
        int reported = 0;
        int index = 0;
        again.Clear();
        for (; index < ready.Count && reported < events.Length; index++)
        {
            EpollItem item = ready[index];
            item.Queued = false;
            int mask = item.ReadyEvents();
            if (mask == 0)
            {
                continue;
            }
            events[reported++] = new EpollEvent((uint)mask, item.Data);
            if ((item.Events & EPOLLONESHOT) != 0)
            {
                item.Events &= PrivateBits;
            }
            else if ((item.Events & EPOLLET) == 0)
            {
                again.Add(item);
            }
        }
        ready.RemoveRange(0, index);
        for (int back = 0; back < again.Count; back++)
        {
            EpollItem item = again[back];
            if (!item.Queued)
            {
                item.Queued = true;
                ready.Add(item);
            }
        }
        again.Clear();
        return reported;
    }

    // Linux keys the interest list by the open file and the fd number together.
    private readonly struct EpollKey : IEquatable<EpollKey>
    {
        public EpollKey(IFileDescription description, int fd)
        {
            Description = description;
            Fd = fd;
        }

        public IFileDescription Description { get; }

        public int Fd { get; }

        public bool Equals(EpollKey other)
        {
            return ReferenceEquals(Description, other.Description) && Fd == other.Fd;
        }

        public override bool Equals(object? other)
        {
            return other is EpollKey key && Equals(key);
        }

        public override int GetHashCode()
        {
            return System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(Description) * 31 + Fd;
        }
    }
}

// One entry of an epoll interest list.
internal sealed class EpollItem : IReadinessWatcher
{
    private readonly EpollFile owner;

    public EpollItem(EpollFile owner, IFileDescription description, int fd, uint events, ulong data)
    {
        this.owner = owner;
        Description = description;
        Fd = fd;
        Events = events;
        Data = data;
    }

    public IFileDescription Description { get; }

    public int Fd { get; }

    // The events asked for with the flags (EPOLLET, EPOLLONESHOT); only flags once a one-shot
    // item has fired.
    public uint Events { get; set; }

    public ulong Data { get; set; }

    // On the ready list.
    public bool Queued { get; set; }

    // The events asked for that hold now; 0 for a disabled one-shot item.
    public int ReadyEvents()
    {
        return Description.Poll() & (int)(Events & ~EpollFile.PrivateBits);
    }

    public void ReadinessChanged(IFileDescription description, int events)
    {
        owner.ItemChanged(this, events);
    }

    public void DescriptionReleased(IFileDescription description)
    {
        owner.Forget(this);
    }
}
