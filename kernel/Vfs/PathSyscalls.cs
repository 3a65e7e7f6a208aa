namespace Unikraft.Kernel;

using System;
using System.Text;

// The syscalls that take a path. A relative path starts at dirfd (AT_FDCWD: the working
// directory); paths are strings (see PathWalk for what that changes).
internal static partial class Sys
{
    [Syscall(SyscallNumber.Openat)]
    internal static long Openat(Kernel kernel, int dirfd, string path, int flags, int mode)
    {
        return kernel.Return(SyscallNumber.Openat, VfsOpen.Open(kernel, dirfd, path, flags, mode));
    }

    [Syscall(SyscallNumber.Mkdirat)]
    internal static long Mkdirat(Kernel kernel, int dirfd, string path, int mode)
    {
        long checkedName = VfsOpen.CheckNewName(kernel, dirfd, path, true, out VfsLocation? parent, out string last);
        if (checkedName < 0 || parent == null)
        {
            return kernel.Return(SyscallNumber.Mkdirat, checkedName);
        }
        // Linux's vfs_mkdir keeps the permission and sticky bits only: a new directory is never
        // set-user-ID or set-group-ID by its mode (NOTE: S_IRWXUGO | S_ISVTX, linux/stat.h).
        long made = parent.Vnode.MakeDirectory(last, mode & ~VfsOpen.Umask & 0x3FF, out _);
        if (KernelFeatures.Inotify)
        {
            if (made == 0 && kernel.Watches != null)
            {
                kernel.Watches.Child(parent, last, true, InotifyMask.IN_CREATE, 0);
            }
        }
        return kernel.Return(SyscallNumber.Mkdirat, made);
    }

    // unlinkat(2): a file, or with AT_REMOVEDIR an empty directory.
    [Syscall(SyscallNumber.Unlinkat)]
    internal static long Unlinkat(Kernel kernel, int dirfd, string path, int flags)
    {
        if ((flags & ~OpenFlags.AT_REMOVEDIR) != 0)
        {
            return kernel.Return(SyscallNumber.Unlinkat, -Errno.EINVAL);
        }
        if ((flags & OpenFlags.AT_REMOVEDIR) != 0)
        {
            return kernel.Return(SyscallNumber.Unlinkat, VfsNames.RemoveDirectory(kernel, dirfd, path));
        }
        return kernel.Return(SyscallNumber.Unlinkat, VfsNames.Unlink(kernel, dirfd, path));
    }

    [Syscall(SyscallNumber.Renameat2)]
    internal static long Renameat2(Kernel kernel, int oldDirfd, string oldPath, int newDirfd, string newPath, int flags)
    {
        return kernel.Return(SyscallNumber.Renameat2, VfsNames.Rename(kernel, oldDirfd, oldPath, newDirfd, newPath, flags));
    }

    [Syscall(SyscallNumber.Linkat)]
    internal static long Linkat(Kernel kernel, int oldDirfd, string oldPath, int newDirfd, string newPath, int flags)
    {
        return kernel.Return(SyscallNumber.Linkat, VfsNames.Link(kernel, oldDirfd, oldPath, newDirfd, newPath, flags));
    }

    [Syscall(SyscallNumber.Symlinkat)]
    internal static long Symlinkat(Kernel kernel, string target, int newDirfd, string linkPath)
    {
        long valid = PathWalk.Check(target);
        if (valid < 0)
        {
            return kernel.Return(SyscallNumber.Symlinkat, valid);
        }
        long checkedName = VfsOpen.CheckNewName(kernel, newDirfd, linkPath, false, out VfsLocation? parent, out string last);
        if (checkedName < 0 || parent == null)
        {
            return kernel.Return(SyscallNumber.Symlinkat, checkedName);
        }
        long made = parent.Vnode.MakeSymbolicLink(last, target, out _);
        if (KernelFeatures.Inotify)
        {
            if (made == 0 && kernel.Watches != null)
            {
                kernel.Watches.Child(parent, last, false, InotifyMask.IN_CREATE, 0);
            }
        }
        return kernel.Return(SyscallNumber.Symlinkat, made);
    }

