namespace Unikraft.Kernel;

using System.Runtime.InteropServices;

// mmap(2) for the BCL. Anonymous memory is the process's own, as the GC's is: it is mapped by
// the host as before. A file mapping would need the host to map a kernel fd, which it cannot
// see: it fails with ENODEV, as Linux answers for a file that cannot be mapped.
internal static class NativeMemory
{
    // NOTE: the PAL's MAP_SHARED 0x01, MAP_PRIVATE 0x02 and MAP_ANONYMOUS 0x10 (pal_io.h); Linux's
    // MAP_ANONYMOUS is 0x20 (asm-generic/mman-common.h). PROT_* values are the same on both.
    private const int PalMapAnonymous = 0x10;
    private const int LinuxMapAnonymous = 0x20;

    [UnmanagedCallersOnly(EntryPoint = "__wrap_SystemNative_MMap")]
    internal static nint MMap(nint address, ulong length, int protection, int flags, nint fd, long offset)
    {
        if ((flags & PalMapAnonymous) == 0)
        {
            using NativeCall call = NativeCall.Enter("SystemNative_MMap");
            NativeLayer? layer = call.Layer;
            if (layer != null)
            {
                layer.Kernel.Log.Write("[uk] native layer: mmap of fd " + fd + " refused (ENODEV): the kernel's files cannot be mapped");
                Marshal.SetLastSystemError(Errno.ENODEV);
            }
            return -1;
        }
        int linuxFlags = (flags & 0x03) | LinuxMapAnonymous;
        nint mapped = mmap(address, (nuint)length, protection, linuxFlags, -1, 0);
        if (mapped == -1)
        {
            Marshal.SetLastSystemError(Marshal.GetLastPInvokeError());
        }
        return mapped;
    }

    [DllImport("libc", SetLastError = true)]
    private static extern nint mmap(nint address, nuint length, int protection, int flags, int fd, long offset);
}
