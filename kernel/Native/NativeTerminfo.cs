namespace Unikraft.Kernel;

using System;

// The console's terminal descriptions (TerminalDescriptions) as the files the BCL opens for them:
// an open of <terminfo directory>/x/xterm-256color for reading gets a read-only file of the kernel's
// compiled entry, whatever file systems the program mounts (a console-only program mounts none), so
// fstat and pread on it work as on any file and no terminfo file of the host is read. Any other path,
// and a terminal the kernel does not describe, goes to the VFS as before.
internal static class NativeTerminfo
{
    // NOTE: st_dev of the entries: no mount has it (mounts count up from 1).
    private const long Device = 0x7E00;

    // The fd of the entry path names, opened read-only; false when the kernel has no entry there.
    public static bool TryOpen(Kernel kernel, string path, bool closeOnExecute, out long fd)
    {
        fd = -1;
        byte[]? entry = TerminalDescriptions.ForPath(path);
        if (entry == null)
        {
            return false;
        }
        var file = new TerminfoEntry(entry);
        var descriptions = new TerminfoDescriptions(file);
        var mount = new VfsMount("/", descriptions, file, readOnly: true, Device);
        var location = new VfsLocation(null, path, file, mount);
        fd = kernel.Files.Install(new VfsFile(kernel, location, OpenFlags.O_RDONLY), 0, closeOnExecute);
        return true;
    }

    // The one entry an open found, as the file system of its detached location.
    private sealed class TerminfoDescriptions : IFileSystem
    {
        private readonly TerminfoEntry entry;

        public TerminfoDescriptions(TerminfoEntry entry)
        {
            this.entry = entry;
        }

        public long Mount(Kernel kernel, out IVnode? root)
        {
            root = entry;
            return 0;
        }
    }

    // A read-only regular file holding one compiled entry.
    private sealed class TerminfoEntry : IVnode
    {
        private readonly byte[] bytes;

        public TerminfoEntry(byte[] bytes)
        {
            this.bytes = bytes;
        }

        public int Type => Stat.S_IFREG;

        public long Inode => 1;

        public long GetAttributes(out Stat attributes)
        {
            attributes = default;
            attributes.Inode = Inode;
            attributes.Mode = Stat.S_IFREG | 0x124;
            attributes.LinkCount = 1;
            attributes.Size = bytes.Length;
            attributes.BlockSize = 4096;
            attributes.Blocks = (bytes.Length + 511) / 512;
            return 0;
        }

        public long Read(long offset, Span<byte> buffer)
        {
            if (offset >= bytes.Length)
            {
                return 0;
            }
            int count = (int)Math.Min(buffer.Length, bytes.Length - offset);
            bytes.AsSpan((int)offset, count).CopyTo(buffer);
            return count;
        }

        public long Write(long offset, ReadOnlySpan<byte> buffer) => -Errno.EROFS;

        public long SetSize(long size) => -Errno.EROFS;

        public long SetTimes(Timespec accessTime, Timespec modifyTime) => -Errno.EROFS;

        public long ReadLink(out string target)
        {
            target = "";
            return -Errno.EINVAL;
        }

        public long Lookup(string name, out IVnode? child)
        {
            child = null;
            return -Errno.ENOTDIR;
        }

        public long Create(string name, int mode, out IVnode? file)
        {
            file = null;
            return -Errno.ENOTDIR;
        }

        public long MakeDirectory(string name, int mode, out IVnode? directory)
        {
            directory = null;
            return -Errno.ENOTDIR;
        }

        public long MakeSymbolicLink(string name, string target, out IVnode? link)
        {
            link = null;
            return -Errno.ENOTDIR;
        }

        public long Link(string name, IVnode target) => -Errno.ENOTDIR;

        public long Unlink(string name) => -Errno.ENOTDIR;

        public long RemoveDirectory(string name) => -Errno.ENOTDIR;

        public long Rename(string oldName, IVnode newParent, string newName) => -Errno.ENOTDIR;

        public long ReadDirectory(long cookie, out DirectoryEntry entry)
        {
            entry = default;
            return -Errno.ENOTDIR;
        }

        public long Sync() => 0;
    }
}
