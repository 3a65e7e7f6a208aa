namespace Unikraft.Kernel.Tests;

using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using Xunit;

// initrd and hostfs mounted as the generated boot mounts them, used through the syscalls: the
// VFS follows symbolic links in the kernel's own name space, so links the host planted in a
// hostfs folder can never name a host path.
public sealed class MountedFileSystemsTests : IDisposable
{
    private readonly TempFolder baseFolder = new TempFolder();
    private readonly string sandbox;

    public MountedFileSystemsTests()
    {
        sandbox = baseFolder.Full("sandbox");
        Directory.CreateDirectory(Path.Combine(sandbox, "a"));
        Directory.CreateDirectory(baseFolder.Full("sibling"));
        File.WriteAllText(baseFolder.Full("sibling/secret.txt"), "secret");
        File.WriteAllText(Path.Combine(sandbox, "a", "file.txt"), "inside");
        File.CreateSymbolicLink(Path.Combine(sandbox, "abs-secret"), baseFolder.Full("sibling/secret.txt"));
        File.CreateSymbolicLink(Path.Combine(sandbox, "rel-out"), "../sibling/secret.txt");
        File.CreateSymbolicLink(Path.Combine(sandbox, "proc-root"), "/proc/self/root");
        File.CreateSymbolicLink(Path.Combine(sandbox, "dangling-out"), "../sibling/created");
        File.CreateSymbolicLink(Path.Combine(sandbox, "to-a"), "a");
    }

    public void Dispose() => baseFolder.Dispose();

    [Fact]
    public void HostFsAtRoot_PathsAndPlantedLinksStayInside()
    {
        Kernel kernel = TestKernel.Boot(out _);
        using HostFileSystem hostFileSystem = new HostFileSystem(sandbox, readOnly: false);
        VfsMounts.Mount(kernel, "/", hostFileSystem, false);

        Assert.Equal("inside", ReadFile(kernel, "a/file.txt"));
        Assert.Equal("inside", ReadFile(kernel, "/to-a/file.txt"));
        Assert.Equal("inside", ReadFile(kernel, "/../../a/../a/file.txt"));
        foreach (string path in new[]
        {
            "/../sibling/secret.txt", "../../sibling/secret.txt", "abs-secret", "rel-out", "proc-root/etc/passwd",
            "proc-root/" + baseFolder.Full("sibling/secret.txt"), "a/../../sibling/secret.txt",
        })
        {
            Assert.Equal(-Errno.ENOENT, Sys.Openat(kernel, OpenFlags.AT_FDCWD, path, OpenFlags.O_RDONLY, 0));
        }
        // O_CREAT through a dangling link: the VFS resolves "../sibling/created" from "/", whose
        // parent is "/" itself, and there is no /sibling.
        Assert.Equal(-Errno.ENOENT, Sys.Openat(kernel, OpenFlags.AT_FDCWD, "dangling-out", OpenFlags.O_CREAT | OpenFlags.O_WRONLY, 0x1A4));
        Assert.False(File.Exists(baseFolder.Full("sibling/created")));
        Assert.Equal("secret", File.ReadAllText(baseFolder.Full("sibling/secret.txt")));
    }

    [Fact]
    public void Fsync_OnHostFs_SyncsTheHostFile_AndIsEinvalOnTheConsole()
    {
        Kernel kernel = TestKernel.Boot(out _);
        using HostFileSystem hostFileSystem = new HostFileSystem(sandbox, readOnly: false);
        VfsMounts.Mount(kernel, "/", hostFileSystem, false);

        int fd = (int)Sys.Openat(kernel, OpenFlags.AT_FDCWD, "/a/synced.txt", OpenFlags.O_CREAT | OpenFlags.O_WRONLY, 0x1A4);
        Assert.True(fd >= 0);
        Assert.Equal(4, Sys.Write(kernel, fd, "sync"u8));
        Assert.Equal(0, Sys.Fsync(kernel, fd));
        Assert.Equal(0, Sys.Fdatasync(kernel, fd));
        Assert.Equal("sync", File.ReadAllText(Path.Combine(sandbox, "a", "synced.txt")));
        Assert.Equal(0, Sys.Close(kernel, fd));
        Assert.Equal(-Errno.EBADF, Sys.Fsync(kernel, fd));
        Assert.Equal(-Errno.EINVAL, Sys.Fsync(kernel, 1));
    }

