namespace Unikraft.Kernel;

using System;
using System.Buffers.Binary;
using System.Text;

// The terminal descriptions the kernel's console comes with, compiled into terminfo's binary form
// (term(5), the "legacy" format with 16-bit numbers) when the BCL asks for one.
//
// Why the kernel has its own: the BCL finds the escape sequences for colours, cursor moves, clearing
// and the keys in the terminfo entry named by TERM, which it reads as a file (open, fstat, pread under
// /etc/terminfo, /lib/terminfo, /usr/share/terminfo ...). Those files are the host's: reading them
// would reach around the kernel, and a console-only program mounts no file system they could be in.
// So the console describes the terminals it speaks to itself: the xterm family (what terminal
// windows, tmux and screen emulate, and what TERM says in most of them) and the Linux console. Only
// the capabilities the BCL reads are here (System.Console's TermInfo.WellKnownStrings and
// WellKnownNumbers); a TERM the kernel does not know gets no entry, and the BCL then writes no escape
// sequences at all, as it does on a host that lacks the entry.
internal static class TerminalDescriptions
{
    // NOTE: the terminfo directories System.Console searches after $TERMINFO and ~/.terminfo
    // (TermInfo.DatabaseFactory: ncurses' order), each as <directory>/<first letter>/<name> or, as
    // on macOS, <directory>/<first letter in hex>/<name>.
    private static readonly string[] Directories = { "/etc/terminfo", "/lib/terminfo", "/usr/share/terminfo", "/usr/share/misc/terminfo", "/usr/local/share/terminfo" };

    // NOTE: term(5): the magic number of the legacy format, and the capability indices (the order
    // of term.h: columns is number 0, lines 2, max_colors 13; bell is string 1, and so on).
    private const short Magic = 0x011A;
    private const int Columns = 0;
    private const int Lines = 2;
    private const int MaxColors = 13;
    private const int NumberCount = 15;
    private const int StringCount = 361;
    private const string ExtendedClearName = "E3";

    // The compiled entry the path names, or null when the path is not one of the terminfo
    // directories' entries for a terminal the kernel describes.
    public static byte[]? ForPath(string path)
    {
        for (int index = 0; index < Directories.Length; index++)
        {
            string directory = Directories[index];
            if (path.Length <= directory.Length + 3 || !path.StartsWith(directory, StringComparison.Ordinal) || path[directory.Length] != '/')
            {
                continue;
            }
            string rest = path.Substring(directory.Length + 1);
            int slash = rest.IndexOf('/');
            if (slash <= 0)
            {
                return null;
            }
            string name = rest.Substring(slash + 1);
            string letter = rest.Substring(0, slash);
            if (name.Length == 0 || (letter != name.Substring(0, 1) && letter != ((int)name[0]).ToString("X")))
            {
                return null;
            }
            return Compile(name);
        }
        return null;
    }

    // The compiled entry of a terminal the kernel describes, or null.
    public static byte[]? Compile(string name)
    {
        string?[] strings = new string?[StringCount];
        short[] numbers = new short[NumberCount];
        numbers.AsSpan().Fill(-1);
        // NOTE: E3 (clear the scrollback too), an extended capability of xterm's and tmux's entries
        // that the BCL appends to Clear; screen's and xterm-color's entries do not have it.
        string? clearScrollback = name is "xterm" or "xterm-256color" or "tmux" or "tmux-256color" ? "\x1b[3J" : null;
        switch (name)
        {
            case "xterm-256color":
            case "screen-256color":
            case "tmux-256color":
                Xterm(strings, numbers);
                numbers[MaxColors] = 256;
                strings[359] = "\x1b[%?%p1%{8}%<%t3%p1%d%e%p1%{16}%<%t9%p1%{8}%-%d%e38;5;%p1%d%;m";
                strings[360] = "\x1b[%?%p1%{8}%<%t4%p1%d%e%p1%{16}%<%t10%p1%{8}%-%d%e48;5;%p1%d%;m";
                break;
            case "xterm":
            case "xterm-color":
            case "screen":
            case "tmux":
                Xterm(strings, numbers);
                break;
            case "linux":
                Ansi(strings, numbers);
                // NOTE: the Linux console's own sequences (console_codes(4)): clear without
                // scrollback, the cursor's shape with its visibility, keys without keypad mode.
                strings[5] = "\x1b[H\x1b[J";
                strings[13] = "\x1b[?25l\x1b[?1c";
                strings[16] = "\x1b[?25h\x1b[?0c";
                strings[87] = "\x1b[A";
                strings[61] = "\x1b[B";
                strings[83] = "\x1b[C";
                strings[79] = "\x1b[D";
                strings[76] = "\x1b[1~";
                strings[164] = "\x1b[4~";
                strings[66] = "\x1b[[A";
                strings[68] = "\x1b[[B";
                strings[69] = "\x1b[[C";
                strings[70] = "\x1b[[D";
                strings[71] = "\x1b[[E";
                break;
            default:
                return null;
        }
        return Encode(name, numbers, strings, clearScrollback);
    }

    // What the xterm family shares: ANSI sequences, 80x24 when the window cannot be asked, keypad
    // transmit mode and the keys as they arrive in it.
    private static void Xterm(string?[] strings, short[] numbers)
    {
        Ansi(strings, numbers);
        numbers[Columns] = 80;
        numbers[Lines] = 24;
        strings[5] = "\x1b[H\x1b[2J";
        strings[13] = "\x1b[?25l";
        strings[16] = "\x1b[?12l\x1b[?25h";
        strings[88] = "\x1b[?1l\x1b>";
        strings[89] = "\x1b[?1h\x1b=";
        strings[87] = "\x1bOA";
        strings[61] = "\x1bOB";
        strings[83] = "\x1bOC";
        strings[79] = "\x1bOD";
        strings[76] = "\x1bOH";
        strings[164] = "\x1bOF";
        strings[165] = "\x1bOM";
        strings[66] = "\x1bOP";
        strings[68] = "\x1bOQ";
        strings[69] = "\x1bOR";
        strings[70] = "\x1bOS";
        strings[71] = "\x1b[15~";
    }

