namespace Unikraft.Kernel;

using System;

// The open file behind fds 0, 1 and 2. fd 0 is read-only and fds 1 and 2 are write-only, as
// the host opens them, so a write to fd 0 or a read from fd 1 is EBADF as on Linux.
internal sealed class ConsoleFile : IFileDescription
{
    public const int StandardInput = 0;
    public const int StandardOutput = 1;
    public const int StandardError = 2;

    private readonly IConsoleDevice device;
    private readonly int stream;

    public ConsoleFile(IConsoleDevice device, int stream)
    {
        this.device = device;
        this.stream = stream;
    }

    public long Read(Span<byte> buffer)
    {
        if (stream != StandardInput)
        {
            return -Errno.EBADF;
        }
        if (buffer.IsEmpty)
        {
            return 0;
        }
        return device.ReadLine(buffer);
    }

    public long Write(ReadOnlySpan<byte> buffer)
    {
        switch (stream)
        {
            case StandardOutput: return device.WriteOutput(buffer);
            case StandardError: return device.WriteError(buffer);
            default: return -Errno.EBADF;
        }
    }
}
