using System.Collections.Generic;
using Microsoft.CodeAnalysis;
using Xunit;

namespace Unikraft.Gen.Tests;

// <UnikraftNet> items as Unikraft.Gen.targets passes them (name|type|address|gateway|dns|forward|
// device|address6|end): a good item is in the plan and the manifest; a bad one is a build error that names
// the item and says what would be valid, and nothing else of the kernel is emitted wrong for it.
public class NetworkConfigTests
{
    private const string Program = """
        Console.WriteLine("up");
        """;

    [Fact]
    public void TapInterface_IsInThePlanAndTheManifest()
    {
        GeneratorHarness.Result result = Run("eth0|tap|198.18.0.2/24|198.18.0.1|198.18.0.53||||end");

        Assert.Empty(result.GeneratorDiagnostics);
        Assert.Contains("// Network\n//   eth0  tap, 198.18.0.2/24, gateway 198.18.0.1, dns 198.18.0.53  (UnikraftNet 'eth0' in the project file)\n", result.Manifest);
    }

    [Fact]
    public void TapInterface_IsAttachedByTheBoot_AndTheKernelCompiles()
    {
        GeneratorHarness.Result result = Run("eth0|tap|198.18.0.2/24|198.18.0.1|||||end");

        Assert.Empty(result.Problems);
        string boot = result.Source("Unikraft.Boot.g.cs");
        Assert.Contains("global::Unikraft.Kernel.NetBoot.Attach(kernel, \"eth0\", global::Unikraft.Kernel.HostedNetDevices.OpenTap(\"\"), "
            + "new global::Unikraft.Kernel.Ipv4Address(0xC6120002u), 24, new global::Unikraft.Kernel.Ipv4Address(0xC6120001u), "
            + "global::System.Array.Empty<global::Unikraft.Kernel.Ipv4Address>());", boot);
        // Before the confinement, which refuses what opening a device takes.
        Assert.True(boot.IndexOf("NetBoot.Attach", System.StringComparison.Ordinal) < boot.IndexOf("HostedConfinement.Install", System.StringComparison.Ordinal));
        Assert.Contains("boot: attaches eth0 (tap, 198.18.0.2/24) (UnikraftNet 'eth0' in the project file)", result.Manifest);
    }

    [Fact]
    public void PasstInterface_OpensPasstWithItsAddressAndPorts_AndTheKernelCompiles()
    {
        GeneratorHarness.Result result = Run("eth0|passt|198.18.0.2/24|198.18.0.1||8080,8443|||end");

        Assert.Empty(result.Problems);
        Assert.Contains("global::Unikraft.Kernel.HostedNetDevices.OpenPasst(new global::Unikraft.Kernel.Ipv4Address(0xC6120002u), 24, "
            + "new global::Unikraft.Kernel.Ipv4Address(0xC6120001u), new int[] { 8080, 8443 }, global::System.Array.Empty<int>(), false, default(global::Unikraft.Kernel.Ipv6Address))", result.Source("Unikraft.Boot.g.cs"));
        // The host's loopback reaches a listener on the kernel's loopback through those ports.
        Assert.Contains("global::Unikraft.Kernel.NetBoot.ForwardHostLoopback(kernel, \"eth0\", \"passt\", new int[] { 8080, 8443 });", result.Source("Unikraft.Boot.g.cs"));
        Assert.Contains("HostLoopbackForward  on", result.Manifest);
        Assert.Contains("<UnikraftNet Include=\"eth0\"> forwards TCP ports 8080,8443 from the host", result.Manifest);
    }

    // The item the build made from the launch profile's URLs (UnikraftLaunchNet: "|launch" after
    // "end") is attached as the project's own would be, and the manifest says where it came from.
    [Fact]
    public void InterfaceFromTheLaunchProfile_IsAttached_AndTheManifestSaysSo()
    {
        GeneratorHarness.Result result = Run("eth0|passt|10.0.2.15/24|10.0.2.2||5059,7078|||end|launch");

        Assert.Empty(result.Problems);
        Assert.Contains("new int[] { 5059, 7078 }", result.Source("Unikraft.Boot.g.cs"));
        Assert.Contains("eth0  passt, 10.0.2.15/24, gateway 10.0.2.2, forwards host port 5059,7078  "
            + "(UnikraftNet 'eth0' made by the build from the launch profile's URLs, UnikraftLaunchNet)", result.Manifest);
        Assert.Contains("boot: attaches eth0 (passt, 10.0.2.15/24) (UnikraftNet 'eth0' made by the build from the launch profile's URLs, UnikraftLaunchNet)", result.Manifest);
        Assert.DoesNotContain("in the project file", result.Manifest.Substring(result.Manifest.IndexOf("// Network", System.StringComparison.Ordinal)).Split("\n//\n")[0]);
    }

