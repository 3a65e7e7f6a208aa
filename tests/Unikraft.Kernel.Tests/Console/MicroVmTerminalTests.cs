namespace Unikraft.Kernel.Tests;

using System;
using Xunit;

// The microvm console's terminal, made from the facts the runner puts on the VM's command line
// (UNIKRAFT_TERMINAL=<columns>x<rows>): fds 0-2 are the terminal together (the serial line is all
// three), the window size is the runner's, and a new terminal's attributes are sane until the
// program sets its own. Without the variable, or with a malformed one, the line is no terminal.
// (Setting attributes hands them to the shim's line discipline: MicroVmSuiteTests boots that.)
public sealed class MicroVmTerminalTests
{
    [Theory]
    [InlineData("100x30", 100, 30)]
    [InlineData("80x24", 80, 24)]
    [InlineData("1x65535", 1, 65535)]
    public void Size_IsColumnsByRows(string value, int columns, int rows)
    {
        Assert.True(MicroVmTerminal.TryParseSize(value, out WindowSize size));
        Assert.Equal(new WindowSize((ushort)rows, (ushort)columns), size);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("100")]
    [InlineData("x30")]
    [InlineData("100x")]
    [InlineData("0x30")]
    [InlineData("100x0")]
    [InlineData("100x30x2")]
    [InlineData("65536x30")]
    [InlineData("-1x30")]
    [InlineData("100 x30")]
    public void AMalformedSize_MakesNoTerminal(string? value)
    {
        Assert.False(MicroVmTerminal.TryParseSize(value, out _));
        Assert.Null(MicroVmTerminal.FromVariable(value));
    }

    [Fact]
    public void AConsoleWithTheTerminal_AnswersTheTerminalRequests_FromTheRunnersFacts()
    {
        var console = new MicroVmConsole(MicroVmTerminal.FromVariable("100x30"));
        var file = new ConsoleFile(console, ConsoleFile.StandardOutput);

        byte[] window = new byte[WindowSize.Size];
        Assert.Equal(0, file.Ioctl(TerminalRequest.TIOCGWINSZ, window));
        Assert.Equal(new byte[] { 30, 0, 100, 0, 0, 0, 0, 0 }, window);

        byte[] attributes = new byte[TerminalAttributes.Size];
        Assert.Equal(0, file.Ioctl(TerminalRequest.TCGETS, attributes));
        TerminalAttributes.TryRead(attributes, out TerminalAttributes current);
        Assert.True(current.SameAs(TerminalAttributes.Sane));

        IConsoleTerminal terminal = console.Terminal!;
        Assert.True(terminal.IsTerminal(0) && terminal.IsTerminal(1) && terminal.IsTerminal(2));
        Assert.False(terminal.IsTerminal(3));
    }

    [Fact]
    public void AConsoleWithNoTerminal_IsNoTty_AndItsInputCountsAsReady()
    {
        var console = new MicroVmConsole(null);
        var file = new ConsoleFile(console, ConsoleFile.StandardInput);

        Assert.Null(console.Terminal);
        Assert.Equal(-Errno.ENOTTY, file.Ioctl(TerminalRequest.TCGETS, new byte[TerminalAttributes.Size]));
        Assert.True(console.PollInput());
    }
}
