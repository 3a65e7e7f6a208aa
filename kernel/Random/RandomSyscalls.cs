namespace Unikraft.Kernel;

using System;

internal static partial class Sys
{
    // NOTE: flags from linux/random.h: GRND_NONBLOCK 1, GRND_RANDOM 2, GRND_INSECURE 4. The
    // device never blocks, so each is accepted and changes nothing; any other bit is EINVAL.
    private const int GetrandomKnownFlags = 1 | 2 | 4;

    // NOTE: getrandom(2) returns at most 33554431 bytes per call; callers loop for more.
    private const int GetrandomMaximum = 33554431;

    [Syscall(SyscallNumber.Getrandom)]
    internal static long Getrandom(Kernel kernel, Span<byte> buffer, int flags)
    {
        if ((flags & ~GetrandomKnownFlags) != 0)
        {
            return kernel.Return(SyscallNumber.Getrandom, -Errno.EINVAL);
        }
        IRandomDevice? device = kernel.RandomDevice;
        if (device == null)
        {
            return kernel.Return(SyscallNumber.Getrandom, -Errno.ENODEV);
        }
        if (buffer.Length > GetrandomMaximum)
        {
            buffer = buffer.Slice(0, GetrandomMaximum);
        }
        return kernel.Return(SyscallNumber.Getrandom, device.Fill(buffer));
    }
}
