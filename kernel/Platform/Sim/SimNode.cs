namespace Unikraft.Kernel;

using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;

// One kernel of a simulation with its devices. Work runs on it only inside a simulation step,
// with Kernel.Current and the synchronization context set to this kernel, so the program's
// awaits come back to this kernel's run queue and nowhere else.
internal sealed class SimNode
{
    private readonly SimRunQueueOrder order;

    public SimNode(Simulation world, string name, int index)
    {
        World = world;
        Name = name;
        Index = index;
        ulong stream = (ulong)(index + 1) * 16;
        Random = new SimRandom(world.Seed, stream);
        Console = new SimConsole(world, this);
        Clock = new SimClock(world, this);
        Platform = new SimPlatform(world, this);
        order = new SimRunQueueOrder(new SimRandom(world.Seed, stream + 1));
        Kernel = new Kernel(Platform);
    }

    public Simulation World { get; }

    public string Name { get; }

    public int Index { get; }

    public Kernel Kernel { get; }

    public SimPlatform Platform { get; }

    public SimConsole Console { get; }

    public SimClock Clock { get; }

    // The kernel's randomness device (getrandom reads it).
    public SimRandom Random { get; }

    public SimNic? Nic { get; internal set; }

    public List<string> Log { get; } = new List<string>();

    public bool Halted => Kernel.Halted;

    public long Steps { get; private set; }

    // The boot a generated image with these libraries would run, in Order.
    internal void Boot()
    {
        ConsoleBoot.AttachConsole(Kernel);
        ClockBoot.AttachClock(Kernel);
        RandomBoot.AttachRandom(Kernel);
        EnvironmentBoot.CopyEnvironment(Kernel);
        if (World.Options.ShuffleRunQueue)
        {
            Kernel.Scheduler.Order = order;
        }
        Kernel.Scheduler.Host = World;
    }

    // Queues main on this kernel's run queue; it starts at a step the seed chooses. The task
    // completes when main's task does.
    public Task Start(Func<Task> main)
    {
        ArgumentNullException.ThrowIfNull(main);
        TaskCompletionSource<Task> started = new TaskCompletionSource<Task>();
        Spawn(() =>
        {
            try
            {
                started.SetResult(main());
            }
            catch (Exception exception)
            {
                started.SetException(exception);
            }
        });
        return started.Task.Unwrap();
    }

    // Queues work on this kernel's run queue.
    public void Spawn(Action work)
    {
        Kernel.Scheduler.Spawn(static state => ((Action)state!)(), work);
    }

    // Runs one item of this kernel's ready work as this kernel, on the thread that drives the
    // world. Returns whether one ran. An item that blocks parks this thread inside it; the world
    // goes on driven by another, and this call returns once the item resumed and finished.
    internal bool Step()
    {
        order.Reset();
        if (!Kernel.Scheduler.TryTakeOne(out WorkItem item))
        {
            return false;
        }
        Steps++;
        World.Trace.Record(World.Now, "step", Name, order.LastPick, order.LastCount);
        Kernel? previousKernel = Kernel.Enter();
        SynchronizationContext? previousContext = SynchronizationContext.Current;
        SynchronizationContext.SetSynchronizationContext(Kernel.Scheduler.Context);
        try
        {
            item.Invoke();
        }
        finally
        {
            SynchronizationContext.SetSynchronizationContext(previousContext);
            Kernel.Leave(previousKernel);
        }
        return true;
    }
}
