namespace Unikraft.Kernel.Tests;

using System.Runtime.InteropServices;
using System.Text;
using Xunit;

// SystemNative_MksTemps as Path.GetTempFileName calls it: a template it rewrites in place, a
// kernel fd, errno through the last system error. The native layer serves one kernel per
// process, so these tests take turns with the others that attach it.
[Collection("native layer")]
public unsafe class NativeFilesTests
{
    [Fact]
    public void SystemNativeMksTemps_CreatesAUniqueFileInTheKernel_AndRewritesTheTemplate()
    {
        Kernel kernel = TestKernel.Boot(out _);
        VfsMounts.Mount(kernel, "/", new RamFileSystem(1 << 20), false);
        Assert.Equal(0, Sys.Mkdirat(kernel, OpenFlags.AT_FDCWD, "/tmp", 0x1FF));
        NativeLayer.Attach(kernel);
        delegate* unmanaged<nint, int, nint> mksTemps = &NativeFiles.MksTemps;

        string first = Create(mksTemps, "/tmp/tmpXXXXXX.tmp", 4, out nint firstFd);
        string second = Create(mksTemps, "/tmp/tmpXXXXXX.tmp", 4, out nint secondFd);

        Assert.Matches("^/tmp/tmp[A-Za-z0-9]{6}\\.tmp$", first);
        Assert.NotEqual(first, second);
        Assert.NotEqual(firstFd, secondFd);
        Assert.Equal(3, Sys.Write(kernel, (int)firstFd, "abc"u8));
        Assert.Equal(0, Sys.Newfstatat(kernel, OpenFlags.AT_FDCWD, first, out Stat stat, 0));
        Assert.Equal(3, stat.Size);
        Assert.Equal(0x180, stat.Mode & 0x1FF);
    }

    [Fact]
    public void SystemNativeMksTemps_WithoutSixXBeforeTheSuffix_IsEinval_AndCreatesNothing()
    {
        Kernel kernel = TestKernel.Boot(out _);
        VfsMounts.Mount(kernel, "/", new RamFileSystem(1 << 20), false);
        NativeLayer.Attach(kernel);
        delegate* unmanaged<nint, int, nint> mksTemps = &NativeFiles.MksTemps;

        Assert.Equal("/tmpXXXXX.tmp", Create(mksTemps, "/tmpXXXXX.tmp", 4, out nint fd));
        Assert.Equal(-1, fd);
        Assert.Equal(Errno.EINVAL, Marshal.GetLastSystemError());
        Assert.Equal(-1, (long)mksTemps(0, 0));
    }

    [Fact]
    public void SystemNativeMksTemps_OnAReadOnlyRoot_ReportsTheFileSystemsError()
    {
        Kernel kernel = TestKernel.Boot(out _);
        VfsMounts.Mount(kernel, "/", new RamFileSystem(1 << 20), true);
        NativeLayer.Attach(kernel);
        delegate* unmanaged<nint, int, nint> mksTemps = &NativeFiles.MksTemps;

        Create(mksTemps, "/tmpXXXXXX", 0, out nint fd);

        Assert.Equal(-1, fd);
        Assert.Equal(Errno.EROFS, Marshal.GetLastSystemError());
    }

    private static string Create(delegate* unmanaged<nint, int, nint> mksTemps, string template, int suffixLength, out nint fd)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(template + "\0");
        fixed (byte* pointer = bytes)
        {
            fd = mksTemps((nint)pointer, suffixLength);
        }
        return Encoding.UTF8.GetString(bytes, 0, bytes.Length - 1);
    }
}
