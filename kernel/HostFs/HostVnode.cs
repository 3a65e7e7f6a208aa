namespace Unikraft.Kernel;

using System;
using System.Buffers.Binary;
using System.Text;

// A file, directory or symbolic link of a host folder, named by its path relative to the
// folder. Each operation opens the parent directory again through the file system (openat2,
// beneath the root, no symbolic links) and acts on the last component with a *at call that does
// not follow it, so the vnode keeps no descriptor and a rename on the host cannot carry it
// outside.
internal sealed class HostVnode : IVnode
{
    // NOTE: PATH_MAX and NAME_MAX from linux/limits.h.
    private const int MaximumPathLength = 4095;
    private const int MaximumNameLength = 255;

    private readonly HostFileSystem fileSystem;
    private readonly string path;
    private readonly string parentPath;
    private readonly string name;

    public HostVnode(HostFileSystem fileSystem, string parentPath, string name, int type, long inode)
    {
        this.fileSystem = fileSystem;
        this.parentPath = parentPath;
        this.name = name;
        path = name.Length == 0 ? "" : parentPath.Length == 0 ? name : parentPath + "/" + name;
        Type = type;
        Inode = inode;
    }

    public static byte[] EmptyPath { get; } = new byte[1];

    public int Type { get; }

    public long Inode { get; }

    // The path relative to the host folder, "" for the root.
    public string Path => path;

    private bool IsRoot => name.Length == 0;

    public long GetAttributes(out Stat attributes)
    {
        attributes = default;
        byte[] statx = new byte[HostCalls.StatxLength];
        long result = StatSelf(statx);
        if (result < 0)
        {
            return result;
        }
        attributes = ToStat(statx);
        return 0;
    }

    public long Read(long offset, Span<byte> buffer)
    {
        if (offset < 0)
        {
            return -Errno.EINVAL;
        }
        long opened = OpenRegular(HostCalls.O_RDONLY, false, out int fd);
        if (opened < 0)
        {
            return opened;
        }
        long result = HostCalls.PRead(fd, buffer, offset);
        HostCalls.Close(fd);
        return result;
    }

    public long Write(long offset, ReadOnlySpan<byte> buffer)
    {
        if (fileSystem.ReadOnly)
        {
            return -Errno.EROFS;
        }
        if (offset < 0)
        {
            return -Errno.EINVAL;
        }
        long opened = OpenRegular(HostCalls.O_WRONLY, true, out int fd);
        if (opened < 0)
        {
            return opened;
        }
        long result = HostCalls.PWrite(fd, buffer, offset);
        HostCalls.Close(fd);
        return result;
    }

    // fsync(2) on the host file: opened read-only beneath the folder (fsync needs no write
    // access), synced, closed. A read-only mount still syncs: it changes nothing.
    public long Sync()
    {
        if (Type != Stat.S_IFREG)
        {
            return 0;
        }
        long opened = OpenRegular(HostCalls.O_RDONLY, false, out int fd);
        if (opened < 0)
        {
            return opened;
        }
        long result = HostCalls.Fsync(fd);
        HostCalls.Close(fd);
        return result;
    }

    public long SetSize(long size)
    {
        if (fileSystem.ReadOnly)
        {
            return -Errno.EROFS;
        }
        if (size < 0)
        {
            return -Errno.EINVAL;
        }
        long opened = OpenRegular(HostCalls.O_WRONLY, true, out int fd);
        if (opened < 0)
        {
            return opened;
        }
        long result = HostCalls.Ftruncate(fd, size);
        HostCalls.Close(fd);
        return result;
    }

