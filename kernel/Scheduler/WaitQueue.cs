namespace Unikraft.Kernel;

using System.Collections.Generic;

// Callers blocked until something happens: data arrives in a pipe, a socket becomes writable,
// a child of the program's own code completes. A caller waits until the queue is woken or its
// monotonic deadline passes; the kernel's other ready work, timers and blocked callers run
// meanwhile. Wake on the vCPU only (a device's interrupt posts to the scheduler and wakes from
// there).
//
// Each caller is a thread of control of its own (ThreadOfControl): it parks with its stack
// intact and resumes when its own wake-up comes, so waiters do not nest: of two waiters, the one
// woken first returns first, whichever blocked last.
internal sealed class WaitQueue
{
    private readonly Scheduler scheduler;
    private readonly List<ThreadOfControl> waiters = new List<ThreadOfControl>();

    public WaitQueue(Scheduler scheduler)
    {
        this.scheduler = scheduler;
    }

    // How many callers wait here now.
    public int Count => waiters.Count;

    // Blocks until WakeAll or the deadline (long.MaxValue: none). Returns true when woken, false
    // when the deadline passed first. A caller rechecks its condition either way: a wake-up says
    // that something changed, not that what the caller waits for is there.
    public bool Wait(long monotonicDeadline)
    {
        return scheduler.Block(this, monotonicDeadline);
    }

    // Makes every caller waiting now runnable, in the order they began to wait; each resumes
    // when the scheduler picks it (FIFO on hosted, the seed's choice under sim).
    public void WakeAll()
    {
        for (int index = 0; index < waiters.Count; index++)
        {
            scheduler.MakeRunnable(waiters[index]);
        }
        waiters.Clear();
    }

    internal void Enlist(ThreadOfControl waiter)
    {
        waiters.Add(waiter);
    }

    internal void Remove(ThreadOfControl waiter)
    {
        waiters.Remove(waiter);
    }
}
