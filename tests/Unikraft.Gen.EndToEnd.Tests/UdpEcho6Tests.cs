namespace Unikraft.Gen.EndToEnd.Tests;

using System;
using System.Diagnostics;
using System.Text.RegularExpressions;
using Xunit;

// Programs/UdpEcho6, built as a user builds it and run inside a network namespace: its UdpClient
// on an AF_INET6 socket echoes what Linux's nc -6 -u sends to 2001:2::2, and a closed port of the
// kernel answers ICMPv6 port unreachable, which Linux counts. Only addresses of 198.18.0.0/15 and
// 2001:2::/48 (RFC 5180), only inside the namespace the test makes and removes.
public sealed class UdpEcho6Tests : IClassFixture<UdpEcho6Tests.Build>
{
    private const string Program = "tests/Unikraft.Gen.EndToEnd.Tests/Programs/UdpEcho6";

    private readonly Build build;

    public UdpEcho6Tests(Build build)
    {
        this.build = build;
    }

    [NetFact]
    public void UdpClientOnIpv6_EchoesNcLines_AndAClosedPortAnswersPortUnreachable()
    {
        using NetNamespace space = NetNamespace.Create("udp6");
        using Process running = space.Start(build.OutputFile("UdpEcho6"));
        try
        {
            Assert.True(space.WaitForLink("uk0", TimeSpan.FromSeconds(60)), "the kernel made no TAP device uk0 in " + space.Name);
            space.Run("sysctl", "-q", "-w", "net.ipv6.conf.uk0.accept_dad=0", "net.ipv6.conf.uk0.router_solicitations=0", "net.ipv6.conf.uk0.accept_ra=0");
            space.Run("ip", "addr", "add", "198.18.0.1/24", "dev", "uk0");
            space.Run("ip", "-6", "addr", "add", "2001:2::1/64", "dev", "uk0", "nodad");
            space.Run("ip", "link", "set", "uk0", "up");
            Assert.Equal("up [::]:7", running.StandardOutput.ReadLine());

            for (int index = 0; index < 3; index++)
            {
                string line = "hello6 " + index;
                CommandResult echo = space.Run("sh", "-c", "printf '" + line + "\\n' | nc -6 -u -w 1 2001:2::2 7");
                if (echo.StandardOutput != line + "\n")
                {
                    string seen = space.Try("sh", "-c", "(timeout 3 tcpdump -i uk0 -n -l 2>&1 &) ; sleep 0.5; printf 'x\\n' | nc -6 -u -w 1 2001:2::2 7; sleep 2").Describe() + space.Run("ip", "-6", "neigh").StandardOutput + space.Run("ip", "-6", "addr").StandardOutput;
                    running.Kill(entireProcessTree: true);
                    running.WaitForExit();
                    Assert.Fail(seen + echo.Describe() + "\n" + space.Try("sh", "-c", "(timeout 3 tcpdump -i uk0 -n -l 2>&1 &) ; sleep 0.5; printf 'x\\n' | nc -6 -u -w 1 2001:2::2 7; sleep 2").Describe() + space.Run("ip", "-6", "neigh").StandardOutput + space.Run("ip", "-6", "addr").StandardOutput + running.StandardOutput.ReadToEnd() + running.StandardError.ReadToEnd());
                }
            }

            // Port 9 is closed: Linux receives destination unreachable (ICMPv6 type 1).
            long before = Icmp6InDestUnreachs(space);
            space.Try("sh", "-c", "printf 'closed\\n' | nc -6 -u -w 1 2001:2::2 9");
            Assert.True(Icmp6InDestUnreachs(space) > before, "no ICMPv6 destination unreachable reached Linux");

            space.Run("sh", "-c", "printf 'bye\\n' | nc -6 -u -w 1 2001:2::2 7");
            Assert.True(running.WaitForExit(TimeSpan.FromSeconds(30)), "the program did not end after bye");
            string output = running.StandardOutput.ReadToEnd();
            string error = running.StandardError.ReadToEnd();
            Assert.True(running.ExitCode == 0, output + error);
            Assert.Contains("echoed 9 from [2001:2::1]:", output, StringComparison.Ordinal);
            Assert.EndsWith("down\n", output, StringComparison.Ordinal);
        }
        finally
        {
            if (!running.HasExited)
            {
                running.Kill(entireProcessTree: true);
                running.WaitForExit();
            }
        }
    }

    private static long Icmp6InDestUnreachs(NetNamespace space)
    {
        Match counter = Regex.Match(space.Run("cat", "/proc/net/snmp6").StandardOutput, @"^Icmp6InDestUnreachs\s+(\d+)", RegexOptions.Multiline);
        Assert.True(counter.Success);
        return long.Parse(counter.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
    }

    public sealed class Build : SampleBuild
    {
        public Build()
            : base(Program, "udp6", "build")
        {
        }
    }
}
