namespace Unikraft.Gen.EndToEnd.Tests;

using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using Xunit;

// Issue 10's suite: small programs of the kinds people write (file tools, a todo list on a data
// file, a console game, a program whose library does its I/O, one on a NuGet library that reads
// files, sockets over the loopback), each run unmodified under `dotnet run` (the native layer's
// JIT route) and as a NativeAOT binary, with the same output, written here, both times; and under
// `strace -f` each touches no host path but its own hostfs folders and what the runtime itself
// loads, and opens no socket (SuiteTrace says exactly what is allowed and why).
//
// The programs are built together by one `dotnet build` of Programs/ProgramSuite.slnx (the
// generator chain once for all). Every program runs under the JIT and as its NativeAOT image (all
// 15 publishes took about 6 minutes of a 2-core machine with the shared generator chain);
// UNIKRAFT_SUITE_AOT=0 keeps one image (ConfigReader, a NuGet library reading files) for a quicker
// local run (the others are then left out, not skipped).
public sealed class ProgramSuiteTests : IClassFixture<ProgramSuiteTests.SuiteBuild>
{
    private const string Programs = "tests/Unikraft.Gen.EndToEnd.Tests/Programs/";

    private readonly SuiteBuild build;

    public ProgramSuiteTests(SuiteBuild build)
    {
        this.build = build;
    }

