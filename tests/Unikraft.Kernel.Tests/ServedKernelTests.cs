namespace Unikraft.Kernel.Tests;

using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Xunit;

// A kernel served to the whole process (hosted, Vcpu.Serve): its poll loop runs on a kernel
// thread of its own, and Main is one thread of the program among others that runs its own code
// without the vCPU. So Main, a task's body or a continuation can block outside the kernel (.Result,
// Wait, Join, a lock) while the kernel goes on serving the others. Each program runs on a thread of
// the test that must end within a time limit: a regression deadlocks, and the test fails instead.
[Collection(VcpuTests.ServedKernel)]
public class ServedKernelTests
{
    private const long Millisecond = 1_000_000;

    [Fact]
    public void SyncMain_BlocksOnATaskResult_WhileTheTaskCallsTheKernel()
    {
        Kernel kernel = TestKernel.Boot(out TestPlatform platform);
        int mainThread = 0;
        int taskThread = 0;

        int Main(string[] args)
        {
            mainThread = Environment.CurrentManagedThreadId;
            Task<int> task = KernelTask.Run(() =>
            {
                taskThread = Environment.CurrentManagedThreadId;
                Call(() => Sys.Write(Kernel.Current, 1, "from the task\n"u8.ToArray()));
                return 21;
            });
            // Main holds no vCPU while it waits, so the task's call goes ahead.
            Assert.False(kernel.Scheduler.Vcpu.IsHeldByCurrentThread);
            return task.Result * 2;
        }

        Assert.Equal(42, RunServed(kernel, () => kernel.Run(Array.Empty<string>(), Main)));
        Assert.Equal("from the task\n", platform.Console.OutputText);
        Assert.NotEqual(mainThread, taskThread);
    }

    [Fact]
    public void SyncMain_WaitsForADelay_WhichTheKernelThreadFires()
    {
        Kernel kernel = TestKernel.Boot(out TestPlatform platform);
        long start = platform.Clock.MonotonicNanoseconds;

        int Main(string[] args)
        {
            Task delay = Call(() => KernelTask.Delay(30));
            // Nothing runs the poll loop on Main's thread: the kernel thread fires the timer.
            Assert.True(delay.Wait(TimeSpan.FromSeconds(10)), "the delay never fired");
            return 0;
        }

        Assert.Equal(0, RunServed(kernel, () => kernel.Run(Array.Empty<string>(), Main)));
        Assert.True(platform.Clock.MonotonicNanoseconds - start >= 30 * Millisecond);
    }

    [Fact]
    public void AThreadBlockedReadingAPipe_IsWokenByMain_WhichThenJoinsIt()
    {
        Kernel kernel = TestKernel.Boot(out _);
        string? read = null;

        int Main(string[] args)
        {
            (int readEnd, int writeEnd) = Call(() => PipeTestKit.Open(Kernel.Current));
            var reader = new Thread(() =>
            {
                byte[] buffer = new byte[32];
                // Blocks in the kernel (the pipe is empty) until Main writes.
                long count = Call(() => Sys.Read(Kernel.Current, readEnd, buffer));
                read = Encoding.ASCII.GetString(buffer, 0, (int)count);
            });
            reader.Start();
            while (Call(() => kernel.Scheduler.BlockedCount) == 0)
            {
                Thread.Sleep(1);
            }
            Assert.Equal(5, Call(() => Sys.Write(Kernel.Current, writeEnd, "hello"u8.ToArray())));
            Assert.True(reader.Join(TimeSpan.FromSeconds(10)), "the reader was never woken");
            return 0;
        }

        Assert.Equal(0, RunServed(kernel, () => kernel.Run(Array.Empty<string>(), Main)));
        Assert.Equal("hello", read);
    }

    [Fact]
    public void ATaskWaitingForALockThatMainHolds_DoesNotStopMainsKernelCalls()
    {
        Kernel kernel = TestKernel.Boot(out TestPlatform platform);
        object gate = new object();
        List<string> order = new List<string>();

        int Main(string[] args)
        {
            Task task;
            lock (gate)
            {
                task = KernelTask.Run(() =>
                {
                    lock (gate)
                    {
                        order.Add("task has the lock");
                    }
                });
                Thread.Sleep(20);
                // The task is blocked on the lock, outside the kernel: this call must not wait for it.
                Call(() => Sys.Write(Kernel.Current, 1, "main, holding the lock\n"u8.ToArray()));
                order.Add("main wrote");
            }
            task.Wait();
            return 0;
        }

        Assert.Equal(0, RunServed(kernel, () => kernel.Run(Array.Empty<string>(), Main)));
        Assert.Equal(["main wrote", "task has the lock"], order);
        Assert.Equal("main, holding the lock\n", platform.Console.OutputText);
    }

