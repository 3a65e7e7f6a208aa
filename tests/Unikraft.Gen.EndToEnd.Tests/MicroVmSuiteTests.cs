namespace Unikraft.Gen.EndToEnd.Tests;

using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using Xunit;

// Issue 14's suite rows: every program of ProgramSuiteTests on the microvm platform, published as a
// user would (`dotnet publish -c Release -r linux-x64 -p:PublishAot=true -p:UnikraftPlatform=microvm`)
// and booted in QEMU, with the same standard output and exit status as on hosted, step by step
// (the boot banner, which hosted writes to stderr, is the serial line's first line here).
//
// A program with a hostfs mount has no VM equivalent yet: its row asserts the build error that
// names the mount. A program that cannot run in the VM for another reason says why in its
// SuiteProgram.NotOnMicroVm, and Suite_EveryProgramHasAMicroVmRowOrAReason keeps that honest.
//
// The images come from one `dotnet publish` of a solution of the programs (the generator chain and
// the restore once for all, MSBuild's nodes side by side); the hostfs programs are in it too, so
// their errors come from the same command at the cost of a compile. UNIKRAFT_SUITE_AOT=0 keeps
// only the images of the programs marked AotInCi, as ProgramSuiteTests does.
public sealed class MicroVmSuiteTests : IClassFixture<MicroVmSuiteTests.VmSuitePublish>
{
    private readonly VmSuitePublish publish;

    public MicroVmSuiteTests(VmSuitePublish publish)
    {
        this.publish = publish;
    }

    public static TheoryData<string> Rows
    {
        get
        {
            var rows = new TheoryData<string>();
            foreach (SuiteProgram program in VmSuitePublish.Published)
            {
                rows.Add(program.Name);
            }
            return rows;
        }
    }

    [Theory]
    [MemberData(nameof(Rows))]
    public void Program_OnMicroVm_GivesTheHostedOutput_OrNamesItsHostFsMount(string name)
    {
        SuiteProgram program = ProgramSuiteTests.Suite.Single(p => p.Name == name);
        CommandResult result = publish.Result!;
        if (program.HostFolders.Length > 0)
        {
            string project = Path.Combine(Repository.Root, program.Project, name + ".csproj");
            foreach (string folder in program.HostFolders)
            {
                string error = "error UKG0001: <UnikraftMount Include=\"/" + folder + "\" Type=\"hostfs\">: the microvm platform has no host folders to mount";
                Assert.True(result.StandardOutput.Split('\n').Any(line => line.Contains(error, StringComparison.Ordinal) && line.Contains("[" + project + "]", StringComparison.Ordinal)),
                    name + ": no build error naming its hostfs mount /" + folder + ":\n" + result.Describe());
            }
            Assert.False(File.Exists(publish.Image(program)), name + " has a hostfs mount, yet a microvm image was written");
            return;
        }

        string runner = publish.Image(program)[..^".vm".Length] + "-vm";
        Assert.True(File.Exists(runner), "No microvm image of " + name + " (" + runner + "):\n" + result.Describe());
        string? missing = MicroVm.Missing();
        Assert.True(missing is null, "The microvm tests boot QEMU, and " + missing);
        for (int index = 0; index < program.Steps.Length; index++)
        {
            SuiteStep step = program.Steps[index];
            if (step.Keys is not null)
            {
                // As on hosted: the runner on a pseudo-terminal of 100x30 (xterm-256color), which
                // types the keys once the game asks; the runner passes the window and TERM into the
                // VM and must leave the terminal as it found it (canonical, echo).
                CommandResult typed = OnAPty(runner, step.Arguments, "100", "30", step.Keys);
                string typedWhat = name + " (microvm, on a pty) step " + (index + 1) + ":\n" + typed.Describe();
                Assert.True(typed.StandardOutput.StartsWith("Unikraft.Gen kernel (microvm) for " + name + " ", StringComparison.Ordinal), typedWhat);
                Assert.True(typed.StandardError.EndsWith("exit " + step.ExitCode + " canonical 1 echo 1\n", StringComparison.Ordinal), typedWhat);
                Assert.True(typed.StandardOutput.Contains(step.Expected, StringComparison.Ordinal), typedWhat);
                continue;
            }
            CommandResult run = Command.Run(runner, step.Arguments, Path.Combine(Repository.Root, program.Project), VmSuitePublish.BootTimeout, null, step.Input);
            string what = name + " (microvm) step " + (index + 1) + ":\n" + run.Describe();

            int banner = run.StandardOutput.IndexOf('\n', StringComparison.Ordinal);
            Assert.True(banner > 0 && run.StandardOutput.StartsWith("Unikraft.Gen kernel (microvm) for " + name + " ", StringComparison.Ordinal), what);
            Assert.True(run.ExitCode == step.ExitCode, what);
            Assert.True(step.Expected == run.StandardOutput[(banner + 1)..], what);
            Assert.True(run.StandardError.Length == 0, what);
        }
    }