    // Only passt and a microvm's runner forward from the host's loopback: a TAP item, or a passt
    // one with UDP ports alone, has no such boot step and no such code.
    [Theory]
    [InlineData("eth0|tap|198.18.0.2/24|198.18.0.1|||uk0||end")]
    [InlineData("eth0|passt|198.18.0.2/24|198.18.0.1||4009/udp|||end")]
    public void NoForwardedTcpPort_NoHostLoopbackForward(string nets)
    {
        GeneratorHarness.Result result = Run(nets);

        Assert.Empty(result.Problems);
        Assert.DoesNotContain("ForwardHostLoopback", result.Source("Unikraft.Boot.g.cs"));
        Assert.DoesNotContain("HostLoopbackForward  on", result.Manifest);
    }

    // Forward="8080/tcp,4009/udp,5353/udp": passt forwards TCP 8080 (-t) and UDP 4009 and 5353 (-u).
    [Fact]
    public void PasstInterface_ForwardsUdpPortsToo()
    {
        GeneratorHarness.Result result = Run("eth0|passt|198.18.0.2/24|198.18.0.1||8080/tcp,4009/udp,5353/udp|||end");

        Assert.Empty(result.Problems);
        Assert.Contains("new global::Unikraft.Kernel.Ipv4Address(0xC6120001u), new int[] { 8080 }, new int[] { 4009, 5353 }, false, default(global::Unikraft.Kernel.Ipv6Address))", result.Source("Unikraft.Boot.g.cs"));
        Assert.Contains("forwards host port 8080, forwards host UDP port 4009,5353  (UnikraftNet 'eth0' in the project file)", result.Manifest);
    }

    [Fact]
    public void DnsServers_ReachTheBootInOrder_AndTheResolverComesWithTheNativeLayer()
    {
        GeneratorHarness.Result result = Run("eth0|tap|198.18.0.2/24|198.18.0.1|198.18.0.53,198.18.0.1||||end");

        Assert.Empty(result.Problems);
        Assert.Contains(", new global::Unikraft.Kernel.Ipv4Address[] { new global::Unikraft.Kernel.Ipv4Address(0xC6120035u), "
            + "new global::Unikraft.Kernel.Ipv4Address(0xC6120001u) });", result.Source("Unikraft.Boot.g.cs"));
        // Without the native layer nothing looks names up: no resolver.
        Assert.DoesNotContain("net-dns", result.Section("Libraries"));

        // With it, the BCL's name lookups bring the resolver, and the manifest says so.
        GeneratorHarness.Result native = Run("eth0|tap|198.18.0.2/24|198.18.0.1|198.18.0.53||||end", nativeLayer: true);
        Assert.Empty(native.Problems);
        Assert.Contains("net-dns", native.Section("Libraries"));
        string[] lines = native.Manifest.Split('\n');
        int dns = System.Array.FindIndex(lines, line => line.StartsWith("//   net-dns  ", System.StringComparison.Ordinal));
        Assert.StartsWith("//       native layer: ", lines[dns + 1], System.StringComparison.Ordinal);
        Assert.Contains("SystemNative_GetHostEntryForName", lines[dns + 1]);
    }

    // Each device kind alone, with the native layer on (the BCL's sockets reach the stack, and the
    // stack reads the device's counters): the pruned kernel compiles with no warning, as a
    // project that treats warnings as errors needs (a counter only the other device wrote once
    // was a CS0649 in a passt-only kernel).
    [Theory]
    [InlineData("eth0|passt|198.18.0.2/24|198.18.0.1||8080|||end")]
    [InlineData("eth0|tap|198.18.0.2/24|198.18.0.1|||||end")]
    public void OneDevice_WithTheNativeLayer_CompilesWithNoWarning(string items)
    {
        GeneratorHarness.Result result = Run(items, nativeLayer: true);

        Assert.Empty(result.Problems);
        Assert.Contains("ReceiveDropped", result.Source("Kernel/Net/Interface/NetInterface.g.cs"));
    }

