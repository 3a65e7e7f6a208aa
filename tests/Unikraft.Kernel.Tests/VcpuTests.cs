namespace Unikraft.Kernel.Tests;

using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using Xunit;

// The vCPU: another thread's call (a continuation on a thread-pool thread) reaches the served
// kernel through Vcpu.EnterCall, as the generated interceptors make it, and takes its turn: it
// waits while the kernel thread runs and gets in while the kernel thread idles.
[Collection(VcpuTests.ServedKernel)]
public class VcpuTests
{
    // Vcpu.Serve sets the process's one served kernel: the tests that set it do not run in parallel.
    public const string ServedKernel = "served kernel";

    private const long Millisecond = 1_000_000;

    [Fact]
    public void AnotherThreadsCall_WaitsWhileTheKernelThreadIsInTheKernel_AndRunsOnTheKernel()
    {
        Kernel kernel = TestKernel.Boot(out TestPlatform platform);
        List<string> events = new List<string>();
        Kernel? seenInCall = null;
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var other = new Thread(() =>
        {
            Kernel? entered = Vcpu.EnterCall();
            try
            {
                seenInCall = Kernel.Current;
                lock (events)
                {
                    events.Add("other thread's call");
                }
                Sys.Write(Kernel.Current, 1, "from the other thread\n"u8.ToArray());
            }
            finally
            {
                Vcpu.LeaveCall(entered);
            }
            done.SetResult();
        });

        async Task<int> Main(string[] args)
        {
            // The kernel thread is in a call into the kernel for a while: the other call must wait.
            Kernel? inCall = Vcpu.EnterCall();
            Assert.Same(kernel, inCall);
            other.Start();
            Thread.Sleep(200);
            lock (events)
            {
                events.Add("kernel thread leaves the kernel");
            }
            Vcpu.LeaveCall(inCall);
            Assert.Same(kernel, Kernel.Current);
            await done.Task;
            return 0;
        }

        Vcpu.Serve(kernel);
        try
        {
            Assert.Equal(0, kernel.RunAsync(Array.Empty<string>(), Main));
        }
        finally
        {
            Vcpu.Serve(null);
        }

        Assert.Equal(["kernel thread leaves the kernel", "other thread's call"], events);
        Assert.Same(kernel, seenInCall);
        Assert.Equal("from the other thread\n", platform.Console.OutputText);
        Assert.False(Kernel.HasCurrent);
    }

    // The kernel thread running the program's own code (here the synchronous part of an async
    // Main) holds no vCPU: another thread's call goes ahead at once instead of waiting for it.
    [Fact]
    public void AnotherThreadsCall_GoesAhead_WhileTheKernelThreadRunsProgramCode()
    {
        Kernel kernel = TestKernel.Boot(out _);
        List<string> events = new List<string>();
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var other = new Thread(() =>
        {
            Kernel? entered = Vcpu.EnterCall();
            try
            {
                lock (events)
                {
                    events.Add("other thread's call");
                }
                Sys.Write(Kernel.Current, 1, "x"u8.ToArray());
            }
            finally
            {
                Vcpu.LeaveCall(entered);
            }
            done.SetResult();
        });

        async Task<int> Main(string[] args)
        {
            other.Start();
            Assert.True(done.Task.Wait(TimeSpan.FromSeconds(10)), "the other thread's call waited for program code");
            lock (events)
            {
                events.Add("program code done");
            }
            await Task.Yield();
            return 0;
        }

        Vcpu.Serve(kernel);
        try
        {
            Assert.Equal(0, kernel.RunAsync(Array.Empty<string>(), Main));
        }
        finally
        {
            Vcpu.Serve(null);
        }

        Assert.Equal(["other thread's call", "program code done"], events);
    }

    [Fact]
    public void ATimerArmedByAnotherThreadsCall_WakesTheIdleKernelThread()
    {
        Kernel kernel = TestKernel.Boot(out _);
        var fired = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var other = new Thread(() =>
        {
            Kernel? entered = Vcpu.EnterCall();
            try
            {
                Assert.Equal(0, Sys.UkTimerArm(Kernel.Current, 10 * Millisecond, _ => fired.SetResult(), null));
            }
            finally
            {
                Vcpu.LeaveCall(entered);
            }
        });

        async Task<int> Main(string[] args)
        {
            other.Start();
            // The kernel thread idles with no timer of its own: only the other thread's timer,
            // armed while it waits, can end this wait (ManualClock fails a wait with nothing to
            // wake it after 10 s).
            await fired.Task;
            return 7;
        }

        Vcpu.Serve(kernel);
        try
        {
            Assert.Equal(7, kernel.RunAsync(Array.Empty<string>(), Main));
        }
        finally
        {
            Vcpu.Serve(null);
        }
    }

    [Fact]
    public void AnotherThreadsCallThatSleeps_BlocksAlone_AndTheKernelThreadGoesOn()
    {
        Kernel kernel = TestKernel.Boot(out TestPlatform platform);
        long start = platform.Clock.MonotonicNanoseconds;
        long sleptUntil = 0;
        int sleeperBefore = 0;
        int sleeperAfter = 0;
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var other = new Thread(() =>
        {
            Kernel? entered = Vcpu.EnterCall();
            try
            {
                sleeperBefore = Environment.CurrentManagedThreadId;
                Assert.Equal(0, Sys.Nanosleep(Kernel.Current, new Timespec(1, 0)));
                sleeperAfter = Environment.CurrentManagedThreadId;
                sleptUntil = platform.Clock.MonotonicNanoseconds;
            }
            finally
            {
                Vcpu.LeaveCall(entered);
            }
            done.SetResult();
        });
        int kernelThread = Environment.CurrentManagedThreadId;
        int resumedOn = 0;

        async Task<int> Main(string[] args)
        {
            other.Start();
            // The kernel thread idles with no timer of its own: the sleeper's deadline, armed
            // from the other thread, wakes it, and it resumes the sleeper on its own thread.
            await done.Task;
            resumedOn = Environment.CurrentManagedThreadId;
            return 3;
        }

        Vcpu.Serve(kernel);
        try
        {
            Assert.Equal(3, kernel.RunAsync(Array.Empty<string>(), Main));
        }
        finally
        {
            Vcpu.Serve(null);
        }

        Assert.True(sleptUntil - start >= 1_000_000_000, "the sleep returned early");
        Assert.Equal(sleeperBefore, sleeperAfter);
        Assert.Equal(kernelThread, resumedOn);
        Assert.Equal(0, kernel.Scheduler.BlockedCount);
    }

    [Fact]
    public void WithNoServedKernel_AnotherThreadsCallIsLeftAlone()
    {
        Kernel? entered = Kernel.HasCurrent ? null : Vcpu.EnterCall();

        Assert.Null(entered);
        Assert.False(Kernel.HasCurrent);
    }
}