    // The terminal's facts reach the VM without a terminal around the runner too, when asked
    // (UNIKRAFT_VM_TERMINAL, for tests and pipes): the game sees a window of 64x20 and TERM, and the
    // keys piped in arrive raw (no echo, no line to wait for), escape sequences whole. Without the
    // variable the console stays a byte stream, as before: no window size, and KeyAvailable throws
    // as it does for redirected input on Linux.
    [Fact]
    public void TerminalGame_OnAForcedTerminal_SeesItsSize_AndReadsRawKeys_WithoutOneAByteStream()
    {
        string runner = TerminalGameRunner();
        string folder = Path.Combine(Repository.Root, "tests/Unikraft.Gen.EndToEnd.Tests/Programs/TerminalGame");
        CommandResult run = Command.Run(runner, [], folder, VmSuitePublish.BootTimeout,
            new Dictionary<string, string> { ["UNIKRAFT_VM_TERMINAL"] = "64x20", ["TERM"] = "xterm-256color" }, "\x1b[C\x1b[Bdq");
        Assert.True(run.ExitCode == 0, run.Describe());
        Assert.True(run.StandardOutput.Contains(
            "\x1b]0;walk\x07\x1b[H\x1b[2J\x1b[3J\x1b[?25l\x1b[39;49m\x1b[93m\x1b[39;49m\x1b[93m\x1b[44m\x1b[2;3H@\x1b[39;49m" +
            "\x1b[4;1Hwindow 64x20, keys?" +
            "\x1b[2;4H\x1b[39;49m\x1b[92mR\x1b[3;4H\x1b[39;49m\x1b[92mD\x1b[3;5H\x1b[39;49m\x1b[92mD" +
            "\x1b[39;49m\x1b[?12l\x1b[?25h\x1b[6;1Hat 4,2\n", StringComparison.Ordinal), run.Describe());
        Assert.DoesNotContain("\x1b[C", run.StandardOutput, StringComparison.Ordinal);

        CommandResult plain = Command.Run(runner, [], folder, VmSuitePublish.BootTimeout,
            new Dictionary<string, string> { ["TERM"] = "xterm-256color" }, "dq");
        Assert.True(plain.ExitCode == 134, plain.Describe());
        Assert.True(plain.StandardOutput.Contains("@window 0x0, keys?Unhandled exception. System.InvalidOperationException", StringComparison.Ordinal), plain.Describe());
    }

    // Ctrl-C on the terminal reaches the VM as a byte (QEMU's stdio does not turn it into a signal
    // for itself); the program has not asked to read it (TreatControlCAsInput), so the VM's line
    // discipline raises SIGINT; with no CancelKeyPress handler the runtime raises it again with its
    // default action (kill), which ends the VM as on Linux: status 130, and the runner puts the
    // terminal back.
    [Fact]
    public void TerminalGame_CtrlC_EndsTheVmWith130_AndTheTerminalIsPutBack()
    {
        CommandResult run = OnAPty(TerminalGameRunner(), [], "80", "24", "\\x1bOC\\x03");
        Assert.True(run.StandardOutput.Contains("window 80x24, keys?", StringComparison.Ordinal), run.Describe());
        Assert.True(run.StandardError.EndsWith("exit 130 canonical 1 echo 1\n", StringComparison.Ordinal), run.Describe());
    }