    // readlinkat(2): the target's bytes, cut to the buffer, with no NUL; EINVAL when the path
    // is not a symbolic link or the buffer is empty.
    [Syscall(SyscallNumber.Readlinkat)]
    internal static long Readlinkat(Kernel kernel, int dirfd, string path, Span<byte> buffer)
    {
        if (buffer.Length <= 0)
        {
            return kernel.Return(SyscallNumber.Readlinkat, -Errno.EINVAL);
        }
        long found = PathWalk.Lookup(kernel, dirfd, path, false, out VfsLocation? link);
        if (found < 0 || link == null)
        {
            return kernel.Return(SyscallNumber.Readlinkat, found);
        }
        if (link.Vnode.Type != Stat.S_IFLNK)
        {
            return kernel.Return(SyscallNumber.Readlinkat, -Errno.EINVAL);
        }
        long read = link.Vnode.ReadLink(out string target);
        if (read < 0)
        {
            return kernel.Return(SyscallNumber.Readlinkat, read);
        }
        byte[] bytes = Encoding.UTF8.GetBytes(target);
        int count = Math.Min(bytes.Length, buffer.Length);
        bytes.AsSpan(0, count).CopyTo(buffer);
        return kernel.Return(SyscallNumber.Readlinkat, count);
    }

    // newfstatat(2), the fstatat of x86-64: AT_SYMLINK_NOFOLLOW stats a link itself,
    // AT_EMPTY_PATH with "" stats dirfd.
    [Syscall(SyscallNumber.Newfstatat)]
    internal static long Newfstatat(Kernel kernel, int dirfd, string path, out Stat stat, int flags)
    {
        return kernel.Return(SyscallNumber.Newfstatat, StatPath(kernel, dirfd, path, flags, out stat));
    }

    // statx(2), reduced: the same attributes as newfstatat, in the kernel's Stat rather than
    // struct statx (no birth time, attributes or mount id); mask is accepted and ignored
    // because every basic field is always filled. AT_STATX_SYNC_TYPE bits are accepted.
    [Syscall(SyscallNumber.Statx)]
    internal static long Statx(Kernel kernel, int dirfd, string path, int flags, int mask, out Stat stat)
    {
        // NOTE: STATX__RESERVED (0x80000000) in mask is EINVAL, as in fs/stat.c.
        if ((mask & int.MinValue) != 0)
        {
            stat = default;
            return kernel.Return(SyscallNumber.Statx, -Errno.EINVAL);
        }
        return kernel.Return(SyscallNumber.Statx, StatPath(kernel, dirfd, path, flags & ~0x6800, out stat));
    }

    // getcwd(2): the working directory and its NUL into buffer; the length with the NUL, or
    // ERANGE when the buffer is too small.
    [Syscall(SyscallNumber.Getcwd)]
    internal static long Getcwd(Kernel kernel, Span<byte> buffer)
    {
        Vfs? vfs = kernel.Vfs;
        string path = vfs?.WorkingDirectory?.FullPath ?? "/";
        int length = Encoding.UTF8.GetByteCount(path);
        if (length + 1 > buffer.Length)
        {
            return kernel.Return(SyscallNumber.Getcwd, -Errno.ERANGE);
        }
        Encoding.UTF8.GetBytes(path, buffer);
        buffer[length] = 0;
        return kernel.Return(SyscallNumber.Getcwd, length + 1);
    }

    [Syscall(SyscallNumber.Chdir)]
    internal static long Chdir(Kernel kernel, string path)
    {
        long found = PathWalk.Lookup(kernel, OpenFlags.AT_FDCWD, path, true, out VfsLocation? location);
        if (found < 0 || location == null)
        {
            return kernel.Return(SyscallNumber.Chdir, found);
        }
        if (!location.IsDirectory)
        {
            return kernel.Return(SyscallNumber.Chdir, -Errno.ENOTDIR);
        }
        kernel.Vfs!.WorkingDirectory = location;
        return kernel.Return(SyscallNumber.Chdir, 0);
    }

