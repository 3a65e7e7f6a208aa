namespace Unikraft.Gen.EndToEnd.Tests;

using System;
using System.Diagnostics;
using System.IO;
using System.Net.Sockets;
using Xunit;

// Name lookups on the BCL's own Dns class and TcpClient.Connect(host, port), unchanged, served by
// the kernel's DNS resolver over its own UDP, inside a network namespace where dnsmasq answers at
// 198.18.0.1 (the Dns of the program's <UnikraftNet>) across the kernel's TAP device. Nothing
// leaves the namespace. The same scenarios run on the program as `dotnet run` runs it
// (NameLookupTests) and as a NativeAOT binary (NameLookupPublishAotTests).
public abstract class NameLookupScenarios
{
    protected const string Program = "tests/Unikraft.Gen.EndToEnd.Tests/Programs/NameLookup";

    private const string Dnsmasq = "/usr/sbin/dnsmasq";

    // The program to start: the build's output or the published binary.
    protected abstract string ProgramFile { get; }

    [NetFact]
    public void Dns_AsksDnsmasqThroughTheKernel_AndAMissingNameIsHostNotFound()
    {
        using NetNamespace space = NetNamespace.Create("dns");
        using Process program = space.Start(ProgramFile, "lookup");
        Process? server = null;
        try
        {
            space.ConfigureTap("uk0");
            server = StartDnsmasq(space);
            Ready(program);

            (string output, string error) = Finish(program);

            // The exception the BCL throws on Linux when getaddrinfo answers EAI_NONAME (checked
            // against the host's BCL and glibc asking this same dnsmasq in a namespace): the
            // PAL's error HostNotFound, whose message is gai_strerror's.
            SocketException linux = new SocketException((int)SocketError.HostNotFound);
            Assert.Equal(
                "web.test: 198.18.0.1\n"
                + "alias.test: host.test 198.18.0.7\n"
                + "async web.test: 198.18.0.1\n"
                + "localhost: 127.0.0.1\n"
                + "host name: unikraft\n"
                + "nothere.test: HostNotFound|" + linux.ErrorCode + "|" + linux.Message + "\n",
                output);
            // dnsmasq saw the kernel's queries (localhost and the host name never leave it).
            string log = Stop(server);
            Assert.Contains("query[A] web.test from 198.18.0.2", log);
            Assert.Contains("query[A] alias.test from 198.18.0.2", log);
            Assert.Contains("query[A] nothere.test from 198.18.0.2", log);
            Assert.DoesNotContain("localhost", log);
            Assert.DoesNotContain("unikraft", log);
            Assert.DoesNotContain("AAAA", log);
        }
        finally
        {
            Stop(program);
            if (server != null)
            {
                Stop(server);
            }
        }
    }

    [NetFact]
    public void TcpClientConnect_ByName_ReachesNcInTheNamespace()
    {
        using NetNamespace space = NetNamespace.Create("dnsc");
        using Process program = space.Start(ProgramFile, "connect", "8080");
        Process? server = null;
        Process? listener = null;
        try
        {
            space.ConfigureTap("uk0");
            server = StartDnsmasq(space);
            listener = space.Start("nc", "-l", "198.18.0.1", "8080");
            Assert.True(WaitForListener(space, "198.18.0.1:8080"), "nc did not listen on 198.18.0.1:8080");
            Ready(program);

            (string output, _) = Finish(program);

            Assert.Matches("^connected to 198\\.18\\.0\\.1:8080\n$", output);
            Assert.True(listener.WaitForExit(TimeSpan.FromSeconds(30)), "nc did not end after the program closed its connection");
            Assert.Equal("hello by name\n", listener.StandardOutput.ReadToEnd());
        }
        finally
        {
            Stop(program);
            if (listener != null)
            {
                Stop(listener);
            }
            if (server != null)
            {
                Stop(server);
            }
        }
    }

    // dnsmasq as the namespace's name server, on the Linux side of the TAP device only: web.test
    // and host.test are addresses, alias.test a CNAME to host.test, and every other name under
    // test is NXDOMAIN (--local); no upstream server, no hosts file, no pid file (--no-daemon).
    // ipv6: web.test and host.test have AAAA records too (2001:2::1, 2001:2::7).
    internal static Process StartDnsmasq(NetNamespace space, bool ipv6 = false)
    {
        Assert.True(File.Exists(Dnsmasq), "no dnsmasq: install the Debian package dnsmasq-base");
        Process server = ipv6
            ? space.Start(Dnsmasq, "--no-daemon", "--conf-file=/dev/null", "--no-resolv", "--no-hosts", "--bind-interfaces",
                "--listen-address=198.18.0.1", "--address=/web.test/198.18.0.1", "--address=/web.test/2001:2::1",
                "--host-record=host.test,198.18.0.7,2001:2::7", "--cname=alias.test,host.test", "--local=/test/", "--log-queries", "--log-facility=-")
            : space.Start(Dnsmasq, "--no-daemon", "--conf-file=/dev/null", "--no-resolv", "--no-hosts", "--bind-interfaces",
                "--listen-address=198.18.0.1", "--address=/web.test/198.18.0.1", "--host-record=host.test,198.18.0.7",
                "--cname=alias.test,host.test", "--local=/test/", "--log-queries", "--log-facility=-");
        Assert.True(WaitForListener(space, "198.18.0.1:53"), "dnsmasq did not listen on 198.18.0.1:53");
        return server;
    }

