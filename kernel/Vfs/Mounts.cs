namespace Unikraft.Kernel;

using System.Collections.Generic;

// One mounted file system: where it is, its root vnode, whether writes are refused (EROFS),
// and the device number that stat reports for every file in it.
internal sealed class VfsMount
{
    public VfsMount(string path, IFileSystem fileSystem, IVnode root, bool readOnly, long device)
    {
        Path = path;
        FileSystem = fileSystem;
        Root = root;
        ReadOnly = readOnly;
        Device = device;
    }

    public string Path { get; }

    public IFileSystem FileSystem { get; }

    public IVnode Root { get; }

    public bool ReadOnly { get; }

    public long Device { get; }
}

// The mount table. The generated boot calls Mount once per booted mount, parents first, whatever
// order the <UnikraftMount> items are written in (the plan sorts them into tree order).
internal static class VfsMounts
{
    // Mounts fileSystem at path, an absolute canonical path ("/", "/data", "/tmp/x"). The root
    // comes first; any other mount point must be an existing directory of a mounted file
    // system, not already a mount point. Errors at boot are configuration errors, so they throw.
    public static void Mount(Kernel kernel, string path, IFileSystem fileSystem, bool readOnly)
    {
        Vfs vfs = kernel.Vfs ??= new Vfs();
        if (path.Length == 0 || path[0] != '/')
        {
            throw new KernelException("mount " + path + ": a mount point must be an absolute path");
        }
        if (path != "/" && (path.EndsWith('/') || path.Contains("//", System.StringComparison.Ordinal) ||
            path.Contains("/./", System.StringComparison.Ordinal) || path.EndsWith("/.", System.StringComparison.Ordinal) ||
            path.Contains("/../", System.StringComparison.Ordinal) || path.EndsWith("/..", System.StringComparison.Ordinal)))
        {
            throw new KernelException("mount " + path + ": a mount point must be a canonical path (no '.', '..', repeated or trailing '/')");
        }
        if (vfs.FindMount(path) != null)
        {
            throw new KernelException("mount " + path + ": a file system is already mounted there (mounts must not overlap)");
        }
        if (path != "/")
        {
            VfsLocation? rootLocation = vfs.Root;
            if (rootLocation == null)
            {
                throw new KernelException("mount " + path + ": mount / first; the mount point must be a directory of a mounted file system");
            }
            long found = PathWalk.Resolve(kernel, rootLocation, path, true, out VfsLocation? location);
            if (found == -Errno.ENOENT)
            {
                found = CreateMountPoint(kernel, rootLocation, path, out location);
            }
            if (found < 0 || location == null)
            {
                throw new KernelException("mount " + path + ": the mount point does not exist (" + Errno.Name((int)-found) + ")");
            }
            if (location.Vnode.Type != Stat.S_IFDIR)
            {
                throw new KernelException("mount " + path + ": the mount point is not a directory");
            }
            if (location.FullPath != path)
            {
                throw new KernelException("mount " + path + ": the mount point must not be reached through a symbolic link");
            }
        }
        long mounted = fileSystem.Mount(kernel, out IVnode? root);
        if (mounted < 0 || root == null)
        {
            throw new KernelException("mount " + path + ": the file system failed to mount (" + Errno.Name((int)-mounted) + ")");
        }
        vfs.AddMount(new VfsMount(path, fileSystem, root, readOnly, vfs.MountCount + 1));
    }

    // Creates the missing directories of a mount point, as mkdir -p would, in the file systems
    // mounted so far. Mount points are part of the kernel's configuration, not of the program's
    // files, so this happens even under a read-only mount (an initrd root need not ship an empty
    // /data for a hostfs to hang on), through the vnodes rather than through mkdirat.
    private static long CreateMountPoint(Kernel kernel, VfsLocation root, string path, out VfsLocation? location)
    {
        location = null;
        int start = 1;
        while (start <= path.Length)
        {
            int end = path.IndexOf('/', start);
            if (end < 0)
            {
                end = path.Length;
            }
            string prefix = path.Substring(0, end);
            long found = PathWalk.Resolve(kernel, root, prefix, true, out VfsLocation? step);
            if (found == -Errno.ENOENT)
            {
                int slash = prefix.LastIndexOf('/');
                long parentFound = PathWalk.Resolve(kernel, root, slash == 0 ? "/" : prefix.Substring(0, slash), true, out VfsLocation? parent);
                if (parentFound < 0 || parent == null)
                {
                    return parentFound < 0 ? parentFound : -Errno.ENOENT;
                }
                // NOTE: 0755, the mode mkdir -p gives under the usual umask 022.
                long made = parent.Vnode.MakeDirectory(prefix.Substring(slash + 1), 0x1ED, out IVnode? _);
                if (made < 0)
                {
                    return made;
                }
                found = PathWalk.Resolve(kernel, root, prefix, true, out step);
            }
            if (found < 0)
            {
                return found;
            }
            location = step;
            start = end + 1;
        }
        return location == null ? -Errno.ENOENT : 0;
    }
}
