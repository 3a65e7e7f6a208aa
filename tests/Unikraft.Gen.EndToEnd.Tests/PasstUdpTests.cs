namespace Unikraft.Gen.EndToEnd.Tests;

using System;
using System.Diagnostics;
using System.Text;
using System.Threading;
using Xunit;

// <UnikraftNet ... Forward="47009/udp">: passt forwards the host's UDP port to the program, with
// no root and no namespace. Programs/UdpEcho (UdpClient) runs under dotnet run; the peer is Linux's
// nc on the host, sending datagrams to 127.0.0.1:47009 and reading the echoes.
public sealed class PasstUdpTests : IClassFixture<PasstUdpTests.DebugBuild>
{
    private const int Port = 47009;

    private readonly DebugBuild build;

    public PasstUdpTests(DebugBuild build)
    {
        this.build = build;
    }

    [PasstFact]
    public void HostDatagrams_ReachTheProgramThroughPasst_AndTheEchoComesBack()
    {
        build.EnsureSucceeded();
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = Repository.Root,
        };
        foreach (string argument in new[] { "run", "--project", DebugBuild.Project, "--no-build", "--artifacts-path", build.ArtifactsPath })
        {
            start.ArgumentList.Add(argument);
        }

        var output = new StringBuilder();
        using var listening = new ManualResetEventSlim(false);
        using Process server = Process.Start(start)!;
        server.OutputDataReceived += (_, line) =>
        {
            lock (output)
            {
                output.Append(line.Data).Append('\n');
            }

            if (line.Data?.StartsWith("listening", StringComparison.Ordinal) == true)
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
        try
        {
            Assert.True(listening.Wait(TimeSpan.FromSeconds(90)), "UdpEcho did not say it listens:\n" + Text(output));

            // passt binds the host's port beside the kernel's boot: the first datagrams may find
            // nothing there yet, so the peer tries again for a while, as a UDP client would.
            string echo = "";
            DateTime end = DateTime.UtcNow + TimeSpan.FromSeconds(20);
            while (echo.Length == 0 && DateTime.UtcNow < end)
            {
                echo = Nc("hello from the host\n").StandardOutput;
            }

            Assert.True(echo == "HELLO FROM THE HOST\n", "nc got '" + echo + "'; the server said:\n" + Text(output));
            Assert.Equal("SECOND DATAGRAM\n", Nc("second datagram\n").StandardOutput);

            Nc("quit\n");
            Assert.True(server.WaitForExit(30_000), "UdpEcho did not end on 'quit':\n" + Text(output));
            server.WaitForExit();
            Assert.True(server.ExitCode == 0, "UdpEcho ended with " + server.ExitCode + ":\n" + Text(output));
            Assert.Contains("quit from the host", Text(output), StringComparison.Ordinal);
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

    // One datagram from Linux's nc on the host, and what came back within a second.
    private static CommandResult Nc(string line)
    {
        string script = "printf '%s' \"$1\" | nc -u -w 1 127.0.0.1 " + Port;
        return Command.Run("sh", ["-c", script, "nc", line], Repository.Root, TimeSpan.FromSeconds(20));
    }

    private static string Text(StringBuilder output)
    {
        lock (output)
        {
            return output.ToString();
        }
    }

    public sealed class DebugBuild : SampleBuild
    {
        public const string Project = "tests/Unikraft.Gen.EndToEnd.Tests/Programs/UdpEcho";

        public DebugBuild()
            : base(Project, "debug", "build")
        {
        }
    }
}
