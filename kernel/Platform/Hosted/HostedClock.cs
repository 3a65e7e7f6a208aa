namespace Unikraft.Kernel;

using System;
using System.Diagnostics;
using System.Threading;

// The host's clocks: the wall clock for CLOCK_REALTIME and the high-resolution timestamp for
// CLOCK_MONOTONIC. Idle waits block on the scheduler's wake event with a timeout, so a post
// from another thread ends the wait at once.
[Device("clock")]
internal sealed class HostedClock : IClockDevice
{
    private const long NanosecondsPerMillisecond = 1_000_000;

    private readonly long start = Stopwatch.GetTimestamp();

    public long RealtimeNanoseconds => (DateTime.UtcNow.Ticks - DateTime.UnixEpoch.Ticks) * 100;

    public long MonotonicNanoseconds
    {
        get
        {
            long elapsed = Stopwatch.GetTimestamp() - start;
            return (long)((Int128)elapsed * 1_000_000_000 / Stopwatch.Frequency);
        }
    }

    public void WaitUntil(long monotonicDeadline, WaitHandle wake)
    {
        if (monotonicDeadline == long.MaxValue)
        {
            wake.WaitOne();
            return;
        }
        long remaining = monotonicDeadline - MonotonicNanoseconds;
        if (remaining <= 0)
        {
            return;
        }
        // Round up: waking a little late is harmless, waking early only spins the loop again.
        long milliseconds = (remaining + NanosecondsPerMillisecond - 1) / NanosecondsPerMillisecond;
        wake.WaitOne(milliseconds > int.MaxValue ? int.MaxValue : (int)milliseconds);
    }
}