    [Fact]
    public void InitrdAtRoot_HostFsBelow_ReadOnlyRefusesWrites()
    {
        Kernel kernel = TestKernel.Boot(out _);
        VfsMounts.Mount(kernel, "/", InitrdLoader.FromResource(typeof(MountedFileSystemsTests).Assembly, "initrd-sample.cpio", 1 << 20), false);
        using HostFileSystem hostFileSystem = new HostFileSystem(sandbox, readOnly: true);
        VfsMounts.Mount(kernel, "/d", hostFileSystem, true);

        Assert.Equal("hello\n", ReadFile(kernel, "/a.txt"));
        Assert.Equal("inside", ReadFile(kernel, "/d/a/file.txt"));
        // ".." from the hostfs root is the initrd's root, never the host folder's parent.
        Assert.Equal("hello\n", ReadFile(kernel, "/d/../a.txt"));
        Assert.Equal(-Errno.EROFS, Sys.Openat(kernel, OpenFlags.AT_FDCWD, "/d/new.txt", OpenFlags.O_CREAT | OpenFlags.O_WRONLY, 0x1A4));
        Assert.Equal(-Errno.EROFS, Sys.Mkdirat(kernel, OpenFlags.AT_FDCWD, "/d/newdir", 0x1ED));
        Assert.False(File.Exists(Path.Combine(sandbox, "new.txt")));
    }

    // getdents64 on a hostfs folder lists every name, in buffers large and small. On ext4 (this
    // machine's and CI's /tmp) the host's cookies are 63-bit hashes of the names and the last is
    // LLONG_MAX: a listing that took a cookie past S32_MAX for its end stopped after one name.
    [Fact]
    public void Getdents64_OnHostFs_ListsEveryName_WhateverTheHostsCookies()
    {
        string many = Path.Combine(sandbox, "many");
        Directory.CreateDirectory(many);
        var expected = new List<string> { ".", ".." };
        for (int i = 0; i < 30; i++)
        {
            File.WriteAllText(Path.Combine(many, "file" + i + ".log"), "x");
            expected.Add("file" + i + ".log");
        }
        Kernel kernel = TestKernel.Boot(out _);
        using HostFileSystem hostFileSystem = new HostFileSystem(sandbox, readOnly: false);
        VfsMounts.Mount(kernel, "/", hostFileSystem, false);

        foreach (int size in new[] { 4096, 64 })
        {
            int fd = (int)Sys.Openat(kernel, OpenFlags.AT_FDCWD, "/many", OpenFlags.O_RDONLY | OpenFlags.O_DIRECTORY, 0);
            Assert.True(fd >= 0, Errno.Name(-fd));
            var names = new List<string>();
            byte[] buffer = new byte[size];
            long read;
            while ((read = Sys.Getdents64(kernel, fd, buffer)) > 0)
            {
                names.AddRange(LinuxFiles.DirentNames(buffer.AsSpan(0, (int)read)));
            }
            Assert.Equal(0, read);
            Assert.Equal(expected.Order(StringComparer.Ordinal), names.Order(StringComparer.Ordinal));
            // At the end the listing stays at the end.
            Assert.Equal(0, Sys.Getdents64(kernel, fd, buffer));
            Assert.Equal(0, Sys.Close(kernel, fd));
        }
    }

    private static string ReadFile(Kernel kernel, string path)
    {
        long fd = Sys.Openat(kernel, OpenFlags.AT_FDCWD, path, OpenFlags.O_RDONLY, 0);
        Assert.True(fd >= 0, path + ": " + Errno.Name((int)-fd));
        byte[] buffer = new byte[4096];
        long read = Sys.Read(kernel, (int)fd, buffer);
        Sys.Close(kernel, (int)fd);
        Assert.True(read >= 0, path + ": read " + read);
        return Encoding.UTF8.GetString(buffer, 0, (int)read);
    }
}
