namespace Unikraft.Kernel;

using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.Text;

// What KernelFile, KernelDirectory and KernelFileStream share: syscalls that throw the
// exception the BCL throws for the same errno, with the path in the message, and directory
// listing through getdents64.
internal static partial class KernelFileCalls
{
    // NOTE: 0666 and 0777, the modes the BCL creates files and directories with (the umask
    // then takes away what it does).
    public const int FileMode = 0x1B6;
    public const int DirectoryMode = 0x1FF;

    public static int Open(string path, int flags, int mode)
    {
        long result = Sys.Openat(Kernel.Current, OpenFlags.AT_FDCWD, path, flags | OpenFlags.O_CLOEXEC, mode);
        if (result < 0)
        {
            throw Error(result, path, false);
        }
        return (int)result;
    }

    public static void Close(int fd)
    {
        Sys.Close(Kernel.Current, fd);
    }

    // stat(2), following links; false when the path does not name anything.
    public static bool TryStat(string path, out Stat stat)
    {
        return Sys.Newfstatat(Kernel.Current, OpenFlags.AT_FDCWD, path, out stat, 0) == 0;
    }

    public static byte[] ReadAll(string path)
    {
        int fd = Open(path, OpenFlags.O_RDONLY, 0);
        try
        {
            Kernel kernel = Kernel.Current;
            long statResult = Sys.Fstat(kernel, fd, out Stat stat);
            if (statResult < 0)
            {
                throw Error(statResult, path, false);
            }
            if (stat.IsDirectory)
            {
                throw Error(-Errno.EISDIR, path, false);
            }
            byte[] buffer = new byte[stat.Size > 0 && stat.Size < int.MaxValue ? (int)stat.Size : 4096];
            int length = 0;
            while (true)
            {
                if (length == buffer.Length)
                {
                    Array.Resize(ref buffer, buffer.Length * 2);
                }
                long read = Sys.Read(kernel, fd, buffer.AsSpan(length));
                if (read < 0)
                {
                    throw Error(read, path, false);
                }
                if (read == 0)
                {
                    break;
                }
                length += (int)read;
            }
            if (length != buffer.Length)
            {
                Array.Resize(ref buffer, length);
            }
            return buffer;
        }
        finally
        {
            Close(fd);
        }
    }

    public static void WriteAll(int fd, ReadOnlySpan<byte> bytes, string path)
    {
        Kernel kernel = Kernel.Current;
        while (!bytes.IsEmpty)
        {
            long written = Sys.Write(kernel, fd, bytes);
            if (written < 0)
            {
                throw Error(written, path, false);
            }
            if (written == 0)
            {
                throw Error(-Errno.ENOSPC, path, false);
            }
            bytes = bytes.Slice((int)written);
        }
    }

    public static void WriteFile(string path, ReadOnlySpan<byte> bytes, int flags)
    {
        int fd = Open(path, OpenFlags.O_WRONLY | OpenFlags.O_CREAT | flags, FileMode);
        try
        {
            WriteAll(fd, bytes, path);
        }
        finally
        {
            Close(fd);
        }
    }

    public static byte[] Encode(string? contents)
    {
        // NOTE: File.WriteAllText writes UTF-8 without a byte order mark.
        return contents == null ? Array.Empty<byte>() : new UTF8Encoding(false).GetBytes(contents);
    }

    public static string Decode(byte[] bytes)
    {
        // NOTE: File.ReadAllText detects a byte order mark and otherwise reads UTF-8.
        using StreamReader reader = new StreamReader(new MemoryStream(bytes, false), Encoding.UTF8, true);
        return reader.ReadToEnd();
    }

    // One directory entry: its name and whether it (after following a link) is a directory.
    public readonly struct Entry
    {
        public Entry(string name, bool isDirectory)
        {
            Name = name;
            IsDirectory = isDirectory;
        }

        public string Name { get; }

        public bool IsDirectory { get; }
    }

