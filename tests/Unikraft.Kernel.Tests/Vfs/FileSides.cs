namespace Unikraft.Kernel.Tests;

using System;
using System.Threading;

// What the differential test compares of a stat: the mode (type and permission bits), size,
// link count, and access and modification times (seconds, nanoseconds).
internal readonly record struct FileFacts(int Mode, long Size, long LinkCount, long AccessSeconds, long AccessNanoseconds,
    long ModifySeconds, long ModifyNanoseconds);

// One side of the differential test: the same file operations, on our kernel or on Linux.
// Paths are relative to the side's root; results are >= 0 or -errno.
internal interface IFileSide
{
    long Open(string path, int flags, int mode);

    long OpenAt(int dirfd, string path, int flags, int mode);

    long Close(int fd);

    long Read(int fd, byte[] buffer);

    long Write(int fd, byte[] data);

    long Pread(int fd, byte[] buffer, long offset);

    long Pwrite(int fd, byte[] data, long offset);

    long Lseek(int fd, long offset, int whence);

    long Ftruncate(int fd, long length);

    long Rename(string oldPath, string newPath, int flags);

    long Unlink(string path, int flags);

    long Mkdir(string path, int mode);

    long Symlink(string target, string path);

    long Readlink(string path, byte[] buffer);

    long Link(string oldPath, string newPath, int flags);

    long Getdents(int fd, byte[] buffer);

    long Stat(string path, int flags, out FileFacts facts);

    long Fstat(int fd, out FileFacts facts);

    long Dup(int fd);

    // utimensat(2) on path (relative to the root), or futimens(2) on fd when path is null;
    // times null sets both to now, else access then modification as (seconds, nanoseconds).
    long Utimensat(string? path, int fd, long[]? times, int flags);

    // faccessat(2) with R_OK, W_OK, X_OK bits (or F_OK).
    long Access(string path, int mode);
}

// Our kernel: a test kernel with a ramfs mounted at "/", paths relative to the working
// directory "/".
internal sealed class KernelSide : IFileSide
{
    private readonly Kernel kernel;

    public KernelSide(long capacity = 1L << 30)
    {
        kernel = TestKernel.Boot(out _);
        VfsMounts.Mount(kernel, "/", new RamFileSystem(capacity), false);
    }

    public Kernel Kernel => kernel;

    public long Open(string path, int flags, int mode) => Sys.Openat(kernel, OpenFlags.AT_FDCWD, path, flags, mode);

    public long OpenAt(int dirfd, string path, int flags, int mode) => Sys.Openat(kernel, dirfd, path, flags, mode);

    public long Close(int fd) => Sys.Close(kernel, fd);

    public long Read(int fd, byte[] buffer) => Sys.Read(kernel, fd, buffer);

    public long Write(int fd, byte[] data) => Sys.Write(kernel, fd, data);

    public long Pread(int fd, byte[] buffer, long offset) => Sys.Pread64(kernel, fd, buffer, offset);

    public long Pwrite(int fd, byte[] data, long offset) => Sys.Pwrite64(kernel, fd, data, offset);

    public long Lseek(int fd, long offset, int whence) => Sys.Lseek(kernel, fd, offset, whence);

    public long Ftruncate(int fd, long length) => Sys.Ftruncate(kernel, fd, length);

    public long Rename(string oldPath, string newPath, int flags) =>
        Sys.Renameat2(kernel, OpenFlags.AT_FDCWD, oldPath, OpenFlags.AT_FDCWD, newPath, flags);

    public long Unlink(string path, int flags) => Sys.Unlinkat(kernel, OpenFlags.AT_FDCWD, path, flags);

    public long Mkdir(string path, int mode) => Sys.Mkdirat(kernel, OpenFlags.AT_FDCWD, path, mode);

    public long Symlink(string target, string path) => Sys.Symlinkat(kernel, target, OpenFlags.AT_FDCWD, path);

    public long Readlink(string path, byte[] buffer) => Sys.Readlinkat(kernel, OpenFlags.AT_FDCWD, path, buffer);

