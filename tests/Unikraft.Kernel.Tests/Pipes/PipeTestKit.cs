namespace Unikraft.Kernel.Tests;

using System;
using Xunit;

// Short helpers over the pipe syscalls for the pipe, poll and epoll tests.
internal static class PipeTestKit
{
    public const long Second = 1_000_000_000;

    public static (int Read, int Write) Open(Kernel kernel, int flags = 0)
    {
        int[] fds = new int[2];
        Assert.Equal(0, Sys.Pipe2(kernel, fds, flags));
        return (fds[0], fds[1]);
    }

    public static byte[] Pattern(int length, int seed)
    {
        byte[] bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    public static void SetNonBlocking(Kernel kernel, int fd)
    {
        long flags = Sys.Fcntl(kernel, fd, OpenFlags.F_GETFL, 0);
        Assert.Equal(0, Sys.Fcntl(kernel, fd, OpenFlags.F_SETFL, flags | OpenFlags.O_NONBLOCK));
    }
}

// Runs a callback whenever a description's readiness changes: a program's own event-driven
// code, as the BCL's event port will be.
internal sealed class ReadinessCallback : IReadinessWatcher
{
    private readonly Action<int> changed;

    public ReadinessCallback(Action<int> changed)
    {
        this.changed = changed;
    }

    public int Releases { get; private set; }

    public void ReadinessChanged(IFileDescription description, int events)
    {
        changed(events);
    }

    public void DescriptionReleased(IFileDescription description)
    {
        Releases++;
    }
}
