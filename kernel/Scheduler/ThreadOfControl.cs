namespace Unikraft.Kernel;

using System;
using System.Collections.Generic;
using System.Threading;

// A thread of control: a host thread that runs kernel code and can block in the kernel without
// holding anyone else up. Only the one holding the baton runs (on hosted the baton is the
// kernel's vCPU, under sim the world's one turn); every other one is parked on its own
// event until a holder hands the baton to it. A blocked caller parks with its stack intact
// and resumes exactly where it blocked, so waiters no longer nest: each wakes when its own
// wake-up comes, whatever blocked after it.
//
// Spare threads wait in one process-wide pool (host machinery, not kernel state: they hold no
// kernel's data while pooled). A spare is given a job (dispatching one kernel's poll loop, or
// driving a simulation) when a thread of control blocks and nobody is left to run in its place;
// it goes back to the pool when its job hands the baton on and returns.
internal sealed class ThreadOfControl
{
    [ThreadStatic]
    private static ThreadOfControl? current;

    private static readonly Stack<ThreadOfControl> pool = new Stack<ThreadOfControl>();
    private static int created;

    // NOTE: an event of the wait subsystem, not a SemaphoreSlim: a thread parks while another
    // holds the baton, so parking must never call into the kernel. SemaphoreSlim's Wait blocks
    // in Monitor.Wait while holding its own lock, and under NativeAOT Monitor.Wait looks its
    // condition up by the lock object's hash code, whose first assignment on a thread seeds a
    // random generator through SystemNative_GetNonCryptographicallySecureRandomBytes: the
    // kernel's, which waits for the vCPU. The holder then blocked in Release on that lock, and
    // the kernel stopped (seen: samples/WebApi under wrk -c100, every thread waiting).
    private readonly AutoResetEvent turn = new AutoResetEvent(false);
    private readonly Thread thread;
    private bool started;
    private Action? job;

    private ThreadOfControl(Thread? thread)
    {
        // The runtime's default stack size: a spare runs the program's own work inline (its
        // continuations, its blocking calls), as deep as the program's code goes.
        this.thread = thread ?? new Thread(SpareLoop);
        started = thread != null;
    }

    // The thread of control of the calling host thread (made on first use: the program's main
    // thread, a test's thread and a thread-pool thread in a call are threads of control too).
    public static ThreadOfControl Current => current ??= new ThreadOfControl(Thread.CurrentThread);

    // How many spare host threads the process has created (what blocking has cost in threads).
    public static int SparesCreated => Volatile.Read(ref created);

    public Thread Thread => thread;

    // How deep this thread held the kernel's vCPU when it handed the baton on, so the one that
    // hands it back restores it (hosted only).
    public int VcpuDepth { get; set; }

    // The wait this thread is blocked in, while it is blocked: the queue (null for a plain
    // sleep), how it ended, and whether a deadline timer of it is in the scheduler's heap.
    public WaitQueue? WaitingOn { get; set; }

    public int Outcome { get; set; }

    public bool TimerArmed { get; set; }

    // Resume items of this thread still queued that must do nothing (a failure resumed it first).
    public int StaleResumes { get; set; }

    // An exception the thread that resumes this one hands over: the work that ran in its place
    // failed and nothing else is left to report it to.
    public Exception? Failure { get; set; }

    // A parked spare from the pool, or a new one, that will run job once resumed. The caller
    // hands it the baton (sets whatever the baton needs) and then calls Resume.
    public static ThreadOfControl Spare(Action job)
    {
        ThreadOfControl? spare = null;
        lock (pool)
        {
            if (pool.Count > 0)
            {
                spare = pool.Pop();
            }
        }
        if (spare == null)
        {
            spare = new ThreadOfControl(null);
            spare.thread.IsBackground = true;
            spare.thread.Name = "uk thread of control";
            Interlocked.Increment(ref created);
        }
        spare.job = job;
        spare.VcpuDepth = 1;
        return spare;
    }

    // Lets this (parked) thread run. The caller must have handed it the baton first and must not
    // touch kernel state after this call: the resumed thread runs from here on.
    public void Resume()
    {
        if (!started)
        {
            started = true;
            thread.Start(this);
            return;
        }
        turn.Set();
    }

    // Waits until a holder of the baton resumes this thread.
    public void Park()
    {
        turn.WaitOne();
    }

    private static void SpareLoop(object? self)
    {
        ThreadOfControl me = (ThreadOfControl)self!;
        current = me;
        while (true)
        {
            Action? work = me.job;
            me.job = null;
            work?.Invoke();
            lock (pool)
            {
                pool.Push(me);
            }
            me.Park();
        }
    }
}

// How a wait of a thread of control ended (constants: the kernel has no enums).
internal static class WaitOutcome
{
    public const int Waiting = 0;
    public const int Woken = 1;
    public const int TimedOut = 2;
}