    // Programs/WordTally is not in the suite: it carries a call the kernel refuses on purpose
    // (DriveInfo.GetDrives, for NativeLayerJitRouteTests), so its NativeAOT publish fails UK0401 as
    // it should.
    //
    // Each program: its project, the files its hostfs folders hold after a run (removed before
    // the first step, so a JIT run and a NativeAOT run start alike), and its steps, each with its
    // arguments, standard input and the exact standard output.
    internal static readonly SuiteProgram[] Suite =
    [
        new("samples/Hello", [], [], [new([], null, "Hello, world!\n")]),
        new("samples/Files", ["data"], ["data/visits.log"],
        [
            new([], null, "Hello from the initrd.\nvisits so far: 1\n/tmp/scratch/a.txt: first\n/tmp/scratch/b.txt: second\n"),
            new([], null, "Hello from the initrd.\nvisits so far: 2\n/tmp/scratch/a.txt: first\n/tmp/scratch/b.txt: second\n"),
        ]),
        new("samples/Notes", [], [], [new([], null, "stored first\nwritten by a library, kept in the kernel's ramfs\n")]),
        // Says PublishAot=true in its project file, which turns startup hooks off for its plain
        // builds too: under `dotnet run` its Main ran inside the module initializer and hung at the
        // first asynchronous write, until the build turned them on again (BeforeSdk.targets).
        new("samples/FileTools", ["data"], ["data/runs.txt"],
        [
            new([], null, "inventory total: 16\nmoved.txt 9\nreport.txt 9\nruns: 1, cwd /\nhost passwd visible: False\nwork left: False\n"),
            new([], null, "inventory total: 16\nmoved.txt 9\nreport.txt 9\nruns: 2, cwd /\nhost passwd visible: False\nwork left: False\n"),
        ]),
        new(Programs + "LibraryIo", ["data"], ["data/journal"],
        [
            new([], null, "run 1 (6 bytes)\nscratch: 2 entries\n"),
            new([], null, "run 1,run 2 (12 bytes)\nscratch: 2 entries\n"),
        ]),
        new(Programs + "LoopbackChat", [], [],
        [
            new([], null,
                "listening on 127.0.0.1, port ephemeral\n" +
                "hello has 5 characters\n" +
                "loopback has 8 characters\n" +
                "...xxxxx has 5000 characters\n" +
                "udp: datagram to myself from 127.0.0.1\n" +
                "http: HTTP/1.1 200 OK, hello from HttpListener at /page\n" +
                "WebClient: hello from HttpListener at /web-client\n" +
                "WebRequest: 200, hello from HttpListener at /web-request\n" +
                "beyond the loopback: NetworkUnreachable\n"),
        ]),
        // A WebSocket echo (HttpListener and ClientWebSocket) over the loopback.
        new(Programs + "WebSocketEcho", [], [],
        [
            new([], null,
                "client: Open\n" +
                "client: text echo \"hello over a websocket\"\n" +
                "client: binary echo of 102400 bytes, identical\n" +
                "server: /echo closed by the client with NormalClosure, done\n" +
                "client: Closed, server said bye\n"),
        ], AotInCi: true),
        // The BCL's cryptography (OpenSSL underneath): known answers of SHA-256, SHA-1 and MD5
        // ("abc", FIPS 180-4 and RFC 1321) and HMAC-SHA256 (RFC 4231, case 2), the random
        // generator, AES, a certificate the program makes, TLS 1.3 between its own SslStream
        // server and client, and HttpClient's https:// to that server. On microvm OpenSSL is linked into the image; with WebSocketEcho it is
        // the VM's cryptography in the quick run (AotInCi).
        new(Programs + "Crypto", [], [],
        [
            new([], null,
                "sha256 ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\n" +
                "sha1 a9993e364706816aba3e25717850c26c9cd0d89d\n" +
                "md5 900150983cd24fb0d6963f7d28e17f72\n" +
                "hmac-sha256 5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843\n" +
                "sha512 ddaf35a193617abacc417349ae204131...\n" +
                "random: 32 bytes twice, different\n" +
                "aes-cbc 514eb700b07274673055ee291c8b8d96..., round trip equal\n" +
                "certificate CN=localhost, has private key True\n" +
                "tls: Tls13, cipher TLS_AES_256_GCM_SHA384\n" +
                "tls: echo: hello over tls\n" +
                "https: 200, hello over https, you asked GET /page HTTP/1.1\n"),
        ], AotInCi: true,
        // On hosted, glibc's time-zone set-up under OpenSSL's certificate times looks at the
        // host's /etc/localtime (a stat under the JIT; an open the NativeAOT image's filter refuses
        // with EACCES, glibc then keeping UTC), as configuration.md says of TLS; in the VM the shim
        // answers ENOENT.
        HostedReads: ["/etc/localtime"]),
        // A mail sender on SmtpClient and its own small SMTP server, over the loopback.
        new(Programs + "Mailer", [], [],
        [
            new([], null,
                "sent\n" +
                "EHLO, MAIL FROM:<sender@mailer.test>, RCPT TO:<reader@mailer.test>, DATA, QUIT\n" +
                "Subject: Weekly report\n" +
                "body ends with: All systems nominal.\n"),
        ]),
        // UDP alone (an SNTP server and client): its kernel has no TCP (Kernel_OfAUdpOnlyProgram_HasNoTcp).
        new(Programs + "TimeOverUdp", [], [],
        [
            new([], null,
                string.Concat(Enumerable.Range(1, 3).Select(n => "answer " + n + ": 48 bytes from 127.0.0.1, mode 4, version 4, stratum 2, reference LOCL, " +
                    "originate echoed: True, round trip under a second: True, server clock within a second: True\n")) +
                "done\n"),
        ]),
        new(Programs + "PoolContinuation", [], [], [new([], null, "waiting\nchecksum 68, on the kernel's thread: False\nafter a second delay\n", ExitCode: 68)]),
        // Several threads of control that block as ordinary programs do (Task.Run(...).Result, Wait,
        // WhenAll, ContinueWith, the thread pool, new Thread and Join, lock and Monitor.Wait,
        // Parallel.For, a thread that accepts and reads a socket synchronously), before Main's
        // first await and after it: the program's threads take turns on the kernel's vCPU.
        new(Programs + "Threads", [], [],
        [
            new([], null,
                "task: computing\nresult: 42\ntask: slept\nwhen all: 7\npool: work item ran\ncountdown: 3 work items\n" +
                string.Concat(Enumerable.Repeat("counter reached a thousand more\n", 4)) + "threads: counter 4000\n" +
                "monitor: consumed 15\nparallel: 4950\n" +
                "socket: server read 'hello from the main thread', client read 'got 26 bytes'\n" +
                "after an await: on Main's thread True\nholder: writing while it holds the lock\n" +
                "continuation: took the lock after the holder, result 8\ndone\n"),
        ], AotInCi: true),
        // The console game on a pseudo-terminal of 100x30 as xterm-256color: right, down, d, q.
        // The BCL's escape sequences come from the kernel's own terminfo entry (TerminalTests).
        new(Programs + "TerminalGame", [], [],
        [
            new([], null,
                "\x1b]0;walk\x07\x1b[H\x1b[2J\x1b[3J\x1b[?25l\x1b[39;49m\x1b[93m\x1b[39;49m\x1b[93m\x1b[44m\x1b[2;3H@\x1b[39;49m" +
                "\x1b[4;1Hwindow 100x30, keys?" +
                "\x1b[2;4H\x1b[39;49m\x1b[92mR\x1b[3;4H\x1b[39;49m\x1b[92mD\x1b[3;5H\x1b[39;49m\x1b[92mD" +
                "\x1b[39;49m\x1b[?12l\x1b[?25h\x1b[6;1Hat 4,2\r\n",
                Keys: "\\x1bOC\\x1bOBdq"),
        ]),
        new(Programs + "TodoList", ["data"], ["data/todo.json"],
        [
            new([], "add buy milk\nadd write report\ndone 1\nlist\n",
                "no saved items\nadded #1\nadded #2\ndone #1\n" +
                "1. [x] buy milk (2026-01-01)\n2. [ ] write report (2026-01-02)\n1 left\n" +
                "saved in /data/todo.json: 185 bytes\n"),
            new([], "list\nremove 1\nadd call mum\nlist\nbogus\n",
                "loaded 2 items\n1. [x] buy milk (2026-01-01)\n2. [ ] write report (2026-01-02)\n1 left\n" +
                "removed #1\nadded #2\n1. [ ] write report (2026-01-02)\n2. [ ] call mum (2026-01-02)\n2 left\n" +
                "unknown command: bogus\nsaved in /data/todo.json: 186 bytes\n"),
        ], AotInCi: false),
        new(Programs + "DiskUsage", [], [],
        [
            new([], null,
                "srv/ (4416 bytes)\n  docs/ (109 bytes)\n    guides/ (65 bytes)\n      faq.txt 39\n      upgrade.md 26\n" +
                "    install.md 44\n  photos/ (4200 bytes)\n    beach.jpg 3000\n    hill.JPG 1200\n  src/ (92 bytes)\n" +
                "    lib/ (63 bytes)\n      add.c 40\n      add.h 23\n    main.c 29\n  README 15\n\n" +
                "largest files:\n    3000  photos/beach.jpg\n    1200  photos/hill.JPG\n      44  docs/install.md\n" +
                "by extension:\n  (none): 1 files, 15 bytes\n  .c: 2 files, 69 bytes\n  .h: 1 files, 23 bytes\n" +
                "  .jpg: 2 files, 4200 bytes\n  .md: 2 files, 70 bytes\n  .txt: 1 files, 39 bytes\n" +
                "total: 9 files, 5 folders, 4416 bytes\n"),
        ]),
        new(Programs + "Grep", [], [],
        [
            new(["todo", "/project", "-i"], null,
                "/project/src/Parser.cs.txt:1: // TODO: handle quoted fields\n" +
                "/project/src/Report.cs.txt:2: // todo: sort by region\n" +
                "/project/tests/ParserTests.cs.txt:3: // TODO: a test for empty lines\n" +
                "3 matching lines in 3 files\n"),
            new(["^nothing"], null, "0 matching lines in 0 files\n", ExitCode: 1),
        ]),
        new(Programs + "CsvReport", ["out"], ["out/report.csv"],
        [
            new([], null,
                "columns: region,product,units,price\n3 regions, 1 lines skipped, report 98 bytes:\n" +
                "region,units,revenue,top product\neast,6,167.50,kettle\nnorth,6,153.50,kettle\nsouth,6,160.00,kettle\n"),
        ]),
        new(Programs + "LogRotator", ["logs"], ["logs/app.log", "logs/app.log.1", "logs/app.log.2"],
        [
            new(["12", "web"], null,
                "opened /logs/app.log at 0 bytes\nrotated 0 times\ntail:\n  web step 10: ok\n  web step 11: ok\n  web step 12: ok\n" +
                "app.log: 183 bytes, first line \"web step 1: ok\"\n"),
            // The first rotation moves the 199 bytes written so far to app.log.1, the second moves
            // that to app.log.2 and the next 196 to app.log.1: 14 is alone in app.log.
            new(["14", "cron"], null,
                "opened /logs/app.log at 183 bytes\nrotated 2 times\ntail:\n  cron step 14: ok\n" +
                "app.log: 17 bytes, first line \"cron step 14: ok\"\n" +
                "app.log.1: 196 bytes, first line \"cron step 2: ok\"\n" +
                "app.log.2: 199 bytes, first line \"web step 1: ok\"\n"),
        ]),
        new(Programs + "KeyValueStore", ["data"], ["data/store.bin"],
        [
            new(["set", "colour", "blue", "set", "size", "42", "get", "colour"], null,
                "new store\nset colour\nset size\ncolour = blue\nsaved 2 keys, 28 bytes\nprogram folder known: True\n"),
            new(["get", "size", "delete", "colour", "get", "colour", "list"], null,
                "opened /data/store.bin: 2 keys\nsize = 42\ndeleted colour\ncolour not found\n  size = 42\nsaved 1 keys, 16 bytes\nprogram folder known: True\n"),
        ]),
        // Its data files beside it, found through AppContext.BaseDirectory: "/" on the kernel,
        // where the build packs the files it copies to the output.
        new(Programs + "BesideTheProgram", [], [],
        [
            new([], null, "Receipt\ntea   2.50\ncake  3.75\nTotal: 6.25\nfiles beside the program: 1 json, 1 template\n"),
            new(["soup", "bread"], null, "Receipt\nsoup  4.20\nbread: not on the list\nTotal: 4.20\nfiles beside the program: 1 json, 1 template\n"),
        ]),
        new(Programs + "ConfigReader", [], [],
        [
            new(["Development"], null,
                "environment: Development\nname: inventory\nlog level: Debug\ndatabase: Data Source=/var/lib/inventory.db\n" +
                "retries: 5, timeout: 30 s\nfeatures:\n  Export = True\n  Import = True\n  Tracing = True\n" +
                "providers: JsonConfigurationProvider for 'appsettings.json' (Required), " +
                "JsonConfigurationProvider for 'appsettings.Development.json' (Optional), " +
                "IniConfigurationProvider for 'overrides.ini' (Optional)\n"),
        ], AotInCi: true),
        // Serilog's console sink (its Windows path declares P/Invokes into kernel32.dll, which
        // UK0301 leaves out: that library does not exist here) and a thread that signals a
        // ManualResetEvent, the runtime's own wait handle, which Main waits on.
        new(Programs + "LogLines", [], [],
        [
            new([], null, "[INF] Counting 3 words in notes.txt\n[DBG] Worker counted 12 letters\n[ERR] Dividing 12 failed: DivideByZeroException\n"),
        ]),
        // Environment.OSVersion and RuntimeInformation.OSDescription: the kernel's uname (its own
        // release), where plain .NET on this host says "Unix 6.x" and the host's distribution.
        new(Programs + "SystemNames", [], [],
        [
            new([], null, "Unix 0.1.0.0\nLinux 0.1.0-unikraft-gen #1 Unikraft.Gen\nTrue\n"),
        ]),
    ];

