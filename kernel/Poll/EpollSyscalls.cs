namespace Unikraft.Kernel;

using System;

internal static partial class Sys
{
    // epoll_create1(2): a new epoll instance; EPOLL_CLOEXEC (O_CLOEXEC) is the only flag.
    [Syscall(SyscallNumber.EpollCreate1)]
    internal static long EpollCreate1(Kernel kernel, int flags)
    {
        if ((flags & ~OpenFlags.O_CLOEXEC) != 0)
        {
            return kernel.Return(SyscallNumber.EpollCreate1, -Errno.EINVAL);
        }
        EpollFile epoll = new EpollFile(kernel);
        return kernel.Return(SyscallNumber.EpollCreate1, kernel.Files.Install(epoll, 0, (flags & OpenFlags.O_CLOEXEC) != 0));
    }

    // epoll_create(2): size is only a hint, but must be positive.
    [Syscall(SyscallNumber.EpollCreate)]
    internal static long EpollCreate(Kernel kernel, int size)
    {
        if (size <= 0)
        {
            return kernel.Return(SyscallNumber.EpollCreate, -Errno.EINVAL);
        }
        EpollFile epoll = new EpollFile(kernel);
        return kernel.Return(SyscallNumber.EpollCreate, kernel.Files.Install(epoll, 0, false));
    }

    // epoll_ctl(2). The checks run in the order Linux's do_epoll_ctl runs them, so a call that is
    // wrong in two ways fails as it would on Linux: EBADF for either fd, EPERM for a target that
    // cannot be polled (a regular file, a directory), EINVAL for a bad EPOLLEXCLUSIVE, for epfd
    // not an epoll or the same as fd, or an unknown op, then ELOOP, EEXIST, ENOENT.
    [Syscall(SyscallNumber.EpollCtl)]
    internal static long EpollCtl(Kernel kernel, int epfd, int operation, int fd, in EpollEvent events)
    {
        IFileDescription? instance = kernel.Files.Get(epfd);
        IFileDescription? target = kernel.Files.Get(fd);
        if (instance == null || target == null)
        {
            return kernel.Return(SyscallNumber.EpollCtl, -Errno.EBADF);
        }
        if (target.Readiness == null)
        {
            return kernel.Return(SyscallNumber.EpollCtl, -Errno.EPERM);
        }
        uint asked = events.Events;
        if (operation != EpollFile.EPOLL_CTL_DEL && (asked & EpollFile.EPOLLEXCLUSIVE) != 0)
        {
            if (operation == EpollFile.EPOLL_CTL_MOD
                || (operation == EpollFile.EPOLL_CTL_ADD && (target is EpollFile || (asked & ~EpollFile.ExclusiveBits) != 0)))
            {
                return kernel.Return(SyscallNumber.EpollCtl, -Errno.EINVAL);
            }
        }
        if (ReferenceEquals(instance, target) || instance is not EpollFile epoll)
        {
            return kernel.Return(SyscallNumber.EpollCtl, -Errno.EINVAL);
        }
        return kernel.Return(SyscallNumber.EpollCtl, epoll.Control(operation, fd, target, asked, events.Data));
    }

    // epoll_wait(2): timeout in milliseconds, negative for ever, 0 not at all.
    [Syscall(SyscallNumber.EpollWait)]
    internal static long EpollWait(Kernel kernel, int epfd, Span<EpollEvent> events, int timeout)
    {
        return kernel.Return(SyscallNumber.EpollWait, WaitForEvents(kernel, epfd, events, timeout));
    }

    // epoll_pwait(2). NOTE: no signal mask is taken: this kernel delivers no signals.
    [Syscall(SyscallNumber.EpollPwait)]
    internal static long EpollPwait(Kernel kernel, int epfd, Span<EpollEvent> events, int timeout)
    {
        return kernel.Return(SyscallNumber.EpollPwait, WaitForEvents(kernel, epfd, events, timeout));
    }

    private static long WaitForEvents(Kernel kernel, int epfd, Span<EpollEvent> events, int timeout)
    {
        // NOTE: maxevents must be greater than zero (epoll_wait(2)), checked before the fd.
        if (events.Length <= 0)
        {
            return -Errno.EINVAL;
        }
        IFileDescription? instance = kernel.Files.Get(epfd);
        if (instance == null)
        {
            return -Errno.EBADF;
        }
        if (instance is not EpollFile epoll)
        {
            return -Errno.EINVAL;
        }
        long deadline = long.MaxValue;
        if (timeout != 0 && !TryDeadline(kernel, timeout < 0 ? -1 : timeout * NanosecondsPerMillisecond, out deadline))
        {
            return -Errno.ENODEV;
        }
        return epoll.Wait(events, timeout != 0, deadline);
    }
}
