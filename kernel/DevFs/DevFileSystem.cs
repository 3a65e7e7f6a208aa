namespace Unikraft.Kernel;

using System;

// The fixed set of device nodes, in one directory.
[FileSystem("devfs")]
internal sealed class DevFileSystem : IFileSystem
{
    private readonly Kernel kernel;

    public DevFileSystem(Kernel kernel)
    {
        this.kernel = kernel;
    }

    public long Mount(Kernel mountingKernel, out IVnode? root)
    {
        root = new DevDirectory(kernel);
        return 0;
    }
}

// The root directory of devfs; its entries never change.
internal sealed class DevDirectory : IVnode
{
    private readonly DevNode[] nodes;

    public DevDirectory(Kernel kernel)
    {
        nodes = new DevNode[]
        {
            new DevNode(kernel, "null", DevNode.Null, 2, (1 << 8) | 3),
            new DevNode(kernel, "zero", DevNode.Zero, 3, (1 << 8) | 5),
            new DevNode(kernel, "random", DevNode.Random, 4, (1 << 8) | 8),
            new DevNode(kernel, "urandom", DevNode.Random, 5, (1 << 8) | 9),
            new DevNode(kernel, "console", DevNode.Console, 6, (5 << 8) | 1),
            new DevNode(kernel, "stdin", DevNode.Descriptor0, 7, (136 << 8) | 0),
            new DevNode(kernel, "stdout", DevNode.Descriptor0 + 1, 8, (136 << 8) | 0),
            new DevNode(kernel, "stderr", DevNode.Descriptor0 + 2, 9, (136 << 8) | 0),
        };
    }

    public int Type => Stat.S_IFDIR;

    public long Inode => 1;

    public long GetAttributes(out Stat attributes)
    {
        attributes = default;
        attributes.Inode = Inode;
        attributes.Mode = Stat.S_IFDIR | 0x1ED;
        attributes.LinkCount = 2;
        attributes.BlockSize = 4096;
        return 0;
    }

    public long Read(long offset, Span<byte> buffer) => -Errno.EISDIR;

    public long Write(long offset, ReadOnlySpan<byte> buffer) => -Errno.EISDIR;

    public long SetSize(long size) => -Errno.EISDIR;

    public long SetTimes(Timespec accessTime, Timespec modifyTime) => 0;

    public long ReadLink(out string target)
    {
        target = "";
        return -Errno.EINVAL;
    }

    public long Lookup(string name, out IVnode? child)
    {
        for (int index = 0; index < nodes.Length; index++)
        {
            if (nodes[index].Name == name)
            {
                child = nodes[index];
                return 0;
            }
        }
        child = null;
        return -Errno.ENOENT;
    }

    public long Create(string name, int mode, out IVnode? file)
    {
        file = null;
        return -Errno.EPERM;
    }

    public long MakeDirectory(string name, int mode, out IVnode? directory)
    {
        directory = null;
        return -Errno.EPERM;
    }

    public long MakeSymbolicLink(string name, string target, out IVnode? link)
    {
        link = null;
        return -Errno.EPERM;
    }

    public long Link(string name, IVnode target) => -Errno.EPERM;

    public long Unlink(string name) => -Errno.EPERM;

    public long RemoveDirectory(string name) => -Errno.EPERM;

    public long Rename(string oldName, IVnode newParent, string newName) => -Errno.EPERM;

    // Devices keep nothing to make durable; Linux's fsync on them succeeds too.
    public long Sync() => 0;

    public long ReadDirectory(long cookie, out DirectoryEntry entry)
    {
        if (cookie < 0 || cookie >= nodes.Length)
        {
            entry = default;
            return 0;
        }
        DevNode node = nodes[cookie];
        entry = new DirectoryEntry(node.Name, node.Inode, Stat.S_IFCHR, cookie + 1);
        return 1;
    }
}

// A character device node. Offsets mean nothing to these devices, as on Linux.
internal sealed class DevNode : IVnode
{
    public const int Null = 0;
    public const int Zero = 1;
    public const int Random = 2;
    public const int Console = 3;
    public const int Descriptor0 = 10;

    private readonly Kernel kernel;
    private readonly int kind;
    private readonly long deviceNumber;

    public DevNode(Kernel kernel, string name, int kind, long inode, long deviceNumber)
    {
        this.kernel = kernel;
        this.kind = kind;
        this.deviceNumber = deviceNumber;
        Name = name;
        Inode = inode;
    }

    public string Name { get; }

    public int Type => Stat.S_IFCHR;

    public long Inode { get; }

    public long GetAttributes(out Stat attributes)
    {
        attributes = default;
        attributes.Inode = Inode;
        attributes.Mode = Stat.S_IFCHR | 0x1B6;
        attributes.LinkCount = 1;
        attributes.SpecialDevice = deviceNumber;
        attributes.BlockSize = 4096;
        return 0;
    }

    public long Read(long offset, Span<byte> buffer)
    {
        switch (kind)
        {
            case Null:
                return 0;
            case Zero:
                buffer.Clear();
                return buffer.Length;
            case Random:
                IRandomDevice? random = kernel.RandomDevice;
                return random == null ? -Errno.ENODEV : random.Fill(buffer);
            case Console:
                IConsoleDevice? reader = kernel.Console;
                if (reader == null)
                {
                    return -Errno.ENODEV;
                }
                ConsoleInput input = kernel.ConsoleInput ??= new ConsoleInput(kernel, reader);
                return input.Read(buffer, false);
            default:
                IFileDescription? bound = kernel.Files.Get(kind - Descriptor0);
                return bound == null ? -Errno.ENXIO : bound.Read(buffer);
        }
    }

    public long Write(long offset, ReadOnlySpan<byte> buffer)
    {
        switch (kind)
        {
            case Null:
            case Zero:
            case Random:
                return buffer.Length;
            case Console:
                IConsoleDevice? console = kernel.Console;
                return console == null ? -Errno.ENODEV : console.WriteOutput(buffer);
            default:
                IFileDescription? bound = kernel.Files.Get(kind - Descriptor0);
                return bound == null ? -Errno.ENXIO : bound.Write(buffer);
        }
    }

    // O_TRUNC on a device is ignored, as on Linux; ftruncate never reaches a device.
    public long SetSize(long size) => 0;

    public long SetTimes(Timespec accessTime, Timespec modifyTime) => 0;

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

    // Devices keep nothing to make durable; Linux's fsync on them succeeds too.
    public long Sync() => 0;

    public long ReadDirectory(long cookie, out DirectoryEntry entry)
    {
        entry = default;
        return -Errno.ENOTDIR;
    }
}