    // Every program under the JIT and under NativeAOT; with UNIKRAFT_SUITE_AOT=0, NativeAOT only
    // for those marked AotInCi.
    public static TheoryData<string, string> Runs
    {
        get
        {
            bool allAot = Environment.GetEnvironmentVariable("UNIKRAFT_SUITE_AOT") != "0";
            var runs = new TheoryData<string, string>();
            foreach (SuiteProgram program in Suite)
            {
                runs.Add(program.Name, "jit");
            }
            foreach (SuiteProgram program in Suite)
            {
                if (program.AotInCi || allAot)
                {
                    runs.Add(program.Name, "aot");
                }
            }
            return runs;
        }
    }

    [Theory]
    [MemberData(nameof(Runs))]
    public void Program_GivesItsOutput_AndTouchesNoHostPathButItsMounts(string name, string route)
    {
        SuiteProgram program = Suite.Single(p => p.Name == name);
        bool aot = route == "aot";
        string output = aot ? build.Publish(program) : build.JitOutput(program);
        program.Reset();
        try
        {
            for (int index = 0; index < program.Steps.Length; index++)
            {
                SuiteStep step = program.Steps[index];
                string trace = Path.Combine(build.Folder, name + "-" + route + "-" + index + ".strace");
                CommandResult run = build.Run(program, step, aot, output, trace);
                string what = name + " (" + route + ") step " + (index + 1) + ":\n" + run.Describe();

                if (step.Keys is null)
                {
                    Assert.True(run.ExitCode == step.ExitCode, what);
                    Assert.True(step.Expected == run.StandardOutput, what);
                }
                else
                {
                    Assert.True(run.StandardError.EndsWith("exit " + step.ExitCode + " canonical 1 echo 1\n", StringComparison.Ordinal), what);
                    Assert.True(run.StandardOutput.Contains(step.Expected, StringComparison.Ordinal), what);
                }
                Assert.DoesNotContain("[uk] native layer:", run.StandardError + run.StandardOutput, StringComparison.Ordinal);

                string manifest = File.ReadAllText(build.Manifest(program, aot));
                string[] problems = SuiteTrace.Problems(File.ReadAllLines(trace), Path.Combine(output, name), output,
                    program.HostFolders.Select(folder => Path.Combine(Repository.Root, program.Project, folder)).Concat(SuiteTrace.TrustStoreFolders(manifest)).Concat(program.HostedReads ?? []).ToArray(),
                    jit: !aot, SuiteTrace.LandlockAnchors(manifest));
                Assert.True(problems.Length == 0, name + " (" + route + ") step " + (index + 1) + " reached the host (trace " + trace + "):\n" +
                    string.Join("\n", problems.Take(40)));
            }
        }
        finally
        {
            program.Reset();
        }
    }