    [Fact]
    public void Address6_GivesTheInterfaceIpv6_WithTheItemAsTheReason_AndTheKernelCompiles()
    {
        GeneratorHarness.Result result = Run("eth0|tap|198.18.0.2/24|198.18.0.1|||uk0|2001:2::2/64,2001:2:0:1::2/128|end");

        Assert.Empty(result.Problems);
        string boot = result.Source("Unikraft.Boot.g.cs");
        Assert.Contains("global::Unikraft.Kernel.NetBoot.AttachIpv6(kernel, \"eth0\", new global::Unikraft.Kernel.Ipv6Address[] { "
            + "new global::Unikraft.Kernel.Ipv6Address(0x2001000200000000UL, 0x0000000000000002UL), "
            + "new global::Unikraft.Kernel.Ipv6Address(0x2001000200000001UL, 0x0000000000000002UL) }, new int[] { 64, 128 }, "
            + "new global::Unikraft.Kernel.Ipv6Address(0x0000000000000000UL, 0x0000000000000000UL), false);", boot);
        Assert.True(boot.IndexOf("NetBoot.Attach(", System.StringComparison.Ordinal) < boot.IndexOf("NetBoot.AttachIpv6(", System.StringComparison.Ordinal));
        Assert.Contains("  Ipv6  on\n//       [project]  <UnikraftNet Include=\"eth0\"> has IPv6 addresses (Address6 2001:2::2/64,2001:2:0:1::2/128)\n", result.Manifest);
        Assert.Contains("//   eth0  tap uk0, 198.18.0.2/24, gateway 198.18.0.1, ipv6 2001:2::2/64,2001:2:0:1::2/128 and its link-local address  (UnikraftNet 'eth0' in the project file)\n", result.Manifest);
        Assert.Contains("Ipv6.Receive(", result.Source("Kernel/Net/Interface/NetInterface.g.cs"));
        Assert.Contains("class NeighborCache", result.Source("Kernel/Net/Interface/NeighborCache.g.cs"));
    }

    // Address6="auto" on passt: passt runs with IPv6 (no -4), the interface starts with its
    // link-local address alone, and the boot solicits passt's router advertisement, which gives
    // the router and the address (RouterDiscovery).
    [Fact]
    public void PasstAddress6Auto_StartsPasstWithIpv6_AndSolicitsItsRouterAndAddress()
    {
        GeneratorHarness.Result result = Run("eth0|passt|198.18.0.2/24|198.18.0.1||8080||auto|end");

        Assert.Empty(result.Problems);
        string boot = result.Source("Unikraft.Boot.g.cs");
        Assert.Contains("global::System.Array.Empty<int>(), true, default(global::Unikraft.Kernel.Ipv6Address))", boot);
        Assert.Contains("global::Unikraft.Kernel.NetBoot.AttachIpv6(kernel, \"eth0\", new global::Unikraft.Kernel.Ipv6Address[] {  }, new int[] {  }, new global::Unikraft.Kernel.Ipv6Address(0x0000000000000000UL, 0x0000000000000000UL), true);", boot);
        Assert.Contains("global::Unikraft.Kernel.NetBoot.SolicitRouters(kernel, \"eth0\", true, 1_000_000_000L);", boot);
        Assert.True(boot.IndexOf("NetBoot.AttachIpv6(", System.StringComparison.Ordinal) < boot.IndexOf("NetBoot.SolicitRouters(", System.StringComparison.Ordinal));
        Assert.Contains("  Ipv6  on\n//       [project]  <UnikraftNet Include=\"eth0\"> takes an IPv6 address from passt's router advertisement (Address6 auto)\n", result.Manifest);
        Assert.Contains("ipv6 from passt's router advertisement (its prefix and the MAC) and its link-local address", result.Manifest);
        Assert.Contains("class RouterDiscovery", result.Source("Kernel/Net/Interface/RouterDiscovery.g.cs"));
    }

    // One Address6 on passt: passt is told it (-a) and hands it out; the router still comes from
    // passt's advertisement, and no address is made from its prefix.
    [Fact]
    public void PasstAddress6_TellsPasstTheAddress_AndSolicitsTheRouterAlone()
    {
        GeneratorHarness.Result result = Run("eth0|passt|198.18.0.2/24|198.18.0.1||8080||2001:2::5/64|end");

        Assert.Empty(result.Problems);
        string boot = result.Source("Unikraft.Boot.g.cs");
        Assert.Contains("true, new global::Unikraft.Kernel.Ipv6Address(0x2001000200000000UL, 0x0000000000000005UL))", boot);
        Assert.Contains("global::Unikraft.Kernel.NetBoot.SolicitRouters(kernel, \"eth0\", false, 1_000_000_000L);", boot);
    }

    // Gateway6 becomes the interface's default router at boot, in the manifest and in its reason.
    [Theory]
    [InlineData("2001:2::1", "0x2001000200000000UL, 0x0000000000000001UL")]
    [InlineData("fe80::1", "0xFE80000000000000UL, 0x0000000000000001UL")]
    public void Gateway6_IsTheDefaultRouterAtBoot(string gateway6, string emitted)
    {
        GeneratorHarness.Result result = Run("eth0|tap|198.18.0.2/24|198.18.0.1|||uk0|2001:2::2/64|" + gateway6 + "|end");

        Assert.Empty(result.Problems);
        Assert.Contains("}, new int[] { 64 }, new global::Unikraft.Kernel.Ipv6Address(" + emitted + "), false);", result.Source("Unikraft.Boot.g.cs"));
        Assert.Contains(", ipv6 2001:2::2/64 and its link-local address, gateway6 " + gateway6 + "  (UnikraftNet 'eth0' in the project file)\n", result.Manifest);
        Assert.Contains("ConfigureRouter(", result.Source("Kernel/Net/Interface/NetBoot.g.cs"));
    }

