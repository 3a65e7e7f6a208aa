namespace Unikraft.Kernel.Tests;

using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using System.Text;
using System.Threading;
using Xunit;

// Standard input that arrives later than the program asks for it: the read waits on a
// WaitQueue, and the kernel's other work and timers run meanwhile (the vCPU is not blocked).
public class ConsoleInputTests
{
    private const long Second = PipeTestKit.Second;

    [Fact]
    public void Read_WaitsForInputFromAnotherThread_WhileTheKernelRunsOtherWork()
    {
        Kernel kernel = TestKernel.Boot(out TestPlatform platform);
        platform.Console.KeepInputOpen();
        List<string> events = new List<string>();
        Thread typist = new Thread(() =>
        {
            Thread.Sleep(100);
            platform.Console.Deliver("hello\nworld\n");
        });
        byte[] buffer = new byte[64];
        long first = 0;

        kernel.Run(Array.Empty<string>(), _ =>
        {
            Sys.UkSpawn(kernel, _ => events.Add("spawned work"), null);
            Sys.UkTimerArm(kernel, Second, _ => events.Add("timer"), null);
            typist.Start();
            first = Sys.Read(kernel, 0, buffer);
            events.Add("read");
            return 0;
        });
        typist.Join();

        Assert.Equal("hello\n", Encoding.ASCII.GetString(buffer, 0, (int)first));
        Assert.Equal(new[] { "spawned work", "timer", "read" }, events);
        Assert.True(platform.Console.EmptyReads >= 1, "the first read found no input and waited");
    }

    [Fact]
    public void Read_KeepsLinesApart_AndEndsWithEndOfInput()
    {
        Kernel kernel = TestKernel.Boot(out TestPlatform platform);
        platform.Console.KeepInputOpen();
        Sys.UkTimerArm(kernel, Second, _ => platform.Console.Deliver("one\ntw"), null);
        Sys.UkTimerArm(kernel, 2 * Second, _ => platform.Console.Deliver("o\n"), null);
        Sys.UkTimerArm(kernel, 3 * Second, _ => platform.Console.EndInput(), null);
        byte[] buffer = new byte[64];
        List<string> reads = new List<string>();

        while (true)
        {
            long read = Sys.Read(kernel, 0, buffer);
            Assert.True(read >= 0, "read = " + read);
            if (read == 0)
            {
                break;
            }
            reads.Add(Encoding.ASCII.GetString(buffer, 0, (int)read));
        }

        Assert.Equal(new[] { "one\n", "tw", "o\n" }, reads);
    }

    [Fact]
    public void NonBlockingRead_WithNothingTyped_IsEAGAIN()
    {
        Kernel kernel = TestKernel.Boot(out TestPlatform platform);
        platform.Console.KeepInputOpen();
        Sys.Fcntl(kernel, 0, OpenFlags.F_SETFL, OpenFlags.O_NONBLOCK);

        Assert.Equal(-Errno.EAGAIN, Sys.Read(kernel, 0, new byte[8]));
        platform.Console.Deliver("x");
        Assert.Equal(1, Sys.Read(kernel, 0, new byte[8]));
    }

    [Fact]
    public void Poll_OfStdin_IsReadableAtEndOfInput()
    {
        Kernel kernel = TestKernel.Boot(out TestPlatform platform);
        platform.Console.KeepInputOpen();
        PollFd[] fds = { new PollFd(0, (short)PollEvents.POLLIN) };
        Assert.Equal(0, Sys.Poll(kernel, fds, 0));
        Sys.UkTimerArm(kernel, Second, _ => platform.Console.EndInput(), null);

        Assert.Equal(1, Sys.Poll(kernel, fds, 5000));

        Assert.Equal(0, Sys.Read(kernel, 0, new byte[8]));
    }

    // The hosted console's reader thread on a real host pipe: the kernel's read waits while the
    // host thread blocks in read(2), a kernel timer fires meanwhile, and what the host writes
    // arrives line by line, then the end of input.
    [Fact]
    public void HostedConsole_ReadsOnItsOwnThread_AndPostsWhatArrives()
    {
        int[] host = new int[2];
        Assert.Equal(0, pipe(host));
        try
        {
            Kernel kernel = new Kernel(new TestPlatform());
            ClockBoot.AttachClock(kernel);
            HostedConsole device = new HostedConsole(host[0]);
            kernel.Files.Bind(0, new ConsoleFile(kernel, device));
            bool timerFired = false;
            Thread typist = new Thread(() =>
            {
                Thread.Sleep(200);
                byte[] text = Encoding.ASCII.GetBytes("abc\ndef\n");
                Assert.Equal(text.Length, (int)write(host[1], text, (nuint)text.Length));
                close(host[1]);
                host[1] = -1;
            });
            List<string> reads = new List<string>();

            kernel.Run(Array.Empty<string>(), _ =>
            {
                Sys.UkTimerArm(kernel, Second, _ => timerFired = true, null);
                typist.Start();
                byte[] buffer = new byte[64];
                while (true)
                {
                    long read = Sys.Read(kernel, 0, buffer);
                    Assert.True(read >= 0, "read = " + read);
                    if (read == 0)
                    {
                        break;
                    }
                    reads.Add(Encoding.ASCII.GetString(buffer, 0, (int)read));
                }
                return 0;
            });
            typist.Join();

            Assert.True(timerFired, "a kernel timer ran while the read waited for the host");
            Assert.Equal(new[] { "abc\n", "def\n" }, reads);
        }
        finally
        {
            close(host[0]);
            if (host[1] >= 0)
            {
                close(host[1]);
            }
        }
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int pipe(int[] fds);

    [DllImport("libc", SetLastError = true)]
    private static extern nint write(int fd, byte[] buffer, nuint count);

    [DllImport("libc", SetLastError = true)]
    private static extern int close(int fd);
}