    public long SetTimes(Timespec accessTime, Timespec modifyTime)
    {
        if (fileSystem.ReadOnly)
        {
            return -Errno.EROFS;
        }
        long[] times = { accessTime.Seconds, accessTime.Nanoseconds, modifyTime.Seconds, modifyTime.Nanoseconds };
        if (Type == Stat.S_IFREG)
        {
            // On the open file, after the link-count check: the times of a hard-linked file
            // belong to its other names too.
            long openedFile = OpenRegular(HostCalls.O_RDONLY, true, out int fd);
            if (openedFile < 0)
            {
                return openedFile;
            }
            long changed = HostCalls.Futimens(fd, times);
            HostCalls.Close(fd);
            return changed;
        }
        if (IsRoot)
        {
            // "." of the root descriptor is the root itself: no link is involved.
            return HostCalls.Utimensat(fileSystem.RootFd, ToCString("."), times, 0);
        }
        long opened = fileSystem.OpenDirectory(parentPath, out int parent);
        if (opened < 0)
        {
            return opened;
        }
        long result = HostCalls.Utimensat(parent, ToCString(name), times, HostCalls.AT_SYMLINK_NOFOLLOW);
        HostCalls.Close(parent);
        return result;
    }

    public long ReadLink(out string target)
    {
        target = "";
        if (Type != Stat.S_IFLNK || IsRoot)
        {
            return -Errno.EINVAL;
        }
        long opened = fileSystem.OpenDirectory(parentPath, out int parent);
        if (opened < 0)
        {
            return opened;
        }
        byte[] buffer = new byte[MaximumPathLength + 1];
        long length = HostCalls.Readlinkat(parent, ToCString(name), buffer);
        HostCalls.Close(parent);
        if (length < 0)
        {
            return length;
        }
        target = Encoding.UTF8.GetString(buffer, 0, (int)length);
        return 0;
    }

    public long Lookup(string childName, out IVnode? child)
    {
        child = null;
        long checkedName = CheckName(childName, out byte[] bytes);
        if (checkedName < 0)
        {
            return checkedName;
        }
        long opened = fileSystem.OpenDirectory(path, out int directory);
        if (opened < 0)
        {
            return opened;
        }
        long result = MakeChild(directory, childName, bytes, out child);
        HostCalls.Close(directory);
        return result;
    }

    public long Create(string childName, int mode, out IVnode? file)
    {
        file = null;
        long ready = PrepareChange(childName, out byte[] bytes, out int directory);
        if (ready < 0)
        {
            return ready;
        }
        // O_EXCL with O_CREAT never follows a symbolic link in the last component: a dangling
        // link that points outside gives EEXIST, not a new file out there.
        int fd = HostCalls.Openat(directory, bytes,
            HostCalls.O_CREAT | HostCalls.O_EXCL | HostCalls.O_WRONLY | HostCalls.O_NOFOLLOW | HostCalls.O_CLOEXEC |
            HostCalls.O_NOCTTY | HostCalls.O_NONBLOCK, mode & 0xFFF);
        long result = fd;
        if (fd >= 0)
        {
            HostCalls.Close(fd);
            result = MakeChild(directory, childName, bytes, out file);
        }
        HostCalls.Close(directory);
        return result;
    }

    public long MakeDirectory(string childName, int mode, out IVnode? directoryVnode)
    {
        directoryVnode = null;
        long ready = PrepareChange(childName, out byte[] bytes, out int directory);
        if (ready < 0)
        {
            return ready;
        }
        long result = HostCalls.Mkdirat(directory, bytes, mode & 0xFFF);
        if (result >= 0)
        {
            result = MakeChild(directory, childName, bytes, out directoryVnode);
        }
        HostCalls.Close(directory);
        return result;
    }

    public long MakeSymbolicLink(string childName, string target, out IVnode? link)
    {
        link = null;
        if (target.Length == 0 || target.IndexOf('\0') >= 0)
        {
            return target.Length == 0 ? -Errno.ENOENT : -Errno.EINVAL;
        }
        byte[] targetBytes = ToCString(target);
        if (targetBytes.Length - 1 > MaximumPathLength)
        {
            return -Errno.ENAMETOOLONG;
        }
        long ready = PrepareChange(childName, out byte[] bytes, out int directory);
        if (ready < 0)
        {
            return ready;
        }
        long result = HostCalls.Symlinkat(targetBytes, directory, bytes);
        if (result >= 0)
        {
            result = MakeChild(directory, childName, bytes, out link);
        }
        HostCalls.Close(directory);
        return result;
    }

