namespace Unikraft.Kernel;

// unlinkat, renameat2 and linkat, with Linux's checks in Linux's order (fs/namei.c:
// do_unlinkat, do_rmdir, do_renameat2 and vfs_rename, do_linkat).
internal static class VfsNames
{
    public static long Unlink(Kernel kernel, int dirfd, string path)
    {
        long walked = PathWalk.LookupParent(kernel, dirfd, path, out VfsLocation? parent, out string last, out bool trailingSlash);
        if (walked < 0 || parent == null)
        {
            return walked;
        }
        if (PathWalk.IsDots(last))
        {
            return -Errno.EISDIR;
        }
        if (parent.Mount.ReadOnly)
        {
            return -Errno.EROFS;
        }
        int links = 0;
        long looked = PathWalk.Step(kernel, ref links, parent, last, false, out VfsLocation? victim);
        if (looked < 0 || victim == null)
        {
            return looked;
        }
        if (victim.IsDirectory)
        {
            return -Errno.EISDIR;
        }
        if (trailingSlash)
        {
            return -Errno.ENOTDIR;
        }
        long unlinked = parent.Vnode.Unlink(last);
        if (KernelFeatures.Inotify)
        {
            if (unlinked == 0 && kernel.Watches != null)
            {
                // Linux's order: the file hears of its link count (and, its last link gone, of
                // its deletion) before its directory hears of the name (vfs_unlink, d_delete).
                kernel.Watches.LinkRemoved(victim);
                kernel.Watches.Child(parent, last, false, InotifyMask.IN_DELETE, 0);
            }
        }
        return unlinked;
    }

    public static long RemoveDirectory(Kernel kernel, int dirfd, string path)
    {
        long walked = PathWalk.LookupParent(kernel, dirfd, path, out VfsLocation? parent, out string last, out _);
        if (walked < 0 || parent == null)
        {
            return walked;
        }
        if (last.Length == 0)
        {
            return -Errno.EBUSY;
        }
        if (last == ".")
        {
            return -Errno.EINVAL;
        }
        if (last == "..")
        {
            return -Errno.ENOTEMPTY;
        }
        if (parent.Mount.ReadOnly)
        {
            return -Errno.EROFS;
        }
        int links = 0;
        long looked = PathWalk.Step(kernel, ref links, parent, last, false, out VfsLocation? victim);
        if (looked < 0 || victim == null)
        {
            return looked;
        }
        if (!victim.IsDirectory)
        {
            return -Errno.ENOTDIR;
        }
        if (victim.Mount != parent.Mount)
        {
            return -Errno.EBUSY;
        }
        if (!IsEmpty(victim.Vnode))
        {
            return -Errno.ENOTEMPTY;
        }
        long removed = parent.Vnode.RemoveDirectory(last);
        if (KernelFeatures.Inotify)
        {
            if (removed == 0 && kernel.Watches != null)
            {
                kernel.Watches.Deleted(victim.Mount, victim.Vnode.Inode, true);
                kernel.Watches.Child(parent, last, true, InotifyMask.IN_DELETE, 0);
            }
        }
        return removed;
    }

