namespace Unikraft.Kernel;

using System;
using System.Runtime.InteropServices;

// The console and terminal functions of System.Native (pal_console.c), served by the kernel's
// console through its syscalls: read(2) and write(2) on fds 0-2, ioctl(2) for the terminal
// (TCGETS, TCSETS, TIOCGWINSZ) and the console's readiness for KeyAvailable. What the console is
// decides what the BCL sees: a terminal (hosted on a terminal, sim with AttachTerminal) gives raw
// keys, colours, cursor moves and the window size; a plain byte stream gives redirected streams,
// as on Linux.
//
// The terminal's mode follows pal_console.c: the first read of keys takes the terminal's
// attributes as they are, and each read sets them to those with no echo, no canonical input, no
// flow control and no IEXTEN (ISIG as TreatControlCAsInput says), VMIN and VTIME as the BCL asks;
// between reads the terminal stays in that mode (the keys typed then must not echo), and the
// hosted terminal puts the first attributes back at exit.
internal static class NativeConsole
{
    // NOTE: _POSIX_VDISABLE on Linux: a control character that is off reads as 0.
    private const byte PosixDisable = 0;

    // NOTE: how long KeyAvailable lets a key on its way arrive, 1 ms: long enough for the hosted
    // reader thread's interrupt to run, short against a game's frame.
    private const long ReadyWaitNanoseconds = 1_000_000;

    [UnmanagedCallersOnly(EntryPoint = "__wrap_SystemNative_ReadStdin")]
    internal static int ReadStdin(nint buffer, int size)
    {
        using NativeCall call = NativeCall.Enter("SystemNative_ReadStdin");
        NativeLayer? layer = call.Layer;
        return layer == null ? -1 : NativeLayer.Result(Sys.Read(layer.Kernel, 0, NativeLayer.Bytes(buffer, size)));
    }

    // isatty(3): whether TCGETS succeeds on fd, as glibc asks.
    [UnmanagedCallersOnly(EntryPoint = "__wrap_SystemNative_IsATty")]
    internal static int IsATty(nint fd)
    {
        using NativeCall call = NativeCall.Enter("SystemNative_IsATty");
        NativeLayer? layer = call.Layer;
        if (layer == null)
        {
            return 0;
        }
        Span<byte> attributes = stackalloc byte[TerminalAttributes.Size];
        long result = Sys.Ioctl(layer.Kernel, ToFd(fd), TerminalRequest.TCGETS, attributes);
        if (result < 0)
        {
            Marshal.SetLastSystemError((int)-result);
            return 0;
        }
        return 1;
    }

    // TIOCGWINSZ on the fd the BCL uses as its terminal (stdout, or stdin when stdout is
    // redirected); the size is zeroed when it fails, as the BCL expects of its out parameter.
    [UnmanagedCallersOnly(EntryPoint = "__wrap_SystemNative_GetWindowSize")]
    internal static int GetWindowSize(nint fd, nint size)
    {
        using NativeCall call = NativeCall.Enter("SystemNative_GetWindowSize");
        NativeLayer? layer = call.Layer;
        Span<byte> window = NativeLayer.Bytes(size, WindowSize.Size);
        window.Clear();
        if (layer == null)
        {
            return -1;
        }
        return NativeLayer.Result(Sys.Ioctl(layer.Kernel, ToFd(fd), TerminalRequest.TIOCGWINSZ, window));
    }

    // Keypad transmit mode (terminfo's smkx): the arrow keys then arrive as the entry's key
    // strings. Written to the terminal once, as pal_console.c does.
    [UnmanagedCallersOnly(EntryPoint = "__wrap_SystemNative_SetKeypadXmit")]
    internal static void SetKeypadXmit(nint fd, nint terminfoString)
    {
        using NativeCall call = NativeCall.Enter("SystemNative_SetKeypadXmit");
        NativeLayer? layer = call.Layer;
        if (layer == null || terminfoString == 0)
        {
            return;
        }
        int length = 0;
        while (Marshal.ReadByte(terminfoString, length) != 0)
        {
            length++;
        }
        Sys.Write(layer.Kernel, ToFd(fd), NativeLayer.Bytes(terminfoString, length));
    }

