using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Emit;
using Xunit;

namespace Unikraft.Gen.Tests;

// <UnikraftPlatform>sim</UnikraftPlatform>: the program runs as one node of a seeded simulation,
// on virtual time; one seed replays one run exactly.
public sealed class SimBuildTests
{
    private const string Program = """
        await Task.Delay(TimeSpan.FromMinutes(10));
        Thread.Sleep(TimeSpan.FromMinutes(5));
        int first = Random.Shared.Next(1_000_000);
        int second = await Task.Run(() => Random.Shared.Next(1_000_000));
        Console.WriteLine($"{first} {second} after {Unikraft.Kernel.KernelClock.TickCount64 / 60_000} minutes");
        """;

    private static GeneratorHarness.Result Build() =>
        GeneratorHarness.Run(GeneratorHarness.Compilation(new[] { ("Program.cs", Program) }),
            new Dictionary<string, string> { ["UnikraftPlatform"] = "sim" });

    [Fact]
    public void SimBuild_CompilesCleanly_AndBootsASimulation()
    {
        GeneratorHarness.Result result = Build();

        Assert.Empty(result.Problems);
        Assert.Contains("global::Unikraft.Kernel.SimProgram.Run(", result.Source("Unikraft.Boot.g.cs"));
        Assert.DoesNotContain("HostedPlatform", result.Source("Unikraft.Boot.g.cs"));
        Assert.Contains("Unikraft.Gen kernel manifest for App (platform sim)", result.Manifest);
    }

    [Fact]
    public async Task SimBuild_SameSeedReplaysTheRun_OnVirtualTime()
    {
        GeneratorHarness.Result result = Build();
        Assert.Empty(result.Problems);
        using var built = new BuiltProgram(result, "sim");

        var watch = Stopwatch.StartNew();
        (int status, string output, string error) first = await RunAsync(built, "7");
        (int status, string output, string error) again = await RunAsync(built, "7");
        (int status, string output, string error) other = await RunAsync(built, "8");
        watch.Stop();

        Assert.True(first.status == 0, first.error);
        Assert.EndsWith("after 15 minutes\n", first.output);
        Assert.Equal(first.output, again.output);
        string HashLine(string error) => error.Split('\n').Single(l => l.StartsWith("[uk] sim: seed", StringComparison.Ordinal));
        Assert.Equal(HashLine(first.error), HashLine(again.error));
        Assert.Contains("replay with UNIKRAFT_SIM_SEED=7", HashLine(first.error));
        Assert.NotEqual(first.output, other.output);

        // Fifteen simulated minutes, three runs, far less real time.
        Assert.True(watch.Elapsed < TimeSpan.FromMinutes(2), "three runs took " + watch.Elapsed);
    }

    [Fact]
    public async Task SimBuild_BadSeed_IsAClearError()
    {
        using var built = new BuiltProgram(Build(), "sim");

        (int status, string _, string error) = await RunAsync(built, "seven");

        Assert.Equal(2, status);
        Assert.Contains("UNIKRAFT_SIM_SEED='seven' is not a seed", error);
    }

    [Theory]
    [InlineData("hosted")]
    [InlineData("sim")]
    public async Task ProgramThatReadsStandardInput_ReadsItsInput_AndEndsAtItsEnd(string platform)
    {
        const string program = """
            int lines = 0;
            string? line;
            while ((line = Console.ReadLine()) is not null)
            {
                lines++;
                Console.WriteLine(lines + ": " + line);
            }

            Console.WriteLine("end after " + lines);
            """;
        GeneratorHarness.Result result = GeneratorHarness.Run(GeneratorHarness.Compilation(new[] { ("Program.cs", program) }),
            new Dictionary<string, string> { ["UnikraftPlatform"] = platform, ["UnikraftBootBanner"] = "false" });
        Assert.Empty(result.Problems);
        using var built = new BuiltProgram(result, "stdin");

        (int status, string output, string error) = await built.RunWithInputAsync("first\nsecond\nthird", new Dictionary<string, string> { ["UNIKRAFT_SIM_SEED"] = "3" });
        (int emptyStatus, string emptyOutput, string _) = await built.RunWithInputAsync("", new Dictionary<string, string> { ["UNIKRAFT_SIM_SEED"] = "3" });

        Assert.True(status == 0, error);
        Assert.Equal("1: first\n2: second\n3: third\nend after 3\n", output);
        Assert.Equal(0, emptyStatus);
        Assert.Equal("end after 0\n", emptyOutput);
    }

