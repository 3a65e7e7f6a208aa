using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Testing;
using Xunit;

namespace Unikraft.Gen.Analyzers.Tests;

// With the native layer on (a NativeAOT image on hosted), what the kernel serves underneath the
// BCL is no longer a diagnostic; what it cannot serve still is.
public sealed class NativeLayerTests
{
    private const string Source = """
        using System;
        using System.IO;

        class Program
        {
            static void Main()
            {
                {|#0:Console.Out|}.WriteLine("hello");
                var folder = {|#1:new DirectoryInfo("/")|};
                string here = {|#2:Environment.CurrentDirectory|};
                {|#3:System.Diagnostics.Process.Start("ls")|};
            }
        }
        """;

    // A console game's calls: keys, colours, the cursor, the window. The native layer serves them
    // through the kernel's terminal; resizing the window the BCL cannot do on Linux at all.
    private const string TerminalSource = """
        using System;

        class Program
        {
            static void Main()
            {
                {|#0:Console.Clear()|};
                {|#1:Console.CursorVisible|} = false;
                {|#2:Console.ForegroundColor|} = ConsoleColor.Green;
                {|#3:Console.BackgroundColor|} = ConsoleColor.Black;
                {|#4:Console.SetCursorPosition({|#5:Console.WindowWidth|} / 2, {|#6:Console.WindowHeight|} / 2)|};
                Console.Write("@");
                if ({|#7:Console.KeyAvailable|})
                {
                    ConsoleKeyInfo key = {|#8:Console.ReadKey(intercept: true)|};
                }
                {|#9:Console.Title|} = "snake";
                {|#10:Console.ResetColor()|};
                {|#11:Console.SetWindowSize(80, 25)|};
            }
        }
        """;

    // Name lookups: the native layer serves them with the kernel's DNS resolver.
    private const string DnsSource = """
        using System.Net;
        using System.Threading.Tasks;

        class Program
        {
            static async Task Main()
            {
                IPAddress[] addresses = {|#0:Dns.GetHostAddresses("web.test")|};
                IPHostEntry entry = {|#1:Dns.GetHostEntry("web.test")|};
                addresses = await {|#2:Dns.GetHostAddressesAsync("web.test")|};
                string name = {|#3:Dns.GetHostName()|};
            }
        }
        """;

    // A recursive listing: the kernel API has EnumerateFiles(path) only, so the overload with a
    // SearchOption is not intercepted; the BCL's own enumeration then reaches the kernel through the
    // native layer when it is on, and the host's directories when it is off.
    private const string OverloadSource = """
        using System.IO;

        class Program
        {
            static void Main()
            {
                foreach (string path in {|#0:Directory.EnumerateFiles("/srv", "*", SearchOption.AllDirectories)|})
                {
                }
            }
        }

        namespace Unikraft.Kernel
        {
            internal static class KernelDirectory
            {
                public static System.Collections.Generic.IEnumerable<string> EnumerateFiles(string path) => new string[0];
            }
        }
        """;

    // The wall clock: on hosted and microvm the host's clock is the one the kernel's clock device
    // reads, so where the native layer is on DateTime.Now and UtcNow are the kernel's time.
    private const string ClockSource = """
        using System;

        class Program
        {
            static void Main()
            {
                DateTime local = {|#0:DateTime.Now|};
                DateTime utc = {|#1:DateTime.UtcNow|};
            }
        }

        namespace Unikraft.Kernel
        {
            internal static class KernelClock
            {
                public static System.DateTime Now => default;
                public static System.DateTime UtcNow => default;
            }
        }
        """;

