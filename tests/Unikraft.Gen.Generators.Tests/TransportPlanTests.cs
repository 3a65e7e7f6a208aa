using System.Collections.Generic;
using System.IO;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Xunit;

namespace Unikraft.Gen.Tests;

// Which transports a kernel's sockets carry: a UDP-only program has no TCP in its kernel and a
// TCP-only one no UDP sockets, by the types the program and its libraries make sockets with; a
// Socket made by hand, or sockets nothing explains, bring both. Each kernel compiles with no
// warning, and the manifest says why each transport is in or that it is out.
public class TransportPlanTests
{
    [Fact]
    public void UdpClientOnly_HasNoTcpInItsKernel()
    {
        GeneratorHarness.Result result = RunJit("""
            using System.Net.Sockets;
            using var client = new UdpClient();
            client.Send(new byte[] { 1 }, 1, "127.0.0.1", 123);
            """);

        Assert.Empty(result.Problems);
        Assert.DoesNotContain("net-tcp", result.Section("Libraries"));
        Assert.Contains("net-udp", result.Section("Libraries"));
        Assert.DoesNotContain(GeneratedFiles(result), file => file.Contains("/Tcp/"));
        string transport = result.Source("Kernel/Net/Sockets/StackSocketTransport.g.cs");
        Assert.DoesNotContain("TcpStack", transport);
        Assert.Contains("new UdpDatagramEndpoint(", transport);
        Assert.Contains("//   Udp  on\n//       Program.cs:2  makes sockets: System.Net.Sockets.UdpClient\n", result.Manifest);
        Assert.Contains("//   Tcp  off: its code is removed", result.Manifest);
    }

    [Fact]
    public void TcpListenerOnly_HasNoUdpSockets_ButItsResolverKeepsItsOwnUdp()
    {
        GeneratorHarness.Result result = RunJit("""
            using System.Net;
            using System.Net.Sockets;
            var listener = new TcpListener(IPAddress.Loopback, 7777);
            listener.Start();
            """);

        Assert.Empty(result.Problems);
        Assert.Contains("net-tcp", result.Section("Libraries"));
        string transport = result.Source("Kernel/Net/Sockets/StackSocketTransport.g.cs");
        Assert.Contains("new TcpStreamEndpoint(", transport);
        Assert.DoesNotContain("UdpDatagramEndpoint", transport);
        Assert.DoesNotContain(GeneratedFiles(result), file => file.EndsWith("UdpDatagramEndpoint.g.cs", System.StringComparison.Ordinal));
        // The BCL's name lookups (under the JIT every socket function stays) query over the stack's
        // UDP, made by the resolver itself.
        Assert.Contains("UdpLayer.For(kernel, stack)", result.Source("Kernel/Net/Dns/DnsResolver.g.cs"));
        Assert.Contains("//   Tcp  on\n//       Program.cs:3  makes sockets: System.Net.Sockets.TcpListener\n", result.Manifest);
        Assert.Contains("//   TcpListen  on\n//       Program.cs:3  makes sockets: System.Net.Sockets.TcpListener\n", result.Manifest);
        Assert.Contains("ProcessListen", result.Source("Kernel/Net/Tcp/TcpStack.g.cs"));
        Assert.Contains("//   Udp  off: its code is removed", result.Manifest);
    }

    [Fact]
    public void AClientOnly_HasNoListenPath()
    {
        GeneratorHarness.Result result = RunJit("""
            using System.Net.Http;
            using var client = new HttpClient();
            System.Console.WriteLine(await client.GetStringAsync("http://198.18.0.1/"));
            """);

        Assert.Empty(result.Problems);
        Assert.Contains("net-tcp", result.Section("Libraries"));
        Assert.DoesNotContain(GeneratedFiles(result), file => file.EndsWith("TcpSynCookies.g.cs", System.StringComparison.Ordinal));
        string stack = result.Source("Kernel/Net/Tcp/TcpStack.g.cs");
        Assert.DoesNotContain("ProcessListen", stack);
        Assert.DoesNotContain("AddListener", stack);
        string socket = result.Source("Kernel/Net/Tcp/TcpSocket.g.cs");
        Assert.DoesNotContain("CloseListener", socket);
        Assert.DoesNotContain("AcceptSyn", socket);
        Assert.Contains("return -Errno.EOPNOTSUPP;", socket);
        Assert.Contains("//   Tcp  on\n//       Program.cs:2  makes sockets: System.Net.Http.HttpClient\n", result.Manifest);
        Assert.Contains("//   TcpListen  off: its code is removed", result.Manifest);
    }