    private static bool WaitForListener(NetNamespace space, string address)
    {
        DateTime end = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (DateTime.UtcNow < end)
        {
            if (space.Try("ss", "-ltun").StandardOutput.Contains(address, StringComparison.Ordinal))
            {
                return true;
            }
            System.Threading.Thread.Sleep(100);
        }
        return false;
    }

    // The program says it is ready once booted, and goes on when told (the name server is up).
    internal static void Ready(Process program)
    {
        var line = program.StandardOutput.ReadLineAsync();
        Assert.True(line.Wait(TimeSpan.FromSeconds(60)), "the program did not say it is ready");
        Assert.Equal("ready", line.Result);
        program.StandardInput.WriteLine("go");
        program.StandardInput.Flush();
    }

    internal static (string Output, string Error) Finish(Process program)
    {
        if (!program.WaitForExit(TimeSpan.FromSeconds(60)))
        {
            // What it said before it stopped answering (its kernel log is on standard error).
            program.Kill(entireProcessTree: true);
            program.WaitForExit();
            Assert.Fail("the program did not end within 60 s; it wrote:\n" + program.StandardOutput.ReadToEnd() + program.StandardError.ReadToEnd());
        }

        string output = program.StandardOutput.ReadToEnd();
        string error = program.StandardError.ReadToEnd();
        Assert.True(program.ExitCode == 0, output + error);
        return (output, error);
    }

    // Ends a process if it still runs; what it wrote on its standard error (dnsmasq's log).
    internal static string Stop(Process process)
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
        }
        return process.StandardError.ReadToEnd();
    }

}

// The scenarios on the program built as a user builds it and run as `dotnet run` runs it (the
// BCL's native calls reach the kernel through the jump slots).
public sealed class NameLookupTests : NameLookupScenarios, IClassFixture<NameLookupTests.Build>
{
    private readonly Build build;

    public NameLookupTests(Build build)
    {
        this.build = build;
    }

    protected override string ProgramFile => build.OutputFile("NameLookup");

    public sealed class Build : SampleBuild
    {
        public Build()
            : base(Program, "tap", "build")
        {
        }
    }
}

// The scenarios on a NativeAOT binary: its link sends the name functions (and Connectx and
// InterfaceNameToIndex, which connecting by name imports) to the kernel.
public sealed class NameLookupPublishAotTests : NameLookupScenarios, IClassFixture<NameLookupPublishAotTests.AotPublish>
{
    private readonly AotPublish publish;

    public NameLookupPublishAotTests(AotPublish publish)
    {
        this.publish = publish;
    }

    protected override string ProgramFile
    {
        get
        {
            publish.EnsureSucceeded();
            return Path.Combine(publish.PublishPath, "NameLookup");
        }
    }

    public sealed class AotPublish : SampleBuild
    {
        public AotPublish()
            : base(Program, "aot", "publish", "-c", "Release", "-r", "linux-x64", "-p:PublishAot=true", "-o", "{publish}")
        {
        }
    }
}

// The program with an IPv6 address on its interface (NameLookupIpv6=true): Dns.GetHostAddresses
// asks for any family, so the kernel asks dnsmasq for AAAA records as well as A records and
// returns both, the IPv4 addresses first; localhost is 127.0.0.1 and ::1.
public sealed class NameLookupIpv6Tests : IClassFixture<NameLookupIpv6Tests.Build>
{
    private readonly Build build;

    public NameLookupIpv6Tests(Build build)
    {
        this.build = build;
    }

    [NetFact]
    public void Dns_WithIpv6_AsksForAAndAaaa_AndReturnsBoth()
    {
        using NetNamespace space = NetNamespace.Create("dns6");
        using Process program = space.Start(build.OutputFile("NameLookup"), "lookup");
        Process? server = null;
        try
        {
            space.ConfigureTap("uk0");
            server = NameLookupScenarios.StartDnsmasq(space, ipv6: true);
            NameLookupScenarios.Ready(program);

            (string output, string error) = NameLookupScenarios.Finish(program);

            string log = NameLookupScenarios.Stop(server);
            Assert.True(log.Contains("query[AAAA] web.test from 198.18.0.2", StringComparison.Ordinal), "dnsmasq saw:\n" + log + "\nthe program wrote:\n" + output + error);
            Assert.Contains("query[A] web.test from 198.18.0.2", log);
            Assert.Contains("query[AAAA] alias.test from 198.18.0.2", log);
            Assert.Contains("query[AAAA] nothere.test from 198.18.0.2", log);
            SocketException linux = new SocketException((int)SocketError.HostNotFound);
            Assert.Equal(
                "web.test: 198.18.0.1, 2001:2::1\n"
                + "alias.test: host.test 198.18.0.7, 2001:2::7\n"
                + "async web.test: 198.18.0.1, 2001:2::1\n"
                + "localhost: 127.0.0.1, ::1\n"
                + "host name: unikraft\n"
                + "nothere.test: HostNotFound|" + linux.ErrorCode + "|" + linux.Message + "\n",
                output);
        }
        finally
        {
            NameLookupScenarios.Stop(program);
            if (server != null)
            {
                NameLookupScenarios.Stop(server);
            }
        }
    }

    public sealed class Build : SampleBuild
    {
        public Build()
            : base("tests/Unikraft.Gen.EndToEnd.Tests/Programs/NameLookup", "tap6", "build", "-p:NameLookupIpv6=true")
        {
        }
    }
}
