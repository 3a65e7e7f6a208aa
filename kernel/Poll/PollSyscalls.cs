namespace Unikraft.Kernel;

using System;

internal static partial class Sys
{
    private const long NanosecondsPerMillisecond = 1_000_000;

    // poll(2): which of fds are ready for the events each asks for. A negative fd is skipped
    // (its revents 0), a bad fd answers POLLNVAL, POLLERR and POLLHUP are reported whether asked
    // for or not. timeout in milliseconds: negative waits for ever, 0 does not wait.
    [Syscall(SyscallNumber.Poll)]
    internal static long Poll(Kernel kernel, Span<PollFd> fds, int timeout)
    {
        long nanoseconds = timeout < 0 ? -1 : timeout * NanosecondsPerMillisecond;
        return kernel.Return(SyscallNumber.Poll, PollFds(kernel, fds, nanoseconds));
    }

    // ppoll(2): poll with a timespec (null waits for ever). NOTE: there is no signal mask to
    // take: this kernel delivers no signals, so the mask ppoll would install changes nothing.
    [Syscall(SyscallNumber.Ppoll)]
    internal static long Ppoll(Kernel kernel, Span<PollFd> fds, Timespec? timeout)
    {
        long nanoseconds = -1;
        if (timeout.HasValue)
        {
            Timespec interval = timeout.Value;
            if (!interval.IsValidInterval)
            {
                return kernel.Return(SyscallNumber.Ppoll, -Errno.EINVAL);
            }
            nanoseconds = interval.ToNanosecondsSaturated();
        }
        return kernel.Return(SyscallNumber.Ppoll, PollFds(kernel, fds, nanoseconds));
    }

    private static long PollFds(Kernel kernel, Span<PollFd> fds, long timeout)
    {
        // NOTE: poll(2): EINVAL when nfds exceeds RLIMIT_NOFILE.
        if (fds.Length > FdTable.MaximumFiles)
        {
            return -Errno.EINVAL;
        }
        long ready = ScanPollFds(kernel, fds);
        if (ready != 0 || timeout == 0)
        {
            return ready;
        }
        if (!TryDeadline(kernel, timeout, out long deadline))
        {
            return -Errno.ENODEV;
        }
        PollWaiter waiter = new PollWaiter(kernel.Scheduler);
        // The descriptions as they were when the wait began: an fd closed meanwhile must not
        // leave the waiter behind on its description.
        Readiness?[] watched = new Readiness?[fds.Length];
        for (int index = 0; index < fds.Length; index++)
        {
            IFileDescription? description = fds[index].Fd < 0 ? null : kernel.Files.Get(fds[index].Fd);
            Readiness? readiness = description?.Readiness;
            readiness?.Add(waiter);
            watched[index] = readiness;
        }
        try
        {
            while (true)
            {
                bool woken = waiter.Queue.Wait(deadline);
                ready = ScanPollFds(kernel, fds);
                if (ready != 0 || !woken)
                {
                    return ready;
                }
            }
        }
        finally
        {
            for (int index = 0; index < watched.Length; index++)
            {
                watched[index]?.Remove(waiter);
            }
        }
    }

    // Fills in every revents; returns how many are not 0.
    private static long ScanPollFds(Kernel kernel, Span<PollFd> fds)
    {
        long ready = 0;
        for (int index = 0; index < fds.Length; index++)
        {
            ref PollFd entry = ref fds[index];
            int events = 0;
            if (entry.Fd >= 0)
            {
                IFileDescription? description = kernel.Files.Get(entry.Fd);
                if (description == null)
                {
                    events = PollEvents.POLLNVAL;
                }
                else
                {
                    int asked = (ushort)entry.Events | PollEvents.POLLERR | PollEvents.POLLHUP;
                    events = description.Poll() & asked;
                }
            }
            entry.ReturnedEvents = (short)events;
            if (events != 0)
            {
                ready++;
            }
        }
        return ready;
    }

    // The monotonic deadline timeout nanoseconds from now; negative is none (long.MaxValue).
    // False when a finite timeout has no clock to measure it.
    private static bool TryDeadline(Kernel kernel, long timeout, out long deadline)
    {
        deadline = long.MaxValue;
        if (timeout < 0)
        {
            return true;
        }
        IClockDevice? clock = kernel.Clock;
        if (clock == null)
        {
            return false;
        }
        long now = clock.MonotonicNanoseconds;
        deadline = timeout > long.MaxValue - now ? long.MaxValue : now + timeout;
        return true;
    }
}