    // Ctrl-C raises SIGINT in the VM (the shim's line discipline, ISIG), which the runtime's handler
    // takes as on Linux: a CancelKeyPress handler that cancels it keeps the program going, whether
    // Ctrl-C came while the game polled KeyAvailable or while it waited in ReadKey (the read goes on
    // after the handler). The game ("signals") shows "[cancel]" from its handler; q ends it with 0.
    [Fact]
    public void TerminalGame_CtrlC_RaisesCancelKeyPress_AndAProgramThatCancelsItGoesOn()
    {
        CommandResult run = OnAPtyWithSteps(TerminalGameRunner(), ["signals"], "80", "24",
            "wait=keys?", "keys=\\x03", "wait=keys?[cancel]", "keys=d", "wait=mD", "keys=\\x03", "wait=mD[cancel]", "keys=q");
        Assert.True(run.StandardOutput.Contains("window 80x24, keys?[cancel]", StringComparison.Ordinal), run.Describe());
        Assert.True(run.StandardOutput.Contains("\x1b[92mD[cancel]", StringComparison.Ordinal), run.Describe());
        Assert.True(run.StandardOutput.Contains("at 3,1", StringComparison.Ordinal), run.Describe());
        Assert.True(run.StandardError.EndsWith("steps 8 of 8\nexit 0 canonical 1 echo 1\n", StringComparison.Ordinal), run.Describe());
    }

    // Ctrl-C reaches a program that does not read the console at all (the game on p waits for its
    // CancelKeyPress handler in a sleep loop): the shim reads a person's keys as they arrive, on the
    // timer's ticks and while the VM idles, not only when the program reads, as a terminal does.
    [Fact]
    public void TerminalGame_CtrlC_ReachesAProgramThatDoesNotRead()
    {
        CommandResult run = OnAPtyWithSteps(TerminalGameRunner(), ["signals"], "80", "24",
            "wait=keys?", "keys=p", "wait=[paused]", "sleep=1", "keys=\\x03", "wait=[resumed]", "keys=q");
        Assert.True(run.StandardOutput.Contains("[paused][cancel][resumed]", StringComparison.Ordinal), run.Describe());
        Assert.True(run.StandardError.EndsWith("steps 7 of 7\nexit 0 canonical 1 echo 1\n", StringComparison.Ordinal), run.Describe());
    }

    // A resize of the window while the VM runs reaches the program: the runner hears SIGWINCH and
    // sends the new size on the VM's second serial line, the shim answers TIOCGWINSZ with it and
    // raises SIGWINCH in the VM, on which the runtime drops the size it cached, so
    // Console.WindowWidth and WindowHeight follow. The game ("signals") shows them on z.
    [Fact]
    public void TerminalGame_AResizeWhileTheVmRuns_ReachesConsoleWindowSize()
    {
        CommandResult run = OnAPtyWithSteps(TerminalGameRunner(), ["signals"], "80", "24",
            "wait=keys?", "resize=120x40", "sleep=1", "keys=z", "wait=[window", "resize=90x20", "sleep=1", "keys=z", "wait=[window 90x20]", "keys=q");
        Assert.True(run.StandardOutput.Contains("window 80x24, keys?[window 120x40][window 90x20]", StringComparison.Ordinal), run.Describe());
        Assert.True(run.StandardError.EndsWith("steps 10 of 10\nexit 0 canonical 1 echo 1\n", StringComparison.Ordinal), run.Describe());
    }

    // SIGTERM to the runner alone (not QEMU) while the game waits for a key, its terminal raw: the
    // runner ends the VM at once and puts the terminal back (canonical, echo), status 143.
    [Fact]
    public void TerminalGame_SigtermToTheRunner_EndsTheVm_AndPutsTheTerminalBack()
    {
        string runner = TerminalGameRunner();
        string driver = Path.Combine(Repository.Root, "tests", "Unikraft.Gen.EndToEnd.Tests", "Support", "pty_signal.py");
        // NOTE: 15 is SIGTERM on Linux (signal(7)).
        CommandResult run = Command.Run("python3", [driver, "80", "24", "keys?", "15", "--", runner], Path.GetDirectoryName(runner)!,
            VmSuitePublish.BootTimeout, new Dictionary<string, string> { ["TERM"] = "xterm-256color" });
        Assert.True(run.StandardError.Contains("before canonical 0 echo 0\n", StringComparison.Ordinal), run.Describe());
        Assert.True(run.StandardError.EndsWith("exit 143 canonical 1 echo 1\n", StringComparison.Ordinal), run.Describe());
    }

