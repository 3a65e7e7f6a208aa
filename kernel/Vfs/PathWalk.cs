namespace Unikraft.Kernel;

using System;
using System.Text;

// Path resolution as Linux's fs/namei.c does it: components split on '/' (repeated slashes
// are one), "." stays, ".." goes up (and out of a mounted file system, never above "/"),
// symbolic links are followed in the middle of a path always and at the end when asked, 40 at
// most per resolution (then ELOOP). A trailing slash requires a directory (ENOTDIR) and follows
// a final symbolic link. A component longer than 255 UTF-8 bytes is ENAMETOOLONG, a path of
// 4096 bytes or more is ENAMETOOLONG (PATH_MAX counts the NUL), an empty path is ENOENT.
// NOTE: our ABI passes paths as string, not NUL-terminated bytes. A C caller could never
// pass a NUL inside a path (it would end the string there); here a NUL is refused with EINVAL
// rather than silently cutting the path.
internal static class PathWalk
{
    // Checks a whole path before any walk: EINVAL, ENAMETOOLONG, ENOENT, or 0.
    public static long Check(string path)
    {
        if (path.Length == 0)
        {
            return -Errno.ENOENT;
        }
        if (path.Contains('\0'))
        {
            return -Errno.EINVAL;
        }
        if (path.Length >= OpenFlags.PATH_MAX || Encoding.UTF8.GetByteCount(path) >= OpenFlags.PATH_MAX)
        {
            return -Errno.ENAMETOOLONG;
        }
        return 0;
    }

    // Where a relative path starts: the working directory for AT_FDCWD, else the directory
    // open on dirfd (EBADF when none is, ENOTDIR when it is not a directory).
    public static long Start(Kernel kernel, int dirfd, string path, out VfsLocation? start)
    {
        start = null;
        Vfs? vfs = kernel.Vfs;
        if (vfs == null || vfs.Root == null)
        {
            return -Errno.ENOENT;
        }
        if (path.Length > 0 && path[0] == '/')
        {
            start = vfs.Root;
            return 0;
        }
        if (dirfd == OpenFlags.AT_FDCWD)
        {
            start = vfs.WorkingDirectory ?? vfs.Root;
            return 0;
        }
        IFileDescription? description = kernel.Files.Get(dirfd);
        if (description == null)
        {
            return -Errno.EBADF;
        }
        if (description is not VfsFile file)
        {
            return -Errno.ENOTDIR;
        }
        start = file.Location;
        return 0;
    }

    // Resolves the whole path to a location.
    public static long Resolve(Kernel kernel, VfsLocation start, string path, bool followFinal, out VfsLocation? result)
    {
        int links = 0;
        return Resolve(kernel, ref links, start, path, followFinal, out result);
    }

    public static long Resolve(Kernel kernel, ref int links, VfsLocation start, string path, bool followFinal, out VfsLocation? result)
    {
        result = null;
        long walked = ResolveParent(kernel, ref links, start, path, out VfsLocation? directory, out string last, out bool trailingSlash);
        if (walked < 0 || directory == null)
        {
            return walked;
        }
        if (last.Length == 0)
        {
            result = directory;
            return 0;
        }
        long stepped = Step(kernel, ref links, directory, last, followFinal || trailingSlash, out result);
        if (stepped < 0)
        {
            return stepped;
        }
        if (trailingSlash && result != null && !result.IsDirectory)
        {
            result = null;
            return -Errno.ENOTDIR;
        }
        return 0;
    }

