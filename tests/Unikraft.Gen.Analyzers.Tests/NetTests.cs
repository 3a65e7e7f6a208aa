using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Testing;
using Xunit;

namespace Unikraft.Gen.Analyzers.Tests;

// UK0501-UK0504: the program's network calls, checked against its <UnikraftNet> items.
public sealed class NetTests
{
    private const string Tap = "eth0|tap|198.18.0.2/24|198.18.0.1|||uk0||end";
    private const string TapWithDns = "eth0|tap|198.18.0.2/24|198.18.0.1|198.18.0.1||uk0||end";
    private const string Passt = "eth0|passt|10.0.2.15/24|10.0.2.2||8080,8443|||end";

    private static Task AnalyzeAsync(string source, string? nets, params DiagnosticResult[] expected) =>
        AnalyzeAsync(source, nets, CompilerDiagnostics.Errors, expected);

    private static async Task AnalyzeAsync(string source, string? nets, CompilerDiagnostics compiler, params DiagnosticResult[] expected)
    {
        var test = new CSharpAnalyzerTest<NetAnalyzer, DefaultVerifier>
        {
            TestCode = source,
            ReferenceAssemblies = new ReferenceAssemblies("net10.0"),
            CompilerDiagnostics = compiler,
        };
        test.TestState.AdditionalReferences.AddRange(Basic.Reference.Assemblies.Net100.References.All);
        if (nets is not null)
        {
            test.TestState.AnalyzerConfigFiles.Add(("/.globalconfig", "is_global = true\nbuild_property.UnikraftNets = " + nets + "\n"));
        }

        test.ExpectedDiagnostics.AddRange(expected);
        await test.RunAsync(CancellationToken.None);
    }

    [Fact]
    public async Task NoInterface_ConstantAddressesBeyondLoopback_ReportUK0501()
    {
        const string source = """
            using System.Net;
            using System.Net.Http;
            using System.Net.Sockets;
            class Program
            {
                static void Main()
                {
                    var listener = new TcpListener({|#0:IPAddress.Any|}, 7777);
                    var client = new TcpClient({|#1:"198.18.0.1"|}, 80);
                    var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                    socket.Connect({|#2:new IPEndPoint(IPAddress.Parse("203.0.113.9"), 443)|});
                    _ = new HttpClient().GetStringAsync({|#3:"http://example.com/index.html"|});
                }
            }
            """;
        await AnalyzeAsync(source, "",
            new DiagnosticResult(DiagnosticDescriptors.AddressWithNoInterface).WithLocation(0).WithArguments("new TcpListener", "listens on every address"),
            new DiagnosticResult(DiagnosticDescriptors.AddressWithNoInterface).WithLocation(1).WithArguments("new TcpClient", "reaches 198.18.0.1"),
            new DiagnosticResult(DiagnosticDescriptors.AddressWithNoInterface).WithLocation(2).WithArguments("Socket.Connect", "reaches 203.0.113.9"),
            new DiagnosticResult(DiagnosticDescriptors.AddressWithNoInterface).WithLocation(3).WithArguments("HttpClient.GetStringAsync", "reaches example.com"));
    }

    [Fact]
    public async Task NoInterface_LoopbackIsFine_AndComputedAddressesAreInformation()
    {
        const string source = """
            using System;
            using System.Net;
            using System.Net.Sockets;
            class Program
            {
                const string Local = "127.0.0.1";
                static void Main(string[] args)
                {
                    var listener = new TcpListener(IPAddress.Loopback, 7777);
                    var client = new TcpClient("localhost", 7777);
                    var other = new TcpClient(Local, 7777);
                    using var udp = new UdpClient();
                    udp.Connect(new IPEndPoint(IPAddress.Parse("127.0.0.2"), 53));
                    _ = new Uri("http://[::1]:8080/");
                    var computed = new TcpClient({|#0:args[0]|}, 7777);
                }
            }
            """;
        await AnalyzeAsync(source, "",
            new DiagnosticResult(DiagnosticDescriptors.AddressNotKnownWithNoInterface).WithLocation(0).WithArguments("new TcpClient"));
    }

    [Fact]
    public async Task WithAnInterface_AddressesAreFine()
    {
        const string source = """
            using System.Net;
            using System.Net.Sockets;
            class Program
            {
                static void Main(string[] args)
                {
                    var listener = new TcpListener(IPAddress.Any, 7777);
                    var client = new TcpClient("198.18.0.1", 80);
                    var computed = new TcpClient(IPAddress.Parse(args[0]).ToString(), 80);
                }
            }
            """;
        await AnalyzeAsync(source, Tap);
    }

