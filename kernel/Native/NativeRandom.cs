namespace Unikraft.Kernel;

using System;
using System.Runtime.InteropServices;

// The randomness of System.Native (Random, Guid.NewGuid, RandomNumberGenerator, hash seeds),
// drawn from the kernel's random device through getrandom, so a simulation's seed decides it.
internal static class NativeRandom
{
    [UnmanagedCallersOnly(EntryPoint = "__wrap_SystemNative_GetNonCryptographicallySecureRandomBytes")]
    internal static void GetNonCryptographicallySecureRandomBytes(nint buffer, int length)
    {
        using NativeCall call = NativeCall.Enter("SystemNative_GetNonCryptographicallySecureRandomBytes", answeredBeforeBoot: true);
        NativeLayer? layer = call.Layer;
        if (layer != null)
        {
            Fill(layer.Kernel, NativeLayer.Bytes(buffer, length));
        }
        else
        {
            // The runtime seeds its string hashing before any kernel can boot. This function
            // cannot fail, and a seed left at zero would make every hash predictable, so
            // before boot the seed comes from the host's getrandom.
            HostedCalls.GetRandom(NativeLayer.Bytes(buffer, length));
        }
    }

    [UnmanagedCallersOnly(EntryPoint = "__wrap_SystemNative_GetCryptographicallySecureRandomBytes")]
    internal static int GetCryptographicallySecureRandomBytes(nint buffer, int length)
    {
        using NativeCall call = NativeCall.Enter("SystemNative_GetCryptographicallySecureRandomBytes");
        NativeLayer? layer = call.Layer;
        return layer == null ? -1 : NativeLayer.Result(Fill(layer.Kernel, NativeLayer.Bytes(buffer, length)));
    }

    // getrandom hands out at most 32 MiB a call: loop until the buffer is full.
    private static long Fill(Kernel kernel, Span<byte> buffer)
    {
        while (buffer.Length > 0)
        {
            long filled = Sys.Getrandom(kernel, buffer, 0);
            if (filled <= 0)
            {
                return filled < 0 ? filled : -Errno.EIO;
            }
            buffer = buffer.Slice((int)filled);
        }
        return 0;
    }
}
