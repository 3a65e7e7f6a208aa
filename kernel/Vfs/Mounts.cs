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

// The mount table. The generated boot calls Mount once per configured mount, parents first.
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
}
