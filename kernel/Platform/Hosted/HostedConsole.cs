namespace Unikraft.Kernel;

using System;

// The host's stdin, stdout and stderr as raw byte streams, written and read through libc (see
// HostedCalls). Nothing is buffered on the way out, so nothing is lost when the process ends
// through exit_group; input is buffered here so that a line can be handed out without reading
// the host one byte at a time.
[Device("console")]
internal sealed class HostedConsole : IConsoleDevice
{
    private readonly byte[] inputBuffer = new byte[4096];
    private int inputStart;
    private int inputEnd;

    public long WriteOutput(ReadOnlySpan<byte> bytes)
    {
        return HostedCalls.WriteAll(1, bytes);
    }

    public long WriteError(ReadOnlySpan<byte> bytes)
    {
        return HostedCalls.WriteAll(2, bytes);
    }

    public long ReadLine(Span<byte> buffer)
    {
        if (inputStart == inputEnd)
        {
            long read = HostedCalls.Read(0, inputBuffer);
            if (read < 0)
            {
                return read;
            }
            inputEnd = (int)read;
            inputStart = 0;
            if (inputEnd == 0)
            {
                return 0;
            }
        }
        ReadOnlySpan<byte> pending = inputBuffer.AsSpan(inputStart, inputEnd - inputStart);
        int lineEnd = pending.IndexOf((byte)'\n');
        int length = lineEnd < 0 ? pending.Length : lineEnd + 1;
        if (length > buffer.Length)
        {
            length = buffer.Length;
        }
        pending.Slice(0, length).CopyTo(buffer);
        inputStart += length;
        return length;
    }

    // Every write reaches the host before it returns: nothing waits to be flushed.
    public void Flush()
    {
    }
}
