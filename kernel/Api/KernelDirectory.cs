namespace Unikraft.Kernel;

using System;
using System.Collections.Generic;
using System.IO;

// System.IO.Directory on the kernel's VFS, with the BCL's names, parameters, return types
// and exceptions. Paths are kernel paths (absolute, or relative to the kernel's working
// directory). Listings are in directory order and name paths as the BCL does: the given path
// joined with the entry name.
internal static partial class KernelDirectory
{
    // As Directory.CreateDirectory: every missing directory on the way is made. It returns a
    // System.IO.DirectoryInfo for the kernel path, so an intercepted call keeps its type; making
    // one does not touch the host, but its members (Exists, GetFiles, ...) read the HOST's file
    // system, not the kernel's: use KernelDirectory for those.
    public static DirectoryInfo CreateDirectory(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string absolute = KernelFileCalls.Absolute(path);
        int position = 0;
        while (position < absolute.Length)
        {
            int next = absolute.IndexOf('/', position + 1);
            if (next < 0)
            {
                next = absolute.Length;
            }
            string prefix = absolute.Substring(0, next);
            position = next;
            if (prefix.Length <= 1 || prefix.EndsWith('/'))
            {
                continue;
            }
            long result = Sys.Mkdirat(Kernel.Current, OpenFlags.AT_FDCWD, prefix, KernelFileCalls.DirectoryMode);
            if (result == -Errno.EEXIST)
            {
                if (!KernelFileCalls.TryStat(prefix, out Stat stat) || !stat.IsDirectory)
                {
                    throw new KernelException("The file '" + prefix + "' already exists.", Errno.EEXIST);
                }
                continue;
            }
            if (result < 0)
            {
                throw KernelFileCalls.Error(result, path, true);
            }
        }
        return new DirectoryInfo(absolute);
    }

    public static bool Exists(string? path)
    {
        if (string.IsNullOrEmpty(path))
        {
            return false;
        }
        return KernelFileCalls.TryStat(path, out Stat stat) && stat.IsDirectory;
    }

    public static void Delete(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        long result = Sys.Unlinkat(Kernel.Current, OpenFlags.AT_FDCWD, path, OpenFlags.AT_REMOVEDIR);
        if (result < 0)
        {
            throw KernelFileCalls.Error(result, path, true);
        }
    }

    // With recursive set, everything inside goes first; symbolic links are removed, never
    // followed, as the BCL does.
    [KernelFeature("DirectoryList")]
    public static void Delete(string path, bool recursive)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (recursive)
        {
            foreach (KernelFileCalls.Entry entry in KernelFileCalls.List(path, false))
            {
                string child = KernelFileCalls.Join(path, entry.Name);
                if (entry.IsDirectory)
                {
                    Delete(child, true);
                }
                else
                {
                    long removed = Sys.Unlinkat(Kernel.Current, OpenFlags.AT_FDCWD, child, 0);
                    if (removed < 0)
                    {
                        throw KernelFileCalls.Error(removed, child, false);
                    }
                }
            }
        }
        Delete(path);
    }

    [KernelFeature("DirectoryList")]
    public static string[] GetFiles(string path)
    {
        return GetFiles(path, "*");
    }

    // searchPattern as the BCL's simple matching: '*' any run of characters, '?' one
    // character; "*.*" matches every name, as on Windows and .NET on Unix.
    [KernelFeature("DirectoryList")]
    public static string[] GetFiles(string path, string searchPattern)
    {
        return Select(path, searchPattern, false).ToArray();
    }

    [KernelFeature("DirectoryList")]
    public static string[] GetDirectories(string path)
    {
        return Select(path, "*", true).ToArray();
    }

    [KernelFeature("DirectoryList")]
    public static IEnumerable<string> EnumerateFiles(string path)
    {
        return Select(path, "*", false);
    }

    // As Directory.Move: the destination must not exist; works for files too.
    public static void Move(string sourceDirName, string destDirName)
    {
        ArgumentException.ThrowIfNullOrEmpty(sourceDirName);
        ArgumentException.ThrowIfNullOrEmpty(destDirName);
        long result = Sys.Renameat2(Kernel.Current, OpenFlags.AT_FDCWD, sourceDirName, OpenFlags.AT_FDCWD, destDirName,
            OpenFlags.RENAME_NOREPLACE);
        if (result == -Errno.ENOENT && !KernelFileCalls.TryStat(sourceDirName, out _))
        {
            throw new DirectoryNotFoundException("Could not find a part of the path '" + sourceDirName + "'.");
        }
        if (result == -Errno.EEXIST)
        {
            throw new KernelException("Cannot create '" + destDirName + "' because a file or directory with the same name already exists.", Errno.EEXIST);
        }
        if (result < 0)
        {
            throw KernelFileCalls.Error(result, destDirName, true);
        }
    }

    public static string GetCurrentDirectory()
    {
        return KernelFileCalls.WorkingDirectory();
    }

    public static void SetCurrentDirectory(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        long result = Sys.Chdir(Kernel.Current, path);
        if (result < 0)
        {
            throw KernelFileCalls.Error(result, path, true);
        }
    }

    private static List<string> Select(string path, string searchPattern, bool directories)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(searchPattern);
        List<string> selected = new List<string>();
        foreach (KernelFileCalls.Entry entry in KernelFileCalls.List(path, true))
        {
            if (entry.IsDirectory == directories && Matches(entry.Name, searchPattern))
            {
                selected.Add(KernelFileCalls.Join(path, entry.Name));
            }
        }
        return selected;
    }

    private static bool Matches(string name, string pattern)
    {
        if (pattern == "*" || pattern == "*.*")
        {
            return true;
        }
        return Matches(name, 0, pattern, 0);
    }

    private static bool Matches(string name, int nameIndex, string pattern, int patternIndex)
    {
        while (patternIndex < pattern.Length)
        {
            char wanted = pattern[patternIndex];
            if (wanted == '*')
            {
                for (int skip = nameIndex; skip <= name.Length; skip++)
                {
                    if (Matches(name, skip, pattern, patternIndex + 1))
                    {
                        return true;
                    }
                }
                return false;
            }
            if (nameIndex >= name.Length || (wanted != '?' && wanted != name[nameIndex]))
            {
                return false;
            }
            nameIndex++;
            patternIndex++;
        }
        return nameIndex == name.Length;
    }
}
