namespace Unikraft.Kernel.Tests;

using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using System.Text;
using Xunit;

// inotify(7) on host objects: every open, read, write, attribute change, creation, removal or
// rename the host kernel sees on a watched file, or on an entry of a watched directory, by any
// process. A test proves "never opened" or "never read" with it, which a content hash cannot.
// (An O_PATH open, which opens nothing, never reports IN_OPEN.)
internal sealed class HostWatch : IDisposable
{
    // NOTE: from linux/inotify.h.
    public const uint IN_ACCESS = 0x1;
    public const uint IN_MODIFY = 0x2;
    public const uint IN_ATTRIB = 0x4;
    public const uint IN_CLOSE_WRITE = 0x8;
    public const uint IN_CLOSE_NOWRITE = 0x10;
    public const uint IN_OPEN = 0x20;
    public const uint IN_MOVE_SELF = 0x800;
    public const uint IN_ALL_EVENTS = 0xFFF;
    private const int IN_NONBLOCK = 0x800;
    private const int IN_CLOEXEC = 0x80000;
    private const uint IN_DONT_FOLLOW = 0x2000000;

    private static readonly string[] EventNames =
    {
        "ACCESS", "MODIFY", "ATTRIB", "CLOSE_WRITE", "CLOSE_NOWRITE", "OPEN", "MOVED_FROM", "MOVED_TO", "CREATE", "DELETE",
        "DELETE_SELF", "MOVE_SELF",
    };

    private readonly int fd;
    private readonly Dictionary<int, string> watched = new Dictionary<int, string>();

    public HostWatch()
    {
        fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
        Assert.True(fd >= 0, "inotify_init1 failed: errno " + Marshal.GetLastPInvokeError());
    }

    // Watches path itself (a symbolic link is watched as the link, never followed).
    public void Add(string path)
    {
        int watch = inotify_add_watch(fd, LinuxFiles.CString(path), IN_ALL_EVENTS | IN_DONT_FOLLOW);
        Assert.True(watch >= 0, "inotify_add_watch " + path + " failed: errno " + Marshal.GetLastPInvokeError());
        watched[watch] = path;
    }

    // The events since the last call, as "path[/name] EVENT|EVENT", those with no bit of mask
    // left out.
    public List<string> Drain(uint mask = IN_ALL_EVENTS)
    {
        List<string> events = new List<string>();
        byte[] buffer = new byte[65536];
        while (true)
        {
            long length = LinuxFiles.ReadFd(fd, buffer);
            if (length <= 0)
            {
                return events;
            }
            int offset = 0;
            while (offset + 16 <= length)
            {
                int watch = BinaryPrimitives.ReadInt32LittleEndian(buffer.AsSpan(offset));
                uint bits = BinaryPrimitives.ReadUInt32LittleEndian(buffer.AsSpan(offset + 4));
                int nameLength = (int)BinaryPrimitives.ReadUInt32LittleEndian(buffer.AsSpan(offset + 12));
                ReadOnlySpan<byte> name = buffer.AsSpan(offset + 16, nameLength);
                int end = name.IndexOf((byte)0);
                string text = Encoding.UTF8.GetString(end < 0 ? name : name.Slice(0, end));
                offset += 16 + nameLength;
                if ((bits & mask) == 0)
                {
                    continue;
                }
                StringBuilder description = new StringBuilder(watched.GetValueOrDefault(watch, "?"));
                if (text.Length > 0)
                {
                    description.Append('/').Append(text);
                }
                description.Append(' ');
                List<string> names = new List<string>();
                for (int bit = 0; bit < EventNames.Length; bit++)
                {
                    if ((bits & (1u << bit)) != 0)
                    {
                        names.Add(EventNames[bit]);
                    }
                }
                events.Add(description.Append(string.Join("|", names)).ToString());
            }
        }
    }

