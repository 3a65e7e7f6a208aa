namespace Unikraft.Kernel;

using System;
using System.IO;

// The host's stdin, stdout and stderr as raw byte streams. Output is flushed on every write so
// that nothing is lost when the process ends through exit_group; input is buffered here so
// that a line can be handed out without reading the host one byte at a time.
[Device("console")]
internal sealed class HostedConsole : IConsoleDevice
{
    private readonly Stream output;
    private readonly Stream error;
    private readonly byte[] inputBuffer = new byte[4096];
    private Stream? input;
    private int inputStart;
    private int inputEnd;

    public HostedConsole()
    {
        output = System.Console.OpenStandardOutput();
        error = System.Console.OpenStandardError();
    }

    public long WriteOutput(ReadOnlySpan<byte> bytes)
    {
        return WriteTo(output, bytes);
    }

    public long WriteError(ReadOnlySpan<byte> bytes)
    {
        return WriteTo(error, bytes);
    }

    public long ReadLine(Span<byte> buffer)
    {
        if (inputStart == inputEnd)
        {
            input ??= System.Console.OpenStandardInput();
            try
            {
                inputEnd = input.Read(inputBuffer, 0, inputBuffer.Length);
            }
            catch (IOException)
            {
                return -Errno.EIO;
            }
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

    public void Flush()
    {
        try
        {
            output.Flush();
            error.Flush();
        }
        catch (IOException)
        {
            // Nothing is left to tell: the program is ending and its output is gone.
        }
    }

    private static long WriteTo(Stream stream, ReadOnlySpan<byte> bytes)
    {
        try
        {
            stream.Write(bytes);
            stream.Flush();
            return bytes.Length;
        }
        catch (IOException)
        {
            return -Errno.EIO;
        }
    }
}
