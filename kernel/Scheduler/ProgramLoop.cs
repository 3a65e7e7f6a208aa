namespace Unikraft.Kernel;

using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;

// The program's own loop on a served kernel (hosted): the continuations of an async Main, posted
// through the kernel's synchronization context from any thread, run here one at a time, in the
// order they came, without the vCPU (the program's code calls the kernel like any other thread's,
// so a continuation that blocks outside the kernel (.Result, Wait, a lock) holds up neither the
// kernel's poll loop nor another thread's call). They run on Main's thread, the same thread before
// and after each await, except while that thread is blocked in the kernel.
//
// One thread at a time holds the turn: it runs a continuation (or Main's synchronous part). A
// holder that blocks in a kernel call (Scheduler.Block: a console read, a socket's Receive, a
// sleep) lends the turn (Lend), so no continuation waits for a thread that waits in the kernel:
// while Main's thread is lent, a pump (a host thread of this loop) runs the continuations in its
// place, and a pump that blocks in its turn is replaced by another. A lender whose call returned
// takes the turn back before its own code goes on (Reclaim, once it left the vCPU), after the
// continuation that runs meanwhile has ended, so the program's continuations never run two at a
// time, as on one thread. No thread waits for the turn while it holds the vCPU, and the vCPU holder
// never waits for the turn, so the two cannot deadlock.
//
// NOTE: the waits here are on each runner's own event of the wait subsystem, never Monitor.Wait
// under this loop's lock: the kernel thread posts continuations holding the vCPU (it takes the lock
// to queue one), and under NativeAOT Monitor.Wait may call the kernel (ThreadOfControl's note).
internal sealed class ProgramLoop
{
    // The runner the calling thread is (Main's or a pump), of whichever loop: Reclaim is called
    // after every kernel call and must cost one read when the thread lent nothing.
    [ThreadStatic]
    private static Runner? current;

    private readonly object gate = new object();
    private readonly Queue<WorkItem> continuations = new Queue<WorkItem>();
    private readonly List<Runner> pumps = new List<Runner>();
    private readonly Queue<Runner> reclaimers = new Queue<Runner>();
    private readonly Kernel kernel;
    private readonly SynchronizationContext context;
    private readonly Runner main;
    // The runner that runs the program's code now, or null.
    private Runner? holder;
    private bool closed;

    // On Main's thread, before Main runs: Main's synchronous part holds the turn.
    public ProgramLoop(Kernel kernel, SynchronizationContext context)
    {
        this.kernel = kernel;
        this.context = context;
        main = new Runner(this, Thread.CurrentThread);
        current = main;
        holder = main;
    }

    // How many pump threads this loop has started (what Main's blocking in the kernel cost).
    public int PumpCount
    {
        get
        {
            lock (gate)
            {
                return pumps.Count;
            }
        }
    }

    // Any thread, the vCPU's holder among them. False once the loop closed (the caller queues the
    // continuation elsewhere).
    public bool Post(SendOrPostCallback callback, object? state)
    {
        lock (gate)
        {
            if (closed)
            {
                return false;
            }
            continuations.Enqueue(new WorkItem(callback, state));
            if (holder == null)
            {
                HandOff();
            }
            return true;
        }
    }

    // On Main's thread: runs the program's continuations until task completes. The turn goes back
    // first: Main's synchronous part is over.
    public void RunUntilCompleted(Task task)
    {
        if (!task.IsCompleted)
        {
            task.ConfigureAwait(false).GetAwaiter().UnsafeOnCompleted(WakeMain);
        }
        Release(main);
        Run(main, task);
    }

    // On the vCPU, from Scheduler.Block: the calling thread is about to block in the kernel. If it
    // holds the turn, it lends it, and a pump takes Main's place while Main's thread is lent.
    public void Lend()
    {
        Runner? self = current;
        if (self == null || self.Loop != this)
        {
            return;
        }
        lock (gate)
        {
            if (holder != self)
            {
                return;
            }
            self.Lent = true;
            holder = null;
            if (main.Lent && !closed && !HasFreePump())
            {
                Runner pump = new Runner(this, null);
                pumps.Add(pump);
                pump.Thread.Start(pump);
            }
            HandOff();
        }
    }

    // After the calling thread left the vCPU (Vcpu.Exit): if it lent the turn while it blocked,
    // it takes it back, waiting for the continuation that runs meanwhile to end.
    public static void Reclaim()
    {
        Runner? self = current;
        if (self == null || !self.Lent)
        {
            return;
        }
        self.Loop.TakeBack(self);
    }

    // Whether the calling thread runs the program's continuations (Main's or a pump): it stays in
    // the kernel after each of its calls, as Main's thread does.
    public static bool IsRunnerThread => current != null;