    // UnikraftIcmpEcho=false takes the ICMPv6 echo answer out with IPv4's; neighbor discovery stays.
    [Fact]
    public void Address6_WithoutIcmpEcho_KeepsNeighborDiscovery_ButNoEchoAnswer()
    {
        var properties = new Dictionary<string, string>
        {
            ["UnikraftBootBanner"] = "false", ["UnikraftNets"] = "eth0|tap|198.18.0.2/24|198.18.0.1|||uk0|2001:2::2/64|end", ["UnikraftIcmpEcho"] = "false",
        };
        GeneratorHarness.Result result = GeneratorHarness.Run(GeneratorHarness.Compilation(new[] { ("Program.cs", Program) }), properties);

        Assert.Empty(result.Problems);
        string ipv6 = result.Source("Kernel/Net/Interface/Ipv6Interface.g.cs");
        Assert.Contains("ReceiveSolicitation(", ipv6);
        Assert.DoesNotContain("AnswerEcho", ipv6);
        Assert.Contains("  Ipv6  on", result.Manifest);
    }

    // An interface without Address6: the IPv6 code is not in the kernel at all, and the manifest
    // says why.
    [Fact]
    public void NoAddress6_LeavesIpv6OutOfTheKernel()
    {
        GeneratorHarness.Result result = Run("eth0|tap|198.18.0.2/24|198.18.0.1|||uk0||end");

        Assert.Empty(result.Problems);
        Assert.DoesNotContain("AttachIpv6", result.Source("Unikraft.Boot.g.cs"));
        Assert.DoesNotContain("Ipv6", result.Source("Kernel/Net/Interface/NetInterface.g.cs"));
        Assert.Contains("  Ipv6  off: its code is removed (no <UnikraftNet> has an IPv6 address)", result.Manifest);
        Assert.DoesNotContain("NeighborCache", result.Manifest);
    }

    // AF_INET6 sockets come with IPv6: a UDP program's kernel with Address6 makes IPv6 endpoints;
    // without Address6 the IPv6 endpoint is not made and socket(AF_INET6) answers EAFNOSUPPORT as
    // before (KernelFeatures.Ipv6 false), so the BCL's start-up probe keeps it on IPv4.
    [Theory]
    [InlineData("eth0|tap|198.18.0.2/24|198.18.0.1|||uk0|2001:2::2/64|end", true)]
    [InlineData("eth0|tap|198.18.0.2/24|198.18.0.1|||uk0||end", false)]
    public void UdpProgram_GetsAfInet6SocketsOnlyWithAddress6(string items, bool ipv6)
    {
        const string udpProgram = """
            using var client = new System.Net.Sockets.UdpClient();
            client.Send(new byte[] { 1 }, 1, "198.18.0.1", 123);
            """;
        var properties = new Dictionary<string, string>
        {
            ["UnikraftBootBanner"] = "false", ["UnikraftNets"] = items, ["UnikraftNativeLayer"] = "true", ["UnikraftNativeSlots"] = "true",
        };
        GeneratorHarness.Result result = GeneratorHarness.Run(GeneratorHarness.Compilation(new[] { ("Program.cs", udpProgram) }), properties);

        Assert.Empty(result.Problems);
        string transport = result.Source("Kernel/Net/Sockets/StackSocketTransport.g.cs");
        Assert.Contains("new UdpDatagramEndpoint(udp!.Open())", transport);
        Assert.Equal(ipv6, transport.Contains("Open6(", System.StringComparison.Ordinal));
        Assert.Contains(ipv6 ? "  Ipv6  on" : "  Ipv6  off", result.Manifest);
    }

