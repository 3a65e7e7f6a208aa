namespace Unikraft.Kernel;

using System;
using System.Collections.Generic;
using System.IO;
using System.Text;
using System.Text.Unicode;

// Unpacks a cpio newc archive into a directory of a file system (the root of a fresh ramfs at
// boot). The archive is checked whole first (format, names, types, sizes), so every refusal
// that the archive itself causes happens before the first write; see README.md for the rules
// on absolute names, duplicates and hard links.
internal static class InitrdLoader
{
    // NOTE: NAME_MAX and PATH_MAX from linux/limits.h.
    private const int MaximumComponentLength = 255;
    private const int MaximumPathLength = 4095;
    private const int DefaultDirectoryMode = 0x1ED; // 0755, for parents the archive does not list

    // Unpacks into root; returns the number of entries created or replaced (device nodes,
    // FIFOs and sockets are skipped), or -errno.
    public static long Unpack(ReadOnlySpan<byte> archive, IVnode root)
    {
        return Unpack(archive, root, long.MaxValue, out CpioProblem unused);
    }

    public static long Unpack(ReadOnlySpan<byte> archive, IVnode root, long capacityBytes, out CpioProblem problem)
    {
        long valid = Validate(archive, capacityBytes, out problem);
        if (valid < 0)
        {
            return valid;
        }
        CpioArchive.TryParse(archive, out CpioArchive parsed, out problem);
        Dictionary<LinkKey, IVnode> links = new Dictionary<LinkKey, IVnode>();
        List<IVnode> directories = new List<IVnode>();
        List<long> directoryTimes = new List<long>();
        List<string> components = new List<string>();
        long count = 0;
        foreach (CpioEntry entry in parsed)
        {
            long result = Apply(entry, root, links, directories, directoryTimes, components, out string? reason);
            if (result < 0)
            {
                problem = new CpioProblem((int)-result, entry.Offset, reason ?? "the file system refused an entry");
                return result;
            }
            count += result;
        }
        // Creating entries changes their directory's times, so directories get theirs last,
        // as Linux's initramfs does with its deferred directory times.
        for (int index = 0; index < directories.Count; index++)
        {
            Timespec time = new Timespec(directoryTimes[index], 0);
            long result = directories[index].SetTimes(time, time);
            if (result < 0)
            {
                problem = new CpioProblem((int)-result, 0, "could not set a directory's modification time");
                return result;
            }
        }
        problem = default;
        return count;
    }

    // Checks everything about the archive that can be checked without writing: its format,
    // every name, every type and size. Returns the number of entries it would unpack, or -errno.
    public static long Validate(ReadOnlySpan<byte> archive, long capacityBytes, out CpioProblem problem)
    {
        if (!CpioArchive.TryParse(archive, out CpioArchive parsed, out problem))
        {
            return -problem.Errno;
        }
        List<string> components = new List<string>();
        long total = 0;
        long count = 0;
        foreach (CpioEntry entry in parsed)
        {
            long named = SplitName(entry.Name, components, out string? reason);
            if (named < 0)
            {
                problem = new CpioProblem((int)-named, entry.Offset, reason ?? "bad name");
                return named;
            }
            if (entry.IsDirectory)
            {
                if (entry.FileSize != 0)
                {
                    problem = new CpioProblem(Errno.EINVAL, entry.Offset, "a directory entry carries data");
                    return -Errno.EINVAL;
                }
            }
            else if (entry.IsSymbolicLink)
            {
                if (components.Count == 0)
                {
                    problem = new CpioProblem(Errno.EINVAL, entry.Offset, "a symbolic link named as the root");
                    return -Errno.EINVAL;
                }
                if (entry.FileSize == 0 || entry.FileSize > MaximumPathLength || entry.Data.IndexOf((byte)0) >= 0 ||
                    !Utf8.IsValid(entry.Data))
                {
                    problem = new CpioProblem(Errno.EINVAL, entry.Offset, "a symbolic link's target is empty, too long, holds a NUL or is not UTF-8");
                    return -Errno.EINVAL;
                }
            }
            else if (entry.IsRegularFile)
            {
                if (components.Count == 0)
                {
                    problem = new CpioProblem(Errno.EINVAL, entry.Offset, "a regular file named as the root");
                    return -Errno.EINVAL;
                }
                total += entry.FileSize;
                if (total > capacityBytes)
                {
                    problem = new CpioProblem(Errno.ENOSPC, entry.Offset, "the files' data is larger than the file system's capacity");
                    return -Errno.ENOSPC;
                }
            }
            else
            {
                continue;
            }
            count++;
        }
        problem = default;
        return count;
    }