    [Fact]
    public async Task PasstOnly_ListenerOnAPortNotForwarded_ReportsUK0503()
    {
        const string source = """
            using System.Net;
            using System.Net.Sockets;
            class Program
            {
                const int Port = 5000;
                static void Main()
                {
                    var forwarded = new TcpListener(IPAddress.Any, 8080);
                    var alsoForwarded = new TcpListener(new IPEndPoint(IPAddress.Any, 8443));
                    var missed = new TcpListener(IPAddress.Any, {|#0:Port|});
                    var missedToo = new TcpListener({|#1:new IPEndPoint(IPAddress.Any, 9000)|});
                }
            }
            """;
        await AnalyzeAsync(source, Passt,
            new DiagnosticResult(DiagnosticDescriptors.PortNotForwarded).WithLocation(0).WithArguments("new TcpListener", "5000", "8080,8443", "eth0"),
            new DiagnosticResult(DiagnosticDescriptors.PortNotForwarded).WithLocation(1).WithArguments("new TcpListener", "9000", "8080,8443", "eth0"));
    }

    [Fact]
    public async Task PasstOnly_UdpClientBoundToAPortNotForwarded_ReportsUK0503()
    {
        const string source = """
            using System.Net;
            using System.Net.Sockets;
            class Program
            {
                static void Main()
                {
                    var forwarded = new UdpClient(4009);
                    var forwardedToo = new UdpClient(new IPEndPoint(IPAddress.Any, 4009));
                    var tcpPortOnly = new UdpClient({|#0:8080|});
                    var missed = new UdpClient({|#1:5353|}, AddressFamily.InterNetworkV6);
                    var missedToo = new UdpClient({|#2:new IPEndPoint(IPAddress.Any, 7000)|});
                    var outgoing = new UdpClient("198.18.0.1", 5000);
                    var anyPort = new UdpClient();
                    var tcpOnUdpPort = new TcpListener(IPAddress.Any, {|#3:4009|});
                }
            }
            """;
        const string withUdp = "eth0|passt|10.0.2.15/24|10.0.2.2||8080,4009/udp|||end";
        await AnalyzeAsync(source, withUdp,
            new DiagnosticResult(DiagnosticDescriptors.PortNotForwarded).WithLocation(0).WithArguments("new UdpClient", "8080/udp", "8080,4009/udp", "eth0"),
            new DiagnosticResult(DiagnosticDescriptors.PortNotForwarded).WithLocation(1).WithArguments("new UdpClient", "5353/udp", "8080,4009/udp", "eth0"),
            new DiagnosticResult(DiagnosticDescriptors.PortNotForwarded).WithLocation(2).WithArguments("new UdpClient", "7000/udp", "8080,4009/udp", "eth0"),
            new DiagnosticResult(DiagnosticDescriptors.PortNotForwarded).WithLocation(3).WithArguments("new TcpListener", "4009", "8080,4009/udp", "eth0"));
    }

    [Fact]
    public async Task PasstOnly_HttpListenerPrefixOnAPortNotForwarded_ReportsUK0503()
    {
        const string source = """
            using System.Net;
            class Program
            {
                static void Main(string[] args)
                {
                    var listener = new HttpListener();
                    listener.Prefixes.Add("http://localhost:8080/");
                    listener.Prefixes.Add("http://+:8443/api/");
                    listener.Prefixes.Add({|#0:"http://*:5000/"|});
                    listener.Prefixes.Add({|#1:"http://+/"|});
                    listener.Prefixes.Add({|#2:"https://localhost/"|});
                    listener.Prefixes.Add(args[0]);
                }
            }
            """;
        await AnalyzeAsync(source, Passt,
            new DiagnosticResult(DiagnosticDescriptors.PortNotForwarded).WithLocation(0).WithArguments("HttpListener.Prefixes.Add", "5000", "8080,8443", "eth0"),
            new DiagnosticResult(DiagnosticDescriptors.PortNotForwarded).WithLocation(1).WithArguments("HttpListener.Prefixes.Add", "80", "8080,8443", "eth0"),
            new DiagnosticResult(DiagnosticDescriptors.PortNotForwarded).WithLocation(2).WithArguments("HttpListener.Prefixes.Add", "443", "8080,8443", "eth0"));
        await AnalyzeAsync(source.Replace("{|#0:", "").Replace("{|#1:", "").Replace("{|#2:", "").Replace("|}", ""), Tap);
    }