    // A TCP-only program with IPv6 still gets UDP sockets: the BCL's IPv6 probe opens an AF_INET6
    // datagram socket and takes EPROTONOSUPPORT as "no IPv6" (no AAAA lookups, no dual mode).
    // Without IPv6 such a program keeps TCP alone.
    [Theory]
    [InlineData("eth0|tap|198.18.0.2/24|198.18.0.1|||uk0|2001:2::2/64|end", true)]
    [InlineData("eth0|tap|198.18.0.2/24|198.18.0.1|||uk0||end", false)]
    public void TcpProgram_WithIpv6_GetsUdpSocketsForTheBclsIpv6Probe(string items, bool ipv6)
    {
        const string tcpProgram = """
            using var client = new System.Net.Sockets.TcpClient();
            client.Connect("198.18.0.1", 80);
            """;
        var properties = new Dictionary<string, string>
        {
            ["UnikraftBootBanner"] = "false", ["UnikraftNets"] = items, ["UnikraftNativeLayer"] = "true", ["UnikraftNativeSlots"] = "true",
        };
        GeneratorHarness.Result result = GeneratorHarness.Run(GeneratorHarness.Compilation(new[] { ("Program.cs", tcpProgram) }), properties);

        Assert.Empty(result.Problems);
        Assert.Equal(ipv6, result.Manifest.Contains("  Udp  on", System.StringComparison.Ordinal));
        Assert.Equal(ipv6, result.Manifest.Contains("the BCL's IPv6 probe (Socket.OSSupportsIPv6)", System.StringComparison.Ordinal));
        Assert.Equal(ipv6, result.Source("Kernel/Net/Sockets/StackSocketTransport.g.cs").Contains("Open6(", System.StringComparison.Ordinal));
    }

    [Fact]
    public void NoInterface_LeavesTheNetworkOutOfTheKernel()
    {
        GeneratorHarness.Result result = Run("");

        Assert.Empty(result.Problems);
        Assert.DoesNotContain("NetBoot", result.Source("Unikraft.Boot.g.cs"));
        Assert.DoesNotContain("net-iface", result.Manifest);
    }

    [Fact]
    public void NoInterface_ButTheProgramMakesSockets_KeepsTheSocketsOnLoopback()
    {
        // A JIT run (no link to say what it imports) of a program that talks to itself over
        // 127.0.0.1: the native layer's socket functions and the stack under them are in the kernel.
        const string program = """
            using System.Net;
            using System.Net.Sockets;
            var listener = new TcpListener(IPAddress.Loopback, 7777);
            listener.Start();
            """;
        GeneratorHarness.Result result = GeneratorHarness.Run(GeneratorHarness.Compilation(new[] { ("Program.cs", program) }),
            new Dictionary<string, string> { ["UnikraftBootBanner"] = "false", ["UnikraftNets"] = "", ["UnikraftNativeLayer"] = "true", ["UnikraftNativeSlots"] = "true" });

        Assert.Empty(result.Problems);
        Assert.DoesNotContain("NetBoot.Attach", result.Source("Unikraft.Boot.g.cs"));
        Assert.Contains("socket (41)  library net-socket", result.Manifest);
        Assert.Contains("[native layer]  SystemNative_Socket", result.Manifest);
        Assert.Contains("net-tcp", result.Manifest);
    }

    [Fact]
    public void NoInterface_AndAClassOfTheProgramNamedSocket_LeavesTheNetworkOut()
    {
        const string program = """
            var socket = new Socket();
            System.Console.WriteLine(socket.Name);
            class Socket { public string Name => "plug"; }
            """;
        GeneratorHarness.Result result = GeneratorHarness.Run(GeneratorHarness.Compilation(new[] { ("Program.cs", program) }),
            new Dictionary<string, string> { ["UnikraftBootBanner"] = "false", ["UnikraftNets"] = "", ["UnikraftNativeLayer"] = "true", ["UnikraftNativeSlots"] = "true" });

        Assert.Empty(result.Problems);
        Assert.DoesNotContain("net-socket", result.Manifest);
        Assert.DoesNotContain("SystemNative_Socket", result.Manifest);
    }

    [Fact]
    public void PasstInterface_ListsItsForwardedPorts()
    {
        GeneratorHarness.Result result = Run("eth0|passt|198.18.0.2/24|198.18.0.1||8080,8443|||end");

        Assert.Empty(result.GeneratorDiagnostics);
        Assert.Contains("//   eth0  passt, 198.18.0.2/24, gateway 198.18.0.1, forwards host port 8080,8443  (UnikraftNet 'eth0' in the project file)\n", result.Manifest);
    }

