namespace Unikraft.Kernel;

using System;

internal static partial class Sys
{
    // NOTE: the flags pipe2(2) takes. O_DIRECT (packet mode) is accepted and ignored: writes
    // are not kept apart as packets, and F_GETFL does not report it.
    private const int PipeFlags = OpenFlags.O_CLOEXEC | OpenFlags.O_NONBLOCK | OpenFlags.O_DIRECT;

    // pipe2(2): fds[0] the read end, fds[1] the write end, both O_NONBLOCK and close-on-exec as
    // flags say.
    [Syscall(SyscallNumber.Pipe2)]
    internal static long Pipe2(Kernel kernel, Span<int> fds, int flags)
    {
        return kernel.Return(SyscallNumber.Pipe2, CreatePipe(kernel, fds, flags));
    }

    // pipe(2): pipe2 with no flags.
    [Syscall(SyscallNumber.Pipe)]
    internal static long Pipe(Kernel kernel, Span<int> fds)
    {
        return kernel.Return(SyscallNumber.Pipe, CreatePipe(kernel, fds, 0));
    }

    private static long CreatePipe(Kernel kernel, Span<int> fds, int flags)
    {
        if ((flags & ~PipeFlags) != 0)
        {
            return -Errno.EINVAL;
        }
        if (fds.Length < 2)
        {
            return -Errno.EFAULT;
        }
        Pipe pipe = new Pipe(kernel);
        int statusFlags = flags & OpenFlags.O_NONBLOCK;
        pipe.ReadEnd.SetStatusFlags(statusFlags);
        pipe.WriteEnd.SetStatusFlags(statusFlags);
        bool closeOnExecute = (flags & OpenFlags.O_CLOEXEC) != 0;
        long readFd = kernel.Files.Install(pipe.ReadEnd, 0, closeOnExecute);
        if (readFd < 0)
        {
            return readFd;
        }
        long writeFd = kernel.Files.Install(pipe.WriteEnd, 0, closeOnExecute);
        if (writeFd < 0)
        {
            kernel.Files.Remove((int)readFd);
            return writeFd;
        }
        fds[0] = (int)readFd;
        fds[1] = (int)writeFd;
        return 0;
    }
}