    // Several threads of control, each blocking: on hosted (the native layer on) the program's
    // threads take turns on the kernel's vCPU and wait without it; under sim (the native layer off)
    // they would stall the simulation's only thread. The runtime's wait handles (ManualResetEvent,
    // AutoResetEvent, WaitHandle's waits) are served as the slim ones are; Thread.Interrupt, and a
    // Mutex (a named one is shared between host processes), stay refused everywhere.
    private const string ThreadsSource = """
        using System.Threading;
        using System.Threading.Tasks;

        class Program
        {
            static void Main()
            {
                var worker = {|#0:new Thread(() => { })|};
                worker.Start();
                {|#1:worker.Join()|};
                {|#2:ThreadPool.QueueUserWorkItem(_ => { })|};
                Task<int> task = Task.FromResult(1);
                {|#3:task.Wait()|};
                int value = {|#4:task.Result|};
                {|#5:Task.WaitAll(task)|};
                object gate = new object();
                lock (gate)
                {
                    {|#6:Monitor.Wait(gate, 1)|};
                }
                using var signal = new ManualResetEventSlim(true);
                {|#7:signal.Wait()|};
                {|#8:worker.Interrupt()|};
                _ = {|#9:task.ContinueWith(t => t.Status)|};
                using var done = {|#10:new ManualResetEvent(false)|};
                using var turn = {|#11:new AutoResetEvent(true)|};
                {|#12:done.WaitOne(1)|};
                {|#13:WaitHandle.WaitAny(new WaitHandle[] { done, turn }, 1)|};
                {|#14:WaitHandle.WaitAll(new WaitHandle[] { turn }, 1)|};
                using var named = {|#15:new Mutex(false, "shared-between-processes")|};
            }
        }
        """;

    private static Task AnalyzeAsync(string? nativeLayer, params DiagnosticResult[] expected) =>
        AnalyzeAsync(Source, nativeLayer, expected);

    private static async Task AnalyzeAsync(string source, string? nativeLayer, params DiagnosticResult[] expected)
    {
        var test = new CSharpAnalyzerTest<SupportTableAnalyzer, DefaultVerifier>
        {
            TestCode = source,
            ReferenceAssemblies = new ReferenceAssemblies("net10.0"),
        };
        test.TestState.AdditionalReferences.AddRange(Basic.Reference.Assemblies.Net100.References.All);
        if (nativeLayer is not null)
        {
            test.TestState.AnalyzerConfigFiles.Add(("/.globalconfig", "is_global = true\nbuild_property.UnikraftNativeLayer = " + nativeLayer + "\n"));
        }
        test.ExpectedDiagnostics.AddRange(expected);
        await test.RunAsync(CancellationToken.None);
    }

    private static DiagnosticResult UK0001(int location) => new DiagnosticResult("UK0001", DiagnosticSeverity.Error).WithLocation(location);

    [Fact]
    public Task NativeLayerOn_ServedApis_AreNotReported_ProcessStartStillIs() =>
        AnalyzeAsync("true", UK0001(3));

    [Fact]
    public Task NativeLayerOff_EveryHostApi_IsReported() =>
        AnalyzeAsync(null, UK0001(0), UK0001(1), UK0001(2), UK0001(3));

    [Fact]
    public Task NativeLayerFalse_EveryHostApi_IsReported() =>
        AnalyzeAsync("false", UK0001(0), UK0001(1), UK0001(2), UK0001(3));

    [Fact]
    public Task NativeLayerOn_TheTerminalApis_AreNotReported_ResizingTheWindowStillIs() =>
        AnalyzeAsync(TerminalSource, "true", UK0001(11));

    [Fact]
    public Task NativeLayerOff_TheTerminalApis_AreReported() =>
        AnalyzeAsync(TerminalSource, null, UK0001(0), UK0001(1), UK0001(2), UK0001(3), UK0001(4), UK0001(5), UK0001(6), UK0001(7), UK0001(8), UK0001(9), UK0001(10), UK0001(11));

    [Fact]
    public Task NativeLayerOn_NameLookups_AreNotReported() =>
        AnalyzeAsync(DnsSource, "true");

    [Fact]
    public Task NativeLayerOff_NameLookups_AreReported() =>
        AnalyzeAsync(DnsSource, "false", UK0001(0), UK0001(1), UK0001(2), UK0001(3));

    [Fact]
    public Task NativeLayerOn_AnOverloadTheKernelApiLacks_IsNotReported() =>
        AnalyzeAsync(OverloadSource, "true");

    [Fact]
    public Task NativeLayerOff_AnOverloadTheKernelApiLacks_IsUK0003() =>
        AnalyzeAsync(OverloadSource, "false", new DiagnosticResult("UK0003", DiagnosticSeverity.Warning).WithLocation(0));

    [Fact]
    public Task NativeLayerOn_TheWallClock_IsNotReported() =>
        AnalyzeAsync(ClockSource, "true");

