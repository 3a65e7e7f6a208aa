namespace Unikraft.Kernel;

using System;
using System.Buffers.Binary;
using System.Text;

// An open file description of the VFS: a location, the file position and the open flags.
// dup'ed fds share one VfsFile, so they share its position, as on Linux.
internal sealed class VfsFile : IFileDescription
{
    // NOTE: F_SETFL may change O_APPEND | O_NONBLOCK | O_DIRECT | O_NOATIME (fs/fcntl.c).
    private const int ChangeableFlags = OpenFlags.O_APPEND | OpenFlags.O_NONBLOCK | OpenFlags.O_DIRECT | OpenFlags.O_NOATIME;

    // NOTE: the flags open(2) consumes; F_GETFL does not report them.
    private const int OpenOnlyFlags = OpenFlags.O_CREAT | OpenFlags.O_EXCL | OpenFlags.O_NOCTTY | OpenFlags.O_TRUNC | OpenFlags.O_CLOEXEC;

    // NOTE: linux_dirent64 is d_ino (8), d_off (8), d_reclen (2), d_type (1), then the name
    // and its NUL, padded to 8 bytes (include/linux/dirent.h).
    private const int DirentHeaderLength = 19;

    // The position of a directory listed to its end: a listing that reached the end stays there,
    // so names added later show only after a rewind (lseek to 0), as on Linux. It is past every
    // cookie: a host file system's cookies take the whole 63-bit range (ext4 hashes each name into
    // a 63-bit cookie and marks its end with LLONG_MAX), where tmpfs's stop at S32_MAX.
    public const long EndOfDirectory = long.MaxValue;

    private readonly Kernel kernel;
    private int flags;
    private long position;

    public VfsFile(Kernel kernel, VfsLocation location, int flags)
    {
        this.kernel = kernel;
        Location = location;
        this.flags = (flags & ~OpenOnlyFlags) | OpenFlags.O_LARGEFILE;
    }

    public VfsLocation Location { get; }

    public IVnode Vnode => Location.Vnode;

    public long Position => position;

    public int StatusFlags => flags;

    public bool CanRead => (flags & OpenFlags.O_ACCMODE) != OpenFlags.O_WRONLY && (flags & OpenFlags.O_PATH) == 0;

    public bool CanWrite => (flags & OpenFlags.O_ACCMODE) != OpenFlags.O_RDONLY && (flags & OpenFlags.O_PATH) == 0;

    public void SetStatusFlags(int newFlags)
    {
        flags = (flags & ~ChangeableFlags) | (newFlags & ChangeableFlags);
    }

    // Regular files and directories are always ready, as on Linux; nothing ever needs waking.
    public int Poll()
    {
        return PollEvents.AlwaysReady;
    }

    public Readiness? Readiness => null;

    // Nothing is held open on the file system's side. The last close of a file opened for
    // writing is IN_CLOSE_WRITE to its watches.
    public void Release()
    {
        if (KernelFeatures.Inotify)
        {
            if (CanWrite && kernel.Watches != null)
            {
                kernel.Watches.Changed(Location, InotifyMask.IN_CLOSE_WRITE);
            }
        }
    }

    // Tells the file's inotify watches, and its directory's, that its data changed. A method of
    // its own so that callers inside another feature's guard keep only the call: the guard here
    // goes when the program never makes an inotify instance, and the inotify library with it.
    public void NotifyModified()
    {
        if (KernelFeatures.Inotify)
        {
            if (kernel.Watches != null)
            {
                kernel.Watches.Changed(Location, InotifyMask.IN_MODIFY);
            }
        }
    }

    public long GetAttributes(out Stat attributes)
    {
        long result = Vnode.GetAttributes(out attributes);
        attributes.Device = Location.Mount.Device;
        return result;
    }

    public long Read(Span<byte> buffer)
    {
        long read = ReadAt(position, buffer);
        if (read > 0)
        {
            position += read;
        }
        return read;
    }

    public long ReadAt(long offset, Span<byte> buffer)
    {
        if (!CanRead)
        {
            return -Errno.EBADF;
        }
        if (Vnode.Type == Stat.S_IFDIR)
        {
            return -Errno.EISDIR;
        }
        if (offset < 0)
        {
            return -Errno.EINVAL;
        }
        if (buffer.IsEmpty)
        {
            return 0;
        }
        return Vnode.Read(offset, buffer);
    }

    public long Write(ReadOnlySpan<byte> buffer)
    {
        if (KernelFeatures.FileWrite)
        {
            long offset = position;
            if (KernelFeatures.FileAppend)
            {
                if ((flags & OpenFlags.O_APPEND) != 0 && Vnode.Type == Stat.S_IFREG)
                {
                    Vnode.GetAttributes(out Stat attributes);
                    offset = attributes.Size;
                }
            }
            long written = WriteAt(offset, buffer, true);
            if (written > 0)
            {
                position = offset + written;
            }
            return written;
        }
        return -Errno.EBADF;
    }