    [UnmanagedCallersOnly(EntryPoint = "__wrap_SystemNative_InitializeConsoleBeforeRead")]
    internal static void InitializeConsoleBeforeRead(byte minimumCharacters, byte decisecondsTimeout)
    {
        using NativeCall call = NativeCall.Enter("SystemNative_InitializeConsoleBeforeRead");
        NativeLayer? layer = call.Layer;
        if (layer != null)
        {
            layer.Terminal.Configure(layer.Kernel, minimumCharacters, decisecondsTimeout);
        }
    }

    // The terminal stays in the reading mode between reads (pal_console.c only notes that no read
    // runs now).
    [UnmanagedCallersOnly(EntryPoint = "__wrap_SystemNative_UninitializeConsoleAfterRead")]
    internal static void UninitializeConsoleAfterRead()
    {
        using NativeCall call = NativeCall.Enter("SystemNative_UninitializeConsoleAfterRead");
    }

    // The terminal's control characters (erase, end of file, ...) by the PAL's names, which are
    // Linux's c_cc indices (pal_console.h); a character the terminal lacks reads as disabled.
    [UnmanagedCallersOnly(EntryPoint = "__wrap_SystemNative_GetControlCharacters")]
    internal static void GetControlCharacters(nint names, nint values, int length, nint posixDisableValue)
    {
        using NativeCall call = NativeCall.Enter("SystemNative_GetControlCharacters");
        NativeLayer? layer = call.Layer;
        if (posixDisableValue != 0)
        {
            Marshal.WriteByte(posixDisableValue, PosixDisable);
        }
        if (length <= 0 || names == 0 || values == 0)
        {
            return;
        }
        Span<int> requested = MemoryMarshal.Cast<byte, int>(NativeLayer.Bytes(names, length * sizeof(int)));
        Span<byte> answered = NativeLayer.Bytes(values, length);
        answered.Fill(PosixDisable);
        Span<byte> bytes = stackalloc byte[TerminalAttributes.Size];
        if (layer == null || Sys.Ioctl(layer.Kernel, 0, TerminalRequest.TCGETS, bytes) < 0)
        {
            return;
        }
        TerminalAttributes.TryRead(bytes, out TerminalAttributes attributes);
        for (int index = 0; index < length; index++)
        {
            int name = requested[index];
            if (name >= 0 && name <= 16)
            {
                answered[index] = attributes[name];
            }
        }
    }

    // KeyAvailable: whether a key is there to read, in the reading mode (in canonical mode a key
    // is not input until its line ends).
    [UnmanagedCallersOnly(EntryPoint = "__wrap_SystemNative_StdinReady")]
    internal static int StdinReady()
    {
        using NativeCall call = NativeCall.Enter("SystemNative_StdinReady");
        NativeLayer? layer = call.Layer;
        if (layer == null)
        {
            return 0;
        }
        Kernel kernel = layer.Kernel;
        layer.Terminal.Configure(kernel, 1, 0);
        if (kernel.Files.Get(0) is not ConsoleFile input)
        {
            return 0;
        }
        long now = kernel.Clock?.MonotonicNanoseconds ?? 0;
        return input.WaitReadable(now + ReadyWaitNanoseconds) ? 1 : 0;
    }

    // TreatControlCAsInput: whether Ctrl+C is a signal (ISIG) rather than a key.
    [UnmanagedCallersOnly(EntryPoint = "__wrap_SystemNative_GetSignalForBreak")]
    internal static int GetSignalForBreak()
    {
        using NativeCall call = NativeCall.Enter("SystemNative_GetSignalForBreak");
        NativeLayer? layer = call.Layer;
        return layer == null || layer.Terminal.SignalForBreak(layer.Kernel) ? 1 : 0;
    }

