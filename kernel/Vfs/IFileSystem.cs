namespace Unikraft.Kernel;

using System;

// A file system as the VFS sees it: something that gives a root vnode when mounted. Every
// operation returns 0 (or a count) or -errno and never throws, as syscalls do.
//
// Contract between the VFS and a file system (ramfs, devfs, initrd, hostfs):
// - Names passed in are single path components: never empty, never "." or "..", no '/', no
//   NUL, at most 255 UTF-8 bytes. The VFS checks all of that before calling.
// - The VFS checks types and existence before a call where Linux defines the errno (ENOTDIR,
//   EISDIR, EEXIST, ENOTEMPTY, EXDEV, EROFS, ELOOP, RENAME_NOREPLACE...), so a file system
//   may rely on it, but must still fail safely (any -errno) rather than corrupt itself.
// - Read-only mounts are enforced by the VFS (EROFS), not by the file system.
// - Vnodes are compared by (file system, Inode): a lookup may return a new object for the
//   same file, as long as its Inode stays the same.
internal interface IFileSystem
{
    // Called once by VfsMounts.Mount. The file system may keep the kernel (for its clock).
    // Returns 0 with the root directory, or -errno (the mount then fails at boot).
    long Mount(Kernel kernel, out IVnode? root);
}

// One file, directory, symbolic link or device node of a file system.
internal interface IVnode
{
    // The S_IF* type bits of Stat.S_IFMT (S_IFREG, S_IFDIR, S_IFLNK, S_IFCHR); constant for
    // the life of the vnode.
    int Type { get; }

    // A number unique within the file system while the file exists (st_ino).
    long Inode { get; }

    // Fills Inode, Mode, LinkCount, Size, Blocks, BlockSize, times, SpecialDevice; the VFS
    // sets Device. Linux's nlink rules apply: a directory has 2 + its subdirectories.
    long GetAttributes(out Stat attributes);

    // Read and write at an absolute offset; the VFS keeps the file position. Read returns the
    // byte count (0 at or past the end). Write returns the count written: when space runs out
    // it writes what fits and returns that count, or -ENOSPC when nothing fits. A write past
    // the end fills the gap with zeros. Directories are never passed here.
    long Read(long offset, Span<byte> buffer);

    long Write(long offset, ReadOnlySpan<byte> buffer);

    // Regular files: sets the size (zero-filled when growing); -ENOSPC, -EFBIG as Linux.
    long SetSize(long size);

    // Sets the access and modification times (the VFS resolves UTIME_NOW and UTIME_OMIT).
    long SetTimes(Timespec accessTime, Timespec modifyTime);

    // Symbolic links: the target as stored. Other types: -EINVAL.
    long ReadLink(out string target);

    // Directories only (the VFS never calls these on other types).
    // Lookup: 0 with the child, or -ENOENT.
    long Lookup(string name, out IVnode? child);

    // Creates a regular file (the VFS has checked the name is free): 0 with the new vnode.
    long Create(string name, int mode, out IVnode? file);

    long MakeDirectory(string name, int mode, out IVnode? directory);

    long MakeSymbolicLink(string name, string target, out IVnode? link);

    // A new name for an existing non-directory of this same file system.
    long Link(string name, IVnode target);

    // Removes a name of a non-directory.
    long Unlink(string name);

    // Removes an empty directory (the VFS has checked it is empty).
    long RemoveDirectory(string name);

    // Moves oldName of this directory to newName of newParent (same file system). When newName
    // exists the VFS has checked that the move is allowed (types match, a directory target is
    // empty, not a move into itself) and the file system replaces it atomically.
    long Rename(string oldName, IVnode newParent, string newName);

    // Reads one directory entry at cookie (0 starts, then each entry's NextCookie). Returns 1
    // with the entry, 0 at the end, or -errno. "." and ".." are not returned: the VFS adds them.
    long ReadDirectory(long cookie, out DirectoryEntry entry);

    // fsync(2): makes what the file holds durable on the file system's storage. 0 or -errno.
    long Sync();
}

// One entry of ReadDirectory; Type is the S_IF* type bits of the entry. Cookie, when a file
// system gives it (>= 0), is a cookie that returns this same entry even after names were added:
// a listing whose buffer is full at this entry resumes there, as tmpfs does. -1: unknown (the
// listing then resumes at the cookie that found the entry).
internal readonly struct DirectoryEntry
{
    public DirectoryEntry(string name, long inode, int type, long nextCookie)
    {
        Name = name;
        Inode = inode;
        Type = type;
        NextCookie = nextCookie;
        Cookie = -1;
    }

    public DirectoryEntry(string name, long inode, int type, long nextCookie, long cookie)
    {
        Name = name;
        Inode = inode;
        Type = type;
        NextCookie = nextCookie;
        Cookie = cookie;
    }

    public long Cookie { get; }

    public string Name { get; }

    public long Inode { get; }

    public int Type { get; }

    public long NextCookie { get; }
}
