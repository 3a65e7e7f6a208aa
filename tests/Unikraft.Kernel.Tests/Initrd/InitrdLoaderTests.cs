namespace Unikraft.Kernel.Tests;

using System;
using System.Collections.Generic;
using System.IO;
using System.Text;
using Xunit;

// Unpacking archives into a ramfs: archives the system's GNU cpio wrote, archives our writer
// wrote, and broken archives, each refused with a clear errno before anything is written.
public class InitrdLoaderTests
{
    private static readonly string[] SampleListing =
    {
        "d bin", "d dir", "d dir/nested", "d dir/nested/deep", "d dir/nested/empty", "f bin/all-bytes", "f bin/large",
        "f dir/nested/deep/leaf.txt", "f hard-a", "f hard-b", "f top.txt", "l link-to-dir", "l link-to-file",
    };

    [Fact]
    public void SystemCpioArchive_UnpacksEveryFileByteExactAndEveryLinkRight()
    {
        using TempFolder folder = TempFolder.Sample();
        // "find ." names every entry "./x" and the root ".", as initramfs build scripts do.
        (int code, byte[] archive, string error) = HostTool.Run("sh", "-c \"find . | LC_ALL=C sort | cpio -o -H newc --quiet\"", folder.Path);
        Assert.True(code == 0, "cpio failed: " + error);

        IVnode root = NewRam(1 << 24, out _);
        long unpacked = InitrdLoader.Unpack(archive, root, 1 << 24, out CpioProblem problem);
        Assert.True(unpacked > 0, problem.ToString());

        AssertSampleTree(root, folder);
        // GNU cpio marks the two names of a hard-linked file with one inode and puts the data on
        // the last: they unpack as one file with both names.
        IVnode hardA = VnodeTree.Get(root, "hard-a");
        IVnode hardB = VnodeTree.Get(root, "hard-b");
        Assert.Equal(hardA.Inode, hardB.Inode);
        Assert.Equal(0, hardA.GetAttributes(out Stat linked));
        Assert.Equal(2, linked.LinkCount);
        // Modification times come from the archive.
        Assert.Equal(0, VnodeTree.Get(root, "top.txt").GetAttributes(out Stat top));
        Assert.Equal(new DateTimeOffset(File.GetLastWriteTimeUtc(folder.Full("top.txt"))).ToUnixTimeSeconds(), top.ModifyTime.Seconds);
        Assert.Equal(0x1A4, top.Mode & 0xFFF);
    }

    [Fact]
    public void WriterArchive_UnpacksToTheSameTree()
    {
        using TempFolder folder = TempFolder.Sample();
        byte[] archive = CpioArchiveTests.Write(folder.Path);
        IVnode root = NewRam(1 << 24, out _);
        Assert.Equal(13, InitrdLoader.Unpack(archive, root));
        AssertSampleTree(root, folder);
        Assert.Equal(0, VnodeTree.Get(root, "dir").GetAttributes(out Stat directory));
        Assert.Equal(0x41ED, directory.Mode);
    }

    [Fact]
    public void FromResource_MountsTheEmbeddedArchive()
    {
        IFileSystem fileSystem = InitrdLoader.FromResource(typeof(InitrdLoaderTests).Assembly, "initrd-sample.cpio", 1 << 20);
        Assert.Equal(0, fileSystem.Mount(new Kernel(new TestPlatform()), out IVnode? root));
        Assert.Equal("hello\n", Encoding.UTF8.GetString(VnodeTree.ReadAll(VnodeTree.Get(root!, "a.txt"))));
        Assert.Equal("a.txt", VnodeTree.ReadLink(VnodeTree.Get(root!, "d/l")));
    }

    [Fact]
    public void FromResource_MissingResource_ThrowsAClearBootError()
    {
        KernelException error = Assert.Throws<KernelException>(() =>
            InitrdLoader.FromResource(typeof(InitrdLoaderTests).Assembly, "no-such.cpio", 1 << 20));
        Assert.Contains("no-such.cpio", error.Message, StringComparison.Ordinal);
        Assert.Equal(Errno.ENOENT, error.Errno);
    }

