namespace Unikraft.Kernel;

using System;

// The terminal at the other end of the serial line, when the runner found one (its standard input
// and output a terminal) or was asked to pretend one (UNIKRAFT_VM_TERMINAL): the runner passes the
// window's size on the VM's command line as UNIKRAFT_TERMINAL=<columns>x<rows>, with TERM beside it,
// and puts the host's terminal in raw mode for the VM's life, so every key reaches the serial line
// as typed. The kernel keeps the terminal's attributes and answers TCGETS and TIOCGWINSZ from these
// facts; the line discipline itself (echo, a line at a time or each key, Ctrl-C) is the shim's,
// which reads the line: each TCSETS is handed to it (MicroVmSerial.SetMode).
//
// A resize while the VM runs: the runner sends each new size to the shim on a line of its own (the
// VM's second serial port, so the program's input never carries it), and the shim keeps the
// window's size as it is now and raises SIGWINCH, on which the runtime forgets the size it cached.
// A terminal that follows resizes asks the shim for the size each time (TIOCGWINSZ on fd 0), and
// answers the size it started with when the shim has none.
internal sealed class MicroVmTerminal : IConsoleTerminal
{
    // The variable of the VM's command line that says the line is a terminal, and its size.
    public const string Variable = "UNIKRAFT_TERMINAL";

    // Null until the program sets its own: a new terminal is sane (canonical, echo), as the shim's
    // line discipline starts.
    private TerminalAttributes? attributes;

    private readonly bool followsResizes;

    public MicroVmTerminal(WindowSize size)
        : this(size, followsResizes: false)
    {
    }

    // followsResizes: the size comes from the shim while the VM runs (MicroVmSerial.GetWindowSize);
    // off, it is always the size given here (the kernel's tests, which run on a host).
    public MicroVmTerminal(WindowSize size, bool followsResizes)
    {
        Size = size;
        this.followsResizes = followsResizes;
    }

    // The window's size when the VM started.
    public WindowSize Size { get; }

    // The terminal a value of UNIKRAFT_TERMINAL describes ("<columns>x<rows>", each 1-65535), or
    // null for no value or a malformed one (then the line is no terminal, as before).
    public static MicroVmTerminal? FromVariable(string? value)
    {
        return FromVariable(value, followsResizes: false);
    }

    public static MicroVmTerminal? FromVariable(string? value, bool followsResizes)
    {
        return TryParseSize(value, out WindowSize size) ? new MicroVmTerminal(size, followsResizes) : null;
    }

    public static bool TryParseSize(string? value, out WindowSize size)
    {
        size = default;
        if (string.IsNullOrEmpty(value))
        {
            return false;
        }
        int separator = value.IndexOf('x');
        if (separator <= 0 || !TryParseDimension(value.AsSpan(0, separator), out ushort columns) ||
            !TryParseDimension(value.AsSpan(separator + 1), out ushort rows))
        {
            return false;
        }
        size = new WindowSize(rows, columns);
        return true;
    }

    // The serial line is every console stream at once: fds 0, 1 and 2 are the terminal together.
    public bool IsTerminal(int stream)
    {
        return stream >= 0 && stream <= 2;
    }

    public long GetWindowSize(out WindowSize size)
    {
        if (followsResizes && MicroVmSerial.GetWindowSize(out size) == 0)
        {
            return 0;
        }
        size = Size;
        return 0;
    }

    public long GetAttributes(out TerminalAttributes current)
    {
        current = attributes != null ? attributes.Copy() : TerminalAttributes.Sane;
        return 0;
    }

    // The shim's line discipline takes the mode first: if it refuses, the terminal keeps its old one.
    public long SetAttributes(TerminalAttributes requested)
    {
        Span<byte> bytes = stackalloc byte[TerminalAttributes.Size];
        requested.TryWrite(bytes);
        long result = MicroVmSerial.SetMode(bytes);
        if (result < 0)
        {
            return result;
        }
        attributes = requested.Copy();
        return 0;
    }

    private static bool TryParseDimension(ReadOnlySpan<char> digits, out ushort value)
    {
        value = 0;
        if (digits.IsEmpty || digits.Length > 5)
        {
            return false;
        }
        int number = 0;
        foreach (char digit in digits)
        {
            if (digit < '0' || digit > '9')
            {
                return false;
            }
            number = number * 10 + (digit - '0');
        }
        if (number == 0 || number > ushort.MaxValue)
        {
            return false;
        }
        value = (ushort)number;
        return true;
    }
}
