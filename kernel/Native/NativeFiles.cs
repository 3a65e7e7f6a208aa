namespace Unikraft.Kernel;

using System;
using System.Buffers;
using System.Runtime.InteropServices;

// The file and path functions of System.Native (pal_io.h), each served by the kernel's
// syscalls. Paths arrive as NUL-terminated UTF-8, fds are kernel fds, and a failure is -1 with
// errno set, as the BCL's interop stubs expect of these functions.
internal static class NativeFiles
{
    // NOTE: the PAL's open flags, from pal_io.h; they are fixed for managed callers forever.
    private const int PalAccessModeMask = 0x000F;
    private const int PalCloseOnExec = 0x0010;
    private const int PalCreate = 0x0020;
    private const int PalExclusive = 0x0040;
    private const int PalTruncate = 0x0080;
    private const int PalSync = 0x0100;
    private const int PalNoFollow = 0x0200;

    // NOTE: the PAL's FileStatus (pal_io.h): Flags, Mode, Uid, Gid as 32-bit values, then Size,
    // ATime, ATimeNsec, MTime, MTimeNsec, CTime, CTimeNsec, BirthTime, BirthTimeNsec, Dev, RDev
    // and Ino as 64-bit values, then UserFlags.
    private const int FileStatusSize = 120;

    // NOTE: what fstatfs(2) reports for tmpfs (TMPFS_MAGIC in linux/magic.h): every file here
    // is the kernel's, and the BCL only asks to tell network file systems apart.
    private const uint KernelFileSystemMagic = 0x01021994;

    [UnmanagedCallersOnly(EntryPoint = "__wrap_SystemNative_Open")]
    [KernelFeature("FileCreate")]
    [KernelFeature("FileTruncate")]
    [KernelFeature("FileWrite")]
    internal static nint Open(nint path, int flags, int mode)
    {
        using NativeCall call = NativeCall.Enter("SystemNative_Open");
        NativeLayer? layer = call.Layer;
        if (layer == null)
        {
            return -1;
        }
        int linuxFlags = (flags & PalAccessModeMask) switch
        {
            1 => OpenFlags.O_WRONLY,
            2 => OpenFlags.O_RDWR,
            _ => OpenFlags.O_RDONLY,
        };
        linuxFlags |= (flags & PalCloseOnExec) != 0 ? OpenFlags.O_CLOEXEC : 0;
        linuxFlags |= (flags & PalCreate) != 0 ? OpenFlags.O_CREAT : 0;
        linuxFlags |= (flags & PalExclusive) != 0 ? OpenFlags.O_EXCL : 0;
        linuxFlags |= (flags & PalTruncate) != 0 ? OpenFlags.O_TRUNC : 0;
        linuxFlags |= (flags & PalSync) != 0 ? OpenFlags.O_SYNC : 0;
        linuxFlags |= (flags & PalNoFollow) != 0 ? OpenFlags.O_NOFOLLOW : 0;
        string text = NativeLayer.Text(path);
        // The BCL's console reads the terminal's description (terminfo) by path: the kernel's
        // console has its own (NativeTerminfo).
        if (linuxFlags == (OpenFlags.O_RDONLY | OpenFlags.O_CLOEXEC) && NativeTerminfo.TryOpen(layer.Kernel, text, closeOnExecute: true, out long terminfo))
        {
            return (nint)NativeLayer.LongResult(terminfo);
        }
        return (nint)NativeLayer.LongResult(Sys.Openat(layer.Kernel, OpenFlags.AT_FDCWD, text, linuxFlags, mode));
    }

    [UnmanagedCallersOnly(EntryPoint = "__wrap_SystemNative_Close")]
    internal static int Close(nint fd)
    {
        using NativeCall call = NativeCall.Enter("SystemNative_Close");
        NativeLayer? layer = call.Layer;
        return layer == null ? -1 : NativeLayer.Result(Sys.Close(layer.Kernel, (int)fd));
    }

