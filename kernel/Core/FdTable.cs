namespace Unikraft.Kernel;

using System;
using System.Collections.Generic;

// An open file object behind a file descriptor. Results are byte counts or -errno, as the
// syscalls return them, so a description never throws. Several fds may share one description
// (dup): the offset and status flags belong to the description, close-on-exec to the fd.
internal interface IFileDescription
{
    // poll(2): the PollEvents the description is ready for now (POLLERR and POLLHUP included
    // when they hold, whatever the caller asked for). Never blocks, never changes state.
    int Poll();

    // The watchers told when the poll mask may have changed; null when it never changes (a
    // regular file or a directory, always readable and writable), which is also why epoll_ctl
    // refuses such a description with EPERM, as Linux does.
    Readiness? Readiness { get; }

    // The last fd referring to the description was closed (FdTable counts them): the other end
    // of a pipe sees its end, watchers forget the description.
    void Release();

    long Read(Span<byte> buffer);

    long Write(ReadOnlySpan<byte> buffer);

    // fstat(2) of what the description refers to.
    long GetAttributes(out Stat attributes);

    // The access mode and status flags (O_APPEND, O_NONBLOCK, ...) that F_GETFL reports.
    int StatusFlags { get; }

    // F_SETFL: only O_APPEND, O_NONBLOCK, O_DIRECT and O_NOATIME change, as on Linux.
    void SetStatusFlags(int flags);
}

// The kernel's file descriptor table. Console binds fds 0-2 at boot; later libraries (vfs,
// sockets) install more. It grows on demand and reuses the lowest free number, as POSIX
// requires of open(2).
internal sealed class FdTable
{
    // NOTE: fs.nr_open's default (1024 * 1024, fs/file.c), the ceiling of any RLIMIT_NOFILE. Not
    // Linux's default soft limit of 1024: the .NET runtime raises its soft limit to the hard one
    // when it starts, so a .NET program on Linux holds more than 1024 sockets (a port scanner
    // with 9,000 connects in flight ran under plain .NET and failed with EMFILE on the kernel).
    // The table grows on demand; the limit costs nothing until the numbers are used.
    public const int MaximumFiles = 1024 * 1024;

    private readonly Dictionary<IFileDescription, int> references = new Dictionary<IFileDescription, int>(ReferenceEqualityComparer.Instance);
    private IFileDescription?[] entries = new IFileDescription?[8];
    private bool[] closeOnExec = new bool[8];

    // The description bound to fd, or null for a bad or closed fd (the caller returns EBADF).
    public IFileDescription? Get(int fd)
    {
        if (fd < 0 || fd >= entries.Length)
        {
            return null;
        }
        return entries[fd];
    }

    // Binds a description to a fixed number, replacing what was there, as dup2(2) does.
    public void Bind(int fd, IFileDescription description)
    {
        Bind(fd, description, false);
    }

    public void Bind(int fd, IFileDescription description, bool closeOnExecute)
    {
        if (fd >= entries.Length)
        {
            Grow(fd + 1);
        }
        IFileDescription? replaced = entries[fd];
        entries[fd] = description;
        closeOnExec[fd] = closeOnExecute;
        if (!ReferenceEquals(replaced, description))
        {
            references.TryGetValue(description, out int held);
            references[description] = held + 1;
            if (replaced != null)
            {
                Unreference(replaced);
            }
        }
    }

    // Binds a description to the lowest free number and returns it.
    public int Install(IFileDescription description)
    {
        return (int)Install(description, 0, false);
    }

    // Binds a description to the lowest free number at or above minimum; -EMFILE when every
    // number below MaximumFiles is taken.
    public long Install(IFileDescription description, int minimum, bool closeOnExecute)
    {
        for (int fd = minimum; fd < MaximumFiles; fd++)
        {
            if (fd >= entries.Length || entries[fd] == null)
            {
                Bind(fd, description, closeOnExecute);
                return fd;
            }
        }
        return -Errno.EMFILE;
    }

    public bool GetCloseOnExec(int fd)
    {
        return Get(fd) != null && closeOnExec[fd];
    }

    public void SetCloseOnExec(int fd, bool value)
    {
        if (Get(fd) != null)
        {
            closeOnExec[fd] = value;
        }
    }

    // How many fds refer to a description (dup'ed fds share one).
    public int References(IFileDescription description)
    {
        return references.TryGetValue(description, out int held) ? held : 0;
    }

    // Frees a number; returns 0, or -EBADF when nothing was bound to it. The description is
    // released when this was the last fd referring to it, as close(2) releases an open file
    // description only with its last reference.
    public long Remove(int fd)
    {
        IFileDescription? description = Get(fd);
        if (description == null)
        {
            return -Errno.EBADF;
        }
        entries[fd] = null;
        closeOnExec[fd] = false;
        Unreference(description);
        return 0;
    }

    private void Unreference(IFileDescription description)
    {
        int held = references[description] - 1;
        if (held > 0)
        {
            references[description] = held;
            return;
        }
        references.Remove(description);
        description.Release();
    }

    private void Grow(int minimumLength)
    {
        int length = entries.Length * 2;
        while (length < minimumLength)
        {
            length *= 2;
        }
        Array.Resize(ref entries, length);
        Array.Resize(ref closeOnExec, length);
    }
}
