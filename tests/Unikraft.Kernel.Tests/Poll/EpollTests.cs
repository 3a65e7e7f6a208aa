namespace Unikraft.Kernel.Tests;

using System;
using Xunit;

public class EpollTests
{
    private const long Second = PipeTestKit.Second;
    private const uint In = PollEvents.POLLIN;
    private const uint Out = PollEvents.POLLOUT;

    private static int Create(Kernel kernel)
    {
        long epfd = Sys.EpollCreate1(kernel, 0);
        Assert.True(epfd >= 0, "epoll_create1 = " + epfd);
        return (int)epfd;
    }

    private static long Add(Kernel kernel, int epfd, int fd, uint events, ulong data = 0)
    {
        return Sys.EpollCtl(kernel, epfd, EpollFile.EPOLL_CTL_ADD, fd, new EpollEvent(events, data));
    }

    private static EpollEvent[] Wait(Kernel kernel, int epfd, int timeout, int max = 8)
    {
        EpollEvent[] events = new EpollEvent[max];
        long count = Sys.EpollWait(kernel, epfd, events, timeout);
        Assert.True(count >= 0, "epoll_wait = " + count);
        return events.AsSpan(0, (int)count).ToArray();
    }

    [Fact]
    public void EpollCreate1_TakesOnlyCloseOnExec_EpollCreate_APositiveSize()
    {
        Kernel kernel = TestKernel.Boot(out _);

        long epfd = Sys.EpollCreate1(kernel, OpenFlags.O_CLOEXEC);
        Assert.Equal(OpenFlags.FD_CLOEXEC, Sys.Fcntl(kernel, (int)epfd, OpenFlags.F_GETFD, 0));
        Assert.Equal(OpenFlags.O_RDWR, Sys.Fcntl(kernel, (int)epfd, OpenFlags.F_GETFL, 0));
        Assert.Equal(-Errno.EINVAL, Sys.EpollCreate1(kernel, OpenFlags.O_NONBLOCK));
        Assert.Equal(-Errno.EINVAL, Sys.EpollCreate(kernel, 0));
        Assert.True(Sys.EpollCreate(kernel, 1) > 0);
        Assert.Equal(-Errno.EINVAL, Sys.Read(kernel, (int)epfd, new byte[8]));
    }

    [Fact]
    public void EpollCtl_Errors_AreThoseLinuxGives()
    {
        Kernel kernel = VfsTestKernel.Boot();
        int epfd = Create(kernel);
        (int read, int write) = PipeTestKit.Open(kernel);
        int file = VfsTestKernel.Open(kernel, "/f", OpenFlags.O_RDWR | OpenFlags.O_CREAT);

        Assert.Equal(-Errno.EBADF, Add(kernel, 77, read, In));
        Assert.Equal(-Errno.EBADF, Add(kernel, epfd, 77, In));
        Assert.Equal(-Errno.EPERM, Add(kernel, epfd, file, In));
        Assert.Equal(-Errno.EINVAL, Add(kernel, read, write, In));
        Assert.Equal(-Errno.EINVAL, Add(kernel, epfd, epfd, In));
        Assert.Equal(-Errno.EINVAL, Sys.EpollCtl(kernel, epfd, 9, read, new EpollEvent(In, 0)));
        Assert.Equal(-Errno.ENOENT, Sys.EpollCtl(kernel, epfd, EpollFile.EPOLL_CTL_MOD, read, new EpollEvent(In, 0)));
        Assert.Equal(-Errno.ENOENT, Sys.EpollCtl(kernel, epfd, EpollFile.EPOLL_CTL_DEL, read, default));
        Assert.Equal(0, Add(kernel, epfd, read, In));
        Assert.Equal(-Errno.EEXIST, Add(kernel, epfd, read, Out));
        Assert.Equal(-Errno.EINVAL, Add(kernel, epfd, write, Out | PollEvents.POLLPRI | EpollFile.EPOLLEXCLUSIVE));
        Assert.Equal(0, Add(kernel, epfd, write, Out | EpollFile.EPOLLEXCLUSIVE));
        Assert.Equal(-Errno.EINVAL, Sys.EpollCtl(kernel, epfd, EpollFile.EPOLL_CTL_MOD, write, new EpollEvent(Out, 0)));
        Assert.Equal(0, Sys.EpollCtl(kernel, epfd, EpollFile.EPOLL_CTL_DEL, read, default));
        Assert.Equal(-Errno.ENOENT, Sys.EpollCtl(kernel, epfd, EpollFile.EPOLL_CTL_DEL, read, default));
    }

