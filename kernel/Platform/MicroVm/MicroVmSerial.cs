namespace Unikraft.Kernel;

using System;

// The serial line, reached through the calls the shim gives for it: write(2) on fd 1, which the
// shim copies to the UART, and read(2) on fd 0, which gives at most one line from it and 0 once
// the input has ended (shim/process.c, do_write and console_read). They go straight to libc,
// not through the BCL, whose native layer is this kernel itself (see HostedCalls).
internal static class MicroVmSerial
{
    public static long Write(ReadOnlySpan<byte> bytes)
    {
        return HostedCalls.WriteAll(1, bytes);
    }

    public static long ReadLine(Span<byte> buffer)
    {
        return HostedCalls.Read(0, buffer);
    }
}
