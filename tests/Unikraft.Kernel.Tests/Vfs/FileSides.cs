namespace Unikraft.Kernel.Tests;

using System;

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

    long Stat(string path, int flags, out int mode, out long size, out long linkCount);

    long Fstat(int fd, out int mode, out long size, out long linkCount);

    long Dup(int fd);
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

    public long Stat(string path, int flags, out int mode, out long size, out long linkCount)
    {
        long result = Sys.Newfstatat(kernel, OpenFlags.AT_FDCWD, path, out Stat stat, flags);
        mode = stat.Mode;
        size = stat.Size;
        linkCount = stat.LinkCount;
        return result;
    }

    public long Fstat(int fd, out int mode, out long size, out long linkCount)
    {
        long result = Sys.Fstat(kernel, fd, out Stat stat);
        mode = stat.Mode;
        size = stat.Size;
        linkCount = stat.LinkCount;
        return result;
    }

    public long Dup(int fd) => Sys.Dup(kernel, fd);
}

// Linux: a directory open as root, every path call relative to it (the *at syscalls).
internal sealed class LinuxSide : IFileSide
{
    private readonly int root;

    public LinuxSide(int root)
    {
        this.root = root;
    }

    public long Open(string path, int flags, int mode) => LinuxFiles.OpenAt(root, path, flags, mode);

    public long OpenAt(int dirfd, string path, int flags, int mode) => LinuxFiles.OpenAt(dirfd, path, flags, mode);

    public long Close(int fd) => LinuxFiles.Call(LinuxFiles.Close, fd);

    public long Read(int fd, byte[] buffer) => LinuxFiles.ReadFd(fd, buffer);

    public long Write(int fd, byte[] data) => LinuxFiles.WriteFd(fd, data);

    public long Pread(int fd, byte[] buffer, long offset) => LinuxFiles.PreadFd(fd, buffer, offset);

    public long Pwrite(int fd, byte[] data, long offset) => LinuxFiles.PwriteFd(fd, data, offset);

    public long Lseek(int fd, long offset, int whence) => LinuxFiles.Call(LinuxFiles.Lseek, fd, (nint)offset, whence);

    public long Ftruncate(int fd, long length) => LinuxFiles.Call(LinuxFiles.Ftruncate, fd, (nint)length);

    public long Rename(string oldPath, string newPath, int flags) => LinuxFiles.RenameAt2(root, oldPath, newPath, flags);

    public long Unlink(string path, int flags) => LinuxFiles.UnlinkAt(root, path, flags);

    public long Mkdir(string path, int mode) => LinuxFiles.MkdirAt(root, path, mode);

    public long Symlink(string target, string path) => LinuxFiles.SymlinkAt(target, root, path);

    public long Readlink(string path, byte[] buffer) => LinuxFiles.ReadlinkAt(root, path, buffer);

    public long Link(string oldPath, string newPath, int flags) => LinuxFiles.LinkAt(root, oldPath, newPath, flags);

    public long Getdents(int fd, byte[] buffer) => LinuxFiles.Getdents(fd, buffer);

    public long Stat(string path, int flags, out int mode, out long size, out long linkCount) =>
        LinuxFiles.StatAt(root, path, flags, out mode, out size, out linkCount);

    public long Fstat(int fd, out int mode, out long size, out long linkCount) =>
        LinuxFiles.FstatFd(fd, out mode, out size, out linkCount);

    public long Dup(int fd) => LinuxFiles.Call(LinuxFiles.Dup, fd);
}
