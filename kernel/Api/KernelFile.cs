namespace Unikraft.Kernel;

using System;
using System.Collections.Generic;
using System.IO;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

// System.IO.File on the kernel's VFS: the static methods programs commonly call, with the
// BCL's names, parameters and return types (interceptors redirect File.X to KernelFile.X),
// and the exceptions the BCL throws. Paths are kernel paths: absolute, or relative to the
// kernel's working directory ("/" at boot). Text is UTF-8 without a byte order mark.
// File.Open and friends return a FileStream, which cannot be made from a kernel fd, so the
// Open methods here return a KernelFileStream (a code fix rewrites those calls).
internal static partial class KernelFile
{
    public static bool Exists(string? path)
    {
        if (string.IsNullOrEmpty(path))
        {
            return false;
        }
        return KernelFileCalls.TryStat(path, out Stat stat) && !stat.IsDirectory;
    }

    public static string ReadAllText(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return KernelFileCalls.Decode(KernelFileCalls.ReadAll(path));
    }

    public static byte[] ReadAllBytes(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return KernelFileCalls.ReadAll(path);
    }

    public static string[] ReadAllLines(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        List<string> lines = new List<string>();
        using StringReader reader = new StringReader(KernelFileCalls.Decode(KernelFileCalls.ReadAll(path)));
        string? line;
        while ((line = reader.ReadLine()) != null)
        {
            lines.Add(line);
        }
        return lines.ToArray();
    }

    // The file is opened at the call, as File.ReadLines does (a missing file throws here),
    // and read line by line as the caller enumerates.
    public static IEnumerable<string> ReadLines(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        KernelFileStream stream = Open(path, FileMode.Open, FileAccess.Read);
        return ReadLinesFrom(stream);
    }

