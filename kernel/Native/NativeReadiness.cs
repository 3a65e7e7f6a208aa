namespace Unikraft.Kernel;

using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

// The pipe and poll functions of System.Native (pal_io.h), served by the kernel's pipe2 and poll,
// so the BCL's pipes and its waits for readiness (Console, Process, anonymous pipe streams) see
// kernel fds and kernel readiness.
internal static class NativeReadiness
{
    // NOTE: PAL_O_CLOEXEC of pal_io.h, the only flag SystemNative_Pipe takes (.NET 10's pal_io.c
    // fails any other with EINVAL).
    private const int PalCloseOnExec = 0x0010;

    // NOTE: the PAL's PollEvents (pal_io.h): IN 0x1, PRI 0x2, OUT 0x4, ERR 0x8, HUP 0x10,
    // NVAL 0x20, Linux's values; Common_Poll hands back only these six, so the RDNORM and WRNORM
    // bits Linux adds stay out.
    private const int PalPollEvents = 0x3F;

    // NOTE: the PAL's Error codes (pal_error_common.h) that poll can give here.
    private const int PalSuccess = 0;
    private const int PalEfault = 0x10015;
    private const int PalEinval = 0x1001C;
    private const int PalEnodev = 0x1002C;
    private const int PalEperm = 0x10042;
    private const int PalNonStandard = 0x1FFFF;

    // SystemNative_Pipe: 0 with the read end in pipeFds[0] and the write end in pipeFds[1], or
    // -1 with errno set.
    [UnmanagedCallersOnly(EntryPoint = "__wrap_SystemNative_Pipe")]
    internal static int Pipe(nint pipeFds, int flags)
    {
        using NativeCall call = NativeCall.Enter("SystemNative_Pipe");
        NativeLayer? layer = call.Layer;
        if (layer == null)
        {
            return -1;
        }
        if (flags != 0 && flags != PalCloseOnExec)
        {
            return NativeLayer.Result(-Errno.EINVAL);
        }
        if (pipeFds == 0)
        {
            return NativeLayer.Result(-Errno.EFAULT);
        }
        Span<int> fds = stackalloc int[2];
        long result = Sys.Pipe2(layer.Kernel, fds, flags == PalCloseOnExec ? OpenFlags.O_CLOEXEC : 0);
        if (result == 0)
        {
            Marshal.WriteInt32(pipeFds, 0, fds[0]);
            Marshal.WriteInt32(pipeFds, 4, fds[1]);
        }
        return NativeLayer.Result(result);
    }

    // SystemNative_Poll: poll(2) over kernel fds, the PAL's PollEvent array laid out as struct
    // pollfd (fd, events, triggered events). Returns a PAL error code, Error_SUCCESS with the
    // number of fds that triggered.
    [UnmanagedCallersOnly(EntryPoint = "__wrap_SystemNative_Poll")]
    internal static int Poll(nint events, uint eventCount, int milliseconds, nint triggered)
    {
        using NativeCall call = NativeCall.Enter("SystemNative_Poll");
        NativeLayer? layer = call.Layer;
        if (layer == null)
        {
            return PalEperm;
        }
        if (events == 0 || triggered == 0)
        {
            return PalEfault;
        }
        if (milliseconds < -1 || eventCount > int.MaxValue)
        {
            return PalEinval;
        }
        Span<PollFd> fds = MemoryMarshal.CreateSpan(
            ref Unsafe.As<byte, PollFd>(ref Unsafe.AddByteOffset(ref Unsafe.NullRef<byte>(), events)), (int)eventCount);
        long result = Sys.Poll(layer.Kernel, fds, milliseconds);
        if (result < 0)
        {
            Marshal.WriteInt32(triggered, 0);
            return PalError(result);
        }
        for (int index = 0; index < fds.Length; index++)
        {
            fds[index].ReturnedEvents &= PalPollEvents;
        }
        Marshal.WriteInt32(triggered, (int)result);
        return PalSuccess;
    }

    private static int PalError(long result)
    {
        switch (-result)
        {
            case Errno.EFAULT: return PalEfault;
            case Errno.EINVAL: return PalEinval;
            case Errno.ENODEV: return PalEnodev;
            default: return PalNonStandard;
        }
    }
}