    public long Link(string childName, IVnode target)
    {
        if (target is not HostVnode source || !ReferenceEquals(source.fileSystem, fileSystem))
        {
            return -Errno.EXDEV;
        }
        if (source.Type == Stat.S_IFDIR || source.IsRoot)
        {
            return -Errno.EPERM;
        }
        long ready = PrepareChange(childName, out byte[] bytes, out int directory);
        if (ready < 0)
        {
            return ready;
        }
        long opened = fileSystem.OpenDirectory(source.parentPath, out int sourceDirectory);
        if (opened < 0)
        {
            HostCalls.Close(directory);
            return opened;
        }
        // Flags 0: linkat(2) then links a symbolic link itself, never what it points to.
        long result = HostCalls.Linkat(sourceDirectory, ToCString(source.name), directory, bytes, 0);
        HostCalls.Close(sourceDirectory);
        HostCalls.Close(directory);
        return result;
    }

    public long Unlink(string childName) => Remove(childName, 0);

    public long RemoveDirectory(string childName) => Remove(childName, HostCalls.AT_REMOVEDIR);

    public long Rename(string oldName, IVnode newParent, string newName)
    {
        if (newParent is not HostVnode destination || !ReferenceEquals(destination.fileSystem, fileSystem))
        {
            return -Errno.EXDEV;
        }
        long checkedNew = CheckName(newName, out byte[] newBytes);
        if (checkedNew < 0)
        {
            return checkedNew;
        }
        long ready = PrepareChange(oldName, out byte[] oldBytes, out int directory);
        if (ready < 0)
        {
            return ready;
        }
        long opened = fileSystem.OpenDirectory(destination.path, out int destinationDirectory);
        if (opened < 0)
        {
            HostCalls.Close(directory);
            return opened;
        }
        long result = HostCalls.Renameat2(directory, oldBytes, destinationDirectory, newBytes, 0);
        HostCalls.Close(destinationDirectory);
        HostCalls.Close(directory);
        return result;
    }

    public long ReadDirectory(long cookie, out DirectoryEntry entry)
    {
        entry = default;
        if (Type != Stat.S_IFDIR)
        {
            return -Errno.ENOTDIR;
        }
        if (cookie < 0)
        {
            return -Errno.EINVAL;
        }
        long opened = fileSystem.Open(path, HostCalls.O_RDONLY | HostCalls.O_DIRECTORY, out int fd);
        if (opened < 0)
        {
            return opened;
        }
        long result = ReadEntry(fd, cookie, out entry);
        HostCalls.Close(fd);
        return result;
    }

    // NUL-terminated UTF-8, as the host's system calls take paths.
    public static byte[] ToCString(string text)
    {
        byte[] bytes = new byte[Encoding.UTF8.GetByteCount(text) + 1];
        Encoding.UTF8.GetBytes(text, 0, text.Length, bytes, 0);
        return bytes;
    }

    // NOTE: offsets in struct statx, from linux/stat.h.
    public static long StatxInode(byte[] statx) => (long)BinaryPrimitives.ReadUInt64LittleEndian(statx.AsSpan(32));

    internal static int StatxMode(byte[] statx) => BinaryPrimitives.ReadUInt16LittleEndian(statx.AsSpan(28));

    internal static uint StatxLinkCount(byte[] statx) => BinaryPrimitives.ReadUInt32LittleEndian(statx.AsSpan(16));

    // STATX_ATTR_MOUNT_ROOT in stx_attributes (offset 8), where stx_attributes_mask (offset 56)
    // says the host reports it (Linux 5.8 and later).
    internal static bool StatxIsMountRoot(byte[] statx)
    {
        ulong attributes = BinaryPrimitives.ReadUInt64LittleEndian(statx.AsSpan(8));
        ulong supported = BinaryPrimitives.ReadUInt64LittleEndian(statx.AsSpan(56));
        return (attributes & supported & HostCalls.STATX_ATTR_MOUNT_ROOT) != 0;
    }