    // Cryptography in the VM: an image whose link imports OpenSSL's shim (CryptoNative_*, the
    // line "CryptoNative" of its import list) has OpenSSL linked into it (its version string,
    // "OpenSSL 3.", is in the image), an image that does not has none of it, and no image keeps
    // the shim that would load libssl.so.3 at run time (the VM has none): no UK0402 either, with
    // cmake and libssl-dev installed. Crypto and WebSocketEcho are among those linked.
    [Fact]
    public void Images_LinkOpenSsl_ExactlyWhenTheirLinkImportsItsShim_AndNoneLoadsIt()
    {
        CommandResult result = publish.Result!;
        Assert.DoesNotContain("UK0402", result.StandardOutput, StringComparison.Ordinal);
        var linked = new List<string>();
        foreach (SuiteProgram program in VmSuitePublish.Published.Where(program => program.HostFolders.Length == 0))
        {
            string image = publish.Image(program);
            Assert.True(File.Exists(image), "No microvm image of " + program.Name + ":\n" + result.Describe());
            string[] lists = Directory.GetFiles(Path.Combine(publish.ArtifactsPath, "obj", program.Name), "native-imports.txt", SearchOption.AllDirectories);
            Assert.True(lists.Length == 1, program.Name + ": import lists " + string.Join(", ", lists));
            bool imports = File.ReadAllLines(lists[0]).Contains("CryptoNative");
            byte[] bytes = File.ReadAllBytes(image);
            Assert.True(imports == (bytes.AsSpan().IndexOf("OpenSSL 3."u8) >= 0), program.Name + ": imports the shim " + imports + ", yet OpenSSL in its image does not match");
            Assert.True(bytes.AsSpan().IndexOf("libssl.so"u8) < 0, program.Name + "'s image keeps the shim that loads libssl.so");
            if (imports)
            {
                linked.Add(program.Name);
            }
        }
        Assert.Contains("Crypto", linked);
        Assert.Contains("WebSocketEcho", linked);
    }

    // What OpenSSL asks of the VM, in the shim's trace: its configuration file, by OpenSSL's own
    // open, answered ENOENT (OpenSSL then goes on with its defaults), and randomness (getrandom,
    // served from RDRAND), with the program's output unchanged.
    [Fact]
    public void Crypto_TracedBoot_OpenSslFindsNoConfigurationFile_AndDrawsRandomnessFromGetrandom()
    {
        SuiteProgram program = ProgramSuiteTests.Suite.Single(p => p.Name == "Crypto");
        string runner = publish.Image(program)[..^".vm".Length] + "-vm";
        Assert.True(File.Exists(runner), "No microvm image of Crypto:\n" + publish.Result!.Describe());
        CommandResult version = Command.Run("openssl", ["version", "-d"], Repository.Root, TimeSpan.FromSeconds(30));
        Assert.True(version.ExitCode == 0 && version.StandardOutput.StartsWith("OPENSSLDIR: \"", StringComparison.Ordinal), version.Describe());
        string folder = version.StandardOutput.Trim()["OPENSSLDIR: \"".Length..^1];

        CommandResult run = Command.Run(runner, [], Path.GetDirectoryName(runner)!, VmSuitePublish.BootTimeout,
            new Dictionary<string, string> { ["UNIKRAFT_TRACE"] = "1" });
        // The kernel's own trace shares the serial line with the program's output: its lines
        // start with "[uk] ".
        Assert.True(run.ExitCode == 0, run.Describe());
        string output = string.Concat(run.StandardOutput.Split('\n').Skip(1).Where(line => !line.StartsWith("[uk] ", StringComparison.Ordinal)).Select(line => line + "\n"));
        Assert.Equal(program.Steps[0].Expected + "\n", output);
        Assert.Contains("[shim] openat " + folder + "/openssl.cnf\n[shim] openat = -2\n", run.StandardError, StringComparison.Ordinal);
        Assert.Contains("[shim] getrandom = ", run.StandardError, StringComparison.Ordinal);
        Assert.DoesNotContain("libssl", run.StandardOutput + run.StandardError, StringComparison.Ordinal);
    }

    private string TerminalGameRunner()
    {
        SuiteProgram program = ProgramSuiteTests.Suite.Single(p => p.Name == "TerminalGame");
        string runner = publish.Image(program)[..^".vm".Length] + "-vm";
        Assert.True(File.Exists(runner), "No microvm image of TerminalGame (" + runner + "):\n" + publish.Result!.Describe());
        string? missing = MicroVm.Missing();
        Assert.True(missing is null, "The microvm tests boot QEMU, and " + missing);
        return runner;
    }

