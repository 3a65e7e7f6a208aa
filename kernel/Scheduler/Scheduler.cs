namespace Unikraft.Kernel;

using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using System.Threading;
using System.Threading.Tasks;

// The cooperative scheduler of one kernel: a run queue of ready work and a min-heap of timers,
// both touched only by the thread that holds the baton, so the kernel needs no locks. The only
// cross-thread point is the foreign queue plus the wake event: the synchronization context's
// Post may be called by any thread (a host I/O completion, a thread the program started itself).
//
// Callers block as threads of control (ThreadOfControl): a blocked caller parks with its stack,
// and "dispatching" (running the poll loop: ready work inline, timers, idling on the clock) is a
// role that moves between host threads. When the dispatcher, or work it runs inline, blocks, the
// role goes to a parked frame owner or a spare thread; when a blocked caller's wake-up comes, a
// resume item enters the run queue, and the dispatcher that runs it hands the baton and the role
// to that caller (a spare goes back to the pool, a frame owner parks until the role comes back).
// A caller that returns into its own poll loop's frame simply goes on dispatching there.
internal sealed class Scheduler
{
    private static readonly SameState SameStateComparer = new SameState();

    private readonly Kernel kernel;
    private readonly Queue<WorkItem> ready = new Queue<WorkItem>();
    private readonly PriorityQueue<WorkItem, TimerKey> timers = new PriorityQueue<WorkItem, TimerKey>();
    private readonly ConcurrentQueue<WorkItem> foreign = new ConcurrentQueue<WorkItem>();
    private readonly AutoResetEvent wake = new AutoResetEvent(false);
    private readonly SchedulerContext context;
    // Threads of control parked in Block, in the order they blocked.
    private readonly List<ThreadOfControl> blocked = new List<ThreadOfControl>();
    // Threads parked at the top of their own poll loop (RunUntilCompleted) while another runs.
    private readonly Stack<ThreadOfControl> owners = new Stack<ThreadOfControl>();
    private readonly Action<object?> resume;
    private readonly Action<object?> timeout;
    private readonly Action spareJob;
    private long timerSequence;
    // The thread that holds the dispatcher role, or null while no poll loop runs (a plain
    // synchronous Main, a test calling syscalls directly).
    private ThreadOfControl? dispatcher;
    // A resume item or a timeout chose this thread: the loop that ran it hands it the baton next.
    private ThreadOfControl? switchTo;
    // Assigned here as well as by the Order setter: a program whose kernel has no sim platform
    // loses the setter to pruning, and the field must still count as assigned (CS0649).
    private IRunQueueOrder? order = null;
    private IThreadHost? host = null;
    // A kernel served to the whole process (hosted): the program's continuations run in its own
    // loop (ProgramLoop: on Main's thread, or a pump while Main's thread is blocked in the kernel),
    // never on the vCPU, and the poll loop runs on a kernel thread of its own until stop completes.
    private ProgramLoop? programLoop = null;
    // While the program loop runs, the synchronization context posts to it (ProgramLoop.Post), and
    // a thread that blocks lends it its turn (ProgramLoop.Lend). Through delegates, so that a
    // kernel nobody serves carries no program loop.
    private Func<SendOrPostCallback, object?, bool>? postToProgram = null;
    private Action? lendProgramTurn = null;
    private TaskCompletionSource? stop = null;

    public Scheduler(Kernel kernel)
    {
        this.kernel = kernel;
        context = new SchedulerContext(this);
        // Explicit delegate types: a program that never wakes a queue loses these fields to
        // pruning, and what is left of the assignment must still compile.
        resume = new Action<object?>(Resume);
        timeout = new Action<object?>(TimeOut);
        spareJob = new Action(RunSpare);
        Vcpu = new Vcpu(kernel.MainThread, this);
    }

    // The turn that threads calling this kernel take: the baton of its threads of control.
    public Vcpu Vcpu { get; }

