namespace Unikraft.Kernel.Tests;

using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Text;
using Xunit;
using static VfsTestKernel;

// inotify on the kernel's VFS. The expected sequences are the ones Linux 6 gives for the same
// calls on a directory of ext4 or tmpfs, watched with the same mask (checked with inotify_init1
// and inotify_add_watch through libc on the host).
public class InotifyTests
{
    private const uint Watched = InotifyMask.IN_MODIFY | InotifyMask.IN_ATTRIB | InotifyMask.IN_CLOSE_WRITE |
        InotifyMask.IN_MOVED_FROM | InotifyMask.IN_MOVED_TO | InotifyMask.IN_CREATE | InotifyMask.IN_DELETE |
        InotifyMask.IN_DELETE_SELF | InotifyMask.IN_MOVE_SELF;

    [Fact]
    public void ChangesInAWatchedDirectory_AreReportedAsLinuxReportsThem()
    {
        Kernel kernel = Boot();
        Sys.Mkdirat(kernel, AtCwd, "/d", 0x1ED);
        int instance = (int)Sys.InotifyInit1(kernel, OpenFlags.O_NONBLOCK);
        int directory = (int)Sys.InotifyAddWatch(kernel, instance, "/d", Watched);
        Assert.Equal(1, directory);

        WriteFile(kernel, "/d/f", "hello");
        Assert.Equal(0, Sys.Utimensat(kernel, AtCwd, "/d/f", ReadOnlySpan<Timespec>.Empty, 0));
        Assert.Equal(0, Sys.Renameat2(kernel, AtCwd, "/d/f", AtCwd, "/d/g", 0));
        Assert.Equal(0, Sys.Mkdirat(kernel, AtCwd, "/d/s", 0x1ED));
        Assert.Equal(0, Sys.Unlinkat(kernel, AtCwd, "/d/s", OpenFlags.AT_REMOVEDIR));
        int file = (int)Sys.InotifyAddWatch(kernel, instance, "/d/g", Watched);
        Assert.Equal(0, Sys.Unlinkat(kernel, AtCwd, "/d/g", 0));

        List<Event> events = ReadEvents(kernel, instance);
        Assert.Equal(new[]
        {
            new Event(directory, InotifyMask.IN_CREATE, false, "f"),
            new Event(directory, InotifyMask.IN_MODIFY, false, "f"),
            new Event(directory, InotifyMask.IN_CLOSE_WRITE, false, "f"),
            new Event(directory, InotifyMask.IN_ATTRIB, false, "f"),
            new Event(directory, InotifyMask.IN_MOVED_FROM, true, "f"),
            new Event(directory, InotifyMask.IN_MOVED_TO, true, "g"),
            new Event(directory, InotifyMask.IN_CREATE | InotifyMask.IN_ISDIR, false, "s"),
            new Event(directory, InotifyMask.IN_DELETE | InotifyMask.IN_ISDIR, false, "s"),
            new Event(file, InotifyMask.IN_ATTRIB, false, ""),
            new Event(file, InotifyMask.IN_DELETE_SELF, false, ""),
            new Event(file, InotifyMask.IN_IGNORED, false, ""),
            new Event(directory, InotifyMask.IN_DELETE, false, "g"),
        }, events);
        Assert.Equal(ReadCookie(kernel, instance, "/d/g", "/d/h"), ReadCookie(kernel, instance, "/d/h", "/d/i") - 1);
    }

    [Fact]
    public void Read_LaysOutStructInotifyEvent_NamesPaddedToSixteen()
    {
        Kernel kernel = Boot();
        int instance = (int)Sys.InotifyInit1(kernel, OpenFlags.O_NONBLOCK);
        int watch = (int)Sys.InotifyAddWatch(kernel, instance, "/", InotifyMask.IN_CREATE);
        WriteFile(kernel, "/a-name-of-twenty-b", "");

        byte[] buffer = new byte[256];
        long read = Sys.Read(kernel, instance, buffer);

        // 16 bytes of header, then the 19-byte name with its NUL rounded up to 32.
        Assert.Equal(48, read);
        Assert.Equal(watch, BinaryPrimitives.ReadInt32LittleEndian(buffer));
        Assert.Equal(InotifyMask.IN_CREATE, BinaryPrimitives.ReadUInt32LittleEndian(buffer.AsSpan(4)));
        Assert.Equal(0u, BinaryPrimitives.ReadUInt32LittleEndian(buffer.AsSpan(8)));
        Assert.Equal(32u, BinaryPrimitives.ReadUInt32LittleEndian(buffer.AsSpan(12)));
        Assert.Equal("a-name-of-twenty-b", Encoding.UTF8.GetString(buffer, 16, 18));
        Assert.All(buffer.AsSpan(34, 14).ToArray(), value => Assert.Equal(0, value));
    }

