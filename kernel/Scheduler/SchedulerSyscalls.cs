namespace Unikraft.Kernel;

using System;
using System.Threading;

internal static partial class Sys
{
    // uk_timer_arm: runs callback(state) on the kernel thread once the monotonic clock has
    // advanced by nanoseconds. Task.Delay is built on it.
    [Syscall(SyscallNumber.UkTimerArm)]
    internal static long UkTimerArm(Kernel kernel, long nanoseconds, Action<object?> callback, object? state)
    {
        if (nanoseconds < 0)
        {
            return kernel.Return(SyscallNumber.UkTimerArm, -Errno.EINVAL);
        }
        IClockDevice? clock = kernel.Clock;
        if (clock == null)
        {
            return kernel.Return(SyscallNumber.UkTimerArm, -Errno.ENODEV);
        }
        long now = clock.MonotonicNanoseconds;
        long deadline = nanoseconds > long.MaxValue - now ? long.MaxValue : now + nanoseconds;
        kernel.Scheduler.ArmTimer(deadline, callback, state);
        return kernel.Return(SyscallNumber.UkTimerArm, 0);
    }

    // uk_spawn: queues work(state) on the kernel's run queue; it runs on the kernel thread the
    // next time the poll loop runs. Task.Run is built on it. On a kernel served to the whole
    // process (hosted) the work is the program's own code, so it runs on a thread of the program
    // instead (the host's thread pool, carrying the caller's execution context as Task.Run does),
    // which takes the vCPU for each kernel call: work that blocks outside the kernel (a lock,
    // .Result, Thread.Join) then never stops the kernel's poll loop.
    [Syscall(SyscallNumber.UkSpawn)]
    internal static long UkSpawn(Kernel kernel, Action<object?> work, object? state)
    {
        if (Vcpu.Serves(kernel))
        {
            ThreadPool.QueueUserWorkItem(work, state, preferLocal: false);
        }
        else
        {
            kernel.Scheduler.Spawn(work, state);
        }
        return kernel.Return(SyscallNumber.UkSpawn, 0);
    }

    // uk_thread_record: records a thread the program starts (Thread.Start, intercepted) as one of
    // its own: as .NET does, the kernel ends the program after Main returns only once those of
    // them that run in the foreground have ended (Kernel.Run, ProgramThreads).
    [Syscall(SyscallNumber.UkThreadRecord)]
    internal static long UkThreadRecord(Kernel kernel, Thread thread)
    {
        ProgramThreads? threads = kernel.ProgramThreads;
        if (threads == null)
        {
            threads = new ProgramThreads(kernel);
            kernel.ProgramThreads = threads;
            kernel.WaitAfterMain = threads.WaitForForeground;
        }
        threads.Add(thread);
        return kernel.Return(SyscallNumber.UkThreadRecord, 0);
    }
}
