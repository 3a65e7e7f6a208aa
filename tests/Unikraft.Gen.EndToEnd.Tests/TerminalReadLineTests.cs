namespace Unikraft.Gen.EndToEnd.Tests;

using System;
using System.Collections.Generic;
using System.IO;
using Xunit;

// A program's Console.ReadLine after a Console.ReadKey on a terminal (Programs/KeyThenLine, under
// `dotnet run`), as small console games ask "play again? (y/n)" and then a name: the ReadLine is
// intercepted, and where the native layer serves the BCL it is the BCL's own reader that reads the
// line, so the typed line is echoed (the terminal is in the raw mode ReadKey set, with no echo of
// its own) and the keys that ReadKey read ahead from the terminal along with its key are not lost.
public sealed class TerminalReadLineTests : IClassFixture<TerminalReadLineTests.Build>
{
    private const string Program = "tests/Unikraft.Gen.EndToEnd.Tests/Programs/KeyThenLine";

    private readonly Build build;

    public TerminalReadLineTests(Build build)
    {
        this.build = build;
    }

    [Fact]
    public void DotnetRun_ReadLineAfterReadKey_OnAPty_EchoesTheLine_AndKeepsTheKeysReadAhead()
    {
        build.EnsureSucceeded();
        string driver = Path.Combine(Repository.Root, "tests", "Unikraft.Gen.EndToEnd.Tests", "Support", "pty_run.py");

        // y, then the name and Enter, typed at once: one read of the terminal gets them all.
        CommandResult run = Command.Run("python3",
            [driver, "100", "30", "play? ", "yAnn\\r", "--", "dotnet", "run", "--project", Program, "--no-build", "--artifacts-path", build.ArtifactsPath],
            Repository.Root, TimeSpan.FromMinutes(2), new Dictionary<string, string> { ["TERM"] = "xterm-256color" });

        Assert.True(run.ExitCode == 0, run.Describe());
        Assert.EndsWith("exit 0 canonical 1 echo 1\n", run.StandardError, StringComparison.Ordinal);
        Assert.Contains("play? ", run.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("[y] name: Ann\r\nhello Ann!\r\n", run.StandardOutput, StringComparison.Ordinal);
    }

    // Ctrl-C at the ReadKey, with no CancelKeyPress handler: the runtime restores SIGINT's default
    // action and raises it again at its own process (kill), which the confinement lets through, so
    // the program ends by SIGINT as on Linux (it hung before: the filter refused that kill). The
    // confinement's supervisor, in the same process group, ignores Ctrl-C and ends with the program.
    [Fact]
    public void CtrlC_AtAReadKey_EndsTheProgramBySigint_ThroughTheConfinement()
    {
        string program = build.OutputFile("KeyThenLine");
        string driver = Path.Combine(Repository.Root, "tests", "Unikraft.Gen.EndToEnd.Tests", "Support", "pty_steps.py");

        CommandResult run = Command.Run("python3", [driver, "100", "30", "wait=play? ", "keys=\\x03", "--", program],
            Repository.Root, TimeSpan.FromMinutes(2), new Dictionary<string, string> { ["TERM"] = "xterm-256color" });

        Assert.True(run.ExitCode == 0, run.Describe());
        Assert.Contains("steps 2 of 2\nexit -2 canonical 1 echo 1\n", run.StandardError, StringComparison.Ordinal);
        Assert.DoesNotContain("refused kill", run.StandardOutput, StringComparison.Ordinal);
    }

    public sealed class Build : SampleBuild
    {
        public Build()
            : base(Program, "jit", "build")
        {
        }
    }
}