    public long Link(string oldPath, string newPath, int flags) =>
        Sys.Linkat(kernel, OpenFlags.AT_FDCWD, oldPath, OpenFlags.AT_FDCWD, newPath, flags);

    public long Getdents(int fd, byte[] buffer) => Sys.Getdents64(kernel, fd, buffer);

    public long Stat(string path, int flags, out FileFacts facts)
    {
        long result = Sys.Newfstatat(kernel, OpenFlags.AT_FDCWD, path, out Stat stat, flags);
        facts = Facts(stat);
        return result;
    }

    public long Fstat(int fd, out FileFacts facts)
    {
        long result = Sys.Fstat(kernel, fd, out Stat stat);
        facts = Facts(stat);
        return result;
    }

    public long Utimensat(string? path, int fd, long[]? times, int flags)
    {
        Timespec[] pair = times == null ? Array.Empty<Timespec>() : new[] { new Timespec(times[0], times[1]), new Timespec(times[2], times[3]) };
        return Sys.Utimensat(kernel, path == null ? fd : OpenFlags.AT_FDCWD, path, pair, flags);
    }

    public long Access(string path, int mode) => Sys.Faccessat(kernel, OpenFlags.AT_FDCWD, path, mode);

    private static FileFacts Facts(Stat stat) => new FileFacts(stat.Mode, stat.Size, stat.LinkCount, stat.AccessTime.Seconds,
        stat.AccessTime.Nanoseconds, stat.ModifyTime.Seconds, stat.ModifyTime.Nanoseconds);

    public long Dup(int fd) => Sys.Dup(kernel, fd);
}

// Linux: a directory open as root, every path call relative to it (the *at syscalls); or,
// jailed, the same directory made the root of the calling thread (chroot) for the length of
// each call, so that absolute paths, absolute link targets and ".." above the root mean what
// they mean to our kernel, whose ramfs is "/". Files and directories are opened with
// O_NOATIME: the kernel's file systems never move an access time on a read (as a noatime
// mount), and /dev/shm is relatime.
internal sealed class LinuxSide : IFileSide
{
    private readonly int root;
    private readonly LinuxJail? jail;

    public LinuxSide(int root, LinuxJail? jail = null)
    {
        this.root = jail == null ? root : OpenFlags.AT_FDCWD;
        this.jail = jail;
    }

    public long Open(string path, int flags, int mode) => In(() => LinuxFiles.OpenAt(root, path, flags | OpenFlags.O_NOATIME, mode));

    public long OpenAt(int dirfd, string path, int flags, int mode) => In(() => LinuxFiles.OpenAt(dirfd, path, flags | OpenFlags.O_NOATIME, mode));

    public long Close(int fd) => LinuxFiles.Call(LinuxFiles.Close, fd);

    public long Read(int fd, byte[] buffer) => LinuxFiles.ReadFd(fd, buffer);

    public long Write(int fd, byte[] data) => LinuxFiles.WriteFd(fd, data);

    public long Pread(int fd, byte[] buffer, long offset) => LinuxFiles.PreadFd(fd, buffer, offset);

    public long Pwrite(int fd, byte[] data, long offset) => LinuxFiles.PwriteFd(fd, data, offset);

    public long Lseek(int fd, long offset, int whence) => LinuxFiles.Call(LinuxFiles.Lseek, fd, (nint)offset, whence);

    public long Ftruncate(int fd, long length) => LinuxFiles.Call(LinuxFiles.Ftruncate, fd, (nint)length);

    public long Rename(string oldPath, string newPath, int flags) => In(() => LinuxFiles.RenameAt2(root, oldPath, newPath, flags));

    public long Unlink(string path, int flags) => In(() => LinuxFiles.UnlinkAt(root, path, flags));

    public long Mkdir(string path, int mode) => In(() => LinuxFiles.MkdirAt(root, path, mode));

    public long Symlink(string target, string path) => In(() => LinuxFiles.SymlinkAt(target, root, path));

