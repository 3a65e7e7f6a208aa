namespace Unikraft.Kernel.Tests;

using System;
using System.Collections.Generic;
using System.Text;
using Xunit;
using static VfsTestKernel;

public class VfsSyscallTests
{
    [Fact]
    public void Openat_MissingFile_ReturnsENOENT()
    {
        Kernel kernel = Boot();
        Assert.Equal(-Errno.ENOENT, Sys.Openat(kernel, AtCwd, "/missing", OpenFlags.O_RDONLY, 0));
        Assert.Equal(-Errno.ENOENT, Sys.Openat(kernel, AtCwd, "/missing/x", OpenFlags.O_RDONLY | OpenFlags.O_CREAT, 0));
        Assert.Equal(-Errno.ENOENT, Sys.Openat(kernel, AtCwd, "", OpenFlags.O_RDONLY, 0));
    }

    [Fact]
    public void Openat_FlagChecks_AsLinux()
    {
        Kernel kernel = Boot();
        WriteFile(kernel, "/f", "x");
        Sys.Mkdirat(kernel, AtCwd, "/d", 0x1ED);
        Sys.Symlinkat(kernel, "f", AtCwd, "/l");

        Assert.Equal(-Errno.EEXIST, Sys.Openat(kernel, AtCwd, "/f", OpenFlags.O_CREAT | OpenFlags.O_EXCL | OpenFlags.O_WRONLY, 0));
        Assert.Equal(-Errno.EISDIR, Sys.Openat(kernel, AtCwd, "/d", OpenFlags.O_WRONLY, 0));
        Assert.Equal(-Errno.EISDIR, Sys.Openat(kernel, AtCwd, "/d", OpenFlags.O_RDONLY | OpenFlags.O_CREAT, 0));
        Assert.Equal(-Errno.ENOTDIR, Sys.Openat(kernel, AtCwd, "/f", OpenFlags.O_RDONLY | OpenFlags.O_DIRECTORY, 0));
        Assert.Equal(-Errno.ENOTDIR, Sys.Openat(kernel, AtCwd, "/f/", OpenFlags.O_RDONLY, 0));
        Assert.Equal(-Errno.ELOOP, Sys.Openat(kernel, AtCwd, "/l", OpenFlags.O_RDONLY | OpenFlags.O_NOFOLLOW, 0));
        Assert.Equal(-Errno.EINVAL, Sys.Openat(kernel, AtCwd, "/n", OpenFlags.O_CREAT | OpenFlags.O_DIRECTORY, 0));
        Assert.True(Sys.Openat(kernel, AtCwd, "/l", OpenFlags.O_RDONLY, 0) >= 3);
    }

    [Fact]
    public void Openat_CreateThroughDanglingSymlink_CreatesTheTarget()
    {
        Kernel kernel = Boot();
        Sys.Symlinkat(kernel, "target", AtCwd, "/link");

        int fd = Open(kernel, "/link", OpenFlags.O_WRONLY | OpenFlags.O_CREAT);

        Assert.True(StatOf(kernel, "/target").IsRegularFile);
        Assert.Equal(-Errno.EEXIST, Sys.Openat(kernel, AtCwd, "/link", OpenFlags.O_WRONLY | OpenFlags.O_CREAT | OpenFlags.O_EXCL, 0));
        Assert.Equal(0, Sys.Close(kernel, fd));
        Assert.Equal(-Errno.EBADF, Sys.Close(kernel, fd));
    }

    [Fact]
    public void Openat_Truncate_EmptiesTheFile()
    {
        Kernel kernel = Boot();
        WriteFile(kernel, "/f", "hello");
        int fd = Open(kernel, "/f", OpenFlags.O_RDONLY | OpenFlags.O_TRUNC);
        Sys.Close(kernel, fd);
        Assert.Equal(0, StatOf(kernel, "/f").Size);
    }

    [Fact]
    public void PathWalk_DotsSlashesAndMounts()
    {
        Kernel kernel = Boot();
        Sys.Mkdirat(kernel, AtCwd, "/a", 0x1ED);
        WriteFile(kernel, "/a/f", "data");

        Assert.Equal("data", ReadFile(kernel, "//a///./f"));
        Assert.Equal("data", ReadFile(kernel, "/a/../a/f"));
        Assert.Equal("data", ReadFile(kernel, "/../../a/f"));
        Assert.Equal("data", ReadFile(kernel, "/dev/../a/f"));
        Assert.True(StatOf(kernel, "/a/").IsDirectory);
        Assert.Equal(StatOf(kernel, "/").Inode, StatOf(kernel, "/dev/..").Inode);
        Assert.NotEqual(StatOf(kernel, "/").Device, StatOf(kernel, "/dev").Device);
    }

