namespace Unikraft.Kernel.Tests;

using System;
using System.IO;
using Xunit;

// The terminal descriptions the console serves in terminfo's compiled form: ncurses' own infocmp
// reads them back with the capabilities the BCL uses, so the BCL's reader (the same format) does too.
public class TerminalDescriptionsTests
{
    private static string Decompile(string name)
    {
        byte[]? entry = TerminalDescriptions.Compile(name);
        Assert.NotNull(entry);
        string folder = Path.Combine(Path.GetTempPath(), "uk-terminfo-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path.Combine(folder, name.Substring(0, 1)));
        try
        {
            File.WriteAllBytes(Path.Combine(folder, name.Substring(0, 1), name), entry!);
            var start = new System.Diagnostics.ProcessStartInfo("infocmp", ["-1", "-x", name]) { RedirectStandardOutput = true, RedirectStandardError = true };
            start.Environment["TERMINFO"] = folder;
            start.Environment["TERMINFO_DIRS"] = folder;
            using var process = System.Diagnostics.Process.Start(start)!;
            string output = process.StandardOutput.ReadToEnd();
            string error = process.StandardError.ReadToEnd();
            process.WaitForExit();
            Assert.True(process.ExitCode == 0, "infocmp failed: " + error);
            return output;
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void Xterm256Color_ReadsBackWithTheCapabilitiesTheBclUses()
    {
        string text = Decompile("xterm-256color");

        Assert.Contains("\tcolors#0x100,", text, StringComparison.Ordinal);
        Assert.Contains("\tcols#80,", text, StringComparison.Ordinal);
        Assert.Contains("\tcup=\\E[%i%p1%d;%p2%dH,", text, StringComparison.Ordinal);
        Assert.Contains("\tclear=\\E[H\\E[2J,", text, StringComparison.Ordinal);
        Assert.Contains("\tcivis=\\E[?25l,", text, StringComparison.Ordinal);
        Assert.Contains("\top=\\E[39;49m,", text, StringComparison.Ordinal);
        Assert.Contains("\tsetaf=\\E[%?%p1%{8}%<%t3%p1%d%e%p1%{16}%<%t9%p1%{8}%-%d%e38;5;%p1%d%;m,", text, StringComparison.Ordinal);
        Assert.Contains("\tsmkx=\\E[?1h\\E=,", text, StringComparison.Ordinal);
        Assert.Contains("\tkcuu1=\\EOA,", text, StringComparison.Ordinal);
        Assert.Contains("\tkf12=\\E[24~,", text, StringComparison.Ordinal);
        Assert.Contains("\tE3=\\E[3J,", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Linux_HasItsOwnClearAndKeys()
    {
        string text = Decompile("linux");

        Assert.Contains("\tcolors#8,", text, StringComparison.Ordinal);
        Assert.Contains("\tclear=\\E[H\\E[J,", text, StringComparison.Ordinal);
        Assert.Contains("\tkcuu1=\\E[A,", text, StringComparison.Ordinal);
        Assert.Contains("\tkf1=\\E[[A,", text, StringComparison.Ordinal);
        Assert.DoesNotContain("smkx", text, StringComparison.Ordinal);
        Assert.DoesNotContain("E3", text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/usr/share/terminfo/x/xterm-256color", true)]
    [InlineData("/etc/terminfo/78/xterm", true)]
    [InlineData("/lib/terminfo/l/linux", true)]
    [InlineData("/lib/terminfo/d/dumb", false)]
    [InlineData("/lib/terminfo/y/xterm", false)]
    [InlineData("/home/me/.terminfo/x/xterm", false)]
    [InlineData("/usr/share/terminfo/x/", false)]
    public void ForPath_AnswersOnlyTheSearchedDirectoriesForKnownTerminals(string path, bool served)
    {
        Assert.Equal(served, TerminalDescriptions.ForPath(path) != null);
    }
}