    [UnmanagedCallersOnly(EntryPoint = "__wrap_SystemNative_Read")]
    internal static int Read(nint fd, nint buffer, int count)
    {
        using NativeCall call = NativeCall.Enter("SystemNative_Read");
        NativeLayer? layer = call.Layer;
        return layer == null ? -1 : NativeLayer.Result(Sys.Read(layer.Kernel, (int)fd, NativeLayer.Bytes(buffer, count)));
    }

    [UnmanagedCallersOnly(EntryPoint = "__wrap_SystemNative_Write")]
    [KernelFeature("FileWrite")]
    [KernelFeature("FileAppend")]
    internal static int Write(nint fd, nint buffer, int count)
    {
        using NativeCall call = NativeCall.Enter("SystemNative_Write");
        NativeLayer? layer = call.Layer;
        return layer == null ? -1 : NativeLayer.Result(Sys.Write(layer.Kernel, (int)fd, NativeLayer.Bytes(buffer, count)));
    }

    [UnmanagedCallersOnly(EntryPoint = "__wrap_SystemNative_PRead")]
    internal static int PRead(nint fd, nint buffer, int count, long offset)
    {
        using NativeCall call = NativeCall.Enter("SystemNative_PRead");
        NativeLayer? layer = call.Layer;
        return layer == null ? -1 : NativeLayer.Result(Sys.Pread64(layer.Kernel, (int)fd, NativeLayer.Bytes(buffer, count), offset));
    }

    [UnmanagedCallersOnly(EntryPoint = "__wrap_SystemNative_PWrite")]
    [KernelFeature("FileWrite")]
    internal static int PWrite(nint fd, nint buffer, int count, long offset)
    {
        using NativeCall call = NativeCall.Enter("SystemNative_PWrite");
        NativeLayer? layer = call.Layer;
        return layer == null ? -1 : NativeLayer.Result(Sys.Pwrite64(layer.Kernel, (int)fd, NativeLayer.Bytes(buffer, count), offset));
    }

    // preadv(2) and pwritev(2) as pread64 and pwrite64 per vector: a short transfer ends the call,
    // as it would end preadv's.
    [UnmanagedCallersOnly(EntryPoint = "__wrap_SystemNative_PReadV")]
    internal static long PReadV(nint fd, nint vectors, int vectorCount, long offset)
    {
        using NativeCall call = NativeCall.Enter("SystemNative_PReadV");
        return call.Layer == null ? -1 : Vectored(call.Layer.Kernel, (int)fd, vectors, vectorCount, offset, write: false);
    }

    [UnmanagedCallersOnly(EntryPoint = "__wrap_SystemNative_PWriteV")]
    [KernelFeature("FileWrite")]
    internal static long PWriteV(nint fd, nint vectors, int vectorCount, long offset)
    {
        using NativeCall call = NativeCall.Enter("SystemNative_PWriteV");
        return call.Layer == null ? -1 : Vectored(call.Layer.Kernel, (int)fd, vectors, vectorCount, offset, write: true);
    }

    // NOTE: the PAL's SEEK_SET, SEEK_CUR and SEEK_END are Linux's 0, 1 and 2.
    [UnmanagedCallersOnly(EntryPoint = "__wrap_SystemNative_LSeek")]
    internal static long LSeek(nint fd, long offset, int whence)
    {
        using NativeCall call = NativeCall.Enter("SystemNative_LSeek");
        NativeLayer? layer = call.Layer;
        return layer == null ? -1 : NativeLayer.LongResult(Sys.Lseek(layer.Kernel, (int)fd, offset, whence));
    }

    [UnmanagedCallersOnly(EntryPoint = "__wrap_SystemNative_FStat")]
    internal static int FStat(nint fd, nint output)
    {
        using NativeCall call = NativeCall.Enter("SystemNative_FStat");
        NativeLayer? layer = call.Layer;
        if (layer == null)
        {
            return -1;
        }
        long result = Sys.Fstat(layer.Kernel, (int)fd, out Stat stat);
        return StatusResult(result, stat, output);
    }

