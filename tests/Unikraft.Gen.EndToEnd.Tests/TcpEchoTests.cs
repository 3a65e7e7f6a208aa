namespace Unikraft.Gen.EndToEnd.Tests;

using System;
using System.Diagnostics;
using System.IO;
using System.Security.Cryptography;
using Xunit;

// A TCP server on the BCL's own TcpListener, TcpClient and NetworkStream, unchanged, on the
// kernel's own TCP/IP stack: built as a user builds it, run as `dotnet run` runs it, inside a
// network namespace, with Linux's nc as its client across the kernel's TAP device. The
// synchronous server blocks in accept and read; the asynchronous one waits through the BCL's
// socket engine (its event port is the kernel's epoll).
public sealed class TcpEchoTests : IClassFixture<TcpEchoTests.Build>
{
    private const string Program = "tests/Unikraft.Gen.EndToEnd.Tests/Programs/TcpEcho";

    private readonly Build build;

    public TcpEchoTests(Build build)
    {
        this.build = build;
    }

    [NetFact]
    public void SynchronousServer_EchoesLines_ToTwoClientsInTurn()
    {
        using NetNamespace space = NetNamespace.Create("tcp");
        using Process server = space.Start(build.OutputFile("TcpEcho"), "lines", "2");
        try
        {
            space.ConfigureTap("uk0");
            Listening(server);

            CommandResult first = Client(space, "printf 'hello\\nworld\\n' | nc -N -w 10 198.18.0.2 7777");
            CommandResult second = Client(space, "printf 'again\\n' | nc -N -w 10 198.18.0.2 7777");

            Assert.Equal("echo: hello\necho: world\n", first.StandardOutput);
            Assert.Equal("echo: again\n", second.StandardOutput);
            (string output, _) = Finish(server);
            Assert.Equal("lines from 198.18.0.1\nlines from 198.18.0.1\n", output);
        }
        finally
        {
            Stop(server);
        }
    }

    [NetFact]
    public void AsynchronousServer_SendsBackAMegabyte_ByteExact()
    {
        using NetNamespace space = NetNamespace.Create("tcpa");
        string folder = Path.Combine(build.Folder, "copy-" + Guid.NewGuid().ToString("N").Substring(0, 6));
        Directory.CreateDirectory(folder);
        byte[] data = new byte[1 << 20];
        new Random(11).NextBytes(data);
        string sent = Path.Combine(folder, "sent.bin");
        string received = Path.Combine(folder, "received.bin");
        File.WriteAllBytes(sent, data);
        using Process server = space.Start(build.OutputFile("TcpEcho"), "copy", "1");
        try
        {
            space.ConfigureTap("uk0");
            Listening(server);

            Client(space, "nc -N -w 30 198.18.0.2 7777 < '" + sent + "' > '" + received + "'");

            Assert.Equal(SHA256.HashData(data), SHA256.HashData(File.ReadAllBytes(received)));
            (string output, _) = Finish(server);
            Assert.Equal("copied for 198.18.0.1\n", output);
        }
        finally
        {
            Stop(server);
        }
    }

    // The server's first line says it listens: a client that connected before it would be
    // refused (the kernel answers a SYN to a port nobody listens on with RST).
    private static void Listening(Process server)
    {
        var line = server.StandardOutput.ReadLineAsync();
        Assert.True(line.Wait(TimeSpan.FromSeconds(60)), "the server did not say it listens");
        Assert.Equal("listening on 0.0.0.0:7777", line.Result);
    }

    private static CommandResult Client(NetNamespace space, string script)
    {
        return space.Run("sh", "-c", script);
    }

    private static (string Output, string Error) Finish(Process server)
    {
        Assert.True(server.WaitForExit(TimeSpan.FromSeconds(30)), "the server did not end after its clients");
        string output = server.StandardOutput.ReadToEnd();
        string error = server.StandardError.ReadToEnd();
        Assert.True(server.ExitCode == 0, output + error);
        return (output, error);
    }

    private static void Stop(Process server)
    {
        if (!server.HasExited)
        {
            server.Kill(entireProcessTree: true);
            server.WaitForExit();
        }
    }

    public sealed class Build : SampleBuild
    {
        public Build()
            : base(Program, "tap", "build")
        {
        }
    }
}
