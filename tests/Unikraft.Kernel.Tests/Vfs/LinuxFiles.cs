namespace Unikraft.Kernel.Tests;

using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using System.Text;

// Real Linux file syscalls through libc's syscall(2), for the differential test: every call
// returns the result as the kernel gives it (>= 0 or -errno), like our Sys methods.
internal static class LinuxFiles
{
    public const long Read = 0;
    public const long Write = 1;
    public const long Close = 3;
    public const long Lseek = 8;
    public const long Pread64 = 17;
    public const long Pwrite64 = 18;
    public const long Dup = 32;
    public const long Ftruncate = 77;
    public const long Getdents64 = 217;
    public const long Openat = 257;
    public const long Mkdirat = 258;
    public const long Newfstatat = 262;
    public const long Unlinkat = 263;
    public const long Linkat = 265;
    public const long Symlinkat = 266;
    public const long Readlinkat = 267;
    public const long Renameat2 = 316;
    public const long Fstat = 5;
    public const long UtimensatCall = 280;
    public const long Faccessat = 269;

    [DllImport("libc", EntryPoint = "syscall", SetLastError = true)]
    private static extern long RawSyscall(long number, nint a1, nint a2, nint a3, nint a4, nint a5);

    public static long Call(long number, nint a1 = 0, nint a2 = 0, nint a3 = 0, nint a4 = 0, nint a5 = 0)
    {
        long result = RawSyscall(number, a1, a2, a3, a4, a5);
        if (result == -1)
        {
            return -Marshal.GetLastPInvokeError();
        }
        return result;
    }

    // Runs body with the arrays pinned and their addresses passed in order.
    public static long WithPinned(Func<nint[], long> body, params byte[][] arrays)
    {
        GCHandle[] handles = new GCHandle[arrays.Length];
        nint[] addresses = new nint[arrays.Length];
        try
        {
            for (int index = 0; index < arrays.Length; index++)
            {
                handles[index] = GCHandle.Alloc(arrays[index], GCHandleType.Pinned);
                addresses[index] = handles[index].AddrOfPinnedObject();
            }
            return body(addresses);
        }
        finally
        {
            foreach (GCHandle handle in handles)
            {
                if (handle.IsAllocated)
                {
                    handle.Free();
                }
            }
        }
    }

    public static byte[] CString(string text)
    {
        byte[] bytes = new byte[Encoding.UTF8.GetByteCount(text) + 1];
        Encoding.UTF8.GetBytes(text, bytes);
        return bytes;
    }

    public static long OpenAt(int dirfd, string path, int flags, int mode)
    {
        return WithPinned(a => Call(Openat, dirfd, a[0], flags, mode), CString(path));
    }

    public static long MkdirAt(int dirfd, string path, int mode)
    {
        return WithPinned(a => Call(Mkdirat, dirfd, a[0], mode), CString(path));
    }

    public static long UnlinkAt(int dirfd, string path, int flags)
    {
        return WithPinned(a => Call(Unlinkat, dirfd, a[0], flags), CString(path));
    }

    public static long RenameAt2(int dirfd, string oldPath, string newPath, int flags)
    {
        return WithPinned(a => Call(Renameat2, dirfd, a[0], dirfd, a[1], flags), CString(oldPath), CString(newPath));
    }

    public static long SymlinkAt(string target, int dirfd, string path)
    {
        return WithPinned(a => Call(Symlinkat, a[0], dirfd, a[1]), CString(target), CString(path));
    }

    public static long LinkAt(int dirfd, string oldPath, string newPath, int flags)
    {
        return WithPinned(a => Call(Linkat, dirfd, a[0], dirfd, a[1], flags), CString(oldPath), CString(newPath));
    }

    public static long ReadlinkAt(int dirfd, string path, byte[] buffer)
    {
        return WithPinned(a => Call(Readlinkat, dirfd, a[0], a[1], buffer.Length), CString(path), buffer);
    }

    public static long ReadFd(int fd, byte[] buffer)
    {
        return WithPinned(a => Call(Read, fd, a[0], buffer.Length), buffer);
    }

    public static long WriteFd(int fd, byte[] buffer)
    {
        return WithPinned(a => Call(Write, fd, a[0], buffer.Length), buffer);
    }

    public static long PreadFd(int fd, byte[] buffer, long offset)
    {
        return WithPinned(a => Call(Pread64, fd, a[0], buffer.Length, (nint)offset), buffer);
    }

    public static long PwriteFd(int fd, byte[] buffer, long offset)
    {
        return WithPinned(a => Call(Pwrite64, fd, a[0], buffer.Length, (nint)offset), buffer);
    }

    public static long Getdents(int fd, byte[] buffer)
    {
        return WithPinned(a => Call(Getdents64, fd, a[0], buffer.Length), buffer);
    }

