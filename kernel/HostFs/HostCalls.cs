namespace Unikraft.Kernel;

using System;
using System.Runtime.InteropServices;

// The host system calls hostfs makes, through libc. This is platform-hosted code: only the
// hosted platform runs on a Linux host, and only this library calls into libc. Paths are
// NUL-terminated UTF-8 byte arrays and results follow the C convention (-1 and errno), which
// Check turns into the kernel's -errno; host errno values pass through unchanged because the
// kernel's errno values are Linux's.
internal static class HostCalls
{
    // NOTE: numbers and flags from the x86-64 Linux UAPI: asm/unistd_64.h (openat2 is 437 on
    // every architecture since Linux 5.6), asm-generic/fcntl.h, linux/openat2.h, linux/fcntl.h,
    // linux/stat.h.
    public const long SysOpenat2 = 437;

    public const int O_RDONLY = 0x0;
    public const int O_WRONLY = 0x1;
    public const int O_RDWR = 0x2;
    public const int O_CREAT = 0x40;
    public const int O_EXCL = 0x80;
    public const int O_NOCTTY = 0x100;
    public const int O_NONBLOCK = 0x800;
    public const int O_DIRECTORY = 0x10000;
    public const int O_NOFOLLOW = 0x20000;
    public const int O_CLOEXEC = 0x80000;
    public const int O_PATH = 0x200000;

    public const ulong RESOLVE_NO_XDEV = 0x01;
    public const ulong RESOLVE_NO_MAGICLINKS = 0x02;
    public const ulong RESOLVE_NO_SYMLINKS = 0x04;
    public const ulong RESOLVE_BENEATH = 0x08;

    public const int AT_SYMLINK_NOFOLLOW = 0x100;
    public const int AT_REMOVEDIR = 0x200;
    public const int AT_EMPTY_PATH = 0x1000;

    public const int StatxBasicStats = 0x7FF;
    public const ulong STATX_ATTR_MOUNT_ROOT = 0x2000;
    public const int StatxLength = 256;

    public const int SeekSet = 0;

    [StructLayout(LayoutKind.Sequential)]
    public struct OpenHow
    {
        public ulong Flags;
        public ulong Mode;
        public ulong Resolve;
    }

    // openat2(2): the one call that resolves more than one path component. glibc has no
    // wrapper before 2.39, so it goes through syscall(2).
    public static int Openat2(int directory, byte[] path, int flags, int mode, ulong resolve)
    {
        OpenHow how = new OpenHow { Flags = (ulong)(uint)flags, Mode = (ulong)(uint)mode, Resolve = resolve };
        long result = syscall_openat2(SysOpenat2, directory, path, ref how, (nuint)24);
        return (int)Check(result);
    }

    public static int Openat(int directory, byte[] path, int flags, int mode) => (int)Check(openat(directory, path, flags, mode));

    public static long Close(int fd) => Check(close(fd));

    // Spans go to libc as a reference to their first byte, which the marshaller pins for the
    // call: no copy and no unsafe code.
    public static long PRead(int fd, Span<byte> buffer, long offset)
    {
        if (buffer.IsEmpty)
        {
            return 0;
        }
        return Check((long)pread64(fd, ref MemoryMarshal.GetReference(buffer), (nuint)buffer.Length, offset));
    }

    public static long PWrite(int fd, ReadOnlySpan<byte> buffer, long offset)
    {
        if (buffer.IsEmpty)
        {
            return 0;
        }
        return Check((long)pwrite64(fd, ref MemoryMarshal.GetReference(buffer), (nuint)buffer.Length, offset));
    }

    public static long Ftruncate(int fd, long length) => Check(ftruncate64(fd, length));

    public static long Fsync(int fd) => Check(fsync(fd));

    public static long Statx(int directory, byte[] path, int flags, byte[] buffer) =>
        Check(statx(directory, path, flags, StatxBasicStats, buffer));

