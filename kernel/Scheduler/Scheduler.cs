namespace Unikraft.Kernel;

using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;

// The cooperative scheduler of one kernel: a run queue of ready work and a min-heap of timers,
// both touched only by the kernel thread, so the kernel needs no locks. The only cross-thread
// point is the foreign queue plus the wake event: the synchronization context's Post may be
// called by any thread (a host I/O completion, a thread the program started itself).
internal sealed class Scheduler
{
    private readonly Kernel kernel;
    private readonly Queue<WorkItem> ready = new Queue<WorkItem>();
    private readonly PriorityQueue<WorkItem, TimerKey> timers = new PriorityQueue<WorkItem, TimerKey>();
    private readonly ConcurrentQueue<WorkItem> foreign = new ConcurrentQueue<WorkItem>();
    private readonly AutoResetEvent wake = new AutoResetEvent(false);
    private readonly SchedulerContext context;
    private long timerSequence;
    private int ownerThreadId;
    // Assigned here as well as by the Order setter: a program whose kernel has no sim platform
    // loses the setter to pruning, and the field must still count as assigned (CS0649).
    private IRunQueueOrder? order = null;

    public Scheduler(Kernel kernel)
    {
        this.kernel = kernel;
        context = new SchedulerContext(this);
        ownerThreadId = System.Environment.CurrentManagedThreadId;
        Vcpu = new Vcpu(kernel.MainThread);
    }

    // The turn that threads calling this kernel take (the kernel thread holds it but while idle).
    public Vcpu Vcpu { get; }

    public SynchronizationContext Context => context;

    public int ReadyCount => ready.Count;

    public int TimerCount => timers.Count;

    public bool IsOwnerThread => System.Environment.CurrentManagedThreadId == ownerThreadId;

    // Ready work, a foreign post or a due timer is waiting: the next step would run something.
    public bool HasWork
    {
        get
        {
            if (ready.Count > 0 || !foreign.IsEmpty)
            {
                return true;
            }
            IClockDevice? clock = kernel.Clock;
            return clock != null && timers.TryPeek(out WorkItem _, out TimerKey next) && next.Deadline <= clock.MonotonicNanoseconds;
        }
    }

    // Which ready item runs next. Null (the hosted default) is FIFO; the sim platform supplies
    // a seeded order so that one seed explores one interleaving and replays it exactly.
    public IRunQueueOrder? Order
    {
        get => order;
        set => order = value;
    }

    // The deadline of the earliest timer, so a simulation can jump virtual time straight to it.
    public bool TryPeekTimer(out long monotonicDeadline)
    {
        if (timers.TryPeek(out WorkItem _, out TimerKey next))
        {
            monotonicDeadline = next.Deadline;
            return true;
        }
        monotonicDeadline = 0;
        return false;
    }

    // The thread that runs the poll loop becomes the kernel thread.
    public void AttachToCurrentThread()
    {
        ownerThreadId = System.Environment.CurrentManagedThreadId;
    }

    // On the vCPU: the kernel thread, or another thread during its call (Vcpu), which then wakes
    // the kernel thread from its idle wait.
    public void Spawn(Action<object?> work, object? state)
    {
        ready.Enqueue(new WorkItem(work, state));
        WakeFromOtherThread();
    }

    // On the vCPU, as Spawn. Timers with the same deadline fire in the order they were armed.
    public void ArmTimer(long monotonicDeadline, Action<object?> callback, object? state)
    {
        timerSequence++;
        timers.Enqueue(new WorkItem(callback, state), new TimerKey(monotonicDeadline, timerSequence));
        WakeFromOtherThread();
    }

    // The kernel thread may sleep until a deadline it chose before this work or timer existed.
    private void WakeFromOtherThread()
    {
        if (!IsOwnerThread)
        {
            wake.Set();
        }
    }

    // Any thread.
    public void Post(SendOrPostCallback callback, object? state)
    {
        foreign.Enqueue(new WorkItem(callback, state));
        wake.Set();
    }

    // Any thread: makes an idle wait return so the loop rechecks what it waits for.
    public void Wake()
    {
        wake.Set();
    }

    // One round of the poll loop: takes in foreign posts, moves due timers to the run queue and
    // runs the work that was ready when the round began (work queued during the round waits for
    // the next one, so a task that keeps re-queuing itself cannot starve timers). Returns
    // whether any work ran.
    public bool RunReady()
    {
        Admit();
        int count = ready.Count;
        // A work item may itself run the poll loop (nanosleep inside a task) and take items of
        // this round, so the queue can run dry before count items ran here.
        for (int index = 0; index < count && ready.Count > 0; index++)
        {
            TakeNext().Invoke();
        }
        return count > 0;
    }

