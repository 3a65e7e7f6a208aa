namespace Unikraft.Kernel;

using System;

// An open file object behind a file descriptor. Results are byte counts or -errno, as the
// syscalls return them, so a description never throws.
internal interface IFileDescription
{
    long Read(Span<byte> buffer);

    long Write(ReadOnlySpan<byte> buffer);
}

// The kernel's file descriptor table. Console binds fds 0-2 at boot; later libraries (vfs,
// sockets) install more. It grows on demand and reuses the lowest free number, as POSIX
// requires of open(2).
internal sealed class FdTable
{
    private IFileDescription?[] entries = new IFileDescription?[8];

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
        if (fd >= entries.Length)
        {
            Grow(fd + 1);
        }
        entries[fd] = description;
    }

    // Binds a description to the lowest free number and returns it.
    public int Install(IFileDescription description)
    {
        for (int fd = 0; fd < entries.Length; fd++)
        {
            if (entries[fd] == null)
            {
                entries[fd] = description;
                return fd;
            }
        }
        int next = entries.Length;
        Grow(next + 1);
        entries[next] = description;
        return next;
    }

    // Frees a number; returns 0, or -EBADF when nothing was bound to it.
    public long Remove(int fd)
    {
        if (Get(fd) == null)
        {
            return -Errno.EBADF;
        }
        entries[fd] = null;
        return 0;
    }

    private void Grow(int minimumLength)
    {
        int length = entries.Length * 2;
        while (length < minimumLength)
        {
            length *= 2;
        }
        Array.Resize(ref entries, length);
    }
}
