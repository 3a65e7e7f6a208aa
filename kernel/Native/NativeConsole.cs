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

    // poll(2) over kernel fds. Files are always ready (POSIX), and so is the console here: a read
    // of standard input waits inside read itself. An fd that is not open is POLLNVAL.
    // NOTE: the PAL's PollEvent is the fd (4 bytes), then requested and triggered events (2 bytes
    // each), and its POLLIN 0x1, POLLOUT 0x4, POLLNVAL 0x20 (pal_io.h); Poll returns a PAL error
    // code, 0 for success.
    [UnmanagedCallersOnly(EntryPoint = "__wrap_SystemNative_Poll")]
    internal static int Poll(nint events, uint eventCount, int timeout, nint triggered)
    {
        using NativeCall call = NativeCall.Enter("SystemNative_Poll");
        NativeLayer? layer = call.Layer;
        if (layer == null)
        {
            return Errno.EPERM;
        }
        uint ready = 0;
        for (int index = 0; index < (int)eventCount; index++)
        {
            int fd = Marshal.ReadInt32(events, index * 8);
            short requested = Marshal.ReadInt16(events, index * 8 + 4);
            short result = layer.IsOpen(fd) ? (short)(requested & (0x1 | 0x4)) : (short)0x20;
            Marshal.WriteInt16(events, index * 8 + 6, result);
            if (result != 0)
            {
                ready++;
            }
        }
        Marshal.WriteInt32(triggered, (int)ready);
        return 0;
    }
}