    private static Stat ToStat(byte[] statx)
    {
        ReadOnlySpan<byte> bytes = statx;
        long rdevMajor = BinaryPrimitives.ReadUInt32LittleEndian(bytes.Slice(128));
        long rdevMinor = BinaryPrimitives.ReadUInt32LittleEndian(bytes.Slice(132));
        Stat stat = new Stat
        {
            BlockSize = BinaryPrimitives.ReadUInt32LittleEndian(bytes.Slice(4)),
            LinkCount = BinaryPrimitives.ReadUInt32LittleEndian(bytes.Slice(16)),
            UserId = (int)BinaryPrimitives.ReadUInt32LittleEndian(bytes.Slice(20)),
            GroupId = (int)BinaryPrimitives.ReadUInt32LittleEndian(bytes.Slice(24)),
            Mode = StatxMode(statx),
            Inode = StatxInode(statx),
            Size = (long)BinaryPrimitives.ReadUInt64LittleEndian(bytes.Slice(40)),
            Blocks = (long)BinaryPrimitives.ReadUInt64LittleEndian(bytes.Slice(48)),
            AccessTime = ReadTime(bytes.Slice(64)),
            ChangeTime = ReadTime(bytes.Slice(96)),
            ModifyTime = ReadTime(bytes.Slice(112)),
            // NOTE: the dev_t encoding of new_encode_dev in linux/kdev_t.h.
            SpecialDevice = (rdevMinor & 0xFF) | ((rdevMajor & 0xFFF) << 8) | ((rdevMinor & ~0xFFL) << 12) | ((rdevMajor & ~0xFFFL) << 32),
        };
        return stat;
    }

    private static Timespec ReadTime(ReadOnlySpan<byte> bytes)
    {
        long seconds = BinaryPrimitives.ReadInt64LittleEndian(bytes);
        long nanoseconds = BinaryPrimitives.ReadUInt32LittleEndian(bytes.Slice(8));
        return new Timespec(seconds, nanoseconds);
    }

    // A name the VFS passes is one component; the VFS checks that, and so does hostfs, since a
    // '/' or a ".." that slipped through would be a path, not a name.
    private static long CheckName(string childName, out byte[] bytes)
    {
        bytes = EmptyPath;
        if (childName.Length == 0 || childName == "." || childName == ".." || childName.IndexOf('/') >= 0 ||
            childName.IndexOf('\0') >= 0)
        {
            return childName.Length == 0 ? -Errno.ENOENT : -Errno.EINVAL;
        }
        bytes = ToCString(childName);
        if (bytes.Length - 1 > MaximumNameLength)
        {
            return -Errno.ENAMETOOLONG;
        }
        return 0;
    }

    // Checks a change in this directory: the mount is writable and the name is one component;
    // then opens this directory for the *at call.
    private long PrepareChange(string childName, out byte[] bytes, out int directory)
    {
        directory = -1;
        bytes = EmptyPath;
        if (fileSystem.ReadOnly)
        {
            return -Errno.EROFS;
        }
        long checkedName = CheckName(childName, out bytes);
        if (checkedName < 0)
        {
            return checkedName;
        }
        if (path.Length + 1 + bytes.Length - 1 > MaximumPathLength)
        {
            return -Errno.ENAMETOOLONG;
        }
        return fileSystem.OpenDirectory(path, out directory);
    }

    private long Remove(string childName, int flags)
    {
        long ready = PrepareChange(childName, out byte[] bytes, out int directory);
        if (ready < 0)
        {
            return ready;
        }
        long result = HostCalls.Unlinkat(directory, bytes, flags);
        HostCalls.Close(directory);
        return result;
    }

    private long MakeChild(int directory, string childName, byte[] bytes, out IVnode? child)
    {
        child = null;
        byte[] statx = new byte[HostCalls.StatxLength];
        long result = HostCalls.Statx(directory, bytes, HostCalls.AT_SYMLINK_NOFOLLOW, statx);
        if (result < 0)
        {
            return result;
        }
        if (StatxIsMountRoot(statx))
        {
            // A mount point: statx looked at the other file system, which hostfs never enters.
            return -Errno.EXDEV;
        }
        child = new HostVnode(fileSystem, path, childName, StatxMode(statx) & Stat.S_IFMT, StatxInode(statx));
        return 0;
    }

