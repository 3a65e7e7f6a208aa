namespace Unikraft.Kernel;

internal static partial class Sys
{
    // NOTE: clock ids from linux/time.h.
    internal const int ClockRealtime = 0;
    internal const int ClockMonotonic = 1;

    // clock_gettime(2) for CLOCK_REALTIME and CLOCK_MONOTONIC; EINVAL for any other clock.
    [Syscall(SyscallNumber.ClockGettime)]
    internal static long ClockGettime(Kernel kernel, int clockId, out Timespec value)
    {
        value = default;
        IClockDevice? clock = kernel.Clock;
        if (clockId != ClockRealtime && clockId != ClockMonotonic)
        {
            return kernel.Return(SyscallNumber.ClockGettime, -Errno.EINVAL);
        }
        if (clock == null)
        {
            return kernel.Return(SyscallNumber.ClockGettime, -Errno.ENODEV);
        }
        long nanoseconds = clockId == ClockRealtime ? clock.RealtimeNanoseconds : clock.MonotonicNanoseconds;
        value = Timespec.FromNanoseconds(nanoseconds);
        return kernel.Return(SyscallNumber.ClockGettime, 0);
    }

    // nanosleep(2). One vCPU must not stop while the program sleeps: the caller blocks as a
    // thread of control until its deadline, and the kernel's other work, timers and blocked
    // callers run meanwhile.
    [Syscall(SyscallNumber.Nanosleep)]
    internal static long Nanosleep(Kernel kernel, in Timespec request)
    {
        if (!request.IsValidInterval)
        {
            return kernel.Return(SyscallNumber.Nanosleep, -Errno.EINVAL);
        }
        IClockDevice? clock = kernel.Clock;
        if (clock == null)
        {
            return kernel.Return(SyscallNumber.Nanosleep, -Errno.ENODEV);
        }
        long duration = request.ToNanosecondsSaturated();
        long now = clock.MonotonicNanoseconds;
        long deadline = duration > long.MaxValue - now ? long.MaxValue : now + duration;
        kernel.Scheduler.Sleep(deadline);
        return kernel.Return(SyscallNumber.Nanosleep, 0);
    }
}
