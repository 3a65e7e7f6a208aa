namespace Unikraft.Kernel.Tests;

using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using Xunit;

public class SchedulerTests
{
    private const long Second = 1_000_000_000;

    [Fact]
    public void Nanosleep_RunsReadyTasksWhileWaiting()
    {
        Kernel kernel = TestKernel.Boot(out TestPlatform platform);
        List<string> events = new List<string>();
        Sys.UkSpawn(kernel, _ => events.Add("spawned"), null);
        Sys.UkTimerArm(kernel, Second / 2, _ => events.Add("timer at 0.5 s"), null);
        Sys.UkTimerArm(kernel, 3 * Second, _ => events.Add("timer at 3 s"), null);
        long start = platform.Clock.MonotonicNanoseconds;

        long result = Sys.Nanosleep(kernel, new Timespec(1, 0));

        Assert.Equal(0, result);
        Assert.Equal(new[] { "spawned", "timer at 0.5 s" }, events);
        Assert.True(platform.Clock.MonotonicNanoseconds - start >= Second);
        Assert.Equal(1, kernel.Scheduler.TimerCount);
    }

    [Fact]
    public void Nanosleep_InvalidRequest_ReturnsEINVAL()
    {
        Kernel kernel = TestKernel.Boot(out _);

        Assert.Equal(-Errno.EINVAL, Sys.Nanosleep(kernel, new Timespec(-1, 0)));
        Assert.Equal(-Errno.EINVAL, Sys.Nanosleep(kernel, new Timespec(0, 1_000_000_000)));
        Assert.Equal(-Errno.EINVAL, Sys.Nanosleep(kernel, new Timespec(0, -1)));
    }

    [Fact]
    public void Timers_WithTheSameDeadline_FireInArmingOrder()
    {
        Kernel kernel = TestKernel.Boot(out _);
        List<int> order = new List<int>();
        for (int index = 0; index < 5; index++)
        {
            Sys.UkTimerArm(kernel, Second, state => order.Add((int)state!), index);
        }

        Sys.Nanosleep(kernel, new Timespec(2, 0));

        Assert.Equal(new[] { 0, 1, 2, 3, 4 }, order);
    }

    [Fact]
    public void UkTimerArm_NegativeDelay_ReturnsEINVAL()
    {
        Kernel kernel = TestKernel.Boot(out _);

        Assert.Equal(-Errno.EINVAL, Sys.UkTimerArm(kernel, -1, _ => { }, null));
    }

    [Fact]
    public void UkTimerArm_WithoutClock_ReturnsENODEV()
    {
        Kernel kernel = new Kernel(new TestPlatform());

        Assert.Equal(-Errno.ENODEV, Sys.UkTimerArm(kernel, 5, _ => { }, null));
    }

    [Fact]
    public void RunAsync_ContinuationsRunOnKernelThread()
    {
        Kernel kernel = TestKernel.Boot(out _);
        int kernelThread = Environment.CurrentManagedThreadId;
        List<int> threads = new List<int>();
        SynchronizationContext? before = SynchronizationContext.Current;

        async Task<int> Main(string[] args)
        {
            threads.Add(Environment.CurrentManagedThreadId);
            await Task.Yield();
            threads.Add(Environment.CurrentManagedThreadId);
            await KernelTask.Delay(10);
            threads.Add(Environment.CurrentManagedThreadId);
            // A real host thread-pool task completes on another thread; its continuation
            // still comes back through the kernel's synchronization context.
            await Task.Run(() => Thread.Sleep(20));
            threads.Add(Environment.CurrentManagedThreadId);
            await KernelTask.Run(() => threads.Add(Environment.CurrentManagedThreadId));
            threads.Add(Environment.CurrentManagedThreadId);
            Assert.Same(kernel, Kernel.Current);
            Assert.IsType<SchedulerContext>(SynchronizationContext.Current);
            return 5;
        }

        int code = kernel.RunAsync(Array.Empty<string>(), Main);

        Assert.Equal(5, code);
        Assert.Equal(6, threads.Count);
        Assert.All(threads, thread => Assert.Equal(kernelThread, thread));
        Assert.Equal(5, kernel.ExitStatus);
        Assert.Same(before, SynchronizationContext.Current);
    }

    [Fact]
    public void RunAsync_MainThrows_RethrowsOriginalExceptionAfterShutdown()
    {
        Kernel kernel = TestKernel.Boot(out TestPlatform platform);

        async Task<int> Main(string[] args)
        {
            await KernelTask.Delay(5);
            throw new FormatException("bad input");
        }

        FormatException exception = Assert.Throws<FormatException>(() => kernel.RunAsync(Array.Empty<string>(), Main));

        Assert.Equal("bad input", exception.Message);
        Assert.Contains(nameof(Main), exception.StackTrace);
        Assert.True(kernel.Halted);
        Assert.Equal(1, platform.Console.FlushCount);
        Assert.Throws<KernelException>(() => Kernel.Current);
    }