    [KernelFeature("FileWrite")]
    [KernelFeature("FileCreate")]
    [KernelFeature("FileTruncate")]
    public static void WriteAllText(string path, string? contents)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        KernelFileCalls.WriteFile(path, KernelFileCalls.Encode(contents), OpenFlags.O_TRUNC);
    }

    [KernelFeature("FileWrite")]
    [KernelFeature("FileCreate")]
    [KernelFeature("FileTruncate")]
    public static void WriteAllBytes(string path, byte[] bytes)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(bytes);
        KernelFileCalls.WriteFile(path, bytes, OpenFlags.O_TRUNC);
    }

    [KernelFeature("FileWrite")]
    [KernelFeature("FileCreate")]
    [KernelFeature("FileTruncate")]
    public static void WriteAllLines(string path, IEnumerable<string> contents)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(contents);
        StringBuilder builder = new StringBuilder();
        foreach (string line in contents)
        {
            builder.Append(line).Append('\n');
        }
        KernelFileCalls.WriteFile(path, KernelFileCalls.Encode(builder.ToString()), OpenFlags.O_TRUNC);
    }

    [KernelFeature("FileWrite")]
    [KernelFeature("FileCreate")]
    [KernelFeature("FileTruncate")]
    public static void WriteAllLines(string path, string[] contents)
    {
        WriteAllLines(path, (IEnumerable<string>)contents);
    }

    [KernelFeature("FileWrite")]
    [KernelFeature("FileCreate")]
    [KernelFeature("FileAppend")]
    public static void AppendAllText(string path, string? contents)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        KernelFileCalls.WriteFile(path, KernelFileCalls.Encode(contents), OpenFlags.O_APPEND);
    }

    // As File.Delete: a missing file is not an error, a missing directory on the way is.
    public static void Delete(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        long result = Sys.Unlinkat(Kernel.Current, OpenFlags.AT_FDCWD, path, 0);
        if (result < 0)
        {
            Exception error = KernelFileCalls.Error(result, path, false);
            if (error is FileNotFoundException)
            {
                return;
            }
            throw error;
        }
    }

    [KernelFeature("FileWrite")]
    [KernelFeature("FileCreate")]
    [KernelFeature("FileTruncate")]
    public static void Copy(string sourceFileName, string destFileName)
    {
        Copy(sourceFileName, destFileName, false);
    }

    [KernelFeature("FileWrite")]
    [KernelFeature("FileCreate")]
    [KernelFeature("FileTruncate")]
    public static void Copy(string sourceFileName, string destFileName, bool overwrite)
    {
        ArgumentException.ThrowIfNullOrEmpty(sourceFileName);
        ArgumentException.ThrowIfNullOrEmpty(destFileName);
        byte[] bytes = KernelFileCalls.ReadAll(sourceFileName);
        KernelFileCalls.WriteFile(destFileName, bytes, overwrite ? OpenFlags.O_TRUNC : OpenFlags.O_EXCL);
    }

    public static void Move(string sourceFileName, string destFileName)
    {
        Move(sourceFileName, destFileName, false);
    }

    public static void Move(string sourceFileName, string destFileName, bool overwrite)
    {
        ArgumentException.ThrowIfNullOrEmpty(sourceFileName);
        ArgumentException.ThrowIfNullOrEmpty(destFileName);
        if (!Exists(sourceFileName))
        {
            throw new FileNotFoundException("Could not find file '" + sourceFileName + "'.", sourceFileName);
        }
        long result = Sys.Renameat2(Kernel.Current, OpenFlags.AT_FDCWD, sourceFileName, OpenFlags.AT_FDCWD, destFileName,
            overwrite ? 0 : OpenFlags.RENAME_NOREPLACE);
        if (result < 0)
        {
            throw KernelFileCalls.Error(result, destFileName, false);
        }
    }

    // The async methods complete synchronously on the kernel thread: the VFS never blocks.
    public static Task<string> ReadAllTextAsync(string path, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (cancellationToken.IsCancellationRequested)
        {
            return Task.FromCanceled<string>(cancellationToken);
        }
        try
        {
            return Task.FromResult(ReadAllText(path));
        }
        catch (Exception exception)
        {
            return Task.FromException<string>(exception);
        }
    }

    [KernelFeature("FileWrite")]
    [KernelFeature("FileCreate")]
    [KernelFeature("FileTruncate")]
    public static Task WriteAllTextAsync(string path, string? contents, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (cancellationToken.IsCancellationRequested)
        {
            return Task.FromCanceled(cancellationToken);
        }
        try
        {
            WriteAllText(path, contents);
            return Task.CompletedTask;
        }
        catch (Exception exception)
        {
            return Task.FromException(exception);
        }
    }

    public static Task<byte[]> ReadAllBytesAsync(string path, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (cancellationToken.IsCancellationRequested)
        {
            return Task.FromCanceled<byte[]>(cancellationToken);
        }
        try
        {
            return Task.FromResult(ReadAllBytes(path));
        }
        catch (Exception exception)
        {
            return Task.FromException<byte[]>(exception);
        }
    }

    [KernelFeature("FileWrite")]
    [KernelFeature("FileCreate")]
    [KernelFeature("FileTruncate")]
    public static Task WriteAllBytesAsync(string path, byte[] bytes, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(bytes);
        if (cancellationToken.IsCancellationRequested)
        {
            return Task.FromCanceled(cancellationToken);
        }
        try
        {
            WriteAllBytes(path, bytes);
            return Task.CompletedTask;
        }
        catch (Exception exception)
        {
            return Task.FromException(exception);
        }
    }

    [KernelFeature("FileWrite")]
    [KernelFeature("FileCreate")]
    [KernelFeature("FileTruncate")]
    [KernelFeature("FileAppend")]
    public static KernelFileStream Open(string path, FileMode mode)
    {
        return Open(path, mode, mode == FileMode.Append ? FileAccess.Write : FileAccess.ReadWrite);
    }

    // As File.Open: FileMode picks O_CREAT, O_EXCL and O_TRUNC, FileAccess the access mode;
    // Append opens for writing at the end. A directory is UnauthorizedAccessException.
    [KernelFeature("FileWrite")]
    [KernelFeature("FileCreate")]
    [KernelFeature("FileTruncate")]
    [KernelFeature("FileAppend")]
    public static KernelFileStream Open(string path, FileMode mode, FileAccess access)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        int flags;
        switch (mode)
        {
            case FileMode.CreateNew: flags = OpenFlags.O_CREAT | OpenFlags.O_EXCL; break;
            case FileMode.Create: flags = OpenFlags.O_CREAT | OpenFlags.O_TRUNC; break;
            case FileMode.Open: flags = 0; break;
            case FileMode.OpenOrCreate: flags = OpenFlags.O_CREAT; break;
            case FileMode.Truncate: flags = OpenFlags.O_TRUNC; break;
            case FileMode.Append: flags = OpenFlags.O_CREAT | OpenFlags.O_APPEND; break;
            default: throw new ArgumentOutOfRangeException(nameof(mode), mode, "Enum value was out of legal range.");
        }
        switch (access)
        {
            case FileAccess.Read: flags |= OpenFlags.O_RDONLY; break;
            case FileAccess.Write: flags |= OpenFlags.O_WRONLY; break;
            case FileAccess.ReadWrite: flags |= OpenFlags.O_RDWR; break;
            default: throw new ArgumentOutOfRangeException(nameof(access), access, "Enum value was out of legal range.");
        }
        if (access == FileAccess.Read && mode != FileMode.Open && mode != FileMode.OpenOrCreate)
        {
            throw new ArgumentException("Combining FileMode: " + mode + " with FileAccess: Read is invalid.", nameof(access));
        }
        if (mode == FileMode.Append && access != FileAccess.Write)
        {
            throw new ArgumentException("Append access can be requested only in write-only mode.", nameof(access));
        }
        int fd = KernelFileCalls.Open(path, flags, KernelFileCalls.FileMode);
        long statResult = Sys.Fstat(Kernel.Current, fd, out Stat stat);
        if (statResult < 0 || stat.IsDirectory)
        {
            KernelFileCalls.Close(fd);
            throw KernelFileCalls.Error(statResult < 0 ? statResult : -Errno.EISDIR, path, false);
        }
        return new KernelFileStream(fd, access != FileAccess.Write, access != FileAccess.Read, path);
    }

    public static KernelFileStream OpenRead(string path)
    {
        return Open(path, FileMode.Open, FileAccess.Read);
    }

    [KernelFeature("FileWrite")]
    [KernelFeature("FileCreate")]
    public static KernelFileStream OpenWrite(string path)
    {
        return Open(path, FileMode.OpenOrCreate, FileAccess.Write);
    }

    [KernelFeature("FileWrite")]
    [KernelFeature("FileCreate")]
    [KernelFeature("FileTruncate")]
    public static KernelFileStream Create(string path)
    {
        return Open(path, FileMode.Create, FileAccess.ReadWrite);
    }

    private static IEnumerable<string> ReadLinesFrom(KernelFileStream stream)
    {
        using StreamReader reader = new StreamReader(stream, Encoding.UTF8, true);
        string? line;
        while ((line = reader.ReadLine()) != null)
        {
            yield return line;
        }
    }
}