    [Theory]
    [InlineData("eth0|wifi|198.18.0.2/24||||", "<UnikraftNet Include=\"eth0\">: its settings were cut short; write lists (Dns, Forward, Address6) with ',' between the values, not ';'")]
    [InlineData("eth0|wifi|198.18.0.2/24||||||end", "<UnikraftNet Include=\"eth0\">: Type 'wifi' is not a network device of the hosted platform; valid: passt, tap")]
    [InlineData("eth0|tap|198.18.0.2||||||end", "<UnikraftNet Include=\"eth0\">: Address '198.18.0.2' is not an IPv4 address with a prefix length from 1 to 30, such as 198.18.0.2/24")]
    [InlineData("eth0|tap|198.18.0.256/24||||||end", "<UnikraftNet Include=\"eth0\">: Address '198.18.0.256/24' is not an IPv4 address with a prefix length from 1 to 30, such as 198.18.0.2/24")]
    [InlineData("eth0|tap|198.18.0.0/24||||||end", "<UnikraftNet Include=\"eth0\">: Address '198.18.0.0/24' is its network's own address or its broadcast address; pick a host address inside the network")]
    [InlineData("eth0|tap|198.18.0.2/24|198.19.0.1|||||end", "<UnikraftNet Include=\"eth0\">: Gateway '198.19.0.1' is not another host on 198.18.0.2/24's network; the next hop must be reachable directly")]
    [InlineData("eth0|tap|198.18.0.2/24||8.8.8||||end", "<UnikraftNet Include=\"eth0\">: Dns '8.8.8' is not an IPv4 address; list name servers such as 198.18.0.1,198.18.0.53")]
    [InlineData("eth0|tap|198.18.0.2/24|||8080|||end", "<UnikraftNet Include=\"eth0\">: Forward is for Type=\"passt\" (hosted) or Type=\"virtio\" (microvm), which forward the host's ports; with tap the host reaches 198.18.0.2 directly")]
    [InlineData("eth0|passt|198.18.0.2/24|||80,99999|||end", "<UnikraftNet Include=\"eth0\">: Forward '99999' is not a port from 1 to 65535, written 8080 or 8080/tcp for TCP and 4009/udp for UDP")]
    [InlineData("eth0|passt|198.18.0.2/24|||4009/sctp|||end", "<UnikraftNet Include=\"eth0\">: Forward '4009/sctp' is not a port from 1 to 65535, written 8080 or 8080/tcp for TCP and 4009/udp for UDP")]
    [InlineData("eth0|passt|198.18.0.2/24|||4009/udp,4009/udp|||end", "<UnikraftNet Include=\"eth0\">: Forward lists UDP port 4009 twice")]
    [InlineData("eth0|tap|198.18.0.2/24|||4009/udp|||end", "<UnikraftNet Include=\"eth0\">: Forward is for Type=\"passt\" (hosted) or Type=\"virtio\" (microvm), which forward the host's ports; with tap the host reaches 198.18.0.2 directly")]
    [InlineData("eth0|passt|198.18.0.2/24||||tap0||end", "<UnikraftNet Include=\"eth0\">: Device 'tap0' names a host interface, which only Type=\"tap\" has")]
    [InlineData("eth0|tap|198.18.0.2/24|||||2001:2::2|end", "<UnikraftNet Include=\"eth0\">: Address6 '2001:2::2' is not an IPv6 address with a prefix length from 1 to 128, such as 2001:2::2/64; list several with ',' between them")]
    [InlineData("eth0|tap|198.18.0.2/24|||||2001:2::g/64|end", "<UnikraftNet Include=\"eth0\">: Address6 '2001:2::g/64' is not an IPv6 address with a prefix length from 1 to 128, such as 2001:2::2/64; list several with ',' between them")]
    [InlineData("eth0|tap|198.18.0.2/24|||||2001:2::2/129|end", "<UnikraftNet Include=\"eth0\">: Address6 '2001:2::2/129' is not an IPv6 address with a prefix length from 1 to 128, such as 2001:2::2/64; list several with ',' between them")]
    [InlineData("eth0|tap|198.18.0.2/24|||||fe80::1%eth0/64|end", "<UnikraftNet Include=\"eth0\">: Address6 'fe80::1%eth0/64' is not an IPv6 address with a prefix length from 1 to 128, such as 2001:2::2/64; list several with ',' between them")]
    [InlineData("eth0|tap|198.18.0.2/24|||||198.18.0.3/24|end", "<UnikraftNet Include=\"eth0\">: Address6 '198.18.0.3/24' is not an IPv6 address with a prefix length from 1 to 128, such as 2001:2::2/64; list several with ',' between them")]
    [InlineData("eth0|tap|198.18.0.2/24|||||fe80::2/64|end", "<UnikraftNet Include=\"eth0\">: Address6 'fe80::2/64' is link-local: the kernel makes the interface's link-local address from its MAC itself; give a global or unique-local address, such as 2001:2::2/64")]
    [InlineData("eth0|tap|198.18.0.2/24|||||ff02::1/64|end", "<UnikraftNet Include=\"eth0\">: Address6 'ff02::1/64' is a multicast address; give a unicast address of the link, such as 2001:2::2/64")]
    [InlineData("eth0|tap|198.18.0.2/24|||||::1/128|end", "<UnikraftNet Include=\"eth0\">: Address6 '::1/128' is the unspecified or the loopback address; give a unicast address of the link, such as 2001:2::2/64")]
    [InlineData("eth0|tap|198.18.0.2/24|||||::ffff:198.18.0.2/128|end", "<UnikraftNet Include=\"eth0\">: Address6 '::ffff:198.18.0.2/128' is an IPv4-mapped address; give the IPv4 address in Address and an IPv6 one here, such as 2001:2::2/64")]
    [InlineData("eth0|tap|198.18.0.2/24|||||2001:2::2/64,2001:2::2/64|end", "<UnikraftNet Include=\"eth0\">: Address6 lists 2001:2::2/64 twice")]
    [InlineData("eth0|passt|198.18.0.2/24|||||2001:2::2/64,2001:2::3/64|end", "<UnikraftNet Include=\"eth0\">: Address6 '2001:2::2/64,2001:2::3/64': passt carries one IPv6 address of the program; write Address6=\"auto\" (an address from the prefix passt advertises, the host's) or one address")]
    [InlineData("eth0|passt|198.18.0.2/24|||||auto,2001:2::3/64|end", "<UnikraftNet Include=\"eth0\">: Address6 'auto,2001:2::3/64': passt carries one IPv6 address of the program; write Address6=\"auto\" (an address from the prefix passt advertises, the host's) or one address")]
    [InlineData("eth0|tap|198.18.0.2/24|||||auto|end", "<UnikraftNet Include=\"eth0\">: Address6 'auto' takes the address from passt's router advertisements, which Type=\"tap\" has no source of; write the interface's addresses, such as 2001:2::2/64")]
    [InlineData("eth0|tap|198.18.0.2/24|||||2001:2::2/64|2001:2::1/64|end", "<UnikraftNet Include=\"eth0\">: Gateway6 '2001:2::1/64' is not an IPv6 address without a prefix length, such as 2001:2::1 or fe80::1")]
    [InlineData("eth0|tap|198.18.0.2/24|||||2001:2::2/64|198.18.0.1|end", "<UnikraftNet Include=\"eth0\">: Gateway6 '198.18.0.1' is not an IPv6 address without a prefix length, such as 2001:2::1 or fe80::1")]
    [InlineData("eth0|tap|198.18.0.2/24||||||2001:2::1|end", "<UnikraftNet Include=\"eth0\">: Gateway6 '2001:2::1' needs Address6: give the interface an IPv6 address too, such as Address6=\"2001:2::2/64\" Gateway6=\"2001:2::1\"")]
    [InlineData("eth0|tap|198.18.0.2/24|||||2001:2::2/64|ff02::2|end", "<UnikraftNet Include=\"eth0\">: Gateway6 'ff02::2' is not a unicast address of a host (it is unspecified, loopback, IPv4-mapped or multicast); give the router's address, such as 2001:2::1 or fe80::1")]
    [InlineData("eth0|tap|198.18.0.2/24|||||2001:2::2/64|2001:2::2|end", "<UnikraftNet Include=\"eth0\">: Gateway6 '2001:2::2' is the interface's own address (Address6 2001:2::2/64); give the router's address")]
    [InlineData("eth0|tap|198.18.0.2/24|||||2001:2::2/64|2001:2:0:1::1|end", "<UnikraftNet Include=\"eth0\">: Gateway6 '2001:2:0:1::1' is not on the link: it is neither link-local (fe80::/10) nor inside the prefix of an Address6 (2001:2::2/64); the next hop must be reachable directly")]
    [InlineData("eth 0|tap|198.18.0.2/24||||||end", "<UnikraftNet Include=\"eth 0\">: the interface name must be 1 to 15 letters, digits, '-' or '_', such as eth0")]
    [InlineData("eth0|tap|198.18.0.2/24||||||end>eth0|tap|198.18.1.2/24||||||end", "<UnikraftNet Include=\"eth0\">: eth0 is declared twice; keep one item per interface")]
    public void BadItem_IsOneErrorThatNamesIt(string items, string message)
    {
        GeneratorHarness.Result result = Run(items);

        Diagnostic error = Assert.Single(result.GeneratorDiagnostics);
        Assert.Equal("UKG0001", error.Id);
        Assert.Equal(DiagnosticSeverity.Error, error.Severity);
        Assert.Equal(message, error.GetMessage());
    }