    // The runner on a new pseudo-terminal of columns x rows as xterm-256color, typing keys (Python
    // escapes) once the program shows "keys?" (Support/pty_run.py): stdout is what the terminal
    // showed, stderr's last line the exit status and the terminal's mode afterwards.
    private static CommandResult OnAPty(string runner, string[] arguments, string columns, string rows, string keys)
    {
        string driver = Path.Combine(Repository.Root, "tests", "Unikraft.Gen.EndToEnd.Tests", "Support", "pty_run.py");
        return Command.Run("python3", [driver, columns, rows, "keys?", keys, "--", runner, .. arguments], Path.GetDirectoryName(runner)!,
            VmSuitePublish.BootTimeout, new Dictionary<string, string> { ["TERM"] = "xterm-256color" });
    }

    // The runner on a new pseudo-terminal of columns x rows (xterm-256color) that is its controlling
    // terminal, taking the steps of Support/pty_steps.py (wait=, keys=, resize=, sleep=): stdout is
    // what the terminal showed, stderr ends with how many steps were taken, the exit status and the
    // terminal's mode afterwards.
    private static CommandResult OnAPtyWithSteps(string runner, string[] arguments, string columns, string rows, params string[] steps)
    {
        string driver = Path.Combine(Repository.Root, "tests", "Unikraft.Gen.EndToEnd.Tests", "Support", "pty_steps.py");
        return Command.Run("python3", [driver, columns, rows, .. steps, "--", runner, .. arguments], Path.GetDirectoryName(runner)!,
            VmSuitePublish.BootTimeout, new Dictionary<string, string> { ["TERM"] = "xterm-256color" });
    }

    // One `dotnet publish` of a solution of the programs for microvm, written for the run.
    public sealed class VmSuitePublish : SampleBuild
    {
        // NOTE: under TCG the suite's programs boot and exit in about a second; the limit keeps
        // a hung VM from stalling the run.
        internal static readonly TimeSpan BootTimeout = TimeSpan.FromMinutes(1);

        private static string? solution;

        public VmSuitePublish()
            : base(WriteSolution(), "microvm", "publish", "-c", "Release", "-r", "linux-x64", "-p:PublishAot=true", "-p:UnikraftPlatform=microvm")
        {
        }

        // The programs the solution holds: every one without a reason to stay out of the VM, those
        // with hostfs mounts among them (their rows want the error); with UNIKRAFT_SUITE_AOT=0 only
        // the hostfs ones, those marked AotInCi and TerminalGame (the terminal's own tests boot it).
        internal static SuiteProgram[] Published
        {
            get
            {
                bool allAot = Environment.GetEnvironmentVariable("UNIKRAFT_SUITE_AOT") != "0";
                return ProgramSuiteTests.Suite
                    .Where(program => program.NotOnMicroVm is null && (allAot || program.AotInCi || program.HostFolders.Length > 0 || program.Name == "TerminalGame"))
                    .ToArray();
            }
        }

        // Where the publish put a program's image: the artifacts layout's publish folder.
        internal string Image(SuiteProgram program)
        {
            return Path.Combine(ArtifactsPath, "publish", program.Name, "release_linux-x64", program.Name + ".vm");
        }

        private static string WriteSolution()
        {
            var text = new StringBuilder("<Solution>\n");
            foreach (SuiteProgram program in Published)
            {
                text.Append("  <Project Path=\"").Append(Path.Combine(Repository.Root, program.Project, program.Name + ".csproj")).Append("\" />\n");
            }
            text.Append("</Solution>\n");
            string folder = Path.Combine(Path.GetTempPath(), "unikraft-e2e-microvm-suite-" + Guid.NewGuid().ToString("N").Substring(0, 8));
            Directory.CreateDirectory(folder);
            solution = Path.Combine(folder, "MicroVmSuite.slnx");
            File.WriteAllText(solution, text.ToString());
            return solution;
        }

        protected override void Dispose(bool disposing)
        {
            base.Dispose(disposing);
            if (disposing && solution is not null && Environment.GetEnvironmentVariable("UNIKRAFT_E2E_KEEP") != "1")
            {
                Directory.Delete(Path.GetDirectoryName(solution)!, recursive: true);
            }
        }
    }
}