    [Fact]
    public void AsyncMain_AfterAnAwait_BlocksOnATaskThatSleepsInTheKernel_OnMainsThread()
    {
        Kernel kernel = TestKernel.Boot(out _);
        int mainThread = 0;
        int resumedOn = 0;

        async Task<int> Main(string[] args)
        {
            mainThread = Environment.CurrentManagedThreadId;
            await Call(() => KernelTask.Delay(5));
            resumedOn = Environment.CurrentManagedThreadId;
            // The continuation runs on Main's thread without the vCPU; the task's sleep blocks in
            // the kernel and is woken by the kernel thread's timer.
            return KernelTask.Run(() =>
            {
                Call(() => Sys.Nanosleep(Kernel.Current, new Timespec(0, 5 * Millisecond)));
                return 8;
            }).Result;
        }

        Assert.Equal(8, RunServed(kernel, () => kernel.RunAsync(Array.Empty<string>(), Main)));
        Assert.Equal(mainThread, resumedOn);
    }

    [Fact]
    public void AsyncMain_BlockedReadingTheConsole_StillRunsItsTimersContinuations_OneAtATime()
    {
        Kernel kernel = TestKernel.Boot(out TestPlatform platform);
        platform.Console.KeepInputOpen();
        int ticks = 0;
        int inProgram = 0;
        int overlaps = 0;
        int mainThread = 0;
        int readReturnedOn = 0;
        List<int> tickThreads = new List<int>();
        // What happened, for the failure's message.
        ConcurrentQueue<string> log = new ConcurrentQueue<string>();
        // The host types a line only once the program's timer has ticked five times while Main
        // waits for it (as ConsoleInputTests' LineReader): a tick that waits for Main's thread
        // never comes, and the line then arrives after 10 s.
        var typist = new Thread(() =>
        {
            long giveUp = Environment.TickCount64 + 10_000;
            while (Volatile.Read(ref ticks) < 5 && Environment.TickCount64 < giveUp)
            {
                Thread.Sleep(1);
            }
            log.Enqueue("typist delivers at " + Volatile.Read(ref ticks) + " on " + Environment.CurrentManagedThreadId);
            platform.Console.Deliver("typed\n");
        });

        // The program's code, entered and left around each piece a continuation runs: two pieces
        // of it at once would be two continuations of one synchronization context running together.
        void Enter()
        {
            if (Interlocked.Increment(ref inProgram) != 1)
            {
                Interlocked.Increment(ref overlaps);
            }
        }

        void Leave()
        {
            Interlocked.Decrement(ref inProgram);
        }

        async Task Tick()
        {
            while (true)
            {
                // A tick is always a continuation of its own (the test's clock is virtual: a
                // delay may be over before it is awaited).
                await Task.Yield();
                await Call(() => KernelTask.Delay(2));
                Enter();
                lock (tickThreads)
                {
                    tickThreads.Add(Environment.CurrentManagedThreadId);
                }
                Interlocked.Increment(ref ticks);
                Thread.Sleep(1);
                Leave();
            }
        }

        async Task<int> Main(string[] args)
        {
            mainThread = Environment.CurrentManagedThreadId;
            await Call(() => KernelTask.Delay(1));
            Enter();
            _ = Tick();
            typist.Start();
            byte[] buffer = new byte[16];
            int before = Volatile.Read(ref ticks);
            Leave();
            // Blocks in the kernel until the typist's line arrives.
            log.Enqueue("read at " + before + " on " + Environment.CurrentManagedThreadId);
            long count = Call(() => Sys.Read(Kernel.Current, 0, buffer));
            log.Enqueue("read returned at " + Volatile.Read(ref ticks) + " on " + Environment.CurrentManagedThreadId);
            Enter();
            readReturnedOn = Environment.CurrentManagedThreadId;
            int ticked = Volatile.Read(ref ticks) - before;
            // Main's code goes on alone: the timer's continuations wait for it.
            int atReturn = Volatile.Read(ref ticks);
            Thread.Sleep(30);
            bool ranMeanwhile = Volatile.Read(ref ticks) != atReturn;
            Leave();
            Assert.Equal("typed\n", Encoding.ASCII.GetString(buffer, 0, (int)count));
            Assert.False(ranMeanwhile, "a tick ran while Main's code ran after its read");
            return ticked;
        }

        int ticked = RunServed(kernel, () => kernel.RunAsync(Array.Empty<string>(), Main));
        typist.Join();
        Assert.True(ticked >= 5, "the timer ticked " + ticked + " times while Main waited for input (" + Volatile.Read(ref ticks) + " in all): " + string.Join("; ", log));
        Assert.Equal(0, overlaps);
        Assert.Equal(mainThread, readReturnedOn);
        lock (tickThreads)
        {
            // While Main's thread was blocked in the read, another thread ran the ticks.
            Assert.Contains(tickThreads, thread => thread != mainThread);
        }
    }