    [Fact]
    public void PathWalk_Limits_AsLinux()
    {
        Kernel kernel = Boot();
        Assert.Equal(-Errno.ENAMETOOLONG, Sys.Openat(kernel, AtCwd, "/" + new string('n', 256), OpenFlags.O_RDONLY, 0));
        Assert.Equal(-Errno.ENOENT, Sys.Openat(kernel, AtCwd, "/" + new string('n', 255), OpenFlags.O_RDONLY, 0));
        StringBuilder longPath = new StringBuilder("/");
        while (longPath.Length < 4095)
        {
            longPath.Append("a/");
        }
        Assert.Equal(4095, longPath.Length);
        Assert.Equal(-Errno.ENOENT, Sys.Openat(kernel, AtCwd, longPath.ToString(), OpenFlags.O_RDONLY, 0));
        Assert.Equal(-Errno.ENAMETOOLONG, Sys.Openat(kernel, AtCwd, longPath.Append('a').ToString(), OpenFlags.O_RDONLY, 0));
        Assert.Equal(-Errno.EINVAL, Sys.Openat(kernel, AtCwd, "/a\0b", OpenFlags.O_RDONLY, 0));
    }

    [Fact]
    public void PathWalk_SymlinkLoops_ReturnELOOP_AfterForty()
    {
        Kernel kernel = Boot();
        WriteFile(kernel, "/f", "end");
        Sys.Symlinkat(kernel, "loop", AtCwd, "/loop");
        Assert.Equal(-Errno.ELOOP, Sys.Openat(kernel, AtCwd, "/loop", OpenFlags.O_RDONLY, 0));

        Sys.Symlinkat(kernel, "f", AtCwd, "/l0");
        for (int index = 1; index <= 41; index++)
        {
            Sys.Symlinkat(kernel, "l" + (index - 1), AtCwd, "/l" + index);
        }
        Assert.Equal("end", ReadFile(kernel, "/l39"));
        Assert.Equal(-Errno.ELOOP, Sys.Openat(kernel, AtCwd, "/l40", OpenFlags.O_RDONLY, 0));
    }

    [Fact]
    public void ReadWriteSeek_PastEnd_FillsWithZeros()
    {
        Kernel kernel = Boot();
        int fd = Open(kernel, "/f", OpenFlags.O_RDWR | OpenFlags.O_CREAT);
        Assert.Equal(3, Sys.Write(kernel, fd, "abc"u8));
        Assert.Equal(10, Sys.Lseek(kernel, fd, 10, OpenFlags.SEEK_SET));
        Assert.Equal(1, Sys.Write(kernel, fd, "z"u8));
        Assert.Equal(11, StatOf(kernel, "/f").Size);
        Assert.Equal(0, Sys.Lseek(kernel, fd, 0, OpenFlags.SEEK_SET));
        byte[] buffer = new byte[32];
        Assert.Equal(11, Sys.Read(kernel, fd, buffer));
        Assert.Equal("abc\0\0\0\0\0\0\0z", Encoding.ASCII.GetString(buffer, 0, 11));
        Assert.Equal(0, Sys.Read(kernel, fd, buffer));
        Assert.Equal(-Errno.EINVAL, Sys.Lseek(kernel, fd, -1, OpenFlags.SEEK_SET));
        Assert.Equal(-Errno.EINVAL, Sys.Lseek(kernel, fd, 0, 9));
        Assert.Equal(20, Sys.Lseek(kernel, fd, 9, OpenFlags.SEEK_END));
    }