    [Fact]
    public async Task SimProgramWaitingForAQuitLine_EndsWhenItComes()
    {
        // Before the sim console read the host's input, every read was the end of the input and
        // this loop spun for ever: the hang a user saw when giving a sim build its input.
        const string program = """
            string? line;
            while ((line = Console.ReadLine()) != "quit")
            {
                Console.WriteLine("> " + line);
            }

            Console.WriteLine("bye");
            """;
        GeneratorHarness.Result result = GeneratorHarness.Run(GeneratorHarness.Compilation(new[] { ("Program.cs", program) }),
            new Dictionary<string, string> { ["UnikraftPlatform"] = "sim", ["UnikraftBootBanner"] = "false" });
        Assert.Empty(result.Problems);
        using var built = new BuiltProgram(result, "stdin");

        (int status, string output, string error) = await built.RunWithInputAsync("a\nquit\n", new Dictionary<string, string>());

        Assert.True(status == 0, error);
        Assert.Equal("> a\nbye\n", output);
    }

    private static Task<(int Status, string Output, string Error)> RunAsync(BuiltProgram built, string seed) =>
        built.RunAsync(new Dictionary<string, string> { ["UNIKRAFT_SIM_SEED"] = seed });

    // What the analyzers would report (UK0001) but a library could still do: open a host file and
    // make a host socket around the simulation. The sim process is confined as a hosted one is:
    // both are refused with EPERM and the log names them; without the confinement the same program
    // reads the host's file, and its run would depend on the host.
    private const string HostCalls = """
        try
        {
            using var reader = new StreamReader("/etc/hostname");
            Console.WriteLine("host file read");
        }
        catch (UnauthorizedAccessException)
        {
            Console.WriteLine("host file refused");
        }

        try
        {
            using var socket = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Dgram, System.Net.Sockets.ProtocolType.Udp);
            Console.WriteLine("host socket made");
        }
        catch (Exception)
        {
            // The BCL's socket engine's epoll, or the socket itself, refused (EPERM).
            Console.WriteLine("host socket refused");
        }
        """;

    [Fact]
    public async Task SimBuild_IsConfined_TheHostsFilesAndSocketsAreRefusedAndNamed()
    {
        Assert.True(File.Exists("/etc/hostname"), "the test reads /etc/hostname, which this host does not have");
        GeneratorHarness.Result confined = GeneratorHarness.Run(GeneratorHarness.Compilation(new[] { ("Program.cs", HostCalls) }),
            new Dictionary<string, string> { ["UnikraftPlatform"] = "sim" });
        GeneratorHarness.Result open = GeneratorHarness.Run(GeneratorHarness.Compilation(new[] { ("Program.cs", HostCalls) }),
            new Dictionary<string, string> { ["UnikraftPlatform"] = "sim", ["UnikraftConfinement"] = "false" });
        Assert.Empty(confined.Problems);
        Assert.Empty(open.Problems);

        using var confinedProgram = new BuiltProgram(confined, "sim-confined");
        (int status, string output, string error) = await RunAsync(confinedProgram, "3");
        Assert.True(status == 0, error);
        Assert.Equal("host file refused\nhost socket refused\n", output);
        Assert.Contains("[uk] confinement: refused openat (syscall 257) of /etc/hostname with EPERM", error);
        Assert.Contains("[uk] confinement: refused socket (syscall 41)", error);

        using var openProgram = new BuiltProgram(open, "sim-open");
        (int openStatus, string openOutput, string openError) = await RunAsync(openProgram, "3");
        Assert.True(openStatus == 0, openError);
        Assert.Equal("host file read\nhost socket made\n", openOutput);
        Assert.DoesNotContain("[uk] confinement", openError);
    }
}