    // pwrite64 and write. NOTE: on Linux, pwrite on an O_APPEND file writes at the end
    // whatever the offset (pwrite(2), BUGS); positioned says the caller already placed it.
    public long WriteAt(long offset, ReadOnlySpan<byte> buffer, bool positioned)
    {
        if (KernelFeatures.FileWrite)
        {
            if (!CanWrite)
            {
                return -Errno.EBADF;
            }
            if (offset < 0)
            {
                return -Errno.EINVAL;
            }
            if (buffer.IsEmpty)
            {
                return 0;
            }
            if (!positioned && (flags & OpenFlags.O_APPEND) != 0 && Vnode.Type == Stat.S_IFREG)
            {
                Vnode.GetAttributes(out Stat attributes);
                offset = attributes.Size;
            }
            long written = Vnode.Write(offset, buffer);
            if (written > 0)
            {
                NotifyModified();
            }
            return written;
        }
        return -Errno.EBADF;
    }

    public long Seek(long offset, int whence)
    {
        long basis;
        switch (whence)
        {
            case OpenFlags.SEEK_SET:
                basis = 0;
                break;
            case OpenFlags.SEEK_CUR:
                basis = position;
                break;
            case OpenFlags.SEEK_END:
                if (Vnode.Type == Stat.S_IFDIR)
                {
                    return -Errno.EINVAL;
                }
                Vnode.GetAttributes(out Stat attributes);
                basis = attributes.Size;
                break;
            default:
                return -Errno.EINVAL;
        }
        if ((offset > 0 && basis > long.MaxValue - offset))
        {
            return -Errno.EOVERFLOW;
        }
        long target = basis + offset;
        if (target < 0)
        {
            return -Errno.EINVAL;
        }
        position = target;
        return target;
    }

    public long Truncate(long length)
    {
        if (Vnode.Type != Stat.S_IFREG || !CanWrite)
        {
            return -Errno.EINVAL;
        }
        long result = Vnode.SetSize(length);
        if (result == 0)
        {
            NotifyModified();
        }
        return result;
    }

    // getdents64: whole linux_dirent64 records into buffer, "." and ".." first. The position
    // of a directory is 0 for ".", 1 for "..", then 2 + the file system's cookie.
    public long ReadDirectory(Span<byte> buffer)
    {
        if (Vnode.Type != Stat.S_IFDIR)
        {
            return -Errno.ENOTDIR;
        }
        if (Location.IsDeadDirectory)
        {
            return -Errno.ENOENT;
        }
        int used = 0;
        while (true)
        {
            if (position >= EndOfDirectory)
            {
                return used;
            }
            string name;
            long inode;
            int type;
            long next;
            long here = position;
            if (position == 0)
            {
                name = ".";
                inode = Vnode.Inode;
                type = Stat.S_IFDIR;
                next = 1;
            }
            else if (position == 1)
            {
                name = "..";
                inode = (Location.Parent ?? Location).Vnode.Inode;
                type = Stat.S_IFDIR;
                next = 2;
            }
            else
            {
                long read = Vnode.ReadDirectory(position - 2, out DirectoryEntry entry);
                if (read < 0)
                {
                    return used > 0 ? used : read;
                }
                if (read == 0)
                {
                    position = EndOfDirectory;
                    return used;
                }
                name = entry.Name;
                if (entry.Cookie >= 0)
                {
                    here = PositionOf(entry.Cookie);
                }
                inode = entry.Inode;
                type = entry.Type;
                next = PositionOf(entry.NextCookie);
            }
            int nameLength = Encoding.UTF8.GetByteCount(name);
            int recordLength = (DirentHeaderLength + nameLength + 1 + 7) & ~7;
            if (used + recordLength > buffer.Length)
            {
                position = here;
                return used > 0 ? used : -Errno.EINVAL;
            }
            Span<byte> record = buffer.Slice(used, recordLength);
            record.Clear();
            BinaryPrimitives.WriteInt64LittleEndian(record, inode);
            BinaryPrimitives.WriteInt64LittleEndian(record.Slice(8), next);
            BinaryPrimitives.WriteUInt16LittleEndian(record.Slice(16), (ushort)recordLength);
            record[18] = DirentType(type);
            Encoding.UTF8.GetBytes(name, record.Slice(DirentHeaderLength));
            used += recordLength;
            position = next;
        }
    }

    // The position of the file system's cookie: 2 past it ("." and ".." come first). The cookies
    // within 2 of the top of the range are the end (ext4's end of listing is LLONG_MAX; a name
    // hashed there has a chance of 1 in 2^62).
    private static long PositionOf(long cookie)
    {
        return cookie >= EndOfDirectory - 2 ? EndOfDirectory : cookie + 2;
    }

    // NOTE: DT_* values of dirent.h: the S_IF* type shifted right by 12.
    public static byte DirentType(int type)
    {
        return (byte)((type & Stat.S_IFMT) >> 12);
    }
}
