namespace Unikraft.Kernel.Tests;

using System;
using Xunit;

public class PollTests
{
    private const long Second = PipeTestKit.Second;

    private static PollFd Entry(int fd, int events)
    {
        return new PollFd(fd, (short)events);
    }

    [Fact]
    public void Poll_SkipsNegativeFds_AndAnswersPOLLNVALForABadOne()
    {
        Kernel kernel = TestKernel.Boot(out _);
        (int read, _) = PipeTestKit.Open(kernel);
        PollFd[] fds = { Entry(-1, PollEvents.POLLIN), Entry(99, PollEvents.POLLIN), Entry(read, PollEvents.POLLIN) };
        fds[0].ReturnedEvents = 0x7F;

        Assert.Equal(1, Sys.Poll(kernel, fds, 0));

        Assert.Equal(0, fds[0].ReturnedEvents);
        Assert.Equal(PollEvents.POLLNVAL, fds[1].ReturnedEvents);
        Assert.Equal(0, fds[2].ReturnedEvents);
    }

    [Fact]
    public void Poll_OfAPipe_ReportsReadableWritableHangUpAndError_AsLinuxDoes()
    {
        Kernel kernel = TestKernel.Boot(out _);
        (int read, int write) = PipeTestKit.Open(kernel, OpenFlags.O_NONBLOCK);
        PollFd[] fds = { Entry(read, PollEvents.POLLIN), Entry(write, PollEvents.POLLOUT) };

        Assert.Equal(1, Sys.Poll(kernel, fds, 0));
        Assert.Equal(0, fds[0].ReturnedEvents);
        Assert.Equal(PollEvents.POLLOUT, fds[1].ReturnedEvents);

        Sys.Write(kernel, write, new byte[65536]);
        Assert.Equal(1, Sys.Poll(kernel, fds, 0));
        Assert.Equal(PollEvents.POLLIN, fds[0].ReturnedEvents);
        Assert.Equal(0, fds[1].ReturnedEvents);

        // POLLERR and POLLHUP come whether asked for or not.
        long copy = Sys.Dup(kernel, read);
        Sys.Close(kernel, read);
        fds[0] = Entry((int)copy, 0);
        Assert.Equal(0, Sys.Poll(kernel, fds, 0));
        Sys.Close(kernel, (int)copy);
        fds[0] = Entry(-1, 0);
        Assert.Equal(1, Sys.Poll(kernel, fds, 0));
        Assert.Equal(PollEvents.POLLERR, fds[1].ReturnedEvents);
    }

    [Fact]
    public void Poll_ReportsHangUpOnTheReadEnd_OnceTheWriterIsGone()
    {
        Kernel kernel = TestKernel.Boot(out _);
        (int read, int write) = PipeTestKit.Open(kernel);
        Sys.Write(kernel, write, "z"u8);
        Sys.Close(kernel, write);
        PollFd[] fds = { Entry(read, PollEvents.POLLIN | PollEvents.POLLRDNORM) };

        Assert.Equal(1, Sys.Poll(kernel, fds, 0));
        Assert.Equal(PollEvents.POLLIN | PollEvents.POLLRDNORM | PollEvents.POLLHUP, fds[0].ReturnedEvents);
    }

    [Fact]
    public void Poll_OfARegularFileAndADirectory_IsAlwaysReadableAndWritable()
    {
        Kernel kernel = VfsTestKernel.Boot();
        int file = VfsTestKernel.Open(kernel, "/f", OpenFlags.O_RDWR | OpenFlags.O_CREAT);
        int directory = VfsTestKernel.Open(kernel, "/", OpenFlags.O_RDONLY | OpenFlags.O_DIRECTORY);
        int all = PollEvents.POLLIN | PollEvents.POLLOUT | PollEvents.POLLRDNORM | PollEvents.POLLWRNORM;
        PollFd[] fds = { Entry(file, all), Entry(directory, all) };

        Assert.Equal(2, Sys.Poll(kernel, fds, -1));
        Assert.Equal(all, fds[0].ReturnedEvents);
        Assert.Equal(all, fds[1].ReturnedEvents);
    }