    [UnmanagedCallersOnly(EntryPoint = "__wrap_SystemNative_Stat")]
    internal static int StatPath(nint path, nint output)
    {
        using NativeCall call = NativeCall.Enter("SystemNative_Stat");
        NativeLayer? layer = call.Layer;
        if (layer == null)
        {
            return -1;
        }
        long result = Sys.Newfstatat(layer.Kernel, OpenFlags.AT_FDCWD, NativeLayer.Text(path), out Stat stat, 0);
        return StatusResult(result, stat, output);
    }

    [UnmanagedCallersOnly(EntryPoint = "__wrap_SystemNative_LStat")]
    internal static int LStat(nint path, nint output)
    {
        using NativeCall call = NativeCall.Enter("SystemNative_LStat");
        NativeLayer? layer = call.Layer;
        if (layer == null)
        {
            return -1;
        }
        long result = Sys.Newfstatat(layer.Kernel, OpenFlags.AT_FDCWD, NativeLayer.Text(path), out Stat stat, OpenFlags.AT_SYMLINK_NOFOLLOW);
        return StatusResult(result, stat, output);
    }

    [UnmanagedCallersOnly(EntryPoint = "__wrap_SystemNative_FTruncate")]
    [KernelFeature("FileWrite")]
    internal static int FTruncate(nint fd, long length)
    {
        using NativeCall call = NativeCall.Enter("SystemNative_FTruncate");
        NativeLayer? layer = call.Layer;
        return layer == null ? -1 : NativeLayer.Result(Sys.Ftruncate(layer.Kernel, (int)fd, length));
    }

    [UnmanagedCallersOnly(EntryPoint = "__wrap_SystemNative_FSync")]
    internal static int FSync(nint fd)
    {
        using NativeCall call = NativeCall.Enter("SystemNative_FSync");
        NativeLayer? layer = call.Layer;
        return layer == null ? -1 : NativeLayer.Result(Sys.Fsync(layer.Kernel, (int)fd));
    }

    // flock(2): one program owns the kernel, so there is no other process inside it to exclude;
    // a lock on a valid fd is granted at once (the BCL takes one for FileShare on every open).
    [UnmanagedCallersOnly(EntryPoint = "__wrap_SystemNative_FLock")]
    internal static int FLock(nint fd, int operation)
    {
        using NativeCall call = NativeCall.Enter("SystemNative_FLock");
        NativeLayer? layer = call.Layer;
        return layer == null ? -1 : NativeLayer.Result(layer.IsOpen(fd) ? 0 : -Errno.EBADF);
    }

    // posix_fadvise(2) is advice: accepted on a valid fd, with nothing to do.
    [UnmanagedCallersOnly(EntryPoint = "__wrap_SystemNative_PosixFAdvise")]
    internal static int PosixFAdvise(nint fd, long offset, long length, int advice)
    {
        using NativeCall call = NativeCall.Enter("SystemNative_PosixFAdvise");
        NativeLayer? layer = call.Layer;
        // NOTE: posix_fadvise returns the error number itself instead of setting errno.
        return layer == null ? Errno.EPERM : layer.IsOpen(fd) ? 0 : Errno.EBADF;
    }

    // fallocate(2) is not a kernel syscall: EOPNOTSUPP, which the BCL takes as "preallocation
    // is not supported here" and goes on without it.
    [UnmanagedCallersOnly(EntryPoint = "__wrap_SystemNative_FAllocate")]
    internal static int FAllocate(nint fd, long offset, long length)
    {
        using NativeCall call = NativeCall.Enter("SystemNative_FAllocate");
        NativeLayer? layer = call.Layer;
        return layer == null ? -1 : NativeLayer.Result(-Errno.EOPNOTSUPP);
    }

    [UnmanagedCallersOnly(EntryPoint = "__wrap_SystemNative_GetFileSystemType")]
    internal static uint GetFileSystemType(nint fd)
    {
        using NativeCall call = NativeCall.Enter("SystemNative_GetFileSystemType");
        NativeLayer? layer = call.Layer;
        if (layer == null)
        {
            return 0;
        }
        if (!layer.IsOpen(fd))
        {
            Marshal.SetLastSystemError(Errno.EBADF);
            return 0;
        }
        return KernelFileSystemMagic;
    }