    // One step, the unit a simulation interleaves between kernels: takes in posts and due
    // timers and runs one ready item. Returns whether one ran.
    public bool RunOne()
    {
        Admit();
        if (ready.Count == 0)
        {
            return false;
        }
        TakeNext().Invoke();
        return true;
    }

    // Moves foreign posts and due timers to the run queue.
    private void Admit()
    {
        while (foreign.TryDequeue(out WorkItem posted))
        {
            ready.Enqueue(posted);
        }
        IClockDevice? clock = kernel.Clock;
        if (clock != null && timers.Count > 0)
        {
            long now = clock.MonotonicNanoseconds;
            while (timers.TryPeek(out WorkItem due, out TimerKey key) && key.Deadline <= now)
            {
                timers.Dequeue();
                ready.Enqueue(due);
            }
        }
    }

    // FIFO unless an order is supplied; the items passed over go to the back in their order.
    private WorkItem TakeNext()
    {
        IRunQueueOrder? chooser = order;
        if (chooser != null && ready.Count > 1)
        {
            int skip = chooser.ChooseNext(ready.Count);
            for (int index = 0; index < skip; index++)
            {
                ready.Enqueue(ready.Dequeue());
            }
        }
        return ready.Dequeue();
    }

    // The poll loop of an async main: runs until the task completes. A task completed by
    // another thread wakes the loop through the same event as a foreign post.
    public void RunUntilCompleted(Task task)
    {
        if (!task.IsCompleted)
        {
            task.ConfigureAwait(false).GetAwaiter().UnsafeOnCompleted(Wake);
        }
        while (!task.IsCompleted)
        {
            if (!RunReady())
            {
                Idle(long.MaxValue);
            }
        }
    }

    // The poll loop of a blocking call (nanosleep): runs ready work and timers until the
    // monotonic deadline passes. Needs the clock; the caller checks that it is attached.
    public void RunUntil(long monotonicDeadline)
    {
        IClockDevice? clock = kernel.Clock;
        if (clock == null)
        {
            return;
        }
        while (true)
        {
            RunReady();
            if (clock.MonotonicNanoseconds >= monotonicDeadline)
            {
                return;
            }
            Idle(monotonicDeadline);
        }
    }

    // The poll loop of a wait (WaitQueue): runs ready work and timers while blocked() holds and
    // the monotonic deadline has not passed. Returns false when the deadline ended it. With no
    // clock, only a wake-up can end the wait.
    public bool RunWhile(Func<bool> blocked, long monotonicDeadline)
    {
        IClockDevice? clock = kernel.Clock;
        while (true)
        {
            RunReady();
            if (!blocked())
            {
                return true;
            }
            if (clock != null && clock.MonotonicNanoseconds >= monotonicDeadline)
            {
                return false;
            }
            Idle(monotonicDeadline);
        }
    }

    // Sleeps on the clock device until the next timer, the limit, or a foreign post, whichever
    // comes first. Returns at once when work is already waiting.
    private void Idle(long limit)
    {
        if (ready.Count > 0 || !foreign.IsEmpty)
        {
            return;
        }
        long deadline = limit;
        if (timers.TryPeek(out WorkItem _, out TimerKey next) && next.Deadline < deadline)
        {
            deadline = next.Deadline;
        }
        // Other threads' calls take their turn on the vCPU while this one waits.
        int held = Vcpu.Release();
        try
        {
            IClockDevice? clock = kernel.Clock;
            if (clock == null)
            {
                wake.WaitOne();
                return;
            }
            clock.WaitUntil(deadline, wake);
        }
        finally
        {
            Vcpu.Reacquire(held);
        }
    }

    // Orders the timer heap by deadline, then by arming order.
    private readonly struct TimerKey : IComparable<TimerKey>
    {
        public TimerKey(long deadline, long sequence)
        {
            Deadline = deadline;
            Sequence = sequence;
        }

        public long Deadline { get; }

        public long Sequence { get; }

        public int CompareTo(TimerKey other)
        {
            int byDeadline = Deadline.CompareTo(other.Deadline);
            return byDeadline != 0 ? byDeadline : Sequence.CompareTo(other.Sequence);
        }
    }
}