    [Fact]
    public void FromBytes_BadArchive_ThrowsWithTheReason()
    {
        byte[] archive = CpioArchiveTests.GnuArchivePadded();
        archive[0] = (byte)'1';
        KernelException error = Assert.Throws<KernelException>(() => InitrdLoader.FromBytes(archive, "rootfs", 1 << 20));
        Assert.Contains("bad magic", error.Message, StringComparison.Ordinal);
        Assert.Contains("rootfs", error.Message, StringComparison.Ordinal);
        Assert.Equal(Errno.EINVAL, error.Errno);
    }

    [Fact]
    public void FromBytes_OverCapacity_ThrowsEnospc()
    {
        KernelException error = Assert.Throws<KernelException>(() => InitrdLoader.FromBytes(CpioArchiveTests.GnuArchivePadded(), "rootfs", 6));
        Assert.Equal(Errno.ENOSPC, error.Errno);
    }

    [Fact]
    public void TruncatedAtEveryOffset_IsRefusedUntilTheTrailerIsWhole()
    {
        byte[] archive = CpioArchiveTests.GnuArchivePadded();
        // 496 + 110 + 11 ("TRAILER!!!" and its NUL): after that only the padding is missing.
        int trailerEnd = 480 + CpioArchive.HeaderLength + 11;
        for (int length = 0; length < archive.Length; length++)
        {
            byte[] prefix = archive.AsSpan(0, length).ToArray();
            IVnode root = NewRam(1 << 20, out _);
            long result = InitrdLoader.Unpack(prefix, root, 1 << 20, out CpioProblem problem);
            if (length < trailerEnd)
            {
                Assert.True(result == -Errno.EINVAL, length + ": " + result);
                Assert.Empty(VnodeTree.List(root));
                Assert.False(string.IsNullOrEmpty(problem.Reason));
            }
            else
            {
                Assert.Equal(4, result);
            }
        }
    }

    [Fact]
    public void ConcatenatedArchives_WithNulPaddingBetween_AreOne()
    {
        NewcBuilder second = new NewcBuilder().File("second.txt", "2"u8).Trailer();
        byte[] archive = Concat(CpioArchiveTests.GnuArchivePadded(), new byte[512], second.ToArray());
        IVnode root = NewRam(1 << 20, out _);
        Assert.Equal(5, InitrdLoader.Unpack(archive, root));
        Assert.Equal("2", Encoding.UTF8.GetString(VnodeTree.ReadAll(VnodeTree.Get(root, "second.txt"))));
    }

