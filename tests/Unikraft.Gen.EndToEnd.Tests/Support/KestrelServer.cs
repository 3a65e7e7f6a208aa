namespace Unikraft.Gen.EndToEnd.Tests;

using System;
using System.Diagnostics;
using System.Text;
using System.Threading;
using Xunit;

// An ASP.NET Core sample (samples/WebApi, samples/StaticSite) running as a test started it (its
// build output or its NativeAOT binary, on the host or inside a network namespace): its output
// gathered as it comes, its start awaited on Kestrel's "Now listening on" line, and its end asked
// for with SIGTERM, as a service manager (or Ctrl+C) asks.
internal sealed class KestrelServer : IDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(30);

    private readonly Process process;
    private readonly StringBuilder output = new StringBuilder();
    private readonly ManualResetEventSlim listening = new ManualResetEventSlim(false);

    private readonly string name;
    private readonly string ready;

    private KestrelServer(Process process, string program, string ready = "Now listening on:")
    {
        this.process = process;
        this.ready = ready;
        name = System.IO.Path.GetFileName(program);
        process.OutputDataReceived += (_, line) => Received(line.Data);
        process.ErrorDataReceived += (_, line) => Received(line.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

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

    // The program on the host: passt forwards the host's port to it. host: the address Kestrel
    // listens on (its --urls), every IPv4 address unless told.
    public static KestrelServer Start(string program, int port, string host = "0.0.0.0") =>
        StartHost(program, "Now listening on:", "--urls", "http://" + host + ":" + port);

    // Another long-running .NET host (a `dotnet new worker` service) on the host, from its own
    // folder, its start awaited on the line ready of its output.
    public static KestrelServer StartHost(string program, string ready, params string[] arguments)
    {
        var start = new ProcessStartInfo(program)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = System.IO.Path.GetDirectoryName(program)!,
        };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        return new KestrelServer(Process.Start(start)!, program, ready);
    }

    // `dotnet run --no-build` of a project built into artifacts, from the repository root, as a
    // developer runs it: with its launch profile (Properties/launchSettings.json), its URLs and
    // environment.
    public static KestrelServer StartDotnetRun(string project, string artifacts)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Repository.Root,
        };
        foreach (string argument in new[] { "run", "--project", project, "--no-build", "--artifacts-path", artifacts })
        {
            start.ArgumentList.Add(argument);
        }
        return new KestrelServer(Process.Start(start)!, project);
    }

    // The program in a microvm, booted by its runner (<name>-vm): QEMU's user network forwards the
    // host's 127.0.0.1:hostPort to the program's 8080, and nothing else reaches out of the VM
    // (UNIKRAFT_VM_NET_RESTRICT). A VM has no SIGTERM to take: Dispose ends QEMU.
    public static KestrelServer StartVm(string runner, int hostPort, params string[] arguments)
    {
        var start = new ProcessStartInfo(runner)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = System.IO.Path.GetDirectoryName(runner)!,
        };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        start.Environment["UNIKRAFT_VM_FORWARD"] = hostPort.ToString(System.Globalization.CultureInfo.InvariantCulture) + ":8080";
        start.Environment["UNIKRAFT_VM_NET_RESTRICT"] = "1";
        return new KestrelServer(Process.Start(start)!, runner);
    }

    // The program inside a network namespace, on its TAP device; its port is the sample's 8080.
    public static KestrelServer StartIn(NetNamespace space, string program)
    {
        return new KestrelServer(space.Start(program), program);
    }

    // Waits for Kestrel to say it listens; a program that stopped first fails the test with
    // what it wrote.
    public void WaitUntilListening()
    {
        DateTime end = DateTime.UtcNow + StartTimeout;
        while (!listening.Wait(100))
        {
            if (process.HasExited)
            {
                process.WaitForExit();
                Assert.Fail(name + " ended (status " + process.ExitCode + ") before it listened:\n" + Output);
            }
            if (DateTime.UtcNow > end)
            {
                Assert.Fail(name + " did not say it listens within " + StartTimeout.TotalSeconds + " s:\n" + Output);
            }
        }
    }

    // Waits until the host's port takes connections. passt binds it after it started and dropped
    // its privileges, in parallel with the kernel's boot: a NativeAOT program can say it listens
    // before passt does (seen: the first curl refused at once), so a host-side client waits for
    // the port as it would for any forwarder. The kernel's boot does not wait for passt yet.
    public static void WaitForHostPort(int port)
    {
        DateTime end = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (true)
        {
            using var client = new System.Net.Sockets.TcpClient();
            try
            {
                client.Connect(System.Net.IPAddress.Loopback, port);
                return;
            }
            catch (System.Net.Sockets.SocketException) when (DateTime.UtcNow < end)
            {
                Thread.Sleep(100);
            }
        }
    }

    // SIGTERM, as `kill` or a service manager sends it: the host shuts down and the process ends.
    // Returns the exit status.
    public int Stop()
    {
        if (!process.HasExited)
        {
            Command.Run("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)], System.IO.Path.GetTempPath(), StopTimeout);
        }
        if (!process.WaitForExit(StopTimeout))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            Assert.Fail(name + " did not end within " + StopTimeout.TotalSeconds + " s of SIGTERM:\n" + Output);
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
        if (line.Contains(ready, StringComparison.Ordinal))
        {
            listening.Set();
        }
    }
}
