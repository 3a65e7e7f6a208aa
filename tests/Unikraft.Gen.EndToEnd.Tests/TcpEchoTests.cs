namespace Unikraft.Gen.EndToEnd.Tests;

using System;
using System.Diagnostics;
using System.IO;
using System.Security.Cryptography;
using System.Threading;
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

    // A server that writes, closes and ends at once, to a client that starts reading a second
    // later: most of what it wrote is still in the kernel's send buffer when the program exits
    // (Linux's receive window holds about 128 KB of it), and the exit waits until the client has
    // it all, as the host's exit hands unsent data to the host's TCP.
    [NetFact]
    public void ServerThatClosesAndExits_AtOnce_LosesNothing()
    {
        using NetNamespace space = NetNamespace.Create("tcpx");
        const int Length = 320 * 1024;
        string received = Path.Combine(build.Folder, "sent-" + Guid.NewGuid().ToString("N").Substring(0, 6) + ".bin");
        using Process server = space.Start(build.OutputFile("TcpEcho"), "send", "1", Length.ToString(System.Globalization.CultureInfo.InvariantCulture));
        try
        {
            space.ConfigureTap("uk0");
            Listening(server);

            // nc stops reading the socket once the pipe is full, until the reader starts.
            Client(space, "nc -d -w 30 198.18.0.2 7777 | (sleep 1; cat > '" + received + "')");

            byte[] expected = new byte[Length];
            for (int i = 0; i < expected.Length; i++)
            {
                expected[i] = (byte)(i * 7);
            }
            byte[] got = File.ReadAllBytes(received);
            Assert.True(got.Length == Length, "the client got " + got.Length + " of " + Length + " bytes");
            Assert.Equal(SHA256.HashData(expected), SHA256.HashData(got));
            (string output, string error) = Finish(server);
            Assert.Equal("sent " + Length + "\n", output);
            Assert.DoesNotContain("not acknowledged", error, StringComparison.Ordinal);
        }
        finally
        {
            Stop(server);
        }
    }

    // TCP over IPv6: a TcpListener on IPv6Any with DualMode, the kernel at 2001:2::2; Linux's
    // nc -6 sends a megabyte and gets it back byte-exact, and an IPv4 client of the same listener
    // is served too, seen as ::ffff:198.18.0.1. Only 198.18.0.0/15 and 2001:2::/48 (RFC 5180),
    // only inside the namespace.
    [NetFact]
    public void DualModeListener_EchoesAMegabyteOverIpv6_AndServesAnIpv4Client()
    {
        using NetNamespace space = NetNamespace.Create("tcp6");
        string folder = Path.Combine(build.Folder, "copy6-" + Guid.NewGuid().ToString("N").Substring(0, 6));
        Directory.CreateDirectory(folder);
        byte[] data = new byte[1 << 20];
        new Random(13).NextBytes(data);
        string sent = Path.Combine(folder, "sent.bin");
        File.WriteAllBytes(sent, data);
        using Process server = space.Start(build.OutputFile("TcpEcho"), "copy6", "2");
        try
        {
            ConfigureTap6(space);
            Listening(server, "listening on [::]:7777");

            Client(space, "nc -6 -N -w 30 2001:2::2 7777 < '" + sent + "' > '" + Path.Combine(folder, "received6.bin") + "'");
            Client(space, "nc -4 -N -w 30 198.18.0.2 7777 < '" + sent + "' > '" + Path.Combine(folder, "received4.bin") + "'");

            Assert.Equal(SHA256.HashData(data), SHA256.HashData(File.ReadAllBytes(Path.Combine(folder, "received6.bin"))));
            Assert.Equal(SHA256.HashData(data), SHA256.HashData(File.ReadAllBytes(Path.Combine(folder, "received4.bin"))));
            (string output, _) = Finish(server);
            Assert.Equal("copied for 2001:2::1\ncopied for ::ffff:198.18.0.1\n", output);
        }
        finally
        {
            Stop(server);
        }
    }

    // The other direction: the program's TcpClient(AddressFamily.InterNetworkV6) connects to
    // Linux's nc -6 -l on 2001:2::1, and a megabyte goes each way at once, byte-exact.
    [NetFact]
    public void Ipv6Client_MovesAMegabyteBothWays_WithALinuxListener()
    {
        using NetNamespace space = NetNamespace.Create("tcp6c");
        const int Length = 1 << 20;
        string folder = Path.Combine(build.Folder, "connect6-" + Guid.NewGuid().ToString("N").Substring(0, 6));
        Directory.CreateDirectory(folder);
        byte[] download = new byte[Length];
        new Random(17).NextBytes(download);
        string toProgram = Path.Combine(folder, "to-program.bin");
        string fromProgram = Path.Combine(folder, "from-program.bin");
        File.WriteAllBytes(toProgram, download);
        using Process listener = space.Start("sh", "-c", "exec nc -6 -l -N -w 30 9000 < '" + toProgram + "' > '" + fromProgram + "'");
        using Process client = space.Start(build.OutputFile("TcpEcho"), "connect6", "2001:2::1", "9000", Length.ToString(System.Globalization.CultureInfo.InvariantCulture));
        try
        {
            ConfigureTap6(space);
            DateTime end = DateTime.UtcNow + TimeSpan.FromSeconds(10);
            while (!space.Run("ss", "-H", "-6", "-ltn", "sport = :9000").StandardOutput.Contains("9000", StringComparison.Ordinal))
            {
                Assert.True(DateTime.UtcNow < end, "Linux's nc did not listen on port 9000");
                Thread.Sleep(50);
            }
            client.StandardInput.WriteLine("go");
            client.StandardInput.Flush();

            (string output, _) = Finish(client);
            Assert.True(listener.WaitForExit(TimeSpan.FromSeconds(30)), "Linux's nc did not end");
            byte[] expected = new byte[Length];
            for (int i = 0; i < expected.Length; i++)
            {
                expected[i] = (byte)(i * 7);
            }
            Assert.Equal(SHA256.HashData(expected), SHA256.HashData(File.ReadAllBytes(fromProgram)));
            Assert.Matches(@"^connected from \[2001:2::2\]:\d+ to \[2001:2::1\]:9000\n", output);
            string expectedEnd = "received " + Length + " sha256 " + Convert.ToHexStringLower(SHA256.HashData(download)) + "\n";
            Assert.True(output.EndsWith(expectedEnd, StringComparison.Ordinal), "the program said: " + output);
        }
        finally
        {
            Stop(client);
            Stop(listener);
        }
    }

    // The Linux side of the TAP device with IPv6 too: 2001:2::1/64, no duplicate address
    // detection to wait out, no router solicitations.
    private static void ConfigureTap6(NetNamespace space)
    {
        Assert.True(space.WaitForLink("uk0", TimeSpan.FromSeconds(60)), "the kernel made no TAP device uk0 in " + space.Name);
        space.Run("sysctl", "-q", "-w", "net.ipv6.conf.uk0.accept_dad=0", "net.ipv6.conf.uk0.router_solicitations=0", "net.ipv6.conf.uk0.accept_ra=0");
        space.Run("ip", "addr", "add", "198.18.0.1/24", "dev", "uk0");
        space.Run("ip", "-6", "addr", "add", "2001:2::1/64", "dev", "uk0", "nodad");
        space.Run("ip", "link", "set", "uk0", "up");
    }

    // The server's first line says it listens: a client that connected before it would be
    // refused (the kernel answers a SYN to a port nobody listens on with RST).
    private static void Listening(Process server, string expected = "listening on 0.0.0.0:7777")
    {
        var line = server.StandardOutput.ReadLineAsync();
        Assert.True(line.Wait(TimeSpan.FromSeconds(60)), "the server did not say it listens");
        Assert.Equal(expected, line.Result);
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