    private long StatSelf(byte[] statx)
    {
        if (IsRoot)
        {
            return HostCalls.Statx(fileSystem.RootFd, EmptyPath, HostCalls.AT_EMPTY_PATH, statx);
        }
        long opened = fileSystem.OpenDirectory(parentPath, out int parent);
        if (opened < 0)
        {
            return opened;
        }
        long result = HostCalls.Statx(parent, ToCString(name), HostCalls.AT_SYMLINK_NOFOLLOW, statx);
        HostCalls.Close(parent);
        return result >= 0 && StatxIsMountRoot(statx) ? -Errno.EXDEV : result;
    }

    // Opens this vnode's file for reading or writing; only a regular file is ever opened (see
    // HostFileSystem.OpenRegular): a FIFO, socket or device node in the folder is not passed
    // through, even when the host put it where the vnode's regular file was. A file with more
    // than one name is never changed: Linux cannot say where its other names are, and a hard
    // link the host made to a file outside the folder must not become a way to change that file
    // (EPERM; reading it is fine, the host put the name inside).
    private long OpenRegular(int flags, bool change, out int fd)
    {
        fd = -1;
        if (Type != Stat.S_IFREG)
        {
            return Type == Stat.S_IFDIR ? -Errno.EISDIR : -Errno.EINVAL;
        }
        return fileSystem.OpenRegular(path, flags, change, out fd);
    }

    // NOTE: struct linux_dirent64 from getdents64(2): d_ino (8 bytes), d_off (8), d_reclen (2),
    // d_type (1), then the NUL-terminated name. The cookie is the d_off of the entry before.
    private static long ReadEntry(int fd, long cookie, out DirectoryEntry entry)
    {
        entry = default;
        long seek = HostCalls.Lseek(fd, cookie, HostCalls.SeekSet);
        if (seek < 0)
        {
            return seek;
        }
        byte[] buffer = new byte[4096];
        while (true)
        {
            long length = HostCalls.Getdents64(fd, buffer);
            if (length <= 0)
            {
                return length;
            }
            int offset = 0;
            while (offset + 19 < length)
            {
                ReadOnlySpan<byte> record = buffer.AsSpan(offset, (int)length - offset);
                long inode = (long)BinaryPrimitives.ReadUInt64LittleEndian(record);
                long next = BinaryPrimitives.ReadInt64LittleEndian(record.Slice(8));
                int recordLength = BinaryPrimitives.ReadUInt16LittleEndian(record.Slice(16));
                byte type = record[18];
                if (recordLength < 20 || recordLength > record.Length)
                {
                    return -Errno.EIO;
                }
                ReadOnlySpan<byte> nameBytes = record.Slice(19, recordLength - 19);
                int end = nameBytes.IndexOf((byte)0);
                if (end >= 0)
                {
                    nameBytes = nameBytes.Slice(0, end);
                }
                offset += recordLength;
                bool dot = nameBytes.Length == 1 && nameBytes[0] == (byte)'.';
                bool dotDot = nameBytes.Length == 2 && nameBytes[0] == (byte)'.' && nameBytes[1] == (byte)'.';
                if (dot || dotDot)
                {
                    continue;
                }
                int entryType = DirentType(type);
                if (entryType == 0)
                {
                    // DT_UNKNOWN: some host file systems leave the type to a stat.
                    byte[] name = new byte[nameBytes.Length + 1];
                    nameBytes.CopyTo(name);
                    byte[] statx = new byte[HostCalls.StatxLength];
                    if (HostCalls.Statx(fd, name, HostCalls.AT_SYMLINK_NOFOLLOW, statx) >= 0)
                    {
                        entryType = StatxMode(statx) & Stat.S_IFMT;
                    }
                }
                entry = new DirectoryEntry(Encoding.UTF8.GetString(nameBytes), inode, entryType, next);
                return 1;
            }
        }
    }

    // NOTE: DT_* values from dirent.h; the S_IF* type is DT << 12.
    private static int DirentType(byte type) => (type & 0xF) << 12;
}