    public long Readlink(string path, byte[] buffer) => In(() => LinuxFiles.ReadlinkAt(root, path, buffer));

    public long Link(string oldPath, string newPath, int flags) => In(() => LinuxFiles.LinkAt(root, oldPath, newPath, flags));

    public long Getdents(int fd, byte[] buffer) => LinuxFiles.Getdents(fd, buffer);

    public long Stat(string path, int flags, out FileFacts facts)
    {
        FileFacts found = default;
        long result = In(() => LinuxFiles.StatAt(root, path, flags, out found));
        facts = found;
        return result;
    }

    public long Fstat(int fd, out FileFacts facts) => LinuxFiles.FstatFd(fd, out facts);

    public long Dup(int fd) => LinuxFiles.Call(LinuxFiles.Dup, fd);

    public long Utimensat(string? path, int fd, long[]? times, int flags) =>
        path == null ? LinuxFiles.Utimensat(fd, null, times, flags) : In(() => LinuxFiles.Utimensat(root, path, times, flags));

    public long Access(string path, int mode) => In(() => LinuxFiles.AccessAt(root, path, mode));

    // Calls that take a path run inside the jail, if there is one.
    private long In(Func<long> call)
    {
        if (jail == null)
        {
            return call();
        }
        jail.Enter();
        try
        {
            return call();
        }
        finally
        {
            jail.Leave();
        }
    }
}

// A directory made the root and working directory of one thread, entered and left around each
// Linux call (chroot(2) needs CAP_SYS_CHROOT). The thread must have its own file-system context
// (LinuxJail.RunOnOwnThread): chroot then changes that thread only, and between calls the thread
// is back at the host's root, so the runtime can load what it needs.
internal sealed class LinuxJail : IDisposable
{
    // NOTE: CLONE_FS from linux/sched.h.
    private const int CLONE_FS = 0x200;

    private readonly int jail;
    private readonly int hostRoot;

    public LinuxJail(int jail)
    {
        this.jail = (int)LinuxFiles.Call(LinuxFiles.Dup, jail);
        hostRoot = (int)LinuxFiles.OpenAt(OpenFlags.AT_FDCWD, "/", OpenFlags.O_RDONLY | OpenFlags.O_DIRECTORY, 0);
        Xunit.Assert.True(this.jail >= 0 && hostRoot >= 0, "cannot hold the jail and the host root open");
    }

    public void Enter()
    {
        Check(fchdir(jail), "fchdir into the jail");
        Check(chroot(LinuxFiles.CString(".")), "chroot into the jail");
    }

    public void Leave()
    {
        Check(fchdir(hostRoot), "fchdir to the host root");
        Check(chroot(LinuxFiles.CString(".")), "chroot back to the host root");
    }

    public void Dispose()
    {
        LinuxFiles.Call(LinuxFiles.Close, jail);
        LinuxFiles.Call(LinuxFiles.Close, hostRoot);
    }

    // Runs body on a new thread with a file-system context of its own (unshare(CLONE_FS)) and
    // the umask 022 the kernel has, and rethrows what it threw.
    public static void RunOnOwnThread(Action body)
    {
        Exception? failure = null;
        Thread thread = new Thread(() =>
        {
            try
            {
                Check(unshare(CLONE_FS), "unshare(CLONE_FS)");
                umask(VfsOpen.Umask);
                body();
            }
            catch (Exception exception)
            {
                failure = exception;
            }
        }, 16 * 1024 * 1024);
        thread.Start();
        thread.Join();
        if (failure != null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(failure).Throw();
        }
    }

    private static void Check(int result, string what)
    {
        if (result != 0)
        {
            throw new InvalidOperationException(what + " failed: errno " + System.Runtime.InteropServices.Marshal.GetLastPInvokeError());
        }
    }

    [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
    private static extern int unshare(int flags);

    [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
    private static extern int umask(int mask);

    [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
    private static extern int chroot(byte[] path);

    [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
    private static extern int fchdir(int fd);
}
