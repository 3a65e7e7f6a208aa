namespace Unikraft.Kernel;

using System;
using System.Threading;

// The kernel's one vCPU: the turn a host thread holds while it runs kernel code, so that kernel
// state is only ever touched by one thread at a time. It is the baton of the kernel's threads of
// control (ThreadOfControl): a thread that blocks hands it to the thread that goes on in its
// place (Transfer), and the dispatcher hands it to a caller whose wake-up came. On a kernel served
// to the whole process (hosted, Serve) the poll loop runs on a kernel thread of its own, which
// holds the vCPU while it runs kernel work and lets go while it idles; every thread of the program,
// Main's among them, runs its own code without it and takes it for the length of each kernel call
// (through the generated interceptors and the native layer), so a program thread that blocks
// outside the kernel (.Result, Join, a lock) holds nobody up. Without Serve (a simulation, a test)
// the thread that runs Main holds it from the start.
internal sealed class Vcpu
{
    // The kernel of this process, set by the hosted boot of a program whose code may run on
    // other threads: they have no kernel of their own (tests and simulations run several kernels
    // in one process, and never set it).
    private static Kernel? served;

    private readonly object gate = new object();
    private readonly Scheduler scheduler;
    private Thread? owner;
    private int depth;

    // owner: the thread that holds the vCPU from the start (the kernel thread), or null.
    public Vcpu(Thread? owner, Scheduler scheduler)
    {
        this.owner = owner;
        this.scheduler = scheduler;
        depth = owner == null ? 0 : 1;
    }

    public bool IsHeldByCurrentThread
    {
        get
        {
            lock (gate)
            {
                return owner == Thread.CurrentThread;
            }
        }
    }

    // How deep the calling thread holds the vCPU (0: it does not).
    public int HeldDepth
    {
        get
        {
            lock (gate)
            {
                return owner == Thread.CurrentThread ? depth : 0;
            }
        }
    }

    public static void Serve(Kernel? kernel)
    {
        // A kernel served before (a test's) is no longer.
        served?.ServeThreads(null, null);
        served = kernel;
        // Registered here rather than called from Kernel.Run, so that a kernel nobody serves
        // carries no kernel thread, nor the poll loop it runs.
        kernel?.ServeThreads(new Action<bool>(kernel.Scheduler.StartKernelThread), new Action<bool>(kernel.Scheduler.ExitKernelThread));
    }

    // Whether kernel is the one served to the whole process: then Main's thread is one thread of
    // the program among others, and the poll loop runs on a kernel thread of its own.
    public static bool Serves(Kernel kernel)
    {
        return served == kernel;
    }

    // Before an intercepted call: on a thread that does not hold the served kernel's vCPU (another
    // thread, or the kernel thread while it runs the program's own code), takes it, makes that
    // kernel current, and returns it for LeaveCall. Returns null when there is nothing to do: the
    // thread holds the vCPU already (the kernel thread in the scheduler's loop, or a call inside a
    // call), it runs another kernel (a simulation), or no kernel is served (the call then fails as
    // before, naming the missing kernel).
    public static Kernel? EnterCall()
    {
        Kernel? kernel = served;
        if (kernel == null || (Kernel.HasCurrent && Kernel.Current != kernel))
        {
            return null;
        }
        Vcpu vcpu = kernel.Scheduler.Vcpu;
        if (vcpu.IsHeldByCurrentThread)
        {
            return null;
        }
        vcpu.Enter();
        kernel.Enter();
        return kernel;
    }

    public static void LeaveCall(Kernel? kernel)
    {
        if (kernel == null)
        {
            return;
        }
        // Main's thread and the program loop's pumps stay the kernel's; another thread goes back to
        // running none.
        Kernel.Leave(Thread.CurrentThread == kernel.MainThread || ProgramLoop.IsRunnerThread ? kernel : null);
        kernel.Scheduler.Vcpu.Exit();
    }

    public void Enter()
    {
        Thread self = Thread.CurrentThread;
        lock (gate)
        {
            while (owner != null && owner != self)
            {
                Monitor.Wait(gate);
            }
            owner = self;
            depth++;
        }
    }

    // Set while an async Main's program loop runs (Scheduler.StartKernelThread): a thread that
    // lent the program's turn while it blocked takes it back once it has left the vCPU.
    public Action? AfterLeave { get; set; }

    public void Exit()
    {
        // A thread of control that leaves the kernel holding the dispatcher role (it was resumed
        // from a wait) hands the vCPU to whoever goes on dispatching, never to nobody.
        if (HeldDepth == 1)
        {
            ThreadOfControl? next = scheduler.SuccessorOnLeave();
            if (next != null)
            {
                Transfer(next.Thread, next.VcpuDepth);
                next.Resume();
                AfterLeave?.Invoke();
                return;
            }
        }
        bool left = false;
        lock (gate)
        {
            if (owner == Thread.CurrentThread && --depth == 0)
            {
                owner = null;
                Monitor.PulseAll(gate);
                left = true;
            }
        }
        if (left)
        {
            AfterLeave?.Invoke();
        }
    }

    // While the holder idles: lets every waiting thread take its turn, and returns how deep the
    // holder held it (0 when it did not hold it) for Reacquire.
    public int Release()
    {
        lock (gate)
        {
            if (owner != Thread.CurrentThread)
            {
                return 0;
            }
            int held = depth;
            owner = null;
            depth = 0;
            Monitor.PulseAll(gate);
            return held;
        }
    }

    // A hand-off between threads of control: the holder gives the vCPU to a parked thread, at
    // the depth that thread held it, without letting any other thread in between.
    public void Transfer(Thread to, int toDepth)
    {
        lock (gate)
        {
            owner = to;
            depth = toDepth;
        }
    }

    public void Reacquire(int held)
    {
        if (held == 0)
        {
            return;
        }
        Thread self = Thread.CurrentThread;
        lock (gate)
        {
            while (owner != null)
            {
                Monitor.Wait(gate);
            }
            owner = self;
            depth = held;
        }
    }
}
