namespace Unikraft.Kernel;

internal static partial class Sys
{
    // NOTE: inotify_init1(2) takes IN_NONBLOCK and IN_CLOEXEC, which are O_NONBLOCK and O_CLOEXEC.
    private const int InotifyInitFlags = OpenFlags.O_NONBLOCK | OpenFlags.O_CLOEXEC;

    // inotify_init1(2): a new instance on the lowest free fd.
    [Syscall(SyscallNumber.InotifyInit1)]
    internal static long InotifyInit1(Kernel kernel, int flags)
    {
        if ((flags & ~InotifyInitFlags) != 0)
        {
            return kernel.Return(SyscallNumber.InotifyInit1, -Errno.EINVAL);
        }
        kernel.Watches ??= new InotifyWatches();
        InotifyInstance instance = new InotifyInstance(kernel, kernel.Watches);
        instance.SetStatusFlags(flags & OpenFlags.O_NONBLOCK);
        return kernel.Return(SyscallNumber.InotifyInit1, kernel.Files.Install(instance, 0, (flags & OpenFlags.O_CLOEXEC) != 0));
    }

    // inotify_add_watch(2), with Linux's checks in its order (fs/notify/inotify/inotify_user.c):
    // the mask, the fd, the path (followed unless IN_DONT_FOLLOW), IN_ONLYDIR.
    [Syscall(SyscallNumber.InotifyAddWatch)]
    internal static long InotifyAddWatch(Kernel kernel, int fd, string path, uint mask)
    {
        // inotify_add_watch(2): "The given event mask contains no valid events".
        if ((mask & InotifyMask.IN_ALL_EVENTS) == 0)
        {
            return kernel.Return(SyscallNumber.InotifyAddWatch, -Errno.EINVAL);
        }
        if ((mask & InotifyMask.IN_MASK_ADD) != 0 && (mask & InotifyMask.IN_MASK_CREATE) != 0)
        {
            return kernel.Return(SyscallNumber.InotifyAddWatch, -Errno.EINVAL);
        }
        IFileDescription? description = kernel.Files.Get(fd);
        if (description == null)
        {
            return kernel.Return(SyscallNumber.InotifyAddWatch, -Errno.EBADF);
        }
        if (description is not InotifyInstance instance)
        {
            return kernel.Return(SyscallNumber.InotifyAddWatch, -Errno.EINVAL);
        }
        long found = PathWalk.Lookup(kernel, OpenFlags.AT_FDCWD, path, (mask & InotifyMask.IN_DONT_FOLLOW) == 0, out VfsLocation? location);
        if (found < 0 || location == null)
        {
            return kernel.Return(SyscallNumber.InotifyAddWatch, found < 0 ? found : -Errno.ENOENT);
        }
        if ((mask & InotifyMask.IN_ONLYDIR) != 0 && !location.IsDirectory)
        {
            return kernel.Return(SyscallNumber.InotifyAddWatch, -Errno.ENOTDIR);
        }
        return kernel.Return(SyscallNumber.InotifyAddWatch, instance.AddWatch(location, mask));
    }

    // inotify_rm_watch(2): EINVAL for a descriptor the instance does not have.
    [Syscall(SyscallNumber.InotifyRmWatch)]
    internal static long InotifyRmWatch(Kernel kernel, int fd, int descriptor)
    {
        IFileDescription? description = kernel.Files.Get(fd);
        if (description == null)
        {
            return kernel.Return(SyscallNumber.InotifyRmWatch, -Errno.EBADF);
        }
        if (description is not InotifyInstance instance)
        {
            return kernel.Return(SyscallNumber.InotifyRmWatch, -Errno.EINVAL);
        }
        return kernel.Return(SyscallNumber.InotifyRmWatch, instance.RemoveWatch(descriptor));
    }
}
