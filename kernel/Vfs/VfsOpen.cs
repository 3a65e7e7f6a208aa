namespace Unikraft.Kernel;

// openat(2) and the name checks that every call creating a name shares, in the order Linux's
// fs/namei.c makes them, so that each failure has Linux's errno.
internal static class VfsOpen
{
    // NOTE: the umask of a Linux process by default (022); the kernel has one process.
    public const int Umask = 0x12;

    // Returns the new fd or -errno.
    public static long Open(Kernel kernel, int dirfd, string path, int flags, int mode)
    {
        // NOTE: Linux 6.4 and later refuse O_CREAT | O_DIRECTORY with EINVAL (open(2)).
        if ((flags & OpenFlags.O_CREAT) != 0 && (flags & OpenFlags.O_DIRECTORY) != 0)
        {
            return -Errno.EINVAL;
        }
        long started = PathWalk.Start(kernel, dirfd, path, out VfsLocation? start);
        if (started < 0 || start == null)
        {
            return started;
        }
        if ((flags & OpenFlags.O_CREAT) != 0)
        {
            if (KernelFeatures.FileCreate)
            {
                long found = OpenOrCreate(kernel, start, path, flags, mode, out VfsLocation? target, out bool created);
                if (found < 0 || target == null)
                {
                    return found;
                }
                return Finish(kernel, target, flags, created);
            }
            return -Errno.EROFS;
        }
        long resolved = PathWalk.Resolve(kernel, start, path, (flags & OpenFlags.O_NOFOLLOW) == 0, out VfsLocation? location);
        if (resolved < 0 || location == null)
        {
            return resolved;
        }
        return Finish(kernel, location, flags, false);
    }

    // The O_CREAT walk: the last component is looked up without following; an existing
    // symbolic link is followed (unless O_EXCL or O_NOFOLLOW), a missing name is created.
    private static long OpenOrCreate(Kernel kernel, VfsLocation start, string path, int flags, int mode,
        out VfsLocation? location, out bool created)
    {
        location = null;
        created = false;
        int links = 0;
        long walked = PathWalk.ResolveParent(kernel, ref links, start, path, out VfsLocation? directory, out string last, out bool trailingSlash);
        while (true)
        {
            if (walked < 0 || directory == null)
            {
                return walked;
            }
            if (PathWalk.IsDots(last))
            {
                return (flags & OpenFlags.O_EXCL) != 0 ? -Errno.EEXIST : -Errno.EISDIR;
            }
            if (trailingSlash)
            {
                return -Errno.EISDIR;
            }
            if (directory.IsDeadDirectory)
            {
                return -Errno.ENOENT;
            }
            long looked = PathWalk.Step(kernel, ref links, directory, last, false, out VfsLocation? existing);
            if (looked == 0 && existing != null)
            {
                if ((flags & OpenFlags.O_EXCL) != 0)
                {
                    return -Errno.EEXIST;
                }
                if (existing.Vnode.Type == Stat.S_IFLNK && (flags & OpenFlags.O_NOFOLLOW) == 0)
                {
                    links++;
                    if (links > OpenFlags.MAXSYMLINKS)
                    {
                        return -Errno.ELOOP;
                    }
                    long read = existing.Vnode.ReadLink(out string target);
                    if (read < 0)
                    {
                        return read;
                    }
                    if (target.Length == 0)
                    {
                        return -Errno.ENOENT;
                    }
                    walked = PathWalk.ResolveParent(kernel, ref links, directory, target, out directory, out last, out trailingSlash);
                    continue;
                }
                if (existing.Vnode.Type == Stat.S_IFDIR)
                {
                    return -Errno.EISDIR;
                }
                location = existing;
                return 0;
            }
            if (looked != -Errno.ENOENT)
            {
                return looked;
            }
            if (directory.Mount.ReadOnly)
            {
                return -Errno.EROFS;
            }
            long made = directory.Vnode.Create(last, mode & ~Umask & 0xFFF, out IVnode? file);
            if (made < 0 || file == null)
            {
                return made < 0 ? made : -Errno.EIO;
            }
            location = kernel.Vfs!.Child(directory, last, file);
            created = true;
            if (KernelFeatures.Inotify)
            {
                if (kernel.Watches != null)
                {
                    kernel.Watches.Child(directory, last, false, InotifyMask.IN_CREATE, 0);
                }
            }
            return 0;
        }
    }

    // Linux's do_open and may_open: type and access checks, then the fd, then O_TRUNC.
    private static long Finish(Kernel kernel, VfsLocation location, int flags, bool created)
    {
        int type = location.Vnode.Type;
        if ((flags & OpenFlags.O_DIRECTORY) != 0 && type != Stat.S_IFDIR)
        {
            return -Errno.ENOTDIR;
        }
        int access = flags & OpenFlags.O_ACCMODE;
        bool truncate = !created && (flags & OpenFlags.O_TRUNC) != 0;
        bool writes = access != OpenFlags.O_RDONLY || truncate;
        if (!created)
        {
            if (type == Stat.S_IFREG && truncate && location.Mount.ReadOnly)
            {
                return -Errno.EROFS;
            }
            if (type == Stat.S_IFLNK)
            {
                return -Errno.ELOOP;
            }
            if (type == Stat.S_IFDIR && writes)
            {
                return -Errno.EISDIR;
            }
            if (writes && location.Mount.ReadOnly && type != Stat.S_IFCHR)
            {
                return -Errno.EROFS;
            }
        }
        VfsFile file = new VfsFile(kernel, location, flags);
        long fd = kernel.Files.Install(file, 0, (flags & OpenFlags.O_CLOEXEC) != 0);
        if (fd < 0)
        {
            return fd;
        }
        if (KernelFeatures.FileTruncate)
        {
            if (truncate && type == Stat.S_IFREG)
            {
                long cut = location.Vnode.SetSize(0);
                if (cut < 0)
                {
                    kernel.Files.Remove((int)fd);
                    return cut;
                }
                file.NotifyModified();
            }
        }
        return fd;
    }

    // The checks of Linux's filename_create for a new non-directory name (symlink, link):
    // "." and ".." and an existing name are EEXIST, a trailing slash on a missing name ENOENT,
    // a read-only mount EROFS.
    public static long CheckNewName(Kernel kernel, int dirfd, string path, bool directory, out VfsLocation? parent, out string last)
    {
        long walked = PathWalk.LookupParent(kernel, dirfd, path, out parent, out last, out bool trailingSlash);
        if (walked < 0 || parent == null)
        {
            parent = null;
            return walked;
        }
        if (PathWalk.IsDots(last))
        {
            parent = null;
            return -Errno.EEXIST;
        }
        int links = 0;
        long looked = PathWalk.Step(kernel, ref links, parent, last, false, out VfsLocation? existing);
        if (looked == 0 && existing != null)
        {
            parent = null;
            return -Errno.EEXIST;
        }
        if (looked != -Errno.ENOENT)
        {
            parent = null;
            return looked;
        }
        if (trailingSlash && !directory)
        {
            parent = null;
            return -Errno.ENOENT;
        }
        if (parent.Mount.ReadOnly)
        {
            parent = null;
            return -Errno.EROFS;
        }
        if (parent.IsDeadDirectory)
        {
            parent = null;
            return -Errno.ENOENT;
        }
        return 0;
    }
}