    // Reads the archive embedded in the program as a resource and returns the file system to
    // mount: a ramfs of capacityBytes, filled when it is mounted. Boot cannot continue on a bad
    // archive, so this is the one place that throws, with a message that says what is wrong.
    // Mounting it unpacks the archive through the ramfs's create and write (Unpack), so a kernel
    // that boots an initrd needs those paths even when the program itself only reads.
    [KernelFeature("FileCreate")]
    [KernelFeature("FileWrite")]
    public static IFileSystem FromResource(System.Reflection.Assembly assembly, string resourceName, long capacityBytes)
    {
        byte[] archive;
        using (Stream? stream = assembly.GetManifestResourceStream(resourceName))
        {
            if (stream == null)
            {
                throw new KernelException("initrd: the program has no embedded resource named '" + resourceName +
                    "' (the build embeds the archive of each initrd mount; was it packed?)", Errno.ENOENT);
            }
            if (stream.Length > int.MaxValue)
            {
                throw new KernelException("initrd " + resourceName + ": the archive is larger than 2 GiB", Errno.EFBIG);
            }
            archive = new byte[stream.Length];
            stream.ReadExactly(archive);
        }
        return FromBytes(archive, resourceName, capacityBytes);
    }

    // The same for an archive already in memory; name is used in the error message.
    public static IFileSystem FromBytes(byte[] archive, string name, long capacityBytes)
    {
        long valid = Validate(archive, capacityBytes, out CpioProblem problem);
        if (valid < 0)
        {
            throw new KernelException("initrd " + name + ": bad cpio archive: " + problem.ToString(), problem.Errno);
        }
        return new InitrdFileSystem(archive, name, capacityBytes);
    }

    // Splits a name into its components: a leading '/', empty and "." components are dropped,
    // ".." is refused. An empty list means the root itself.
    private static long SplitName(ReadOnlySpan<byte> name, List<string> components, out string? reason)
    {
        components.Clear();
        if (name.Length > MaximumPathLength)
        {
            reason = "a name longer than PATH_MAX";
            return -Errno.ENAMETOOLONG;
        }
        if (!Utf8.IsValid(name))
        {
            reason = "a name that is not UTF-8";
            return -Errno.EINVAL;
        }
        int start = 0;
        while (start <= name.Length)
        {
            int slash = name.Slice(start).IndexOf((byte)'/');
            int end = slash < 0 ? name.Length : start + slash;
            ReadOnlySpan<byte> component = name.Slice(start, end - start);
            if (component.Length > MaximumComponentLength)
            {
                reason = "a name component longer than NAME_MAX";
                return -Errno.ENAMETOOLONG;
            }
            if (component.Length == 2 && component[0] == (byte)'.' && component[1] == (byte)'.')
            {
                reason = "a name with a '..' component would reach outside the archive's root";
                return -Errno.EINVAL;
            }
            if (component.Length > 0 && !(component.Length == 1 && component[0] == (byte)'.'))
            {
                components.Add(Encoding.UTF8.GetString(component));
            }
            start = end + 1;
        }
        reason = null;
        return 0;
    }

