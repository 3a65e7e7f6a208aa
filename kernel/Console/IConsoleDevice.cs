namespace Unikraft.Kernel;

using System;

// A console: bytes out to standard output or standard error, bytes in one line at a time.
// Results are byte counts or -errno.
internal interface IConsoleDevice
{
    long WriteOutput(ReadOnlySpan<byte> bytes);

    long WriteError(ReadOnlySpan<byte> bytes);

    // Reads at most one line, including its '\n', into buffer (less when the buffer is
    // smaller: the rest of the line comes with the next call). 0 means end of input.
    long ReadLine(Span<byte> buffer);

    void Flush();
}
