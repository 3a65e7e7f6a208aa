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
}
