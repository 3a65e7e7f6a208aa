namespace Unikraft.Kernel;

using System.Threading;

// The only way time reaches the kernel, so the sim platform and the tests can run on virtual
// time.
internal interface IClockDevice
{
    // Nanoseconds since the Unix epoch (CLOCK_REALTIME).
    long RealtimeNanoseconds { get; }

    // Nanoseconds since an arbitrary start that never goes back (CLOCK_MONOTONIC).
    long MonotonicNanoseconds { get; }

    // Blocks until the monotonic clock reaches the deadline or wake is signalled, whichever
    // comes first; long.MaxValue means no deadline. A virtual clock may jump to the deadline.
    void WaitUntil(long monotonicDeadline, WaitHandle wake);
}