    // Walks every component but the last: directory is where the last one would be, last is
    // its name ("" for a path of slashes only, meaning start or the root itself), trailingSlash
    // says the path ended with '/'. The last name is not checked against the directory.
    public static long ResolveParent(Kernel kernel, ref int links, VfsLocation start, string path,
        out VfsLocation? directory, out string last, out bool trailingSlash)
    {
        directory = null;
        last = "";
        trailingSlash = false;
        long check = Check(path);
        if (check < 0)
        {
            return check;
        }
        Vfs vfs = kernel.Vfs!;
        VfsLocation location = path[0] == '/' ? vfs.Root! : start;
        int end = path.Length;
        while (end > 0 && path[end - 1] == '/')
        {
            end--;
        }
        trailingSlash = end < path.Length && end > 0;
        int lastStart = end;
        while (lastStart > 0 && path[lastStart - 1] != '/')
        {
            lastStart--;
        }
        int position = 0;
        while (position < lastStart)
        {
            if (path[position] == '/')
            {
                position++;
                continue;
            }
            int next = path.IndexOf('/', position);
            string name = path.Substring(position, next - position);
            position = next;
            long stepped = Step(kernel, ref links, location, name, true, out VfsLocation? child);
            if (stepped < 0 || child == null)
            {
                return stepped;
            }
            location = child;
        }
        if (location.Vnode.Type != Stat.S_IFDIR)
        {
            return -Errno.ENOTDIR;
        }
        directory = location;
        last = path.Substring(lastStart, end - lastStart);
        if (Encoding.UTF8.GetByteCount(last) > OpenFlags.NAME_MAX)
        {
            directory = null;
            return -Errno.ENAMETOOLONG;
        }
        return 0;
    }

    // One component from directory: ".", "..", or a name looked up (following a symbolic link
    // when follow is set).
    public static long Step(Kernel kernel, ref int links, VfsLocation directory, string name, bool follow, out VfsLocation? result)
    {
        result = null;
        if (directory.Vnode.Type != Stat.S_IFDIR)
        {
            return -Errno.ENOTDIR;
        }
        if (name == ".")
        {
            result = directory;
            return 0;
        }
        if (name == "..")
        {
            result = directory.Parent ?? directory;
            return 0;
        }
        if (name.Length > OpenFlags.NAME_MAX / 3 && Encoding.UTF8.GetByteCount(name) > OpenFlags.NAME_MAX)
        {
            return -Errno.ENAMETOOLONG;
        }
        long found = directory.Vnode.Lookup(name, out IVnode? vnode);
        if (found < 0 || vnode == null)
        {
            return found < 0 ? found : -Errno.ENOENT;
        }
        VfsLocation child = kernel.Vfs!.Child(directory, name, vnode);
        if (follow && child.Vnode.Type == Stat.S_IFLNK)
        {
            return FollowLink(kernel, ref links, directory, child, out result);
        }
        result = child;
        return 0;
    }

    // Follows the symbolic link at link, found in directory: its target resolves from that
    // directory (or from "/" when absolute), counting toward the limit of 40.
    public static long FollowLink(Kernel kernel, ref int links, VfsLocation directory, VfsLocation link, out VfsLocation? result)
    {
        result = null;
        links++;
        if (links > OpenFlags.MAXSYMLINKS)
        {
            return -Errno.ELOOP;
        }
        long read = link.Vnode.ReadLink(out string target);
        if (read < 0)
        {
            return read;
        }
        if (target.Length == 0)
        {
            return -Errno.ENOENT;
        }
        return Resolve(kernel, ref links, directory, target, true, out result);
    }

    // Start and resolve in one: the location path names from dirfd.
    public static long Lookup(Kernel kernel, int dirfd, string path, bool followFinal, out VfsLocation? result)
    {
        result = null;
        long started = Start(kernel, dirfd, path, out VfsLocation? start);
        if (started < 0 || start == null)
        {
            return started;
        }
        if (path.Length == 0)
        {
            return -Errno.ENOENT;
        }
        return Resolve(kernel, start, path, followFinal, out result);
    }

    // Start and walk to the parent of the last component in one.
    public static long LookupParent(Kernel kernel, int dirfd, string path, out VfsLocation? directory, out string last, out bool trailingSlash)
    {
        directory = null;
        last = "";
        trailingSlash = false;
        long started = Start(kernel, dirfd, path, out VfsLocation? start);
        if (started < 0 || start == null)
        {
            return started;
        }
        int links = 0;
        return ResolveParent(kernel, ref links, start, path, out directory, out last, out trailingSlash);
    }

    // "", "." and ".." as a last component name no entry: Linux's LAST_ROOT and LAST_DOT(DOT).
    public static bool IsDots(string last)
    {
        return last.Length == 0 || last == "." || last == "..";
    }
}
