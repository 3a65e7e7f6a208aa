namespace Unikraft.Kernel;

using System;
using System.Threading;

// System.Threading.Thread.Sleep on the kernel: nanosleep, which keeps the kernel's other ready
// work running while the caller waits (one vCPU cannot block). Thread.Start: the program's
// threads, which the end of Main waits for while they run in the foreground.
internal static partial class KernelThread
{
    private const long NanosecondsPerMillisecond = 1_000_000;

    public static void Sleep(int millisecondsTimeout)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(millisecondsTimeout, Timeout.Infinite);
        SleepMilliseconds(millisecondsTimeout);
    }

    // Thread.Sleep(TimeSpan) takes whole milliseconds between -1 (infinite) and int.MaxValue.
    public static void Sleep(TimeSpan timeout)
    {
        long milliseconds = (long)timeout.TotalMilliseconds;
        if (milliseconds < Timeout.Infinite || milliseconds > int.MaxValue)
        {
            throw new ArgumentOutOfRangeException(nameof(timeout), timeout,
                "The timeout must be between -1 and Int32.MaxValue milliseconds.");
        }
        SleepMilliseconds((int)milliseconds);
    }

    // Thread.Start on the kernel: the thread is recorded as the program's, so that the kernel, as
    // .NET does, ends the program after Main returns only once its foreground threads have ended.
    public static void Start(Thread thread)
    {
        Record(thread);
        thread.Start();
    }

    public static void Start(Thread thread, object? parameter)
    {
        Record(thread);
        thread.Start(parameter);
    }

    private static void Record(Thread thread)
    {
        ArgumentNullException.ThrowIfNull(thread);
        long result = Sys.UkThreadRecord(Kernel.Current, thread);
        if (result < 0)
        {
            throw KernelException.Failed("uk_thread_record", result);
        }
    }

    private static void SleepMilliseconds(int milliseconds)
    {
        // An infinite sleep is the longest interval nanosleep accepts; the kernel treats it as
        // having no deadline.
        Timespec request = milliseconds == Timeout.Infinite
            ? new Timespec(long.MaxValue, 0)
            : Timespec.FromNanoseconds(milliseconds * NanosecondsPerMillisecond);
        long result = Sys.Nanosleep(Kernel.Current, in request);
        if (result < 0)
        {
            throw KernelException.Failed("nanosleep", result);
        }
    }
}
