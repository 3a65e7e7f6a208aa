namespace Unikraft.Kernel;

using System;
using System.Collections.Generic;
using System.Text;

// One file, directory or symbolic link of a RamFileSystem.
internal sealed class RamNode : IVnode
{
    // NOTE: shmem counts 20 bytes of directory size per entry and starts a directory at two
    // of them (mm/shmem.c, BOGO_DIRENT_SIZE), so stat sizes match tmpfs.
    private const long BogoDirentSize = 20;

    // NOTE: above every offset a directory gives (half a billion names added to one directory
    // would reach it) and, with the order's length, below the VFS's end-of-directory position;
    // see ReadDirectory.
    private const long ListCookieBase = 1L << 29;

    private readonly RamFileSystem fileSystem;
    private readonly int type;
    private int mode;
    private long linkCount;
    private byte[] data = Array.Empty<byte>();
    private long size;
    private string target = "";
    private Dictionary<string, RamNode>? children;
    private List<RamEntry>? order;
    private long nextOffset = 1;
    private Timespec accessTime;
    private Timespec modifyTime;
    private Timespec changeTime;

    public RamNode(RamFileSystem fileSystem, int mode, RamNode? parent)
    {
        this.fileSystem = fileSystem;
        this.mode = mode;
        type = mode & Stat.S_IFMT;
        Inode = fileSystem.NewInode();
        linkCount = 1;
        if (type == Stat.S_IFDIR)
        {
            linkCount = 2;
            size = 2 * BogoDirentSize;
            children = new Dictionary<string, RamNode>(StringComparer.Ordinal);
            order = new List<RamEntry>();
        }
        Timespec now = fileSystem.Now();
        accessTime = now;
        modifyTime = now;
        changeTime = now;
    }

    public int Type => type;

    // True once the last name of a regular file went: its data no longer counts against the
    // capacity. A property, not a field: a program that never unlinks keeps the reads of it
    // but not the one write, and an unassigned field would be warning CS0649 there.
    private bool Released { get; set; }

    public long Inode { get; }

    public long GetAttributes(out Stat attributes)
    {
        attributes = default;
        attributes.Inode = Inode;
        attributes.Mode = mode;
        attributes.LinkCount = linkCount;
        attributes.Size = size;
        attributes.BlockSize = 4096;
        attributes.Blocks = type == Stat.S_IFREG ? (size + 4095) / 4096 * 8 : 0;
        attributes.AccessTime = accessTime;
        attributes.ModifyTime = modifyTime;
        attributes.ChangeTime = changeTime;
        return 0;
    }

    public long Read(long offset, Span<byte> buffer)
    {
        if (type != Stat.S_IFREG)
        {
            return -Errno.EINVAL;
        }
        if (offset >= size)
        {
            return 0;
        }
        int count = (int)Math.Min(buffer.Length, size - offset);
        data.AsSpan((int)offset, count).CopyTo(buffer);
        return count;
    }

    public long Write(long offset, ReadOnlySpan<byte> buffer)
    {
        if (KernelFeatures.FileWrite)
        {
            if (type != Stat.S_IFREG)
            {
                return -Errno.EINVAL;
            }
            if (offset >= RamFileSystem.MaximumFileSize)
            {
                return -Errno.EFBIG;
            }
            long end = offset + buffer.Length;
            if (end > RamFileSystem.MaximumFileSize)
            {
                end = RamFileSystem.MaximumFileSize;
            }
            if (end > size && !Released)
            {
                long limit = size + fileSystem.Available;
                if (offset >= limit)
                {
                    return -Errno.ENOSPC;
                }
                if (end > limit)
                {
                    end = limit;
                }
            }
            int count = (int)(end - offset);
            if (end > size)
            {
                Resize(end);
            }
            buffer.Slice(0, count).CopyTo(data.AsSpan((int)offset, count));
            Timespec now = fileSystem.Now();
            modifyTime = now;
            changeTime = now;
            return count;
        }
        return -Errno.EBADF;
    }

    public long SetSize(long newSize)
    {
        if (KernelFeatures.FileWrite)
        {
            if (type != Stat.S_IFREG)
            {
                return -Errno.EINVAL;
            }
            if (newSize < 0)
            {
                return -Errno.EINVAL;
            }
            if (newSize > RamFileSystem.MaximumFileSize)
            {
                return -Errno.EFBIG;
            }
            if (newSize > size && !Released && newSize - size > fileSystem.Available)
            {
                return -Errno.ENOSPC;
            }
            Resize(newSize);
            Timespec now = fileSystem.Now();
            modifyTime = now;
            changeTime = now;
            return 0;
        }
        return -Errno.EROFS;
    }