    public static IEnumerable<object[]> BrokenArchives()
    {
        yield return Case("bad magic", Errno.EINVAL, "bad magic", Patch(CpioArchiveTests.GnuArchivePadded(), 3, (byte)'9'));
        yield return Case("compressed (gzip)", Errno.EINVAL, "bad magic", new byte[] { 0x1F, 0x8B, 0x08, 0x00 });
        yield return Case("empty", Errno.EINVAL, "empty archive", Array.Empty<byte>());
        yield return Case("no trailer", Errno.EINVAL, "without TRAILER", new NewcBuilder().File("a", "x"u8).ToArray());
        yield return Case("non-hex digit", Errno.EINVAL, "hexadecimal", Patch(CpioArchiveTests.GnuArchivePadded(), 20, (byte)'G'));
        yield return Case("name without NUL", Errno.EINVAL, "terminating NUL",
            new NewcBuilder().Raw("a.txt"u8, CpioHeader.TypeRegular | 0x1A4, ReadOnlySpan<byte>.Empty, nameSize: 5).Trailer().ToArray());
        yield return Case("NUL inside a name", Errno.EINVAL, "NUL inside",
            new NewcBuilder().Raw("a\0b\0"u8, CpioHeader.TypeRegular | 0x1A4, ReadOnlySpan<byte>.Empty, nameSize: 4).Trailer().ToArray());
        yield return Case("name size 0", Errno.EINVAL, "name size",
            new NewcBuilder().Raw(""u8, CpioHeader.TypeRegular | 0x1A4, ReadOnlySpan<byte>.Empty, nameSize: 0).Trailer().ToArray());
        yield return Case("name past the end", Errno.EINVAL, "name runs past",
            new NewcBuilder().Raw("a\0"u8, CpioHeader.TypeRegular | 0x1A4, ReadOnlySpan<byte>.Empty, nameSize: 4000).ToArray());
        yield return Case("huge size", Errno.EINVAL, "data runs past",
            new NewcBuilder().Raw("a\0"u8, CpioHeader.TypeRegular | 0x1A4, "x"u8, fileSize: 0xFFFFFFFF).Trailer().ToArray());
        yield return Case("dot-dot", Errno.EINVAL, "'..'", new NewcBuilder().File("a/../../etc/passwd", "x"u8).Trailer().ToArray());
        yield return Case("dot-dot alone", Errno.EINVAL, "'..'", new NewcBuilder().Directory("..").Trailer().ToArray());
        yield return Case("absolute dot-dot", Errno.EINVAL, "'..'", new NewcBuilder().File("/../x", "x"u8).Trailer().ToArray());
        yield return Case("component too long", Errno.ENAMETOOLONG, "NAME_MAX", new NewcBuilder().File(new string('a', 256), "x"u8).Trailer().ToArray());
        yield return Case("directory with data", Errno.EINVAL, "directory entry carries data",
            new NewcBuilder().Raw("d\0"u8, CpioHeader.TypeDirectory | 0x1ED, "x"u8).Trailer().ToArray());
        yield return Case("empty symlink", Errno.EINVAL, "symbolic link",
            new NewcBuilder().Raw("l\0"u8, CpioHeader.TypeSymbolicLink | 0x1FF, ReadOnlySpan<byte>.Empty).Trailer().ToArray());
        yield return Case("file named as the root", Errno.EINVAL, "root", new NewcBuilder().File("/", "x"u8).Trailer().ToArray());
        yield return Case("not UTF-8", Errno.EINVAL, "UTF-8", new NewcBuilder().Raw(new byte[] { 0xFF, 0xFE, 0 }, CpioHeader.TypeRegular | 0x1A4, "x"u8).Trailer().ToArray());
        yield return Case("checksum", Errno.EINVAL, "checksum",
            new NewcBuilder().Raw("a\0"u8, CpioHeader.TypeRegular | 0x1A4, "x"u8, check: 1, magic2: true).Trailer().ToArray());
        yield return Case("garbage after trailer", Errno.EINVAL, "after TRAILER",
            Concat(new NewcBuilder().File("a", "x"u8).Trailer().ToArray(), new byte[] { 0, 0, 1 }));
        yield return Case("over capacity", Errno.ENOSPC, "capacity",
            new NewcBuilder().File("big", new byte[(1 << 16) + 1]).Trailer().ToArray());
        yield return Case("over capacity in total", Errno.ENOSPC, "capacity",
            new NewcBuilder().File("one", new byte[40_000]).File("two", new byte[40_000]).Trailer().ToArray());
    }

    [Theory]
    [MemberData(nameof(BrokenArchives))]
    public void BrokenArchive_IsRefusedWithAClearErrno_AndNothingIsUnpacked(string what, int errno, string reason, byte[] archive)
    {
        IVnode root = NewRam(1 << 16, out _);
        long result = InitrdLoader.Unpack(archive, root, 1 << 16, out CpioProblem problem);
        Assert.True(result == -errno, what + ": " + result + " " + problem);
        Assert.Equal(errno, problem.Errno);
        Assert.Contains(reason, problem.Reason, StringComparison.Ordinal);
        Assert.Empty(VnodeTree.List(root));
    }