    [Fact]
    public void EpollCtl_ThatWouldMakeALoop_IsELOOP()
    {
        Kernel kernel = TestKernel.Boot(out _);
        int outer = Create(kernel);
        int middle = Create(kernel);
        int inner = Create(kernel);

        Assert.Equal(0, Add(kernel, outer, middle, In));
        Assert.Equal(0, Add(kernel, middle, inner, In));
        Assert.Equal(-Errno.ELOOP, Add(kernel, inner, outer, In));
        Assert.Equal(-Errno.ELOOP, Add(kernel, middle, outer, In));
    }

    [Fact]
    public void EpollWait_Errors_AreThoseLinuxGives()
    {
        Kernel kernel = TestKernel.Boot(out _);
        int epfd = Create(kernel);
        (int read, _) = PipeTestKit.Open(kernel);

        Assert.Equal(-Errno.EINVAL, Sys.EpollWait(kernel, epfd, Span<EpollEvent>.Empty, 0));
        Assert.Equal(-Errno.EINVAL, Sys.EpollWait(kernel, 99, Span<EpollEvent>.Empty, 0));
        Assert.Equal(-Errno.EBADF, Sys.EpollWait(kernel, 99, new EpollEvent[1], 0));
        Assert.Equal(-Errno.EINVAL, Sys.EpollWait(kernel, read, new EpollEvent[1], 0));
    }

    [Fact]
    public void LevelTriggered_ReportsAgainWhileReady_WithTheDataWord()
    {
        Kernel kernel = TestKernel.Boot(out _);
        int epfd = Create(kernel);
        (int read, int write) = PipeTestKit.Open(kernel);
        Assert.Equal(0, Add(kernel, epfd, read, In, 0xDEADBEEFCAFEBABE));

        Assert.Empty(Wait(kernel, epfd, 0));
        Sys.Write(kernel, write, "abc"u8);
        EpollEvent[] first = Wait(kernel, epfd, 0);
        Assert.Single(first);
        Assert.Equal(In, first[0].Events);
        Assert.Equal(0xDEADBEEFCAFEBABE, first[0].Data);
        Assert.Single(Wait(kernel, epfd, 0));
        Sys.Read(kernel, read, new byte[8]);
        Assert.Empty(Wait(kernel, epfd, 0));
    }

    [Fact]
    public void EdgeTriggered_ReportsOncePerChange()
    {
        Kernel kernel = TestKernel.Boot(out _);
        int epfd = Create(kernel);
        (int read, int write) = PipeTestKit.Open(kernel);
        Assert.Equal(0, Add(kernel, epfd, read, In | EpollFile.EPOLLET, 5));

        Sys.Write(kernel, write, "a"u8);
        Assert.Single(Wait(kernel, epfd, 0));
        Assert.Empty(Wait(kernel, epfd, 0));
        Sys.Write(kernel, write, "b"u8);
        EpollEvent[] again = Wait(kernel, epfd, 0);
        Assert.Single(again);
        Assert.Equal(5UL, again[0].Data);
    }

    [Fact]
    public void OneShot_ReportsOnce_UntilModRearmsIt()
    {
        Kernel kernel = TestKernel.Boot(out _);
        int epfd = Create(kernel);
        (int read, int write) = PipeTestKit.Open(kernel);
        Assert.Equal(0, Add(kernel, epfd, read, In | EpollFile.EPOLLONESHOT, 1));
        Sys.Write(kernel, write, "a"u8);

        Assert.Single(Wait(kernel, epfd, 0));
        Assert.Empty(Wait(kernel, epfd, 0));
        Sys.Write(kernel, write, "b"u8);
        Assert.Empty(Wait(kernel, epfd, 0));
        Assert.Equal(0, Sys.EpollCtl(kernel, epfd, EpollFile.EPOLL_CTL_MOD, read, new EpollEvent(In | EpollFile.EPOLLONESHOT, 2)));
        EpollEvent[] rearmed = Wait(kernel, epfd, 0);
        Assert.Single(rearmed);
        Assert.Equal(2UL, rearmed[0].Data);
    }

    [Fact]
    public void HangUpAndError_AreReportedWithoutBeingAskedFor()
    {
        Kernel kernel = TestKernel.Boot(out _);
        int epfd = Create(kernel);
        (int read, int write) = PipeTestKit.Open(kernel);
        Assert.Equal(0, Add(kernel, epfd, read, 0, 1));
        Assert.Equal(0, Add(kernel, epfd, write, PollEvents.POLLIN, 2));

        Assert.Empty(Wait(kernel, epfd, 0));
        Sys.Close(kernel, write);
        EpollEvent[] events = Wait(kernel, epfd, 0);
        Assert.Single(events);
        Assert.Equal((uint)PollEvents.POLLHUP, events[0].Events);
        Assert.Equal(1UL, events[0].Data);
    }