    [Fact]
    public void Poll_WithATimeout_WaitsThatLong_WhenNothingBecomesReady()
    {
        Kernel kernel = TestKernel.Boot(out TestPlatform platform);
        (int read, _) = PipeTestKit.Open(kernel);
        PollFd[] fds = { Entry(read, PollEvents.POLLIN) };
        long start = platform.Clock.MonotonicNanoseconds;

        Assert.Equal(0, Sys.Poll(kernel, fds, 1500));

        Assert.Equal(1500 * 1_000_000L, platform.Clock.MonotonicNanoseconds - start);
        Assert.Equal(0, ((PipeEnd)kernel.Files.Get(read)!).Readiness.Count);
    }

    [Fact]
    public void Poll_WithoutTimeout_WakesWhenDataArrives()
    {
        Kernel kernel = TestKernel.Boot(out TestPlatform platform);
        (int read, int write) = PipeTestKit.Open(kernel);
        Sys.UkTimerArm(kernel, 2 * Second, _ => Sys.Write(kernel, write, "x"u8), null);
        PollFd[] fds = { Entry(read, PollEvents.POLLIN), Entry(-5, PollEvents.POLLIN) };
        long start = platform.Clock.MonotonicNanoseconds;

        Assert.Equal(1, Sys.Poll(kernel, fds, -1));

        Assert.Equal(PollEvents.POLLIN, fds[0].ReturnedEvents);
        Assert.Equal(2 * Second, platform.Clock.MonotonicNanoseconds - start);
    }

    [Fact]
    public void Poll_OfTwoFdsOfOneDescription_ReportsBoth()
    {
        Kernel kernel = TestKernel.Boot(out _);
        (int read, int write) = PipeTestKit.Open(kernel);
        long copy = Sys.Dup(kernel, read);
        Sys.UkTimerArm(kernel, Second, _ => Sys.Write(kernel, write, "x"u8), null);
        PollFd[] fds = { Entry(read, PollEvents.POLLIN), Entry((int)copy, PollEvents.POLLIN) };

        Assert.Equal(2, Sys.Poll(kernel, fds, 5000));
        Assert.Equal(0, ((PipeEnd)kernel.Files.Get(read)!).Readiness.Count);
    }

    [Fact]
    public void Poll_OfMoreFdsThanTheLimit_IsEINVAL()
    {
        Kernel kernel = TestKernel.Boot(out _);

        Assert.Equal(-Errno.EINVAL, Sys.Poll(kernel, new PollFd[FdTable.MaximumFiles + 1], 0));
    }

    [Fact]
    public void Ppoll_TakesATimespec_AndRefusesABadOne()
    {
        Kernel kernel = TestKernel.Boot(out TestPlatform platform);
        (int read, int write) = PipeTestKit.Open(kernel);
        PollFd[] fds = { Entry(read, PollEvents.POLLIN) };
        long start = platform.Clock.MonotonicNanoseconds;

        Assert.Equal(-Errno.EINVAL, Sys.Ppoll(kernel, fds, new Timespec(0, 1_000_000_000)));
        Assert.Equal(-Errno.EINVAL, Sys.Ppoll(kernel, fds, new Timespec(-1, 0)));
        Assert.Equal(0, Sys.Ppoll(kernel, fds, new Timespec(1, 500)));
        Assert.Equal(Second + 500, platform.Clock.MonotonicNanoseconds - start);
        Sys.Write(kernel, write, "x"u8);
        Assert.Equal(1, Sys.Ppoll(kernel, fds, null));
    }

    [Fact]
    public void Poll_OfTheConsole_StdinWhenInputIsThere_StdoutAlways()
    {
        Kernel kernel = TestKernel.Boot(out TestPlatform platform);
        platform.Console.KeepInputOpen();
        PollFd[] fds = { Entry(0, PollEvents.POLLIN), Entry(1, PollEvents.POLLOUT), Entry(2, PollEvents.POLLOUT) };

        Assert.Equal(2, Sys.Poll(kernel, fds, 0));
        Assert.Equal(0, fds[0].ReturnedEvents);
        Assert.Equal(PollEvents.POLLOUT, fds[1].ReturnedEvents);

        platform.Console.Deliver("line\n");
        Assert.Equal(3, Sys.Poll(kernel, fds, -1));
        Assert.Equal(PollEvents.POLLIN, fds[0].ReturnedEvents);
    }
}