    [Fact]
    public void AbsoluteAndDotNames_AreRelativeToTheRoot()
    {
        byte[] archive = new NewcBuilder().Directory(".").Directory("/etc").File("/etc/hostname", "uk\n"u8)
            .File("./etc//./motd", "hi"u8).File("//srv/x", "x"u8).Trailer().ToArray();
        IVnode root = NewRam(1 << 20, out _);
        Assert.Equal(5, InitrdLoader.Unpack(archive, root));
        Assert.Equal(new[] { "d etc", "d srv", "f etc/hostname", "f etc/motd", "f srv/x" }, VnodeTree.List(root));
    }

    [Fact]
    public void DuplicateNames_TheLastWins()
    {
        byte[] archive = new NewcBuilder()
            .File("f", "first, longer"u8).File("f", "second"u8)
            .File("l", "x"u8).Symlink("l", "target")
            .Symlink("s", "one").Symlink("s", "two")
            .Directory("d").File("d", "now a file"u8)
            .File("e", "x"u8).Directory("e")
            .Trailer().ToArray();
        IVnode root = NewRam(1 << 20, out _);
        Assert.True(InitrdLoader.Unpack(archive, root) > 0);
        Assert.Equal("second", Encoding.UTF8.GetString(VnodeTree.ReadAll(VnodeTree.Get(root, "f"))));
        Assert.Equal("target", VnodeTree.ReadLink(VnodeTree.Get(root, "l")));
        Assert.Equal("two", VnodeTree.ReadLink(VnodeTree.Get(root, "s")));
        Assert.Equal("now a file", Encoding.UTF8.GetString(VnodeTree.ReadAll(VnodeTree.Get(root, "d"))));
        Assert.Equal(Stat.S_IFDIR, VnodeTree.Get(root, "e").Type);
    }