    // Issue 11's specialization by protocol: a program that makes only UDP sockets has no TCP in
    // its kernel, under the JIT (the transports from the types it names) and in its NativeAOT
    // image (the same, with the link's imports), and its manifest says why UDP is there.
    [Theory]
    [InlineData("jit")]
    [InlineData("aot")]
    public void Kernel_OfAUdpOnlyProgram_HasNoTcp(string route)
    {
        SuiteProgram program = Suite.Single(p => p.Name == "TimeOverUdp");
        if (route == "aot")
        {
            build.Publish(program);
        }
        string manifest = File.ReadAllText(build.Manifest(program, route == "aot"));

        Assert.Contains("  Udp  on\n      Program.cs:9  makes sockets: System.Net.Sockets.UdpClient\n", manifest, StringComparison.Ordinal);
        Assert.Contains("  Tcp  off: its code is removed", manifest, StringComparison.Ordinal);
        Assert.Contains("  net-udp  ", manifest, StringComparison.Ordinal);
        Assert.DoesNotContain("  net-tcp  ", manifest, StringComparison.Ordinal);
    }

    // One `dotnet build` of every program of the suite; the NativeAOT publishes, each when a test
    // first asks for it, into the same artifacts folder (the generator chain's Release build is the
    // test run's shared one, GeneratorChain).
    public sealed class SuiteBuild : SampleBuild
    {
        private static readonly TimeSpan PublishTimeout = TimeSpan.FromMinutes(15);

        private static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(3);

        private readonly Dictionary<string, CommandResult> publishes = new Dictionary<string, CommandResult>();

        public SuiteBuild()
            : base(Programs + "ProgramSuite.slnx", "jit", "build")
        {
        }

        // The folder `dotnet build` wrote the program's self-contained output to.
        internal string JitOutput(SuiteProgram program)
        {
            EnsureSucceeded();
            return Path.Combine(ArtifactsPath, "bin", program.Name, "debug_linux-x64");
        }

        // The kernel manifest of the program's build (the NativeAOT publish's or the JIT build's).
        internal string Manifest(SuiteProgram program, bool aot) =>
            Path.Combine(ArtifactsPath, "bin", program.Name, aot ? "release_linux-x64" : "debug_linux-x64", program.Name + ".kernel.txt");

        // `dotnet publish -c Release -r linux-x64 -p:PublishAot=true`, into a folder of its own.
        internal string Publish(SuiteProgram program)
        {
            EnsureSucceeded();
            string folder = Path.Combine(Folder, "aot", program.Name);
            if (!publishes.TryGetValue(program.Name, out CommandResult? result))
            {
                result = GeneratorChain.Dotnet(PublishTimeout, "publish", program.Project, "-c", "Release", "-r", "linux-x64",
                    "-p:PublishAot=true", "--artifacts-path", ArtifactsPath, "-o", folder, "-nodeReuse:false");
                publishes[program.Name] = result;
            }
            Assert.True(result.ExitCode == 0, "The NativeAOT publish of " + program.Name + " failed:\n" + result.Describe());
            return folder;
        }

