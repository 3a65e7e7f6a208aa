namespace Unikraft.Kernel.Tests;

using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;
using Xunit;
using Xunit.Abstractions;

// Pipes, poll and epoll against the host's Linux: one fixed sequence of calls runs on the kernel
// and through real syscalls, and every result, errno, returned event mask, data word, status
// flag and file type must match. fd numbers differ between the two, so the transcript names them
// by role. Nothing here blocks: every call either has its answer at once or a short timeout.
// It runs alone: the Linux side's fds are inheritable (F_GETFD is compared), so a process that
// another test starts meanwhile (cpio, ip, infocmp) would hold a copy of the write end, and Linux
// would then rightly report no hang-up after "the last writer" closed.
[Collection(nameof(PipeDifferentialTests))]
public class PipeDifferentialTests
{
    // NOTE: an fd number neither side has open (the kernel's table and this test's Linux fds
    // stay far below it).
    private const int ClosedFd = 900;
    private const uint In = PollEvents.POLLIN;
    private const uint Out = PollEvents.POLLOUT;

    private readonly ITestOutputHelper output;

    public PipeDifferentialTests(ITestOutputHelper output)
    {
        this.output = output;
    }

    [Fact]
    public void PipePollAndEpoll_MatchLinux()
    {
        Assert.True(OperatingSystem.IsLinux(), "the differential test compares with Linux, and this is not Linux");
        List<string> kernel;
        List<string> linux;
        using (KernelPipeSide side = new KernelPipeSide())
        {
            kernel = Run(side);
        }
        using (LinuxPipeSide side = new LinuxPipeSide())
        {
            linux = Run(side);
        }

        foreach (string line in linux)
        {
            output.WriteLine(line);
        }
        for (int index = 0; index < Math.Min(kernel.Count, linux.Count); index++)
        {
            Assert.True(kernel[index] == linux[index],
                "step " + index + " differs from Linux" + Environment.NewLine +
                "  kernel: " + kernel[index] + Environment.NewLine + "  linux:  " + linux[index]);
        }
        Assert.Equal(linux.Count, kernel.Count);
        Assert.True(kernel.Count > 40, "the sequence ran to its end");
    }

