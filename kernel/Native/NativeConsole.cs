namespace Unikraft.Kernel;

using System.Runtime.InteropServices;

// The console functions of System.Native that take an fd. The kernel's console is a byte
// stream on fds 0-2 with no terminal behind it (terminal control is not served yet), so the BCL
// sees redirected streams: no window size, no keypad mode, input through read(2).
internal static class NativeConsole
{
    [UnmanagedCallersOnly(EntryPoint = "__wrap_SystemNative_ReadStdin")]
    internal static int ReadStdin(nint buffer, int size)
    {
        using NativeCall call = NativeCall.Enter("SystemNative_ReadStdin");
        NativeLayer? layer = call.Layer;
        return layer == null ? -1 : NativeLayer.Result(Sys.Read(layer.Kernel, 0, NativeLayer.Bytes(buffer, size)));
    }

    [UnmanagedCallersOnly(EntryPoint = "__wrap_SystemNative_IsATty")]
    internal static int IsATty(nint fd)
    {
        using NativeCall call = NativeCall.Enter("SystemNative_IsATty");
        NativeLayer? layer = call.Layer;
        if (layer != null)
        {
            Marshal.SetLastSystemError(layer.IsOpen(fd) ? Errno.ENOTTY : Errno.EBADF);
        }
        return 0;
    }

    [UnmanagedCallersOnly(EntryPoint = "__wrap_SystemNative_GetWindowSize")]
    internal static int GetWindowSize(nint fd, nint size)
    {
        using NativeCall call = NativeCall.Enter("SystemNative_GetWindowSize");
        NativeLayer? layer = call.Layer;
        return layer == null ? -1 : NativeLayer.Result(-Errno.ENOTTY);
    }

    // Keypad transmit mode is a terminal's: with no terminal there is nothing to switch.
    [UnmanagedCallersOnly(EntryPoint = "__wrap_SystemNative_SetKeypadXmit")]
    internal static void SetKeypadXmit(nint fd, nint terminfoString)
    {
        using NativeCall call = NativeCall.Enter("SystemNative_SetKeypadXmit");
    }
}
