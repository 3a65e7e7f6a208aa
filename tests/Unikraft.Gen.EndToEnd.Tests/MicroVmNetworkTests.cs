namespace Unikraft.Gen.EndToEnd.Tests;

using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using Xunit;
using Xunit.Abstractions;

// samples/WebApi published for the microvm platform and booted in QEMU with no Linux inside:
// Kestrel on the kernel's own TCP/IP stack, on the kernel's own virtio-net driver, and QEMU's user
// network forwarding a port of the host's loopback to it. curl on the host gets the page, the
// list and a posted todo, as from the hosted program.
public sealed class MicroVmWebApiTests : IClassFixture<MicroVmWebApiTests.VmPublish>
{
    private readonly VmPublish publish;
    private readonly ITestOutputHelper output;

    public MicroVmWebApiTests(VmPublish publish, ITestOutputHelper output)
    {
        this.publish = publish;
        this.output = output;
    }

    [QemuFact]
    public void WebApiInMicroVm_AnswersCurlOnTheHost_ThroughVirtioNet()
    {
        publish.EnsureSucceeded();
        Assert.Equal("eth0|10.0.2.15/24|10.0.2.2|8080", File.ReadAllText(Path.Combine(publish.PublishPath, "WebApi.vm-net")).Trim());
        string manifest = File.ReadAllText(publish.OutputFile("WebApi.kernel.txt"));
        Assert.Contains("device: virtio-net on virtio-mmio (eth0; the runner gives it QEMU's user network, host port 8080 forwarded)", manifest, StringComparison.Ordinal);
        Assert.Contains("netdev  VirtioNetDevice", manifest, StringComparison.Ordinal);

        int port = MicroVmNet.FreePort();
        var clock = Stopwatch.StartNew();
        using KestrelServer server = KestrelServer.StartVm(Path.Combine(publish.PublishPath, "WebApi-vm"), port);
        server.WaitUntilListening();
        TimeSpan listening = clock.Elapsed;

        WebApiChecks.PageAndTodos(server, arguments => Curl.OnHost(arguments), "http://127.0.0.1:" + port);

        Assert.Contains("[uk] net eth0: 10.0.2.15/24 via 10.0.2.2, 52:54:00:12:34:56, mtu 1500", server.Output, StringComparison.Ordinal);
        output.WriteLine("QEMU start to Kestrel listening: " + listening.TotalSeconds.ToString("0.00", System.Globalization.CultureInfo.InvariantCulture)
            + " s; the checks' five requests took " + (clock.Elapsed - listening).TotalSeconds.ToString("0.00", System.Globalization.CultureInfo.InvariantCulture) + " s.");
    }

    // Kestrel on localhost in the VM (a `dotnet new web` app's usual URL, and Kestrel's default):
    // the runner forwards the host's 127.0.0.1, slirp hands such a connection over from the
    // gateway, and the kernel lets it reach the loopback listener, as passt's does on hosted.
    [QemuFact]
    public void WebApiInMicroVm_OnLocalhost_AnswersCurlOnTheHost()
    {
        publish.EnsureSucceeded();
        int port = MicroVmNet.FreePort();
        using KestrelServer server = KestrelServer.StartVm(Path.Combine(publish.PublishPath, "WebApi-vm"), port, "--urls", "http://localhost:8080");
        server.WaitUntilListening();

        WebApiChecks.PageAndTodos(server, arguments => Curl.OnHost(arguments), "http://127.0.0.1:" + port);
        Assert.Contains("Now listening on: http://localhost:8080", server.Output, StringComparison.Ordinal);
    }

    public sealed class VmPublish : SampleBuild
    {
        public VmPublish()
            : base("WebApi", "microvm", "publish", "-c", "Release", "-r", "linux-x64", "-p:PublishAot=true", "-p:UnikraftPlatform=microvm", "-o", "{publish}")
        {
        }
    }
}

