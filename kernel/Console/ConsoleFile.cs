namespace Unikraft.Kernel;

using System;

// The open file behind fds 0, 1 and 2. fd 0 is read-only and fds 1 and 2 are write-only, as
// the host opens them, so a write to fd 0 or a read from fd 1 is EBADF as on Linux.
internal sealed class ConsoleFile : IFileDescription
{
    public const int StandardInput = 0;
    public const int StandardOutput = 1;
    public const int StandardError = 2;

    // NOTE: st_rdev of /dev/console on Linux: major 5, minor 1.
    public const long ConsoleDeviceNumber = (5 << 8) | 1;

    private readonly IConsoleDevice device;
    private readonly int stream;
    private readonly Kernel? kernel;
    private Readiness? readiness;
    private int statusFlags;

    // An output stream (1 or 2), which never waits, or standard input with no kernel to wait in
    // (it reads the device directly).
    public ConsoleFile(IConsoleDevice device, int stream)
    {
        this.device = device;
        this.stream = stream;
        statusFlags = stream == StandardInput ? 0 : 1;
    }

    // Standard input, which waits for the device's input through the kernel's ConsoleInput.
    public ConsoleFile(Kernel kernel, IConsoleDevice device)
    {
        this.device = device;
        this.kernel = kernel;
        stream = StandardInput;
    }

    // fd 0 is readable when a line (or its end) is there; fds 1 and 2 are always writable (the
    // device writes through before it returns). Neither end of the host's console hangs up.
    public int Poll()
    {
        if (stream == StandardInput)
        {
            ConsoleInput? input = Input;
            if (input == null)
            {
                return device.PollInput() ? PollEvents.POLLIN | PollEvents.POLLRDNORM : 0;
            }
            return input.Poll();
        }
        return PollEvents.POLLOUT | PollEvents.POLLWRNORM;
    }

    // Made on first use, so a program that only writes carries no waiting side of the console.
    public Readiness? Readiness
    {
        get
        {
            ConsoleInput? input = stream == StandardInput ? Input : null;
            return input != null ? input.Readiness : readiness ??= new Readiness();
        }
    }

    // The console stays attached to the kernel when its fds are closed.
    public void Release()
    {
    }

    // The waiting side of standard input, shared with /dev/console, made on first use.
    private ConsoleInput? Input
    {
        get
        {
            if (kernel == null)
            {
                return null;
            }
            ConsoleInput input = kernel.ConsoleInput ??= new ConsoleInput(kernel, device);
            input.Description ??= this;
            return input;
        }
    }

    public int StatusFlags => statusFlags;

    public void SetStatusFlags(int flags)
    {
        // NOTE: O_APPEND | O_NONBLOCK | O_DIRECT | O_NOATIME, the bits F_SETFL may change.
        const int changeable = 0x400 | 0x800 | 0x4000 | 0x40000;
        statusFlags = (statusFlags & ~changeable) | (flags & changeable);
    }

    // A character device, as a terminal is on Linux (crw--w----).
    public long GetAttributes(out Stat attributes)
    {
        attributes = default;
        attributes.Mode = Stat.S_IFCHR | 0x190;
        attributes.LinkCount = 1;
        attributes.SpecialDevice = ConsoleDeviceNumber;
        attributes.BlockSize = 1024;
        return 0;
    }

    public long Read(Span<byte> buffer)
    {
        if (stream != StandardInput)
        {
            return -Errno.EBADF;
        }
        if (buffer.IsEmpty)
        {
            return 0;
        }
        ConsoleInput? input = Input;
        if (input == null)
        {
            // No kernel to wait in: the device answers as it can.
            return device.ReadLine(buffer);
        }
        return input.Read(buffer, (statusFlags & OpenFlags.O_NONBLOCK) != 0);
    }

    // Standard input: whether a read would not wait, letting input on its way arrive until the
    // monotonic deadline (ConsoleInput.WaitReady). Other streams: never readable.
    public bool WaitReadable(long monotonicDeadline)
    {
        if (stream != StandardInput)
        {
            return false;
        }
        ConsoleInput? input = Input;
        return input == null ? device.PollInput() : input.WaitReady(monotonicDeadline);
    }

    // The terminal requests of ioctl(2) on fds 0-2 (ioctl_tty(2)); ENOTTY when this stream is not
    // the terminal, or for a request a terminal does not have.
    public long Ioctl(uint request, Span<byte> argument)
    {
        IConsoleTerminal? terminal = device.Terminal;
        if (terminal == null || !terminal.IsTerminal(stream))
        {
            return -Errno.ENOTTY;
        }
        switch (request)
        {
            case TerminalRequest.TCGETS:
            {
                long got = terminal.GetAttributes(out TerminalAttributes attributes);
                if (got < 0)
                {
                    return got;
                }
                return attributes.TryWrite(argument) ? 0 : -Errno.EFAULT;
            }
            case TerminalRequest.TCSETS:
            case TerminalRequest.TCSETSW:
            case TerminalRequest.TCSETSF:
            {
                // Output is written through before a write returns, so TCSETSW has nothing to wait
                // for; TCSETSF's flush of unread input is not kept apart either.
                if (!TerminalAttributes.TryRead(argument, out TerminalAttributes attributes))
                {
                    return -Errno.EFAULT;
                }
                return terminal.SetAttributes(attributes);
            }
            case TerminalRequest.TIOCGWINSZ:
            {
                long got = terminal.GetWindowSize(out WindowSize size);
                if (got < 0)
                {
                    return got;
                }
                return size.TryWrite(argument) ? 0 : -Errno.EFAULT;
            }
            default:
                return -Errno.ENOTTY;
        }
    }

    public long Write(ReadOnlySpan<byte> buffer)
    {
        switch (stream)
        {
            case StandardOutput: return device.WriteOutput(buffer);
            case StandardError: return device.WriteError(buffer);
            default: return -Errno.EBADF;
        }
    }
}
