namespace Unikraft.Kernel.Tests;

using System;
using System.Buffers.Binary;
using System.Collections.Generic;

// One sequence of pipe, poll and epoll calls, run by the kernel or by the host's Linux: results
// as the syscalls give them (>= 0 or -errno), so the two transcripts can be compared line by line.
internal interface IPipeSide : IDisposable
{
    long Pipe2(int flags, out int read, out int write);

    long Read(int fd, byte[] buffer);

    long Write(int fd, byte[] bytes);

    long Close(int fd);

    long Dup(int fd);

    long Fcntl(int fd, int command, long argument);

    long FstatMode(int fd, out int mode);

    long Poll(int[] fds, short[] events, int timeout, short[] returned);

    long EpollCreate1(int flags);

    long EpollCtl(int epfd, int operation, int fd, uint events, ulong data);

    long EpollWait(int epfd, int maximum, int timeout, List<(uint Events, ulong Data)> events);
}

internal sealed class KernelPipeSide : IPipeSide
{
    private readonly Kernel kernel = TestKernel.Boot(out _);

    public long Pipe2(int flags, out int read, out int write)
    {
        int[] fds = new int[2];
        long result = Sys.Pipe2(kernel, fds, flags);
        read = fds[0];
        write = fds[1];
        return result;
    }

    public long Read(int fd, byte[] buffer) => Sys.Read(kernel, fd, buffer);

    public long Write(int fd, byte[] bytes) => Sys.Write(kernel, fd, bytes);

    public long Close(int fd) => Sys.Close(kernel, fd);

    public long Dup(int fd) => Sys.Dup(kernel, fd);

    public long Fcntl(int fd, int command, long argument) => Sys.Fcntl(kernel, fd, command, argument);

    public long FstatMode(int fd, out int mode)
    {
        long result = Sys.Fstat(kernel, fd, out Stat stat);
        mode = stat.Mode;
        return result;
    }

    public long Poll(int[] fds, short[] events, int timeout, short[] returned)
    {
        PollFd[] entries = new PollFd[fds.Length];
        for (int index = 0; index < fds.Length; index++)
        {
            entries[index] = new PollFd(fds[index], events[index]);
        }
        long result = Sys.Poll(kernel, entries, timeout);
        for (int index = 0; index < fds.Length; index++)
        {
            returned[index] = entries[index].ReturnedEvents;
        }
        return result;
    }

    public long EpollCreate1(int flags) => Sys.EpollCreate1(kernel, flags);

    public long EpollCtl(int epfd, int operation, int fd, uint events, ulong data)
    {
        return Sys.EpollCtl(kernel, epfd, operation, fd, new EpollEvent(events, data));
    }

    public long EpollWait(int epfd, int maximum, int timeout, List<(uint Events, ulong Data)> events)
    {
        EpollEvent[] buffer = new EpollEvent[maximum];
        long result = Sys.EpollWait(kernel, epfd, buffer, timeout);
        for (int index = 0; index < result; index++)
        {
            events.Add((buffer[index].Events, buffer[index].Data));
        }
        return result;
    }

    public void Dispose()
    {
    }
}

// The same calls on the host, through libc's syscall(2). Every fd it opens is closed at the end.
internal sealed class LinuxPipeSide : IPipeSide
{
    private const long ReadCall = 0;
    private const long WriteCall = 1;
    private const long CloseCall = 3;
    private const long FstatCall = 5;
    private const long PollCall = 7;
    private const long DupCall = 32;
    private const long FcntlCall = 72;
    private const long EpollWaitCall = 232;
    private const long EpollCtlCall = 233;
    private const long EpollCreate1Call = 291;
    private const long Pipe2Call = 293;

    // NOTE: struct stat of x86-64: st_mode is the 32-bit field at offset 24; the whole is 144 bytes.
    private const int StatLength = 144;
    private const int StatModeOffset = 24;

    private readonly HashSet<int> open = new HashSet<int>();

