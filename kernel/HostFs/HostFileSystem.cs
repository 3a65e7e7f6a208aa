namespace Unikraft.Kernel;

using System;

// One host folder passed through to the kernel, sandboxed: nothing outside it can be reached.
// The folder is opened once, at mount, as a directory file descriptor; every later operation
// resolves its path relative to that descriptor with openat2(2) and RESOLVE_BENEATH |
// RESOLVE_NO_MAGICLINKS | RESOLVE_NO_SYMLINKS | RESOLVE_NO_XDEV, which the host kernel enforces
// atomically during the walk (so a symbolic link or directory swapped between a check and a use cannot lead out),
// and then acts on the final component with a *at call that does not follow it (O_NOFOLLOW,
// AT_SYMLINK_NOFOLLOW, O_CREAT|O_EXCL, linkat without AT_SYMLINK_FOLLOW). No path is ever
// checked as a string.
//
// RESOLVE_NO_SYMLINKS is stricter than the sandbox needs: the VFS follows symbolic links itself,
// in the kernel's own name space, so the host never has to. A symbolic link stored in the folder
// that points at /etc is therefore read by the VFS as the kernel's /etc, never the host's.
//
// RESOLVE_NO_XDEV: the folder is one host file system. A mount the host made inside it (a
// tmpfs, or a bind mount that may show anything of the host, even a single file) is listed by
// its parent but cannot be entered, opened or stat'ed (EXDEV): a kernel mount is one device, and
// inode numbers of two host file systems would collide in it.
//
// Hard links the host made from inside the folder to a file outside it are files of the folder
// (the host put them there), so they can be read; but a file with more than one name is never
// changed (EPERM), since its other names may lie outside. The kernel cannot create such a link:
// both names of linkat resolve beneath the root. Read-only mounts refuse every change with EROFS
// here as well as in the VFS. Without openat2 (Linux before 5.6) the mount is refused: there is
// no safe fallback. FIFOs, sockets and device nodes are never opened (OpenRegular).
//
// Limits, by design: the threat is the program, not the host. The kernel can never move anything
// out of the folder, but if the host itself moves a directory out while one call holds it open
// (between openat2 and the *at call), that one call acts on the moved directory, as any open
// descriptor would. Vnodes are paths resolved again on every call, so an open file that is
// renamed or unlinked afterwards is no longer reachable through its descriptor (ENOENT), unlike
// Linux; holding a host descriptor per open file needs an open/release notification in IVnode.
[FileSystem("hostfs")]
internal sealed class HostFileSystem : IFileSystem, IDisposable
{
    internal const ulong Resolve = HostCalls.RESOLVE_BENEATH | HostCalls.RESOLVE_NO_MAGICLINKS | HostCalls.RESOLVE_NO_SYMLINKS |
        HostCalls.RESOLVE_NO_XDEV;

    // NOTE: AT_FDCWD from linux/fcntl.h.
    private const int AtCurrentDirectory = -100;

    // The host's /proc/self/fd, opened once by the first mount (Reopen); -1 until then.
    private static int processFds = -1;

    private int rootFd;

    // Opens hostFolder for a mount. Boot cannot continue without its mounts, so this throws a
    // KernelException that says what is wrong; TryOpen is the errno-returning form.
    public HostFileSystem(string hostFolder, bool readOnly)
    {
        long opened = OpenRoot(hostFolder, out rootFd, out string? problem);
        if (opened < 0)
        {
            throw new KernelException("hostfs " + hostFolder + ": " + problem + " (" + Errno.Name((int)-opened) + ")", (int)-opened);
        }
        HostFolder = hostFolder;
        ReadOnly = readOnly;
    }

    private HostFileSystem(string hostFolder, bool readOnly, int rootFd)
    {
        HostFolder = hostFolder;
        ReadOnly = readOnly;
        this.rootFd = rootFd;
    }

    public string HostFolder { get; }

    public bool ReadOnly { get; }

    internal int RootFd => rootFd;

    // Returns 0 with the file system, or -errno (ENOSYS when the host has no openat2).
    public static long TryOpen(string hostFolder, bool readOnly, out HostFileSystem? fileSystem)
    {
        fileSystem = null;
        long opened = OpenRoot(hostFolder, out int fd, out string? unused);
        if (opened < 0)
        {
            return opened;
        }
        fileSystem = new HostFileSystem(hostFolder, readOnly, fd);
        return 0;
    }

    public long Mount(Kernel kernel, out IVnode? root)
    {
        root = null;
        if (rootFd < 0)
        {
            return -Errno.EBADF;
        }
        byte[] statx = new byte[HostCalls.StatxLength];
        long stat = HostCalls.Statx(rootFd, HostVnode.EmptyPath, HostCalls.AT_EMPTY_PATH, statx);
        if (stat < 0)
        {
            return stat;
        }
        root = new HostVnode(this, "", "", Stat.S_IFDIR, HostVnode.StatxInode(statx));
        return 0;
    }

    public void Dispose()
    {
        if (rootFd >= 0)
        {
            HostCalls.Close(rootFd);
            rootFd = -1;
        }
    }

    // Opens the directory at path (relative to the root, "" for the root) as an O_PATH
    // descriptor for *at calls, resolved beneath the root without following any symbolic link.
    internal long OpenDirectory(string path, out int fd)
    {
        return Open(path, HostCalls.O_PATH | HostCalls.O_DIRECTORY, out fd);
    }