    [Fact]
    public void PreadPwrite_LeaveThePosition()
    {
        Kernel kernel = Boot();
        int fd = Open(kernel, "/f", OpenFlags.O_RDWR | OpenFlags.O_CREAT);
        Assert.Equal(5, Sys.Pwrite64(kernel, fd, "hello"u8, 2));
        Assert.Equal(0, Sys.Lseek(kernel, fd, 0, OpenFlags.SEEK_CUR));
        byte[] buffer = new byte[3];
        Assert.Equal(3, Sys.Pread64(kernel, fd, buffer, 4));
        Assert.Equal("llo", Encoding.ASCII.GetString(buffer));
        Assert.Equal(-Errno.EINVAL, Sys.Pread64(kernel, fd, buffer, -1));
        Assert.Equal(-Errno.ESPIPE, Sys.Pread64(kernel, 1, buffer, 0));
    }

    [Fact]
    public void Append_WritesAtTheEnd()
    {
        Kernel kernel = Boot();
        WriteFile(kernel, "/f", "ab");
        int fd = Open(kernel, "/f", OpenFlags.O_WRONLY | OpenFlags.O_APPEND);
        Sys.Lseek(kernel, fd, 0, OpenFlags.SEEK_SET);
        Sys.Write(kernel, fd, "cd"u8);
        Sys.Pwrite64(kernel, fd, "ef"u8, 0);
        Assert.Equal("abcdef", ReadFile(kernel, "/f"));
    }

    [Fact]
    public void ReadvWritev_GatherAndScatter()
    {
        Kernel kernel = Boot();
        int fd = Open(kernel, "/f", OpenFlags.O_RDWR | OpenFlags.O_CREAT);
        ReadOnlyMemory<byte>[] parts = { "ab"u8.ToArray(), "cde"u8.ToArray() };
        Assert.Equal(5, Sys.Writev(kernel, fd, parts));
        Sys.Lseek(kernel, fd, 0, OpenFlags.SEEK_SET);
        Memory<byte>[] buffers = { new byte[1], new byte[10] };
        Assert.Equal(5, Sys.Readv(kernel, fd, buffers));
        Assert.Equal("bcde", Encoding.ASCII.GetString(buffers[1].Span.Slice(0, 4)));
    }

    [Fact]
    public void Stat_LinkCounts_AsLinux()
    {
        Kernel kernel = Boot();
        Sys.Mkdirat(kernel, AtCwd, "/d", 0x1ED);
        Sys.Mkdirat(kernel, AtCwd, "/d/e", 0x1ED);
        WriteFile(kernel, "/d/f", "x");
        Assert.Equal(0, Sys.Linkat(kernel, AtCwd, "/d/f", AtCwd, "/g", 0));

        Assert.Equal(3, StatOf(kernel, "/d").LinkCount);
        Assert.Equal(2, StatOf(kernel, "/d/e").LinkCount);
        Assert.Equal(2, StatOf(kernel, "/g").LinkCount);
        Assert.Equal(StatOf(kernel, "/g").Inode, StatOf(kernel, "/d/f").Inode);
        Sys.Symlinkat(kernel, "g", AtCwd, "/s");
        Assert.True(StatOf(kernel, "/s", OpenFlags.AT_SYMLINK_NOFOLLOW).IsSymbolicLink);
        Assert.Equal(1, StatOf(kernel, "/s", OpenFlags.AT_SYMLINK_NOFOLLOW).Size);
        Assert.True(StatOf(kernel, "/s").IsRegularFile);
        Assert.Equal(0, Sys.Statx(kernel, AtCwd, "/d", 0, 0x7FF, out Stat statx));
        Assert.Equal(3, statx.LinkCount);
        int fd = Open(kernel, "/g", OpenFlags.O_RDONLY);
        Assert.Equal(0, Sys.Fstat(kernel, fd, out Stat fstat));
        Assert.Equal(1, fstat.Size);
        Assert.Equal(0, Sys.Fstat(kernel, 1, out Stat console));
        Assert.Equal(Stat.S_IFCHR, console.Type);
    }