    [Fact]
    public void AContinuationThatBlocksWhileMainIsBlocked_LeavesTheOthersToAnotherThread()
    {
        Kernel kernel = TestKernel.Boot(out _);
        List<string> order = new List<string>();

        async Task<int> Main(string[] args)
        {
            (int mainRead, int mainWrite) = Call(() => PipeTestKit.Open(Kernel.Current));
            (int firstRead, int firstWrite) = Call(() => PipeTestKit.Open(Kernel.Current));
            await Call(() => KernelTask.Delay(1));

            // Runs in Main's place while Main's thread reads; blocks in its turn until the second
            // continuation writes, which then must not wait for either blocked thread.
            async Task First()
            {
                await Task.Yield();
                byte[] buffer = new byte[8];
                long count = Call(() => Sys.Read(Kernel.Current, firstRead, buffer));
                order.Add("first read " + Encoding.ASCII.GetString(buffer, 0, (int)count));
                Call(() => Sys.Write(Kernel.Current, mainWrite, "first"u8.ToArray()));
            }

            async Task Second()
            {
                await Task.Yield();
                await Call(() => KernelTask.Delay(5));
                order.Add("second writes");
                Call(() => Sys.Write(Kernel.Current, firstWrite, "second"u8.ToArray()));
            }

            Task first = First();
            Task second = Second();
            byte[] line = new byte[8];
            long length = Call(() => Sys.Read(Kernel.Current, mainRead, line));
            order.Add("main read " + Encoding.ASCII.GetString(line, 0, (int)length));
            await first;
            await second;
            return 0;
        }

        Assert.Equal(0, RunServed(kernel, () => kernel.RunAsync(Array.Empty<string>(), Main)));
        Assert.Equal(["second writes", "first read second", "main read first"], order);
    }

    [Fact]
    public void TheExit_RunsTheLibrariesExitWork_WithThePollLoopOnTheExitingThread()
    {
        Kernel kernel = TestKernel.Boot(out _);
        bool delivered = false;
        int deliveredOn = 0;

        int Main(string[] args)
        {
            // As TcpStack.DeliverAtExit: exit_group's work runs the poll loop until a connection's
            // tail is delivered, which a device's interrupt (a post from a host thread) brings
            // 50 ms after Main returned, the kernel thread stopped by then.
            Call(() =>
            {
                Kernel current = Kernel.Current;
                TaskCompletionSource over = new TaskCompletionSource();
                current.AtExit(() => current.Scheduler.RunUntilCompleted(over.Task));
                var device = new Thread(() =>
                {
                    Thread.Sleep(50);
                    current.Scheduler.Post(_ =>
                    {
                        delivered = true;
                        deliveredOn = Environment.CurrentManagedThreadId;
                        over.TrySetResult();
                    }, null);
                });
                device.IsBackground = true;
                device.Start();
                return 0;
            });
            return 3;
        }

        int exitingThread = 0;
        Assert.Equal(3, RunServed(kernel, () =>
        {
            exitingThread = Environment.CurrentManagedThreadId;
            return kernel.Run(Array.Empty<string>(), Main);
        }));
        Assert.True(delivered, "the exit did not wait for the delivery");
        Assert.Equal(exitingThread, deliveredOn);
    }

    [Fact]
    public void TaskRun_OnAKernelThatIsNotServed_StillQueuesOnTheRunQueue()
    {
        Kernel kernel = TestKernel.Boot(out _);
        int ran = 0;
        int Main(string[] args)
        {
            Assert.Equal(0, Sys.UkSpawn(Kernel.Current, _ => ran++, null));
            // No kernel thread: the work waits for a poll loop (a simulation's step, RunAsync's).
            Assert.Equal(1, kernel.Scheduler.ReadyCount);
            return 0;
        }

        Assert.Equal(0, kernel.Run(Array.Empty<string>(), Main));
        Assert.Equal(0, ran);
    }

    // A kernel call from a thread of the program, as a generated interceptor makes it.
    private static T Call<T>(Func<T> call)
    {
        Kernel? entered = Vcpu.EnterCall();
        try
        {
            return call();
        }
        finally
        {
            Vcpu.LeaveCall(entered);
        }
    }

    // Runs the program with the kernel served, on a thread of its own, within a time limit.
    private static int RunServed(Kernel kernel, Func<int> run)
    {
        int status = -1;
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                status = run();
            }
            catch (Exception exception)
            {
                failure = exception;
            }
        });
        Vcpu.Serve(kernel);
        try
        {
            thread.Start();
            Assert.True(thread.Join(TimeSpan.FromSeconds(30)), "the program deadlocked");
        }
        finally
        {
            Vcpu.Serve(null);
        }
        if (failure != null)
        {
            throw new Xunit.Sdk.XunitException("the program failed: " + failure);
        }
        return status;
    }
}
