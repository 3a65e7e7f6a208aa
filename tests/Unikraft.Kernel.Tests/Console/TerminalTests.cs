namespace Unikraft.Kernel.Tests;

using System;
using System.Buffers.Binary;
using System.Text;
using Xunit;

// The console as a terminal: ioctl(2) on fds 0-2 (TCGETS, TCSETS, TIOCGWINSZ) reaches the console
// device's terminal, a console with none answers ENOTTY as a pipe does on Linux, and raw mode hands
// out the keys that arrived instead of one line.
public class TerminalTests
{
    private static TerminalAttributes Get(Kernel kernel, int fd)
    {
        byte[] bytes = new byte[TerminalAttributes.Size];
        Assert.Equal(0, Sys.Ioctl(kernel, fd, TerminalRequest.TCGETS, bytes));
        TerminalAttributes.TryRead(bytes, out TerminalAttributes attributes);
        return attributes;
    }

    private static void Set(Kernel kernel, int fd, TerminalAttributes attributes)
    {
        byte[] bytes = new byte[TerminalAttributes.Size];
        attributes.TryWrite(bytes);
        Assert.Equal(0, Sys.Ioctl(kernel, fd, TerminalRequest.TCSETS, bytes));
    }

    [Fact]
    public void Ioctl_OnAConsoleWithNoTerminal_IsENOTTY_OnAPipeToo_AndEBADFOnAClosedFd()
    {
        Kernel kernel = TestKernel.Boot(out _);
        byte[] bytes = new byte[TerminalAttributes.Size];
        int[] pipe = new int[2];
        Assert.Equal(0, Sys.Pipe2(kernel, pipe, 0));

        Assert.Equal(-Errno.ENOTTY, Sys.Ioctl(kernel, 0, TerminalRequest.TCGETS, bytes));
        Assert.Equal(-Errno.ENOTTY, Sys.Ioctl(kernel, 1, TerminalRequest.TIOCGWINSZ, bytes));
        Assert.Equal(-Errno.ENOTTY, Sys.Ioctl(kernel, pipe[0], TerminalRequest.TCGETS, bytes));
        Assert.Equal(-Errno.EBADF, Sys.Ioctl(kernel, 77, TerminalRequest.TCGETS, bytes));
    }

    [Fact]
    public void Ioctl_OnATerminal_ReportsItsWindowAndSaneAttributes_AndSetsThem()
    {
        Kernel kernel = TestKernel.Boot(out TestPlatform platform);
        var terminal = new VirtualTerminal(132, 43);
        platform.Console.Terminal = terminal;
        byte[] window = new byte[WindowSize.Size];

        Assert.Equal(0, Sys.Ioctl(kernel, 1, TerminalRequest.TIOCGWINSZ, window));
        Assert.Equal(43, BinaryPrimitives.ReadUInt16LittleEndian(window));
        Assert.Equal(132, BinaryPrimitives.ReadUInt16LittleEndian(window.AsSpan(2)));
        TerminalAttributes attributes = Get(kernel, 0);
        Assert.True(attributes.Canonical && attributes.Echo, "a new terminal is in canonical mode with echo");
        Assert.Equal(0x7F, attributes[TerminalAttributes.VERASE]);
        Assert.Equal(4, attributes[TerminalAttributes.VEOF]);

        attributes.LocalFlags &= ~(TerminalAttributes.ICANON | TerminalAttributes.ECHO);
        Set(kernel, 2, attributes);

        Assert.False(terminal.Canonical);
        Assert.False(terminal.Echo);
        Assert.False(Get(kernel, 1).Canonical);
        Assert.Equal(-Errno.EFAULT, Sys.Ioctl(kernel, 0, TerminalRequest.TCGETS, new byte[10]));
        Assert.Equal(-Errno.ENOTTY, Sys.Ioctl(kernel, 0, 0x541B, new byte[8]));
    }

    [Fact]
    public void RawMode_HandsOutEveryKeyThatArrived_CanonicalModeOneLine()
    {
        Kernel kernel = TestKernel.Boot(out TestPlatform platform);
        var terminal = new VirtualTerminal(80, 24);
        platform.Console.Terminal = terminal;
        platform.Console.SetInput("a\nb\nw\ns\n");
        byte[] buffer = new byte[16];

        Assert.Equal("a\n", Encoding.ASCII.GetString(buffer, 0, (int)Sys.Read(kernel, 0, buffer)));
        TerminalAttributes raw = Get(kernel, 0);
        raw.LocalFlags &= ~TerminalAttributes.ICANON;
        Set(kernel, 0, raw);

        Assert.Equal("b\nw\ns\n", Encoding.ASCII.GetString(buffer, 0, (int)Sys.Read(kernel, 0, buffer)));
    }
}
