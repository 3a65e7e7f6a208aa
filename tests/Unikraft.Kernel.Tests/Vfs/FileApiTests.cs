namespace Unikraft.Kernel.Tests;

using System;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Xunit;

public class FileApiTests
{
    private static void OnKernel(Action body, long capacity = 1 << 20, bool readOnlyData = false)
    {
        Kernel kernel = VfsTestKernel.Boot(capacity);
        if (readOnlyData)
        {
            Sys.Mkdirat(kernel, OpenFlags.AT_FDCWD, "/ro", 0x1ED);
            VfsMounts.Mount(kernel, "/ro", new RamFileSystem(1024), true);
        }
        kernel.Run(Array.Empty<string>(), _ =>
        {
            body();
            return 0;
        });
    }

    [Fact]
    public void WriteAllText_ThenReadAllText_RoundTrips()
    {
        OnKernel(() =>
        {
            KernelFile.WriteAllText("/hello.txt", "héllo\nworld");
            Assert.Equal("héllo\nworld", KernelFile.ReadAllText("/hello.txt"));
            Assert.Equal(new[] { "héllo", "world" }, KernelFile.ReadAllLines("/hello.txt"));
            Assert.Equal(new[] { "héllo", "world" }, KernelFile.ReadLines("/hello.txt").ToArray());
            Assert.Equal(Encoding.UTF8.GetBytes("héllo\nworld"), KernelFile.ReadAllBytes("/hello.txt"));
            Assert.True(KernelFile.Exists("/hello.txt"));
            Assert.False(KernelFile.Exists("/"));
            Assert.False(KernelFile.Exists(null));
        });
    }

    [Fact]
    public void AppendCopyMoveDelete_BehaveAsTheBcl()
    {
        OnKernel(() =>
        {
            KernelFile.WriteAllLines("/a", new[] { "1", "2" });
            KernelFile.AppendAllText("/a", "3");
            Assert.Equal("1\n2\n3", KernelFile.ReadAllText("/a"));
            KernelFile.Copy("/a", "/b");
            Assert.Throws<KernelException>(() => KernelFile.Copy("/a", "/b"));
            KernelFile.Copy("/a", "/b", true);
            KernelFile.Move("/b", "/c");
            Assert.False(KernelFile.Exists("/b"));
            KernelFile.WriteAllText("/d", "d");
            IOException exists = Assert.ThrowsAny<IOException>(() => KernelFile.Move("/c", "/d"));
            Assert.Contains("/d", exists.Message, StringComparison.Ordinal);
            KernelFile.Move("/c", "/d", true);
            Assert.Equal("1\n2\n3", KernelFile.ReadAllText("/d"));
            KernelFile.Delete("/d");
            KernelFile.Delete("/d");
            Assert.Throws<DirectoryNotFoundException>(() => KernelFile.Delete("/nowhere/d"));
        });
    }

    [Fact]
    public void Errors_AreTheBclExceptions_WithThePath()
    {
        OnKernel(() =>
        {
            FileNotFoundException notFound = Assert.Throws<FileNotFoundException>(() => KernelFile.ReadAllText("/missing.txt"));
            Assert.Contains("/missing.txt", notFound.Message, StringComparison.Ordinal);
            Assert.Throws<DirectoryNotFoundException>(() => KernelFile.ReadAllText("/no/such/file"));
            Assert.Throws<UnauthorizedAccessException>(() => KernelFile.ReadAllText("/dev"));
            Assert.Throws<UnauthorizedAccessException>(() => KernelFile.WriteAllText("/ro/x", "x"));
            Assert.Throws<UnauthorizedAccessException>(() => KernelFile.OpenRead("/"));
            Assert.Throws<FileNotFoundException>(() => KernelFile.ReadLines("/missing"));
            Assert.Throws<ArgumentException>(() => KernelFile.ReadAllText(""));
        }, readOnlyData: true);
    }

    [Fact]
    public void Full_RamFs_ThrowsIOException()
    {
        OnKernel(() =>
        {
            KernelException full = Assert.Throws<KernelException>(() => KernelFile.WriteAllBytes("/big", new byte[100]));
            Assert.Equal(Errno.ENOSPC, full.Errno);
        }, capacity: 50);
    }

