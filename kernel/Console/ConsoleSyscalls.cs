namespace Unikraft.Kernel;

using System;

internal static partial class Sys
{
    // read(2) on any open fd; EBADF when nothing is bound to fd.
    [Syscall(SyscallNumber.Read)]
    internal static long Read(Kernel kernel, int fd, Span<byte> buffer)
    {
        IFileDescription? file = kernel.Files.Get(fd);
        if (file == null)
        {
            return kernel.Return(SyscallNumber.Read, -Errno.EBADF);
        }
        return kernel.Return(SyscallNumber.Read, file.Read(buffer));
    }

    // write(2) on any open fd; EBADF when nothing is bound to fd.
    [Syscall(SyscallNumber.Write)]
    internal static long Write(Kernel kernel, int fd, ReadOnlySpan<byte> buffer)
    {
        IFileDescription? file = kernel.Files.Get(fd);
        if (file == null)
        {
            return kernel.Return(SyscallNumber.Write, -Errno.EBADF);
        }
        return kernel.Return(SyscallNumber.Write, file.Write(buffer));
    }

    // ioctl(2) on fds 0-2: the terminal requests (TCGETS, TCSETS, TCSETSW, TCSETSF, TIOCGWINSZ) the
    // BCL's console makes for raw keys, colours and the window size. Another description is not a
    // terminal: ENOTTY, as Linux answers for a regular file or a pipe.
    [Syscall(SyscallNumber.Ioctl)]
    internal static long Ioctl(Kernel kernel, int fd, uint request, Span<byte> argument)
    {
        IFileDescription? file = kernel.Files.Get(fd);
        if (file == null)
        {
            return kernel.Return(SyscallNumber.Ioctl, -Errno.EBADF);
        }
        if (file is not ConsoleFile console)
        {
            return kernel.Return(SyscallNumber.Ioctl, -Errno.ENOTTY);
        }
        return kernel.Return(SyscallNumber.Ioctl, console.Ioctl(request, argument));
    }
}

// NOTE: the terminal requests of ioctl_tty(2), numbers from asm-generic/ioctls.h.
internal static class TerminalRequest
{
    public const uint TCGETS = 0x5401;
    public const uint TCSETS = 0x5402;
    public const uint TCSETSW = 0x5403;
    public const uint TCSETSF = 0x5404;
    public const uint TIOCGWINSZ = 0x5413;
}
