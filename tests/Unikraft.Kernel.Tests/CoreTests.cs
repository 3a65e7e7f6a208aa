namespace Unikraft.Kernel.Tests;

using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using Xunit;

public class CoreTests
{
    [Fact]
    public void Trace_RecordsEachSyscallWithResult()
    {
        Kernel kernel = TestKernel.Boot(out TestPlatform platform, trace: true);

        Sys.Write(kernel, 1, "hello"u8);
        Sys.Write(kernel, 5, "hello"u8);
        Sys.ClockGettime(kernel, 42, out _);
        Sys.UkGetenv(kernel, "MISSING", out _);

        Assert.Equal(
            new[]
            {
                "[uk] syscall write = 5",
                "[uk] syscall write = -EBADF",
                "[uk] syscall clock_gettime = -EINVAL",
                "[uk] syscall uk_getenv = -ENOENT",
            },
            platform.Log);
        Assert.Equal(4, kernel.Trace.RecordedCount);
    }

    [Fact]
    public void Trace_Off_WritesNothingToTheLog()
    {
        Kernel kernel = TestKernel.Boot(out TestPlatform platform, trace: false);

        Sys.Write(kernel, 1, "hello"u8);
        Sys.Write(kernel, 5, "hello"u8);

        Assert.Empty(platform.Log);
        Assert.Equal(0, kernel.Trace.RecordedCount);
    }

    [Fact]
    public void NotPlanned_ReturnsENOSYS_AndLogs()
    {
        Kernel kernel = TestKernel.Boot(out TestPlatform platform, trace: false);

        long result = kernel.NotPlanned(SyscallNumber.Getrandom);

        Assert.Equal(-Errno.ENOSYS, result);
        Assert.Equal(1, kernel.NotPlannedCount);
        Assert.Equal(
            new[] { "[uk] syscall getrandom reached but not in this kernel: no call site in the program needs it" },
            platform.Log);
    }

    [Fact]
    public void NotPlanned_WithTrace_AlsoTracesENOSYS()
    {
        Kernel kernel = TestKernel.Boot(out TestPlatform platform, trace: true);

        kernel.NotPlanned(SyscallNumber.UkTimerArm);

        Assert.Equal(
            new[]
            {
                "[uk] syscall uk_timer_arm reached but not in this kernel: no call site in the program needs it",
                "[uk] syscall uk_timer_arm = -ENOSYS",
            },
            platform.Log);
    }

    [Fact]
    public void SyscallNumber_Name_GivesLinuxNames()
    {
        Assert.Equal("read", SyscallNumber.Name(SyscallNumber.Read));
        Assert.Equal("write", SyscallNumber.Name(SyscallNumber.Write));
        Assert.Equal("nanosleep", SyscallNumber.Name(SyscallNumber.Nanosleep));
        Assert.Equal("clock_gettime", SyscallNumber.Name(SyscallNumber.ClockGettime));
        Assert.Equal("exit_group", SyscallNumber.Name(SyscallNumber.ExitGroup));
        Assert.Equal("getrandom", SyscallNumber.Name(SyscallNumber.Getrandom));
        Assert.Equal("uk_timer_arm", SyscallNumber.Name(SyscallNumber.UkTimerArm));
        Assert.Equal("uk_spawn", SyscallNumber.Name(SyscallNumber.UkSpawn));
        Assert.Equal("uk_getenv", SyscallNumber.Name(SyscallNumber.UkGetenv));
        Assert.Equal("9999", SyscallNumber.Name(9999));
    }

    [Fact]
    public void Errno_HasLinuxValuesAndNames()
    {
        Assert.Equal(1, Errno.EPERM);
        Assert.Equal(2, Errno.ENOENT);
        Assert.Equal(4, Errno.EINTR);
        Assert.Equal(5, Errno.EIO);
        Assert.Equal(9, Errno.EBADF);
        Assert.Equal(11, Errno.EAGAIN);
        Assert.Equal(14, Errno.EFAULT);
        Assert.Equal(22, Errno.EINVAL);
        Assert.Equal(38, Errno.ENOSYS);
        Assert.Equal("EBADF", Errno.Name(Errno.EBADF));
        Assert.Equal("123", Errno.Name(123));
    }

    [Fact]
    public void Run_ReturnsExitCodeAndCallsExitGroup()
    {
        Kernel kernel = TestKernel.Boot(out TestPlatform platform, trace: true);
        string[]? seenArguments = null;

        int code = kernel.Run(new[] { "a", "b" }, args =>
        {
            seenArguments = args;
            Assert.Same(kernel, Kernel.Current);
            return 3;
        });

        Assert.Equal(3, code);
        Assert.Equal(new[] { "a", "b" }, seenArguments);
        Assert.True(kernel.Halted);
        Assert.Equal(3, kernel.ExitStatus);
        Assert.Contains("[uk] syscall exit_group = 0", platform.Log);
        Assert.Equal(1, platform.Console.FlushCount);
        Assert.Empty(platform.Halts);
    }

    // Kernel.AtExit: exit_group runs the registered work first, in order, once, while the kernel
    // is not yet halted (TCP's delivery at exit still needs the poll loop), then flushes.
    [Fact]
    public void ExitGroup_RunsExitWorkInOrder_OnceAndBeforeHalting()
    {
        Kernel kernel = TestKernel.Boot(out TestPlatform platform);
        List<string> ran = new List<string>();
        kernel.AtExit(() => ran.Add("first halted=" + kernel.Halted + " flushes=" + platform.Console.FlushCount));
        kernel.AtExit(() => ran.Add("second"));

        int code = kernel.Run(Array.Empty<string>(), _ => 5);
        Sys.ExitGroup(kernel, 6);

        Assert.Equal(5, code);
        Assert.Equal(new[] { "first halted=False flushes=0", "second" }, ran);
    }

