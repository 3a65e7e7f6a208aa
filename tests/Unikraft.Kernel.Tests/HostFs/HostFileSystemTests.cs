namespace Unikraft.Kernel.Tests;

using System;
using System.IO;
using System.Text;
using Xunit;

// hostfs as a file system: every vnode operation reaches the host folder and reports the
// host's errno unchanged.
public class HostFileSystemTests
{
    [Fact]
    public void Operations_ReachTheHostFolder()
    {
        using TempFolder folder = new TempFolder();
        folder.WriteFile("hello.txt", "hello"u8.ToArray());
        using HostFileSystem fileSystem = new HostFileSystem(folder.Path, readOnly: false);
        IVnode root = Mount(fileSystem);

        IVnode hello = VnodeTree.Get(root, "hello.txt");
        Assert.Equal(Stat.S_IFREG, hello.Type);
        Assert.Equal("hello", Encoding.UTF8.GetString(VnodeTree.ReadAll(hello)));

        Assert.Equal(0, root.MakeDirectory("dir", 0x1ED, out IVnode? directory));
        Assert.True(Directory.Exists(folder.Full("dir")));
        Assert.Equal(0, directory!.Create("new.txt", 0x1A4, out IVnode? created));
        Assert.Equal(5, created!.Write(0, "world"u8));
        Assert.Equal(7, created.Write(5, ", again"u8));
        Assert.Equal("world, again", File.ReadAllText(folder.Full("dir/new.txt")));
        Assert.Equal(0, created.SetSize(5));
        Assert.Equal("world", File.ReadAllText(folder.Full("dir/new.txt")));
        Assert.Equal(-Errno.EEXIST, directory.Create("new.txt", 0x1A4, out _));

        Assert.Equal(0, root.MakeSymbolicLink("link", "dir/new.txt", out IVnode? link));
        Assert.Equal(Stat.S_IFLNK, link!.Type);
        Assert.Equal("dir/new.txt", VnodeTree.ReadLink(link));
        Assert.Equal("dir/new.txt", new FileInfo(folder.Full("link")).LinkTarget);

        Assert.Equal(0, root.Rename("hello.txt", directory, "moved.txt"));
        Assert.True(File.Exists(folder.Full("dir/moved.txt")));
        Assert.Equal(-Errno.ENOENT, root.Lookup("hello.txt", out _));

        Assert.Equal(new[] { "d dir", "f dir/moved.txt", "f dir/new.txt", "l link" }, VnodeTree.List(root));

        Assert.Equal(0, created.GetAttributes(out Stat stat));
        Assert.Equal(5, stat.Size);
        Assert.Equal(1, stat.LinkCount);
        Assert.Equal(0, created.SetTimes(new Timespec(1000, 5), new Timespec(2000, 7)));
        Assert.Equal(0, created.GetAttributes(out stat));
        Assert.Equal(2000, stat.ModifyTime.Seconds);

        Assert.Equal(0, root.Unlink("link"));
        Assert.Equal(-Errno.ENOTEMPTY, root.RemoveDirectory("dir"));
        Assert.Equal(0, directory.Unlink("moved.txt"));
        Assert.Equal(0, directory.Unlink("new.txt"));
        Assert.Equal(0, root.RemoveDirectory("dir"));
        Assert.Empty(Directory.GetFileSystemEntries(folder.Path));
    }

    [Fact]
    public void HardLinksMadeInside_ShareTheFile()
    {
        using TempFolder folder = new TempFolder();
        folder.WriteFile("a", "shared"u8.ToArray());
        using HostFileSystem fileSystem = new HostFileSystem(folder.Path, readOnly: false);
        IVnode root = Mount(fileSystem);
        IVnode a = VnodeTree.Get(root, "a");
        Assert.Equal(0, root.Link("b", a));
        Assert.Equal(a.Inode, VnodeTree.Get(root, "b").Inode);
        Assert.Equal("shared", File.ReadAllText(folder.Full("b")));
    }

    [Fact]
    public void MissingFolder_IsAClearBootError()
    {
        KernelException error = Assert.Throws<KernelException>(() => new HostFileSystem("/nonexistent/uk-hostfs", readOnly: true));
        Assert.Contains("/nonexistent/uk-hostfs", error.Message, StringComparison.Ordinal);
        Assert.Equal(Errno.ENOENT, error.Errno);
        Assert.Equal(-Errno.ENOENT, HostFileSystem.TryOpen("/nonexistent/uk-hostfs", true, out HostFileSystem? none));
        Assert.Null(none);
    }

    [Fact]
    public void HostKernel_HasOpenat2()
    {
        // The sandbox needs Linux 5.6; on an older host the mount is refused with ENOSYS.
        using TempFolder folder = new TempFolder();
        Assert.Equal(0, HostFileSystem.TryOpen(folder.Path, true, out HostFileSystem? fileSystem));
        fileSystem!.Dispose();
    }

    internal static IVnode Mount(HostFileSystem fileSystem)
    {
        Assert.Equal(0, fileSystem.Mount(new Kernel(new TestPlatform()), out IVnode? root));
        return root!;
    }
}