    public SynchronizationContext Context => context;

    public int ReadyCount => ready.Count;

    public int TimerCount => timers.Count;

    // How many callers are blocked in this kernel now.
    public int BlockedCount => blocked.Count;

    // On the kernel's vCPU: the thread runs this kernel (a thread of control of it, or another
    // thread during its call).
    public bool IsOwnerThread => Kernel.HasCurrent && Kernel.Current == kernel;

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

    // Who goes on when a caller blocks. Null (hosted): this kernel's poll loop on a spare thread;
    // the sim platform supplies its world.
    public IThreadHost? Host
    {
        get => host;
        set => host = value;
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

    // On the vCPU: a thread of this kernel, or another thread during its call (Vcpu), which then
    // wakes the dispatcher from its idle wait.
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

    // The dispatcher may sleep until a deadline it chose before this work or timer existed.
    private void WakeFromOtherThread()
    {
        ThreadOfControl? running = dispatcher;
        if (running == null || running.Thread != Thread.CurrentThread)
        {
            wake.Set();
        }
    }

    // The synchronization context's Post: a continuation of the program. On a served kernel it
    // runs on the program's main thread, without the vCPU; otherwise on the poll loop.
    public void PostContinuation(SendOrPostCallback callback, object? state)
    {
        Func<SendOrPostCallback, object?, bool>? post = postToProgram;
        if (post != null && post(callback, state))
        {
            return;
        }
        Post(callback, state);
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
    // the next one, so a task that keeps re-queuing itself cannot starve timers). Stops early when
    // an item chose a blocked caller to resume. Returns whether any work ran.
    private bool RunReady()
    {
        Admit();
        int count = ready.Count;
        // An item that blocked and resumed later finds the queue as others left it, so the queue
        // can run dry before count items ran here.
        for (int index = 0; index < count && ready.Count > 0 && switchTo == null; index++)
        {
            TakeNext().Invoke();
        }
        return count > 0;
    }

    // One step, the unit a simulation interleaves between kernels: takes in posts and due timers
    // and takes one ready item for the caller to run. Returns false when none is ready.
    public bool TryTakeOne(out WorkItem item)
    {
        Admit();
        if (ready.Count == 0)
        {
            item = default;
            return false;
        }
        item = TakeNext();
        return true;
    }

    // After a step ran an item (sim): the blocked caller that item chose to resume, if any. The
    // world hands it the baton in place of its own next step.
    public bool TakeSwitch(out ThreadOfControl? next)
    {
        next = switchTo;
        switchTo = null;
        return next != null;
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

    // Hosted, a kernel served to the whole process (Vcpu.Serve): its poll loop runs on a host
    // thread of its own, the kernel thread, from here until ExitKernelThread; every thread of the
    // program, Main's among them, runs its own code without the vCPU and takes it for each kernel
    // call, so a thread that blocks outside the kernel (Task.Wait, .Result, Thread.Join, a lock,
    // Monitor.Wait) holds nobody up. With asyncMain, the program's continuations go to the
    // ProgramLoop that Main's thread runs (RunProgram), the same thread before and after each await
    // unless Main's thread is blocked in the kernel meanwhile (then a pump of the loop runs them).
    public void StartKernelThread(bool asyncMain)
    {
        Vcpu.Release();
        TaskCompletionSource stopping = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        stop = stopping;
        if (asyncMain)
        {
            ProgramLoop loop = new ProgramLoop(kernel, context);
            programLoop = loop;
            postToProgram = new Func<SendOrPostCallback, object?, bool>(loop.Post);
            lendProgramTurn = new Action(loop.Lend);
            Vcpu.AfterLeave = new Action(ProgramLoop.Reclaim);
        }
        Thread thread = new Thread(RunKernelThread);
        thread.IsBackground = true;
        thread.Name = "uk kernel";
        thread.Start(stopping.Task);
    }

    // On Main's thread: runs the program's continuations until its task completes.
    public void RunProgram(Task task)
    {
        ProgramLoop? loop = programLoop;
        if (loop == null)
        {
            throw new InvalidOperationException("no program loop: StartKernelThread(asyncMain: true) first");
        }
        loop.RunUntilCompleted(task);
    }

    // After Main (entering): lets the kernel thread end once it is back at the top of its loop
    // (from here the program's continuations run on the poll loop again; none should be left) and
    // takes the vCPU for the exit. After the exit (not entering): lets the vCPU go.
    public void ExitKernelThread(bool entering)
    {
        if (!entering)
        {
            Vcpu.Release();
            return;
        }
        ProgramLoop? loop = programLoop;
        programLoop = null;
        postToProgram = null;
        lendProgramTurn = null;
        if (loop != null)
        {
            // What the program's loop still held runs on the poll loop, as it did before the
            // program had a loop of its own (during exit_group's delivery, say).
            List<WorkItem> left = loop.Close();
            for (int index = 0; index < left.Count; index++)
            {
                foreign.Enqueue(left[index]);
            }
        }
        stop?.TrySetResult();
        if (!Vcpu.IsHeldByCurrentThread)
        {
            Vcpu.Enter();
        }
    }

    private void RunKernelThread(object? until)
    {
        Kernel? previous = kernel.Enter();
        SynchronizationContext.SetSynchronizationContext(context);
        try
        {
            RunUntilCompleted((Task)until!);
        }
        catch (Exception exception)
        {
            // Nothing on this thread can catch it: reported as the runtime reports an unhandled
            // exception, and the process ends as it would.
            kernel.ReportUnhandled(exception);
            kernel.Platform.Halt(134);
        }
        finally
        {
            Kernel.Leave(previous);
        }
    }

    // The poll loop of an async main: runs until the task completes. A task completed by
    // another thread wakes the loop through the same event as a foreign post. The calling thread
    // is the loop's frame owner: while work it ran inline is blocked, a spare dispatches; when the
    // role comes back, it goes on here.
    public void RunUntilCompleted(Task task)
    {
        if (!task.IsCompleted)
        {
            task.ConfigureAwait(false).GetAwaiter().UnsafeOnCompleted(Wake);
        }
        ThreadOfControl self = ThreadOfControl.Current;
        bool entered = !Vcpu.IsHeldByCurrentThread;
        if (entered)
        {
            Vcpu.Enter();
        }
        ThreadOfControl? previous = dispatcher;
        dispatcher = self;
        try
        {
            Dispatch(self, task);
        }
        finally
        {
            dispatcher = previous;
            if (entered)
            {
                Vcpu.Exit();
            }
        }
    }

    // The poll loop. until: the frame owner's task (the loop returns when it completes); null
    // for a spare, whose loop returns once it handed the role on.
    private void Dispatch(ThreadOfControl self, Task? until)
    {
        while (true)
        {
            ThreadOfControl? next = switchTo;
            if (next != null)
            {
                switchTo = null;
                self.VcpuDepth = Vcpu.HeldDepth;
                if (until == null)
                {
                    HandTo(next);
                    return;
                }
                owners.Push(self);
                HandTo(next);
                self.Park();
                Exception? failure = self.Failure;
                if (failure != null)
                {
                    self.Failure = null;
                    ExceptionDispatchInfo.Capture(failure).Throw();
                }
                continue;
            }
            if (until == null)
            {
                // A frame owner waits for the role at the top of its loop: it may be done.
                if (owners.Count > 0)
                {
                    self.VcpuDepth = Vcpu.HeldDepth;
                    HandTo(owners.Pop());
                    return;
                }
                // Nobody is blocked: the role is not needed until a caller blocks again.
                if (blocked.Count == 0)
                {
                    dispatcher = null;
                    Vcpu.Release();
                    return;
                }
            }
            else if (until.IsCompleted)
            {
                return;
            }
            if (!RunReady())
            {
                Idle(long.MaxValue);
            }
        }
    }

    // Gives the baton and the dispatcher role to a parked thread and lets it run. The last thing
    // the caller does to the kernel.
    private void HandTo(ThreadOfControl next)
    {
        dispatcher = next;
        Vcpu.Transfer(next.Thread, next.VcpuDepth);
        next.Resume();
    }

    // A spare's job: this kernel's poll loop, as this kernel, until the role goes on.
    private void RunSpare()
    {
        ThreadOfControl self = ThreadOfControl.Current;
        Kernel? previous = kernel.Enter();
        SynchronizationContext? previousContext = SynchronizationContext.Current;
        SynchronizationContext.SetSynchronizationContext(context);
        try
        {
            Dispatch(self, null);
        }
        catch (Exception exception)
        {
            FailOver(exception);
        }
        finally
        {
            SynchronizationContext.SetSynchronizationContext(previousContext);
            Kernel.Leave(previous);
        }
    }

    // Work on a spare failed, and nothing on this thread can catch it: the failure goes to the
    // frame owner, or else to the caller that blocked first, which throws it where it blocked
    // (as the nesting poll loop threw it into that caller). With nobody left, it is reported as
    // the runtime reports an unhandled exception.
    private void FailOver(Exception exception)
    {
        ThreadOfControl? target = null;
        if (owners.Count > 0)
        {
            target = owners.Pop();
            target.Failure = exception;
        }
        else if (blocked.Count > 0)
        {
            target = blocked[0];
            if (target.Outcome == WaitOutcome.Waiting)
            {
                target.WaitingOn?.Remove(target);
                target.WaitingOn = null;
                CancelTimer(target);
                target.Outcome = WaitOutcome.TimedOut;
            }
            else
            {
                // Its resume item is already queued; it must not resume it a second time.
                target.StaleResumes++;
            }
            target.Failure = exception;
        }
        if (target == null)
        {
            dispatcher = null;
            Vcpu.Release();
            kernel.ReportUnhandled(exception);
            return;
        }
        HandTo(target);
    }

    // The caller blocks until queue is woken (queue null: only the deadline ends it) or the
    // monotonic deadline passes. Returns true when woken. With no clock, only a wake-up ends it.
    public bool Block(WaitQueue? queue, long monotonicDeadline)
    {
        IClockDevice? clock = kernel.Clock;
        bool timed = clock != null && monotonicDeadline != long.MaxValue;
        if (timed && clock!.MonotonicNanoseconds >= monotonicDeadline)
        {
            return false;
        }
        ThreadOfControl self = ThreadOfControl.Current;
        bool entered = host == null && !Vcpu.IsHeldByCurrentThread;
        if (entered)
        {
            Vcpu.Enter();
        }
        try
        {
            self.Outcome = WaitOutcome.Waiting;
            self.WaitingOn = queue;
            queue?.Enlist(self);
            if (timed)
            {
                ArmTimer(monotonicDeadline, timeout, self);
                self.TimerArmed = true;
            }
            blocked.Add(self);
            if (host != null)
            {
                host.Block(this, self);
            }
            else
            {
                // The program's continuations must not wait for this thread while it blocks.
                lendProgramTurn?.Invoke();
                HandOn(self);
            }
            self.Park();
            // Resumed: whoever resumed this thread gave it the baton and the role.
            blocked.Remove(self);
            Exception? failure = self.Failure;
            if (failure != null)
            {
                self.Failure = null;
                ExceptionDispatchInfo.Capture(failure).Throw();
            }
            return self.Outcome == WaitOutcome.Woken;
        }
        finally
        {
            if (entered)
            {
                Vcpu.Exit();
            }
        }
    }

    // nanosleep: blocks until the monotonic deadline.
    public void Sleep(long monotonicDeadline)
    {
        Block(null, monotonicDeadline);
    }

    // Hosted: the blocking thread lets the kernel go on without it. If it held the role (it was
    // dispatching, or ran inline under its loop, or no loop ran at all), a frame owner or a spare
    // takes the role; otherwise the dispatcher idles with the vCPU let go, and takes it back.
    private void HandOn(ThreadOfControl self)
    {
        self.VcpuDepth = Vcpu.HeldDepth;
        if (dispatcher == null || dispatcher == self)
        {
            // The dispatcher's next pick would be a woken caller: hand it the baton straight away
            // rather than through a spare (one context switch instead of two; a ping-pong between
            // two callers takes no spare at all). Only for FIFO, where the pick is the head.
            if (owners.Count == 0 && order == null && ready.Count > 0 && ready.Peek().Calls(resume))
            {
                ready.Dequeue().Invoke();
                ThreadOfControl? woken = switchTo;
                if (woken != null)
                {
                    switchTo = null;
                    HandTo(woken);
                    return;
                }
            }
            HandTo(owners.Count > 0 ? owners.Pop() : ThreadOfControl.Spare(spareJob));
            return;
        }
        Vcpu.Release();
        wake.Set();
    }

    // A new spare that runs this kernel's poll loop once given the baton (IThreadHost users and
    // Vcpu use it to hand the role on).
    public ThreadOfControl NewSpare()
    {
        return ThreadOfControl.Spare(spareJob);
    }

    // Vcpu.Exit of a thread that leaves the kernel: when it held the role, a frame owner takes it
    // back, or a spare if callers are still blocked (someone must wake them); else nobody
    // dispatches until a caller blocks again.
    public ThreadOfControl? SuccessorOnLeave()
    {
        ThreadOfControl? running = dispatcher;
        if (running == null || running.Thread != Thread.CurrentThread)
        {
            return null;
        }
        ThreadOfControl? next = owners.Count > 0 ? owners.Pop() : blocked.Count > 0 ? NewSpare() : null;
        dispatcher = next;
        return next;
    }

    // WaitQueue.WakeAll: the waiter resumes when the scheduler picks its resume item.
    public void MakeRunnable(ThreadOfControl waiter)
    {
        waiter.Outcome = WaitOutcome.Woken;
        waiter.WaitingOn = null;
        CancelTimer(waiter);
        ready.Enqueue(new WorkItem(resume, waiter));
        WakeFromOtherThread();
    }

    // A resume item runs: the loop that ran it hands the baton to the waiter next.
    private void Resume(object? state)
    {
        ThreadOfControl waiter = (ThreadOfControl)state!;
        if (waiter.StaleResumes > 0)
        {
            waiter.StaleResumes--;
            return;
        }
        switchTo = waiter;
    }

    // A waiter's deadline passed first: it leaves its queue and resumes right away.
    private void TimeOut(object? state)
    {
        ThreadOfControl waiter = (ThreadOfControl)state!;
        waiter.TimerArmed = false;
        if (waiter.Outcome != WaitOutcome.Waiting)
        {
            return;
        }
        waiter.Outcome = WaitOutcome.TimedOut;
        waiter.WaitingOn?.Remove(waiter);
        waiter.WaitingOn = null;
        switchTo = waiter;
    }

    private void CancelTimer(ThreadOfControl waiter)
    {
        if (waiter.TimerArmed)
        {
            waiter.TimerArmed = false;
            timers.Remove(new WorkItem(timeout, waiter), out WorkItem _, out TimerKey _, SameStateComparer);
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

    // Finds a deadline timer by the waiter it belongs to (a timer's state).
    private sealed class SameState : IEqualityComparer<WorkItem>
    {
        public bool Equals(WorkItem x, WorkItem y)
        {
            return ReferenceEquals(x.State, y.State);
        }

        public int GetHashCode(WorkItem item)
        {
            return RuntimeHelpers.GetHashCode(item.State);
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
