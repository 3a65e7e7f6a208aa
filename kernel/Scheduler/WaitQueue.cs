namespace Unikraft.Kernel;

// Callers blocked until something happens: data arrives in a pipe, a socket becomes writable,
// a child of the program's own code completes. A caller waits until the queue is woken or its
// monotonic deadline passes; the kernel's other ready work and timers run meanwhile. Wake on
// the vCPU only (a device's interrupt posts to the scheduler and wakes from there).
//
// NOTE: a waiter today runs the scheduler's poll loop on its own stack, so waiters nest: an
// outer one resumes only after every inner one has returned. Threads of control that park and
// resume independently replace this without changing the interface.
internal sealed class WaitQueue
{
    private readonly Scheduler scheduler;
    private long wakeups;

    public WaitQueue(Scheduler scheduler)
    {
        this.scheduler = scheduler;
    }

    // Blocks until WakeAll or the deadline (long.MaxValue: none). Returns true when woken, false
    // when the deadline passed first. A caller rechecks its condition either way: a wake-up says
    // that something changed, not that what the caller waits for is there.
    public bool Wait(long monotonicDeadline)
    {
        long seen = wakeups;
        return scheduler.RunWhile(() => wakeups == seen, monotonicDeadline);
    }

    public void WakeAll()
    {
        wakeups++;
        scheduler.Wake();
    }
}
