namespace Unikraft.Kernel;

using System;
using System.Buffers.Binary;
using System.Runtime.InteropServices;

// One directory stream of OpenDir: the kernel fd of the directory and a buffer of
// linux_dirent64 records from getdents64. The BCL reads each entry's name where the record
// lies, so the buffer is native memory that stays put until the next ReadDir or CloseDir.
internal sealed class NativeDirectory
{
    // NOTE: glibc's readdir buffer is 32 KiB; 4 KiB holds dozens of names per getdents64 call.
    public const int BufferSize = 4096;

    public NativeDirectory(int fd, nint buffer)
    {
        Fd = fd;
        Buffer = buffer;
    }

    public int Fd { get; }

    public nint Buffer { get; }

    public int Position { get; set; }

    public int Filled { get; set; }
}

// opendir(3), readdir(3) and closedir(3) of System.Native, over getdents64.
internal static class NativeDirectories
{
    [UnmanagedCallersOnly(EntryPoint = "__wrap_SystemNative_OpenDir")]
    [KernelFeature("DirectoryList")]
    internal static nint OpenDir(nint path)
    {
        using NativeCall call = NativeCall.Enter("SystemNative_OpenDir");
        NativeLayer? layer = call.Layer;
        if (layer == null)
        {
            return 0;
        }
        long fd = Sys.Openat(layer.Kernel, OpenFlags.AT_FDCWD, NativeLayer.Text(path),
            OpenFlags.O_RDONLY | OpenFlags.O_DIRECTORY | OpenFlags.O_CLOEXEC, 0);
        if (fd < 0)
        {
            NativeLayer.Result(fd);
            return 0;
        }
        nint buffer = Marshal.AllocHGlobal(NativeDirectory.BufferSize);
        layer.Directories.Add(buffer, new NativeDirectory((int)fd, buffer));
        return buffer;
    }

    // 0 with the next entry, -1 at the end, or an errno (pal_io.h's contract for ReadDir).
    // NOTE: linux_dirent64 is d_ino (8 bytes), d_off (8), d_reclen (2), d_type (1), then the
    // NUL-terminated name (getdents64(2)); the PAL's DT_* values are Linux's.
    [UnmanagedCallersOnly(EntryPoint = "__wrap_SystemNative_ReadDir")]
    internal static int ReadDir(nint handle, nint entry)
    {
        using NativeCall call = NativeCall.Enter("SystemNative_ReadDir");
        NativeLayer? layer = call.Layer;
        if (layer == null)
        {
            return Errno.EPERM;
        }
        if (!layer.Directories.TryGetValue(handle, out NativeDirectory? directory))
        {
            return Errno.EBADF;
        }
        if (directory.Position >= directory.Filled)
        {
            long filled = Sys.Getdents64(layer.Kernel, directory.Fd, NativeLayer.Bytes(directory.Buffer, NativeDirectory.BufferSize));
            if (filled < 0)
            {
                return (int)-filled;
            }
            if (filled == 0)
            {
                return -1;
            }
            directory.Position = 0;
            directory.Filled = (int)filled;
        }
        Span<byte> record = NativeLayer.Bytes(directory.Buffer + directory.Position, directory.Filled - directory.Position);
        int recordLength = BinaryPrimitives.ReadUInt16LittleEndian(record.Slice(16, 2));
        int nameLength = record.Slice(19, recordLength - 19).IndexOf((byte)0);
        Marshal.WriteIntPtr(entry, 0, directory.Buffer + directory.Position + 19);
        Marshal.WriteInt32(entry, 8, nameLength < 0 ? recordLength - 19 : nameLength);
        Marshal.WriteInt32(entry, 12, record[18]);
        directory.Position += recordLength;
        return 0;
    }

    [UnmanagedCallersOnly(EntryPoint = "__wrap_SystemNative_CloseDir")]
    internal static int CloseDir(nint handle)
    {
        using NativeCall call = NativeCall.Enter("SystemNative_CloseDir");
        NativeLayer? layer = call.Layer;
        if (layer == null)
        {
            return -1;
        }
        if (!layer.Directories.Remove(handle, out NativeDirectory? directory))
        {
            return NativeLayer.Result(-Errno.EBADF);
        }
        Marshal.FreeHGlobal(directory.Buffer);
        return NativeLayer.Result(Sys.Close(layer.Kernel, directory.Fd));
    }
}
