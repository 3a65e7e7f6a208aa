namespace Unikraft.Kernel;

using System;
using System.Collections.Generic;
using System.Runtime.ExceptionServices;
using System.Threading;
using System.Threading.Tasks;

// One kernel: all of its state lives in this instance, so several kernels can run in one
// process (sim networks, parallel tests). The only static is the per-thread pointer behind
// Current, which the app-facing API uses to find the kernel it runs on.
internal sealed class Kernel
{
    [ThreadStatic]
    private static Kernel? current;

    private readonly IPlatform platform;
    private Scheduler? scheduler;
    private Thread? mainThread;
    // Set when the kernel is served to the whole process (Vcpu.Serve): start its kernel thread
    // (the argument: whether Main is async), and end it (true: stop it and take the vCPU for the
    // exit; false: let the vCPU go after the exit).
    private Action<bool>? startKernelThread;
    private Action<bool>? exitKernelThread;
    private long anonymousInodes;
    private List<Action>? exitWork;

    public Kernel(IPlatform platform)
    {
        this.platform = platform;
        Log = new KernelLog(platform);
        Trace = new SyscallTrace(Log, platform.TraceSyscalls);
        Files = new FdTable();
    }

    // The kernel that runs on this thread. The API calls it on every operation; outside Run
    // and RunAsync no kernel runs, and saying so clearly beats a NullReferenceException.
    public static Kernel Current
    {
        get
        {
            Kernel? kernel = current;
            if (kernel == null)
            {
                throw new KernelException(
                    "No Unikraft kernel runs on this thread: kernel calls work only inside Kernel.Run or " +
                    "Kernel.RunAsync, on the kernel thread (a thread the program started itself has no kernel).");
            }
            return kernel;
        }
    }

    // Whether a kernel runs on this thread (Current would not throw).
    public static bool HasCurrent => current != null;

    public IPlatform Platform => platform;

    // The thread that runs the program's Main (Run, RunAsync): the scheduler's vCPU starts out as
    // its own.
    public Thread? MainThread => mainThread;

    // Makes this kernel the current one on this thread and returns the one it replaced. A
    // simulation runs several kernels on one thread and switches between them at every step.
    public Kernel? Enter()
    {
        Kernel? previous = current;
        current = this;
        return previous;
    }

    // Undoes Enter: the kernel that was current before it is current again.
    public static void Leave(Kernel? previous)
    {
        current = previous;
    }

    public KernelLog Log { get; }

    public SyscallTrace Trace { get; }

    public FdTable Files { get; }

    // Devices, attached by the boot steps of the libraries that need them; null when that
    // library is not in the image.
    public IConsoleDevice? Console { get; set; }

    // Standard input's waiting side, over the console device, made on the first read or poll.
    public ConsoleInput? ConsoleInput { get; set; }

    public IClockDevice? Clock { get; set; }

    public IRandomDevice? RandomDevice { get; set; }

    public BootEnvironment? Environment { get; set; }

    // The network devices the platform opened, by name ("eth0"); null when no network library
    // is in the image.
    public NetDeviceTable? NetDevices { get; set; }

    // The IPv4 host over those devices (interfaces, transports, loopback); null when the image
    // has no network stack.
    public NetStack? Net { get; set; }

    // What the socket layer stands on: the transports (TCP, UDP) of the network stack; null when
    // the image has no network stack, and socket(2) then refuses AF_INET.
    public ISocketTransport? SocketTransport { get; set; }

    // The DNS stub resolver, made on the first name lookup (DnsResolver.For).
    public DnsResolver? Resolver { get; set; }

    // The mount table and working directory, created by the first mount.
    public Vfs? Vfs { get; set; }

    // The inotify watches of every instance, created by the first inotify_init1; while null, a
    // change in the VFS tells no one.
    public InotifyWatches? Watches { get; set; }

    // Created on first use so a program that never waits or spawns carries no scheduler.
    public Scheduler Scheduler => scheduler ??= new Scheduler(this);

    // True while the program's main runs: exit_group then has to end the program itself.
    public bool MainRunning { get; private set; }

    public bool Halted { get; private set; }

    public int ExitStatus { get; private set; }

    // How many syscalls were reached that the plan left out; each also wrote a log line.
    public long NotPlannedCount { get; private set; }

    // A number for a file that lives in no file system (a pipe, an epoll instance), unique in this
    // kernel, as pipefs and anon_inodefs number theirs.
    public long NextAnonymousInode()
    {
        return ++anonymousInodes;
    }

    public void PrintBanner(string text)
    {
        Log.Write(text);
    }

    // An exception the program did not catch, reported as the runtime reports one, on the kernel's
    // log (stderr on hosted) rather than through System.Console: a program that never names the
    // console class then carries none of it in its NativeAOT image.
    public void ReportUnhandled(Exception exception)
    {
        Log.Write("Unhandled exception. " + exception);
    }

    // Every syscall returns through here so that the trace sees each result.
    public long Return(int number, long value)
    {
        if (Trace.Enabled)
        {
            Trace.Record(number, value);
        }
        return value;
    }

    // The body of every pruned syscall. A missed root must never fail quietly, so this always
    // logs, whether tracing is on or not.
    public long NotPlanned(int number)
    {
        NotPlannedCount++;
        Log.Write("[uk] syscall " + SyscallNumber.Name(number) +
            " reached but not in this kernel: no call site in the program needs it");
        return Return(number, -Errno.ENOSYS);
    }