    [Fact]
    public void Exit_WhileMainRuns_HaltsThroughThePlatform()
    {
        Kernel kernel = TestKernel.Boot(out TestPlatform platform);

        ProgramHaltedException halted = Assert.Throws<ProgramHaltedException>(() => kernel.Run(Array.Empty<string>(), _ =>
        {
            KernelConsole.Write("before");
            KernelEnvironment.Exit(7);
            return 0;
        }));

        Assert.Equal(7, halted.Status);
        Assert.Equal(new[] { 7 }, platform.Halts);
        Assert.True(kernel.Halted);
        Assert.Equal(7, kernel.ExitStatus);
        Assert.Equal("before", platform.Console.OutputText);
    }

    [Fact]
    public void Current_OutsideRun_ThrowsKernelExceptionSayingWhy()
    {
        KernelException exception = Assert.Throws<KernelException>(() => Kernel.Current);

        Assert.Contains("No Unikraft kernel runs on this thread", exception.Message);
    }

    [Fact]
    public void Run_MainThrows_PropagatesAndRestoresCurrent()
    {
        Kernel kernel = TestKernel.Boot(out TestPlatform platform);

        Assert.Throws<InvalidOperationException>(() => kernel.Run(Array.Empty<string>(), _ => throw new InvalidOperationException("boom")));

        Assert.Throws<KernelException>(() => Kernel.Current);
        Assert.Equal(1, platform.Console.FlushCount);
    }

    [Fact]
    public void PrintBanner_WritesOneLogLine()
    {
        Kernel kernel = TestKernel.Boot(out TestPlatform platform);

        kernel.PrintBanner("Unikraft.Gen kernel: console, time");

        Assert.Equal(new[] { "Unikraft.Gen kernel: console, time" }, platform.Log);
        Assert.Empty(platform.Console.OutputBytes);
    }

    [Fact]
    public void TwoKernels_InOneProcess_DoNotShareState()
    {
        TestPlatform firstPlatform = new TestPlatform();
        firstPlatform.Environment["NAME"] = "first";
        TestPlatform secondPlatform = new TestPlatform { TraceSyscalls = true };
        secondPlatform.Environment["NAME"] = "second";
        Kernel first = TestKernel.Boot(firstPlatform);
        Kernel second = TestKernel.Boot(secondPlatform);
        using Barrier together = new Barrier(2);

        int Program(Kernel expected, Barrier barrier)
        {
            for (int round = 0; round < 50; round++)
            {
                barrier.SignalAndWait();
                Assert.Same(expected, Kernel.Current);
                KernelConsole.WriteLine(KernelEnvironment.GetEnvironmentVariable("NAME"));
            }
            return expected == first ? 1 : 2;
        }

        int firstCode = 0;
        int secondCode = 0;
        Thread firstThread = new Thread(() => firstCode = first.Run(Array.Empty<string>(), _ => Program(first, together)));
        Thread secondThread = new Thread(() => secondCode = second.Run(Array.Empty<string>(), _ => Program(second, together)));
        firstThread.Start();
        secondThread.Start();
        Assert.True(firstThread.Join(TimeSpan.FromSeconds(30)));
        Assert.True(secondThread.Join(TimeSpan.FromSeconds(30)));

        Assert.Equal(1, firstCode);
        Assert.Equal(2, secondCode);
        Assert.Equal(string.Concat(System.Linq.Enumerable.Repeat("first\n", 50)), firstPlatform.Console.OutputText);
        Assert.Equal(string.Concat(System.Linq.Enumerable.Repeat("second\n", 50)), secondPlatform.Console.OutputText);
        Assert.Empty(firstPlatform.Log);
        Assert.NotEmpty(secondPlatform.Log);
        Assert.Equal(1, first.ExitStatus);
        Assert.Equal(2, second.ExitStatus);
    }

    [Fact]
    public void NestedRun_RestoresOuterKernel()
    {
        Kernel outer = TestKernel.Boot(out _);
        Kernel inner = TestKernel.Boot(out _);

        outer.Run(Array.Empty<string>(), _ =>
        {
            inner.Run(Array.Empty<string>(), _ =>
            {
                Assert.Same(inner, Kernel.Current);
                return 0;
            });
            Assert.Same(outer, Kernel.Current);
            return 0;
        });
    }

    [Fact]
    public void FdTable_InstallsAtLowestFreeNumber()
    {
        Kernel kernel = TestKernel.Boot(out TestPlatform platform);
        ConsoleFile extra = new ConsoleFile(platform.Console, ConsoleFile.StandardOutput);

        Assert.Equal(3, kernel.Files.Install(extra));
        Assert.Equal(0, kernel.Files.Remove(1));
        Assert.Equal(1, kernel.Files.Install(extra));
        Assert.Equal(-Errno.EBADF, kernel.Files.Remove(20));
        for (int fd = 4; fd < 40; fd++)
        {
            Assert.Equal(fd, kernel.Files.Install(extra));
        }
        Assert.Same(extra, kernel.Files.Get(39));
    }
}