    // mkstemps(3), which Path.GetTempFileName calls with "<temp folder>/tmpXXXXXX.tmp": the six
    // X before the suffix become random letters and digits from the kernel's random device (so a
    // simulation's seed names the file), and the file is created through openat with O_EXCL,
    // trying again while the name is taken. The template is rewritten in place, as the BCL
    // expects, and the fd is the kernel's.
    [UnmanagedCallersOnly(EntryPoint = "__wrap_SystemNative_MksTemps")]
    [KernelFeature("FileCreate")]
    internal static nint MksTemps(nint template, int suffixLength)
    {
        using NativeCall call = NativeCall.Enter("SystemNative_MksTemps");
        NativeLayer? layer = call.Layer;
        if (layer == null)
        {
            return -1;
        }
        // NOTE: mkstemps(3) wants six 'X' right before the suffix, else EINVAL; the file is
        // created with mode 0600.
        const int Unique = 6;
        const int FileModeOwnerReadWrite = 0x180;
        Span<byte> path = NativeLayer.Bytes(template, template == 0 ? 0 : ByteLength(template));
        int end = path.Length - suffixLength;
        if (suffixLength < 0 || end < Unique || !path.Slice(end - Unique, Unique).SequenceEqual("XXXXXX"u8))
        {
            return (nint)NativeLayer.LongResult(-Errno.EINVAL);
        }
        Span<byte> name = path.Slice(end - Unique, Unique);
        Span<byte> random = stackalloc byte[Unique];
        // NOTE: glibc tries 62 * 62 * 62 names before it gives up with EEXIST; a hundred draws
        // from a good random device collide that often only in a folder that is full.
        for (int attempt = 0; attempt < 100; attempt++)
        {
            long drawn = Sys.Getrandom(layer.Kernel, random, 0);
            if (drawn < 0)
            {
                return (nint)NativeLayer.LongResult(drawn);
            }
            for (int index = 0; index < Unique; index++)
            {
                name[index] = (byte)"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"[random[index] % 62];
            }
            long fd = Sys.Openat(layer.Kernel, OpenFlags.AT_FDCWD, NativeLayer.Text(template),
                OpenFlags.O_RDWR | OpenFlags.O_CREAT | OpenFlags.O_EXCL | OpenFlags.O_CLOEXEC, FileModeOwnerReadWrite);
            if (fd != -Errno.EEXIST)
            {
                return (nint)NativeLayer.LongResult(fd);
            }
        }
        return (nint)NativeLayer.LongResult(-Errno.EEXIST);
    }

    // The length of the NUL-terminated bytes at pointer.
    private static int ByteLength(nint pointer)
    {
        int length = 0;
        while (Marshal.ReadByte(pointer, length) != 0)
        {
            length++;
        }
        return length;
    }

    [UnmanagedCallersOnly(EntryPoint = "__wrap_SystemNative_Unlink")]
    internal static int Unlink(nint path)
    {
        using NativeCall call = NativeCall.Enter("SystemNative_Unlink");
        NativeLayer? layer = call.Layer;
        return layer == null ? -1 : NativeLayer.Result(Sys.Unlinkat(layer.Kernel, OpenFlags.AT_FDCWD, NativeLayer.Text(path), 0));
    }

    [UnmanagedCallersOnly(EntryPoint = "__wrap_SystemNative_MkDir")]
    internal static int MkDir(nint path, int mode)
    {
        using NativeCall call = NativeCall.Enter("SystemNative_MkDir");
        NativeLayer? layer = call.Layer;
        return layer == null ? -1 : NativeLayer.Result(Sys.Mkdirat(layer.Kernel, OpenFlags.AT_FDCWD, NativeLayer.Text(path), mode));
    }

    [UnmanagedCallersOnly(EntryPoint = "__wrap_SystemNative_RmDir")]
    internal static int RmDir(nint path)
    {
        using NativeCall call = NativeCall.Enter("SystemNative_RmDir");
        NativeLayer? layer = call.Layer;
        return layer == null ? -1 : NativeLayer.Result(Sys.Unlinkat(layer.Kernel, OpenFlags.AT_FDCWD, NativeLayer.Text(path), OpenFlags.AT_REMOVEDIR));
    }

