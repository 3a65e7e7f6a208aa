namespace Unikraft.Gen.EndToEnd.Tests;

using System;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Xunit;

// NetPing with Address6 (Programs/NetPing6), built as a user builds it and run as `dotnet run`
// runs it, inside a network namespace: its kernel makes the TAP device there, and Linux's own
// IPv6 (neighbor discovery, ping -6) talks to the kernel's across it, to the configured address
// 2001:2::2 and to the link-local address the kernel made from its MAC. Only addresses of
// 198.18.0.0/15 and 2001:2::/48 (RFC 5180), only inside the namespace the test makes and removes.
public sealed class Ipv6PingTests : IClassFixture<Ipv6PingTests.Build>
{
    private const string Program = "tests/Unikraft.Gen.EndToEnd.Tests/Programs/NetPing6";

    private readonly Build build;

    public Ipv6PingTests(Build build)
    {
        this.build = build;
    }

    [NetFact]
    public void KernelOnTap_AnswersNeighborDiscoveryAndPing6_OnItsAddressAndItsLinkLocal_WithNoLoss()
    {
        using NetNamespace space = NetNamespace.Create("ping6");
        using Process running = space.Start(build.OutputFile("NetPing6"));
        try
        {
            Assert.True(space.WaitForLink("uk0", TimeSpan.FromSeconds(60)), "the kernel made no TAP device uk0 in " + space.Name);
            // Linux's side: its addresses usable at once (no duplicate address detection, which
            // would hold its link-local address tentative for a second), no router solicitations.
            space.Run("sysctl", "-q", "-w", "net.ipv6.conf.uk0.accept_dad=0", "net.ipv6.conf.uk0.router_solicitations=0", "net.ipv6.conf.uk0.accept_ra=0");
            space.Run("ip", "addr", "add", "198.18.0.1/24", "dev", "uk0");
            space.Run("ip", "-6", "addr", "add", "2001:2::1/64", "dev", "uk0", "nodad");
            space.Run("ip", "link", "set", "uk0", "up");

            // NOTE: the figure: a hundred pings 10 ms apart, none lost.
            CommandResult global = space.Run("ping", "-6", "-c", "100", "-i", "0.01", "-W", "2", "-q", "2001:2::2");
            Assert.Contains("100 packets transmitted, 100 received, 0% packet loss", global.StandardOutput, StringComparison.Ordinal);

            // Linux learned the kernel's MAC from its neighbor advertisement.
            CommandResult neighbor = space.Run("ip", "-6", "neigh", "show", "2001:2::2", "dev", "uk0");
            Match learned = Regex.Match(neighbor.StandardOutput, "^2001:2::2 lladdr ([0-9a-f:]{17}) ", RegexOptions.Multiline);
            Assert.True(learned.Success, neighbor.Describe());
            string mac = learned.Groups[1].Value;
            string linkLocal = LinkLocalOf(mac);

            CommandResult local = space.Run("ping", "-6", "-c", "100", "-i", "0.01", "-W", "2", "-q", linkLocal + "%uk0");
            Assert.Contains("100 packets transmitted, 100 received, 0% packet loss", local.StandardOutput, StringComparison.Ordinal);
            CommandResult neighbors = space.Run("ip", "-6", "neigh", "show", "dev", "uk0");
            Assert.Contains(linkLocal + " lladdr " + mac, neighbors.StandardOutput, StringComparison.Ordinal);
            Assert.Contains("2001:2::2 lladdr " + mac, neighbors.StandardOutput, StringComparison.Ordinal);

            // IPv4 is still there beside it.
            CommandResult ping4 = space.Run("ping", "-c", "3", "-i", "0.2", "-W", "2", "-q", "198.18.0.2");
            Assert.Contains("3 packets transmitted, 3 received, 0% packet loss", ping4.StandardOutput, StringComparison.Ordinal);

            running.StandardInput.WriteLine("bye");
            running.StandardInput.Close();
            Assert.True(running.WaitForExit(TimeSpan.FromSeconds(30)), "the program did not end after its input did");
            string output = running.StandardOutput.ReadToEnd();
            string error = running.StandardError.ReadToEnd();
            Assert.True(running.ExitCode == 0, output + error);
            Assert.Equal("up\nread bye\ndown\n", output);
            Assert.Contains("[uk] net eth0: 198.18.0.2/24 via 198.18.0.1, " + mac + ", mtu", error, StringComparison.Ordinal);
            Assert.Contains("[uk] net eth0: ipv6 " + linkLocal + "/64, 2001:2::2/64", error, StringComparison.Ordinal);
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

    // Duplicate address detection (RFC 4862) against Linux: the TAP device exists before the
    // kernel opens it (a persistent one the test makes), and Linux there already has 2001:2::2;
    // the kernel's probe for it is answered by Linux's advertisement, and the kernel logs the
    // address as a duplicate and stops using it.
    [NetFact]
    public void AddressLinuxAlreadyHas_IsFoundDuplicate_AndLogged()
    {
        using NetNamespace space = NetNamespace.Create("dad6");
        space.Run("ip", "tuntap", "add", "dev", "uk0", "mode", "tap");
        space.Run("sysctl", "-q", "-w", "net.ipv6.conf.uk0.accept_dad=0", "net.ipv6.conf.uk0.router_solicitations=0", "net.ipv6.conf.uk0.accept_ra=0");
        space.Run("ip", "-6", "addr", "add", "2001:2::2/64", "dev", "uk0", "nodad");
        space.Run("ip", "link", "set", "uk0", "up");
        using Process running = space.Start(build.OutputFile("NetPing6"));
        try
        {
            Assert.Equal("up", running.StandardOutput.ReadLine());
            // NOTE: the kernel waits 1 s for an answer to its probe (RFC 4862's RetransTimer).
            System.Threading.Thread.Sleep(TimeSpan.FromSeconds(2));
            running.StandardInput.WriteLine("bye");
            running.StandardInput.Close();
            Assert.True(running.WaitForExit(TimeSpan.FromSeconds(30)), "the program did not end after its input did");
            string error = running.StandardError.ReadToEnd();
            Assert.True(running.ExitCode == 0, error);
            Assert.Contains("[uk] net eth0: ipv6 2001:2::2 is in use by another host on the link (duplicate address detection, RFC 4862): not used",
                error, StringComparison.Ordinal);
            Assert.DoesNotContain("ipv6 fe80:", error.Substring(error.IndexOf("is in use", StringComparison.Ordinal)), StringComparison.Ordinal);
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

    // The link-local address of a MAC as RFC 4291 (appendix A) makes it: fe80::/64 and the
    // modified EUI-64, ff:fe in the middle and the universal/local bit flipped; .NET writes it in
    // RFC 5952's canonical text, as Linux's ip does.
    private static string LinkLocalOf(string mac)
    {
        string[] parts = mac.Split(':');
        byte[] address = new byte[16];
        address[0] = 0xfe;
        address[1] = 0x80;
        byte[] octets = Array.ConvertAll(parts, part => byte.Parse(part, NumberStyles.HexNumber, CultureInfo.InvariantCulture));
        address[8] = (byte)(octets[0] ^ 0x02);
        address[9] = octets[1];
        address[10] = octets[2];
        address[11] = 0xff;
        address[12] = 0xfe;
        address[13] = octets[3];
        address[14] = octets[4];
        address[15] = octets[5];
        return new IPAddress(address).ToString();
    }

    public sealed class Build : SampleBuild
    {
        public Build()
            : base(Program, "tap6", "build")
        {
        }
    }
}