    [Fact]
    public void ASocketTheProgramMakes_BringsBoth()
    {
        GeneratorHarness.Result result = RunJit("""
            using System.Net.Sockets;
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            """);

        Assert.Empty(result.Problems);
        Assert.Contains("net-tcp", result.Section("Libraries"));
        Assert.Contains("net-udp", result.Section("Libraries"));
        Assert.Contains("Program.cs:2  makes sockets: System.Net.Sockets.Socket", result.Manifest);
    }

    [Fact]
    public void OnlyDnsNamed_SocketsNothingExplains_BringBoth()
    {
        GeneratorHarness.Result result = RunJit("""
            using System.Net;
            System.Console.WriteLine(Dns.GetHostAddresses("example.test").Length);
            """);

        Assert.Empty(result.Problems);
        Assert.Contains("net-tcp", result.Section("Libraries"));
        Assert.Contains("net-udp", result.Section("Libraries"));
        Assert.Contains("sockets whose protocol nothing names: ", result.Manifest);
    }

    [Fact]
    public void LinkImportsSockets_AndNoTypeNamesAProtocol_BringBoth()
    {
        // A NativeAOT compile whose link imported the socket functions for code the program does
        // not name (a framework library's): both transports, never a refused socket.
        GeneratorHarness.Result result = GeneratorHarness.Run(
            GeneratorHarness.Compilation(new[] { ("Program.cs", "System.Console.WriteLine(\"up\");") }),
            new Dictionary<string, string>
            {
                ["UnikraftBootBanner"] = "false",
                ["UnikraftNativeLayer"] = "true",
                ["UnikraftNativeImports"] = "SystemNative_Socket,SystemNative_Connect,SystemNative_Close",
            });

        Assert.Empty(result.Problems);
        Assert.Contains("net-tcp", result.Section("Libraries"));
        Assert.Contains("net-udp", result.Section("Libraries"));
        Assert.Contains("sockets whose protocol nothing names: ", result.Manifest);
    }

    [Fact]
    public void ALibrarysUdpClient_IsSeenInItsMetadata_NextToTheProgramsTcpClient()
    {
        CSharpCompilation library = CSharpCompilation.Create("TimeClient",
            new[] { CSharpSyntaxTree.ParseText("""
                namespace TimeClient;
                public static class Sntp
                {
                    public static System.Net.Sockets.UdpClient Open() => new System.Net.Sockets.UdpClient();
                }
                """) },
            Basic.Reference.Assemblies.Net100.References.All,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));
        using var image = new MemoryStream();
        Assert.True(library.Emit(image).Success);
        MetadataReference reference = MetadataReference.CreateFromImage(image.ToArray(),
            filePath: "/home/user/.nuget/packages/timeclient/1.0.0/lib/net10.0/TimeClient.dll");

        GeneratorHarness.Result result = GeneratorHarness.Run(
            GeneratorHarness.Compilation(new[] { ("Program.cs", """
                using System.Net.Sockets;
                using var client = new TcpClient();
                using var time = TimeClient.Sntp.Open();
                """) }).AddReferences(reference),
            JitProperties());

