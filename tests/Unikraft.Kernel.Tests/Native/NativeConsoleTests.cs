namespace Unikraft.Kernel.Tests;

using System;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using Xunit;

// The console functions of System.Native as the BCL calls them, through their unmanaged entry
// points: on a console with a terminal they see a tty, its window and its control characters, and
// reading keys puts it in raw mode; on a plain console they see redirected streams.
[Collection("native layer")]
public unsafe class NativeConsoleTests
{
    private const int PalOpenReadOnlyCloseOnExec = 0x0010;

    private static Kernel Boot(out TestPlatform platform, VirtualTerminal? terminal)
    {
        Kernel kernel = TestKernel.Boot(out platform);
        platform.Console.Terminal = terminal;
        NativeLayer.Attach(kernel);
        return kernel;
    }

    [Fact]
    public void IsATty_AndGetWindowSize_FollowTheConsolesTerminal()
    {
        delegate* unmanaged<nint, int> isATty = &NativeConsole.IsATty;
        delegate* unmanaged<nint, nint, int> getWindowSize = &NativeConsole.GetWindowSize;
        ushort* window = stackalloc ushort[4];

        Boot(out _, null);
        Assert.Equal(0, isATty(1));
        Assert.Equal(Errno.ENOTTY, Marshal.GetLastSystemError());
        Assert.Equal(-1, getWindowSize(1, (nint)window));
        Assert.Equal(0, window[0]);

        Boot(out _, new VirtualTerminal(100, 30));
        Assert.Equal(1, isATty(0));
        Assert.Equal(1, isATty(1));
        Assert.Equal(0, isATty(99));
        Assert.Equal(Errno.EBADF, Marshal.GetLastSystemError());
        Assert.Equal(0, getWindowSize(1, (nint)window));
        Assert.Equal(30, window[0]);
        Assert.Equal(100, window[1]);
    }

    [Fact]
    public void ReadingKeys_PutsTheTerminalInRawModeWithoutEcho_AndKeyAvailableSeesTheKeys()
    {
        var terminal = new VirtualTerminal(80, 24);
        Kernel kernel = Boot(out TestPlatform platform, terminal);
        platform.Console.KeepInputOpen();
        delegate* unmanaged<byte, byte, void> initialize = &NativeConsole.InitializeConsoleBeforeRead;
        delegate* unmanaged<void> uninitialize = &NativeConsole.UninitializeConsoleAfterRead;
        delegate* unmanaged<int> stdinReady = &NativeConsole.StdinReady;
        delegate* unmanaged<nint, int, int> readStdin = &NativeConsole.ReadStdin;

        Assert.Equal(0, stdinReady());
        Assert.False(terminal.Canonical);
        Assert.False(terminal.Echo);
        platform.Console.Deliver("\x1bOA");
        Assert.Equal(1, stdinReady());

        initialize(1, 0);
        byte* buffer = stackalloc byte[16];
        int read = readStdin((nint)buffer, 16);
        uninitialize();

        Assert.Equal("\x1bOA", Encoding.ASCII.GetString(buffer, read));
        Assert.False(terminal.Canonical, "the terminal stays raw between reads, as pal_console.c keeps it");
        Assert.Equal(1, terminal.AttributeChanges);
        TerminalAttributes now = GetAttributes(kernel);
        Assert.Equal(1, now[TerminalAttributes.VMIN]);
        Assert.True((now.LocalFlags & TerminalAttributes.ISIG) != 0, "Ctrl+C stays a signal");

        delegate* unmanaged<int, int> setSignalForBreak = &NativeConsole.SetSignalForBreak;
        delegate* unmanaged<int> getSignalForBreak = &NativeConsole.GetSignalForBreak;
        Assert.Equal(1, setSignalForBreak(0));
        Assert.Equal(0, getSignalForBreak());
        Assert.True((GetAttributes(kernel).LocalFlags & TerminalAttributes.ISIG) == 0, "TreatControlCAsInput clears ISIG");
    }

    [Fact]
    public void GetControlCharacters_ReadsTheTerminals_OrDisabledWithoutOne()
    {
        delegate* unmanaged<nint, nint, int, nint, void> get = &NativeConsole.GetControlCharacters;
        int* names = stackalloc int[3] { 2, 4, 40 };
        byte* values = stackalloc byte[3];
        byte disable = 9;

        Boot(out _, new VirtualTerminal(80, 24));
        get((nint)names, (nint)values, 3, (nint)(&disable));
        Assert.Equal(0, disable);
        Assert.Equal(0x7F, values[0]);
        Assert.Equal(4, values[1]);
        Assert.Equal(0, values[2]);

        Boot(out _, null);
        get((nint)names, (nint)values, 3, (nint)(&disable));
        Assert.Equal(0, values[0]);
    }

    [Fact]
    public void SetKeypadXmit_WritesTheStringToTheTerminal()
    {
        Boot(out TestPlatform platform, new VirtualTerminal(80, 24));
        delegate* unmanaged<nint, nint, void> setKeypadXmit = &NativeConsole.SetKeypadXmit;
        byte[] text = Encoding.ASCII.GetBytes("\x1b[?1h\x1b=\0");

        fixed (byte* pointer = text)
        {
            setKeypadXmit(1, (nint)pointer);
        }

        Assert.Equal("\x1b[?1h\x1b=", platform.Console.OutputText);
    }

    // The BCL reads TERM's entry by path with open, fstat and pread: the console's own entry
    // answers, with no file system mounted; a terminal it does not describe is not found.
    [Fact]
    public void Open_OfATerminfoPath_GivesTheConsolesEntry_WithNoFileSystem()
    {
        Boot(out _, null);
        delegate* unmanaged<nint, int, int, nint> open = &NativeFiles.Open;
        delegate* unmanaged<nint, nint, int> fstat = &NativeFiles.FStat;
        delegate* unmanaged<nint, nint, int, long, int> pread = &NativeFiles.PRead;
        byte[] expected = TerminalDescriptions.Compile("xterm-256color")!;

        nint fd = Open(open, "/usr/share/terminfo/x/xterm-256color");
        Assert.True(fd >= 3, "fd = " + fd + ", errno " + Marshal.GetLastSystemError());
        byte* status = stackalloc byte[120];
        Assert.Equal(0, fstat(fd, (nint)status));
        Assert.Equal(expected.Length, BinaryPrimitives.ReadInt64LittleEndian(new ReadOnlySpan<byte>(status + 16, 8)));
        byte[] read = new byte[expected.Length];
        fixed (byte* pointer = read)
        {
            Assert.Equal(expected.Length, pread(fd, (nint)pointer, read.Length, 0));
        }
        Assert.Equal(expected, read);

        Assert.Equal(-1, Open(open, "/usr/share/terminfo/d/dumb"));
    }

    private static nint Open(delegate* unmanaged<nint, int, int, nint> open, string path)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(path + "\0");
        fixed (byte* pointer = bytes)
        {
            return open((nint)pointer, PalOpenReadOnlyCloseOnExec, 0);
        }
    }

    private static TerminalAttributes GetAttributes(Kernel kernel)
    {
        byte[] bytes = new byte[TerminalAttributes.Size];
        Assert.Equal(0, Sys.Ioctl(kernel, 0, TerminalRequest.TCGETS, bytes));
        TerminalAttributes.TryRead(bytes, out TerminalAttributes attributes);
        return attributes;
    }
}