    // The fields the differential test compares: mode, size, link count, access and
    // modification times.
    public static long StatAt(int dirfd, string path, int flags, out FileFacts facts)
    {
        byte[] buffer = new byte[144];
        long result = WithPinned(a => Call(Newfstatat, dirfd, a[0], a[1], flags), CString(path), buffer);
        facts = ParseStat(buffer);
        return result;
    }

    public static long StatAt(int dirfd, string path, int flags, out int mode, out long size, out long linkCount)
    {
        long result = StatAt(dirfd, path, flags, out FileFacts facts);
        mode = facts.Mode;
        size = facts.Size;
        linkCount = facts.LinkCount;
        return result;
    }

    public static long FstatFd(int fd, out FileFacts facts)
    {
        byte[] buffer = new byte[144];
        long result = WithPinned(a => Call(Fstat, fd, a[0]), buffer);
        facts = ParseStat(buffer);
        return result;
    }

    public static long AccessAt(int dirfd, string path, int mode)
    {
        return WithPinned(a => Call(Faccessat, dirfd, a[0], mode), CString(path));
    }

    // utimensat(2); path null is futimens(2) on dirfd, times null is "both now".
    public static long Utimensat(int dirfd, string? path, long[]? times, int flags)
    {
        byte[] timeBytes = new byte[32];
        if (times != null)
        {
            for (int index = 0; index < 4; index++)
            {
                BinaryPrimitives.WriteInt64LittleEndian(timeBytes.AsSpan(index * 8), times[index]);
            }
        }
        return WithPinned(a => Call(UtimensatCall, dirfd, path == null ? 0 : a[0], times == null ? 0 : a[1], flags),
            CString(path ?? ""), timeBytes);
    }

    // NOTE: x86-64 struct stat: st_nlink at 16, st_mode at 24, st_size at 48, st_atime and
    // st_atime_nsec at 72 and 80, st_mtime and st_mtime_nsec at 88 and 96 (asm/stat.h).
    private static FileFacts ParseStat(byte[] buffer)
    {
        return new FileFacts(BinaryPrimitives.ReadInt32LittleEndian(buffer.AsSpan(24)), BinaryPrimitives.ReadInt64LittleEndian(buffer.AsSpan(48)),
            BinaryPrimitives.ReadInt64LittleEndian(buffer.AsSpan(16)), BinaryPrimitives.ReadInt64LittleEndian(buffer.AsSpan(72)),
            BinaryPrimitives.ReadInt64LittleEndian(buffer.AsSpan(80)), BinaryPrimitives.ReadInt64LittleEndian(buffer.AsSpan(88)),
            BinaryPrimitives.ReadInt64LittleEndian(buffer.AsSpan(96)));
    }

    // The names in linux_dirent64 records.
    public static List<string> DirentNames(ReadOnlySpan<byte> records)
    {
        List<string> names = new List<string>();
        int offset = 0;
        while (offset < records.Length)
        {
            int length = BinaryPrimitives.ReadUInt16LittleEndian(records.Slice(offset + 16));
            ReadOnlySpan<byte> name = records.Slice(offset + 19, length - 19);
            int end = name.IndexOf((byte)0);
            names.Add(Encoding.UTF8.GetString(end < 0 ? name : name.Slice(0, end)));
            offset += length;
        }
        return names;
    }

    // Removes everything under the directory open on dirfd (links are removed, not followed).
    public static void Empty(int dirfd)
    {
        long fd = OpenAt(dirfd, ".", OpenFlags.O_RDONLY | OpenFlags.O_DIRECTORY, 0);
        if (fd < 0)
        {
            return;
        }
        List<string> names = new List<string>();
        byte[] buffer = new byte[8192];
        while (true)
        {
            long read = Getdents((int)fd, buffer);
            if (read <= 0)
            {
                break;
            }
            names.AddRange(DirentNames(buffer.AsSpan(0, (int)read)));
        }
        Call(Close, (nint)fd);
        foreach (string name in names)
        {
            if (name == "." || name == "..")
            {
                continue;
            }
            StatAt(dirfd, name, OpenFlags.AT_SYMLINK_NOFOLLOW, out int mode, out _, out _);
            if ((mode & Stat.S_IFMT) == Stat.S_IFDIR)
            {
                long child = OpenAt(dirfd, name, OpenFlags.O_RDONLY | OpenFlags.O_DIRECTORY | OpenFlags.O_NOFOLLOW, 0);
                if (child >= 0)
                {
                    Empty((int)child);
                    Call(Close, (nint)child);
                }
                UnlinkAt(dirfd, name, OpenFlags.AT_REMOVEDIR);
            }
            else
            {
                UnlinkAt(dirfd, name, 0);
            }
        }
    }
}