        // One step under `strace -f` (file, network and process calls, and writes, for the boot
        // banner): `dotnet run --no-build` for the JIT route, the binary itself for NativeAOT; on
        // a pseudo-terminal (Support/pty_run.py) when the step types keys.
        internal CommandResult Run(SuiteProgram program, SuiteStep step, bool aot, string output, string trace)
        {
            var command = new List<string> { "strace", "-f", "--seccomp-bpf", "-s", "256", "-o", trace, "-e", "trace=%file,%network,%process,write" };
            if (aot)
            {
                command.Add(Path.Combine(output, program.Name));
            }
            else
            {
                command.AddRange(["dotnet", "run", "--project", program.Project, "--no-build", "--artifacts-path", ArtifactsPath, "--"]);
            }
            command.AddRange(step.Arguments);
            string folder = Path.Combine(Repository.Root, program.Project);
            if (step.Keys is not null)
            {
                string driver = Path.Combine(Repository.Root, "tests", "Unikraft.Gen.EndToEnd.Tests", "Support", "pty_run.py");
                command.InsertRange(0, [driver, "100", "30", "keys?", step.Keys, "--"]);
                return Command.Run("python3", command, aot ? folder : Repository.Root, RunTimeout,
                    new Dictionary<string, string> { ["TERM"] = "xterm-256color" });
            }
            return Command.Run(command[0], command.Skip(1), aot ? folder : Repository.Root, RunTimeout, null, step.Input);
        }
    }
}

// ProgramSuiteTests' data and its trace check, without its build.
public sealed class ProgramSuiteDataTests
{
    // The suite's rows: every program under the JIT, each program once, each in the solution that
    // builds them.
    [Fact]
    public void Suite_HasFourteenPrograms_EachRunUnderTheJit()
    {
        // NOTE: the issue's goal is at least 15; WordTally, Culture and FileTools are left out above.
        Assert.True(ProgramSuiteTests.Suite.Length >= 15, ProgramSuiteTests.Suite.Length + " programs");
        Assert.Equal(ProgramSuiteTests.Suite.Length, ProgramSuiteTests.Runs.Count(row => (string)row[1] == "jit"));
        Assert.Equal(ProgramSuiteTests.Suite.Length, ProgramSuiteTests.Suite.Select(p => p.Name).Distinct().Count());
        string solution = File.ReadAllText(Path.Combine(Repository.Root, "tests/Unikraft.Gen.EndToEnd.Tests/Programs/ProgramSuite.slnx"));
        foreach (SuiteProgram program in ProgramSuiteTests.Suite)
        {
            Assert.Contains("/" + program.Name + ".csproj\"", solution, StringComparison.Ordinal);
        }
    }

    // Issue 14: every program of the suite either runs on microvm (MicroVmSuiteTests) or says why
    // not; a hostfs mount is the one reason that needs no words (its row asserts the build error).
    [Fact]
    public void Suite_EveryProgramHasAMicroVmRowOrAReason()
    {
        var rows = MicroVmSuiteTests.VmSuitePublish.Published.Select(program => program.Name).ToHashSet();
        foreach (SuiteProgram program in ProgramSuiteTests.Suite)
        {
            if (Environment.GetEnvironmentVariable("UNIKRAFT_SUITE_AOT") != "0")
            {
                Assert.True(rows.Contains(program.Name) == (program.NotOnMicroVm is null), program.Name);
            }
            Assert.True(program.NotOnMicroVm is null || program.NotOnMicroVm.Length > 40, program.Name + " stays off microvm without a reason");
            Assert.False(program.NotOnMicroVm is not null && program.HostFolders.Length > 0, program.Name + ": a hostfs program's microvm row asserts its build error");
        }
        Assert.True(ProgramSuiteTests.Suite.Count(program => program.NotOnMicroVm is null) >= ProgramSuiteTests.Suite.Length - 1,
            "more than one program of the suite stays off microvm");
    }

