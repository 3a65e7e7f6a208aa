namespace Unikraft.Kernel.Tests;

using System;
using System.Runtime.InteropServices;
using Xunit;

// The hosted console's terminal on a real pseudo-terminal of the host (the test's stdin is not one):
// the kernel's TCSETS reaches the host's line discipline, the window size is the host window's, and
// Restore puts the attributes the terminal had before back.
public class HostedTerminalTests
{
    private const int ReadWrite = 2;
    private const int NoControllingTerminal = 0x100;

    [Fact]
    public void OnAHostPty_RawModeAndWindowSizeAreTheHosts_AndRestorePutsTheModeBack()
    {
        int master = posix_openpt(ReadWrite | NoControllingTerminal);
        Assert.True(master >= 0, "posix_openpt: " + Marshal.GetLastPInvokeError());
        int slave = -1;
        try
        {
            Assert.Equal(0, grantpt(master));
            Assert.Equal(0, unlockpt(master));
            string name = Marshal.PtrToStringUTF8(ptsname(master))!;
            slave = open(name, ReadWrite | NoControllingTerminal);
            Assert.True(slave >= 0, "open " + name + ": " + Marshal.GetLastPInvokeError());
            byte[] window = [40, 0, 100, 0, 0, 0, 0, 0];
            Assert.Equal(0, HostedCalls.Ioctl(master, 0x5414, window));

            HostedTerminal? terminal = HostedTerminal.Open(slave);

            Assert.NotNull(terminal);
            Assert.True(terminal!.IsTerminal(0));
            Assert.Equal(0, terminal.GetAttributes(out TerminalAttributes before));
            Assert.True(before.Canonical && before.Echo, "a new pty is canonical with echo");
            TerminalAttributes raw = before.Copy();
            raw.LocalFlags &= ~(TerminalAttributes.ICANON | TerminalAttributes.ECHO);
            raw[TerminalAttributes.VMIN] = 0;
            raw[TerminalAttributes.VTIME] = 1;
            Assert.Equal(0, terminal.SetAttributes(raw));

            byte[] host = new byte[TerminalAttributes.Size];
            Assert.Equal(0, HostedCalls.Ioctl(slave, TerminalRequest.TCGETS, host));
            TerminalAttributes.TryRead(host, out TerminalAttributes seen);
            Assert.False(seen.Canonical);
            Assert.False(seen.Echo);
            Assert.True(terminal.ReadMayTimeOut, "VMIN 0 in raw mode: a read may end with nothing");
            if (!terminal.IsTerminal(1) && !terminal.IsTerminal(2))
            {
                Assert.Equal(0, terminal.GetWindowSize(out WindowSize size));
                Assert.Equal(new WindowSize(40, 100), size);
            }

            terminal.Restore();
            Assert.Equal(0, HostedCalls.Ioctl(slave, TerminalRequest.TCGETS, host));
            TerminalAttributes.TryRead(host, out TerminalAttributes restored);
            Assert.True(restored.Canonical && restored.Echo, "Restore put canonical mode and echo back");
        }
        finally
        {
            if (slave >= 0)
            {
                close(slave);
            }
            close(master);
        }
    }

    [Fact]
    public void OnPipes_ThereIsNoTerminal()
    {
        // The test host's stdin, stdout and stderr are pipes or files under dotnet test.
        if (isatty(0) == 0 && isatty(1) == 0 && isatty(2) == 0)
        {
            Assert.Null(HostedTerminal.Open(0));
        }
        else
        {
            Assert.NotNull(HostedTerminal.Open(0));
        }
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int posix_openpt(int flags);

    [DllImport("libc", SetLastError = true)]
    private static extern int grantpt(int fd);

    [DllImport("libc", SetLastError = true)]
    private static extern int unlockpt(int fd);

    [DllImport("libc", SetLastError = true)]
    private static extern nint ptsname(int fd);

    [DllImport("libc", SetLastError = true)]
    private static extern int open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

    [DllImport("libc", SetLastError = true)]
    private static extern int close(int fd);

    [DllImport("libc")]
    private static extern int isatty(int fd);
}