    // What every terminal here shares (ECMA-48 / VT100): bell, clearing to the end of the line,
    // cursor addressing (1-based row;column), 8 colours and their reset, the editing keys.
    private static void Ansi(string?[] strings, short[] numbers)
    {
        numbers[MaxColors] = 8;
        strings[1] = "\a";
        strings[6] = "\x1b[K";
        strings[10] = "\x1b[%i%p1%d;%p2%dH";
        strings[14] = "\b";
        strings[55] = "\x7f";
        strings[59] = "\x1b[3~";
        strings[77] = "\x1b[2~";
        strings[81] = "\x1b[6~";
        strings[82] = "\x1b[5~";
        strings[148] = "\x1b[Z";
        strings[72] = "\x1b[17~";
        strings[73] = "\x1b[18~";
        strings[74] = "\x1b[19~";
        strings[75] = "\x1b[20~";
        strings[67] = "\x1b[21~";
        strings[216] = "\x1b[23~";
        strings[217] = "\x1b[24~";
        strings[294] = "\x1b[6n";
        strings[297] = "\x1b[39;49m";
        strings[359] = "\x1b[3%p1%dm";
        strings[360] = "\x1b[4%p1%dm";
    }

    // term(5): a header of six shorts (magic, the names' size, the booleans', numbers' and string
    // offsets' counts, the string table's size), the names, the booleans (none here), a pad byte
    // to an even offset, the numbers, the string offsets (-1 for absent), the string table. Then,
    // for E3, the extended section at the next even offset: a header of five shorts (extended
    // booleans, numbers and strings, the items of its string table: values and names, and its size
    // in bytes), the string's offset and its name's (each from the start of its part of the table),
    // and the table: the value, then the name.
    private static byte[] Encode(string name, short[] numbers, string?[] strings, string? clearScrollback)
    {
        byte[] names = Encoding.ASCII.GetBytes(name + "|" + name + " (Unikraft kernel console)\0");
        int tableSize = 0;
        for (int index = 0; index < strings.Length; index++)
        {
            if (strings[index] != null)
            {
                tableSize += strings[index]!.Length + 1;
            }
        }
        int numbersOffset = 12 + names.Length;
        if ((numbersOffset & 1) != 0)
        {
            numbersOffset++;
        }
        int offsetsOffset = numbersOffset + numbers.Length * 2;
        int tableOffset = offsetsOffset + strings.Length * 2;
        int extendedOffset = (tableOffset + tableSize + 1) & ~1;
        int extendedTableSize = clearScrollback == null ? 0 : clearScrollback.Length + 1 + ExtendedClearName.Length + 1;
        byte[] entry = new byte[clearScrollback == null ? tableOffset + tableSize : extendedOffset + 14 + extendedTableSize];
        Span<byte> bytes = entry;
        BinaryPrimitives.WriteInt16LittleEndian(bytes, Magic);
        BinaryPrimitives.WriteInt16LittleEndian(bytes.Slice(2), (short)names.Length);
        BinaryPrimitives.WriteInt16LittleEndian(bytes.Slice(4), 0);
        BinaryPrimitives.WriteInt16LittleEndian(bytes.Slice(6), (short)numbers.Length);
        BinaryPrimitives.WriteInt16LittleEndian(bytes.Slice(8), (short)strings.Length);
        BinaryPrimitives.WriteInt16LittleEndian(bytes.Slice(10), (short)tableSize);
        names.CopyTo(bytes.Slice(12));
        for (int index = 0; index < numbers.Length; index++)
        {
            BinaryPrimitives.WriteInt16LittleEndian(bytes.Slice(numbersOffset + index * 2), numbers[index]);
        }
        int position = 0;
        for (int index = 0; index < strings.Length; index++)
        {
            string? value = strings[index];
            if (value == null)
            {
                BinaryPrimitives.WriteInt16LittleEndian(bytes.Slice(offsetsOffset + index * 2), -1);
                continue;
            }
            BinaryPrimitives.WriteInt16LittleEndian(bytes.Slice(offsetsOffset + index * 2), (short)position);
            Encoding.ASCII.GetBytes(value, bytes.Slice(tableOffset + position));
            position += value.Length + 1;
        }
        if (clearScrollback != null)
        {
            Span<byte> extended = bytes.Slice(extendedOffset);
            BinaryPrimitives.WriteInt16LittleEndian(extended, 0);
            BinaryPrimitives.WriteInt16LittleEndian(extended.Slice(2), 0);
            BinaryPrimitives.WriteInt16LittleEndian(extended.Slice(4), 1);
            BinaryPrimitives.WriteInt16LittleEndian(extended.Slice(6), 2);
            BinaryPrimitives.WriteInt16LittleEndian(extended.Slice(8), (short)extendedTableSize);
            BinaryPrimitives.WriteInt16LittleEndian(extended.Slice(10), 0);
            BinaryPrimitives.WriteInt16LittleEndian(extended.Slice(12), 0);
            Encoding.ASCII.GetBytes(clearScrollback, extended.Slice(14));
            Encoding.ASCII.GetBytes(ExtendedClearName, extended.Slice(14 + clearScrollback.Length + 1));
        }
        return entry;
    }
}