    [Fact]
    public Task NativeLayerOff_TheWallClock_IsUK0002() =>
        AnalyzeAsync(ClockSource, "false", new DiagnosticResult("UK0002", DiagnosticSeverity.Warning).WithLocation(0),
            new DiagnosticResult("UK0002", DiagnosticSeverity.Warning).WithLocation(1));

    [Fact]
    public Task NativeLayerOn_ThreadsAndBlockingWaits_AreNotReported_InterruptStillIs() =>
        AnalyzeAsync(ThreadsSource, "true", UK0001(8), UK0001(15));

    [Fact]
    public Task NativeLayerOff_ThreadsAndBlockingWaits_AreReported() =>
        AnalyzeAsync(ThreadsSource, "false", UK0001(0), UK0001(1), UK0001(2), UK0001(3), UK0001(4), UK0001(5), UK0001(6), UK0001(7), UK0001(8), UK0001(9),
            UK0001(10), UK0001(11), UK0001(12), UK0001(13), UK0001(14), UK0001(15));

    // A simulation has no native layer (the generator keeps none on sim), so UnikraftNativeLayer=true
    // in a sim build must not hide that the program's sockets would be the host's, around the kernel
    // and the seed: they stay UK0001 there, and pass on hosted.
    private const string SocketSource = """
        using System.Net;
        using System.Net.Sockets;

        class Program
        {
            static void Main()
            {
                using var listener = {|#0:new TcpListener(IPAddress.Loopback, 7777)|};
                using var client = {|#1:new TcpClient()|};
            }
        }
        """;

    // A downloader on HttpClient over plain http:// (a third-party program, rhildred/netget, fetched
    // a host file byte for byte under `dotnet run` once UK0001 stopped refusing it): the native layer
    // serves its name lookup and sockets on the kernel's own stack.
    private const string HttpSource = """
        using System.Net.Http;
        using System.Threading.Tasks;

        class Program
        {
            static async Task Main(string[] args)
            {
                using var client = {|#0:new HttpClient()|};
                string page = await {|#1:client.GetStringAsync(args[0])|};
                using var response = await {|#2:client.GetAsync("http://10.0.2.2:8000/")|};
                using var handler = {|#3:new SocketsHttpHandler()|};
            }
        }
        """;

    [Fact]
    public Task NativeLayerOn_HttpClient_IsServed() =>
        AnalyzeAsync(HttpSource, "true");

    [Fact]
    public Task NativeLayerOff_HttpClient_IsUK0001() =>
        AnalyzeAsync(HttpSource, null, UK0001(0), UK0001(1), UK0001(2), UK0001(3));

    // The older HTTP clients, the WebSocket client and SmtpClient (many programs still use them):
    // WebClient and WebRequest run on HttpClient's handler, ClientWebSocket and SmtpClient on its
    // sockets. Programs/LoopbackChat, WebSocketEcho and Mailer run them on the kernel's loopback,
    // under dotnet run and as NativeAOT images.
    private const string OlderClientsSource = """
        using System;
        using System.Net;
        using System.Net.Mail;
        using System.Net.WebSockets;

        class Program
        {
            static void Main()
            {
        #pragma warning disable SYSLIB0014
                using var web = {|#0:new WebClient()|};
                var request = {|#1:WebRequest.Create("http://127.0.0.1:8089/")|};
                var typed = {|#2:WebRequest.CreateHttp("http://127.0.0.1:8089/")|};
        #pragma warning restore SYSLIB0014
                using var socket = {|#3:new ClientWebSocket()|};
                using var mail = {|#4:new SmtpClient("127.0.0.1", 2525)|};
            }
        }
        """;

    [Fact]
    public Task NativeLayerOn_WebClientWebRequestClientWebSocketAndSmtpClient_AreServed() =>
        AnalyzeAsync(OlderClientsSource, "true");

    [Fact]
    public Task NativeLayerOff_WebClientWebRequestClientWebSocketAndSmtpClient_AreUK0001() =>
        AnalyzeAsync(OlderClientsSource, null, UK0001(0), UK0001(1), UK0001(2), UK0001(3), UK0001(4));