    [Fact]
    public void Getdents64_ListsDotAndDotDotAndEveryEntry()
    {
        Kernel kernel = Boot();
        Sys.Mkdirat(kernel, AtCwd, "/d", 0x1ED);
        WriteFile(kernel, "/d/file", "x");
        Sys.Mkdirat(kernel, AtCwd, "/d/sub", 0x1ED);
        int fd = Open(kernel, "/d", OpenFlags.O_RDONLY | OpenFlags.O_DIRECTORY);

        Assert.Equal(-Errno.EINVAL, Sys.Getdents64(kernel, fd, new byte[10]));
        List<string> names = new List<string>();
        byte[] buffer = new byte[48];
        long read;
        while ((read = Sys.Getdents64(kernel, fd, buffer)) > 0)
        {
            names.AddRange(LinuxFiles.DirentNames(buffer.AsSpan(0, (int)read)));
        }

        Assert.Equal(0, read);
        // NOTE: newest first, as tmpfs lists.
        Assert.Equal(new[] { ".", "..", "sub", "file" }, names);
        Assert.Equal(-Errno.ENOTDIR, Sys.Getdents64(kernel, Open(kernel, "/d/file", OpenFlags.O_RDONLY), buffer));
        Assert.Equal(-Errno.EISDIR, Sys.Read(kernel, fd, buffer));
    }

    [Fact]
    public void MkdirUnlinkRmdir_Errors_AsLinux()
    {
        Kernel kernel = Boot();
        Sys.Mkdirat(kernel, AtCwd, "/d", 0x1ED);
        WriteFile(kernel, "/d/f", "x");
        Assert.Equal(-Errno.EEXIST, Sys.Mkdirat(kernel, AtCwd, "/d", 0x1ED));
        Assert.Equal(-Errno.EEXIST, Sys.Mkdirat(kernel, AtCwd, "/", 0x1ED));
        Assert.Equal(-Errno.ENOENT, Sys.Mkdirat(kernel, AtCwd, "/x/y", 0x1ED));
        Assert.Equal(-Errno.ENOTEMPTY, Sys.Unlinkat(kernel, AtCwd, "/d", OpenFlags.AT_REMOVEDIR));
        Assert.Equal(-Errno.EISDIR, Sys.Unlinkat(kernel, AtCwd, "/d", 0));
        Assert.Equal(-Errno.ENOTDIR, Sys.Unlinkat(kernel, AtCwd, "/d/f", OpenFlags.AT_REMOVEDIR));
        Assert.Equal(-Errno.ENOTDIR, Sys.Unlinkat(kernel, AtCwd, "/d/f/", 0));
        Assert.Equal(-Errno.EINVAL, Sys.Unlinkat(kernel, AtCwd, "/d/.", OpenFlags.AT_REMOVEDIR));
        Assert.Equal(-Errno.EBUSY, Sys.Unlinkat(kernel, AtCwd, "/dev", OpenFlags.AT_REMOVEDIR));
        Assert.Equal(-Errno.EINVAL, Sys.Unlinkat(kernel, AtCwd, "/d/f", 0x8));
        Assert.Equal(0, Sys.Unlinkat(kernel, AtCwd, "/d/f", 0));
        Assert.Equal(0, Sys.Unlinkat(kernel, AtCwd, "/d", OpenFlags.AT_REMOVEDIR));
        Assert.Equal(3, StatOf(kernel, "/").LinkCount);
    }

    [Fact]
    public void Renameat2_AsLinux()
    {
        Kernel kernel = Boot();
        WriteFile(kernel, "/a", "A");
        WriteFile(kernel, "/b", "B");
        Sys.Mkdirat(kernel, AtCwd, "/d", 0x1ED);
        Sys.Mkdirat(kernel, AtCwd, "/e", 0x1ED);
        Sys.Mkdirat(kernel, AtCwd, "/full", 0x1ED);
        WriteFile(kernel, "/full/x", "x");

        Assert.Equal(-Errno.EEXIST, Sys.Renameat2(kernel, AtCwd, "/a", AtCwd, "/b", OpenFlags.RENAME_NOREPLACE));
        Assert.Equal(0, Sys.Renameat2(kernel, AtCwd, "/a", AtCwd, "/b", 0));
        Assert.Equal("A", ReadFile(kernel, "/b"));
        Assert.Equal(-Errno.EISDIR, Sys.Renameat2(kernel, AtCwd, "/b", AtCwd, "/d", 0));
        Assert.Equal(-Errno.ENOTDIR, Sys.Renameat2(kernel, AtCwd, "/d", AtCwd, "/b", 0));
        Assert.Equal(-Errno.EINVAL, Sys.Renameat2(kernel, AtCwd, "/d", AtCwd, "/d/inner", 0));
        Assert.Equal(-Errno.ENOTEMPTY, Sys.Renameat2(kernel, AtCwd, "/d", AtCwd, "/full", 0));
        Assert.Equal(0, Sys.Renameat2(kernel, AtCwd, "/d", AtCwd, "/e", 0));
        Assert.Equal(-Errno.ENOENT, Sys.Renameat2(kernel, AtCwd, "/d", AtCwd, "/x", 0));
        Assert.Equal(-Errno.EXDEV, Sys.Renameat2(kernel, AtCwd, "/b", AtCwd, "/dev/b", 0));
        Assert.Equal(-Errno.EINVAL, Sys.Renameat2(kernel, AtCwd, "/b", AtCwd, "/c", 64));
    }