    [Fact]
    public void Directory_CreateListMoveDelete()
    {
        OnKernel(() =>
        {
            DirectoryInfo info = KernelDirectory.CreateDirectory("/data/sub/deeper");
            Assert.Equal("/data/sub/deeper", info.FullName);
            Assert.True(KernelDirectory.Exists("/data/sub"));
            KernelFile.WriteAllText("/data/a.txt", "a");
            KernelFile.WriteAllText("/data/b.log", "b");
            Assert.Equal(new[] { "/data/a.txt", "/data/b.log" }, KernelDirectory.GetFiles("/data").OrderBy(name => name, StringComparer.Ordinal));
            Assert.Equal(new[] { "/data/a.txt" }, KernelDirectory.GetFiles("/data", "*.txt"));
            Assert.Equal(new[] { "/data/sub" }, KernelDirectory.GetDirectories("/data"));
            Assert.Equal(2, KernelDirectory.EnumerateFiles("/data").Count());
            Assert.ThrowsAny<IOException>(() => KernelDirectory.Delete("/data"));
            KernelDirectory.Move("/data/sub", "/moved");
            Assert.True(KernelDirectory.Exists("/moved/deeper"));
            KernelDirectory.Delete("/data", true);
            Assert.False(KernelDirectory.Exists("/data"));
            Assert.Throws<DirectoryNotFoundException>(() => KernelDirectory.Delete("/data"));
            Assert.Throws<DirectoryNotFoundException>(() => KernelDirectory.GetFiles("/data"));
        });
    }

    [Fact]
    public void CurrentDirectory_IsTheKernels()
    {
        OnKernel(() =>
        {
            Assert.Equal("/", KernelDirectory.GetCurrentDirectory());
            KernelDirectory.CreateDirectory("work");
            KernelDirectory.SetCurrentDirectory("work");
            Assert.Equal("/work", KernelDirectory.GetCurrentDirectory());
            KernelFile.WriteAllText("relative.txt", "r");
            Assert.True(KernelFile.Exists("/work/relative.txt"));
            Assert.Throws<DirectoryNotFoundException>(() => KernelDirectory.SetCurrentDirectory("/missing"));
        });
    }

    [Fact]
    public void FileStream_ReadWriteSeekSetLength()
    {
        OnKernel(() =>
        {
            using (KernelFileStream stream = KernelFile.Create("/s"))
            {
                stream.Write("hello world"u8);
                Assert.Equal(11, stream.Length);
                stream.Position = 6;
                byte[] buffer = new byte[5];
                Assert.Equal(5, stream.Read(buffer, 0, 5));
                Assert.Equal("world", Encoding.ASCII.GetString(buffer));
                stream.SetLength(5);
                Assert.Equal(0, stream.Seek(0, SeekOrigin.Begin));
                Assert.Throws<IOException>(() => stream.Seek(-1, SeekOrigin.Begin));
            }
            Assert.Equal("hello", KernelFile.ReadAllText("/s"));
            using (KernelFileStream append = KernelFile.Open("/s", FileMode.Append, FileAccess.Write))
            {
                append.Write("!"u8);
                Assert.False(append.CanRead);
                Assert.Throws<NotSupportedException>(() => append.ReadByte());
            }
            Assert.Equal("hello!", KernelFile.ReadAllText("/s"));
            Assert.Throws<KernelException>(() => KernelFile.Open("/s", FileMode.CreateNew, FileAccess.Write));
            Assert.Throws<ArgumentException>(() => KernelFile.Open("/s", FileMode.Truncate, FileAccess.Read));
            KernelFileStream disposed = KernelFile.OpenRead("/s");
            disposed.Dispose();
            Assert.Throws<ObjectDisposedException>(() => disposed.ReadByte());
        });
    }

    [Fact]
    public void AsyncMethods_CompleteOnTheKernelThread()
    {
        OnKernel(() =>
        {
            Task write = KernelFile.WriteAllTextAsync("/async", "text");
            Assert.True(write.IsCompletedSuccessfully);
            Assert.Equal("text", KernelFile.ReadAllTextAsync("/async").Result);
            Assert.True(KernelFile.WriteAllBytesAsync("/bytes", new byte[] { 1, 2 }).IsCompletedSuccessfully);
            Assert.Equal(new byte[] { 1, 2 }, KernelFile.ReadAllBytesAsync("/bytes").Result);
            Task<string> missing = KernelFile.ReadAllTextAsync("/missing");
            Assert.IsType<FileNotFoundException>(missing.Exception!.InnerException);
            Assert.True(KernelFile.ReadAllTextAsync("/async", new CancellationToken(true)).IsCanceled);
        });
    }
}
