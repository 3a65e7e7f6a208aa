namespace Unikraft.Kernel.Tests;

using System;
using System.Text;
using Xunit;
using static VfsTestKernel;

public class RamFsDevFsTests
{
    [Fact]
    public void RamFs_Full_WritesWhatFits_ThenENOSPC()
    {
        Kernel kernel = Boot(capacity: 10);
        int fd = Open(kernel, "/f", OpenFlags.O_RDWR | OpenFlags.O_CREAT);

        Assert.Equal(6, Sys.Write(kernel, fd, new byte[6]));
        Assert.Equal(4, Sys.Write(kernel, fd, new byte[6]));
        Assert.Equal(-Errno.ENOSPC, Sys.Write(kernel, fd, new byte[1]));
        Assert.Equal(-Errno.ENOSPC, Sys.Ftruncate(kernel, fd, 11));
        Assert.Equal(3, Sys.Pwrite64(kernel, fd, "abc"u8, 0));
        Assert.Equal(10, StatOf(kernel, "/f").Size);

        Assert.Equal(0, Sys.Ftruncate(kernel, fd, 4));
        Assert.Equal(6, Sys.Pwrite64(kernel, Open(kernel, "/g", OpenFlags.O_WRONLY | OpenFlags.O_CREAT), new byte[8], 0));
    }

    [Fact]
    public void RamFs_Unlink_GivesSpaceBack()
    {
        Kernel kernel = Boot(capacity: 8);
        int fd = Open(kernel, "/f", OpenFlags.O_WRONLY | OpenFlags.O_CREAT);
        Assert.Equal(8, Sys.Write(kernel, fd, new byte[8]));
        Assert.Equal(0, Sys.Linkat(kernel, AtCwd, "/f", AtCwd, "/g", 0));
        Assert.Equal(0, Sys.Unlinkat(kernel, AtCwd, "/f", 0));
        Assert.Equal(-Errno.ENOSPC, Sys.Write(kernel, Open(kernel, "/h", OpenFlags.O_WRONLY | OpenFlags.O_CREAT), new byte[1]));
        Assert.Equal(0, Sys.Unlinkat(kernel, AtCwd, "/g", 0));
        Assert.Equal(1, Sys.Write(kernel, Open(kernel, "/h", OpenFlags.O_WRONLY), new byte[1]));
    }

    [Fact]
    public void DevNullAndZero_BehaveAsLinux()
    {
        Kernel kernel = Boot();
        int devNull = Open(kernel, "/dev/null", OpenFlags.O_RDWR);
        Assert.Equal(5, Sys.Write(kernel, devNull, new byte[5]));
        Assert.Equal(0, Sys.Read(kernel, devNull, new byte[5]));

        int zero = Open(kernel, "/dev/zero", OpenFlags.O_RDONLY);
        byte[] buffer = { 1, 2, 3 };
        Assert.Equal(3, Sys.Read(kernel, zero, buffer));
        Assert.Equal(new byte[3], buffer);
        Assert.Equal(Stat.S_IFCHR, StatOf(kernel, "/dev/zero").Type);
        Assert.Equal((1 << 8) | 3, StatOf(kernel, "/dev/null").SpecialDevice);
    }

    [Fact]
    public void DevUrandom_ReadsTheRandomDevice()
    {
        Kernel kernel = Boot(out TestPlatform platform);
        byte[] expected = new byte[16];
        new Random(platform.Seed).NextBytes(expected);
        byte[] buffer = new byte[16];

        Assert.Equal(16, Sys.Read(kernel, Open(kernel, "/dev/urandom", OpenFlags.O_RDONLY), buffer));
        Assert.Equal(expected, buffer);
        Assert.Equal(16, Sys.Read(kernel, Open(kernel, "/dev/random", OpenFlags.O_RDONLY), buffer));
    }

    [Fact]
    public void DevStdoutAndConsole_ReachTheConsole()
    {
        Kernel kernel = Boot(out TestPlatform platform);
        platform.Console.SetInput("typed\n");
        Sys.Write(kernel, Open(kernel, "/dev/stdout", OpenFlags.O_WRONLY), "out "u8);
        Sys.Write(kernel, Open(kernel, "/dev/console", OpenFlags.O_WRONLY), "console"u8);
        Sys.Write(kernel, Open(kernel, "/dev/stderr", OpenFlags.O_WRONLY), "err"u8);
        byte[] buffer = new byte[16];
        long read = Sys.Read(kernel, Open(kernel, "/dev/stdin", OpenFlags.O_RDONLY), buffer);

        Assert.Equal("out console", platform.Console.OutputText);
        Assert.Equal("err", platform.Console.ErrorText);
        Assert.Equal("typed\n", Encoding.UTF8.GetString(buffer, 0, (int)read));
    }

    [Fact]
    public void DevFs_ListsItsNodes_AndRefusesNewNames()
    {
        Kernel kernel = Boot();
        int fd = Open(kernel, "/dev", OpenFlags.O_RDONLY | OpenFlags.O_DIRECTORY);
        byte[] buffer = new byte[1024];
        long read = Sys.Getdents64(kernel, fd, buffer);

        Assert.Equal(new[] { ".", "..", "null", "zero", "random", "urandom", "console", "stdin", "stdout", "stderr" },
            LinuxFiles.DirentNames(buffer.AsSpan(0, (int)read)));
        Assert.Equal(-Errno.EPERM, Sys.Openat(kernel, AtCwd, "/dev/new", OpenFlags.O_WRONLY | OpenFlags.O_CREAT, 0));
        Assert.Equal(-Errno.EPERM, Sys.Unlinkat(kernel, AtCwd, "/dev/null", 0));
    }
}
