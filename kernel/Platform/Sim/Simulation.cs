namespace Unikraft.Kernel;

using System;
using System.Collections.Generic;
using System.Runtime.ExceptionServices;

// Knobs of a simulation that are not faults.
internal sealed class SimOptions
{
    // Seeded order of ready work inside each kernel (off: FIFO, as hosted).
    public bool ShuffleRunQueue { get; set; } = true;

    // Record every syscall result as a trace event (through the kernel log).
    public bool TraceSyscalls { get; set; } = true;

    // Keep kernel log lines per node as well (SimNode.Log).
    public bool KeepLogs { get; set; }

    // Keep every trace line (SimTrace.Lines); otherwise only the hash and the last few.
    public bool KeepTrace { get; set; }

    // How many of the last trace lines a failure report shows.
    public int TraceTail { get; set; } = 40;

    // A run that takes more steps than this is a livelock, and fails.
    public long MaximumSteps { get; set; } = 50_000_000;
}

// Thrown by an invariant checker; the harness turns it into a failure with the replay command.
internal sealed class SimInvariantException : Exception
{
    public SimInvariantException(string message)
        : base(message)
    {
    }
}

// A simulated world: several kernels in one process and one thread, a virtual clock, a
// simulated switch between their NICs and a queue of scheduled events. The loop is:
// 1. run every world event (a frame arriving, a partition healing) that is due;
// 2. if any kernel has work, let the seed choose one kernel and run one item of its work;
// 3. otherwise every kernel is idle: jump the clock to the earliest timer or event of all.
// Invariant checkers run after every step and every event. Nothing here reads the host's clock
// or randomness, and the host threads that carry blocked callers run one at a time, handing one
// turn along, so one seed gives one run, every time.
internal sealed class Simulation : IThreadHost
{
    private readonly List<SimNode> nodes = new List<SimNode>();
    private readonly List<SimNode> candidates = new List<SimNode>();
    private readonly PriorityQueue<WorldEvent, EventKey> events = new PriorityQueue<WorldEvent, EventKey>();
    private readonly List<Action<Simulation>> checkers = new List<Action<Simulation>>();
    private readonly SimRandom scheduling;
    private readonly Action drive;
    private long eventSequence;
    private long now;
    // The run in progress: the thread that waits for it, what ends it, and how it ended.
    private ThreadOfControl? caller;
    private Func<bool>? runDone;
    private long runLimit;
    private bool runResult;
    private Exception? runFailure;
    // A blocked caller that the last step chose to resume.
    private ThreadOfControl? pendingSwitch;

    public Simulation(ulong seed, SimOptions? options = null)
    {
        Seed = seed;
        Options = options ?? new SimOptions();
        Trace = new SimTrace(Options.TraceTail, Options.KeepTrace);
        scheduling = new SimRandom(seed, 1);
        Random = new SimRandom(seed, 2);
        Network = new SimSwitch(this, new SimRandom(seed, 3));
        drive = new Action(DriveLoop);
    }

    public ulong Seed { get; }

    public SimOptions Options { get; }

    // Virtual nanoseconds since the world began.
    public long Now => now;

    public SimTrace Trace { get; }

    public SimSwitch Network { get; }

    // A stream for the scenario's own choices (workload, faults to set), apart from the
    // kernels' and the network's.
    public SimRandom Random { get; }

    public IReadOnlyList<SimNode> Nodes => nodes;

    public long Steps { get; private set; }

    public int PendingEvents => events.Count;

    // Boots a kernel on the sim platform.
    public SimNode AddNode(string name)
    {
        SimNode node = new SimNode(this, name, nodes.Count);
        nodes.Add(node);
        node.Boot();
        Trace.Record(now, "boot", name, node.Index, 0);
        return node;
    }

    // Another independent stream derived from the seed (stream numbers below 1000 are taken).
    public SimRandom DeriveRandom(ulong stream)
    {
        return new SimRandom(Seed, 1000 + stream);
    }

    // Runs after every step and event; throws SimInvariantException when something is wrong.
    public void AddInvariant(Action<Simulation> checker)
    {
        checkers.Add(checker);
    }

    // Runs action on the world (not inside any kernel) at Now + delay.
    public void Schedule(long delay, Action<object?> action, object? state)
    {
        eventSequence++;
        long at = delay > long.MaxValue - now ? long.MaxValue : now + Math.Max(0, delay);
        events.Enqueue(new WorldEvent(action, state), new EventKey(at, eventSequence));
    }

    // Runs until done() is true (checked after every step), nothing is left to happen anywhere,
    // or the virtual clock would pass the limit. Returns whether done() became true.
    public bool RunUntil(Func<bool> done, long timeLimit)
    {
        return Drive(done, timeLimit);
    }

    // Runs for a span of virtual time (or until nothing is left to happen).
    public void RunFor(long duration)
    {
        long limit = duration > long.MaxValue - now ? long.MaxValue : now + duration;
        Drive(null, limit);
        if (now < limit && limit != long.MaxValue)
        {
            now = limit;
        }
    }

    // Runs until every kernel and the network are idle with nothing scheduled.
    public void RunUntilQuiescent(long timeLimit)
    {
        Drive(null, timeLimit);
    }

