namespace Unikraft.Kernel;

// The struct timespec of clock_gettime and nanosleep. It is part of the syscall ABI, so the
// app-facing API uses it beside Sys.
internal readonly struct Timespec
{
    public const long NanosecondsPerSecond = 1_000_000_000;

    public Timespec(long seconds, long nanoseconds)
    {
        Seconds = seconds;
        Nanoseconds = nanoseconds;
    }

    public long Seconds { get; }

    public long Nanoseconds { get; }

    // A request is valid as nanosleep(2) defines it: tv_sec >= 0 and 0 <= tv_nsec <= 999999999.
    public bool IsValidInterval => Seconds >= 0 && Nanoseconds >= 0 && Nanoseconds < NanosecondsPerSecond;

    public static Timespec FromNanoseconds(long nanoseconds)
    {
        long seconds = nanoseconds / NanosecondsPerSecond;
        long remainder = nanoseconds % NanosecondsPerSecond;
        if (remainder < 0)
        {
            seconds -= 1;
            remainder += NanosecondsPerSecond;
        }
        return new Timespec(seconds, remainder);
    }

    // Total nanoseconds, saturating at long.MaxValue: a sleep of centuries means "forever" to
    // the scheduler, never an overflow into the past.
    public long ToNanosecondsSaturated()
    {
        if (Seconds > (long.MaxValue - Nanoseconds) / NanosecondsPerSecond)
        {
            return long.MaxValue;
        }
        return Seconds * NanosecondsPerSecond + Nanoseconds;
    }
}