    [Fact]
    public void Ftruncate_AsLinux()
    {
        Kernel kernel = Boot();
        WriteFile(kernel, "/f", "hello");
        int readOnly = Open(kernel, "/f", OpenFlags.O_RDONLY);
        int writable = Open(kernel, "/f", OpenFlags.O_WRONLY);
        Assert.Equal(-Errno.EINVAL, Sys.Ftruncate(kernel, readOnly, 1));
        Assert.Equal(-Errno.EINVAL, Sys.Ftruncate(kernel, writable, -1));
        Assert.Equal(-Errno.EBADF, Sys.Ftruncate(kernel, 99, 1));
        Assert.Equal(0, Sys.Ftruncate(kernel, writable, 2));
        Assert.Equal("he", ReadFile(kernel, "/f"));
        Assert.Equal(0, Sys.Fsync(kernel, writable));
        Assert.Equal(0, Sys.Fdatasync(kernel, writable));
        Assert.Equal(-Errno.EINVAL, Sys.Fsync(kernel, 1));
    }

    [Fact]
    public void DupAndFcntl_ShareTheDescription()
    {
        Kernel kernel = Boot();
        WriteFile(kernel, "/f", "abcdef");
        int fd = Open(kernel, "/f", OpenFlags.O_RDONLY | OpenFlags.O_CLOEXEC);
        long copy = Sys.Dup(kernel, fd);
        Sys.Read(kernel, fd, new byte[2]);
        Assert.Equal(2, Sys.Lseek(kernel, (int)copy, 0, OpenFlags.SEEK_CUR));
        Assert.Equal(OpenFlags.FD_CLOEXEC, Sys.Fcntl(kernel, fd, OpenFlags.F_GETFD, 0));
        Assert.Equal(0, Sys.Fcntl(kernel, (int)copy, OpenFlags.F_GETFD, 0));
        Assert.Equal(10, Sys.Fcntl(kernel, fd, OpenFlags.F_DUPFD, 10));
        Assert.Equal(11, Sys.Fcntl(kernel, fd, OpenFlags.F_DUPFD_CLOEXEC, 10));
        Assert.Equal(OpenFlags.FD_CLOEXEC, Sys.Fcntl(kernel, 11, OpenFlags.F_GETFD, 0));
        Assert.Equal(0, Sys.Fcntl(kernel, fd, OpenFlags.F_SETFL, OpenFlags.O_APPEND));
        Assert.Equal(OpenFlags.O_APPEND | OpenFlags.O_LARGEFILE, Sys.Fcntl(kernel, (int)copy, OpenFlags.F_GETFL, 0));
        Assert.Equal(20, Sys.Dup3(kernel, fd, 20, OpenFlags.O_CLOEXEC));
        Assert.Equal(-Errno.EINVAL, Sys.Dup3(kernel, fd, fd, 0));
        Assert.Equal(-Errno.EBADF, Sys.Dup3(kernel, 99, 21, 0));
        Assert.Equal(-Errno.EBADF, Sys.Dup(kernel, 99));
        Assert.Equal(-Errno.EINVAL, Sys.Fcntl(kernel, fd, 999, 0));
    }

    [Fact]
    public void GetcwdChdir_AsLinux()
    {
        Kernel kernel = Boot();
        Sys.Mkdirat(kernel, AtCwd, "/work", 0x1ED);
        WriteFile(kernel, "/work/f", "here");
        byte[] buffer = new byte[64];
        Assert.Equal(2, Sys.Getcwd(kernel, buffer));
        Assert.Equal(0, Sys.Chdir(kernel, "work"));
        Assert.Equal(6, Sys.Getcwd(kernel, buffer));
        Assert.Equal("/work\0", Encoding.ASCII.GetString(buffer, 0, 6));
        Assert.Equal(-Errno.ERANGE, Sys.Getcwd(kernel, new byte[5]));
        Assert.Equal("here", ReadFile(kernel, "f"));
        Assert.Equal(-Errno.ENOTDIR, Sys.Chdir(kernel, "f"));
        Assert.Equal(-Errno.ENOENT, Sys.Chdir(kernel, "missing"));
    }