// Programs/TcpEcho in a microvm: a client on the host talks to it through the forwarded port, line
// by line and then in bulk (more frames than the virtio rings hold, both ways), and the program
// ends the VM with its own status once it has served them.
public sealed class MicroVmTcpEchoTests : IClassFixture<MicroVmTcpEchoTests.VmPublish>
{
    private readonly VmPublish publish;
    private readonly ITestOutputHelper output;

    public MicroVmTcpEchoTests(VmPublish publish, ITestOutputHelper output)
    {
        this.publish = publish;
        this.output = output;
    }

    [QemuFact]
    public void EchoInMicroVm_AnswersLinesFromTheHost_ThenExitsWithZero()
    {
        using var vm = MicroVmNet.Boot(publish, 7777, "lines", "1");

        using (var client = vm.Connect())
        using (NetworkStream stream = client.GetStream())
        {
            var writer = new StreamWriter(stream, new UTF8Encoding(false)) { AutoFlush = true, NewLine = "\n" };
            var reader = new StreamReader(stream, new UTF8Encoding(false));
            writer.WriteLine("hello, VM");
            Assert.Equal("echo: hello, VM", reader.ReadLine());
            writer.WriteLine("a second line");
            Assert.Equal("echo: a second line", reader.ReadLine());
        }

        Assert.Equal(0, vm.WaitForExit());
        Assert.Contains("lines from 10.0.2.2\n", vm.Output, StringComparison.Ordinal);
    }

    // The same card on passt instead of QEMU's user network (UNIKRAFT_VM_NETWORK=passt): QEMU's
    // stream netdev on passt's socket, the host's port forwarded by passt, the connection from the
    // host's loopback presented as from the gateway, as the user network presents it.
    [PasstFact]
    public void EchoInMicroVm_OnPasst_AnswersLinesFromTheHost_ThenExitsWithZero()
    {
        using var vm = MicroVmNet.Boot(publish, 7777, new Dictionary<string, string> { ["UNIKRAFT_VM_NETWORK"] = "passt" }, ["lines", "1"]);

        using (var client = vm.Connect())
        using (NetworkStream stream = client.GetStream())
        {
            var writer = new StreamWriter(stream, new UTF8Encoding(false)) { AutoFlush = true, NewLine = "\n" };
            var reader = new StreamReader(stream, new UTF8Encoding(false));
            writer.WriteLine("hello, passt");
            Assert.Equal("echo: hello, passt", reader.ReadLine());
        }

        Assert.Equal(0, vm.WaitForExit());
        Assert.Contains("lines from 10.0.2.2\n", vm.Output, StringComparison.Ordinal);
    }

    // TLS through QEMU's user network: the program's SslStream server (OpenSSL linked into the
    // image) with a certificate it made at start, and this process's SslStream as the client,
    // trusting exactly that certificate's subject (the test has no other way to know it).
    [QemuFact]
    public void EchoInMicroVm_OverTls_AnswersLinesFromTheHost_WithTls13()
    {
        using var vm = MicroVmNet.Boot(publish, 7777, "tls", "1");

        string? subject = null;
        using (var client = vm.Connect())
        using (var tls = new System.Net.Security.SslStream(client.GetStream(), false, (_, certificate, _, _) =>
        {
            subject = certificate?.Subject;
            return subject == "CN=TcpEcho";
        }))
        {
            tls.AuthenticateAsClient(new System.Net.Security.SslClientAuthenticationOptions { TargetHost = "TcpEcho" });
            Assert.Equal(System.Security.Authentication.SslProtocols.Tls13, tls.SslProtocol);
            var writer = new StreamWriter(tls, new UTF8Encoding(false)) { AutoFlush = true, NewLine = "\n" };
            var reader = new StreamReader(tls, new UTF8Encoding(false));
            writer.WriteLine("hello, VM, privately");
            Assert.Equal("echo over Tls13: hello, VM, privately", reader.ReadLine());
            tls.ShutdownAsync().GetAwaiter().GetResult();
            client.Client.Shutdown(SocketShutdown.Send);
        }

        Assert.Equal("CN=TcpEcho", subject);
        Assert.Equal(0, vm.WaitForExit());
        Assert.Contains("tls lines from 10.0.2.2\n", vm.Output, StringComparison.Ordinal);
    }