    // The trace check finds what reached the host: a host path and a socket after the boot banner,
    // a relative path against the host's working directory, a thread the program cloned; and lets
    // the runtime's start-up, the hostfs folder's own calls and another process's calls pass.
    [Fact]
    public void SuiteTrace_FindsHostPathsAndSocketsAfterBoot_InTheProgramsProcessesOnly()
    {
        string[] trace =
        [
            "10 execve(\"/usr/bin/dotnet\", [\"dotnet\", \"run\"], 0x1 /* 9 vars */) = 0",
            "10 openat(AT_FDCWD, \"/home/user/project/Program.csproj\", O_RDONLY) = 3",
            "11 execve(\"/out/App\", [\"/out/App\"], 0x1 /* 9 vars */) = 0",
            "11 openat(AT_FDCWD, \"/dev/urandom\", O_RDONLY|O_CLOEXEC) = 9",
            "11 socket(AF_UNIX, SOCK_STREAM|SOCK_CLOEXEC, 0) = 11",
            "11 bind(11, {sa_family=AF_UNIX, sun_path=\"/tmp/dotnet-diagnostic-11-1-socket\"}, 110) = 0",
            "11 clone3({flags=CLONE_VM, child_tid=0x1}, 88) = 12",
            "11 clone3({flags=CLONE_VM|CLONE_VFORK, exit_signal=SIGCHLD}, 88) = 13",
            "13 execve(\"/proc/self/exe\", [\"/out/App\"], 0x1 /* 11 vars */) = 0",
            "11 write(2, \"Unikraft.Gen kernel (hosted) for App\", 36) = 36",
            "13 openat(AT_FDCWD, \"/usr/share/dotnet/shared/Microsoft.NETCore.App/10.0.12/System.Runtime.dll\", O_RDONLY) = 3",
            "13 openat(AT_FDCWD, \"/proc/11/mem\", O_RDONLY|O_CLOEXEC) = 4",
            "13 socket(AF_INET, SOCK_DGRAM, 0) = 5",
            "11 openat(AT_FDCWD, \"/out/System.Linq.dll\", O_RDONLY) = 5",
            "11 openat(AT_FDCWD, \"/data\", O_RDONLY|O_CLOEXEC|O_PATH|O_DIRECTORY) = 6",
            "11 openat2(6, \"todo.json\", {flags=O_RDONLY}, 24) = 7",
            "11 openat(AT_FDCWD, \"/proc/self/fd/7\", O_WRONLY) = 8",
            "11 getcwd(\"/home/user/project\", 4096) = 18",
            "11 openat(AT_FDCWD, \"/etc/ssl\", O_RDONLY|O_CLOEXEC|O_PATH|O_DIRECTORY) = 9",
            "11 openat(AT_FDCWD, \"/etc/ssl/private\", O_RDONLY|O_CLOEXEC|O_PATH|O_DIRECTORY) = 10",
            "11 openat(AT_FDCWD, \"/etc/localtime\", O_RDONLY|O_CLOEXEC) = 10",
            "11 newfstatat(AT_FDCWD, \"/usr/share/zoneinfo-icu/44/le/zoneinfo64.res\", 0x7ffd, 0) = -1 ENOENT (No such file or directory)",
            "11 openat(AT_FDCWD, \"/usr/share/zoneinfo-icu/44/le/zoneinfo64.res\", O_RDONLY) = 10",
            "11 openat(AT_FDCWD, \"/usr/lib/ssl/openssl.cnf\", O_RDONLY) = 10",
            "11 openat(AT_FDCWD, \"/etc/ssl/openssl.cnf\", O_WRONLY|O_TRUNC) = -1 EACCES (Permission denied)",
            "10 openat(AT_FDCWD, \"/etc/passwd\", O_RDONLY) = 4",
            "12 openat(AT_FDCWD, \"/etc/passwd\", O_RDONLY) = 4",
            "11 openat(AT_FDCWD, \"todo.json\", O_RDONLY) = -1 ENOENT (No such file or directory)",
            "12 socket(AF_INET, SOCK_STREAM, 0) = -1 EPERM (Operation not permitted)",
        ];

        string[] anchors = SuiteTrace.LandlockAnchors("//     opens by path only beneath (Landlock): the runtime's folders (those of its trusted " +
            "assemblies, the app's own), its own /proc/<pid>, /dev/null, /etc/ssl, /etc/localtime; elsewhere refused\n// next\n");
        Assert.Equal(["/dev/null", "/etc/ssl", "/etc/localtime"], anchors);
        string[] problems = SuiteTrace.Problems(trace, "/out/App", "/out", ["/data"], jit: true, anchors);

        // A Landlock anchor is an O_PATH open of exactly a path the ruleset names: beneath one, or
        // an open that can read, is the host's. The confinement's supervisor (13, the executable
        // again) loads its runtime and reads the program's memory, but a socket of its own counts.
        Assert.Equal(
        [
            "after boot: 13 socket(AF_INET, SOCK_DGRAM, 0) = 5",
            "after boot: 11 openat(AT_FDCWD, \"/etc/ssl/private\", O_RDONLY|O_CLOEXEC|O_PATH|O_DIRECTORY) = 10",
            "after boot: 11 openat(AT_FDCWD, \"/etc/localtime\", O_RDONLY|O_CLOEXEC) = 10",
            "after boot: 11 openat(AT_FDCWD, \"/usr/share/zoneinfo-icu/44/le/zoneinfo64.res\", O_RDONLY) = 10",
            "after boot: 11 openat(AT_FDCWD, \"/etc/ssl/openssl.cnf\", O_WRONLY|O_TRUNC) = -1 EACCES (Permission denied)",
            "after boot: 12 openat(AT_FDCWD, \"/etc/passwd\", O_RDONLY) = 4",
            "after boot: 11 openat(AT_FDCWD, \"todo.json\", O_RDONLY) = -1 ENOENT (No such file or directory)",
            "after boot: 12 socket(AF_INET, SOCK_STREAM, 0) = -1 EPERM (Operation not permitted)",
        ], problems);
        // In a NativeAOT binary even the runtime opens no socket, and the boot banner is required.
        Assert.Contains("before boot: 11 socket(AF_UNIX, SOCK_STREAM|SOCK_CLOEXEC, 0) = 11",
            SuiteTrace.Problems(trace, "/out/App", "/out", ["/data"], jit: false));
        Assert.Contains("no boot banner (\"Unikraft.Gen kernel (\") was written", SuiteTrace.Problems(trace.Take(6).ToArray(), "/out/App", "/out", ["/data"], jit: true));
    }
}

// A program of the suite: its project folder (from the repository root), its hostfs folders
// (relative to the project), the files a run leaves in them, and its steps.
// NotOnMicroVm: why the program has no row on the microvm platform (MicroVmSuiteTests), beyond a
// hostfs mount, whose row asserts the build error instead.
// HostedReads: host paths the program is known to reach on hosted beyond its mounts, each named
// with its reason where the program is listed; the trace check lets exactly those pass.
internal sealed record SuiteProgram(string Project, string[] HostFolders, string[] Leftovers, SuiteStep[] Steps, bool AotInCi = false, string? NotOnMicroVm = null, string[]? HostedReads = null)
{
    public string Name => Path.GetFileName(Project);

