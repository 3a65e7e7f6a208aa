namespace Unikraft.Kernel;

using System.Runtime.InteropServices;

// Shared memory and file permissions of System.Native, which MemoryMappedFile and the BCL's
// UnixFileMode setters reach and ASP.NET Core's image names. The kernel maps no file (NativeMemory
// refuses file mappings with ENODEV), so memfd and POSIX shared memory are answered as on a Linux
// without them; a file's mode bits are fixed in the kernel's file systems (EPERM).
internal static class NativeSharedMemory
{
    // SystemNative_IsMemfdSupported: 0, memfd_create is not there; the BCL then tries ShmOpen.
    [UnmanagedCallersOnly(EntryPoint = "__wrap_SystemNative_IsMemfdSupported")]
    internal static int IsMemfdSupported()
    {
        return 0;
    }

    // SystemNative_MemfdCreate: ENOSYS, as a Linux without memfd_create answers.
    [UnmanagedCallersOnly(EntryPoint = "__wrap_SystemNative_MemfdCreate")]
    internal static nint MemfdCreate(nint name, int isReadOnly)
    {
        Marshal.SetLastSystemError(Errno.ENOSYS);
        return -1;
    }

    // SystemNative_ShmOpen: shm_open(3) finds no /dev/shm (ENOENT); MemoryMappedFile throws.
    [UnmanagedCallersOnly(EntryPoint = "__wrap_SystemNative_ShmOpen")]
    internal static nint ShmOpen(nint name, int flags, int mode)
    {
        Marshal.SetLastSystemError(Errno.ENOENT);
        return -1;
    }

    // SystemNative_ShmUnlink: nothing was ever made (ENOENT).
    [UnmanagedCallersOnly(EntryPoint = "__wrap_SystemNative_ShmUnlink")]
    internal static int ShmUnlink(nint name)
    {
        Marshal.SetLastSystemError(Errno.ENOENT);
        return -1;
    }

    // SystemNative_ChMod and SystemNative_FChMod: the kernel's file systems keep the mode a file
    // was made with (no chmod syscall yet): EPERM, and File.SetUnixFileMode throws
    // UnauthorizedAccessException.
    [UnmanagedCallersOnly(EntryPoint = "__wrap_SystemNative_ChMod")]
    internal static int ChMod(nint path, int mode)
    {
        Marshal.SetLastSystemError(Errno.EPERM);
        return -1;
    }

    [UnmanagedCallersOnly(EntryPoint = "__wrap_SystemNative_FChMod")]
    internal static int FChMod(nint fd, int mode)
    {
        Marshal.SetLastSystemError(Errno.EPERM);
        return -1;
    }
}