    [QemuFact]
    public void EchoInMicroVm_CopiesAMegabyteBack_Intact()
    {
        using var vm = MicroVmNet.Boot(publish, 7777, "copy", "1");
        byte[] sent = new byte[1 << 20];
        new Random(14).NextBytes(sent);
        byte[] received = new byte[sent.Length];

        var clock = Stopwatch.StartNew();
        using (var client = vm.Connect())
        using (NetworkStream stream = client.GetStream())
        {
            var writer = new Thread(() =>
            {
                stream.Write(sent);
                client.Client.Shutdown(SocketShutdown.Send);
            });
            writer.Start();
            int total = 0;
            int read;
            while ((read = stream.Read(received, total, received.Length - total)) > 0)
            {
                total += read;
                if (total == received.Length)
                {
                    break;
                }
            }
            writer.Join();
            Assert.Equal(sent.Length, total);
        }
        double seconds = clock.Elapsed.TotalSeconds;

        Assert.True(sent.AsSpan().SequenceEqual(received), "the bytes echoed back differ from those sent");
        Assert.Equal(0, vm.WaitForExit());
        Assert.Contains("copied for 10.0.2.2\n", vm.Output, StringComparison.Ordinal);
        output.WriteLine("1 MiB each way through the VM's virtio-net (TCG): " + seconds.ToString("0.00", System.Globalization.CultureInfo.InvariantCulture) + " s.");
    }

    public sealed class VmPublish : SampleBuild
    {
        public VmPublish()
            : base("tests/Unikraft.Gen.EndToEnd.Tests/Programs/TcpEcho", "microvm", "publish", "-c", "Release", "-r", "linux-x64", "-p:PublishAot=true", "-p:UnikraftPlatform=microvm", "-o", "{publish}")
        {
        }
    }
}

// `dotnet run -p:UnikraftPlatform=microvm` on Programs/TcpEcho, as a user types it: the run
// publishes the image into obj/microvm-run/ and boots it with the program's network card and its
// forwarded port, so a client on the host talks to the program in the VM.
public sealed class MicroVmDotnetRunTests : IDisposable
{
    // NOTE: the run builds the program, then publishes it with NativeAOT (two ILC compiles, the
    // kernel served by the link's imports), a few minutes on a busy two-core machine.
    private static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(15);

    private readonly string folder = Directory.CreateTempSubdirectory("unikraft-e2e-tcpecho-dotnet-run-").FullName;