    // Work that must be done before the program ends, as the host's exit would do it: TCP
    // delivers what the program's connections still hold (TcpStack.DeliverAtExit). Registered by
    // the library that needs it when it is first used; run by exit_group, in order.
    public void AtExit(Action work)
    {
        (exitWork ??= new List<Action>()).Add(work);
    }

    // Called by exit_group before it records the status.
    public void RunExitWork()
    {
        List<Action>? work = exitWork;
        if (work == null)
        {
            return;
        }
        exitWork = null;
        for (int i = 0; i < work.Count; i++)
        {
            work[i]();
        }
    }

    // Called by exit_group.
    public void MarkHalted(int status)
    {
        Halted = true;
        ExitStatus = status;
    }

    // Vcpu.Serve registers how Run and RunAsync start the kernel thread of a served kernel, so that
    // a program that is never served carries no kernel thread (nor the poll loop it runs).
    public void ServeThreads(Action<bool>? start, Action<bool>? exit)
    {
        startKernelThread = start;
        exitKernelThread = exit;
    }

    public int Run(string[] args, Func<string[], int> main)
    {
        Kernel? previous = current;
        current = this;
        mainThread = Thread.CurrentThread;
        // Served to the whole process (hosted): Main is one thread of the program among others, and
        // the poll loop runs on the kernel thread (Scheduler.StartKernelThread).
        Action<bool>? start = startKernelThread;
        bool served = start != null;
        if (served)
        {
            start!(false);
        }
        MainRunning = true;
        int code;
        try
        {
            code = main(args);
            WaitAfterMain?.Invoke();
        }
        catch
        {
            MainRunning = false;
            EnterForExit(served);
            ShutDownAfterFailure();
            LeaveAfterExit(served);
            current = previous;
            throw;
        }
        MainRunning = false;
        EnterForExit(served);
        try
        {
            Sys.ExitGroup(this, code);
        }
        finally
        {
            LeaveAfterExit(served);
            current = previous;
        }
        return ExitStatus;
    }

    // After the exit, on a served kernel: lets the vCPU go, so that the kernel thread can take it
    // back to see that it is done, and other threads' calls are not stuck behind a finished Main.
    private void LeaveAfterExit(bool served)
    {
        if (served)
        {
            exitKernelThread?.Invoke(false);
        }
    }

    // After Main, on a served kernel: the kernel thread ends, and Main's thread takes the vCPU for
    // the exit (other threads of the program may still call the kernel until the process ends).
    private void EnterForExit(bool served)
    {
        if (served)
        {
            exitKernelThread?.Invoke(true);
        }
    }

    // Runs an async main on this thread. Every continuation that captured the kernel's
    // synchronization context comes back to this thread (through the scheduler's loop, or on a
    // served kernel through the program's own loop), so the program sees one thread: the same
    // before and after each await.
    public int RunAsync(string[] args, Func<string[], Task<int>> main)
    {
        Kernel? previous = current;
        SynchronizationContext? previousContext = SynchronizationContext.Current;
        current = this;
        mainThread = Thread.CurrentThread;
        Scheduler run = Scheduler;
        // The synchronous part of an asynchronous Main is the program's own code, as a synchronous
        // Main is: it runs without the vCPU (its native calls take it for each call), so another
        // thread's call is not held up while it runs (a spin that waits for a timer's callback).
        // The continuations run from the scheduler's loop, which holds the vCPU and lets it go
        // while it idles.
        run.Vcpu.Release();
        // Served to the whole process (hosted): the continuations run here without the vCPU too,
        // and the poll loop on the kernel thread (Scheduler.StartKernelThread).
        Action<bool>? start = startKernelThread;
        bool served = start != null;
        if (served)
        {
            start!(true);
        }
        MainRunning = true;
        SynchronizationContext.SetSynchronizationContext(run.Context);
        Task<int> task;
        try
        {
            task = main(args);
            if (served)
            {
                run.RunProgram(task);
            }
            else
            {
                if (!run.Vcpu.IsHeldByCurrentThread)
                {
                    run.Vcpu.Enter();
                }
                run.RunUntilCompleted(task);
            }
        }
        catch
        {
            MainRunning = false;
            SynchronizationContext.SetSynchronizationContext(previousContext);
            EnterForExit(served);
            ShutDownAfterFailure();
            LeaveAfterExit(served);
            current = previous;
            throw;
        }
        if (task.IsCompletedSuccessfully)
        {
            WaitAfterMain?.Invoke();
        }
        MainRunning = false;
        SynchronizationContext.SetSynchronizationContext(previousContext);
        EnterForExit(served);
        try
        {
            if (!task.IsCompletedSuccessfully)
            {
                ShutDownAfterFailure();
                Exception failure = task.IsFaulted && task.Exception != null
                    ? task.Exception.InnerExceptions[0]
                    : new TaskCanceledException(task);
                ExceptionDispatchInfo.Capture(failure).Throw();
            }
            Sys.ExitGroup(this, task.Result);
        }
        finally
        {
            LeaveAfterExit(served);
            current = previous;
        }
        return ExitStatus;
    }

    // The threads the program started itself (uk_thread_record: Thread.Start, intercepted), made
    // on the first; and what Main's return waits for before exit_group (their foreground ones, as
    // .NET waits). Null in a program that starts no thread of its own, which then carries none of it.
    public ProgramThreads? ProgramThreads { get; set; }

    public Action? WaitAfterMain { get; set; }

    // A main that throws does not call exit_group (Linux would kill the process with a signal),
    // but what the program already wrote must still reach the console.
    private void ShutDownAfterFailure()
    {
        Halted = true;
        Console?.Flush();
    }
}
