namespace Unikraft.Kernel.Tests;

using System;
using System.Text;

// A test kernel with a ramfs at "/" and devfs at "/dev", and short helpers over the syscalls.
internal static class VfsTestKernel
{
    public const int AtCwd = OpenFlags.AT_FDCWD;

    public static Kernel Boot(long capacity = 1 << 20)
    {
        return Boot(out _, capacity);
    }

    public static Kernel Boot(out TestPlatform platform, long capacity = 1 << 20)
    {
        Kernel kernel = TestKernel.Boot(out platform);
        VfsMounts.Mount(kernel, "/", new RamFileSystem(capacity), false);
        Sys.Mkdirat(kernel, AtCwd, "/dev", 0x1ED);
        VfsMounts.Mount(kernel, "/dev", new DevFileSystem(kernel), false);
        return kernel;
    }

    public static int Open(Kernel kernel, string path, int flags, int mode = 0x1A4)
    {
        long fd = Sys.Openat(kernel, AtCwd, path, flags, mode);
        if (fd < 0)
        {
            throw new InvalidOperationException("open " + path + " = " + SyscallTrace.FormatResult(fd));
        }
        return (int)fd;
    }

    public static void WriteFile(Kernel kernel, string path, string text)
    {
        int fd = Open(kernel, path, OpenFlags.O_WRONLY | OpenFlags.O_CREAT | OpenFlags.O_TRUNC);
        Sys.Write(kernel, fd, Encoding.UTF8.GetBytes(text));
        Sys.Close(kernel, fd);
    }

    public static string ReadFile(Kernel kernel, string path)
    {
        int fd = Open(kernel, path, OpenFlags.O_RDONLY);
        byte[] buffer = new byte[65536];
        long read = Sys.Read(kernel, fd, buffer);
        Sys.Close(kernel, fd);
        return Encoding.UTF8.GetString(buffer, 0, (int)read);
    }

    public static Stat StatOf(Kernel kernel, string path, int flags = 0)
    {
        long result = Sys.Newfstatat(kernel, AtCwd, path, out Stat stat, flags);
        if (result < 0)
        {
            throw new InvalidOperationException("stat " + path + " = " + SyscallTrace.FormatResult(result));
        }
        return stat;
    }
}