    public void Reset()
    {
        foreach (string leftover in Leftovers)
        {
            string path = Path.Combine(Repository.Root, Project, leftover);
            if (Directory.Exists(path))
            {
                Directory.Delete(path, recursive: true);
            }
            File.Delete(path);
        }
    }
}

// One run: arguments, standard input (none: an empty one), the exact standard output and the
// exit status; with Keys, the run is on a pseudo-terminal that types them once the program asks,
// and the output (the terminal's bytes, the boot banner among them) holds Expected.
internal sealed record SuiteStep(string[] Arguments, string? Input, string Expected, int ExitCode = 0, string? Keys = null);

// Reads an `strace -f` trace of a run and says what in it reached the host beyond what is allowed.
// Only the program's own processes count: the one that executed the program and those it cloned
// (under `dotnet run`, the dotnet CLI's own evaluation of the project is not the program's).
//
// Before the kernel's boot banner only the runtime has run (the boot runs the program's Main):
// its start-up is its own (the loader, /proc and /sys, /dev/urandom, under the JIT the debugger's
// /dev/shm semaphore, its servicing probes and the runtime's assemblies), so its paths are not
// checked there; its network calls are.
//
// Allowed after the boot banner:
//   - the program's hostfs folders and anything beneath them (the kernel's hostfs opens the folder
//     and works beneath its descriptor; /proc/self/fd/N reopens such a descriptor);
//   - the program's output folder (its binary; under the JIT the runtime's assemblies and native
//     libraries, loaded by the runtime's own code, not System.Native, also after boot), and each
//     folder above it (the runtime's realpath of its own location);
//   - the dynamic loader: /etc/ld.so.cache and shared libraries (or their search folders) under
//     /lib, /lib64, /usr/lib and /usr/lib64 (libc, libstdc++, ICU for a program that keeps
//     globalization);
//   - /proc and /sys: the runtime's view of its own process, CPUs and cgroup limits (the kernel
//     has no /proc of its own, so a program's /proc path never reaches the host through it);
//   - a path relative to a descriptor (the kernel's hostfs calls, beneath its folder's
//     descriptor) and the empty path of an AT_EMPTY_PATH call.
//   - the confinement's Landlock rules: an O_PATH open (no read, no write: a rule's anchor) of
//     exactly a path the manifest says the ruleset allows (LandlockAnchors), and getcwd, which
//     the confinement asks to place relative opens and which touches no file.
// Under the JIT only: the runtime's debugger pipes and diagnostic-server socket in $TMPDIR
// (/tmp/clr-debug-pipe-*, /tmp/dotnet-diagnostic-*), which CoreCLR creates before the kernel boots
// whatever the program does (only DOTNET_EnableDiagnostics=0 in the environment turns them off):
// that AF_UNIX socket, its bind and listen, before the boot banner, are the only network calls
// allowed. After the boot banner there is no network call at all, JIT or NativeAOT.
internal static class SuiteTrace
{
    private static readonly Regex Line = new Regex(@"^(\d+) +(?:<\.\.\. )?([a-z0-9_]+)", RegexOptions.Compiled);

    private static readonly Regex Clone = new Regex(@"^(\d+) +(?:<\.\.\. )?(?:clone3?|fork|vfork)\b.*= (\d+)$", RegexOptions.Compiled);

    private static readonly Regex Quoted = new Regex("\"((?:[^\"\\\\]|\\\\.)*)\"", RegexOptions.Compiled);

    private static readonly HashSet<string> NetworkCalls = new HashSet<string>(StringComparer.Ordinal)
    {
        "socket", "socketpair", "connect", "bind", "listen", "accept", "accept4", "sendto", "recvfrom", "sendmsg", "recvmsg",
        "sendmmsg", "recvmmsg", "getsockopt", "setsockopt", "getsockname", "getpeername", "shutdown",
    };

    private static readonly string[] LoaderFolders = ["/lib/", "/lib64/", "/usr/lib/", "/usr/lib64/"];

    // The absolute paths of the manifest's Landlock line ("opens by path only beneath (Landlock):
    // the runtime's folders (...), its own /proc/<pid>, /dev/null, /lib, ...; elsewhere ...").
    public static string[] LandlockAnchors(string manifest)
    {
        const string Marker = "opens by path only beneath (Landlock): ";
        int at = manifest.IndexOf(Marker, StringComparison.Ordinal);
        if (at < 0)
        {
            return [];
        }
        string line = manifest.Substring(at + Marker.Length).Split('\n')[0].Split(';')[0];
        return line.Split(", ").Where(item => item.StartsWith('/') && !item.Contains('<', StringComparison.Ordinal)).ToArray();
    }

    // The host folders the plan mounts as the trust store (a program that names a TLS client type:
    // HttpClient, WebClient, ClientWebSocket), read-only at their own paths: the manifest's Mounts
    // line "  /etc/ssl/certs  hostfs, read-only, the host's trust store ...". The kernel's hostfs
    // opens it at boot, as it opens the program's own folders.
    public static string[] TrustStoreFolders(string manifest) =>
        Regex.Matches(manifest, @"^  (/\S*)  hostfs, read-only, the host's trust store ", RegexOptions.Multiline).Select(match => match.Groups[1].Value).ToArray();

