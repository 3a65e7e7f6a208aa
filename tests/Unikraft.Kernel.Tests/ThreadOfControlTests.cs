namespace Unikraft.Kernel.Tests;

using System;
using System.Collections.Generic;
using System.Threading;
using Xunit;

// Blocked callers are threads of control: each parks on its own and resumes when its own
// wake-up comes. Every test here fails with the nesting poll loop (a waiter that runs the loop on
// its own stack), where an outer waiter returns only after every inner one has.
public class ThreadOfControlTests
{
    private const long Second = 1_000_000_000;

    [Fact]
    public void TwoWaiters_TheOneWokenFirstReturnsFirst_WhileTheOtherStillWaits()
    {
        Kernel kernel = TestKernel.Boot(out TestPlatform platform);
        WaitQueue first = new WaitQueue(kernel.Scheduler);
        WaitQueue second = new WaitQueue(kernel.Scheduler);
        long start = platform.Clock.MonotonicNanoseconds;
        List<string> events = new List<string>();
        int secondWaitingWhenFirstReturned = -1;
        // The first to block is woken first (at 1 s), the second later (at 2 s).
        Sys.UkSpawn(kernel, _ =>
        {
            bool woken = first.Wait(long.MaxValue);
            events.Add("first returned " + woken + " at " + (platform.Clock.MonotonicNanoseconds - start) / Second + " s");
            secondWaitingWhenFirstReturned = second.Count;
        }, null);
        Sys.UkSpawn(kernel, _ =>
        {
            bool woken = second.Wait(long.MaxValue);
            events.Add("second returned " + woken + " at " + (platform.Clock.MonotonicNanoseconds - start) / Second + " s");
        }, null);
        Sys.UkTimerArm(kernel, Second, _ => first.WakeAll(), null);
        Sys.UkTimerArm(kernel, 2 * Second, _ => second.WakeAll(), null);

        Assert.Equal(0, Sys.Nanosleep(kernel, new Timespec(5, 0)));

        Assert.Equal(new[] { "first returned True at 1 s", "second returned True at 2 s" }, events);
        Assert.Equal(1, secondWaitingWhenFirstReturned);
        Assert.Equal(0, kernel.Scheduler.BlockedCount);
    }

    [Fact]
    public void ClientAndServer_InOneKernel_AnswerEachOther()
    {
        Kernel kernel = TestKernel.Boot(out TestPlatform platform);
        WaitQueue requestsArrived = new WaitQueue(kernel.Scheduler);
        WaitQueue repliesArrived = new WaitQueue(kernel.Scheduler);
        Queue<string> requests = new Queue<string>();
        Queue<string> replies = new Queue<string>();
        List<string> received = new List<string>();
        long start = platform.Clock.MonotonicNanoseconds;
        long deadline = start + 10 * Second;
        // The server blocks first, waiting for a request; the client then sends and blocks for
        // the reply. Nested, the client's wait would sit on top of the server's, which could
        // not return to answer until the client gave up at its deadline.
        Sys.UkSpawn(kernel, _ =>
        {
            for (int round = 0; round < 3; round++)
            {
                while (requests.Count == 0)
                {
                    if (!requestsArrived.Wait(deadline))
                    {
                        return;
                    }
                }
                replies.Enqueue("re: " + requests.Dequeue());
                repliesArrived.WakeAll();
            }
        }, null);
        Sys.UkSpawn(kernel, _ =>
        {
            for (int round = 0; round < 3; round++)
            {
                requests.Enqueue("ping " + round);
                requestsArrived.WakeAll();
                while (replies.Count == 0)
                {
                    if (!repliesArrived.Wait(deadline))
                    {
                        received.Add("timed out");
                        return;
                    }
                }
                received.Add(replies.Dequeue());
            }
        }, null);

        Sys.Nanosleep(kernel, new Timespec(20, 0));

        Assert.Equal(new[] { "re: ping 0", "re: ping 1", "re: ping 2" }, received);
    }

    [Fact]
    public void Nanosleep_TheShorterSleepReturnsAtItsDeadline_WhileALongerOneBlockedAfterIt()
    {
        Kernel kernel = TestKernel.Boot(out TestPlatform platform);
        long start = platform.Clock.MonotonicNanoseconds;
        List<string> events = new List<string>();
        // B blocks first for 1 s, then A for 10 s: nested, B would return only after A, at 10 s.
        Sys.UkSpawn(kernel, _ =>
        {
            Sys.Nanosleep(kernel, new Timespec(1, 0));
            events.Add("B at " + (platform.Clock.MonotonicNanoseconds - start) / Second + " s");
        }, null);
        Sys.UkSpawn(kernel, _ =>
        {
            Sys.Nanosleep(kernel, new Timespec(10, 0));
            events.Add("A at " + (platform.Clock.MonotonicNanoseconds - start) / Second + " s");
        }, null);

        Sys.Nanosleep(kernel, new Timespec(30, 0));

        Assert.Equal(new[] { "B at 1 s", "A at 10 s" }, events);
    }

