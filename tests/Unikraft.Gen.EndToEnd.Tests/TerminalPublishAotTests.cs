namespace Unikraft.Gen.EndToEnd.Tests;

using System;
using System.Collections.Generic;
using System.IO;
using Xunit;

// The same console game (Programs/TerminalGame) as a NativeAOT image: the link sends the BCL's
// terminal functions to the kernel's entry points (no reviewed helper stands in for them, or the
// publish would fail naming it), and on a pty the binary writes the same bytes as under the JIT.
// Under strace the host sees no terminfo file opened (the entry is the console's own) and exactly
// two changes of its terminal: raw mode for the keys, then the attributes put back at exit.
public sealed class TerminalPublishAotTests : IClassFixture<TerminalPublishAotTests.AotPublish>
{
    private const string Program = "tests/Unikraft.Gen.EndToEnd.Tests/Programs/TerminalGame";

    private readonly AotPublish publish;

    public TerminalPublishAotTests(AotPublish publish)
    {
        this.publish = publish;
    }

    [Fact]
    public void PublishAot_OnAPty_WritesTheSameEscapes_ReadsArrowKeysRaw_AndRestoresTheTerminal()
    {
        publish.EnsureSucceeded();
        string driver = Path.Combine(Repository.Root, "tests", "Unikraft.Gen.EndToEnd.Tests", "Support", "pty_run.py");
        string trace = Path.Combine(publish.Folder, "strace.txt");
        CommandResult run = Command.Run("python3",
            [driver, "100", "30", "keys?", "\\x1bOC\\x1bOBdq", "--", "strace", "-f", "-o", trace, "-e", "trace=openat,ioctl", Path.Combine(publish.PublishPath, "TerminalGame")],
            publish.Folder, TimeSpan.FromMinutes(2), new Dictionary<string, string> { ["TERM"] = "xterm-256color" });

        Assert.True(run.ExitCode == 0, run.Describe());
        Assert.EndsWith("exit 0 canonical 1 echo 1\n", run.StandardError, StringComparison.Ordinal);
        Assert.Contains(
            "\x1b[?1h\x1b=\x1b]0;walk\x07\x1b[H\x1b[2J\x1b[3J\x1b[?25l\x1b[39;49m\x1b[93m\x1b[39;49m\x1b[93m\x1b[44m\x1b[2;3H@\x1b[39;49m" +
            "\x1b[4;1Hwindow 100x30, keys?\x1b[2;4H\x1b[39;49m\x1b[92mR\x1b[3;4H\x1b[39;49m\x1b[92mD\x1b[3;5H\x1b[39;49m\x1b[92mD" +
            "\x1b[39;49m\x1b[?12l\x1b[?25h\x1b[6;1Hat 4,2\r\n",
            run.StandardOutput, StringComparison.Ordinal);

        string[] lines = File.ReadAllLines(trace);
        Assert.DoesNotContain(lines, line => line.Contains("terminfo", StringComparison.Ordinal));
        string[] changes = Array.FindAll(lines, line => line.Contains("TCSETS", StringComparison.Ordinal));
        Assert.True(changes.Length == 2, "expected raw mode, then the restore:\n" + string.Join("\n", changes));
        Assert.DoesNotContain("ICANON", changes[0], StringComparison.Ordinal);
        Assert.Contains("ICANON|ECHO", changes[1], StringComparison.Ordinal);
    }

    public sealed class AotPublish : SampleBuild
    {
        public AotPublish()
            : base(Program, "aot", "publish", "-c", "Release", "-r", "linux-x64", "-p:PublishAot=true", "-o", "{publish}")
        {
        }
    }
}
