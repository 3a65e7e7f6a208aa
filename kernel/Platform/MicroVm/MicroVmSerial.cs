namespace Unikraft.Kernel;

using System;
using System.Buffers.Binary;

// The serial line, reached through the calls the shim gives for it: write(2) on fd 1, which the
// shim copies to the UART, and read(2) on fd 0, which gives at most one line from it and 0 once
// the input has ended (shim/process.c, do_write and console_read); when the line is a terminal,
// ioctl(2) on fd 0 sets the shim's line discipline (TCSETS), asks how much input is there
// (FIONREAD) and the window's size as the runner last sent it (TIOCGWINSZ) (console_ioctl). They go straight to libc, not through the BCL, whose native layer is
// this kernel itself (see HostedCalls).
internal static class MicroVmSerial
{
    // NOTE: FIONREAD from asm-generic/ioctls.h.
    private const uint InputPending = 0x541B;

    public static long Write(ReadOnlySpan<byte> bytes)
    {
        return HostedCalls.WriteAll(1, bytes);
    }

    public static long ReadLine(Span<byte> buffer)
    {
        return HostedCalls.Read(0, buffer);
    }

    // Hands a struct termios to the shim's line discipline: canonical or raw, echo, ISIG, ICRNL,
    // VMIN and VTIME. 0, or -errno (ENOTTY when the runner did not make the line a terminal).
    public static long SetMode(Span<byte> attributes)
    {
        return HostedCalls.Ioctl(0, TerminalRequest.TCSETS, attributes);
    }

    // The window's size as the shim knows it now (the runner's start size, then each resize): 0, or
    // -errno (ENOTTY when the line is no terminal or the shim knows no size).
    public static long GetWindowSize(out WindowSize size)
    {
        size = default;
        Span<byte> bytes = stackalloc byte[WindowSize.Size];
        long result = HostedCalls.Ioctl(0, TerminalRequest.TIOCGWINSZ, bytes);
        if (result < 0)
        {
            return result;
        }
        ushort rows = BinaryPrimitives.ReadUInt16LittleEndian(bytes);
        ushort columns = BinaryPrimitives.ReadUInt16LittleEndian(bytes.Slice(2));
        if (rows == 0 || columns == 0)
        {
            return -Errno.ENOTTY;
        }
        size = new WindowSize(rows, columns);
        return 0;
    }

    // How many bytes a read of the line would give now (the shim takes what the UART holds first),
    // or -errno.
    public static long Pending()
    {
        Span<byte> count = stackalloc byte[sizeof(int)];
        long result = HostedCalls.Ioctl(0, InputPending, count);
        return result < 0 ? result : BinaryPrimitives.ReadInt32LittleEndian(count);
    }
}