    [Fact]
    public void Wait_WithADeadline_TimesOutAlone_AndLeavesTheQueue()
    {
        Kernel kernel = TestKernel.Boot(out TestPlatform platform);
        WaitQueue queue = new WaitQueue(kernel.Scheduler);
        long start = platform.Clock.MonotonicNanoseconds;
        List<string> events = new List<string>();
        int waitingAfterTimeout = -1;
        // The hasty one blocks first: nested, it could return only after the patient one, at 3 s.
        Sys.UkSpawn(kernel, _ =>
        {
            bool woken = queue.Wait(start + Second);
            events.Add("hasty " + woken + " at " + (platform.Clock.MonotonicNanoseconds - start) / Second + " s");
            waitingAfterTimeout = queue.Count;
        }, null);
        Sys.UkSpawn(kernel, _ =>
        {
            bool woken = queue.Wait(long.MaxValue);
            events.Add("patient " + woken + " at " + (platform.Clock.MonotonicNanoseconds - start) / Second + " s");
        }, null);
        Sys.UkTimerArm(kernel, 3 * Second, _ => queue.WakeAll(), null);

        Sys.Nanosleep(kernel, new Timespec(5, 0));

        Assert.Equal(new[] { "hasty False at 1 s", "patient True at 3 s" }, events);
        Assert.Equal(1, waitingAfterTimeout);
        // The woken waiter's own deadline timer (none here) and the timed-out one's are gone.
        Assert.Equal(0, kernel.Scheduler.TimerCount);
    }

    [Fact]
    public void AWakeUp_CancelsTheWaitersDeadlineTimer()
    {
        Kernel kernel = TestKernel.Boot(out TestPlatform platform);
        WaitQueue queue = new WaitQueue(kernel.Scheduler);
        long start = platform.Clock.MonotonicNanoseconds;
        Sys.UkTimerArm(kernel, Second, _ => queue.WakeAll(), null);

        Assert.True(queue.Wait(start + 60 * Second));

        Assert.Equal(0, kernel.Scheduler.TimerCount);
        Assert.InRange(platform.Clock.MonotonicNanoseconds - start, Second, 2 * Second);
    }

    [Fact]
    public void WaitersWokenTogether_ResumeInTheOrderTheyBlocked()
    {
        Kernel kernel = TestKernel.Boot(out TestPlatform platform);
        WaitQueue queue = new WaitQueue(kernel.Scheduler);
        List<int> order = new List<int>();
        for (int index = 0; index < 5; index++)
        {
            Sys.UkSpawn(kernel, state =>
            {
                queue.Wait(long.MaxValue);
                order.Add((int)state!);
            }, index);
        }
        Sys.UkTimerArm(kernel, Second, _ => queue.WakeAll(), null);

        Sys.Nanosleep(kernel, new Timespec(2, 0));

        Assert.Equal(new[] { 0, 1, 2, 3, 4 }, order);
    }

    [Fact]
    public void WorkThatFailsWhileTheCallerIsBlocked_FailsTheBlockedCall()
    {
        Kernel kernel = TestKernel.Boot(out _);
        Sys.UkSpawn(kernel, _ => throw new InvalidOperationException("work failed"), null);

        InvalidOperationException failure = Assert.Throws<InvalidOperationException>(() => Sys.Nanosleep(kernel, new Timespec(1, 0)));

        Assert.Equal("work failed", failure.Message);
        Assert.Equal(0, kernel.Scheduler.BlockedCount);
        Assert.False(kernel.Scheduler.Vcpu.IsHeldByCurrentThread);
    }

    [Fact]
    public void OnlyOneThreadOfControlRunsAtATime()
    {
        Kernel kernel = TestKernel.Boot(out _);
        int running = 0;
        int overlaps = 0;
        HashSet<int> threads = new HashSet<int>();
        for (int index = 0; index < 20; index++)
        {
            Sys.UkSpawn(kernel, state =>
            {
                for (int round = 0; round < 5; round++)
                {
                    if (Interlocked.Increment(ref running) != 1)
                    {
                        overlaps++;
                    }
                    threads.Add(Environment.CurrentManagedThreadId);
                    Thread.SpinWait(1000);
                    Interlocked.Decrement(ref running);
                    Sys.Nanosleep(Kernel.Current, new Timespec(0, 1_000_000 * (1 + (int)state! % 7)));
                }
            }, index);
        }

        Sys.Nanosleep(kernel, new Timespec(1, 0));

        Assert.Equal(0, overlaps);
        // Twenty callers blocked at once: each held its own host thread.
        Assert.True(threads.Count >= 20, "only " + threads.Count + " host threads ran the callers");
        Assert.Equal(0, kernel.Scheduler.BlockedCount);
    }
}