    [Fact]
    public void Readlinkat_NoNulAndCut()
    {
        Kernel kernel = Boot();
        WriteFile(kernel, "/f", "x");
        Sys.Symlinkat(kernel, "target/path", AtCwd, "/l");
        byte[] buffer = new byte[6];
        Assert.Equal(6, Sys.Readlinkat(kernel, AtCwd, "/l", buffer));
        Assert.Equal("target", Encoding.ASCII.GetString(buffer));
        Assert.Equal(-Errno.EINVAL, Sys.Readlinkat(kernel, AtCwd, "/f", buffer));
        Assert.Equal(-Errno.EINVAL, Sys.Readlinkat(kernel, AtCwd, "/l", Span<byte>.Empty));
        Assert.Equal(-Errno.ENOENT, Sys.Symlinkat(kernel, "", AtCwd, "/empty"));
        Assert.Equal(-Errno.EEXIST, Sys.Symlinkat(kernel, "x", AtCwd, "/l"));
    }

    [Fact]
    public void Linkat_Errors_AsLinux()
    {
        Kernel kernel = Boot();
        Sys.Mkdirat(kernel, AtCwd, "/d", 0x1ED);
        WriteFile(kernel, "/f", "x");
        Assert.Equal(-Errno.EPERM, Sys.Linkat(kernel, AtCwd, "/d", AtCwd, "/d2", 0));
        Assert.Equal(-Errno.EEXIST, Sys.Linkat(kernel, AtCwd, "/f", AtCwd, "/d", 0));
        Assert.Equal(-Errno.EXDEV, Sys.Linkat(kernel, AtCwd, "/f", AtCwd, "/dev/f", 0));
        Assert.Equal(-Errno.ENOENT, Sys.Linkat(kernel, AtCwd, "/missing", AtCwd, "/g", 0));
    }

    [Fact]
    public void Utimensat_SetsTimes_AndFaccessat_Checks()
    {
        Kernel kernel = Boot();
        WriteFile(kernel, "/f", "x");
        Timespec[] times = { new Timespec(100, 5), new Timespec(0, OpenFlags.UTIME_OMIT) };
        Stat before = StatOf(kernel, "/f");
        Assert.Equal(0, Sys.Utimensat(kernel, AtCwd, "/f", times, 0));
        Stat after = StatOf(kernel, "/f");
        Assert.Equal(100, after.AccessTime.Seconds);
        Assert.Equal(before.ModifyTime.Seconds, after.ModifyTime.Seconds);
        Assert.Equal(-Errno.EINVAL, Sys.Utimensat(kernel, AtCwd, "/f", new[] { new Timespec(0, -5), new Timespec(0, 0) }, 0));
        Assert.Equal(0, Sys.Faccessat(kernel, AtCwd, "/f", OpenFlags.R_OK | OpenFlags.W_OK));
        Assert.Equal(-Errno.EACCES, Sys.Faccessat(kernel, AtCwd, "/f", OpenFlags.X_OK));
        Assert.Equal(-Errno.ENOENT, Sys.Faccessat(kernel, AtCwd, "/g", OpenFlags.F_OK));
        Assert.Equal(-Errno.EINVAL, Sys.Faccessat(kernel, AtCwd, "/f", 8));
    }