    // Opens the object at path with flags; the last component is never followed, a FIFO never
    // blocks the open and a terminal never becomes the controlling one.
    internal long Open(string path, int flags, out int fd)
    {
        fd = -1;
        if (rootFd < 0)
        {
            return -Errno.EBADF;
        }
        byte[] bytes = HostVnode.ToCString(path.Length == 0 ? "." : path);
        // openat2 refuses O_PATH with any flag but O_DIRECTORY, O_NOFOLLOW and O_CLOEXEC.
        int extra = (flags & HostCalls.O_PATH) != 0 ? 0 : HostCalls.O_NOCTTY | HostCalls.O_NONBLOCK;
        int result = HostCalls.Openat2(rootFd, bytes, flags | HostCalls.O_NOFOLLOW | HostCalls.O_CLOEXEC | extra, 0, Resolve);
        if (result < 0)
        {
            return result;
        }
        fd = result;
        return 0;
    }

    // Opens the regular file at path for I/O without ever opening anything else: the object is
    // first opened with O_PATH (which runs no driver and wakes no FIFO peer), its type and link
    // count are checked on that descriptor, and only a regular file is then reopened with flags
    // through /proc/self/fd, which reaches that same inode whatever the host does to the name
    // in between. A FIFO, socket or device node gives EINVAL (a symbolic link ELOOP, a directory
    // EISDIR); a file with more than one name gives EPERM when change is set.
    internal long OpenRegular(string path, int flags, bool change, out int fd)
    {
        fd = -1;
        long opened = Open(path, HostCalls.O_PATH, out int pathFd);
        if (opened < 0)
        {
            return opened;
        }
        byte[] statx = new byte[HostCalls.StatxLength];
        long result = HostCalls.Statx(pathFd, HostVnode.EmptyPath, HostCalls.AT_EMPTY_PATH, statx);
        if (result >= 0)
        {
            int type = HostVnode.StatxMode(statx) & Stat.S_IFMT;
            // A symbolic link gives ELOOP, as open(2) with O_NOFOLLOW does.
            result = type == Stat.S_IFLNK ? -Errno.ELOOP
                : type == Stat.S_IFDIR ? -Errno.EISDIR
                : type != Stat.S_IFREG ? -Errno.EINVAL
                : change && HostVnode.StatxLinkCount(statx) > 1 ? -Errno.EPERM
                : Reopen(pathFd, flags, out fd);
        }
        HostCalls.Close(pathFd);
        return result;
    }

    // "/proc/self/fd/N" of an O_PATH descriptor, opened with flags: the same inode, never the
    // name again. The path is the kernel's own text, not the program's, and relative to the
    // descriptor of /proc/self/fd opened at the first mount: once the kernel has booted, the
    // confinement refuses every open that is not relative to a directory's descriptor.
    private static long Reopen(int pathFd, int flags, out int fd)
    {
        fd = -1;
        if (processFds < 0)
        {
            int opened = HostCalls.Openat(AtCurrentDirectory, HostVnode.ToCString("/proc/self/fd"), HostCalls.O_PATH | HostCalls.O_DIRECTORY | HostCalls.O_CLOEXEC, 0);
            if (opened < 0)
            {
                return opened;
            }
            processFds = opened;
        }
        byte[] magic = HostVnode.ToCString(pathFd.ToString(System.Globalization.CultureInfo.InvariantCulture));
        int result = HostCalls.Openat(processFds, magic, flags | HostCalls.O_CLOEXEC | HostCalls.O_NOCTTY | HostCalls.O_NONBLOCK, 0);
        if (result < 0)
        {
            return result;
        }
        fd = result;
        return 0;
    }

    private static long OpenRoot(string hostFolder, out int fd, out string? problem)
    {
        fd = -1;
        if (string.IsNullOrEmpty(hostFolder) || hostFolder.IndexOf('\0') >= 0)
        {
            problem = "the host folder must be a non-empty path without NUL";
            return -Errno.EINVAL;
        }
        int opened = HostCalls.Openat(AtCurrentDirectory, HostVnode.ToCString(hostFolder),
            HostCalls.O_PATH | HostCalls.O_DIRECTORY | HostCalls.O_CLOEXEC, 0);
        if (opened < 0)
        {
            problem = "cannot open the host folder as a directory";
            return opened;
        }
        // The sandbox rests on openat2; probe it once, and refuse the mount if the host lacks
        // it rather than fall back to something that a symbolic link could escape.
        int probe = HostCalls.Openat2(opened, HostVnode.ToCString("."), HostCalls.O_PATH | HostCalls.O_CLOEXEC, 0, Resolve);
        if (probe < 0)
        {
            HostCalls.Close(opened);
            problem = probe == -Errno.ENOSYS
                ? "the host kernel has no openat2(2) (Linux 5.6 or later is needed to sandbox a host folder)"
                : "openat2(2) with RESOLVE_BENEATH failed on the host folder";
            return probe;
        }
        HostCalls.Close(probe);
        // Files are reopened through /proc/self/fd (OpenRegular); without /proc no file could
        // be read, so the mount is refused here rather than fail on every read.
        long reopened = Reopen(opened, HostCalls.O_RDONLY | HostCalls.O_DIRECTORY, out int reopenedFd);
        if (reopened < 0)
        {
            HostCalls.Close(opened);
            problem = "cannot reopen the host folder through /proc/self/fd (hostfs needs /proc mounted)";
            return reopened;
        }
        HostCalls.Close(reopenedFd);
        problem = null;
        fd = opened;
        return 0;
    }
}
