namespace Unikraft.Kernel;

using System;
using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;

// System.Console on the kernel: every public static Write and WriteLine overload of .NET 10's
// Console with the same parameters, plus ReadLine. Text is UTF-8 on fds 0 and 1. Formatting
// follows Console: Console.Out has no format provider of its own, so numbers and composite
// formats use the current culture at the time of the call.
internal static partial class KernelConsole
{
    private const int StandardInput = 0;
    private const int StandardOutput = 1;

    // Encodes text of this many chars or fewer on the stack; longer text rents a buffer.
    private const int StackLimit = 256;

    // NOTE: TCGETS from asm-generic/ioctls.h; struct termios (36 bytes) and ICANON, a bit of its
    // c_lflag at offset 12, from asm-generic/termbits.h.
    private const uint TerminalGetAttributes = 0x5401;
    private const int TermiosSize = 36;
    private const int LocalFlagsOffset = 12;
    private const uint CanonicalInput = 0x2;

    public static void WriteLine()
    {
        WriteText(ReadOnlySpan<char>.Empty, newLine: true);
    }

    public static void WriteLine(bool value)
    {
        WriteText(value ? bool.TrueString : bool.FalseString, newLine: true);
    }

    public static void WriteLine(char value)
    {
        WriteText(new ReadOnlySpan<char>(in value), newLine: true);
    }

    public static void WriteLine(char[]? buffer)
    {
        WriteText(buffer, newLine: true);
    }

    public static void WriteLine(char[] buffer, int index, int count)
    {
        WriteText(Slice(buffer, index, count), newLine: true);
    }

    public static void WriteLine(decimal value)
    {
        WriteText(value.ToString(CultureInfo.CurrentCulture), newLine: true);
    }

    public static void WriteLine(double value)
    {
        WriteText(value.ToString(CultureInfo.CurrentCulture), newLine: true);
    }

    public static void WriteLine(float value)
    {
        WriteText(value.ToString(CultureInfo.CurrentCulture), newLine: true);
    }

    public static void WriteLine(int value)
    {
        WriteText(value.ToString(CultureInfo.CurrentCulture), newLine: true);
    }

    public static void WriteLine(uint value)
    {
        WriteText(value.ToString(CultureInfo.CurrentCulture), newLine: true);
    }

    public static void WriteLine(long value)
    {
        WriteText(value.ToString(CultureInfo.CurrentCulture), newLine: true);
    }

    public static void WriteLine(ulong value)
    {
        WriteText(value.ToString(CultureInfo.CurrentCulture), newLine: true);
    }

    public static void WriteLine(object? value)
    {
        WriteText(FormatObject(value), newLine: true);
    }

    public static void WriteLine(string? value)
    {
        WriteText(value, newLine: true);
    }

    public static void WriteLine(ReadOnlySpan<char> value)
    {
        WriteText(value, newLine: true);
    }

    public static void WriteLine([StringSyntax(StringSyntaxAttribute.CompositeFormat)] string format, object? arg0)
    {
        WriteText(string.Format(CultureInfo.CurrentCulture, format, arg0), newLine: true);
    }

    public static void WriteLine([StringSyntax(StringSyntaxAttribute.CompositeFormat)] string format, object? arg0, object? arg1)
    {
        WriteText(string.Format(CultureInfo.CurrentCulture, format, arg0, arg1), newLine: true);
    }

    public static void WriteLine([StringSyntax(StringSyntaxAttribute.CompositeFormat)] string format, object? arg0, object? arg1, object? arg2)
    {
        WriteText(string.Format(CultureInfo.CurrentCulture, format, arg0, arg1, arg2), newLine: true);
    }

    public static void WriteLine([StringSyntax(StringSyntaxAttribute.CompositeFormat)] string format, params object?[]? arg)
    {
        WriteText(FormatArray(format, arg), newLine: true);
    }

    public static void WriteLine([StringSyntax(StringSyntaxAttribute.CompositeFormat)] string format, params ReadOnlySpan<object?> arg)
    {
        WriteText(string.Format(CultureInfo.CurrentCulture, format, arg), newLine: true);
    }