    [Fact]
    public void ReadOnlyMount_RefusesWrites_WithEROFS()
    {
        Kernel kernel = TestKernel.Boot(out _);
        RamFileSystem root = new RamFileSystem(1 << 20);
        VfsMounts.Mount(kernel, "/", root, false);
        WriteFile(kernel, "/f", "x");
        Sys.Mkdirat(kernel, AtCwd, "/ro", 0x1ED);
        RamFileSystem inner = new RamFileSystem(1 << 20);
        VfsMounts.Mount(kernel, "/ro", inner, true);

        Assert.Equal(-Errno.EROFS, Sys.Openat(kernel, AtCwd, "/ro/new", OpenFlags.O_WRONLY | OpenFlags.O_CREAT, 0x1A4));
        Assert.Equal(-Errno.EROFS, Sys.Mkdirat(kernel, AtCwd, "/ro/d", 0x1ED));
        Assert.Equal(-Errno.EROFS, Sys.Unlinkat(kernel, AtCwd, "/ro/x", 0));
        Assert.Equal(-Errno.EROFS, Sys.Symlinkat(kernel, "x", AtCwd, "/ro/l"));
        Assert.True(Sys.Openat(kernel, AtCwd, "/ro", OpenFlags.O_RDONLY, 0) >= 0);
    }

    [Fact]
    public void ReadOnlyMount_ExistingFile_OpensForReadingOnly()
    {
        RamFileSystem shared = new RamFileSystem(1 << 20);
        Kernel writer = TestKernel.Boot(out _);
        VfsMounts.Mount(writer, "/", shared, false);
        WriteFile(writer, "/f", "kept");

        Kernel reader = TestKernel.Boot(out _);
        VfsMounts.Mount(reader, "/", shared, true);

        Assert.Equal("kept", ReadFile(reader, "/f"));
        Assert.Equal(-Errno.EROFS, Sys.Openat(reader, AtCwd, "/f", OpenFlags.O_WRONLY, 0));
        Assert.Equal(-Errno.EROFS, Sys.Openat(reader, AtCwd, "/f", OpenFlags.O_RDONLY | OpenFlags.O_TRUNC, 0));
        Assert.Equal(-Errno.EROFS, Sys.Unlinkat(reader, AtCwd, "/f", 0));
        Assert.Equal(-Errno.EROFS, Sys.Renameat2(reader, AtCwd, "/f", AtCwd, "/g", 0));
        Assert.Equal(-Errno.EROFS, Sys.Utimensat(reader, AtCwd, "/f", ReadOnlySpan<Timespec>.Empty, 0));
        Assert.Equal(-Errno.EROFS, Sys.Faccessat(reader, AtCwd, "/f", OpenFlags.W_OK));
        Assert.Equal(-Errno.EEXIST, Sys.Mkdirat(reader, AtCwd, "/f", 0x1ED));
    }

    [Fact]
    public void AbsoluteSymlink_CrossesIntoAnotherMount()
    {
        Kernel kernel = Boot(out TestPlatform platform);
        Sys.Symlinkat(kernel, "/dev/stdout", AtCwd, "/out");
        int fd = Open(kernel, "/out", OpenFlags.O_WRONLY);
        Sys.Write(kernel, fd, "via link"u8);
        Assert.Equal("via link", platform.Console.OutputText);
        Assert.Equal(Stat.S_IFCHR, StatOf(kernel, "/out").Type);
        Assert.Equal(StatOf(kernel, "/dev").Device, StatOf(kernel, "/out").Device);
    }

    [Fact]
    public void Mount_BadMountPoints_ThrowAtBoot()
    {
        Kernel kernel = TestKernel.Boot(out _);
        Assert.Throws<KernelException>(() => VfsMounts.Mount(kernel, "/data", new RamFileSystem(1), false));
        VfsMounts.Mount(kernel, "/", new RamFileSystem(1 << 10), false);
        Assert.Throws<KernelException>(() => VfsMounts.Mount(kernel, "relative", new RamFileSystem(1), false));
        Assert.Throws<KernelException>(() => VfsMounts.Mount(kernel, "/", new RamFileSystem(1), false));
        Assert.Throws<KernelException>(() => VfsMounts.Mount(kernel, "/x/../y", new RamFileSystem(1), false));
        WriteFile(kernel, "/file", "x");
        Assert.Throws<KernelException>(() => VfsMounts.Mount(kernel, "/file", new RamFileSystem(1), false));
        Assert.Throws<KernelException>(() => VfsMounts.Mount(kernel, "/file/below", new RamFileSystem(1), false));
        Sys.Mkdirat(kernel, AtCwd, "/data", 0x1ED);
        VfsMounts.Mount(kernel, "/data", new RamFileSystem(1), false);
        Assert.Throws<KernelException>(() => VfsMounts.Mount(kernel, "/data", new RamFileSystem(1), false));
    }
}
