namespace Unikraft.Kernel;

using System;

// DateTime.UtcNow, DateTime.Now and Environment.TickCount64 on the kernel, from clock_gettime.
internal static partial class KernelClock
{
    private const long NanosecondsPerTick = 100;
    private const long NanosecondsPerMillisecond = 1_000_000;

    public static DateTime UtcNow
    {
        get
        {
            Timespec now = Get(Sys.ClockRealtime);
            long ticks = now.Seconds * TimeSpan.TicksPerSecond + now.Nanoseconds / NanosecondsPerTick;
            return new DateTime(DateTime.UnixEpoch.Ticks + ticks, DateTimeKind.Utc);
        }
    }

    // The kernel has no time zone database (a unikernel carries no /etc/localtime or tzdata,
    // and pulling the host's in would make the kernel depend on the host's configuration), so
    // local time is UTC: Now is UtcNow marked Local, which keeps code that checks Kind working.
    public static DateTime Now => DateTime.SpecifyKind(UtcNow, DateTimeKind.Local);

    public static long TickCount64
    {
        get
        {
            Timespec now = Get(Sys.ClockMonotonic);
            return now.Seconds * 1000 + now.Nanoseconds / NanosecondsPerMillisecond;
        }
    }

    private static Timespec Get(int clockId)
    {
        long result = Sys.ClockGettime(Kernel.Current, clockId, out Timespec value);
        if (result < 0)
        {
            throw KernelException.Failed(clockId == Sys.ClockRealtime ? "clock_gettime(CLOCK_REALTIME)" : "clock_gettime(CLOCK_MONOTONIC)", result);
        }
        return value;
    }
}