    public long SetTimes(Timespec newAccessTime, Timespec newModifyTime)
    {
        accessTime = newAccessTime;
        modifyTime = newModifyTime;
        changeTime = fileSystem.Now();
        return 0;
    }

    public long ReadLink(out string linkTarget)
    {
        linkTarget = target;
        return type == Stat.S_IFLNK ? 0 : -Errno.EINVAL;
    }

    public long Lookup(string name, out IVnode? child)
    {
        child = null;
        if (children == null)
        {
            return -Errno.ENOTDIR;
        }
        if (children.TryGetValue(name, out RamNode? node))
        {
            child = node;
            return 0;
        }
        return -Errno.ENOENT;
    }

    public long Create(string name, int newMode, out IVnode? file)
    {
        file = null;
        if (KernelFeatures.FileCreate)
        {
            RamNode node = new RamNode(fileSystem, Stat.S_IFREG | (newMode & 0xFFF), this);
            long added = AddEntry(name, node);
            if (added < 0)
            {
                return added;
            }
            file = node;
            return 0;
        }
        return -Errno.EROFS;
    }

    public long MakeDirectory(string name, int newMode, out IVnode? directory)
    {
        directory = null;
        RamNode node = new RamNode(fileSystem, Stat.S_IFDIR | (newMode & 0xFFF), this);
        long added = AddEntry(name, node);
        if (added < 0)
        {
            return added;
        }
        linkCount++;
        directory = node;
        return 0;
    }

    public long MakeSymbolicLink(string name, string linkTarget, out IVnode? link)
    {
        link = null;
        RamNode node = new RamNode(fileSystem, Stat.S_IFLNK | 0x1FF, this);
        node.target = linkTarget;
        node.size = Encoding.UTF8.GetByteCount(linkTarget);
        long added = AddEntry(name, node);
        if (added < 0)
        {
            return added;
        }
        link = node;
        return 0;
    }

    public long Link(string name, IVnode linkTarget)
    {
        if (linkTarget is not RamNode node || node.fileSystem != fileSystem)
        {
            return -Errno.EXDEV;
        }
        if (node.type == Stat.S_IFDIR)
        {
            return -Errno.EPERM;
        }
        long added = AddEntry(name, node);
        if (added < 0)
        {
            return added;
        }
        node.linkCount++;
        node.changeTime = fileSystem.Now();
        return 0;
    }

    public long Unlink(string name)
    {
        if (children == null)
        {
            return -Errno.ENOTDIR;
        }
        if (!children.TryGetValue(name, out RamNode? node))
        {
            return -Errno.ENOENT;
        }
        if (node.type == Stat.S_IFDIR)
        {
            return -Errno.EISDIR;
        }
        RemoveEntry(name);
        node.DropLink();
        return 0;
    }

    public long RemoveDirectory(string name)
    {
        if (children == null)
        {
            return -Errno.ENOTDIR;
        }
        if (!children.TryGetValue(name, out RamNode? node))
        {
            return -Errno.ENOENT;
        }
        if (node.type != Stat.S_IFDIR)
        {
            return -Errno.ENOTDIR;
        }
        if (node.children!.Count != 0)
        {
            return -Errno.ENOTEMPTY;
        }
        RemoveEntry(name);
        node.linkCount = 0;
        linkCount--;
        return 0;
    }

    public long Rename(string oldName, IVnode newParent, string newName)
    {
        if (children == null || newParent is not RamNode destination || destination.children == null)
        {
            return -Errno.ENOTDIR;
        }
        if (destination.fileSystem != fileSystem)
        {
            return -Errno.EXDEV;
        }
        if (!children.TryGetValue(oldName, out RamNode? node))
        {
            return -Errno.ENOENT;
        }
        long reusedOffset = -1;
        if (destination.children.TryGetValue(newName, out RamNode? replaced))
        {
            reusedOffset = destination.OffsetOf(newName);
            if (replaced == node)
            {
                return 0;
            }
            if (replaced.type == Stat.S_IFDIR)
            {
                if (node.type != Stat.S_IFDIR)
                {
                    return -Errno.EISDIR;
                }
                if (replaced.children!.Count != 0)
                {
                    return -Errno.ENOTEMPTY;
                }
                destination.RemoveEntry(newName);
                replaced.linkCount = 0;
                destination.linkCount--;
            }
            else
            {
                if (node.type == Stat.S_IFDIR)
                {
                    return -Errno.ENOTDIR;
                }
                destination.RemoveEntry(newName);
                replaced.DropLink();
            }
        }
        RemoveEntry(oldName);
        destination.AddEntry(newName, node, reusedOffset);
        if (node.type == Stat.S_IFDIR && destination != this)
        {
            linkCount--;
            destination.linkCount++;
        }
        node.changeTime = fileSystem.Now();
        return 0;
    }