    public void Dispose()
    {
        LinuxFiles.Call(LinuxFiles.Close, fd);
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int inotify_init1(int flags);

    [DllImport("libc", SetLastError = true)]
    private static extern int inotify_add_watch(int fd, byte[] path, uint mask);
}

// Host-side system calls the hostfs tests make to set the folder up: device nodes, FIFOs,
// mounts, atomic swaps, and statx times.
internal static class HostSetup
{
    // NOTE: from linux/stat.h, linux/mount.h and linux/fs.h.
    public const int S_IFCHR = 0x2000;
    public const int S_IFIFO = 0x1000;
    private const ulong MS_BIND = 0x1000;
    private const int MNT_DETACH = 0x2;
    public const int RENAME_EXCHANGE = 0x2;

    // mknod(2) of a character device (major, minor) or a FIFO (type S_IFIFO, 0, 0).
    public static void MakeNode(string path, int type, int major, int minor)
    {
        ulong device = (ulong)(uint)((major << 8) | (minor & 0xFF));
        int result = mknod(LinuxFiles.CString(path), type | 0x1B6, device);
        Assert.True(result == 0, "mknod " + path + " failed: errno " + Marshal.GetLastPInvokeError());
    }

    public static void MountTmpfs(string target)
    {
        int result = mount(LinuxFiles.CString("unikraft-test"), LinuxFiles.CString(target), LinuxFiles.CString("tmpfs"), 0, IntPtr.Zero);
        Assert.True(result == 0, "mount -t tmpfs on " + target + " failed: errno " + Marshal.GetLastPInvokeError());
    }

    public static void Bind(string source, string target)
    {
        int result = mount(LinuxFiles.CString(source), LinuxFiles.CString(target), null, MS_BIND, IntPtr.Zero);
        Assert.True(result == 0, "mount --bind " + source + " " + target + " failed: errno " + Marshal.GetLastPInvokeError());
    }

    // Lazy unmount; returns 0 or the errno (cleanup never throws).
    public static int Unmount(string target)
    {
        return umount2(LinuxFiles.CString(target), MNT_DETACH) == 0 ? 0 : Marshal.GetLastPInvokeError();
    }

    // renameat2(RENAME_EXCHANGE): the two names swap their objects in one step.
    public static long Exchange(string first, string second)
    {
        return LinuxFiles.WithPinned(a => LinuxFiles.Call(LinuxFiles.Renameat2, OpenFlags.AT_FDCWD, a[0], OpenFlags.AT_FDCWD, a[1], RENAME_EXCHANGE),
            LinuxFiles.CString(first), LinuxFiles.CString(second));
    }

    // The inode number, size, and access, modification and change times (ns) of path, links
    // not followed: what must not move when a file is neither read nor changed.
    public static (long Inode, long Size, long Access, long Modify, long Change) Times(string path)
    {
        byte[] statx = new byte[HostCalls.StatxLength];
        Assert.Equal(0, HostCalls.Statx(OpenFlags.AT_FDCWD, HostVnode.ToCString(path), HostCalls.AT_SYMLINK_NOFOLLOW, statx));
        return (HostVnode.StatxInode(statx), BinaryPrimitives.ReadInt64LittleEndian(statx.AsSpan(40)), Nanoseconds(statx, 64),
            Nanoseconds(statx, 112), Nanoseconds(statx, 96));
    }

    private static long Nanoseconds(byte[] statx, int offset) =>
        BinaryPrimitives.ReadInt64LittleEndian(statx.AsSpan(offset)) * 1_000_000_000L + BinaryPrimitives.ReadUInt32LittleEndian(statx.AsSpan(offset + 8));

    [DllImport("libc", SetLastError = true)]
    private static extern int mknod(byte[] path, int mode, ulong device);

    [DllImport("libc", SetLastError = true)]
    private static extern int mount(byte[] source, byte[] target, byte[]? type, ulong flags, IntPtr data);

    [DllImport("libc", SetLastError = true)]
    private static extern int umount2(byte[] target, int flags);
}
