namespace Unikraft.Gen.EndToEnd.Tests;

using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Threading.Tasks;
using Xunit;

// A hosted program reads its standard input from the host line by line (Programs/LineReader).
// The test types each line only after the program says it waits, and pauses first, so every
// read really waits: the program's timer must keep ticking meanwhile (the read waits on the
// kernel's wait queue while the console's reader thread blocks in the host's read), and the end
// of input ends the loop.
public sealed class ConsoleInputTests : IClassFixture<ConsoleInputTests.Build>
{
    private const string Program = "tests/Unikraft.Gen.EndToEnd.Tests/Programs/LineReader";

    private static readonly TimeSpan Pause = TimeSpan.FromMilliseconds(400);

    private readonly Build build;

    public ConsoleInputTests(Build build)
    {
        this.build = build;
    }

    [Fact]
    public async Task ReadLine_WaitsForTheHostsInput_WhileTimersRun_AndEndsAtItsEnd()
    {
        build.EnsureSucceeded();
        ProcessStartInfo start = new ProcessStartInfo("dotnet");
        foreach (string argument in new[] { "run", "--project", Program, "--no-build", "--artifacts-path", build.ArtifactsPath })
        {
            start.ArgumentList.Add(argument);
        }
        await Interact(start);
    }

    // Types the lines with pauses after the program says it waits, and checks what it printed.
    internal static async Task Interact(ProcessStartInfo start)
    {
        start.WorkingDirectory = Repository.Root;
        start.RedirectStandardInput = true;
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.UseShellExecute = false;
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        using Process process = Process.Start(start)!;
        Task<string> error = process.StandardError.ReadToEndAsync();
        List<string> lines = new List<string>();
        try
        {
            lines.Add(await ReadLine(process));
            await Task.Delay(Pause);
            process.StandardInput.Write("first\n");
            process.StandardInput.Flush();
            lines.Add(await ReadLine(process));
            await Task.Delay(Pause);
            process.StandardInput.Write("second\nthird");
            process.StandardInput.Flush();
            lines.Add(await ReadLine(process));
            await Task.Delay(Pause);
            process.StandardInput.Close();
            lines.Add(await ReadLine(process));
            lines.Add(await ReadLine(process));
            Assert.True(process.WaitForExit(TimeSpan.FromSeconds(30)), "the program did not end after its input did");
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }

        string errors = await error;
        Assert.True(process.ExitCode == 0, "exit " + process.ExitCode + "\n" + string.Join("\n", lines) + "\n" + errors);
        Assert.Equal(new[]
        {
            "waiting for input",
            "line 1: first, ticked while waiting: True",
            "line 2: second, ticked while waiting: True",
            "line 3: third, ticked while waiting: True",
            "end of input after 3 lines",
        }, lines);
    }

    private static async Task<string> ReadLine(Process process)
    {
        string? line = await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60));
        return line ?? "(end of output)";
    }

    public sealed class Build : SampleBuild
    {
        public Build()
            : base(Program, "line-reader", "build")
        {
        }
    }
}

// The same program published with NativeAOT: its module initializer boots the kernel and runs
// Main, and the console's reader thread must still run beside it.
public sealed class ConsoleInputPublishAotTests : IClassFixture<ConsoleInputPublishAotTests.AotPublish>
{
    private readonly AotPublish publish;

    public ConsoleInputPublishAotTests(AotPublish publish)
    {
        this.publish = publish;
    }

    [Fact]
    public async Task PublishAot_ReadLine_WaitsForTheHostsInput_WhileTimersRun_AndEndsAtItsEnd()
    {
        publish.EnsureSucceeded();
        string binary = Path.Combine(publish.PublishPath, "LineReader");
        Assert.True(File.Exists(binary), "no native binary at " + binary);

        await ConsoleInputTests.Interact(new ProcessStartInfo(binary));
    }

    public sealed class AotPublish : SampleBuild
    {
        public AotPublish()
            : base("tests/Unikraft.Gen.EndToEnd.Tests/Programs/LineReader", "aot", "publish", "-c", "Release", "-r", "linux-x64",
                "-p:PublishAot=true", "-o", "{publish}")
        {
        }
    }
}
