namespace Unikraft.Kernel;

using System;

// The serial line, reached through the one call the shim gives for it: write(2) on fd 1, which
// the shim copies to the UART (shim/process.c, do_write). It goes straight to libc, not
// through the BCL, whose native layer is this kernel itself (see HostedCalls).
internal static class MicroVmSerial
{
    public static long Write(ReadOnlySpan<byte> bytes)
    {
        return HostedCalls.WriteAll(1, bytes);
    }
}
