namespace Unikraft.Gen.EndToEnd.Tests;

using System;
using System.Collections.Generic;
using System.IO;
using Xunit;

// A console game's terminal calls reach the kernel's console and its terminal through the native
// layer (Programs/TerminalGame, under `dotnet run`, the JIT route): on a pseudo-terminal of 100x30
// the program's bytes are exactly the escape sequences the BCL writes from the kernel's own terminfo
// entry for TERM, its window size is the pty's (ioctl TIOCGWINSZ through the kernel), ReadKey takes
// the arrow keys one by one in raw mode (the keys are typed with no newline), and the terminal is
// canonical with echo again once the program ended. On pipes the same program sees no terminal.
public sealed class TerminalTests : IClassFixture<TerminalTests.Build>
{
    private const string Program = "tests/Unikraft.Gen.EndToEnd.Tests/Programs/TerminalGame";

    private readonly Build build;

    public TerminalTests(Build build)
    {
        this.build = build;
    }

    private CommandResult RunOnPty(string term, string keys)
    {
        build.EnsureSucceeded();
        string driver = Path.Combine(Repository.Root, "tests", "Unikraft.Gen.EndToEnd.Tests", "Support", "pty_run.py");
        return Command.Run("python3",
            [driver, "100", "30", "keys?", keys, "--", "dotnet", "run", "--project", Program, "--no-build", "--artifacts-path", build.ArtifactsPath],
            Repository.Root, TimeSpan.FromMinutes(4), new Dictionary<string, string> { ["TERM"] = term });
    }

    [Fact]
    public void DotnetRun_OnAPtyAsXterm256Color_WritesTheBclsEscapes_ReadsArrowKeysRaw_AndRestoresTheTerminal()
    {
        // Right arrow, down arrow (keypad transmit mode, as the entry's smkx asks), d, q.
        CommandResult run = RunOnPty("xterm-256color", "\\x1bOC\\x1bOBdq");

        Assert.True(run.ExitCode == 0, run.Describe());
        Assert.EndsWith("exit 0 canonical 1 echo 1\n", run.StandardError, StringComparison.Ordinal);
        Assert.Contains(
            "\x1b[?1h\x1b=" +                               // keypad transmit (smkx), written once
            "\x1b]0;walk\x07" +                             // Title
            "\x1b[H\x1b[2J\x1b[3J" +                        // Clear, and the scrollback (E3)
            "\x1b[?25l" +                                   // CursorVisible = false
            "\x1b[39;49m\x1b[93m" +                         // ForegroundColor = Yellow (bright: 256-colour setaf 11)
            "\x1b[39;49m\x1b[93m\x1b[44m" +                 // BackgroundColor = DarkBlue
            "\x1b[2;3H@" +                                  // SetCursorPosition(2, 1)
            "\x1b[39;49m" +                                 // ResetColor
            "\x1b[4;1Hwindow 100x30, keys?" +               // the pty's size, through TIOCGWINSZ
            "\x1b[2;4H\x1b[39;49m\x1b[92mR" +               // RightArrow
            "\x1b[3;4H\x1b[39;49m\x1b[92mD" +               // DownArrow
            "\x1b[3;5H\x1b[39;49m\x1b[92mD" +               // d
            "\x1b[39;49m\x1b[?12l\x1b[?25h" +               // ResetColor, CursorVisible = true
            "\x1b[6;1Hat 4,2\r\n",
            run.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public void DotnetRun_OnAPtyAsTheLinuxConsole_UsesItsEntry_EightColoursAndItsOwnKeys()
    {
        CommandResult run = RunOnPty("linux", "\\x1b[Dq");

        Assert.True(run.ExitCode == 0, run.Describe());
        Assert.EndsWith("exit 0 canonical 1 echo 1\n", run.StandardError, StringComparison.Ordinal);
        Assert.Contains(
            "\x1b]0;walk\x07\x1b[H\x1b[J\x1b[?25l\x1b[?1c\x1b[39;49m\x1b[33m\x1b[39;49m\x1b[33m\x1b[44m\x1b[2;3H@\x1b[39;49m" +
            "\x1b[4;1Hwindow 100x30, keys?\x1b[2;2H\x1b[39;49m\x1b[32mL\x1b[39;49m\x1b[?25h\x1b[?0c\x1b[6;1Hat 1,1\r\n",
            run.StandardOutput, StringComparison.Ordinal);
    }

    // On pipes the console is a plain byte stream: no escape sequence is written, the window size
    // is the terminfo entry's (80x24), and KeyAvailable fails as the BCL says it must when input is
    // redirected.
    [Fact]
    public void DotnetRun_OnPipes_SeesNoTerminal()
    {
        CommandResult run = build.RunWithDotnet(new Dictionary<string, string> { ["TERM"] = "xterm-256color" });

        Assert.True(run.ExitCode == 134, run.Describe());
        Assert.Equal("@window 80x24, keys?", run.StandardOutput);
        Assert.Contains("InvalidOperationException: Cannot see if a key has been pressed", run.StandardError, StringComparison.Ordinal);
    }

    public sealed class Build : SampleBuild
    {
        public Build()
            : base(Program, "jit", "build")
        {
        }
    }
}