        Assert.Empty(result.Problems);
        Assert.Contains("//   Tcp  on\n//       Program.cs:2  makes sockets: System.Net.Sockets.TcpClient\n", result.Manifest);
        Assert.Contains("//   Udp  on\n//       [TimeClient]  makes sockets: System.Net.Sockets.UdpClient (used by library TimeClient)\n", result.Manifest);
    }

    [Fact]
    public void LibraryWithSocketsAlone_BringsTheSocketFunctionsUnderTheJit()
    {
        // The program names no network type; its library does: under the JIT (no link) the socket
        // functions and the library's transport are in the kernel, not left to the host.
        CSharpCompilation library = CSharpCompilation.Create("Echo",
            new[] { CSharpSyntaxTree.ParseText("public static class Echo { public static object Listen() => new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 7); }") },
            Basic.Reference.Assemblies.Net100.References.All,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));
        using var image = new MemoryStream();
        Assert.True(library.Emit(image).Success);
        MetadataReference reference = MetadataReference.CreateFromImage(image.ToArray(), filePath: "/src/Echo/bin/Echo.dll");

        GeneratorHarness.Result result = GeneratorHarness.Run(
            GeneratorHarness.Compilation(new[] { ("Program.cs", "System.Console.WriteLine(Echo.Listen());") }).AddReferences(reference),
            JitProperties());

        Assert.Empty(result.Problems);
        Assert.Contains("[native layer]  SystemNative_Socket", result.Manifest);
        Assert.Contains("net-tcp", result.Section("Libraries"));
        Assert.DoesNotContain("UdpDatagramEndpoint", result.Source("Kernel/Net/Sockets/StackSocketTransport.g.cs"));
        Assert.Contains("[Echo]  makes sockets: System.Net.Sockets.TcpListener (used by library Echo)", result.Manifest);
    }

    // ICMP echo is answered by default, and the manifest says so; UnikraftIcmpEcho=false takes the
    // answering code out (the stack drops echo requests, as Linux's icmp_echo_ignore_all does); a
    // kernel with no network stack says nothing about it.
    [Fact]
    public void IcmpEcho_IsOnByDefault_AndASettingTakesItOut()
    {
        const string Program = """
            using System.Net.Sockets;
            using var client = new UdpClient();
            client.Send(new byte[] { 1 }, 1, "127.0.0.1", 123);
            """;
        GeneratorHarness.Result on = RunJit(Program);
        Dictionary<string, string> properties = JitProperties();
        properties["UnikraftIcmpEcho"] = "false";
        GeneratorHarness.Result off = GeneratorHarness.Run(GeneratorHarness.Compilation(new[] { ("Program.cs", Program) }), properties);
        GeneratorHarness.Result hello = RunJit("System.Console.WriteLine(1);");

        Assert.Empty(on.Problems);
        Assert.Empty(off.Problems);
        Assert.Contains("//   IcmpEcho  on\n//       [project]  answers ICMP echo requests (UnikraftIcmpEcho, on by default)\n", on.Manifest);
        Assert.Contains("AnswerEcho(", on.Source("Kernel/Net/Interface/NetStack.g.cs"));
        Assert.Contains("//   IcmpEcho  off: its code is removed (UnikraftIcmpEcho=false)", off.Manifest);
        string stack = off.Source("Kernel/Net/Interface/NetStack.g.cs");
        Assert.DoesNotContain("AnswerEcho", stack);
        Assert.DoesNotContain("IcmpType.EchoReply", stack);
        Assert.Contains("IcmpEchoIgnored++", stack);
        Assert.DoesNotContain("IcmpEcho", hello.Manifest);
    }

    // Kernel.AtExit is a list any library may add to; exit_group ran it only in kernels with TCP
    // (the one library that registers today), so work another library registered would have been
    // pruned away with the guard. Now the call is there whatever the features, and the list,
    // empty unless something registered, is the guard.
    [Theory]
    [InlineData("System.Console.WriteLine(1);")]
    [InlineData("using var client = new System.Net.Sockets.UdpClient(); client.Send(new byte[] { 1 }, 1, \"127.0.0.1\", 123);")]
    public void KernelWithoutTcp_StillRunsItsExitWork(string program)
    {
        GeneratorHarness.Result result = RunJit(program);

        Assert.Empty(result.Problems);
        Assert.DoesNotContain("net-tcp", result.Section("Libraries"));
        Assert.Contains("kernel.RunExitWork();", result.Source("Kernel/Core/ExitGroup.g.cs"));
        Assert.Contains("public void RunExitWork()", result.Source("Kernel/Core/Kernel.g.cs"));
    }

    private static GeneratorHarness.Result RunJit(string program) =>
        GeneratorHarness.Run(GeneratorHarness.Compilation(new[] { ("Program.cs", program) }), JitProperties());

    private static Dictionary<string, string> JitProperties() => new()
    {
        ["UnikraftBootBanner"] = "false",
        ["UnikraftNets"] = "",
        ["UnikraftNativeLayer"] = "true",
        ["UnikraftNativeSlots"] = "true",
    };

    private static IEnumerable<string> GeneratedFiles(GeneratorHarness.Result result) =>
        result.Run.Results.Single().GeneratedSources.Select(s => s.HintName);
}