    [Fact]
    public void ADirectoryWithContent_IsNotReplacedByAFile()
    {
        byte[] archive = new NewcBuilder().Directory("d").File("d/inside", "x"u8).File("d", "file"u8).Trailer().ToArray();
        IVnode root = NewRam(1 << 20, out _);
        long result = InitrdLoader.Unpack(archive, root, 1 << 20, out CpioProblem problem);
        Assert.Equal(-Errno.ENOTEMPTY, result);
        Assert.Contains("not empty", problem.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void HardLinks_DataOnTheFirstOrTheLastEntry_BothWork()
    {
        byte[] archive = new NewcBuilder()
            .Raw("gen-a\0"u8, CpioHeader.TypeRegular | 0x1A4, "data"u8, ino: 7, nlink: 2)
            .Raw("gen-b\0"u8, CpioHeader.TypeRegular | 0x1A4, ReadOnlySpan<byte>.Empty, ino: 7, nlink: 2)
            .Raw("gnu-a\0"u8, CpioHeader.TypeRegular | 0x1A4, ReadOnlySpan<byte>.Empty, ino: 9, nlink: 2)
            .Raw("gnu-b\0"u8, CpioHeader.TypeRegular | 0x1A4, "DATA"u8, ino: 9, nlink: 2)
            .Trailer().ToArray();
        IVnode root = NewRam(1 << 20, out _);
        Assert.Equal(4, InitrdLoader.Unpack(archive, root));
        foreach ((string a, string b, string content) in new[] { ("gen-a", "gen-b", "data"), ("gnu-a", "gnu-b", "DATA") })
        {
            IVnode first = VnodeTree.Get(root, a);
            IVnode second = VnodeTree.Get(root, b);
            Assert.Equal(first.Inode, second.Inode);
            Assert.Equal(content, Encoding.UTF8.GetString(VnodeTree.ReadAll(first)));
        }
    }

    [Fact]
    public void DeviceNodesAndFifos_AreSkipped()
    {
        byte[] archive = new NewcBuilder()
            .Directory("dev")
            .Raw("dev/console\0"u8, CpioHeader.TypeCharacterDevice | 0x180, ReadOnlySpan<byte>.Empty)
            .Raw("fifo\0"u8, CpioHeader.TypeFifo | 0x1A4, ReadOnlySpan<byte>.Empty)
            .Trailer().ToArray();
        IVnode root = NewRam(1 << 20, out _);
        Assert.Equal(1, InitrdLoader.Unpack(archive, root));
        Assert.Equal(new[] { "d dev" }, VnodeTree.List(root));
    }

    [Fact]
    public void MissingParents_AreCreated()
    {
        byte[] archive = new NewcBuilder().File("a/b/c.txt", "c"u8).Trailer().ToArray();
        IVnode root = NewRam(1 << 20, out _);
        Assert.Equal(1, InitrdLoader.Unpack(archive, root));
        Assert.Equal(new[] { "d a", "d a/b", "f a/b/c.txt" }, VnodeTree.List(root));
    }

    internal static IVnode NewRam(long capacity, out RamFileSystem fileSystem)
    {
        fileSystem = new RamFileSystem(capacity);
        Assert.Equal(0, fileSystem.Mount(new Kernel(new TestPlatform()), out IVnode? root));
        return root!;
    }

    private static void AssertSampleTree(IVnode root, TempFolder folder)
    {
        Assert.Equal(SampleListing, VnodeTree.List(root));
        foreach (string file in new[] { "bin/all-bytes", "bin/large", "dir/nested/deep/leaf.txt", "hard-a", "hard-b", "top.txt" })
        {
            Assert.Equal(File.ReadAllBytes(folder.Full(file)), VnodeTree.ReadAll(VnodeTree.Get(root, file)));
        }
        Assert.Equal("top.txt", VnodeTree.ReadLink(VnodeTree.Get(root, "link-to-file")));
        Assert.Equal("dir/nested", VnodeTree.ReadLink(VnodeTree.Get(root, "link-to-dir")));
    }

    private static object[] Case(string what, int errno, string reason, byte[] archive) => new object[] { what, errno, reason, archive };

    private static byte[] Patch(byte[] bytes, int offset, byte value)
    {
        bytes[offset] = value;
        return bytes;
    }

    private static byte[] Concat(params byte[][] parts)
    {
        MemoryStream stream = new MemoryStream();
        foreach (byte[] part in parts)
        {
            stream.Write(part);
        }
        return stream.ToArray();
    }
}

// Builds newc archives entry by entry, including broken ones, with the kernel's own header
// emitter.
internal sealed class NewcBuilder
{
    private readonly MemoryStream stream = new MemoryStream();
    private uint nextIno = 100;

    public NewcBuilder File(string name, ReadOnlySpan<byte> data) => Raw(Name(name), CpioHeader.TypeRegular | 0x1A4, data);

    public NewcBuilder Directory(string name) => Raw(Name(name), CpioHeader.TypeDirectory | 0x1ED, ReadOnlySpan<byte>.Empty, nlink: 2);

    public NewcBuilder Symlink(string name, string target) => Raw(Name(name), CpioHeader.TypeSymbolicLink | 0x1FF, Encoding.UTF8.GetBytes(target));

    public NewcBuilder Trailer() => Raw("TRAILER!!!\0"u8, 0, ReadOnlySpan<byte>.Empty, ino: 0, nlink: 1);

    // nameWithNul is written as given; nameSize and fileSize default to the true lengths.
    public NewcBuilder Raw(ReadOnlySpan<byte> nameWithNul, uint mode, ReadOnlySpan<byte> data, uint? ino = null, uint nlink = 1,
        uint? nameSize = null, uint? fileSize = null, uint check = 0, bool magic2 = false)
    {
        CpioHeader header = new CpioHeader(magic2, ino ?? nextIno++, mode, 0, 0, nlink, 0, fileSize ?? (uint)data.Length,
            0, 0, 0, 0, nameSize ?? (uint)nameWithNul.Length, check);
        byte[] bytes = new byte[CpioArchive.HeaderLength];
        header.Emit(bytes);
        stream.Write(bytes);
        stream.Write(nameWithNul);
        Pad();
        stream.Write(data);
        Pad();
        return this;
    }

    public byte[] ToArray() => stream.ToArray();

    private static byte[] Name(string name) => Encoding.UTF8.GetBytes(name + "\0");

    private void Pad()
    {
        while (stream.Length % 4 != 0)
        {
            stream.WriteByte(0);
        }
    }
}