    public void Dispose()
    {
        if (Environment.GetEnvironmentVariable("UNIKRAFT_E2E_KEEP") != "1")
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [QemuFact]
    public void DotnetRun_OnMicroVm_BootsWithTheNetworkCard_AndTheForwardedPort()
    {
        string artifacts = Path.Combine(folder, "artifacts");
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Repository.Root,
        };
        foreach (string argument in new[] { "run", "--project", "tests/Unikraft.Gen.EndToEnd.Tests/Programs/TcpEcho", "-p:UnikraftPlatform=microvm",
            "--artifacts-path", artifacts, "--", "lines", "1" })
        {
            start.ArgumentList.Add(argument);
        }
        // As Command.Run does: the test host's MSBuild and test-platform variables would steer the
        // nested builds. (`dotnet run` hands an option it does not know to the program, so node
        // reuse is turned off by the environment, not by -nodeReuse:false.)
        foreach (string name in start.Environment.Keys.Where(name => name.StartsWith("MSBUILD", StringComparison.OrdinalIgnoreCase) ||
            name.StartsWith("VSTEST", StringComparison.OrdinalIgnoreCase) || name.StartsWith("UNIKRAFT_", StringComparison.OrdinalIgnoreCase)).ToArray())
        {
            start.Environment.Remove(name);
        }
        start.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        foreach (KeyValuePair<string, string> variable in GeneratorChain.NestedBuildEnvironment(RunTimeout))
        {
            start.Environment[variable.Key] = variable.Value;
        }

        using var vm = MicroVmNet.Start(start, MicroVmNet.FreePort(), 7777, RunTimeout);
        using (var client = vm.Connect())
        using (NetworkStream stream = client.GetStream())
        {
            var writer = new StreamWriter(stream, new UTF8Encoding(false)) { AutoFlush = true, NewLine = "\n" };
            var reader = new StreamReader(stream, new UTF8Encoding(false));
            writer.WriteLine("through dotnet run");
            Assert.Equal("echo: through dotnet run", reader.ReadLine());
        }

        Assert.Equal(0, vm.WaitForExit());
        Assert.Contains("lines from 10.0.2.2\n", vm.Output, StringComparison.Ordinal);
        Assert.Contains("[uk] net eth0: 10.0.2.15/24 via 10.0.2.2", vm.Output, StringComparison.Ordinal);
        string run = Path.Combine(artifacts, "obj", "TcpEcho", "microvm-run");
        Assert.Equal("eth0|10.0.2.15/24|10.0.2.2|7777", File.ReadAllText(Path.Combine(run, "TcpEcho.vm-net")).Trim());
        Assert.True(File.Exists(Path.Combine(run, "TcpEcho.vm")), "no image in " + run);
    }
}