    [Fact]
    public void Read_EmptyQueueIsEAGAIN_TooSmallABufferIsEINVAL_AndPollFollowsTheQueue()
    {
        Kernel kernel = Boot();
        int instance = (int)Sys.InotifyInit1(kernel, OpenFlags.O_NONBLOCK | OpenFlags.O_CLOEXEC);
        Sys.InotifyAddWatch(kernel, instance, "/", InotifyMask.IN_CREATE);
        IFileDescription description = kernel.Files.Get(instance)!;

        Assert.Equal(-Errno.EAGAIN, Sys.Read(kernel, instance, new byte[64]));
        Assert.Equal(0, description.Poll() & PollEvents.POLLIN);

        WriteFile(kernel, "/x", "");
        Assert.Equal(PollEvents.POLLIN, description.Poll() & PollEvents.POLLIN);
        Assert.Equal(-Errno.EINVAL, Sys.Read(kernel, instance, new byte[16]));
        Assert.Equal(32, Sys.Read(kernel, instance, new byte[64]));
        Assert.Equal(0, description.Poll() & PollEvents.POLLIN);
    }

    [Fact]
    public void RepeatedWrites_MergeIntoOneModify_UntilRead()
    {
        Kernel kernel = Boot();
        WriteFile(kernel, "/log", "");
        int instance = (int)Sys.InotifyInit1(kernel, OpenFlags.O_NONBLOCK);
        int watch = (int)Sys.InotifyAddWatch(kernel, instance, "/log", InotifyMask.IN_MODIFY);
        int fd = Open(kernel, "/log", OpenFlags.O_WRONLY);

        for (int index = 0; index < 10; index++)
        {
            Sys.Write(kernel, fd, Encoding.UTF8.GetBytes("line\n"));
        }

        Assert.Equal(new[] { new Event(watch, InotifyMask.IN_MODIFY, false, "") }, ReadEvents(kernel, instance));
        Sys.Write(kernel, fd, Encoding.UTF8.GetBytes("more\n"));
        Assert.Equal(new[] { new Event(watch, InotifyMask.IN_MODIFY, false, "") }, ReadEvents(kernel, instance));
    }

    [Fact]
    public void AddWatch_ChecksAsLinux_AndTheSameFileKeepsItsDescriptor()
    {
        Kernel kernel = Boot();
        WriteFile(kernel, "/f", "");
        int instance = (int)Sys.InotifyInit1(kernel, 0);
        int pipeRead = PipeFd(kernel);

        Assert.Equal(-Errno.EINVAL, Sys.InotifyInit1(kernel, 0x1));
        Assert.Equal(-Errno.EINVAL, Sys.InotifyAddWatch(kernel, instance, "/f", InotifyMask.IN_ONLYDIR));
        Assert.Equal(-Errno.EINVAL, Sys.InotifyAddWatch(kernel, instance, "/f", InotifyMask.IN_MODIFY | InotifyMask.IN_MASK_ADD | InotifyMask.IN_MASK_CREATE));
        Assert.Equal(-Errno.EBADF, Sys.InotifyAddWatch(kernel, 99, "/f", InotifyMask.IN_MODIFY));
        Assert.Equal(-Errno.EINVAL, Sys.InotifyAddWatch(kernel, pipeRead, "/f", InotifyMask.IN_MODIFY));
        Assert.Equal(-Errno.ENOENT, Sys.InotifyAddWatch(kernel, instance, "/missing", InotifyMask.IN_MODIFY));
        Assert.Equal(-Errno.ENOTDIR, Sys.InotifyAddWatch(kernel, instance, "/f", InotifyMask.IN_MODIFY | InotifyMask.IN_ONLYDIR));

        long first = Sys.InotifyAddWatch(kernel, instance, "/f", InotifyMask.IN_MODIFY);
        Assert.Equal(first, Sys.InotifyAddWatch(kernel, instance, "/f", InotifyMask.IN_ATTRIB | InotifyMask.IN_MASK_ADD));
        Assert.Equal(-Errno.EEXIST, Sys.InotifyAddWatch(kernel, instance, "/f", InotifyMask.IN_ATTRIB | InotifyMask.IN_MASK_CREATE));
        Assert.Equal(first + 1, Sys.InotifyAddWatch(kernel, instance, "/", InotifyMask.IN_CREATE));

        Assert.Equal(0, Sys.InotifyRmWatch(kernel, instance, (int)first));
        Assert.Equal(-Errno.EINVAL, Sys.InotifyRmWatch(kernel, instance, (int)first));
        Assert.Equal(-Errno.EINVAL, Sys.InotifyRmWatch(kernel, pipeRead, 1));
    }