    // The listing follows tmpfs (Linux 6.14 and later, fs/libfs.c offset_readdir): names are
    // listed newest first (the order of the dentry's children list: a created, linked or renamed
    // name goes to the head), and each name has an offset, given in increasing order as names
    // are added (a name renamed over another takes the offset of the one it replaced). A listing
    // that stops because the caller's buffer is full resumes at the name with the largest
    // offset not above the one it stopped at, or at the head when there is none. So cookie 0 is
    // the head, a cookie below ListCookieBase is such an offset, and a cookie from
    // ListCookieBase on is "the name at this index of the order", which is only ever asked for
    // within one getdents call, when nothing changes between two entries.
    // Memory is all the storage a ramfs has: what it holds is as durable as it gets.
    public long Sync() => 0;

    public long ReadDirectory(long cookie, out DirectoryEntry entry)
    {
        entry = default;
        if (order == null)
        {
            return -Errno.ENOTDIR;
        }
        int index;
        if (cookie >= ListCookieBase)
        {
            index = (int)Math.Min(cookie - ListCookieBase - 1, int.MaxValue);
            if (index < 0 || index >= order.Count)
            {
                return 0;
            }
        }
        else
        {
            index = order.Count - 1;
            if (cookie > 0)
            {
                int best = -1;
                for (int candidate = 0; candidate < order.Count; candidate++)
                {
                    long offset = order[candidate].Cookie;
                    if (offset <= cookie && (best < 0 || offset > order[best].Cookie))
                    {
                        best = candidate;
                    }
                }
                if (best >= 0)
                {
                    index = best;
                }
            }
            if (index < 0)
            {
                return 0;
            }
        }
        RamEntry found = order[index];
        entry = new DirectoryEntry(found.Name, found.Node.Inode, found.Node.type, ListCookieBase + index, found.Cookie);
        return 1;
    }

    private long OffsetOf(string name)
    {
        for (int index = 0; index < order!.Count; index++)
        {
            if (order[index].Name == name)
            {
                return order[index].Cookie;
            }
        }
        return -1;
    }

    private long AddEntry(string name, RamNode node)
    {
        return AddEntry(name, node, -1);
    }

    // Adds a name at the head of the listing order with a new offset, or with reusedOffset:
    // tmpfs gives a name renamed over another the offset of the name it replaced.
    private long AddEntry(string name, RamNode node, long reusedOffset)
    {
        if (children!.ContainsKey(name))
        {
            return -Errno.EEXIST;
        }
        children[name] = node;
        order!.Add(new RamEntry(name, node, reusedOffset >= 0 ? reusedOffset : nextOffset++));
        size += BogoDirentSize;
        Timespec now = fileSystem.Now();
        modifyTime = now;
        changeTime = now;
        return 0;
    }

    private void RemoveEntry(string name)
    {
        children!.Remove(name);
        for (int index = 0; index < order!.Count; index++)
        {
            if (order[index].Name == name)
            {
                order.RemoveAt(index);
                break;
            }
        }
        size -= BogoDirentSize;
        Timespec now = fileSystem.Now();
        modifyTime = now;
        changeTime = now;
    }

    // One name fewer; with the last one gone, the data no longer counts against the capacity.
    // NOTE: Linux frees a file's pages at its last close, not its last unlink; an open,
    // unlinked file here keeps its data but no longer takes capacity.
    private void DropLink()
    {
        linkCount--;
        changeTime = fileSystem.Now();
        if (linkCount == 0 && type == Stat.S_IFREG && !Released)
        {
            Released = true;
            fileSystem.Charge(-size);
        }
    }

    private void Resize(long newSize)
    {
        if (newSize > data.Length)
        {
            long capacity = Math.Max(newSize, Math.Min(RamFileSystem.MaximumFileSize, Math.Max(64L, (long)data.Length * 2)));
            Array.Resize(ref data, (int)capacity);
        }
        else if (newSize < size)
        {
            data.AsSpan((int)newSize, (int)(size - newSize)).Clear();
        }
        if (!Released)
        {
            fileSystem.Charge(newSize - size);
        }
        size = newSize;
    }

    private readonly struct RamEntry
    {
        public RamEntry(string name, RamNode node, long cookie)
        {
            Name = name;
            Node = node;
            Cookie = cookie;
        }

        public string Name { get; }

        public RamNode Node { get; }

        public long Cookie { get; }
    }
}
