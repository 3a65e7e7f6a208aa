namespace Unikraft.Gen.EndToEnd.Tests;

using System;
using System.Diagnostics;
using System.IO;
using System.Text;
using System.Threading;
using Xunit;

// <UnikraftNet ... Type="passt" Address6="auto">: IPv6 through passt, unprivileged. The kernel
// solicits passt's router advertisement and takes the router and an address from its prefix;
// passt forwards the host's ports over IPv6 too, and hands a connection the host opened to its own
// ::1 from its link-local address to the kernel's. Programs/Passt6Server is the program: curl on
// the host reaches its dual-stack listener and its [::1] listener through `curl -6 [::1]` and
// `curl localhost`, and its TCP client reaches Linux's nc on the host's ::1 through passt's
// gateway address (passt maps it to the host's loopback). Nothing leaves the host.
public sealed class PasstIpv6Tests : IClassFixture<PasstIpv6Tests.Build>
{
    private const int AnyPort = 47110;
    private const int LoopbackPort = 47111;
    private const int HostPort = 47112;

    private readonly Build build;

    public PasstIpv6Tests(Build build)
    {
        this.build = build;
    }

    [PasstFact]
    public void HostCurl_OverIpv6AndLocalhost_ReachesTheDualStackAndTheLoopbackListeners()
    {
        var output = new StringBuilder();
        using var listening = new ManualResetEventSlim(false);
        using Process server = Start(output, listening, "serve");
        try
        {
            Assert.True(listening.Wait(TimeSpan.FromSeconds(90)), "Passt6Server did not say it listens:\n" + Text(output));

            // passt binds the host's ports beside the kernel's boot: the first request may find
            // nothing there yet, so it is tried again for a while.
            string first = "";
            DateTime end = DateTime.UtcNow + TimeSpan.FromSeconds(20);
            while (!first.StartsWith("any", StringComparison.Ordinal) && DateTime.UtcNow < end)
            {
                first = Command.Run("curl", ["-s", "-6", "--max-time", "5", "http://[::1]:" + AnyPort + "/"], Path.GetTempPath(), TimeSpan.FromMinutes(1)).StandardOutput;
            }

            // Over IPv6 the host's ::1 arrives from passt's link-local address (its router's).
            Assert.True(first.StartsWith("any from ipv6 fe80:", StringComparison.Ordinal), "curl -6 [::1] got '" + first + "':\n" + Text(output));
            Assert.StartsWith("any from ipv4 ", Get("-4", "http://127.0.0.1:" + AnyPort + "/"), StringComparison.Ordinal);
            Assert.StartsWith("any from ", Get("-s", "http://localhost:" + AnyPort + "/"), StringComparison.Ordinal);
            // A listener on [::1] is reached from the host's ::1 (and from its localhost), as on the host.
            Assert.StartsWith("loopback from ipv6 fe80:", Get("-6", "http://[::1]:" + LoopbackPort + "/"), StringComparison.Ordinal);
            Assert.StartsWith("loopback from ", Get("-s", "http://localhost:" + LoopbackPort + "/"), StringComparison.Ordinal);

            Get("-6", "http://[::1]:" + AnyPort + "/quit");
            Assert.True(server.WaitForExit(30_000), "Passt6Server did not end on /quit:\n" + Text(output));
            server.WaitForExit();
            Assert.True(server.ExitCode == 0, "Passt6Server ended with " + server.ExitCode + ":\n" + Text(output));
            string log = Text(output);
            Assert.Matches("\\[uk\\] net eth0: ipv6 router fe80::[0-9a-f:]+, prefix [0-9a-f:]+/64, address [0-9a-f:]+\n", log);
        }
        finally
        {
            if (!server.HasExited)
            {
                server.Kill(entireProcessTree: true);
                server.WaitForExit();
            }
        }
    }

    [PasstFact]
    public void ProgramClient_ReachesNcOnTheHostsIpv6Loopback_ThroughPasstsGateway()
    {
        build.EnsureSucceeded();
        // passt mirrors the host's IPv6 default route: its gateway address, seen from the kernel,
        // is the host itself, and a connection to it reaches the host's ::1.
        string routes = Command.Run("ip", ["-6", "route", "show", "default"], Path.GetTempPath(), TimeSpan.FromSeconds(10)).StandardOutput;
        string[] words = routes.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        int via = Array.IndexOf(words, "via");
        Assert.True(via >= 0 && via + 1 < words.Length, "this host has no IPv6 default route, so passt offers no IPv6: " + routes);
        string gateway = words[via + 1];

        using Process nc = Process.Start(new ProcessStartInfo("sh", ["-c", "printf 'HELLO BACK\\n' | nc -6 -l -s ::1 -p " + HostPort])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        })!;
        try
        {
            Thread.Sleep(500);
            CommandResult client = Command.Run(build.OutputFile("Passt6Server"), ["connect", gateway, HostPort.ToString(System.Globalization.CultureInfo.InvariantCulture)],
                Path.GetTempPath(), TimeSpan.FromSeconds(60));

            Assert.True(client.ExitCode == 0, client.Describe());
            Assert.Matches("^from \\[[0-9a-f:]+\\]:[0-9]+ got: HELLO BACK\n$", client.StandardOutput);
            Assert.True(nc.WaitForExit(30_000), "nc did not end after the program closed its connection");
            Assert.Equal("hello from the kernel\n", nc.StandardOutput.ReadToEnd());
        }
        finally
        {
            if (!nc.HasExited)
            {
                nc.Kill(entireProcessTree: true);
                nc.WaitForExit();
            }
        }
    }

    // The body curl got; option is one more curl option (-4, -6, or -s again for neither).
    private static string Get(string option, string url)
    {
        return Curl.OnHost(["-s", option, "--max-time", "10", url]).StandardOutput;
    }

    private Process Start(StringBuilder output, ManualResetEventSlim listening, params string[] arguments)
    {
        var start = new ProcessStartInfo(build.OutputFile("Passt6Server"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetTempPath(),
        };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        Process server = Process.Start(start)!;
        server.OutputDataReceived += (_, line) =>
        {
            lock (output)
            {
                output.Append(line.Data).Append('\n');
            }

            if (line.Data == "listening")
            {
                listening.Set();
            }
        };
        server.ErrorDataReceived += (_, line) =>
        {
            lock (output)
            {
                output.Append(line.Data).Append('\n');
            }
        };
        server.BeginOutputReadLine();
        server.BeginErrorReadLine();
        return server;
    }

    private static string Text(StringBuilder output)
    {
        lock (output)
        {
            return output.ToString();
        }
    }

    public sealed class Build : SampleBuild
    {
        public const string Project = "tests/Unikraft.Gen.EndToEnd.Tests/Programs/Passt6Server";

        public Build()
            : base(Project, "debug", "build")
        {
        }
    }
}
