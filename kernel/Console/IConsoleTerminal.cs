namespace Unikraft.Kernel;

// The terminal a console is: what ioctl on fds 0-2 reaches (TCGETS, TCSETS, TIOCGWINSZ). A console
// with no terminal (a pipe, a file, a serial line with no line discipline of its own) has none, and
// those ioctls fail with ENOTTY, as on Linux.
//
// The terminal does the line discipline: in canonical mode input reaches the console's reads a line
// at a time, in raw mode (ICANON off) as the keys arrive; echo and the signal keys are its business
// too. Results are 0 or -errno.
internal interface IConsoleTerminal
{
    // Whether console stream (0, 1 or 2) is the terminal: on hosted each of the host's fds may be
    // redirected on its own (a program piped into less has only stdin and stderr on the terminal).
    bool IsTerminal(int stream);

    long GetWindowSize(out WindowSize size);

    // TCGETS: the terminal's current attributes.
    long GetAttributes(out TerminalAttributes attributes);

    // TCSETS: takes effect before the next read.
    long SetAttributes(TerminalAttributes attributes);
}

// A terminal kept in memory: the attributes are a flag set the console's reads follow, the window a
// size given at boot. The sim platform's terminal, and the kernel's tests'.
internal sealed class VirtualTerminal : IConsoleTerminal
{
    // Null until the program sets its own: a new terminal is sane (canonical, echo).
    private TerminalAttributes? attributes;
    private bool canonical = true;
    private bool echo = true;

    public VirtualTerminal(ushort columns, ushort rows)
    {
        Size = new WindowSize(rows, columns);
    }

    public WindowSize Size { get; set; }

    // How many times the attributes were set (a test sees the BCL switch modes).
    public int AttributeChanges { get; private set; }

    // The console's reads follow these: a line at a time, or every key that arrived.
    public bool Canonical => canonical;

    public bool Echo => echo;

    public bool IsTerminal(int stream)
    {
        return stream >= 0 && stream <= 2;
    }

    public long GetWindowSize(out WindowSize size)
    {
        size = Size;
        return 0;
    }

    public long GetAttributes(out TerminalAttributes current)
    {
        current = attributes != null ? attributes.Copy() : TerminalAttributes.Sane;
        return 0;
    }

    public long SetAttributes(TerminalAttributes requested)
    {
        attributes = requested.Copy();
        canonical = requested.Canonical;
        echo = requested.Echo;
        AttributeChanges++;
        return 0;
    }
}
