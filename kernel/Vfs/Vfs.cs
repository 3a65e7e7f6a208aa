namespace Unikraft.Kernel;

using System;
using System.Collections.Generic;

// The VFS state of one kernel: the mount table and the working directory. It lives in the
// Kernel instance (kernel.Vfs), created by the first mount.
internal sealed class Vfs
{
    private readonly List<VfsMount> mounts = new List<VfsMount>();
    private readonly Dictionary<string, VfsMount> mountsByPath = new Dictionary<string, VfsMount>(StringComparer.Ordinal);

    public VfsMount? RootMount { get; private set; }

    // The root directory, or null before / is mounted (for ever in a kernel that mounts nothing,
    // whose file calls then fail with ENOENT: UK0102 and UK0104 say so when it is built). A
    // property, like RootMount: such a kernel keeps no code that sets it.
    public VfsLocation? Root { get; private set; }

    // The working directory: "/" at boot.
    public VfsLocation? WorkingDirectory { get; set; }

    public int MountCount => mounts.Count;

    public VfsMount? FindMount(string path)
    {
        if (mounts.Count == 0)
        {
            return null;
        }
        return mountsByPath.TryGetValue(path, out VfsMount? mount) ? mount : null;
    }

    public void AddMount(VfsMount mount)
    {
        mounts.Add(mount);
        mountsByPath[mount.Path] = mount;
        if (mount.Path == "/")
        {
            RootMount = mount;
            Root = new VfsLocation(null, "", mount.Root, mount);
            WorkingDirectory = Root;
        }
    }

    // The location of name inside directory: the root of a file system mounted there, or vnode.
    public VfsLocation Child(VfsLocation directory, string name, IVnode vnode)
    {
        if (mounts.Count > 1)
        {
            string path = directory.Parent == null ? "/" + name : directory.FullPath + "/" + name;
            if (mountsByPath.TryGetValue(path, out VfsMount? mount))
            {
                return new VfsLocation(directory, name, mount.Root, mount);
            }
        }
        return new VfsLocation(directory, name, vnode, directory.Mount);
    }
}

// A place in the name space: a vnode with the chain of directories the walk came through, so
// ".." leaves a mounted file system for the directory it is mounted on, and getcwd can print
// the path. NOTE: as in Linux's dcache, the path is the one the walk took; a directory renamed
// after the walk keeps its old path here (getcwd then prints the old name).
internal sealed class VfsLocation
{
    private string? fullPath;

    public VfsLocation(VfsLocation? parent, string name, IVnode vnode, VfsMount mount)
    {
        Parent = parent;
        Name = name;
        Vnode = vnode;
        Mount = mount;
    }

    // Null only for the root of the name space.
    public VfsLocation? Parent { get; }

    public string Name { get; }

    public IVnode Vnode { get; }

    public VfsMount Mount { get; }

    public string FullPath
    {
        get
        {
            if (fullPath == null)
            {
                if (Parent == null)
                {
                    fullPath = "/";
                }
                else if (Parent.Parent == null)
                {
                    fullPath = "/" + Name;
                }
                else
                {
                    fullPath = Parent.FullPath + "/" + Name;
                }
            }
            return fullPath;
        }
    }

    public bool IsDirectory => Vnode.Type == Stat.S_IFDIR;

    // A directory that was removed while something still refers to it (an open fd, the working
    // directory): Linux's IS_DEADDIR. Nothing can be created in it (ENOENT) and reading it is
    // ENOENT; file systems report it as a directory with no links left.
    public bool IsDeadDirectory
    {
        get
        {
            if (Vnode.Type != Stat.S_IFDIR)
            {
                return false;
            }
            Vnode.GetAttributes(out Stat attributes);
            return attributes.LinkCount == 0;
        }
    }

    // True when this location is other or lies below it (a directory cannot move into itself).
    public bool IsAtOrBelow(VfsLocation other)
    {
        for (VfsLocation? location = this; location != null; location = location.Parent)
        {
            if (location.Mount == other.Mount && location.Vnode.Inode == other.Vnode.Inode)
            {
                return true;
            }
        }
        return false;
    }
}