    [Fact]
    public async Task TapBesidePasst_AnyPortIsReachable()
    {
        const string source = """
            using System.Net;
            using System.Net.Sockets;
            class Program
            {
                static void Main() => new TcpListener(IPAddress.Any, 5000).Start();
            }
            """;
        await AnalyzeAsync(source, Passt + ">" + Tap.Replace("eth0", "eth1").Replace("198.18.0", "198.19.0"));
    }

    [Fact]
    public async Task NameLookupWithNoServer_ReportsUK0504_AndAServerSilencesIt()
    {
        const string source = """
            using System.Net;
            using System.Net.Sockets;
            class Program
            {
                static void Main(string[] args)
                {
                    _ = Dns.GetHostAddresses({|#0:"web.test"|});
                    _ = Dns.GetHostEntry({|#1:args[0]|});
                    _ = Dns.GetHostAddresses("localhost");
                    _ = Dns.GetHostAddresses("198.18.0.1");
                    var client = new TcpClient();
                    client.Connect({|#2:"web.test"|}, 80);
                    client.Connect(args[0], 80);
                }
            }
            """;
        await AnalyzeAsync(source, Tap,
            new DiagnosticResult(DiagnosticDescriptors.NameLookupWithNoServer).WithLocation(0).WithArguments("Dns.GetHostAddresses", "'web.test'"),
            new DiagnosticResult(DiagnosticDescriptors.NameLookupWithNoServer).WithLocation(1).WithArguments("Dns.GetHostEntry", "a name computed at run time"),
            new DiagnosticResult(DiagnosticDescriptors.NameLookupWithNoServer).WithLocation(2).WithArguments("TcpClient.Connect", "'web.test'"));
        await AnalyzeAsync(source.Replace("{|#0:", "").Replace("{|#1:", "").Replace("{|#2:", "").Replace("|}", ""), TapWithDns);
    }

    // The analyzer reads Gateway6 as the generator does (NetTable.cs is shared): an item with a
    // good Gateway6 is an interface (its missing name server is reported, as for any tap item);
    // one with a bad Gateway6 is the generator's error to report, and the analyzer keeps quiet.
    [Fact]
    public async Task Gateway6_IsReadAsTheGeneratorReadsIt()
    {
        const string source = """
            using System.Net;
            class Program
            {
                static void Main() => _ = Dns.GetHostAddresses({|#0:"web.test"|});
            }
            """;
        await AnalyzeAsync(source, "eth0|tap|198.18.0.2/24|198.18.0.1|||uk0|2001:2::2/64|2001:2::1|end",
            new DiagnosticResult(DiagnosticDescriptors.NameLookupWithNoServer).WithLocation(0).WithArguments("Dns.GetHostAddresses", "'web.test'"));
        await AnalyzeAsync(source, "eth0|tap|198.18.0.2/24|198.18.0.1|||uk0|2001:2::2/64|fe80::1|end",
            new DiagnosticResult(DiagnosticDescriptors.NameLookupWithNoServer).WithLocation(0).WithArguments("Dns.GetHostAddresses", "'web.test'"));
        await AnalyzeAsync(source.Replace("{|#0:", "").Replace("|}", ""), "eth0|tap|198.18.0.2/24|198.18.0.1|||uk0|2001:2::2/64|2001:3::1|end");
    }

    [Fact]
    public async Task WithoutTheGenerator_OrWithWrongItems_NothingIsReported()
    {
        const string source = """
            using System.Net;
            using System.Net.Sockets;
            class Program
            {
                static void Main() => new TcpClient("198.18.0.1", 80).Close();
            }
            """;
        await AnalyzeAsync(source, null);
        await AnalyzeAsync(source, "eth0|wifi|198.18.0.2/24|||||end");
    }

    [Fact]
    public async Task HalfTypedCalls_ReportNothingAndDoNotThrow()
    {
        const string source = """
            using System.Net;
            using System.Net.Sockets;
            class Program
            {
                static void Main()
                {
                    var listener = new TcpListener(IPAddress.Nope, port);
                    var client = new TcpClient(42, 80);
                    Dns.GetHostAddresses();
                    new TcpListener(IPAddress.Any, "x");
                    new TcpClient("198.18.0.1"
                }
            }
            """;
        // The compiler's errors are not what this checks: an analyzer exception would fail the test.
        await AnalyzeAsync(source, "", CompilerDiagnostics.None);
        await AnalyzeAsync(source, Passt, CompilerDiagnostics.None);
    }
}