    // Creates or replaces one entry; returns 1 when it made something, 0 when it skipped the
    // entry, or -errno.
    private static long Apply(CpioEntry entry, IVnode root, Dictionary<LinkKey, IVnode> links, List<IVnode> directories,
        List<long> directoryTimes, List<string> components, out string? reason)
    {
        reason = null;
        if (!entry.IsDirectory && !entry.IsRegularFile && !entry.IsSymbolicLink)
        {
            return 0;
        }
        long named = SplitName(entry.Name, components, out reason);
        if (named < 0)
        {
            return named;
        }
        int permissions = (int)entry.Permissions;
        if (components.Count == 0)
        {
            // "." or "/": the root exists already; only its time comes from the archive.
            directories.Add(root);
            directoryTimes.Add(entry.Mtime);
            return 1;
        }
        IVnode parent = root;
        for (int index = 0; index < components.Count - 1; index++)
        {
            long walked = LookupOrMakeDirectory(parent, components[index], DefaultDirectoryMode, out IVnode? next, out reason);
            if (walked < 0 || next == null)
            {
                return walked < 0 ? walked : -Errno.EIO;
            }
            parent = next;
        }
        string name = components[components.Count - 1];
        Timespec mtime = new Timespec(entry.Mtime, 0);

        if (entry.IsDirectory)
        {
            long made = LookupOrMakeDirectory(parent, name, permissions, out IVnode? directory, out reason);
            if (made < 0 || directory == null)
            {
                return made < 0 ? made : -Errno.EIO;
            }
            directories.Add(directory);
            directoryTimes.Add(entry.Mtime);
            return 1;
        }

        if (entry.IsSymbolicLink)
        {
            long cleared = Clear(parent, name, -1, out IVnode? unused, out reason);
            if (cleared < 0)
            {
                return cleared;
            }
            long linked = parent.MakeSymbolicLink(name, Encoding.UTF8.GetString(entry.Data), out IVnode? link);
            if (linked < 0 || link == null)
            {
                reason = "could not create a symbolic link";
                return linked < 0 ? linked : -Errno.EIO;
            }
            link.SetTimes(mtime, mtime);
            return 1;
        }

        // A regular file, perhaps one name of a hard-linked file.
        IVnode? file = null;
        LinkKey key = new LinkKey(entry.Header.DevMajor, entry.Header.DevMinor, entry.Ino);
        bool linkedBefore = entry.Nlink >= 2 && links.TryGetValue(key, out file);
        long prepared = Clear(parent, name, linkedBefore ? -1 : Stat.S_IFREG, out IVnode? existing, out reason);
        if (prepared < 0)
        {
            return prepared;
        }
        if (linkedBefore && file != null)
        {
            long linked = parent.Link(name, file);
            if (linked < 0)
            {
                reason = "could not create a hard link";
                return linked;
            }
            if (entry.FileSize == 0)
            {
                return 1;
            }
        }
        else if (existing != null)
        {
            file = existing;
        }
        else
        {
            long created = parent.Create(name, permissions, out file);
            if (created < 0 || file == null)
            {
                reason = "could not create a file";
                return created < 0 ? created : -Errno.EIO;
            }
        }
        if (file == null)
        {
            return -Errno.EIO;
        }
        if (entry.Nlink >= 2 && !linkedBefore)
        {
            links[key] = file;
        }
        long written = WriteAll(file, entry.Data);
        if (written < 0)
        {
            reason = written == -Errno.ENOSPC ? "the file system is full" : "could not write a file's data";
            return written;
        }
        file.SetTimes(mtime, mtime);
        return 1;
    }

    // Finds the directory name in parent, or makes it; an entry of another type there is
    // replaced, as a later entry of the archive wins.
    private static long LookupOrMakeDirectory(IVnode parent, string name, int mode, out IVnode? directory, out string? reason)
    {
        reason = null;
        long found = parent.Lookup(name, out directory);
        if (found == 0 && directory != null)
        {
            if (directory.Type == Stat.S_IFDIR)
            {
                return 0;
            }
            long removed = parent.Unlink(name);
            if (removed < 0)
            {
                reason = "could not replace an entry by a directory";
                return removed;
            }
        }
        else if (found != -Errno.ENOENT && found < 0)
        {
            reason = "could not look a name up";
            return found;
        }
        long made = parent.MakeDirectory(name, mode, out directory);
        if (made < 0)
        {
            reason = "could not create a directory";
        }
        return made;
    }

    // Makes room for a new entry called name: removes what is there unless it is of keepType
    // (then returns it as existing, to be rewritten in place). An old directory must be empty.
    private static long Clear(IVnode parent, string name, int keepType, out IVnode? existing, out string? reason)
    {
        reason = null;
        existing = null;
        long found = parent.Lookup(name, out IVnode? old);
        if (found == -Errno.ENOENT || old == null)
        {
            return 0;
        }
        if (found < 0)
        {
            reason = "could not look a name up";
            return found;
        }
        if (old.Type == keepType)
        {
            existing = old;
            long truncated = old.SetSize(0);
            if (truncated < 0)
            {
                reason = "could not truncate a file named again";
            }
            return truncated;
        }
        if (old.Type == Stat.S_IFDIR)
        {
            long first = old.ReadDirectory(0, out DirectoryEntry unused);
            if (first != 0)
            {
                reason = "a later entry of another type names a directory that is not empty";
                return first < 0 ? first : -Errno.ENOTEMPTY;
            }
            long removedDirectory = parent.RemoveDirectory(name);
            if (removedDirectory < 0)
            {
                reason = "could not remove a directory named again";
            }
            return removedDirectory;
        }
        long removed = parent.Unlink(name);
        if (removed < 0)
        {
            reason = "could not remove an entry named again";
        }
        return removed;
    }

    private static long WriteAll(IVnode file, ReadOnlySpan<byte> data)
    {
        long truncated = file.SetSize(0);
        if (truncated < 0)
        {
            return truncated;
        }
        long offset = 0;
        while (offset < data.Length)
        {
            long written = file.Write(offset, data.Slice((int)offset));
            if (written < 0)
            {
                return written;
            }
            if (written == 0)
            {
                return -Errno.ENOSPC;
            }
            offset += written;
        }
        return offset;
    }

    // Hard links are the entries that share device and inode numbers (Linux's find_link keys
    // on the same, with the file type, and only regular files are linked here).
    private readonly record struct LinkKey(uint DevMajor, uint DevMinor, uint Ino);
}