    // After Main (on Main's thread): no more continuations run here; those still queued are
    // returned for the kernel's poll loop, as before a loop of the program's own existed. Pumps end.
    public List<WorkItem> Close()
    {
        if (current == main)
        {
            current = null;
        }
        List<WorkItem> left = new List<WorkItem>();
        lock (gate)
        {
            closed = true;
            while (continuations.Count > 0)
            {
                left.Add(continuations.Dequeue());
            }
            for (int index = 0; index < pumps.Count; index++)
            {
                pumps[index].Signal.Set();
            }
        }
        return left;
    }

    private void TakeBack(Runner self)
    {
        lock (gate)
        {
            self.Lent = false;
            if (holder == null && reclaimers.Count == 0)
            {
                holder = self;
                return;
            }
            reclaimers.Enqueue(self);
        }
        // HandOff made this runner the holder before it signalled.
        self.Signal.WaitOne();
    }

    // Main's loop until its task completes; a pump's until the loop closes. A pump runs
    // continuations only while Main's thread is lent.
    private void Run(Runner self, Task? until)
    {
        while (true)
        {
            WorkItem item = default;
            bool run = false;
            lock (gate)
            {
                if (until != null ? until.IsCompleted : closed)
                {
                    return;
                }
                if (holder == null && reclaimers.Count == 0 && continuations.Count > 0 && (self == main || main.Lent))
                {
                    holder = self;
                    item = continuations.Dequeue();
                    run = true;
                }
                else
                {
                    self.Idle = true;
                }
            }
            if (run)
            {
                try
                {
                    item.Invoke();
                }
                finally
                {
                    Release(self);
                }
                continue;
            }
            // Woken by HandOff, a completion or Close; a stale wake-up only looks again.
            self.Signal.WaitOne();
            lock (gate)
            {
                self.Idle = false;
            }
        }
    }

    private void Release(Runner self)
    {
        lock (gate)
        {
            if (holder == self)
            {
                holder = null;
                HandOff();
            }
        }
    }

    // Under the lock, with the turn free: a lender whose call returned takes it first; else, with
    // continuations queued, Main's loop if it idles, or an idle pump while Main's thread is lent.
    private void HandOff()
    {
        if (reclaimers.Count > 0)
        {
            Runner next = reclaimers.Dequeue();
            holder = next;
            next.Signal.Set();
            return;
        }
        if (continuations.Count == 0)
        {
            return;
        }
        if (main.Idle)
        {
            main.Idle = false;
            main.Signal.Set();
            return;
        }
        if (!main.Lent)
        {
            // Main's thread runs a continuation and looks at the queue after it.
            return;
        }
        for (int index = 0; index < pumps.Count; index++)
        {
            Runner pump = pumps[index];
            if (pump.Idle)
            {
                pump.Idle = false;
                pump.Signal.Set();
                return;
            }
        }
    }

    private bool HasFreePump()
    {
        for (int index = 0; index < pumps.Count; index++)
        {
            if (!pumps[index].Lent)
            {
                return true;
            }
        }
        return false;
    }

    private void WakeMain()
    {
        lock (gate)
        {
            if (main.Idle)
            {
                main.Idle = false;
                main.Signal.Set();
            }
        }
    }

    // A pump's thread: this loop's continuations, as the kernel's program code, until it closes.
    private void RunPump(Runner self)
    {
        current = self;
        Kernel? previous = kernel.Enter();
        SynchronizationContext.SetSynchronizationContext(context);
        try
        {
            Run(self, null);
        }
        catch (Exception exception)
        {
            // A continuation's exception escapes its loop on Main's thread as well: nothing on this
            // thread can catch it, so it is reported as the runtime reports one, and the process
            // ends as it would.
            kernel.ReportUnhandled(exception);
            kernel.Platform.Halt(134);
        }
        finally
        {
            Kernel.Leave(previous);
            current = null;
        }
    }

    // A thread that runs the program's continuations: Main's, or a pump.
    private sealed class Runner
    {
        public Runner(ProgramLoop loop, Thread? thread)
        {
            Loop = loop;
            if (thread == null)
            {
                thread = new Thread(static state => ((Runner)state!).Loop.RunPump((Runner)state!));
                thread.IsBackground = true;
                thread.Name = "uk program loop";
            }
            Thread = thread;
        }

        public ProgramLoop Loop { get; }

        public Thread Thread { get; }

        // Its own event: the turn handed to it, or something to look at.
        public AutoResetEvent Signal { get; } = new AutoResetEvent(false);

        // Blocked in a kernel call with the turn lent; reclaims it when the call returns.
        public bool Lent { get; set; }

        // Waiting on Signal at the top of its loop.
        public bool Idle { get; set; }
    }
}
