namespace Unikraft.Kernel;

using System;

// The syscalls on open file descriptors. read and write themselves are in the console library
// (they dispatch through the fd table to any description, a VfsFile included).
internal static partial class Sys
{
    [Syscall(SyscallNumber.Close)]
    internal static long Close(Kernel kernel, int fd)
    {
        return kernel.Return(SyscallNumber.Close, kernel.Files.Remove(fd));
    }

    [Syscall(SyscallNumber.Pread64)]
    internal static long Pread64(Kernel kernel, int fd, Span<byte> buffer, long offset)
    {
        if (offset < 0)
        {
            return kernel.Return(SyscallNumber.Pread64, -Errno.EINVAL);
        }
        IFileDescription? description = kernel.Files.Get(fd);
        if (description == null)
        {
            return kernel.Return(SyscallNumber.Pread64, -Errno.EBADF);
        }
        if (description is not VfsFile file)
        {
            return kernel.Return(SyscallNumber.Pread64, -Errno.ESPIPE);
        }
        return kernel.Return(SyscallNumber.Pread64, file.ReadAt(offset, buffer));
    }

    [Syscall(SyscallNumber.Pwrite64)]
    internal static long Pwrite64(Kernel kernel, int fd, ReadOnlySpan<byte> buffer, long offset)
    {
        if (offset < 0)
        {
            return kernel.Return(SyscallNumber.Pwrite64, -Errno.EINVAL);
        }
        IFileDescription? description = kernel.Files.Get(fd);
        if (description == null)
        {
            return kernel.Return(SyscallNumber.Pwrite64, -Errno.EBADF);
        }
        if (description is not VfsFile file)
        {
            return kernel.Return(SyscallNumber.Pwrite64, -Errno.ESPIPE);
        }
        return kernel.Return(SyscallNumber.Pwrite64, file.WriteAt(offset, buffer, false));
    }

    // readv(2): fills the buffers in order and stops at the first short read.
    [Syscall(SyscallNumber.Readv)]
    internal static long Readv(Kernel kernel, int fd, ReadOnlySpan<Memory<byte>> buffers)
    {
        IFileDescription? description = kernel.Files.Get(fd);
        if (description == null)
        {
            return kernel.Return(SyscallNumber.Readv, -Errno.EBADF);
        }
        long total = 0;
        for (int index = 0; index < buffers.Length; index++)
        {
            Span<byte> buffer = buffers[index].Span;
            long read = description.Read(buffer);
            if (read < 0)
            {
                return kernel.Return(SyscallNumber.Readv, total > 0 ? total : read);
            }
            total += read;
            if (read < buffer.Length)
            {
                break;
            }
        }
        return kernel.Return(SyscallNumber.Readv, total);
    }

    // writev(2): writes the buffers in order and stops at the first short write.
    [Syscall(SyscallNumber.Writev)]
    internal static long Writev(Kernel kernel, int fd, ReadOnlySpan<ReadOnlyMemory<byte>> buffers)
    {
        IFileDescription? description = kernel.Files.Get(fd);
        if (description == null)
        {
            return kernel.Return(SyscallNumber.Writev, -Errno.EBADF);
        }
        long total = 0;
        for (int index = 0; index < buffers.Length; index++)
        {
            ReadOnlySpan<byte> buffer = buffers[index].Span;
            long written = description.Write(buffer);
            if (written < 0)
            {
                return kernel.Return(SyscallNumber.Writev, total > 0 ? total : written);
            }
            total += written;
            if (written < buffer.Length)
            {
                break;
            }
        }
        return kernel.Return(SyscallNumber.Writev, total);
    }

    [Syscall(SyscallNumber.Lseek)]
    internal static long Lseek(Kernel kernel, int fd, long offset, int whence)
    {
        IFileDescription? description = kernel.Files.Get(fd);
        if (description == null)
        {
            return kernel.Return(SyscallNumber.Lseek, -Errno.EBADF);
        }
        if (description is not VfsFile file)
        {
            return kernel.Return(SyscallNumber.Lseek, -Errno.ESPIPE);
        }
        return kernel.Return(SyscallNumber.Lseek, file.Seek(offset, whence));
    }

    [Syscall(SyscallNumber.Fstat)]
    internal static long Fstat(Kernel kernel, int fd, out Stat stat)
    {
        stat = default;
        IFileDescription? description = kernel.Files.Get(fd);
        if (description == null)
        {
            return kernel.Return(SyscallNumber.Fstat, -Errno.EBADF);
        }
        return kernel.Return(SyscallNumber.Fstat, description.GetAttributes(out stat));
    }

    // getdents64(2): linux_dirent64 records of the directory open on fd, "." and ".." first.
    [Syscall(SyscallNumber.Getdents64)]
    internal static long Getdents64(Kernel kernel, int fd, Span<byte> buffer)
    {
        IFileDescription? description = kernel.Files.Get(fd);
        if (description == null)
        {
            return kernel.Return(SyscallNumber.Getdents64, -Errno.EBADF);
        }
        if (description is not VfsFile file)
        {
            return kernel.Return(SyscallNumber.Getdents64, -Errno.ENOTDIR);
        }
        return kernel.Return(SyscallNumber.Getdents64, file.ReadDirectory(buffer));
    }