    [Fact]
    public void TaskDelay_CompletesAfterVirtualTime()
    {
        Kernel kernel = TestKernel.Boot(out TestPlatform platform);
        Stopwatch realTime = Stopwatch.StartNew();
        long before = 0;
        long after = 0;

        async Task<int> Main(string[] args)
        {
            before = platform.Clock.MonotonicNanoseconds;
            await KernelTask.Delay(TimeSpan.FromHours(1));
            after = platform.Clock.MonotonicNanoseconds;
            return 0;
        }

        kernel.RunAsync(Array.Empty<string>(), Main);

        Assert.Equal(3600 * Second, after - before);
        Assert.True(realTime.Elapsed < TimeSpan.FromSeconds(10));
    }

    [Fact]
    public void TaskDelay_ShorterDelaysFinishFirst()
    {
        Kernel kernel = TestKernel.Boot(out _);
        List<int> order = new List<int>();

        async Task Wait(int milliseconds)
        {
            await KernelTask.Delay(milliseconds);
            order.Add(milliseconds);
        }

        kernel.RunAsync(Array.Empty<string>(), async _ =>
        {
            await Task.WhenAll(Wait(300), Wait(100), Wait(200));
            return 0;
        });

        Assert.Equal(new[] { 100, 200, 300 }, order);
    }

    [Fact]
    public void TaskDelay_Canceled_EndsCanceled()
    {
        Kernel kernel = TestKernel.Boot(out _);
        bool canceled = false;

        kernel.RunAsync(Array.Empty<string>(), async _ =>
        {
            using CancellationTokenSource source = new CancellationTokenSource();
            Task delay = KernelTask.Delay(Timeout.Infinite, source.Token);
            Task cancel = KernelTask.Run(source.Cancel);
            await cancel;
            try
            {
                await delay;
            }
            catch (TaskCanceledException)
            {
                canceled = true;
            }
            Assert.True(KernelTask.Delay(10, new CancellationToken(true)).IsCanceled);
            return 0;
        });

        Assert.True(canceled);
    }

    [Fact]
    public void TaskDelay_ChecksArgumentsLikeTaskDelay()
    {
        Kernel kernel = TestKernel.Boot(out _);

        kernel.Run(Array.Empty<string>(), _ =>
        {
            Assert.IsType<ArgumentOutOfRangeException>(ThrownWhileStarting(() => KernelTask.Delay(-2)));
            Assert.IsType<ArgumentOutOfRangeException>(ThrownWhileStarting(() => KernelTask.Delay(TimeSpan.FromMilliseconds(-2))));
            Assert.IsType<ArgumentOutOfRangeException>(ThrownWhileStarting(() => KernelTask.Delay(TimeSpan.FromDays(60))));
            Assert.True(KernelTask.Delay(0).IsCompletedSuccessfully);
            return 0;
        });
    }

    [Fact]
    public void TaskRun_ExceptionFlowsIntoTask()
    {
        Kernel kernel = TestKernel.Boot(out _);
        Exception? fromAction = null;
        Exception? fromFunction = null;
        Exception? fromAsync = null;

        Func<int> failing = () => throw new ArgumentException("function");

        kernel.RunAsync(Array.Empty<string>(), async _ =>
        {
            fromAction = await Record(KernelTask.Run(() => throw new InvalidOperationException("action")));
            fromFunction = await Record(KernelTask.Run(failing));
            fromAsync = await Record(KernelTask.Run(async () =>
            {
                await KernelTask.Delay(1);
                throw new NotSupportedException("async");
            }));
            return 0;
        });

        Assert.Equal("action", Assert.IsType<InvalidOperationException>(fromAction).Message);
        Assert.Equal("function", Assert.IsType<ArgumentException>(fromFunction).Message);
        Assert.Equal("async", Assert.IsType<NotSupportedException>(fromAsync).Message);
    }

    [Fact]
    public void TaskRun_ReturnsResultsAndRunsLater()
    {
        Kernel kernel = TestKernel.Boot(out _);
        int sum = 0;

        kernel.RunAsync(Array.Empty<string>(), async _ =>
        {
            bool ran = false;
            Task<int> first = KernelTask.Run(() =>
            {
                ran = true;
                return 40;
            });
            Assert.False(ran);
            Task<int> second = KernelTask.Run(async () =>
            {
                await KernelTask.Delay(1);
                return 2;
            });
            sum = await first + await second;
            return 0;
        });

        Assert.Equal(42, sum);
    }

    [Fact]
    public void ThreadSleep_AdvancesVirtualTimeAndRunsOtherWork()
    {
        Kernel kernel = TestKernel.Boot(out TestPlatform platform);
        bool otherWorkRan = false;

        kernel.Run(Array.Empty<string>(), _ =>
        {
            long before = platform.Clock.MonotonicNanoseconds;
            KernelTask.Run(() => otherWorkRan = true);
            KernelThread.Sleep(TimeSpan.FromSeconds(2));
            Assert.Equal(2 * Second, platform.Clock.MonotonicNanoseconds - before);
            Assert.Throws<ArgumentOutOfRangeException>(() => KernelThread.Sleep(-2));
            return 0;
        });

        Assert.True(otherWorkRan);
    }

    // Task.Delay checks its arguments before it returns a task; this catches what the call
    // itself throws, not what the task ends with.
    private static Exception? ThrownWhileStarting(Func<Task> start)
    {
        try
        {
            start();
            return null;
        }
        catch (Exception exception)
        {
            return exception;
        }
    }

    private static async Task<Exception?> Record(Task task)
    {
        try
        {
            await task;
            return null;
        }
        catch (Exception exception)
        {
            return exception;
        }
    }
}