    // The entries of a directory, without "." and "..", in directory order; a symbolic link
    // counts as what it points to (a dangling one as a file), as Directory.GetFiles does.
    public static List<Entry> List(string path, bool followLinks)
    {
        int fd;
        long opened = Sys.Openat(Kernel.Current, OpenFlags.AT_FDCWD, path,
            OpenFlags.O_RDONLY | OpenFlags.O_DIRECTORY | OpenFlags.O_CLOEXEC, 0);
        if (opened < 0)
        {
            throw Error(opened, path, true);
        }
        fd = (int)opened;
        List<Entry> entries = new List<Entry>();
        try
        {
            byte[] buffer = new byte[4096];
            while (true)
            {
                long read = Sys.Getdents64(Kernel.Current, fd, buffer);
                if (read < 0)
                {
                    throw Error(read, path, true);
                }
                if (read == 0)
                {
                    break;
                }
                int offset = 0;
                while (offset < read)
                {
                    int recordLength = BinaryPrimitives.ReadUInt16LittleEndian(buffer.AsSpan(offset + 16));
                    byte type = buffer[offset + 18];
                    ReadOnlySpan<byte> nameBytes = buffer.AsSpan(offset + 19, recordLength - 19);
                    int end = nameBytes.IndexOf((byte)0);
                    string name = Encoding.UTF8.GetString(end < 0 ? nameBytes : nameBytes.Slice(0, end));
                    offset += recordLength;
                    if (name == "." || name == "..")
                    {
                        continue;
                    }
                    // NOTE: d_type values of dirent.h: DT_DIR 4, DT_LNK 10.
                    bool isDirectory = type == 4;
                    if (type == 10 && followLinks)
                    {
                        isDirectory = TryStat(Join(path, name), out Stat stat) && stat.IsDirectory;
                    }
                    entries.Add(new Entry(name, isDirectory));
                }
            }
        }
        finally
        {
            Close(fd);
        }
        return entries;
    }

    public static string Join(string directory, string name)
    {
        return directory.EndsWith('/') ? directory + name : directory + "/" + name;
    }

    // The working directory, through getcwd.
    public static string WorkingDirectory()
    {
        byte[] buffer = new byte[256];
        while (true)
        {
            long result = Sys.Getcwd(Kernel.Current, buffer);
            if (result == -Errno.ERANGE)
            {
                buffer = new byte[buffer.Length * 2];
                continue;
            }
            if (result < 0)
            {
                throw KernelException.Failed("getcwd", result);
            }
            return Encoding.UTF8.GetString(buffer, 0, (int)result - 1);
        }
    }

    // The path made absolute against the kernel's working directory (not the host's).
    public static string Absolute(string path)
    {
        return path.StartsWith('/') ? path : Join(WorkingDirectory(), path);
    }

    // The exception the BCL throws for errno on path (after Interop.GetExceptionForIoErrno):
    // ENOENT is FileNotFoundException when the parent directory exists and
    // DirectoryNotFoundException when it does not (or when the path names a directory);
    // ENOTDIR is DirectoryNotFoundException; EACCES, EPERM, EROFS and EISDIR are
    // UnauthorizedAccessException; EEXIST and others are IOException with the errno.
    public static Exception Error(long result, string path, bool directory)
    {
        int errno = (int)-result;
        switch (errno)
        {
            case Errno.ENOENT:
                if (directory || !ParentExists(path))
                {
                    return new DirectoryNotFoundException("Could not find a part of the path '" + path + "'.");
                }
                return new FileNotFoundException("Could not find file '" + path + "'.", path);
            case Errno.ENOTDIR:
                return new DirectoryNotFoundException("Could not find a part of the path '" + path + "'.");
            case Errno.EACCES:
            case Errno.EPERM:
            case Errno.EROFS:
            case Errno.EISDIR:
                return new UnauthorizedAccessException("Access to the path '" + path + "' is denied (" + Errno.Name(errno) + ").",
                    new KernelException(path + ": " + Errno.Name(errno), errno));
            case Errno.ENAMETOOLONG:
                return new PathTooLongException("The path '" + path + "' is too long, or a component of the specified path is too long.");
            case Errno.EEXIST:
                return new KernelException("The file '" + path + "' already exists.", errno);
            case Errno.ENOTEMPTY:
                return new KernelException("Directory not empty : '" + path + "'", errno);
            default:
                return new KernelException(path + ": " + Errno.Name(errno), errno);
        }
    }

    private static bool ParentExists(string path)
    {
        string trimmed = path.TrimEnd('/');
        int slash = trimmed.LastIndexOf('/');
        if (slash < 0)
        {
            return true;
        }
        string parent = slash == 0 ? "/" : trimmed.Substring(0, slash);
        return TryStat(parent, out Stat stat) && stat.IsDirectory;
    }
}