    [Syscall(SyscallNumber.Ftruncate)]
    internal static long Ftruncate(Kernel kernel, int fd, long length)
    {
        if (length < 0)
        {
            return kernel.Return(SyscallNumber.Ftruncate, -Errno.EINVAL);
        }
        IFileDescription? description = kernel.Files.Get(fd);
        if (description == null)
        {
            return kernel.Return(SyscallNumber.Ftruncate, -Errno.EBADF);
        }
        if (description is not VfsFile file)
        {
            return kernel.Return(SyscallNumber.Ftruncate, -Errno.EINVAL);
        }
        return kernel.Return(SyscallNumber.Ftruncate, file.Truncate(length));
    }

    // fsync(2): every file system here writes through (or holds data in memory), so there is
    // nothing to flush; EINVAL for a description that cannot sync, as a terminal on Linux.
    [Syscall(SyscallNumber.Fsync)]
    internal static long Fsync(Kernel kernel, int fd)
    {
        IFileDescription? description = kernel.Files.Get(fd);
        if (description == null)
        {
            return kernel.Return(SyscallNumber.Fsync, -Errno.EBADF);
        }
        // NOTE: fsync on a console or other special file is EINVAL, as Linux gives for a pipe.
        return kernel.Return(SyscallNumber.Fsync, description is VfsFile file ? file.Vnode.Sync() : -Errno.EINVAL);
    }

    [Syscall(SyscallNumber.Fdatasync)]
    internal static long Fdatasync(Kernel kernel, int fd)
    {
        IFileDescription? description = kernel.Files.Get(fd);
        if (description == null)
        {
            return kernel.Return(SyscallNumber.Fdatasync, -Errno.EBADF);
        }
        // fdatasync may skip metadata; every file system here syncs data and metadata together.
        return kernel.Return(SyscallNumber.Fdatasync, description is VfsFile file ? file.Vnode.Sync() : -Errno.EINVAL);
    }

    [Syscall(SyscallNumber.Dup)]
    internal static long Dup(Kernel kernel, int fd)
    {
        IFileDescription? description = kernel.Files.Get(fd);
        if (description == null)
        {
            return kernel.Return(SyscallNumber.Dup, -Errno.EBADF);
        }
        return kernel.Return(SyscallNumber.Dup, kernel.Files.Install(description, 0, false));
    }

    [Syscall(SyscallNumber.Dup3)]
    internal static long Dup3(Kernel kernel, int oldFd, int newFd, int flags)
    {
        if ((flags & ~OpenFlags.O_CLOEXEC) != 0 || oldFd == newFd)
        {
            return kernel.Return(SyscallNumber.Dup3, -Errno.EINVAL);
        }
        IFileDescription? description = kernel.Files.Get(oldFd);
        if (description == null || newFd < 0 || newFd >= FdTable.MaximumFiles)
        {
            return kernel.Return(SyscallNumber.Dup3, -Errno.EBADF);
        }
        kernel.Files.Bind(newFd, description, (flags & OpenFlags.O_CLOEXEC) != 0);
        return kernel.Return(SyscallNumber.Dup3, newFd);
    }

    [Syscall(SyscallNumber.Fcntl)]
    internal static long Fcntl(Kernel kernel, int fd, int command, long argument)
    {
        IFileDescription? description = kernel.Files.Get(fd);
        if (description == null)
        {
            return kernel.Return(SyscallNumber.Fcntl, -Errno.EBADF);
        }
        switch (command)
        {
            case OpenFlags.F_DUPFD:
            case OpenFlags.F_DUPFD_CLOEXEC:
                if (argument < 0 || argument >= FdTable.MaximumFiles)
                {
                    return kernel.Return(SyscallNumber.Fcntl, -Errno.EINVAL);
                }
                return kernel.Return(SyscallNumber.Fcntl,
                    kernel.Files.Install(description, (int)argument, command == OpenFlags.F_DUPFD_CLOEXEC));
            case OpenFlags.F_GETFD:
                return kernel.Return(SyscallNumber.Fcntl, kernel.Files.GetCloseOnExec(fd) ? OpenFlags.FD_CLOEXEC : 0);
            case OpenFlags.F_SETFD:
                kernel.Files.SetCloseOnExec(fd, (argument & OpenFlags.FD_CLOEXEC) != 0);
                return kernel.Return(SyscallNumber.Fcntl, 0);
            case OpenFlags.F_GETFL:
                return kernel.Return(SyscallNumber.Fcntl, description.StatusFlags);
            case OpenFlags.F_SETFL:
                description.SetStatusFlags((int)argument);
                return kernel.Return(SyscallNumber.Fcntl, 0);
            default:
                return kernel.Return(SyscallNumber.Fcntl, -Errno.EINVAL);
        }
    }
}