    // utimensat(2): times is empty (both now) or two entries, access then modification, each
    // a time, UTIME_NOW or UTIME_OMIT in Nanoseconds. A null path sets the file open on dirfd
    // (futimens). Linux's order of checks: both UTIME_OMIT succeeds at once (the path is not even
    // looked at), then the flags (none for futimens), the path or fd, the nanoseconds, and the
    // read-only mount.
    [Syscall(SyscallNumber.Utimensat)]
    internal static long Utimensat(Kernel kernel, int dirfd, string? path, ReadOnlySpan<Timespec> times, int flags)
    {
        if (times.Length != 0 && times.Length != 2)
        {
            return kernel.Return(SyscallNumber.Utimensat, -Errno.EINVAL);
        }
        if (times.Length == 2 && times[0].Nanoseconds == OpenFlags.UTIME_OMIT && times[1].Nanoseconds == OpenFlags.UTIME_OMIT)
        {
            return kernel.Return(SyscallNumber.Utimensat, 0);
        }
        if ((flags & ~(path == null ? 0 : OpenFlags.AT_SYMLINK_NOFOLLOW)) != 0)
        {
            return kernel.Return(SyscallNumber.Utimensat, -Errno.EINVAL);
        }
        VfsLocation? location;
        if (path == null)
        {
            if (kernel.Files.Get(dirfd) is not VfsFile file)
            {
                return kernel.Return(SyscallNumber.Utimensat, -Errno.EBADF);
            }
            location = file.Location;
        }
        else
        {
            long found = PathWalk.Lookup(kernel, dirfd, path, (flags & OpenFlags.AT_SYMLINK_NOFOLLOW) == 0, out location);
            if (found < 0 || location == null)
            {
                return kernel.Return(SyscallNumber.Utimensat, found);
            }
        }
        for (int index = 0; index < times.Length; index++)
        {
            long nanoseconds = times[index].Nanoseconds;
            if (nanoseconds != OpenFlags.UTIME_NOW && nanoseconds != OpenFlags.UTIME_OMIT &&
                (nanoseconds < 0 || nanoseconds >= Timespec.NanosecondsPerSecond))
            {
                return kernel.Return(SyscallNumber.Utimensat, -Errno.EINVAL);
            }
        }
        if (location.Mount.ReadOnly)
        {
            return kernel.Return(SyscallNumber.Utimensat, -Errno.EROFS);
        }
        location.Vnode.GetAttributes(out Stat attributes);
        IClockDevice? clock = kernel.Clock;
        Timespec now = clock == null ? default : Timespec.FromNanoseconds(clock.RealtimeNanoseconds);
        Timespec access = times.Length == 0 ? now : Pick(times[0], attributes.AccessTime, now);
        Timespec modify = times.Length == 0 ? now : Pick(times[1], attributes.ModifyTime, now);
        long set = location.Vnode.SetTimes(access, modify);
        if (KernelFeatures.Inotify)
        {
            if (set == 0 && kernel.Watches != null)
            {
                kernel.Watches.Changed(location, InotifyMask.IN_ATTRIB);
            }
        }
        return kernel.Return(SyscallNumber.Utimensat, set);
    }

    // faccessat(2) for the one user, root: F_OK, R_OK and W_OK succeed on any file that exists
    // (W_OK is EROFS on a read-only mount), X_OK needs an execute bit or a directory.
    [Syscall(SyscallNumber.Faccessat)]
    internal static long Faccessat(Kernel kernel, int dirfd, string path, int mode)
    {
        if ((mode & ~(OpenFlags.R_OK | OpenFlags.W_OK | OpenFlags.X_OK)) != 0)
        {
            return kernel.Return(SyscallNumber.Faccessat, -Errno.EINVAL);
        }
        long found = PathWalk.Lookup(kernel, dirfd, path, true, out VfsLocation? location);
        if (found < 0 || location == null)
        {
            return kernel.Return(SyscallNumber.Faccessat, found);
        }
        location.Vnode.GetAttributes(out Stat attributes);
        if ((mode & OpenFlags.W_OK) != 0 && location.Mount.ReadOnly && attributes.Type != Stat.S_IFCHR)
        {
            return kernel.Return(SyscallNumber.Faccessat, -Errno.EROFS);
        }
        if ((mode & OpenFlags.X_OK) != 0 && !attributes.IsDirectory && (attributes.Mode & 0x49) == 0)
        {
            return kernel.Return(SyscallNumber.Faccessat, -Errno.EACCES);
        }
        return kernel.Return(SyscallNumber.Faccessat, 0);
    }

    private static long StatPath(Kernel kernel, int dirfd, string path, int flags, out Stat stat)
    {
        stat = default;
        if ((flags & ~(OpenFlags.AT_SYMLINK_NOFOLLOW | OpenFlags.AT_EMPTY_PATH | 0x800)) != 0)
        {
            return -Errno.EINVAL;
        }
        VfsLocation? location;
        if (path.Length == 0 && (flags & OpenFlags.AT_EMPTY_PATH) != 0)
        {
            if (dirfd != OpenFlags.AT_FDCWD)
            {
                IFileDescription? description = kernel.Files.Get(dirfd);
                if (description == null)
                {
                    return -Errno.EBADF;
                }
                return description.GetAttributes(out stat);
            }
            location = kernel.Vfs?.WorkingDirectory;
            if (location == null)
            {
                return -Errno.ENOENT;
            }
        }
        else
        {
            long found = PathWalk.Lookup(kernel, dirfd, path, (flags & OpenFlags.AT_SYMLINK_NOFOLLOW) == 0, out location);
            if (found < 0 || location == null)
            {
                return found;
            }
        }
        long result = location.Vnode.GetAttributes(out stat);
        stat.Device = location.Mount.Device;
        return result;
    }

    private static Timespec Pick(Timespec requested, Timespec current, Timespec now)
    {
        if (requested.Nanoseconds == OpenFlags.UTIME_NOW)
        {
            return now;
        }
        return requested.Nanoseconds == OpenFlags.UTIME_OMIT ? current : requested;
    }
}
