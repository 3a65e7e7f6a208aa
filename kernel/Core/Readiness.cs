namespace Unikraft.Kernel;

using System;

// Hears when an open file description's readiness may have changed: poll's waiter, an epoll
// item, a program's own readiness callback. Called on the vCPU, from whatever changed the state
// (a write into a pipe, a device's interrupt), so a watcher only records or wakes; it never
// blocks or reads the description itself.
internal interface IReadinessWatcher
{
    // events: the PollEvents the change may have made ready (a write into a pipe says POLLIN,
    // a read that freed room says POLLOUT), as Linux passes a key with each wake-up; a watcher
    // that waits for other events ignores it.
    void ReadinessChanged(IFileDescription description, int events);

    // The last fd referring to the description was closed: the watcher forgets it (an epoll
    // interest list drops it, as Linux does).
    void DescriptionReleased(IFileDescription description);
}

// The watchers of one open file description, as the wait-queue head of a Linux struct file.
// The description calls Changed after every change that can make an event ready (data in, room
// out, an end closed); a wake-up that changes nothing is allowed, a missed one is a hang.
internal sealed class Readiness
{
    private IReadinessWatcher[] watchers = new IReadinessWatcher[2];
    // Assigned here as well as by Add: a kernel with no poll or epoll loses Add to pruning, and
    // the field must still count as assigned (CS0649).
    private int count = 0;

    public int Count => count;

    // The same watcher may be added more than once (poll of two fds sharing one description);
    // each Add needs its own Remove.
    public void Add(IReadinessWatcher watcher)
    {
        if (count == watchers.Length)
        {
            Array.Resize(ref watchers, count * 2);
        }
        watchers[count++] = watcher;
    }

    public void Remove(IReadinessWatcher watcher)
    {
        for (int index = count - 1; index >= 0; index--)
        {
            if (ReferenceEquals(watchers[index], watcher))
            {
                Array.Copy(watchers, index + 1, watchers, index, count - index - 1);
                count--;
                watchers[count] = null!;
                return;
            }
        }
    }

    public void Changed(IFileDescription description, int events)
    {
        // A watcher only wakes or queues, so the list does not change under this loop.
        for (int index = 0; index < count; index++)
        {
            watchers[index].ReadinessChanged(description, events);
        }
    }

    // On the last close: every watcher hears it once, and the list is empty after.
    public void Released(IFileDescription description)
    {
        while (count > 0)
        {
            IReadinessWatcher watcher = watchers[count - 1];
            watchers[--count] = null!;
            watcher.DescriptionReleased(description);
        }
    }
}
