namespace Unikraft.Gen.EndToEnd.Tests;

using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
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
            + "case \"$*\" in *uk.probe=1*) exit 3;; '-netdev help') echo user; exit 0;; esac\n"
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
        start.Environment["UNIKRAFT_VM_FORWARD"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture) + ":" + guestPort.ToString(System.Globalization.CultureInfo.InvariantCulture);
        start.Environment["UNIKRAFT_VM_NET_RESTRICT"] = "1";
        var vm = new MicroVmNet(Process.Start(start)!, port);
        vm.process.StandardInput.Close();
        DateTime end = DateTime.UtcNow + Timeout;
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