    [Fact]
    public void UdpForward_OnAMicroVm_SaysTheRunnerForwardsTcpOnly()
    {
        GeneratorHarness.Result result = Run("eth0|virtio|10.0.2.15/24|10.0.2.2||8080,4009/udp|||end", platform: "microvm");

        Assert.Equal("<UnikraftNet Include=\"eth0\">: Forward '4009/udp': a microvm's runner forwards TCP ports only; UDP ports are forwarded by Type=\"passt\" (hosted)",
            Assert.Single(result.GeneratorDiagnostics).GetMessage());
    }

    [Fact]
    public void SimInterfaceOnHosted_SaysWhichTypesHostedHas()
    {
        GeneratorHarness.Result result = Run("eth0|sim|198.18.0.2/24||||||end");

        Assert.Equal("<UnikraftNet Include=\"eth0\">: Type 'sim' is not a network device of the hosted platform; valid: passt, tap",
            Assert.Single(result.GeneratorDiagnostics).GetMessage());
    }

    [Fact]
    public void AnyInterfaceOnSim_SaysItHasNoNetworkDeviceYet()
    {
        GeneratorHarness.Result result = Run("eth0|sim|198.18.0.2/24||||||end", "sim");

        Assert.Equal("<UnikraftNet Include=\"eth0\">: Type 'sim' is not a network device of the sim platform; it has none yet: a sim program is the only node of its simulation, with no peer on the simulated switch, and its sockets are not served on sim (no native layer)",
            Assert.Single(result.GeneratorDiagnostics).GetMessage());
    }