    public static void Write(bool value)
    {
        WriteText(value ? bool.TrueString : bool.FalseString, newLine: false);
    }

    public static void Write(char value)
    {
        WriteText(new ReadOnlySpan<char>(in value), newLine: false);
    }

    public static void Write(char[]? buffer)
    {
        WriteText(buffer, newLine: false);
    }

    public static void Write(char[] buffer, int index, int count)
    {
        WriteText(Slice(buffer, index, count), newLine: false);
    }

    public static void Write(decimal value)
    {
        WriteText(value.ToString(CultureInfo.CurrentCulture), newLine: false);
    }

    public static void Write(double value)
    {
        WriteText(value.ToString(CultureInfo.CurrentCulture), newLine: false);
    }

    public static void Write(float value)
    {
        WriteText(value.ToString(CultureInfo.CurrentCulture), newLine: false);
    }

    public static void Write(int value)
    {
        WriteText(value.ToString(CultureInfo.CurrentCulture), newLine: false);
    }

    public static void Write(uint value)
    {
        WriteText(value.ToString(CultureInfo.CurrentCulture), newLine: false);
    }

    public static void Write(long value)
    {
        WriteText(value.ToString(CultureInfo.CurrentCulture), newLine: false);
    }

    public static void Write(ulong value)
    {
        WriteText(value.ToString(CultureInfo.CurrentCulture), newLine: false);
    }

    public static void Write(object? value)
    {
        WriteText(FormatObject(value), newLine: false);
    }

    public static void Write(string? value)
    {
        WriteText(value, newLine: false);
    }

    public static void Write(ReadOnlySpan<char> value)
    {
        WriteText(value, newLine: false);
    }

    public static void Write([StringSyntax(StringSyntaxAttribute.CompositeFormat)] string format, object? arg0)
    {
        WriteText(string.Format(CultureInfo.CurrentCulture, format, arg0), newLine: false);
    }

    public static void Write([StringSyntax(StringSyntaxAttribute.CompositeFormat)] string format, object? arg0, object? arg1)
    {
        WriteText(string.Format(CultureInfo.CurrentCulture, format, arg0, arg1), newLine: false);
    }

    public static void Write([StringSyntax(StringSyntaxAttribute.CompositeFormat)] string format, object? arg0, object? arg1, object? arg2)
    {
        WriteText(string.Format(CultureInfo.CurrentCulture, format, arg0, arg1, arg2), newLine: false);
    }

    public static void Write([StringSyntax(StringSyntaxAttribute.CompositeFormat)] string format, params object?[]? arg)
    {
        WriteText(FormatArray(format, arg), newLine: false);
    }

    public static void Write([StringSyntax(StringSyntaxAttribute.CompositeFormat)] string format, params ReadOnlySpan<object?> arg)
    {
        WriteText(string.Format(CultureInfo.CurrentCulture, format, arg), newLine: false);
    }

    // Reads one line from fd 0 without its line end ("\n" or "\r\n"); null at end of input, as
    // Console.ReadLine. Once the BCL's console reads keys from the terminal, its own ReadLine reads
    // the line (below).
    public static string? ReadLine()
    {
        Kernel kernel = Kernel.Current;
        if (TerminalReadsKeys(kernel))
        {
            return System.Console.ReadLine();
        }
        byte[] line = ArrayPool<byte>.Shared.Rent(StackLimit);
        int length = 0;
        bool sawInput = false;
        try
        {
            while (true)
            {
                if (length == line.Length)
                {
                    byte[] larger = ArrayPool<byte>.Shared.Rent(line.Length * 2);
                    line.AsSpan(0, length).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(line);
                    line = larger;
                }
                long result = Sys.Read(kernel, StandardInput, line.AsSpan(length));
                if (result < 0)
                {
                    throw KernelException.Failed("read(0)", result);
                }
                if (result == 0)
                {
                    break;
                }
                sawInput = true;
                length += (int)result;
                if (line[length - 1] == (byte)'\n')
                {
                    length--;
                    if (length > 0 && line[length - 1] == (byte)'\r')
                    {
                        length--;
                    }
                    return Encoding.UTF8.GetString(line, 0, length);
                }
            }
            return sawInput ? Encoding.UTF8.GetString(line, 0, length) : null;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(line);
        }
    }