    public long Pipe2(int flags, out int read, out int write)
    {
        byte[] fds = new byte[8];
        long result = LinuxFiles.WithPinned(a => LinuxFiles.Call(Pipe2Call, a[0], flags), fds);
        read = BinaryPrimitives.ReadInt32LittleEndian(fds);
        write = BinaryPrimitives.ReadInt32LittleEndian(fds.AsSpan(4));
        if (result == 0)
        {
            open.Add(read);
            open.Add(write);
        }
        return result;
    }

    public long Read(int fd, byte[] buffer)
    {
        return LinuxFiles.WithPinned(a => LinuxFiles.Call(ReadCall, fd, a[0], buffer.Length), buffer);
    }

    public long Write(int fd, byte[] bytes)
    {
        return LinuxFiles.WithPinned(a => LinuxFiles.Call(WriteCall, fd, a[0], bytes.Length), bytes);
    }

    public long Close(int fd)
    {
        if (!open.Contains(fd))
        {
            // Never close an fd of the test process itself: this side owns only what it opened.
            throw new InvalidOperationException("the sequence closes fd " + fd + ", which it did not open");
        }
        open.Remove(fd);
        return LinuxFiles.Call(CloseCall, fd);
    }

    public long Dup(int fd)
    {
        return Opened(LinuxFiles.Call(DupCall, fd));
    }

    public long Fcntl(int fd, int command, long argument)
    {
        return LinuxFiles.Call(FcntlCall, fd, command, (nint)argument);
    }

    public long FstatMode(int fd, out int mode)
    {
        byte[] stat = new byte[StatLength];
        long result = LinuxFiles.WithPinned(a => LinuxFiles.Call(FstatCall, fd, a[0]), stat);
        mode = BinaryPrimitives.ReadInt32LittleEndian(stat.AsSpan(StatModeOffset));
        return result;
    }

    public long Poll(int[] fds, short[] events, int timeout, short[] returned)
    {
        byte[] entries = new byte[8 * fds.Length];
        for (int index = 0; index < fds.Length; index++)
        {
            BinaryPrimitives.WriteInt32LittleEndian(entries.AsSpan(8 * index), fds[index]);
            BinaryPrimitives.WriteInt16LittleEndian(entries.AsSpan(8 * index + 4), events[index]);
        }
        long result = LinuxFiles.WithPinned(a => LinuxFiles.Call(PollCall, a[0], fds.Length, timeout), entries);
        for (int index = 0; index < fds.Length; index++)
        {
            returned[index] = BinaryPrimitives.ReadInt16LittleEndian(entries.AsSpan(8 * index + 6));
        }
        return result;
    }

    public long EpollCreate1(int flags)
    {
        return Opened(LinuxFiles.Call(EpollCreate1Call, flags));
    }

    public long EpollCtl(int epfd, int operation, int fd, uint events, ulong data)
    {
        byte[] ev = new byte[12];
        BinaryPrimitives.WriteUInt32LittleEndian(ev, events);
        BinaryPrimitives.WriteUInt64LittleEndian(ev.AsSpan(4), data);
        return LinuxFiles.WithPinned(a => LinuxFiles.Call(EpollCtlCall, epfd, operation, fd, a[0]), ev);
    }

    public long EpollWait(int epfd, int maximum, int timeout, List<(uint Events, ulong Data)> events)
    {
        byte[] buffer = new byte[12 * Math.Max(maximum, 1)];
        long result = LinuxFiles.WithPinned(a => LinuxFiles.Call(EpollWaitCall, epfd, a[0], maximum, timeout), buffer);
        for (int index = 0; index < result; index++)
        {
            events.Add((BinaryPrimitives.ReadUInt32LittleEndian(buffer.AsSpan(12 * index)),
                BinaryPrimitives.ReadUInt64LittleEndian(buffer.AsSpan(12 * index + 4))));
        }
        return result;
    }

    public void Dispose()
    {
        foreach (int fd in open)
        {
            LinuxFiles.Call(CloseCall, fd);
        }
        open.Clear();
    }

    private long Opened(long fd)
    {
        if (fd >= 0)
        {
            open.Add((int)fd);
        }
        return fd;
    }
}