    private static List<string> Run(IPipeSide side)
    {
        List<string> log = new List<string>();
        void Note(string what, long result) => log.Add(what + " = " + Format(result));

        Note("pipe2(O_APPEND)", side.Pipe2(OpenFlags.O_APPEND, out _, out _));
        Note("pipe2(O_NONBLOCK)", side.Pipe2(OpenFlags.O_NONBLOCK, out int read, out int write));
        Note("F_GETFL read", side.Fcntl(read, OpenFlags.F_GETFL, 0));
        Note("F_GETFL write", side.Fcntl(write, OpenFlags.F_GETFL, 0));
        Note("F_GETFD read", side.Fcntl(read, OpenFlags.F_GETFD, 0));
        long result = side.FstatMode(read, out int mode);
        Note("fstat type " + (mode & Stat.S_IFMT).ToString("x", CultureInfo.InvariantCulture) +
            " permissions " + Convert.ToString(mode & 0xFFF, 8), result);
        Note("read empty", side.Read(read, new byte[10]));
        Note("read of write end", side.Read(write, new byte[10]));
        Note("write of read end", side.Write(read, new byte[1]));
        Note("write empty", side.Write(write, Array.Empty<byte>()));
        Poll(side, log, "poll empty", new[] { read, write, -1, ClosedFd }, In | Out, 0);
        Note("write 100000", side.Write(write, PipeTestKit.Pattern(100_000, 3)));
        Note("write 1 when full", side.Write(write, new byte[1]));
        Poll(side, log, "poll full", new[] { read, write }, In | Out, 0);
        byte[] buffer = new byte[4096];
        Note("read 4096", side.Read(read, buffer));
        log.Add("first bytes " + Convert.ToHexString(buffer, 0, 8));
        Poll(side, log, "poll after a page read", new[] { read, write }, In | Out, 0);
        Note("write 4096", side.Write(write, new byte[4096]));
        Note("write 1 full again", side.Write(write, new byte[1]));
        Poll(side, log, "poll with timeout", new[] { write }, Out, 20);

        Note("epoll_create1(O_NONBLOCK)", side.EpollCreate1(OpenFlags.O_NONBLOCK));
        long epfd = side.EpollCreate1(OpenFlags.O_CLOEXEC);
        Note("epoll_create1(EPOLL_CLOEXEC)", epfd >= 0 ? 0 : epfd);
        int epoll = (int)epfd;
        Note("epoll F_GETFD", side.Fcntl(epoll, OpenFlags.F_GETFD, 0));
        Note("epoll F_GETFL", side.Fcntl(epoll, OpenFlags.F_GETFL, 0));
        Note("epoll read", side.Read(epoll, new byte[8]));
        Note("ctl on a pipe as epfd", side.EpollCtl(read, EpollFile.EPOLL_CTL_ADD, write, In, 0));
        Note("ctl fd == epfd", side.EpollCtl(epoll, EpollFile.EPOLL_CTL_ADD, epoll, In, 0));
        Note("ctl bad fd", side.EpollCtl(epoll, EpollFile.EPOLL_CTL_ADD, ClosedFd, In, 0));
        Note("ctl bad epfd", side.EpollCtl(ClosedFd, EpollFile.EPOLL_CTL_ADD, read, In, 0));
        Note("ctl bad op", side.EpollCtl(epoll, 7, read, In, 0));
        Note("ctl mod absent", side.EpollCtl(epoll, EpollFile.EPOLL_CTL_MOD, read, In, 0));
        Note("ctl del absent", side.EpollCtl(epoll, EpollFile.EPOLL_CTL_DEL, read, 0, 0));
        Note("ctl add read ET", side.EpollCtl(epoll, EpollFile.EPOLL_CTL_ADD, read, In | EpollFile.EPOLLET, 0x1122334455667788));
        Note("ctl add read again", side.EpollCtl(epoll, EpollFile.EPOLL_CTL_ADD, read, In, 0));
        Wait(side, log, "wait ET", epoll, 8, 0);
        Wait(side, log, "wait ET again", epoll, 8, 0);
        Note("read to make room", side.Read(read, buffer));
        Wait(side, log, "wait ET after a read", epoll, 8, 0);
        Note("write 1", side.Write(write, new byte[] { 42 }));
        Wait(side, log, "wait ET after a write", epoll, 8, 0);
        Note("ctl mod read LT", side.EpollCtl(epoll, EpollFile.EPOLL_CTL_MOD, read, In, 7));
        Wait(side, log, "wait LT", epoll, 8, 0);
        Wait(side, log, "wait LT again", epoll, 8, 0);
        Note("ctl add write oneshot", side.EpollCtl(epoll, EpollFile.EPOLL_CTL_ADD, write, Out | EpollFile.EPOLLONESHOT, 8));
        Note("drain", side.Read(read, new byte[70_000]));
        Wait(side, log, "wait with write end ready", epoll, 8, 0);
        Wait(side, log, "wait oneshot fired", epoll, 8, 0);
        Note("ctl mod rearms", side.EpollCtl(epoll, EpollFile.EPOLL_CTL_MOD, write, Out | EpollFile.EPOLLONESHOT, 9));
        Wait(side, log, "wait rearmed, room for one", epoll, 1, 0);
        Note("wait maxevents 0", side.EpollWait(epoll, 0, 0, new List<(uint, ulong)>()));
        Note("wait on a pipe", side.EpollWait(read, 1, 0, new List<(uint, ulong)>()));
        Note("wait bad epfd", side.EpollWait(ClosedFd, 1, 0, new List<(uint, ulong)>()));
        Wait(side, log, "wait with timeout", epoll, 8, 15);

        long second = side.EpollCreate1(0);
        Note("ctl add epoll into epoll", side.EpollCtl(epoll, EpollFile.EPOLL_CTL_ADD, (int)second, In, 3));
        Note("ctl loop", side.EpollCtl((int)second, EpollFile.EPOLL_CTL_ADD, epoll, In, 4));
        Poll(side, log, "poll on epoll fds", new[] { epoll, (int)second }, In, 0);

        long copy = side.Dup(write);
        Note("dup write", copy >= 0 ? 0 : copy);
        Note("close write", side.Close(write));
        Poll(side, log, "poll after closing one of two writers", new[] { read }, In, 0);
        Note("close the dup", side.Close((int)copy));
        Poll(side, log, "poll after the last writer", new[] { read }, In, 0);
        Wait(side, log, "wait after the last writer", epoll, 8, 0);
        Note("read at end", side.Read(read, buffer));

        Note("pipe2 second", side.Pipe2(0, out int otherRead, out int otherWrite));
        Note("close read end", side.Close(otherRead));
        Note("write without reader", side.Write(otherWrite, new byte[1]));
        Poll(side, log, "poll write end without reader", new[] { otherWrite }, Out, 0);
        return log;
    }

    private static void Poll(IPipeSide side, List<string> log, string what, int[] fds, uint events, int timeout)
    {
        short[] asked = new short[fds.Length];
        Array.Fill(asked, (short)events);
        short[] returned = new short[fds.Length];
        long result = side.Poll(fds, asked, timeout, returned);
        StringBuilder line = new StringBuilder(what + " = " + Format(result) + " [");
        foreach (short mask in returned)
        {
            line.Append(' ').Append(((ushort)mask).ToString("x", CultureInfo.InvariantCulture));
        }
        log.Add(line.Append(" ]").ToString());
    }

    private static void Wait(IPipeSide side, List<string> log, string what, int epfd, int maximum, int timeout)
    {
        List<(uint Events, ulong Data)> events = new List<(uint Events, ulong Data)>();
        long result = side.EpollWait(epfd, maximum, timeout, events);
        StringBuilder line = new StringBuilder(what + " = " + Format(result) + " [");
        foreach ((uint mask, ulong data) in events)
        {
            line.Append(" (").Append(mask.ToString("x", CultureInfo.InvariantCulture)).Append(", ")
                .Append(data.ToString("x", CultureInfo.InvariantCulture)).Append(')');
        }
        log.Add(line.Append(" ]").ToString());
    }

    private static string Format(long result)
    {
        return result < 0 ? Errno.Name((int)-result) : result.ToString(CultureInfo.InvariantCulture);
    }
}

[CollectionDefinition(nameof(PipeDifferentialTests), DisableParallelization = true)]
public sealed class PipeDifferentialCollection
{
}