    // Whether fd 0 is a terminal in the BCL's key-reading mode (not canonical). Only the BCL's
    // console sets that, through the native layer (NativeConsole), at its first ReadKey,
    // KeyAvailable or ReadLine of a terminal, and the terminal stays so between reads. The BCL's
    // reader then holds the terminal: as on Linux it echoes and edits the line itself (the
    // terminal no longer echoes), and it keeps the keys it read ahead of a ReadKey, which fd 0 no
    // longer has. So its ReadLine reads the line, through the same native layer.
    private static bool TerminalReadsKeys(Kernel kernel)
    {
        Span<byte> attributes = stackalloc byte[TermiosSize];
        return Sys.Ioctl(kernel, StandardInput, TerminalGetAttributes, attributes) == 0 &&
            (BinaryPrimitives.ReadUInt32LittleEndian(attributes.Slice(LocalFlagsOffset)) & CanonicalInput) == 0;
    }

    // Console.Write(object) goes through TextWriter.Write(object), which formats IFormattable
    // values with the writer's provider (the current culture for Console.Out).
    private static string? FormatObject(object? value)
    {
        if (value is IFormattable formattable)
        {
            return formattable.ToString(null, CultureInfo.CurrentCulture);
        }
        return value?.ToString();
    }

    // Console passes a null array on as two null arguments, so "{0}" prints nothing instead of
    // throwing from string.Format; this keeps that behaviour.
    private static string FormatArray(string format, object?[]? arguments)
    {
        if (arguments == null)
        {
            return string.Format(CultureInfo.CurrentCulture, format, null, null);
        }
        return string.Format(CultureInfo.CurrentCulture, format, arguments);
    }

    // TextWriter.Write(char[], int, int) checks its arguments with these names and exceptions.
    private static ReadOnlySpan<char> Slice(char[] buffer, int index, int count)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (buffer.Length - index < count)
        {
            throw new ArgumentException("Offset and length were out of bounds for the array or count is greater than the number of elements from index to the end of the source collection.");
        }
        return new ReadOnlySpan<char>(buffer, index, count);
    }

    // Encodes text (and the line end, "\n" as on Linux) as UTF-8 and writes it to fd 1 in one
    // write when it fits, looping over partial writes as write(2) allows.
    private static void WriteText(ReadOnlySpan<char> text, bool newLine)
    {
        Kernel kernel = Kernel.Current;
        int charCount = text.Length + (newLine ? 1 : 0);
        if (charCount == 0)
        {
            return;
        }
        int maximumBytes = Encoding.UTF8.GetMaxByteCount(charCount);
        byte[]? rented = null;
        Span<byte> buffer = maximumBytes <= StackLimit * 3 + 3
            ? stackalloc byte[StackLimit * 3 + 3]
            : (rented = ArrayPool<byte>.Shared.Rent(maximumBytes));
        try
        {
            int length = Encoding.UTF8.GetBytes(text, buffer);
            if (newLine)
            {
                buffer[length++] = (byte)'\n';
            }
            WriteAll(kernel, buffer.Slice(0, length));
        }
        finally
        {
            if (rented != null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    private static void WriteAll(Kernel kernel, ReadOnlySpan<byte> bytes)
    {
        while (!bytes.IsEmpty)
        {
            long written = Sys.Write(kernel, StandardOutput, bytes);
            if (written == -Errno.EPIPE)
            {
                // The reader of the pipe went away (`program | head`): as .NET's console on Linux
                // (ConsolePal.Unix.Write), the output is dropped and the program goes on.
                return;
            }
            if (written < 0)
            {
                throw KernelException.Failed("write(1)", written);
            }
            if (written == 0)
            {
                throw new KernelException("write(1) failed: the console accepted no bytes");
            }
            bytes = bytes.Slice((int)written);
        }
    }
}