    [Fact]
    public void RemovedWatch_SaysIgnored_AndHearsNothingMore_ClosingTheInstanceForgetsItsWatches()
    {
        Kernel kernel = Boot();
        int instance = (int)Sys.InotifyInit1(kernel, OpenFlags.O_NONBLOCK);
        int watch = (int)Sys.InotifyAddWatch(kernel, instance, "/", InotifyMask.IN_CREATE);

        Assert.Equal(0, Sys.InotifyRmWatch(kernel, instance, watch));
        WriteFile(kernel, "/after", "");

        Assert.Equal(new[] { new Event(watch, InotifyMask.IN_IGNORED, false, "") }, ReadEvents(kernel, instance));
        Sys.InotifyAddWatch(kernel, instance, "/", InotifyMask.IN_CREATE);
        Assert.Equal(1, kernel.Watches!.Count);
        Assert.Equal(0, Sys.Close(kernel, instance));
        Assert.Equal(0, kernel.Watches.Count);
    }

    private static int PipeFd(Kernel kernel)
    {
        Span<int> fds = stackalloc int[2];
        Assert.Equal(0, Sys.Pipe2(kernel, fds, 0));
        return fds[0];
    }

    private static uint ReadCookie(Kernel kernel, int instance, string from, string to)
    {
        int directory = (int)Sys.InotifyAddWatch(kernel, instance, "/d", InotifyMask.IN_MOVED_FROM);
        WriteFile(kernel, from, "");
        ReadEvents(kernel, instance);
        Assert.Equal(0, Sys.Renameat2(kernel, AtCwd, from, AtCwd, to, 0));
        byte[] buffer = new byte[256];
        Assert.True(Sys.Read(kernel, instance, buffer) > 0);
        Assert.Equal(directory, BinaryPrimitives.ReadInt32LittleEndian(buffer));
        return BinaryPrimitives.ReadUInt32LittleEndian(buffer.AsSpan(8));
    }

    private static List<Event> ReadEvents(Kernel kernel, int instance)
    {
        var events = new List<Event>();
        byte[] buffer = new byte[4096];
        long read = Sys.Read(kernel, instance, buffer);
        if (read == -Errno.EAGAIN)
        {
            return events;
        }
        Assert.True(read > 0, "read = " + read);
        int offset = 0;
        while (offset < read)
        {
            int descriptor = BinaryPrimitives.ReadInt32LittleEndian(buffer.AsSpan(offset));
            uint mask = BinaryPrimitives.ReadUInt32LittleEndian(buffer.AsSpan(offset + 4));
            uint cookie = BinaryPrimitives.ReadUInt32LittleEndian(buffer.AsSpan(offset + 8));
            int length = (int)BinaryPrimitives.ReadUInt32LittleEndian(buffer.AsSpan(offset + 12));
            string name = Encoding.UTF8.GetString(buffer, offset + 16, length).TrimEnd('\0');
            events.Add(new Event(descriptor, mask, cookie != 0, name));
            offset += 16 + length;
        }
        return events;
    }

    private readonly record struct Event(int Descriptor, uint Mask, bool HasCookie, string Name);
}
