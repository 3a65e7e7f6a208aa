namespace Unikraft.Gen.EndToEnd.Tests;

using System;
using System.Diagnostics;
using System.Text.RegularExpressions;
using Xunit;

// Programs/Routed6, built as a user builds it and run inside a network namespace that is also an
// IPv6 router: Linux there forwards between the kernel's TAP link (2001:2::/64, the router is
// 2001:2::1, the program's Gateway6) and a veth link to a second namespace (2001:2:0:1::/64),
// whose Linux reaches the program only through that router: ping -6 (also with 3000 bytes, so
// the request and the reply both cross in fragments), UDP echo (also a datagram of 3000 bytes),
// TCP lines, and a closed port's ICMPv6 port unreachable. Only addresses of 198.18.0.0/15 and
// 2001:2::/48 (RFC 5180), only inside the two namespaces the test makes and removes.
public sealed class Ipv6RouteTests : IClassFixture<Ipv6RouteTests.Build>
{
    private const string Program = "tests/Unikraft.Gen.EndToEnd.Tests/Programs/Routed6";

    private readonly Build build;

    public Ipv6RouteTests(Build build)
    {
        this.build = build;
    }

    [NetFact]
    public void HostBeyondTheRouter_ReachesTheProgram_ByPingUdpAndTcp_AlsoInFragments()
    {
        using NetNamespace router = NetNamespace.Create("rt6");
        using NetNamespace far = NetNamespace.Create("far6");
        using Process running = router.Start(build.OutputFile("Routed6"));
        try
        {
            Connect(router, far, 1500);
            Assert.Equal("up", running.StandardOutput.ReadLine());

            CommandResult ping = far.Run("ping", "-6", "-c", "20", "-i", "0.05", "-W", "2", "-q", "2001:2::2");
            Assert.Contains("20 packets transmitted, 20 received, 0% packet loss", ping.StandardOutput, StringComparison.Ordinal);
            // 3000 bytes of data: the request reaches the kernel in fragments, and so does the reply Linux.
            CommandResult large = far.Run("ping", "-6", "-c", "5", "-s", "3000", "-i", "0.2", "-W", "2", "-q", "2001:2::2");
            Assert.Contains("5 packets transmitted, 5 received, 0% packet loss", large.StandardOutput, StringComparison.Ordinal);

            CommandResult echo = far.Run("sh", "-c", "printf 'hello from afar\\n' | nc -6 -u -w 1 2001:2::2 7");
            Assert.Equal("hello from afar\n", echo.StandardOutput);
            // A datagram of 3000 bytes: fragmented by Linux on the way in, by the kernel on the way out.
            CommandResult long6 = far.Run("sh", "-c", "head -c 2999 /dev/zero | tr '\\0' 'f' > /tmp/uk-routed6-line; echo >> /tmp/uk-routed6-line;"
                + " nc -6 -u -w 2 2001:2::2 7 < /tmp/uk-routed6-line | wc -c; rm -f /tmp/uk-routed6-line");
            Assert.Equal("3000", long6.StandardOutput.Trim());

            CommandResult lines = far.Run("sh", "-c", "printf 'one\\ntwo\\n' | nc -6 -N -w 10 2001:2::2 7777");
            Assert.Equal("echo: one\necho: two\n", lines.StandardOutput);

            // Port 9 is closed: the far host receives destination unreachable (ICMPv6 type 1) through the router.
            long before = Icmp6InDestUnreachs(far);
            far.Try("sh", "-c", "printf 'closed\\n' | nc -6 -u -w 1 2001:2::2 9");
            Assert.True(Icmp6InDestUnreachs(far) > before, "no ICMPv6 destination unreachable reached the far host");

            far.Run("sh", "-c", "printf 'bye\\n' | nc -6 -u -w 1 2001:2::2 7");
            Assert.True(running.WaitForExit(TimeSpan.FromSeconds(30)), "the program did not end after bye");
            string output = running.StandardOutput.ReadToEnd();
            string error = running.StandardError.ReadToEnd();
            Assert.True(running.ExitCode == 0, output + error);
            Assert.Contains("echoed 16 from [2001:2:0:1::2]:", output, StringComparison.Ordinal);
            Assert.Contains("echoed 3000 from [2001:2:0:1::2]:", output, StringComparison.Ordinal);
            Assert.Contains("tcp from [2001:2:0:1::2]:", output, StringComparison.Ordinal);
            Assert.EndsWith("down\n", output, StringComparison.Ordinal);
            Assert.Contains(", 2001:2::2/64 via 2001:2::1", error, StringComparison.Ordinal);
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

    // The router's link to the far host carries 1280 bytes only, though the far host offers an MSS
    // of 1440 (its route's advmss, as a host whose own link is larger would): the kernel's full
    // TCP segments of 1500 bytes meet Linux's packet too big at the router, and
    // the kernel lowers its path MTU to the far host (RFC 8201): the TCP transfer completes in
    // smaller segments (without that, its full segments would be lost for good), and a long UDP
    // reply after it leaves in fragments that fit.
    [NetFact]
    public void SmallerLinkBeyondTheRouter_PacketTooBig_LowersThePathMtu_ForTcpAndUdp()
    {
        using NetNamespace router = NetNamespace.Create("rt6m");
        using NetNamespace far = NetNamespace.Create("far6m");
        using Process running = router.Start(build.OutputFile("Routed6"));
        try
        {
            Connect(router, far, 1280);
            Assert.Equal("up", running.StandardOutput.ReadLine());

            // 20 lines of 5000 bytes, each echoed with "echo: " in front: 100,140 bytes back. The
            // kernel's segments fit the path once it learned it: none reaches the far host in
            // fragments (the IPv6 layer would fragment a segment too long, and TCP would still work).
            long reassembledBefore = Counter(far, "Ip6ReasmOKs");
            CommandResult lines = far.Run("sh", "-c", "for i in $(seq 20); do head -c 5000 /dev/zero | tr '\\0' 'p'; echo; done > /tmp/uk-routed6-lines;"
                + " nc -6 -N -w 20 2001:2::2 7777 < /tmp/uk-routed6-lines | wc -c; rm -f /tmp/uk-routed6-lines");
            Assert.Equal("100140", lines.StandardOutput.Trim());
            long afterTcp = Counter(router, "Icmp6OutPktTooBigs");
            Assert.True(afterTcp > 0, "the router sent no packet too big for the kernel's TCP segments");
            Assert.Equal(reassembledBefore, Counter(far, "Ip6ReasmOKs"));

            // The path MTU to the far host is known now: a long UDP reply leaves at once in
            // fragments that fit, and meets no packet too big.
            CommandResult long6 = far.Run("sh", "-c", "head -c 2999 /dev/zero | tr '\\0' 'u' > /tmp/uk-routed6-u; echo >> /tmp/uk-routed6-u;"
                + " nc -6 -u -w 2 2001:2::2 7 < /tmp/uk-routed6-u | wc -c; rm -f /tmp/uk-routed6-u");
            Assert.Equal("3000", long6.StandardOutput.Trim());
            Assert.Equal(afterTcp, Counter(router, "Icmp6OutPktTooBigs"));

            far.Run("sh", "-c", "printf 'bye\\n' | nc -6 -u -w 1 2001:2::2 7");
            Assert.True(running.WaitForExit(TimeSpan.FromSeconds(30)), "the program did not end after bye");
            string output = running.StandardOutput.ReadToEnd();
            Assert.True(running.ExitCode == 0, output + running.StandardError.ReadToEnd());
            Assert.Contains("tcp from [2001:2:0:1::2]:", output, StringComparison.Ordinal);
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

    // The router namespace (where the program's TAP device is) forwarding to the far one over a
    // veth pair of that MTU; below 1500, the far host still offers the MSS of a 1500-byte link.
    private static void Connect(NetNamespace router, NetNamespace far, int linkMtu)
    {
        Assert.True(router.WaitForLink("uk0", TimeSpan.FromSeconds(60)), "the kernel made no TAP device uk0 in " + router.Name);
        // The router: forwarding on, its addresses usable at once (no duplicate address detection).
        router.Run("sysctl", "-q", "-w", "net.ipv6.conf.all.forwarding=1", "net.ipv6.conf.uk0.accept_dad=0");
        router.Run("ip", "addr", "add", "198.18.0.1/24", "dev", "uk0");
        router.Run("ip", "-6", "addr", "add", "2001:2::1/64", "dev", "uk0", "nodad");
        router.Run("ip", "link", "set", "uk0", "up");
        string mtu = linkMtu.ToString(System.Globalization.CultureInfo.InvariantCulture);
        router.Run("ip", "link", "add", "vr0", "mtu", mtu, "type", "veth", "peer", "name", "vf0", "mtu", mtu, "netns", far.Name);
        router.Run("ip", "-6", "addr", "add", "2001:2:0:1::1/64", "dev", "vr0", "nodad");
        router.Run("ip", "link", "set", "vr0", "up");
        far.Run("sysctl", "-q", "-w", "net.ipv6.conf.vf0.accept_dad=0", "net.ipv6.conf.vf0.accept_ra=0");
        far.Run("ip", "-6", "addr", "add", "2001:2:0:1::2/64", "dev", "vf0", "nodad");
        far.Run("ip", "link", "set", "vf0", "up");
        far.Run("ip", "-6", "route", "add", "default", "via", "2001:2:0:1::1", "advmss", "1440");
    }

    // One of Linux's IPv6 counters in a namespace (/proc/net/snmp6).
    private static long Counter(NetNamespace space, string name)
    {
        Match counter = Regex.Match(space.Run("cat", "/proc/net/snmp6").StandardOutput, "^" + name + @"\s+(\d+)", RegexOptions.Multiline);
        Assert.True(counter.Success);
        return long.Parse(counter.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
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
            : base(Program, "route6", "build")
        {
        }
    }
}