    public static long Rename(Kernel kernel, int oldDirfd, string oldPath, int newDirfd, string newPath, int flags)
    {
        if ((flags & ~(OpenFlags.RENAME_NOREPLACE | OpenFlags.RENAME_EXCHANGE | OpenFlags.RENAME_WHITEOUT)) != 0)
        {
            return -Errno.EINVAL;
        }
        // NOTE: RENAME_EXCHANGE and RENAME_WHITEOUT are not implemented (tmpfs has them); a
        // caller gets EINVAL, as from a file system without them.
        if ((flags & (OpenFlags.RENAME_EXCHANGE | OpenFlags.RENAME_WHITEOUT)) != 0)
        {
            return -Errno.EINVAL;
        }
        bool noReplace = (flags & OpenFlags.RENAME_NOREPLACE) != 0;
        long walked = PathWalk.LookupParent(kernel, oldDirfd, oldPath, out VfsLocation? oldParent, out string oldName, out bool oldSlash);
        if (walked < 0 || oldParent == null)
        {
            return walked;
        }
        walked = PathWalk.LookupParent(kernel, newDirfd, newPath, out VfsLocation? newParent, out string newName, out bool newSlash);
        if (walked < 0 || newParent == null)
        {
            return walked;
        }
        if (oldParent.Mount != newParent.Mount)
        {
            return -Errno.EXDEV;
        }
        if (PathWalk.IsDots(oldName))
        {
            return -Errno.EBUSY;
        }
        if (PathWalk.IsDots(newName))
        {
            return noReplace ? -Errno.EEXIST : -Errno.EBUSY;
        }
        if (oldParent.Mount.ReadOnly)
        {
            return -Errno.EROFS;
        }
        int links = 0;
        long looked = PathWalk.Step(kernel, ref links, oldParent, oldName, false, out VfsLocation? source);
        if (looked < 0 || source == null)
        {
            return looked;
        }
        looked = PathWalk.Step(kernel, ref links, newParent, newName, false, out VfsLocation? target);
        if (looked < 0 && looked != -Errno.ENOENT)
        {
            return looked;
        }
        if (noReplace && target != null)
        {
            return -Errno.EEXIST;
        }
        if (!source.IsDirectory && (oldSlash || newSlash))
        {
            return -Errno.ENOTDIR;
        }
        bool sameParent = oldParent.Mount == newParent.Mount && oldParent.Vnode.Inode == newParent.Vnode.Inode;
        if (!sameParent && newParent.IsAtOrBelow(source))
        {
            return -Errno.EINVAL;
        }
        if (!sameParent && target != null && oldParent.IsAtOrBelow(target))
        {
            return -Errno.ENOTEMPTY;
        }
        if (target != null && target.Vnode.Inode == source.Vnode.Inode && target.Mount == source.Mount)
        {
            return 0;
        }
        if (target == null && newParent.IsDeadDirectory)
        {
            return -Errno.ENOENT;
        }
        if (target != null)
        {
            if (source.IsDirectory)
            {
                if (!target.IsDirectory)
                {
                    return -Errno.ENOTDIR;
                }
            }
            else if (target.IsDirectory)
            {
                return -Errno.EISDIR;
            }
        }
        if (source.Mount != oldParent.Mount || (target != null && target.Mount != newParent.Mount))
        {
            return -Errno.EBUSY;
        }
        if (target != null && target.IsDirectory && !IsEmpty(target.Vnode))
        {
            return -Errno.ENOTEMPTY;
        }
        long renamed = oldParent.Vnode.Rename(oldName, newParent.Vnode, newName);
        if (KernelFeatures.Inotify)
        {
            if (renamed == 0 && kernel.Watches != null)
            {
                uint cookie = kernel.Watches.NextCookie();
                bool isDirectory = source.IsDirectory;
                kernel.Watches.Child(oldParent, oldName, isDirectory, InotifyMask.IN_MOVED_FROM, cookie);
                kernel.Watches.Child(newParent, newName, isDirectory, InotifyMask.IN_MOVED_TO, cookie);
                kernel.Watches.Self(source.Mount, source.Vnode.Inode, isDirectory, InotifyMask.IN_MOVE_SELF);
                if (target != null)
                {
                    kernel.Watches.LinkRemoved(target);
                }
            }
        }
        return renamed;
    }

    public static long Link(Kernel kernel, int oldDirfd, string oldPath, int newDirfd, string newPath, int flags)
    {
        if ((flags & ~(OpenFlags.AT_SYMLINK_FOLLOW | OpenFlags.AT_EMPTY_PATH)) != 0)
        {
            return -Errno.EINVAL;
        }
        VfsLocation? source;
        if (oldPath.Length == 0 && (flags & OpenFlags.AT_EMPTY_PATH) != 0 && kernel.Files.Get(oldDirfd) is VfsFile open)
        {
            source = open.Location;
        }
        else
        {
            long found = PathWalk.Lookup(kernel, oldDirfd, oldPath, (flags & OpenFlags.AT_SYMLINK_FOLLOW) != 0, out source);
            if (found < 0 || source == null)
            {
                return found;
            }
        }
        long checkedName = VfsOpen.CheckNewName(kernel, newDirfd, newPath, false, out VfsLocation? parent, out string last);
        if (checkedName < 0 || parent == null)
        {
            return checkedName;
        }
        if (source.Mount != parent.Mount)
        {
            return -Errno.EXDEV;
        }
        if (source.IsDirectory)
        {
            return -Errno.EPERM;
        }
        source.Vnode.GetAttributes(out Stat attributes);
        if (attributes.LinkCount == 0)
        {
            return -Errno.ENOENT;
        }
        long linked = parent.Vnode.Link(last, source.Vnode);
        if (KernelFeatures.Inotify)
        {
            if (linked == 0 && kernel.Watches != null)
            {
                kernel.Watches.Child(parent, last, false, InotifyMask.IN_CREATE, 0);
                kernel.Watches.Self(source.Mount, source.Vnode.Inode, false, InotifyMask.IN_ATTRIB);
            }
        }
        return linked;
    }

    public static bool IsEmpty(IVnode directory)
    {
        return directory.ReadDirectory(0, out _) == 0;
    }
}