    [Fact]
    public async Task NativeLayerTrue_OnSim_SocketsAreStillUK0001()
    {
        var test = new CSharpAnalyzerTest<SupportTableAnalyzer, DefaultVerifier>
        {
            TestCode = SocketSource,
            ReferenceAssemblies = new ReferenceAssemblies("net10.0"),
        };
        test.TestState.AdditionalReferences.AddRange(Basic.Reference.Assemblies.Net100.References.All);
        test.TestState.AnalyzerConfigFiles.Add(("/.globalconfig",
            "is_global = true\nbuild_property.UnikraftNativeLayer = true\nbuild_property.UnikraftPlatform = sim\n"));
        test.ExpectedDiagnostics.AddRange(new[] { UK0001(0), UK0001(1) });
        await test.RunAsync(CancellationToken.None);
    }

    [Fact]
    public Task NativeLayerTrue_OnHosted_SocketsAreServed() =>
        AnalyzeAsync(SocketSource, "true");

    // What opens a file by its path: a StreamReader or StreamWriter made from one, XML loaded from a
    // path, a zip extracted to a folder. Without the native layer (and on sim, which has none) the
    // file would be the host's, so each is UK0001; made from a stream, the same types open nothing.
    // With the native layer on hosted, the BCL's open reaches the kernel's VFS.
    private const string PathSource = """
        using System.IO;
        using System.IO.Compression;
        using System.Xml.Linq;

        class Program
        {
            static void Main()
            {
                using var reader = {|#0:new StreamReader("/data/in.txt")|};
                using var fromStream = new StreamReader(new MemoryStream());
                using var writer = {|#1:new StreamWriter("/data/out.txt", append: true)|};
                XDocument document = {|#2:XDocument.Load("/data/in.xml")|};
                XDocument parsed = XDocument.Load(new MemoryStream());
                {|#3:ZipFile.ExtractToDirectory("/data/a.zip", "/data/a")|};
            }
        }
        """;

    [Fact]
    public Task NativeLayerOff_WhatOpensAPath_IsReported_WhatTakesAStreamIsNot() =>
        AnalyzeAsync(PathSource, "false", UK0001(0), UK0001(1), UK0001(2), UK0001(3));

    [Fact]
    public Task NativeLayerOn_WhatOpensAPath_IsServed() =>
        AnalyzeAsync(PathSource, "true");

    [Fact]
    public async Task NativeLayerTrue_OnSim_WhatOpensAPath_IsStillUK0001()
    {
        var test = new CSharpAnalyzerTest<SupportTableAnalyzer, DefaultVerifier>
        {
            TestCode = PathSource,
            ReferenceAssemblies = new ReferenceAssemblies("net10.0"),
        };
        test.TestState.AdditionalReferences.AddRange(Basic.Reference.Assemblies.Net100.References.All);
        test.TestState.AnalyzerConfigFiles.Add(("/.globalconfig",
            "is_global = true\nbuild_property.UnikraftNativeLayer = true\nbuild_property.UnikraftPlatform = sim\n"));
        test.ExpectedDiagnostics.AddRange(new[] { UK0001(0), UK0001(1), UK0001(2), UK0001(3) });
        await test.RunAsync(CancellationToken.None);
    }

    // What Newtonsoft.Json (and libraries like it) does: generate IL, load an assembly by name,
    // ask for the local time zone. Without the native layer each is UK0001; with it, the generated
    // and loaded code reaches the kernel through the BCL's native layer as all code does, and the
    // time zone files are read from the kernel's file system.
    private const string RuntimeCodeSource = """
        using System;
        using System.Reflection;
        using System.Reflection.Emit;

        class Program
        {
            static void Main()
            {
                var method = {|#0:new DynamicMethod("answer", typeof(int), Type.EmptyTypes)|};
                ILGenerator il = {|#1:method.GetILGenerator()|};
                {|#2:il.Emit(OpCodes.Ldc_I4, 42)|};
                TimeZoneInfo zone = {|#3:TimeZoneInfo.Local|};
                Assembly loaded = {|#4:Assembly.Load("System.Text.Json")|};
            }
        }
        """;

    [Fact]
    public Task NativeLayerOff_RuntimeCodeAndTheTimeZone_AreReported() =>
        AnalyzeAsync(RuntimeCodeSource, "false", UK0001(0), UK0001(1), UK0001(2), UK0001(3), UK0001(4));

    [Fact]
    public Task NativeLayerOn_RuntimeCodeAndTheTimeZone_AreServed() =>
        AnalyzeAsync(RuntimeCodeSource, "true");
}
