namespace Unikraft.Kernel.Tests;

using System;
using Xunit;

public class TimeTests
{
    [Fact]
    public void ClockGettime_UnknownClock_ReturnsEINVAL()
    {
        Kernel kernel = TestKernel.Boot(out _);

        long result = Sys.ClockGettime(kernel, 42, out Timespec value);

        Assert.Equal(-Errno.EINVAL, result);
        Assert.Equal(0, value.Seconds);
        Assert.Equal(-Errno.EINVAL, Sys.ClockGettime(kernel, -1, out _));
    }

    [Fact]
    public void ClockGettime_ReadsBothClocksFromTheDevice()
    {
        Kernel kernel = TestKernel.Boot(out TestPlatform platform);
        platform.Clock.Advance(2 * 1_000_000_000L + 5);

        Assert.Equal(0, Sys.ClockGettime(kernel, Sys.ClockMonotonic, out Timespec monotonic));
        Assert.Equal(0, Sys.ClockGettime(kernel, Sys.ClockRealtime, out Timespec realtime));

        Assert.Equal(platform.Clock.MonotonicNanoseconds, monotonic.Seconds * 1_000_000_000 + monotonic.Nanoseconds);
        Assert.Equal(platform.Clock.RealtimeNanoseconds, realtime.Seconds * 1_000_000_000 + realtime.Nanoseconds);
        Assert.InRange(monotonic.Nanoseconds, 0, 999_999_999);
    }

    [Fact]
    public void KernelClock_ReadsKernelTimeNotHostTime()
    {
        Kernel kernel = TestKernel.Boot(out TestPlatform platform);
        DateTime expectedUtc = DateTime.UnixEpoch.AddTicks(ManualClock.StartRealtime / 100);

        kernel.Run(Array.Empty<string>(), _ =>
        {
            DateTime utc = KernelClock.UtcNow;
            Assert.Equal(DateTimeKind.Utc, utc.Kind);
            Assert.Equal(expectedUtc, utc.AddTicks(-platform.Clock.MonotonicNanoseconds / 100));
            DateTime local = KernelClock.Now;
            Assert.Equal(DateTimeKind.Local, local.Kind);
            Assert.Equal(utc.Ticks, local.Ticks);
            platform.Clock.Advance(1_500_000_000);
            long ticks = KernelClock.TickCount64;
            Assert.Equal(platform.Clock.MonotonicNanoseconds / 1_000_000, ticks);
            return 0;
        });
    }

    [Fact]
    public void Timespec_FromNanoseconds_KeepsNanosecondsInRange()
    {
        Timespec negative = Timespec.FromNanoseconds(-1);

        Assert.Equal(-1, negative.Seconds);
        Assert.Equal(999_999_999, negative.Nanoseconds);
        Assert.Equal(long.MaxValue, new Timespec(long.MaxValue, 0).ToNanosecondsSaturated());
    }

    [Fact]
    public void HostedClock_MovesForwardAndMatchesHostWallClock()
    {
        HostedClock clock = new HostedClock();
        long first = clock.MonotonicNanoseconds;
        long second = clock.MonotonicNanoseconds;
        long wall = (DateTime.UtcNow - DateTime.UnixEpoch).Ticks * 100;

        Assert.True(second >= first);
        Assert.InRange(clock.RealtimeNanoseconds - wall, -1_000_000_000L, 1_000_000_000L);
    }
}