    [UnmanagedCallersOnly(EntryPoint = "__wrap_SystemNative_Rename")]
    internal static int Rename(nint oldPath, nint newPath)
    {
        using NativeCall call = NativeCall.Enter("SystemNative_Rename");
        NativeLayer? layer = call.Layer;
        return layer == null ? -1 : NativeLayer.Result(Sys.Renameat2(layer.Kernel, OpenFlags.AT_FDCWD, NativeLayer.Text(oldPath),
            OpenFlags.AT_FDCWD, NativeLayer.Text(newPath), 0));
    }

    [UnmanagedCallersOnly(EntryPoint = "__wrap_SystemNative_Link")]
    internal static int Link(nint source, nint link)
    {
        using NativeCall call = NativeCall.Enter("SystemNative_Link");
        NativeLayer? layer = call.Layer;
        return layer == null ? -1 : NativeLayer.Result(Sys.Linkat(layer.Kernel, OpenFlags.AT_FDCWD, NativeLayer.Text(source),
            OpenFlags.AT_FDCWD, NativeLayer.Text(link), 0));
    }

    [UnmanagedCallersOnly(EntryPoint = "__wrap_SystemNative_SymLink")]
    internal static int SymLink(nint target, nint linkPath)
    {
        using NativeCall call = NativeCall.Enter("SystemNative_SymLink");
        NativeLayer? layer = call.Layer;
        return layer == null ? -1 : NativeLayer.Result(Sys.Symlinkat(layer.Kernel, NativeLayer.Text(target), OpenFlags.AT_FDCWD, NativeLayer.Text(linkPath)));
    }

    // readlink(2): the target's bytes, not NUL-terminated; their count.
    [UnmanagedCallersOnly(EntryPoint = "__wrap_SystemNative_ReadLink")]
    internal static int ReadLink(nint path, nint buffer, int size)
    {
        using NativeCall call = NativeCall.Enter("SystemNative_ReadLink");
        NativeLayer? layer = call.Layer;
        return layer == null ? -1 : NativeLayer.Result(Sys.Readlinkat(layer.Kernel, OpenFlags.AT_FDCWD, NativeLayer.Text(path), NativeLayer.Bytes(buffer, size)));
    }

    // getcwd(3): the buffer on success, NULL with errno set on failure.
    [UnmanagedCallersOnly(EntryPoint = "__wrap_SystemNative_GetCwd")]
    internal static nint GetCwd(nint buffer, int size)
    {
        using NativeCall call = NativeCall.Enter("SystemNative_GetCwd");
        NativeLayer? layer = call.Layer;
        if (layer == null)
        {
            return 0;
        }
        return NativeLayer.LongResult(Sys.Getcwd(layer.Kernel, NativeLayer.Bytes(buffer, size))) < 0 ? 0 : buffer;
    }

    [UnmanagedCallersOnly(EntryPoint = "__wrap_SystemNative_ChDir")]
    internal static int ChDir(nint path)
    {
        using NativeCall call = NativeCall.Enter("SystemNative_ChDir");
        NativeLayer? layer = call.Layer;
        return layer == null ? -1 : NativeLayer.Result(Sys.Chdir(layer.Kernel, NativeLayer.Text(path)));
    }

    // NOTE: the PAL's F_OK, X_OK, W_OK and R_OK are Linux's 0, 1, 2 and 4.
    [UnmanagedCallersOnly(EntryPoint = "__wrap_SystemNative_Access")]
    internal static int Access(nint path, int mode)
    {
        using NativeCall call = NativeCall.Enter("SystemNative_Access");
        NativeLayer? layer = call.Layer;
        return layer == null ? -1 : NativeLayer.Result(Sys.Faccessat(layer.Kernel, OpenFlags.AT_FDCWD, NativeLayer.Text(path), mode));
    }