    public static string[] Problems(string[] trace, string executable, string output, string[] hostFolders, bool jit, string[]? anchors = null)
    {
        anchors ??= [];
        string temporary = (Environment.GetEnvironmentVariable("TMPDIR") is { Length: > 0 } tmp ? tmp : "/tmp").TrimEnd('/');
        int start = Array.FindIndex(trace, line => line.Contains("execve(\"" + executable + "\"", StringComparison.Ordinal));
        if (start < 0)
        {
            return ["the trace has no execve of " + executable];
        }
        var pids = new HashSet<string> { trace[start].Split(' ')[0] };
        for (int added = 1; added > 0;)
        {
            added = 0;
            for (int i = start; i < trace.Length; i++)
            {
                Match clone = Clone.Match(trace[i]);
                if (clone.Success && pids.Contains(clone.Groups[1].Value) && pids.Add(clone.Groups[2].Value))
                {
                    added++;
                }
            }
        }

        var problems = new List<string>();
        bool booted = false;

        // The confinement's supervisor (ConfinementSupervisor): the executable started again by
        // the boot's first step, as /proc/self/exe. Its runtime loads what the program's did, and it
        // reads the program's memory; it runs none of the program's code. Only a network call of
        // its own would be a problem.
        var supervisors = new HashSet<string>();
        for (int i = start; i < trace.Length; i++)
        {
            string line = trace[i];
            Match call = Line.Match(line);
            if (!call.Success || !pids.Contains(call.Groups[1].Value))
            {
                continue;
            }
            string name = call.Groups[2].Value;
            if (name == "execve" && i > start && line.Contains("execve(\"/proc/self/exe\"", StringComparison.Ordinal))
            {
                supervisors.Add(call.Groups[1].Value);
            }
            if (supervisors.Contains(call.Groups[1].Value) && !NetworkCalls.Contains(name))
            {
                continue;
            }
            if (name == "write")
            {
                booted |= line.Contains("Unikraft.Gen kernel (", StringComparison.Ordinal);
                continue;
            }
            if (NetworkCalls.Contains(name))
            {
                bool diagnostics = jit && !booted && (
                    (name == "socket" && line.Contains("socket(AF_UNIX", StringComparison.Ordinal)) ||
                    (name == "bind" && line.Contains("sun_path=\"" + temporary + "/dotnet-diagnostic-", StringComparison.Ordinal)) ||
                    name == "listen");
                if (!diagnostics)
                {
                    problems.Add((booted ? "after boot: " : "before boot: ") + line);
                }
                continue;
            }
            if (!booted || line.Contains(" resumed>", StringComparison.Ordinal) || name == "getcwd")
            {
                continue;
            }
            MatchCollection paths = Quoted.Matches(line);
            int count = name is "readlink" or "readlinkat" ? Math.Min(1, paths.Count) : paths.Count;
            for (int p = 0; p < count; p++)
            {
                string path = paths[p].Groups[1].Value;
                bool anchor = name is "open" or "openat" && line.Contains("O_PATH", StringComparison.Ordinal) && anchors.Contains(path);
                if (!anchor && !Allowed(path, line, output, hostFolders, jit, temporary))
                {
                    problems.Add((booted ? "after boot: " : "before boot: ") + line);
                    break;
                }
            }
        }
        if (!booted)
        {
            problems.Add("no boot banner (\"Unikraft.Gen kernel (\") was written");
        }
        return problems.ToArray();
    }

    private static bool Allowed(string path, string line, string output, string[] hostFolders, bool jit, string temporary)
    {
        if (path.Length == 0)
        {
            return true;
        }
        if (!path.StartsWith('/'))
        {
            // Relative to a descriptor (hostfs beneath its folder), never to the host's working
            // directory.
            return Regex.IsMatch(line, @"^\d+ +[a-z0-9_]+\(\d+, ");
        }
        if (hostFolders.Any(folder => path == folder || path.StartsWith(folder + "/", StringComparison.Ordinal)))
        {
            return true;
        }
        if (path == output || path.StartsWith(output + "/", StringComparison.Ordinal) || output.StartsWith(path + "/", StringComparison.Ordinal) || path == "/")
        {
            return true;
        }
        // OpenSSL's configuration, which the library reads once, on first use (in the image Landlock
        // refuses it; HostedConfinement.RuntimeReads).
        if (path is "/usr/lib/ssl/openssl.cnf" or "/etc/ssl/openssl.cnf" && line.Contains("O_RDONLY", StringComparison.Ordinal))
        {
            return true;
        }
        // ICU's look for newer time zone data than its own (Debian's ICU_TIMEZONE_FILES_DIR), once,
        // on the first use of a zone (DateTime.Now): a stat, never an open; the image asks before
        // its filter (HostedConfinement.LoadLibrariesFirst).
        if (path.StartsWith("/usr/share/zoneinfo-icu/", StringComparison.Ordinal) && Regex.IsMatch(line, @"^\d+ +(new)?f?statx?(at)?\("))
        {
            return true;
        }
        if (path == "/etc/ld.so.cache" || path.StartsWith("/proc/", StringComparison.Ordinal) || path == "/proc" ||
            path.StartsWith("/sys/", StringComparison.Ordinal))
        {
            return true;
        }
        string last = path.Substring(path.LastIndexOf('/') + 1);
        if (LoaderFolders.Any(folder => (path + "/").StartsWith(folder, StringComparison.Ordinal)) && (last.Contains(".so", StringComparison.Ordinal) || !last.Contains('.', StringComparison.Ordinal)))
        {
            return true;
        }
        return jit && (path.StartsWith(temporary + "/clr-debug-pipe-", StringComparison.Ordinal) ||
            path.StartsWith(temporary + "/dotnet-diagnostic-", StringComparison.Ordinal));
    }
}
