namespace Unikraft.Kernel;

using System;
using System.Runtime.InteropServices;

// The host's terminal behind the hosted console: the kernel's ioctl requests on fds 0-2 become the
// same requests on the host's fds (the struct termios and struct winsize of ioctl_tty(2) pass
// through unchanged), so raw mode and echo are the host terminal's own line discipline and the
// window size is the host window's.
//
// A program that leaves the terminal raw must not leave the person's shell raw: the attributes the
// host's stdin had before the first change are put back when the process exits, and before a
// signal that ends or stops it (SIGINT, SIGQUIT, SIGTERM, SIGTSTP); SIGCONT sets the program's own
// again.
internal sealed class HostedTerminal : IConsoleTerminal
{
    private readonly int inputFd;
    private readonly bool[] terminalStreams;
    private byte[]? original;
    private byte[]? current;
    private PosixSignalRegistration[]? signals;
    private volatile bool readMayTimeOut;

    private HostedTerminal(int inputFd, bool[] terminalStreams)
    {
        this.inputFd = inputFd;
        this.terminalStreams = terminalStreams;
    }

    // The terminal when any of the host's fds 0-2 is one (stdin is inputFd), or null.
    public static HostedTerminal? Open(int inputFd)
    {
        bool[] streams = new bool[3];
        bool any = false;
        Span<byte> probe = stackalloc byte[TerminalAttributes.Size];
        for (int stream = 0; stream < 3; stream++)
        {
            int fd = stream == 0 ? inputFd : stream;
            streams[stream] = HostedCalls.Ioctl(fd, TerminalRequest.TCGETS, probe) == 0;
            any |= streams[stream];
        }
        return any ? new HostedTerminal(inputFd, streams) : null;
    }

    // Whether a read of the host's stdin that returns nothing is a timeout (raw mode with VMIN 0)
    // rather than the end of input. Read by the console's reader thread.
    public bool ReadMayTimeOut => readMayTimeOut;

    public bool IsTerminal(int stream)
    {
        return stream >= 0 && stream <= 2 && terminalStreams[stream];
    }

    // The size of the window the output shows in (stdout, else stderr, else stdin).
    public long GetWindowSize(out WindowSize size)
    {
        size = default;
        Span<byte> bytes = stackalloc byte[WindowSize.Size];
        int fd = terminalStreams[1] ? 1 : terminalStreams[2] ? 2 : inputFd;
        long result = HostedCalls.Ioctl(fd, TerminalRequest.TIOCGWINSZ, bytes);
        if (result < 0)
        {
            return result;
        }
        size = new WindowSize(BitConverter.ToUInt16(bytes), BitConverter.ToUInt16(bytes.Slice(2)));
        return 0;
    }

    public long GetAttributes(out TerminalAttributes attributes)
    {
        attributes = new TerminalAttributes();
        Span<byte> bytes = stackalloc byte[TerminalAttributes.Size];
        long result = HostedCalls.Ioctl(TerminalFd, TerminalRequest.TCGETS, bytes);
        if (result < 0)
        {
            return result;
        }
        TerminalAttributes.TryRead(bytes, out attributes);
        return 0;
    }

    public long SetAttributes(TerminalAttributes attributes)
    {
        if (original == null)
        {
            byte[] saved = new byte[TerminalAttributes.Size];
            long got = HostedCalls.Ioctl(TerminalFd, TerminalRequest.TCGETS, saved);
            if (got < 0)
            {
                return got;
            }
            original = saved;
            RestoreOnExit();
        }
        byte[] bytes = new byte[TerminalAttributes.Size];
        attributes.TryWrite(bytes);
        long result = HostedCalls.Ioctl(TerminalFd, TerminalRequest.TCSETS, bytes);
        if (result == 0)
        {
            current = bytes;
            readMayTimeOut = attributes.ReadMayTimeOut;
        }
        return result;
    }

    // Puts back what the host's terminal had before the program changed it.
    public void Restore()
    {
        // The registrations end when they are collected: the terminal holds them for as long as
        // it may have to restore.
        GC.KeepAlive(signals);
        byte[]? saved = original;
        if (saved != null)
        {
            HostedCalls.Ioctl(TerminalFd, TerminalRequest.TCSETS, saved);
        }
    }

    // The fd whose line discipline the attributes are: stdin when it is the terminal (the keys come
    // through it), else the output's.
    private int TerminalFd => terminalStreams[0] ? inputFd : terminalStreams[1] ? 1 : 2;

    private void RestoreOnExit()
    {
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Restore();
        if (OperatingSystem.IsWindows())
        {
            return;
        }
        // Not cancelled: the signal goes on to end (or stop) the process as it would have.
        signals = new PosixSignalRegistration[]
        {
            PosixSignalRegistration.Create(PosixSignal.SIGINT, _ => Restore()),
            PosixSignalRegistration.Create(PosixSignal.SIGQUIT, _ => Restore()),
            PosixSignalRegistration.Create(PosixSignal.SIGTERM, _ => Restore()),
            PosixSignalRegistration.Create(PosixSignal.SIGTSTP, _ => Restore()),
            PosixSignalRegistration.Create(PosixSignal.SIGCONT, _ =>
            {
                byte[]? mine = current;
                if (mine != null)
                {
                    HostedCalls.Ioctl(TerminalFd, TerminalRequest.TCSETS, mine);
                }
            }),
        };
    }
}