    // NOTE: the PAL's TimeSpec is two 64-bit values, seconds then nanoseconds; times holds two,
    // access then modification, as utimensat(2) takes them.
    [UnmanagedCallersOnly(EntryPoint = "__wrap_SystemNative_UTimensat")]
    internal static int UTimensat(nint path, nint times)
    {
        using NativeCall call = NativeCall.Enter("SystemNative_UTimensat");
        NativeLayer? layer = call.Layer;
        return layer == null ? -1 : NativeLayer.Result(Sys.Utimensat(layer.Kernel, OpenFlags.AT_FDCWD, NativeLayer.Text(path), ReadTimes(times), 0));
    }

    [UnmanagedCallersOnly(EntryPoint = "__wrap_SystemNative_FUTimens")]
    internal static int FUTimens(nint fd, nint times)
    {
        using NativeCall call = NativeCall.Enter("SystemNative_FUTimens");
        NativeLayer? layer = call.Layer;
        return layer == null ? -1 : NativeLayer.Result(Sys.Utimensat(layer.Kernel, (int)fd, null, ReadTimes(times), 0));
    }

    // The copy step of File.Copy: the BCL opened both files; the bytes move through the kernel.
    [UnmanagedCallersOnly(EntryPoint = "__wrap_SystemNative_CopyFile")]
    [KernelFeature("FileWrite")]
    internal static int CopyFile(nint source, nint destination, long sourceLength)
    {
        using NativeCall call = NativeCall.Enter("SystemNative_CopyFile");
        NativeLayer? layer = call.Layer;
        if (layer == null)
        {
            return -1;
        }
        // The copy buffer comes from the shared pool: File.Copy must not allocate 64 KB each time.
        byte[] chunk = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            long offset = 0;
            while (true)
            {
                long read = Sys.Pread64(layer.Kernel, (int)source, chunk, offset);
                if (read <= 0)
                {
                    return NativeLayer.Result(read);
                }
                long done = 0;
                while (done < read)
                {
                    long written = Sys.Write(layer.Kernel, (int)destination, chunk.AsSpan((int)done, (int)(read - done)));
                    if (written < 0)
                    {
                        return NativeLayer.Result(written);
                    }
                    done += written;
                }
                offset += read;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }
    }

    [UnmanagedCallersOnly(EntryPoint = "__wrap_SystemNative_Dup")]
    internal static nint Dup(nint fd)
    {
        using NativeCall call = NativeCall.Enter("SystemNative_Dup");
        NativeLayer? layer = call.Layer;
        // NOTE: the PAL's Dup is fcntl(F_DUPFD_CLOEXEC, 0) (pal_io.c).
        return layer == null ? -1 : (nint)NativeLayer.LongResult(Sys.Fcntl(layer.Kernel, (int)fd, OpenFlags.F_DUPFD_CLOEXEC, 0));
    }

    // NOTE: the PAL's FD_CLOEXEC is Linux's 1.
    [UnmanagedCallersOnly(EntryPoint = "__wrap_SystemNative_FcntlSetFD")]
    internal static int FcntlSetFD(nint fd, int flags)
    {
        using NativeCall call = NativeCall.Enter("SystemNative_FcntlSetFD");
        NativeLayer? layer = call.Layer;
        return layer == null ? -1 : NativeLayer.Result(Sys.Fcntl(layer.Kernel, (int)fd, OpenFlags.F_SETFD, flags));
    }

    // O_NONBLOCK through F_GETFL and F_SETFL, as pal_io.c does: the BCL's async sockets and
    // pipes switch it on before they register with the event port.
    [UnmanagedCallersOnly(EntryPoint = "__wrap_SystemNative_FcntlSetIsNonBlocking")]
    internal static int FcntlSetIsNonBlocking(nint fd, int isNonBlocking)
    {
        using NativeCall call = NativeCall.Enter("SystemNative_FcntlSetIsNonBlocking");
        NativeLayer? layer = call.Layer;
        if (layer == null)
        {
            return -1;
        }
        long flags = Sys.Fcntl(layer.Kernel, (int)fd, OpenFlags.F_GETFL, 0);
        if (flags < 0)
        {
            return NativeLayer.Result(flags);
        }
        long wanted = isNonBlocking != 0 ? flags | OpenFlags.O_NONBLOCK : flags & ~(long)OpenFlags.O_NONBLOCK;
        return NativeLayer.Result(Sys.Fcntl(layer.Kernel, (int)fd, OpenFlags.F_SETFL, wanted));
    }