    public static long Unlinkat(int directory, byte[] path, int flags) => Check(unlinkat(directory, path, flags));

    public static long Mkdirat(int directory, byte[] path, int mode) => Check(mkdirat(directory, path, mode));

    public static long Symlinkat(byte[] target, int directory, byte[] path) => Check(symlinkat(target, directory, path));

    public static long Linkat(int oldDirectory, byte[] oldPath, int newDirectory, byte[] newPath, int flags) =>
        Check(linkat(oldDirectory, oldPath, newDirectory, newPath, flags));

    public static long Renameat2(int oldDirectory, byte[] oldPath, int newDirectory, byte[] newPath, uint flags) =>
        Check(renameat2(oldDirectory, oldPath, newDirectory, newPath, flags));

    public static long Readlinkat(int directory, byte[] path, byte[] buffer) =>
        Check((long)readlinkat(directory, path, buffer, (nuint)buffer.Length));

    public static long Utimensat(int directory, byte[] path, long[] times, int flags) =>
        Check(utimensat(directory, path, times, flags));

    public static long Futimens(int fd, long[] times) => Check(futimens(fd, times));

    public static long Lseek(int fd, long offset, int whence) => Check(lseek64(fd, offset, whence));

    public static long Getdents64(int fd, byte[] buffer) => Check((long)getdents64(fd, buffer, (nuint)buffer.Length));

    private static long Check(long result)
    {
        if (result >= 0)
        {
            return result;
        }
        int errno = Marshal.GetLastPInvokeError();
        return errno > 0 ? -errno : -Errno.EIO;
    }

    [DllImport("libc", EntryPoint = "syscall", SetLastError = true)]
    private static extern long syscall_openat2(long number, int directory, byte[] path, ref OpenHow how, nuint size);

    [DllImport("libc", SetLastError = true)]
    private static extern int openat(int directory, byte[] path, int flags, int mode);

    [DllImport("libc", SetLastError = true)]
    private static extern int close(int fd);

    [DllImport("libc", SetLastError = true)]
    private static extern nint pread64(int fd, ref byte buffer, nuint count, long offset);

    [DllImport("libc", SetLastError = true)]
    private static extern nint pwrite64(int fd, ref byte buffer, nuint count, long offset);

    [DllImport("libc", SetLastError = true)]
    private static extern int ftruncate64(int fd, long length);

    [DllImport("libc", SetLastError = true)]
    private static extern int fsync(int fd);

    [DllImport("libc", SetLastError = true)]
    private static extern int statx(int directory, byte[] path, int flags, int mask, byte[] buffer);

    [DllImport("libc", SetLastError = true)]
    private static extern int unlinkat(int directory, byte[] path, int flags);

    [DllImport("libc", SetLastError = true)]
    private static extern int mkdirat(int directory, byte[] path, int mode);

    [DllImport("libc", SetLastError = true)]
    private static extern int symlinkat(byte[] target, int directory, byte[] path);

    [DllImport("libc", SetLastError = true)]
    private static extern int linkat(int oldDirectory, byte[] oldPath, int newDirectory, byte[] newPath, int flags);

    [DllImport("libc", SetLastError = true)]
    private static extern int renameat2(int oldDirectory, byte[] oldPath, int newDirectory, byte[] newPath, uint flags);

    [DllImport("libc", SetLastError = true)]
    private static extern nint readlinkat(int directory, byte[] path, byte[] buffer, nuint size);

    [DllImport("libc", SetLastError = true)]
    private static extern int utimensat(int directory, byte[] path, long[] times, int flags);

    [DllImport("libc", SetLastError = true)]
    private static extern int futimens(int fd, long[] times);

    [DllImport("libc", SetLastError = true)]
    private static extern long lseek64(int fd, long offset, int whence);

    [DllImport("libc", SetLastError = true)]
    private static extern nint getdents64(int fd, byte[] buffer, nuint count);
}