    [Fact]
    public void MoreReadyThanRoom_AreReportedInTurn()
    {
        Kernel kernel = TestKernel.Boot(out _);
        int epfd = Create(kernel);
        (int firstRead, int firstWrite) = PipeTestKit.Open(kernel);
        (int secondRead, int secondWrite) = PipeTestKit.Open(kernel);
        Add(kernel, epfd, firstRead, In, 1);
        Add(kernel, epfd, secondRead, In, 2);
        Sys.Write(kernel, firstWrite, "a"u8);
        Sys.Write(kernel, secondWrite, "b"u8);

        Assert.Equal(1UL, Wait(kernel, epfd, 0, max: 1)[0].Data);
        Assert.Equal(2UL, Wait(kernel, epfd, 0, max: 1)[0].Data);
        Assert.Equal(1UL, Wait(kernel, epfd, 0, max: 1)[0].Data);
        Assert.Equal(2, Wait(kernel, epfd, 0).Length);
    }

    [Fact]
    public void LastClose_LeavesTheInterestList_ButCloseOfADupDoesNot()
    {
        Kernel kernel = TestKernel.Boot(out _);
        int epfd = Create(kernel);
        EpollFile epoll = (EpollFile)kernel.Files.Get(epfd)!;
        (int read, int write) = PipeTestKit.Open(kernel);
        long copy = Sys.Dup(kernel, read);
        Add(kernel, epfd, read, In, 3);

        Sys.Close(kernel, read);
        Assert.Equal(1, epoll.InterestCount);
        Sys.Write(kernel, write, "x"u8);
        Assert.Single(Wait(kernel, epfd, 0));

        Sys.Close(kernel, (int)copy);
        Assert.Equal(0, epoll.InterestCount);
        Assert.Empty(Wait(kernel, epfd, 0));
    }

    [Fact]
    public void EpollWait_WaitsForItsTimeout_OrUntilAnEventArrives()
    {
        Kernel kernel = TestKernel.Boot(out TestPlatform platform);
        int epfd = Create(kernel);
        (int read, int write) = PipeTestKit.Open(kernel);
        Add(kernel, epfd, read, In, 9);
        long start = platform.Clock.MonotonicNanoseconds;

        Assert.Empty(Wait(kernel, epfd, 250));
        Assert.Equal(250 * 1_000_000L, platform.Clock.MonotonicNanoseconds - start);

        Sys.UkTimerArm(kernel, Second, _ => Sys.Write(kernel, write, "x"u8), null);
        EpollEvent[] events = Wait(kernel, epfd, -1);
        Assert.Single(events);
        Assert.Equal(9UL, events[0].Data);
        Assert.Equal(250 * 1_000_000L + Second, platform.Clock.MonotonicNanoseconds - start);
    }

    [Fact]
    public void AnEpollFd_IsPollable_AndNests()
    {
        Kernel kernel = TestKernel.Boot(out _);
        int inner = Create(kernel);
        int outer = Create(kernel);
        (int read, int write) = PipeTestKit.Open(kernel);
        Add(kernel, inner, read, In, 1);
        Add(kernel, outer, inner, In, 2);
        PollFd[] fds = { new PollFd(inner, (short)PollEvents.POLLIN) };

        Assert.Equal(0, Sys.Poll(kernel, fds, 0));
        Assert.Empty(Wait(kernel, outer, 0));
        Sys.Write(kernel, write, "x"u8);

        Assert.Equal(1, Sys.Poll(kernel, fds, 0));
        Assert.Equal(PollEvents.POLLIN, fds[0].ReturnedEvents);
        EpollEvent[] events = Wait(kernel, outer, 0);
        Assert.Single(events);
        Assert.Equal(2UL, events[0].Data);
    }

    [Fact]
    public void EpollOnStdin_HearsConsoleInputArrive()
    {
        Kernel kernel = TestKernel.Boot(out TestPlatform platform);
        platform.Console.KeepInputOpen();
        int epfd = Create(kernel);
        Assert.Equal(0, Add(kernel, epfd, 0, In, 42));
        Sys.UkTimerArm(kernel, Second, _ => platform.Console.Deliver("typed\n"), null);

        EpollEvent[] events = Wait(kernel, epfd, -1);

        Assert.Single(events);
        Assert.Equal(42UL, events[0].Data);
        byte[] buffer = new byte[16];
        Assert.Equal(6, Sys.Read(kernel, 0, buffer));
    }
}
