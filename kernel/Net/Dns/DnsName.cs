namespace Unikraft.Kernel;

using System;

// Domain names on the wire (RFC 1035, 3.1 and 4.1.4): a sequence of length-prefixed labels
// ending in a zero octet, or in a pointer (two octets, top bits 11) to a name earlier in the
// message. Reading follows pointers only backwards, each strictly before the last, so a loop
// (a pointer to itself or to a later label that points back) ends as a malformed name instead of
// running for ever; lengths are checked against the message before every read.
internal static class DnsName
{
    // NOTE: RFC 1035, 2.3.4: a label is at most 63 octets, a name at most 255 octets on the wire.
    public const int MaximumLabelLength = 63;

    public const int MaximumWireLength = 255;

    // The name at offset as dotted text ("www.test", "" for the root); offset moves past it (past
    // its first pointer when it has one). False for a truncated or looping name, a label type
    // other than plain labels and pointers, or a byte that is not printable ASCII (and '.').
    public static bool TryRead(ReadOnlySpan<byte> message, ref int offset, out string name)
    {
        name = "";
        Span<char> text = stackalloc char[MaximumWireLength];
        int textLength = 0;
        int wireLength = 1;
        int position = offset;
        int resume = -1;
        int lowestTarget = offset;
        while (true)
        {
            if (position < 0 || position >= message.Length)
            {
                return false;
            }
            int length = message[position];
            if ((length & 0xC0) == 0xC0)
            {
                if (position + 1 >= message.Length)
                {
                    return false;
                }
                int target = ((length & 0x3F) << 8) | message[position + 1];
                if (target >= lowestTarget)
                {
                    return false;
                }
                if (resume < 0)
                {
                    resume = position + 2;
                }
                lowestTarget = target;
                position = target;
                continue;
            }
            // NOTE: 01 and 10 in the top bits are other label types (RFC 6891, 5: deprecated).
            if ((length & 0xC0) != 0)
            {
                return false;
            }
            position++;
            if (length == 0)
            {
                break;
            }
            wireLength += 1 + length;
            if (wireLength > MaximumWireLength || position + length > message.Length)
            {
                return false;
            }
            if (textLength > 0)
            {
                text[textLength++] = '.';
            }
            for (int index = 0; index < length; index++)
            {
                byte value = message[position + index];
                if (value <= 0x20 || value >= 0x7F || value == (byte)'.')
                {
                    return false;
                }
                text[textLength++] = (char)value;
            }
            position += length;
        }
        offset = resume >= 0 ? resume : position;
        name = new string(text.Slice(0, textLength));
        return true;
    }

    // Skips the name at offset without making its text; the same checks as TryRead.
    public static bool TrySkip(ReadOnlySpan<byte> message, ref int offset)
    {
        return TryRead(message, ref offset, out _);
    }

    // Writes name ("www.test" or "www.test.") uncompressed; the bytes written, or -1 when it
    // does not fit or is not a name this resolver asks for (an empty label, a label over 63
    // octets, a name over 255, a byte that is not printable ASCII).
    public static int Write(string name, Span<byte> destination)
    {
        int length = name.Length;
        if (length > 0 && name[length - 1] == '.')
        {
            length--;
        }
        if (length == 0 || length + 2 > MaximumWireLength || length + 2 > destination.Length)
        {
            return -1;
        }
        int labelStart = 0;
        int written = 0;
        for (int index = 0; index <= length; index++)
        {
            if (index < length && name[index] != '.')
            {
                char value = name[index];
                if (value <= ' ' || value >= (char)0x7F)
                {
                    return -1;
                }
                continue;
            }
            int labelLength = index - labelStart;
            if (labelLength == 0 || labelLength > MaximumLabelLength)
            {
                return -1;
            }
            destination[written++] = (byte)labelLength;
            for (int at = labelStart; at < index; at++)
            {
                destination[written++] = (byte)name[at];
            }
            labelStart = index + 1;
        }
        destination[written++] = 0;
        return written;
    }

    // Whether a name is one a query can carry (Write would take it).
    public static bool IsValid(string name)
    {
        Span<byte> scratch = stackalloc byte[MaximumWireLength];
        return Write(name, scratch) > 0;
    }

    // Names compare without regard to ASCII case (RFC 4343) and to a final dot.
    public static bool Same(string left, string right)
    {
        return string.Equals(Trim(left), Trim(right), StringComparison.OrdinalIgnoreCase);
    }

    // The name without its final dot.
    public static string Trim(string name)
    {
        return name.Length > 0 && name[name.Length - 1] == '.' ? name.Substring(0, name.Length - 1) : name;
    }
}
