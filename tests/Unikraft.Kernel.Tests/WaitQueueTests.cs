namespace Unikraft.Kernel.Tests;

using System.Collections.Generic;
using Xunit;

public class WaitQueueTests
{
    private const long Second = 1_000_000_000;

    [Fact]
    public void Wait_EndsWhenWorkWakesTheQueue_AndRunsOtherWorkMeanwhile()
    {
        Kernel kernel = TestKernel.Boot(out TestPlatform platform);
        WaitQueue queue = new WaitQueue(kernel.Scheduler);
        List<string> events = new List<string>();
        Sys.UkSpawn(kernel, _ => events.Add("other work"), null);
        Sys.UkTimerArm(kernel, Second, _ => { events.Add("wake"); queue.WakeAll(); }, null);
        long start = platform.Clock.MonotonicNanoseconds;

        bool woken = queue.Wait(start + 10 * Second);

        Assert.True(woken);
        Assert.Equal(new[] { "other work", "wake" }, events);
        long waited = platform.Clock.MonotonicNanoseconds - start;
        Assert.InRange(waited, Second, 2 * Second);
    }

    [Fact]
    public void Wait_ReturnsFalseAtTheDeadline_WhenNothingWakesIt()
    {
        Kernel kernel = TestKernel.Boot(out TestPlatform platform);
        WaitQueue queue = new WaitQueue(kernel.Scheduler);
        Sys.UkTimerArm(kernel, 5 * Second, _ => queue.WakeAll(), null);
        long start = platform.Clock.MonotonicNanoseconds;

        bool woken = queue.Wait(start + Second);

        Assert.False(woken);
        Assert.InRange(platform.Clock.MonotonicNanoseconds - start, Second, 2 * Second);
        Assert.Equal(1, kernel.Scheduler.TimerCount);
    }
}