// The runner's QEMU command line for the cards <name>.vm-net lists, seen through a stand-in for
// QEMU that writes its arguments down and ends the "VM" with status 0 (no image is booted).
public sealed class MicroVmRunnerNetworkTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("uk-vm-runner-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    [Fact]
    public void Runner_PutsEachCardOnAUserNetwork_AsItsItemSays_AndForwardsItsPorts()
    {
        string arguments = Run("eth0|198.18.5.9/16|198.18.0.1|8080,8443\neth1|10.0.3.15/24||\n", new Dictionary<string, string>());

        Assert.Contains("-machine microvm,pit=on,rtc=on,ioapic2=off ", arguments, StringComparison.Ordinal);
        Assert.Contains(" -global virtio-mmio.force-legacy=false ", arguments, StringComparison.Ordinal);
        Assert.Contains(" -netdev user,id=eth0,net=198.18.0.0/16,host=198.18.0.1,hostfwd=tcp:127.0.0.1:8080-198.18.5.9:8080,hostfwd=tcp:127.0.0.1:8443-198.18.5.9:8443 -device virtio-net-device,netdev=eth0 ", arguments, StringComparison.Ordinal);
        Assert.Contains(" -netdev user,id=eth1,net=10.0.3.0/24 -device virtio-net-device,netdev=eth1 ", arguments, StringComparison.Ordinal);
        // The first card's -device comes first: the kernel opens the cards in the items' order.
        Assert.True(arguments.IndexOf("netdev=eth0", StringComparison.Ordinal) < arguments.IndexOf("netdev=eth1", StringComparison.Ordinal));
    }

    [Fact]
    public void Runner_ForwardsTheGivenPortsInstead_AndRestrictsTheNetworkWhenAsked()
    {
        string arguments = Run("eth0|10.0.2.15/24|10.0.2.2|8080\n", new Dictionary<string, string>
        {
            ["UNIKRAFT_VM_FORWARD"] = "18080:8080 18443:443",
            ["UNIKRAFT_VM_NET_RESTRICT"] = "1",
        });

        Assert.Contains(" -netdev user,id=eth0,net=10.0.2.0/24,host=10.0.2.2,restrict=on,hostfwd=tcp:127.0.0.1:18080-10.0.2.15:8080,hostfwd=tcp:127.0.0.1:18443-10.0.2.15:443 ", arguments, StringComparison.Ordinal);
        Assert.DoesNotContain("127.0.0.1:8080-", arguments, StringComparison.Ordinal);
    }

    // UNIKRAFT_VM_NETWORK=passt: a passt per card (a stand-in here that writes its arguments down),
    // set up as the item says and forwarding its ports from the host's loopback, reached through
    // QEMU's stream netdev on the socket it was told to make.
    [Fact]
    public void Runner_WithPasst_StartsOnePerCard_AndGivesQemuItsSocket()
    {
        (string passt, string record) = PasstStandIn();

        string arguments = Run("eth0|198.18.5.9/16|198.18.0.1|8080,8443\neth1|10.0.3.15/24||\n", new Dictionary<string, string>
        {
            ["UNIKRAFT_VM_NETWORK"] = "passt",
            ["UNIKRAFT_PASST"] = passt,
        });

        string[] lines = File.ReadAllLines(record);
        string[] started = lines.Where(line => !line.StartsWith("pid ", StringComparison.Ordinal)).ToArray();
        Assert.Equal(2, started.Length);
        Assert.Matches(@"^-f -q -4 -1 -a 198\.18\.5\.9 -n 16 -s /\S+/eth0\.socket -g 198\.18\.0\.1 -t 127\.0\.0\.1/8080 -t 127\.0\.0\.1/8443$", started[0]);
        Assert.Matches(@"^-f -q -4 -1 -a 10\.0\.3\.15 -n 24 -s /\S+/eth1\.socket$", started[1]);
        string socket = started[0].Split(' ')[9];
        Assert.Contains(" -netdev stream,id=eth0,server=off,addr.type=unix,addr.path=" + socket + " -device virtio-net-device,netdev=eth0 ", arguments, StringComparison.Ordinal);
        Assert.Contains(",addr.path=" + started[1].Split(' ')[9] + " -device virtio-net-device,netdev=eth1 ", arguments, StringComparison.Ordinal);
        Assert.DoesNotContain("-netdev user", arguments, StringComparison.Ordinal);
        // Once the VM has ended, the runner has ended each passt and removed its folder of sockets,
        // pids and logs.
        Assert.False(Directory.Exists(Path.GetDirectoryName(socket)), "the runner left " + Path.GetDirectoryName(socket));
        foreach (string pid in lines.Where(line => line.StartsWith("pid ", StringComparison.Ordinal)).Select(line => line[4..]))
        {
            string status = Path.Combine("/proc", pid, "status");
            for (int wait = 0; wait < 50 && File.Exists(status) && !File.ReadAllText(status).Contains("State:\tZ", StringComparison.Ordinal); wait++)
            {
                Thread.Sleep(100);
            }
            Assert.True(!File.Exists(status) || File.ReadAllText(status).Contains("State:\tZ", StringComparison.Ordinal), "passt (pid " + pid + ") still runs");
        }
    }

    [Fact]
    public void Runner_WithPasst_ForwardsTheGivenPorts_AndDropsUdpAndIcmpWhenRestricted()
    {
        (string passt, string record) = PasstStandIn();

        Run("eth0|10.0.2.15/24|10.0.2.2|8080\n", new Dictionary<string, string>
        {
            ["UNIKRAFT_VM_NETWORK"] = "passt",
            ["UNIKRAFT_PASST"] = passt,
            ["UNIKRAFT_VM_FORWARD"] = "18080:8080 18443:443",
            ["UNIKRAFT_VM_NET_RESTRICT"] = "1",
        });

        Assert.EndsWith(" -g 10.0.2.2 --no-udp --no-icmp -t 127.0.0.1/18080:8080 -t 127.0.0.1/18443:443", File.ReadAllLines(record)[0], StringComparison.Ordinal);
    }

    // A stand-in for passt that writes its arguments and its pid down, binds the UNIX socket it is
    // told to (the runner waits for it), and stays until it is ended.
    private (string Program, string Record) PasstStandIn()
    {
        string passt = Path.Combine(folder, "passt");
        string record = Path.Combine(folder, "passt-arguments.txt");
        File.WriteAllText(passt, "#!/bin/sh\n"
            + "echo \"$*\" >> '" + record + "'\n"
            + "echo \"pid $$\" >> '" + record + "'\n"
            + "while [ $# -gt 0 ]; do [ \"$1\" = -s ] && python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' \"$2\"; shift; done\n"
            + "exec sleep 60\n");
        Assert.Equal(0, Command.Run("chmod", ["+x", passt], folder, TimeSpan.FromSeconds(30)).ExitCode);
        return (passt, record);
    }

    [Fact]
    public void Runner_WithPasstMissing_NamesItsPackage()
    {
        File.Copy(Path.Combine(Repository.Root, "kernel", "Platform", "MicroVm", "boot-microvm.sh"), Path.Combine(folder, "App-vm"));
        File.WriteAllText(Path.Combine(folder, "App.vm"), "not booted");
        File.WriteAllText(Path.Combine(folder, "App.vm-net"), "eth0|10.0.2.15/24|10.0.2.2|8080\n");
        File.WriteAllText(Path.Combine(folder, "qemu"), "#!/bin/sh\nexit 3\n");
        Assert.Equal(0, Command.Run("chmod", ["+x", Path.Combine(folder, "qemu"), Path.Combine(folder, "App-vm")], folder, TimeSpan.FromSeconds(30)).ExitCode);

        CommandResult run = Command.Run(Path.Combine(folder, "App-vm"), [], folder, TimeSpan.FromSeconds(30), new Dictionary<string, string>
        {
            ["UNIKRAFT_QEMU"] = Path.Combine(folder, "qemu"),
            ["UNIKRAFT_VM_NETWORK"] = "passt",
            ["UNIKRAFT_PASST"] = Path.Combine(folder, "no-passt-here"),
        }, input: "");

        Assert.Equal(127, run.ExitCode);
        Assert.Contains("install passt (Debian and Ubuntu: apt-get install passt)", run.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public void Runner_WithoutVmNet_GivesQemuNoNetwork()
    {
        string arguments = Run(null, new Dictionary<string, string>());

        Assert.Contains("-machine microvm,pit=on,rtc=on ", arguments, StringComparison.Ordinal);
        Assert.DoesNotContain("-netdev", arguments, StringComparison.Ordinal);
        Assert.DoesNotContain("virtio", arguments, StringComparison.Ordinal);
    }

    // The runner as publish lays it out (App-vm beside App.vm and App.vm-net), with a QEMU that
    // records its arguments; returns the arguments of the boot (the KVM probe's are not recorded:
    // the stand-in fails it, so the runner takes TCG).
    private string Run(string? vmNet, Dictionary<string, string> environment)
    {
        string runner = Path.Combine(folder, "App-vm");
        File.Copy(Path.Combine(Repository.Root, "kernel", "Platform", "MicroVm", "boot-microvm.sh"), runner);
        File.WriteAllText(Path.Combine(folder, "App.vm"), "not booted");
        if (vmNet != null)
        {
            File.WriteAllText(Path.Combine(folder, "App.vm-net"), vmNet);
        }
        string record = Path.Combine(folder, "arguments.txt");
        string qemu = Path.Combine(folder, "qemu");
        File.WriteAllText(qemu, "#!/bin/sh\n"
            + "case \"$*\" in *uk.probe=1*) exit 3;; '-netdev help') printf 'user\\nstream\\n'; exit 0;; esac\n"
            + "echo \"$*\" > '" + record + "'\n"
            + "for argument in \"$@\"; do case \"$argument\" in file:*) echo 'exit 0' > \"${argument#file:}\";; esac; done\n");
        Assert.Equal(0, Command.Run("chmod", ["+x", qemu, runner], folder, TimeSpan.FromSeconds(30)).ExitCode);
        environment["UNIKRAFT_QEMU"] = qemu;

        CommandResult run = Command.Run(runner, [], folder, TimeSpan.FromSeconds(30), environment, input: "");

        Assert.True(run.ExitCode == 0, run.Describe());
        return File.ReadAllText(record).Trim() + " ";
    }
}

// A microvm booted by its runner with a network: the host's free port forwarded to the program's,
// its output gathered as it comes.
internal sealed class MicroVmNet : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    private readonly Process process;
    private readonly StringBuilder output = new StringBuilder();
    private readonly ManualResetEventSlim listening = new ManualResetEventSlim(false);

    private MicroVmNet(Process process, int port)
    {
        this.process = process;
        Port = port;
        process.OutputDataReceived += (_, line) => Received(line.Data);
        process.ErrorDataReceived += (_, line) => Received(line.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public int Port { get; }

    public string Output
    {
        get
        {
            lock (output)
            {
                return output.ToString();
            }
        }
    }

    // A port of the host's loopback that nothing listens on now.
    public static int FreePort()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        int port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return port;
    }

    // Boots the image, forwarding a free host port to guestPort, and waits for the program's
    // "listening on" line (before it, QEMU's forwarder would take a connection and drop it).
    public static MicroVmNet Boot(SampleBuild publish, int guestPort, params string[] arguments)
    {
        return Boot(publish, guestPort, new Dictionary<string, string>(), arguments);
    }

    // The same, with more of the runner's variables (UNIKRAFT_VM_NETWORK=passt).
    public static MicroVmNet Boot(SampleBuild publish, int guestPort, IReadOnlyDictionary<string, string> environment, string[] arguments)
    {
        publish.EnsureSucceeded();
        string? missing = MicroVm.Missing();
        Assert.True(missing is null, "The microvm tests boot QEMU, and " + missing);
        int port = FreePort();
        var start = new ProcessStartInfo(Path.Combine(publish.PublishPath, publish.Sample + "-vm"))
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = publish.PublishPath,
        };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        foreach (KeyValuePair<string, string> variable in environment)
        {
            start.Environment[variable.Key] = variable.Value;
        }
        return Start(start, port, guestPort, Timeout);
    }

    // Starts a command that boots a VM (a runner, or `dotnet run` on microvm), forwarding the free
    // host port to guestPort, and waits as long as listenTimeout for the program's "listening on".
    public static MicroVmNet Start(ProcessStartInfo start, int port, int guestPort, TimeSpan listenTimeout)
    {
        start.Environment["UNIKRAFT_VM_FORWARD"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture) + ":" + guestPort.ToString(System.Globalization.CultureInfo.InvariantCulture);
        start.Environment["UNIKRAFT_VM_NET_RESTRICT"] = "1";
        var vm = new MicroVmNet(Process.Start(start)!, port);
        vm.process.StandardInput.Close();
        DateTime end = DateTime.UtcNow + listenTimeout;
        while (!vm.listening.Wait(100))
        {
            if (vm.process.HasExited || DateTime.UtcNow > end)
            {
                Assert.Fail("the VM did not say it listens:\n" + vm.Output);
            }
        }
        return vm;
    }

    public TcpClient Connect()
    {
        var client = new TcpClient();
        client.Connect(IPAddress.Loopback, Port);
        client.ReceiveTimeout = (int)Timeout.TotalMilliseconds;
        client.SendTimeout = (int)Timeout.TotalMilliseconds;
        return client;
    }

    // The program's exit status, as the runner gives it.
    public int WaitForExit()
    {
        if (!process.WaitForExit(Timeout))
        {
            Assert.Fail("the VM did not end:\n" + Output);
        }
        process.WaitForExit();
        return process.ExitCode;
    }

    public void Dispose()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
        }
        process.Dispose();
        listening.Dispose();
    }

    private void Received(string? line)
    {
        if (line == null)
        {
            return;
        }
        lock (output)
        {
            output.Append(line).Append('\n');
        }
        if (line.StartsWith("listening on ", StringComparison.Ordinal))
        {
            listening.Set();
        }
    }
}