    [UnmanagedCallersOnly(EntryPoint = "__wrap_SystemNative_FcntlGetIsNonBlocking")]
    internal static int FcntlGetIsNonBlocking(nint fd, nint isNonBlocking)
    {
        using NativeCall call = NativeCall.Enter("SystemNative_FcntlGetIsNonBlocking");
        NativeLayer? layer = call.Layer;
        if (layer == null)
        {
            return -1;
        }
        long flags = Sys.Fcntl(layer.Kernel, (int)fd, OpenFlags.F_GETFL, 0);
        if (flags < 0)
        {
            return NativeLayer.Result(flags);
        }
        Marshal.WriteInt32(isNonBlocking, (flags & OpenFlags.O_NONBLOCK) != 0 ? 1 : 0);
        return 0;
    }

    [UnmanagedCallersOnly(EntryPoint = "__wrap_SystemNative_FcntlGetFD")]
    internal static int FcntlGetFD(nint fd)
    {
        using NativeCall call = NativeCall.Enter("SystemNative_FcntlGetFD");
        NativeLayer? layer = call.Layer;
        return layer == null ? -1 : NativeLayer.Result(Sys.Fcntl(layer.Kernel, (int)fd, OpenFlags.F_GETFD, 0));
    }

    // NOTE: IOVector is struct iovec: a pointer, then a length (pal_io.h), 16 bytes.
    private static long Vectored(Kernel kernel, int fd, nint vectors, int vectorCount, long offset, bool write)
    {
        long total = 0;
        for (int index = 0; index < vectorCount; index++)
        {
            nint baseAddress = Marshal.ReadIntPtr(vectors, index * 16);
            int length = (int)Marshal.ReadInt64(vectors, index * 16 + 8);
            Span<byte> buffer = NativeLayer.Bytes(baseAddress, length);
            long moved = write ? Sys.Pwrite64(kernel, fd, buffer, offset + total) : Sys.Pread64(kernel, fd, buffer, offset + total);
            if (moved < 0)
            {
                return total > 0 ? total : NativeLayer.LongResult(moved);
            }
            total += moved;
            if (moved < length)
            {
                break;
            }
        }
        return total;
    }

    private static int StatusResult(long result, in Stat stat, nint output)
    {
        if (result < 0)
        {
            return NativeLayer.Result(result);
        }
        Span<byte> zero = NativeLayer.Bytes(output, FileStatusSize);
        zero.Clear();
        Marshal.WriteInt32(output, 4, stat.Mode);
        Marshal.WriteInt32(output, 8, stat.UserId);
        Marshal.WriteInt32(output, 12, stat.GroupId);
        Marshal.WriteInt64(output, 16, stat.Size);
        Marshal.WriteInt64(output, 24, stat.AccessTime.Seconds);
        Marshal.WriteInt64(output, 32, stat.AccessTime.Nanoseconds);
        Marshal.WriteInt64(output, 40, stat.ModifyTime.Seconds);
        Marshal.WriteInt64(output, 48, stat.ModifyTime.Nanoseconds);
        Marshal.WriteInt64(output, 56, stat.ChangeTime.Seconds);
        Marshal.WriteInt64(output, 64, stat.ChangeTime.Nanoseconds);
        Marshal.WriteInt64(output, 88, stat.Device);
        Marshal.WriteInt64(output, 96, stat.SpecialDevice);
        Marshal.WriteInt64(output, 104, stat.Inode);
        return 0;
    }

    // Both times, or none (a null pointer means "both now", as for utimensat(2)).
    private static Timespec[] ReadTimes(nint times)
    {
        if (times == 0)
        {
            return Array.Empty<Timespec>();
        }
        return new[]
        {
            new Timespec(Marshal.ReadInt64(times, 0), Marshal.ReadInt64(times, 8)),
            new Timespec(Marshal.ReadInt64(times, 16), Marshal.ReadInt64(times, 24)),
        };
    }
}