    [UnmanagedCallersOnly(EntryPoint = "__wrap_SystemNative_SetSignalForBreak")]
    internal static int SetSignalForBreak(int signalForBreak)
    {
        using NativeCall call = NativeCall.Enter("SystemNative_SetSignalForBreak");
        NativeLayer? layer = call.Layer;
        return layer != null && layer.Terminal.SetSignalForBreak(layer.Kernel, signalForBreak != 0) ? 1 : 0;
    }

    private static int ToFd(nint fd)
    {
        return fd < 0 || fd > int.MaxValue ? -1 : (int)fd;
    }
}

// The terminal mode the BCL's console asks for, kept per native layer as pal_console.c keeps it
// per process: the attributes the terminal had before the first change, and the last ones set.
internal sealed class NativeTerminal
{
    private TerminalAttributes? initial;
    private TerminalAttributes? current;
    private bool signalForBreak = true;

    // Sets stdin's terminal for reading keys; false when stdin is not a terminal (ENOTTY).
    public bool Configure(Kernel kernel, byte minimumCharacters, byte decisecondsTimeout)
    {
        TerminalAttributes? start = Initial(kernel);
        if (start == null)
        {
            return false;
        }
        TerminalAttributes attributes = start.Copy();
        attributes.LocalFlags = signalForBreak ? attributes.LocalFlags | TerminalAttributes.ISIG : attributes.LocalFlags & ~TerminalAttributes.ISIG;
        attributes.InputFlags &= ~(TerminalAttributes.IXON | TerminalAttributes.IXOFF);
        attributes.LocalFlags &= ~(TerminalAttributes.ECHO | TerminalAttributes.ICANON | TerminalAttributes.IEXTEN);
        attributes[TerminalAttributes.VMIN] = minimumCharacters;
        attributes[TerminalAttributes.VTIME] = decisecondsTimeout;
        if (current != null && current.SameAs(attributes))
        {
            return true;
        }
        Span<byte> bytes = stackalloc byte[TerminalAttributes.Size];
        attributes.TryWrite(bytes);
        if (Sys.Ioctl(kernel, 0, TerminalRequest.TCSETS, bytes) < 0)
        {
            return false;
        }
        current = attributes;
        return true;
    }

    public bool SignalForBreak(Kernel kernel)
    {
        Initial(kernel);
        return signalForBreak;
    }

    // Changes ISIG now (in the reading mode when a read set it, else in the terminal's own).
    public bool SetSignalForBreak(Kernel kernel, bool value)
    {
        TerminalAttributes? start = Initial(kernel);
        if (start == null)
        {
            Marshal.SetLastSystemError(Errno.ENOTTY);
            return false;
        }
        signalForBreak = value;
        TerminalAttributes attributes = (current ?? start).Copy();
        attributes.LocalFlags = value ? attributes.LocalFlags | TerminalAttributes.ISIG : attributes.LocalFlags & ~TerminalAttributes.ISIG;
        Span<byte> bytes = stackalloc byte[TerminalAttributes.Size];
        attributes.TryWrite(bytes);
        long result = Sys.Ioctl(kernel, 0, TerminalRequest.TCSETS, bytes);
        if (result < 0)
        {
            Marshal.SetLastSystemError((int)-result);
            return false;
        }
        current = attributes;
        return true;
    }

    // The attributes stdin's terminal had before the first change, asked once; null when stdin
    // is not a terminal.
    private TerminalAttributes? Initial(Kernel kernel)
    {
        if (initial != null)
        {
            return initial;
        }
        Span<byte> bytes = stackalloc byte[TerminalAttributes.Size];
        if (Sys.Ioctl(kernel, 0, TerminalRequest.TCGETS, bytes) < 0)
        {
            return null;
        }
        TerminalAttributes.TryRead(bytes, out TerminalAttributes attributes);
        initial = attributes;
        signalForBreak = (attributes.LocalFlags & TerminalAttributes.ISIG) != 0;
        return initial;
    }
}