    [Fact]
    public void TapOnMicroVm_IsAnErrorNamingTheItem_AndVirtio()
    {
        GeneratorHarness.Result result = Run("eth0|tap|198.18.0.2/24||||||end", "microvm");

        Assert.Equal("<UnikraftNet Include=\"eth0\">: Type 'tap' is not a network device of the microvm platform; valid: virtio",
            Assert.Single(result.GeneratorDiagnostics).GetMessage());
    }

    [Fact]
    public void DeviceOnVirtio_IsAnErrorNamingTheItem()
    {
        GeneratorHarness.Result result = Run("eth0|virtio|10.0.2.15/24||||uk0||end", "microvm");

        Assert.Equal("<UnikraftNet Include=\"eth0\">: Device 'uk0' names a host interface, which only Type=\"tap\" has",
            Assert.Single(result.GeneratorDiagnostics).GetMessage());
    }

    // On microvm an item without a Type is the VM's own network card: the boot opens the VM's
    // virtio-net devices in the order of the items, and the manifest lists the device.
    [Fact]
    public void VirtioOnMicroVm_IsTheDefault_OpenedInOrderByTheBoot_AndListedAsAVmDevice()
    {
        GeneratorHarness.Result result = Run("eth0||10.0.2.15/24|10.0.2.2|10.0.2.3|8080|||end>eth1|virtio|10.0.3.15/24||||||end", "microvm", nativeLayer: true);

        Assert.Empty(result.Problems);
        string boot = result.Source("Unikraft.Boot.g.cs");
        Assert.Contains("global::Unikraft.Kernel.NetBoot.Attach(kernel, \"eth0\", global::Unikraft.Kernel.MicroVmNetDevices.OpenVirtio(0), "
            + "new global::Unikraft.Kernel.Ipv4Address(0x0A00020Fu), 24, new global::Unikraft.Kernel.Ipv4Address(0x0A000202u), ", boot);
        Assert.Contains("global::Unikraft.Kernel.MicroVmNetDevices.OpenVirtio(1)", boot);
        // The runner forwards the host's 127.0.0.1:8080, whose connections slirp shows as from
        // the gateway: they reach a listener on localhost, as through passt. eth1 forwards nothing.
        Assert.Contains("global::Unikraft.Kernel.NetBoot.ForwardHostLoopback(kernel, \"eth0\", \"the VM's runner\", new int[] { 8080 });", boot);
        Assert.DoesNotContain("ForwardHostLoopback(kernel, \"eth1\"", boot);
        Assert.Contains("HostLoopbackForward  on", result.Manifest);
        Assert.Contains("//   eth0  virtio, 10.0.2.15/24, gateway 10.0.2.2, dns 10.0.2.3, forwards host port 8080  (UnikraftNet 'eth0' in the project file)\n", result.Manifest);
        Assert.Contains("//   device: virtio-net on virtio-mmio (eth0; the runner gives it QEMU's user network, host port 8080 forwarded)\n", result.Manifest);
        Assert.Contains("VirtioNetDevice", result.Manifest);
    }

    [Fact]
    public void VirtioOnHosted_IsAnErrorNamingTheItem()
    {
        GeneratorHarness.Result result = Run("eth0|virtio|10.0.2.15/24||||||end");

        Assert.Equal("<UnikraftNet Include=\"eth0\">: Type 'virtio' is not a network device of the hosted platform; valid: passt, tap",
            Assert.Single(result.GeneratorDiagnostics).GetMessage());
    }

    private static GeneratorHarness.Result Run(string items, string platform = "hosted", bool nativeLayer = false)
    {
        var properties = new Dictionary<string, string> { ["UnikraftBootBanner"] = "false", ["UnikraftNets"] = items, ["UnikraftPlatform"] = platform };
        if (nativeLayer)
        {
            properties["UnikraftNativeLayer"] = "true";
            properties["UnikraftNativeSlots"] = "true";
        }
        return GeneratorHarness.Run(GeneratorHarness.Compilation(new[] { ("Program.cs", Program) }), properties);
    }
}
