namespace Unikraft.Kernel;

using System;
using System.Buffers.Binary;

// A terminal's line discipline as ioctl(TCGETS) and ioctl(TCSETS) carry it: the kernel's struct
// termios of Linux x86-64 (asm-generic/termbits.h), not glibc's larger one. The console keeps it as
// flags and control characters; the hosted terminal hands the same bytes to the host's ioctl.
internal sealed class TerminalAttributes
{
    // NOTE: sizeof(struct termios) in asm-generic/termbits.h: four tcflag_t (4 bytes each), c_line
    // (1 byte) and c_cc[NCCS] with NCCS = 19.
    public const int Size = 36;
    public const int ControlCharacterCount = 19;

    // NOTE: c_iflag, c_lflag and c_cc bits from asm-generic/termbits.h.
    public const uint IXON = 0x400;
    public const uint IXOFF = 0x1000;
    public const uint ICRNL = 0x100;
    public const uint ISIG = 0x1;
    public const uint ICANON = 0x2;
    public const uint ECHO = 0x8;
    public const uint IEXTEN = 0x8000;
    public const int VINTR = 0;
    public const int VERASE = 2;
    public const int VEOF = 4;
    public const int VTIME = 5;
    public const int VMIN = 6;

    private const int ControlCharactersOffset = 17;

    public uint InputFlags;
    public uint OutputFlags;
    public uint ControlFlags;
    public uint LocalFlags;
    public byte LineDiscipline;
    private readonly byte[] controlCharacters = new byte[ControlCharacterCount];

    // What a Linux terminal starts with (stty sane): canonical input with echo and signals, CR read
    // as NL, NL written as CR NL.
    // NOTE: the values of a fresh pty on Linux (drivers/tty/tty_io.c tty_std_termios): iflag
    // ICRNL | IXON, oflag OPOST | ONLCR, cflag B38400 | CS8 | CREAD | HUPCL, lflag ISIG | ICANON |
    // ECHO | ECHOE | ECHOK | ECHOCTL | ECHOKE | IEXTEN, and INIT_C_CC's control characters.
    public static TerminalAttributes Sane
    {
        get
        {
            var attributes = new TerminalAttributes
            {
                InputFlags = ICRNL | IXON,
                OutputFlags = 0x1 | 0x4,
                ControlFlags = 0xF | 0x30 | 0x80 | 0x400,
                LocalFlags = ISIG | ICANON | ECHO | 0x10 | 0x20 | 0x200 | 0x800 | IEXTEN,
            };
            ReadOnlySpan<byte> characters = new byte[] { 3, 0x1C, 0x7F, 0x15, 4, 0, 1, 0, 0x11, 0x13, 0x1A, 0, 0x12, 0x0F, 0x17, 0x16, 0 };
            for (int index = 0; index < characters.Length; index++)
            {
                attributes[index] = characters[index];
            }
            return attributes;
        }
    }

    // Whether input comes a line at a time (ICANON): otherwise each read returns what is there,
    // at least VMIN bytes.
    public bool Canonical => (LocalFlags & ICANON) != 0;

    public bool Echo => (LocalFlags & ECHO) != 0;

    // A non-canonical read with VMIN 0 and a VTIME may end with nothing: a timeout, not the end of
    // the input.
    public bool ReadMayTimeOut => !Canonical && this[VMIN] == 0;

    public byte this[int index]
    {
        get => controlCharacters[index];
        set => controlCharacters[index] = value;
    }

    public TerminalAttributes Copy()
    {
        var copy = new TerminalAttributes
        {
            InputFlags = InputFlags,
            OutputFlags = OutputFlags,
            ControlFlags = ControlFlags,
            LocalFlags = LocalFlags,
            LineDiscipline = LineDiscipline,
        };
        controlCharacters.CopyTo(copy.controlCharacters, 0);
        return copy;
    }

    // Whether a TCSETS with other would change anything the console acts on.
    public bool SameAs(TerminalAttributes other)
    {
        return InputFlags == other.InputFlags && OutputFlags == other.OutputFlags && ControlFlags == other.ControlFlags &&
            LocalFlags == other.LocalFlags && controlCharacters.AsSpan().SequenceEqual(other.controlCharacters);
    }

    // Reads the struct from an ioctl's argument; false when the argument is too short.
    public static bool TryRead(ReadOnlySpan<byte> bytes, out TerminalAttributes attributes)
    {
        attributes = new TerminalAttributes();
        if (bytes.Length < Size)
        {
            return false;
        }
        attributes.InputFlags = BinaryPrimitives.ReadUInt32LittleEndian(bytes);
        attributes.OutputFlags = BinaryPrimitives.ReadUInt32LittleEndian(bytes.Slice(4));
        attributes.ControlFlags = BinaryPrimitives.ReadUInt32LittleEndian(bytes.Slice(8));
        attributes.LocalFlags = BinaryPrimitives.ReadUInt32LittleEndian(bytes.Slice(12));
        attributes.LineDiscipline = bytes[16];
        for (int index = 0; index < ControlCharacterCount; index++)
        {
            attributes[index] = bytes[ControlCharactersOffset + index];
        }
        return true;
    }

    // Writes the struct into an ioctl's argument; false when the argument is too short.
    public bool TryWrite(Span<byte> bytes)
    {
        if (bytes.Length < Size)
        {
            return false;
        }
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, InputFlags);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.Slice(4), OutputFlags);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.Slice(8), ControlFlags);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.Slice(12), LocalFlags);
        bytes[16] = LineDiscipline;
        for (int index = 0; index < ControlCharacterCount; index++)
        {
            bytes[ControlCharactersOffset + index] = this[index];
        }
        return true;
    }
}

// The window size of ioctl(TIOCGWINSZ): struct winsize of asm-generic/termios.h, four unsigned
// shorts (rows, columns, then the pixel sizes nobody fills in).
internal readonly record struct WindowSize(ushort Rows, ushort Columns)
{
    public const int Size = 8;

    public bool TryWrite(Span<byte> bytes)
    {
        if (bytes.Length < Size)
        {
            return false;
        }
        BinaryPrimitives.WriteUInt16LittleEndian(bytes, Rows);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.Slice(2), Columns);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.Slice(4), 0);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.Slice(6), 0);
        return true;
    }
}