    // The world is driven by a thread of control of its own (a spare host thread), never by the
    // caller's: a step runs a kernel's work item inline on the driving thread, and an item that
    // blocks parks that thread with the item's stack, so the caller's frame must never be under
    // a step. The caller parks until the run is over. Host threads run one at a time, handing one
    // turn along, so the run stays one sequence of steps that the seed alone decides.
    private bool Drive(Func<bool>? done, long timeLimit)
    {
        if (caller != null)
        {
            throw new InvalidOperationException("The simulation is already running: RunUntil, RunFor and RunUntilQuiescent do not nest (call them from the test, not from inside a kernel).");
        }
        caller = ThreadOfControl.Current;
        runDone = done;
        runLimit = timeLimit;
        runResult = false;
        runFailure = null;
        ThreadOfControl.Spare(drive).Resume();
        caller.Park();
        caller = null;
        runDone = null;
        Exception? failure = runFailure;
        runFailure = null;
        if (failure != null)
        {
            ExceptionDispatchInfo.Capture(failure).Throw();
        }
        return runResult;
    }

    // The driving loop, on whichever thread drives now. A thread whose blocked item resumed comes
    // back here when the item is done, and simply goes on driving.
    private void DriveLoop()
    {
        try
        {
            while (true)
            {
                ThreadOfControl? next = pendingSwitch;
                if (next != null)
                {
                    // A step chose a blocked caller: it goes on from where it blocked, and drives
                    // once its item is done; this thread goes back to the pool.
                    pendingSwitch = null;
                    next.Resume();
                    return;
                }
                Func<bool>? done = runDone;
                if (done != null && done())
                {
                    runResult = true;
                    break;
                }
                if (!Advance(runLimit))
                {
                    runResult = done != null && done();
                    break;
                }
            }
        }
        catch (Exception exception)
        {
            runFailure = exception;
        }
        caller!.Resume();
    }

    // IThreadHost: a caller of a simulated kernel blocked inside a step. Another thread drives
    // the world on from here; the blocked one resumes when a step of its kernel picks its resume
    // item (or its deadline timer).
    void IThreadHost.Block(Scheduler scheduler, ThreadOfControl blocking)
    {
        if (caller == null)
        {
            throw new InvalidOperationException("A caller of a simulated kernel blocked outside a run of the world: block only inside work the world runs (SimNode.Start, Spawn).");
        }
        Trace.Record(now, "block", "-", scheduler.BlockedCount, 0);
        ThreadOfControl.Spare(drive).Resume();
    }

    // One move of the world: due events, else one kernel step, else a jump of the clock to the
    // next thing that will happen (at most to limit). Returns false when nothing can happen
    // before limit.
    private bool Advance(long limit)
    {
        if (Steps > Options.MaximumSteps)
        {
            throw new SimInvariantException("livelock: more than " + Options.MaximumSteps + " steps without finishing");
        }
        if (events.TryPeek(out WorldEvent _, out EventKey first) && first.Time <= now)
        {
            WorldEvent due = events.Dequeue();
            Steps++;
            due.Action(due.State);
            Check();
            return true;
        }

        candidates.Clear();
        for (int index = 0; index < nodes.Count; index++)
        {
            SimNode node = nodes[index];
            if (!node.Halted && node.Kernel.Scheduler.HasWork)
            {
                candidates.Add(node);
            }
        }
        if (candidates.Count > 0)
        {
            SimNode chosen = candidates.Count == 1 ? candidates[0] : candidates[scheduling.Next(candidates.Count)];
            Steps++;
            chosen.Step();
            if (chosen.Kernel.Scheduler.TakeSwitch(out ThreadOfControl? resumed))
            {
                pendingSwitch = resumed;
            }
            Check();
            return true;
        }

        // Every kernel is idle: the clock jumps to the earliest timer or event.
        long next = long.MaxValue;
        if (events.TryPeek(out WorldEvent _, out EventKey key))
        {
            next = key.Time;
        }
        for (int index = 0; index < nodes.Count; index++)
        {
            SimNode node = nodes[index];
            if (node.Halted)
            {
                continue;
            }
            if (node.Kernel.Scheduler.TryPeekTimer(out long deadline) && deadline < next)
            {
                next = deadline;
            }
        }
        if (next == long.MaxValue || next > limit)
        {
            return false;
        }
        if (next > now)
        {
            now = next;
            Trace.Record(now, "time", "-", now, 0);
        }
        for (int index = 0; index < nodes.Count; index++)
        {
            SimNode node = nodes[index];
            if (!node.Halted && node.Kernel.Scheduler.TryPeekTimer(out long deadline) && deadline <= now)
            {
                Trace.Record(now, "timer", node.Name, deadline, node.Kernel.Scheduler.TimerCount);
            }
        }
        return true;
    }

    private void Check()
    {
        for (int index = 0; index < checkers.Count; index++)
        {
            checkers[index](this);
        }
    }

    private readonly struct WorldEvent
    {
        public WorldEvent(Action<object?> action, object? state)
        {
            Action = action;
            State = state;
        }

        public Action<object?> Action { get; }

        public object? State { get; }
    }

    private readonly struct EventKey : IComparable<EventKey>
    {
        public EventKey(long time, long sequence)
        {
            Time = time;
            Sequence = sequence;
        }

        public long Time { get; }

        public long Sequence { get; }

        public int CompareTo(EventKey other)
        {
            int byTime = Time.CompareTo(other.Time);
            return byTime != 0 ? byTime : Sequence.CompareTo(other.Sequence);
        }
    }
}
