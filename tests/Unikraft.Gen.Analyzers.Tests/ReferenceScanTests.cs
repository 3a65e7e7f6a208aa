using System.Collections.Immutable;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Xunit;

namespace Unikraft.Gen.Analyzers.Tests;

// UK0301: a referenced assembly, compiled already, is scanned from its metadata; the build's IL
// scan (Unikraft.ReferenceCalls.tsv, an additional file) adds the methods that make the calls.
public sealed class ReferenceScanTests
{
    private static MetadataReference Library(string name, string source) =>
        MetadataReference.CreateFromImage(ReferenceScannerTests.CompileLibrary(name, source));

    private static readonly ConfigProvider s_generator = new(("build_property.UnikraftMounts", ""));

    private static readonly ConfigProvider s_nativeLayer = new(("build_property.UnikraftMounts", ""), ("build_property.UnikraftNativeLayer", "true"));

    private static Task<ImmutableArray<Diagnostic>> AnalyzeAsync(MetadataReference reference, bool withGenerator, params AdditionalText[] files) =>
        AnalyzeAsync(reference, new ConfigProvider((withGenerator ? "build_property.UnikraftMounts" : "unrelated", "")), files);

    private static async Task<ImmutableArray<Diagnostic>> AnalyzeAsync(MetadataReference reference, ConfigProvider config, params AdditionalText[] files)
    {
        CSharpCompilation program = Verifiers.Compile("class Program { static void Main() => Helper.Run(); }")
            .AddReferences(reference);
        var options = new AnalyzerOptions(ImmutableArray.Create(files), config);
        return await program.WithAnalyzers(ImmutableArray.Create<DiagnosticAnalyzer>(new ReferenceScanAnalyzer()), options)
            .GetAnalyzerDiagnosticsAsync(CancellationToken.None);
    }

    private static string[] Messages(ImmutableArray<Diagnostic> diagnostics) =>
        diagnostics.Where(d => d.Id == "UK0301").Select(d => d.GetMessage()).OrderBy(m => m, System.StringComparer.Ordinal).ToArray();

    // The file as the build writes it: the library's image scanned with the analyzer's own table.
    private static AdditionalText CallsFile(string assemblyName, byte[] image)
    {
        Build.AssemblyScan scan = Build.ReferenceScanner.Scan(new MemoryStream(image), ReferenceScannerTests.SupportedTypeNames());
        Assert.Equal(assemblyName, scan.AssemblyName);
        return new InMemoryText("obj/Debug/net10.0/unikraft/" + Build.ReferenceScanner.FileName, Build.ReferenceScanner.Format([scan]));
    }

    private const string Helper = """
        public static class Helper
        {
            public static void Run()
            {
                System.Diagnostics.Process.Start("ls");
                System.Console.WriteLine(System.DateTime.Now);
                System.Console.WriteLine(System.IO.File.ReadAllText("/etc/hostname"));
                System.Console.WriteLine(System.Math.Max(1, 2));
                System.Console.WriteLine(System.IO.Path.Combine("a", "b"));
                System.Console.WriteLine(System.Environment.GetEnvironmentVariable("HOME"));
            }
        }
        """;

    [Fact]
    public async Task ReferencedLibrary_CallingUnsupportedAndBypassingApis_ReportsUK0301PerApi()
    {
        ImmutableArray<Diagnostic> diagnostics = await AnalyzeAsync(Library("Chatty.Helpers", Helper), withGenerator: true);

        string[] messages = diagnostics.Where(d => d.Id == "UK0301").Select(d => d.GetMessage()).OrderBy(m => m).ToArray();
        Assert.Contains(messages, m => m.StartsWith("Referenced assembly 'Chatty.Helpers' uses 'Process.Start', which the kernel does not support", System.StringComparison.Ordinal));
        Assert.Contains(messages, m => m.StartsWith("Referenced assembly 'Chatty.Helpers' uses 'DateTime.Now', which bypasses the kernel", System.StringComparison.Ordinal));
        Assert.Contains(messages, m => m.StartsWith("Referenced assembly 'Chatty.Helpers' uses 'File.ReadAllText', which cannot be redirected", System.StringComparison.Ordinal));
        Assert.Contains(messages, m => m.StartsWith("Referenced assembly 'Chatty.Helpers' uses 'Console.WriteLine'", System.StringComparison.Ordinal));
        Assert.Contains(messages, m => m.StartsWith("Referenced assembly 'Chatty.Helpers' uses 'Environment.GetEnvironmentVariable'", System.StringComparison.Ordinal));
        Assert.DoesNotContain(messages, m => m.Contains("Math.Max", System.StringComparison.Ordinal));
        Assert.DoesNotContain(messages, m => m.Contains("Path.Combine", System.StringComparison.Ordinal));
        Assert.All(diagnostics, d => Assert.Equal(DiagnosticSeverity.Error, d.Severity));
    }

    // With the native layer on (a NativeAOT image on hosted), the library's file and console I/O
    // reaches the kernel underneath the BCL; what nothing in the kernel serves is still reported.
    [Fact]
    public async Task NativeLayerOn_ALibrarysFileAndConsoleCalls_AreNotReported_ProcessStartStillIs()
    {
        string[] messages = Messages(await AnalyzeAsync(Library("Chatty.Helpers", Helper),
            new ConfigProvider(("build_property.UnikraftMounts", ""), ("build_property.UnikraftNativeLayer", "true"))));

        Assert.Contains(messages, m => m.StartsWith("Referenced assembly 'Chatty.Helpers' uses 'Process.Start'", System.StringComparison.Ordinal));
        Assert.DoesNotContain(messages, m => m.Contains("File.ReadAllText", System.StringComparison.Ordinal));
        // The host's wall clock is the one the kernel's clock device reads on hosted.
        Assert.DoesNotContain(messages, m => m.Contains("DateTime.Now", System.StringComparison.Ordinal));
        Assert.DoesNotContain(messages, m => m.Contains("Console.WriteLine", System.StringComparison.Ordinal));
        // The process's environment is the kernel's boot environment on hosted.
        Assert.DoesNotContain(messages, m => m.Contains("GetEnvironmentVariable", System.StringComparison.Ordinal));
    }

    [Fact]
    public async Task CleanLibrary_AndProjectsWithoutTheGenerator_GetNothing()
    {
        Assert.Empty(await AnalyzeAsync(Library("Pure.Math", "public static class Helper { public static int Run() => System.Math.Max(1, 2); }"), withGenerator: true));
        Assert.Empty(await AnalyzeAsync(Library("Chatty.Helpers", Helper), withGenerator: false));
    }

    private const string Launcher = """
        namespace Chatty
        {
            public static class Launcher
            {
                public static void Start(string command) => System.Diagnostics.Process.Start(command);
                public static void Restart() => System.Diagnostics.Process.Start("ls");
                public static void Stop() => System.Diagnostics.Process.Start("kill");
                public static System.Func<System.DateTime> Clock() => () => System.DateTime.Now;
            }
        }
        public static class Helper
        {
            public static void Run() => System.Console.WriteLine(System.Math.Max(1, 2));
        }
        """;

    [Fact]
    public async Task CallsFileFromTheBuild_NamesTheCallingMethodInTheMessage()
    {
        byte[] image = ReferenceScannerTests.CompileLibrary("Chatty.Launcher", Launcher);

        string[] messages = Messages(await AnalyzeAsync(MetadataReference.CreateFromImage(image), withGenerator: true, CallsFile("Chatty.Launcher", image)));

        Assert.Contains(messages, m => m.StartsWith("Referenced assembly 'Chatty.Launcher' uses 'Process.Start' (from 'Chatty.Launcher.Restart()' and 2 more), which the kernel does not support: ", System.StringComparison.Ordinal));
        Assert.Contains(messages, m => m.StartsWith("Referenced assembly 'Chatty.Launcher' uses 'DateTime.Now' (from 'Chatty.Launcher.Clock (lambda)'), which bypasses the kernel", System.StringComparison.Ordinal));
        Assert.Contains(messages, m => m.StartsWith("Referenced assembly 'Chatty.Launcher' uses 'Console.WriteLine' (from 'Helper.Run()'), which cannot be redirected", System.StringComparison.Ordinal));
        Assert.DoesNotContain(messages, m => m.Contains("Math.Max", System.StringComparison.Ordinal));
        Assert.Equal(3, messages.Length);
    }

    [Fact]
    public async Task NoCallsFile_ReportsTheSameApisWithoutCallers()
    {
        byte[] image = ReferenceScannerTests.CompileLibrary("Chatty.Launcher", Launcher);

        string[] messages = Messages(await AnalyzeAsync(MetadataReference.CreateFromImage(image), withGenerator: true));

        Assert.Equal(3, messages.Length);
        Assert.Contains(messages, m => m.StartsWith("Referenced assembly 'Chatty.Launcher' uses 'Process.Start', which the kernel does not support", System.StringComparison.Ordinal));
        Assert.DoesNotContain(messages, m => m.Contains("(from", System.StringComparison.Ordinal));
    }

    // A package's compile-time reference assembly has no method bodies and so no member
    // references for the calls; the build scans its runtime assembly instead.
    [Fact]
    public async Task CallFoundOnlyByTheBuildScan_IsReportedWithItsCaller()
    {
        string header = Build.ReferenceScanner.Header;
        var file = new InMemoryText("unikraft/" + Build.ReferenceScanner.FileName,
            header + "\nPure.Math\tcall\tPure.Secret.Spawn(string)\tSystem.Diagnostics.Process\tStart\tstring\n"
            + "Pure.Math\tcall\tPure.Secret.Join()\tSystem.IO.Path\tCombine\tstring\n"
            + "Pure.Math\tteleport\tPure.Secret.Jump()\tSystem.Diagnostics.Process\tStart\n"
            + "Pure.Math\tcall\ta line with too few cells\n");

        string[] messages = Messages(await AnalyzeAsync(Library("Pure.Math", "public static class Helper { public static int Run() => System.Math.Max(1, 2); }"), withGenerator: true, file));

        Assert.Equal(
            ["Referenced assembly 'Pure.Math' uses 'Process.Start' (from 'Pure.Secret.Spawn(string)'), which the kernel does not support: " + ProcessStartReason()],
            messages);
    }

    // When the build read every method body, the scan replaces the metadata: what it left out
    // (here by hand; in a build, the kernel's and the generator's own code) is not reported.
    [Fact]
    public async Task AssemblyTheBuildReadWhole_IsReportedFromTheScanAlone()
    {
        byte[] image = ReferenceScannerTests.CompileLibrary("Chatty.Launcher", Launcher);
        string rows = "Chatty.Launcher\tcall\tChatty.Launcher.Start(string)\tSystem.Diagnostics.Process\tStart\tstring\n";
        var readWhole = new InMemoryText(Build.ReferenceScanner.FileName, Build.ReferenceScanner.Header + "\nChatty.Launcher\n" + rows);
        var readInPart = new InMemoryText(Build.ReferenceScanner.FileName, Build.ReferenceScanner.Header + "\n" + rows);

        string[] whole = Messages(await AnalyzeAsync(MetadataReference.CreateFromImage(image), withGenerator: true, readWhole));
        string[] part = Messages(await AnalyzeAsync(MetadataReference.CreateFromImage(image), withGenerator: true, readInPart));

        Assert.Equal(
            ["Referenced assembly 'Chatty.Launcher' uses 'Process.Start' (from 'Chatty.Launcher.Start(string)'), which the kernel does not support: " + ProcessStartReason()],
            whole);
        Assert.Equal(3, part.Length);
        Assert.Contains("Referenced assembly 'Chatty.Launcher' uses 'Process.Start' (from 'Chatty.Launcher.Start(string)'), which the kernel does not support: " + ProcessStartReason(), part);
    }

    [Fact]
    public async Task CallsFile_OfAnotherVersionOrAnotherAssembly_AddsNoCaller()
    {
        byte[] image = ReferenceScannerTests.CompileLibrary("Chatty.Launcher", Launcher);
        string rows = "Chatty.Launcher\tcall\tChatty.Launcher.Start(string)\tSystem.Diagnostics.Process\tStart\tstring\n";
        var otherVersion = new InMemoryText(Build.ReferenceScanner.FileName, "# Unikraft.Gen reference calls, version 0\n" + rows);
        var otherAssembly = new InMemoryText(Build.ReferenceScanner.FileName, Build.ReferenceScanner.Header + "\n" + rows.Replace("Chatty.Launcher\t", "Other.Library\t", System.StringComparison.Ordinal));
        var otherName = new InMemoryText("notes.tsv", Build.ReferenceScanner.Header + "\n" + rows);

        foreach (AdditionalText file in new[] { otherVersion, otherAssembly, otherName })
        {
            string[] messages = Messages(await AnalyzeAsync(MetadataReference.CreateFromImage(image), withGenerator: true, file));

            Assert.Equal(3, messages.Length);
            Assert.DoesNotContain(messages, m => m.Contains("(from", System.StringComparison.Ordinal));
        }
    }

    // A library that makes a StreamReader from a path opens the host's file; one that makes it
    // from a stream opens nothing. The metadata and the build's scan both tell the overloads apart
    // by the first parameter (the support table's argument=path rows).
    private const string PathReader = """
        public static class Helper
        {
            public static string Run() => new System.IO.StreamReader("/etc/hostname").ReadToEnd();
        }
        """;

    private const string StreamReader = """
        public static class Helper
        {
            public static string Run() => new System.IO.StreamReader(new System.IO.MemoryStream(new byte[] { 65 })).ReadToEnd()
                + System.Xml.Linq.XDocument.Load(new System.IO.MemoryStream()).ToString();
        }
        """;

    [Fact]
    public async Task ALibrarysStreamReader_FromAPath_IsReported_FromAStream_IsNot()
    {
        byte[] path = ReferenceScannerTests.CompileLibrary("Path.Reader", PathReader);
        byte[] stream = ReferenceScannerTests.CompileLibrary("Stream.Reader", StreamReader);

        string expected = "Referenced assembly 'Path.Reader' uses 'new StreamReader'";
        string[] fromMetadata = Messages(await AnalyzeAsync(MetadataReference.CreateFromImage(path), withGenerator: true));
        string[] fromScan = Messages(await AnalyzeAsync(MetadataReference.CreateFromImage(path), withGenerator: true, CallsFile("Path.Reader", path)));
        Assert.Contains(fromMetadata, m => m.StartsWith(expected + ", which the kernel does not support: made from a path", System.StringComparison.Ordinal));
        Assert.Contains(fromScan, m => m.StartsWith(expected + " (from 'Helper.Run()'), which the kernel does not support: made from a path", System.StringComparison.Ordinal));

        Assert.DoesNotContain(Messages(await AnalyzeAsync(MetadataReference.CreateFromImage(stream), withGenerator: true)), m => m.Contains("StreamReader") || m.Contains("XDocument"));
        Assert.DoesNotContain(Messages(await AnalyzeAsync(MetadataReference.CreateFromImage(stream), withGenerator: true, CallsFile("Stream.Reader", stream))),
            m => m.Contains("StreamReader") || m.Contains("XDocument"));

        // With the native layer on, the BCL's open reaches the kernel's VFS.
        Assert.Empty(Messages(await AnalyzeAsync(MetadataReference.CreateFromImage(path), s_nativeLayer)));
    }

    // Newtonsoft.Json's shape: a library that generates IL, waits with Task.Delay and reads the
    // local time zone. Every use is an error without the native layer (sim), none with it: the
    // library's code reaches the kernel through the BCL's native layer like the program's.
    private const string RuntimeCodeLibrary = """
        public static class Helper
        {
            public static object Run()
            {
                var method = new System.Reflection.Emit.DynamicMethod("answer", typeof(int), System.Type.EmptyTypes);
                method.GetILGenerator().Emit(System.Reflection.Emit.OpCodes.Ldc_I4, 42);
                System.Threading.Tasks.Task.Delay(1).Wait();
                System.Threading.Thread.Sleep(1);
                return System.TimeZoneInfo.Local;
            }
        }
        """;

    [Fact]
    public async Task ALibraryThatGeneratesCode_IsReportedWithoutTheNativeLayer_AndServedWithIt()
    {
        byte[] image = ReferenceScannerTests.CompileLibrary("Json.Like", RuntimeCodeLibrary);

        string[] without = Messages(await AnalyzeAsync(MetadataReference.CreateFromImage(image), withGenerator: true, CallsFile("Json.Like", image)));
        foreach (string api in new[] { "DynamicMethod", "ILGenerator", "Task.Delay", "Thread.Sleep", "TimeZoneInfo.Local" })
        {
            Assert.Contains(without, m => m.StartsWith("Referenced assembly 'Json.Like' uses '" + api + "'", System.StringComparison.Ordinal));
        }

        Assert.Empty(Messages(await AnalyzeAsync(MetadataReference.CreateFromImage(image), s_nativeLayer, CallsFile("Json.Like", image))));
        Assert.Empty(Messages(await AnalyzeAsync(MetadataReference.CreateFromImage(image), s_nativeLayer)));
    }

    // Acceptance (issue 12): native interop inside a reference is found from its metadata alone
    // (P/Invokes in the method table, unmanaged calli signatures in the stand-alone signature
    // table), and is an error: it reaches the host however the program is built.
    [Fact]
    public async Task ReferencedLibrary_WithNativeInterop_ReportsEachPInvokeAndTheUnmanagedCalli_AsErrors()
    {
        byte[] image = ReferenceScannerTests.CompileLibrary("Native.Calls", ReferenceScannerTests.NativeInterop, withLibraryImportGenerator: true);

        ImmutableArray<Diagnostic> diagnostics = await AnalyzeAsync(MetadataReference.CreateFromImage(image), s_nativeLayer);

        string[] messages = Messages(diagnostics);
        Assert.Contains("Referenced assembly 'Native.Calls' uses the native function 'getpid' of 'libc' (a P/Invoke), which bypasses the kernel: "
            + "a P/Invoke runs native code on the host, outside the kernel and its confinement; use a BCL API the kernel serves instead, or leave the library out", messages);
        Assert.Contains(messages, m => m.StartsWith("Referenced assembly 'Native.Calls' uses the native function 'open' of 'libc' (a P/Invoke), which bypasses the kernel", System.StringComparison.Ordinal));
        Assert.Contains(messages, m => m.StartsWith("Referenced assembly 'Native.Calls' uses a call through an unmanaged function pointer (calli, cdecl), which bypasses the kernel", System.StringComparison.Ordinal));
        Assert.Contains(messages, m => m.StartsWith("Referenced assembly 'Native.Calls' uses 'Process.Start', which the kernel does not support", System.StringComparison.Ordinal));
        Assert.Equal(4, messages.Length);
        Assert.All(diagnostics, d => Assert.Equal(DiagnosticSeverity.Error, d.Severity));
    }

    // Microsoft.Extensions.Hosting's shape (`dotnet new worker`): configuration from every
    // environment variable, and a marshalling stub that saves and restores the last native error
    // around a P/Invoke. The environment is the kernel's boot environment where the native layer is
    // on (reported without it); the last error is the runtime's own state, never reported.
    private const string HostingLikeLibrary = """
        public static class Settings
        {
            public static int Count() => System.Environment.GetEnvironmentVariables().Count;

            public static string Expand(string text) => System.Environment.ExpandEnvironmentVariables(text);

            public static int Saved()
            {
                System.Runtime.InteropServices.Marshal.SetLastSystemError(0);
                int error = System.Runtime.InteropServices.Marshal.GetLastSystemError();
                System.Runtime.InteropServices.Marshal.SetLastPInvokeError(error);
                return System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
            }
        }
        """;

    [Fact]
    public async Task TheWholeEnvironment_IsServedByTheNativeLayer_AndTheLastNativeError_IsNeverReported()
    {
        byte[] image = ReferenceScannerTests.CompileLibrary("Hosting.Like", HostingLikeLibrary);

        string[] without = Messages(await AnalyzeAsync(MetadataReference.CreateFromImage(image), withGenerator: true, CallsFile("Hosting.Like", image)));
        Assert.Equal(2, without.Length);
        Assert.Contains(without, m => m.StartsWith("Referenced assembly 'Hosting.Like' uses 'Environment.GetEnvironmentVariables'", System.StringComparison.Ordinal));
        Assert.Contains(without, m => m.StartsWith("Referenced assembly 'Hosting.Like' uses 'Environment.ExpandEnvironmentVariables'", System.StringComparison.Ordinal));

        Assert.Empty(Messages(await AnalyzeAsync(MetadataReference.CreateFromImage(image), s_nativeLayer, CallsFile("Hosting.Like", image))));
        Assert.Empty(Messages(await AnalyzeAsync(MetadataReference.CreateFromImage(image), s_nativeLayer)));
    }

    // A command-line library names the program from the command line's first element
    // (System.CommandLine's RootCommand.ExecutablePath): the runtime's own state, the same
    // arguments the boot passes Main, so no UK0301 with the native layer or without it.
    [Fact]
    public async Task ALibraryReadingTheCommandLine_IsNotReported()
    {
        byte[] image = ReferenceScannerTests.CompileLibrary("Cli.Like", """
            public static class Helper
            {
                public static void Run()
                {
                    Name = System.IO.Path.GetFileName(System.Environment.GetCommandLineArgs()[0]);
                    Line = System.Environment.CommandLine;
                }

                public static string Name { get; private set; } = "";

                public static string Line { get; private set; } = "";
            }
            """);

        Assert.Empty(Messages(await AnalyzeAsync(MetadataReference.CreateFromImage(image), withGenerator: true, CallsFile("Cli.Like", image))));
        Assert.Empty(Messages(await AnalyzeAsync(MetadataReference.CreateFromImage(image), s_nativeLayer, CallsFile("Cli.Like", image))));
    }

    // A console library asks the console's encoding to decide whether it may draw Unicode
    // (Spectre.Console's Capabilities): on Linux the BCL takes it from the environment, and with
    // the native layer its streams write through the kernel's console, so it is reported only
    // without the native layer.
    [Fact]
    public async Task ALibraryAskingTheConsolesEncoding_IsReportedOnlyWithoutTheNativeLayer()
    {
        byte[] image = ReferenceScannerTests.CompileLibrary("Console.Like", """
            public static class Helper
            {
                public static void Run()
                {
                    Unicode = System.Console.OutputEncoding.CodePage == 65001 && System.Console.InputEncoding.CodePage == 65001;
                }

                public static bool Unicode { get; private set; }
            }
            """);

        string[] without = Messages(await AnalyzeAsync(MetadataReference.CreateFromImage(image), withGenerator: true, CallsFile("Console.Like", image)));
        Assert.Equal(2, without.Length);
        Assert.StartsWith("Referenced assembly 'Console.Like' uses 'Console.InputEncoding'", without[0], System.StringComparison.Ordinal);
        Assert.StartsWith("Referenced assembly 'Console.Like' uses 'Console.OutputEncoding'", without[1], System.StringComparison.Ordinal);
        Assert.Empty(Messages(await AnalyzeAsync(MetadataReference.CreateFromImage(image), s_nativeLayer, CallsFile("Console.Like", image))));
    }

    // A console library reads the OS version to decide on Windows whether the console speaks ANSI
    // (Spectre.Console's ColorSystemDetector): with the native layer the BCL parses the kernel's own
    // uname release (NativeSystemInfo), so it is reported only without the native layer.
    [Fact]
    public async Task ALibraryReadingTheOsVersion_IsReportedOnlyWithoutTheNativeLayer()
    {
        byte[] image = ReferenceScannerTests.CompileLibrary("Version.Like", """
            public static class Helper
            {
                public static void Run()
                {
                    Build = System.Environment.OSVersion.Version.Build;
                    Description = System.Runtime.InteropServices.RuntimeInformation.OSDescription;
                }

                public static int Build { get; private set; }

                public static string Description { get; private set; } = "";
            }
            """);

        string[] without = Messages(await AnalyzeAsync(MetadataReference.CreateFromImage(image), withGenerator: true, CallsFile("Version.Like", image)));
        Assert.Equal(2, without.Length);
        Assert.StartsWith("Referenced assembly 'Version.Like' uses 'Environment.OSVersion'", without[0], System.StringComparison.Ordinal);
        Assert.StartsWith("Referenced assembly 'Version.Like' uses 'RuntimeInformation.OSDescription'", without[1], System.StringComparison.Ordinal);
        Assert.Empty(Messages(await AnalyzeAsync(MetadataReference.CreateFromImage(image), s_nativeLayer, CallsFile("Version.Like", image))));
    }

    // A cross-platform library's Windows and macOS code paths (Serilog's console sink asks
    // kernel32.dll for the console mode behind an OS check): those libraries do not exist on
    // Linux, so the calls cannot reach the host and are not reported; a P/Invoke into a Linux
    // library beside them still is, from the metadata and from the build's scan alike.
    private const string ForeignPlatformLibrary = """
        using System;
        using System.Runtime.InteropServices;
        public static class Terminal
        {
            [DllImport("kernel32.dll", SetLastError = true)]
            private static extern IntPtr GetStdHandle(int handle);
            [DllImport("KERNEL32")]
            private static extern bool GetConsoleMode(IntPtr handle, out uint mode);
            [DllImport("api-ms-win-core-console-l1-1-0.dll")]
            private static extern bool SetConsoleMode(IntPtr handle, uint mode);
            [DllImport("/System/Library/Frameworks/CoreFoundation.framework/CoreFoundation")]
            private static extern IntPtr CFRunLoopGetMain();
            [DllImport("libc", EntryPoint = "isatty")]
            private static extern int IsATty(int fd);

            public static bool Colours()
            {
                if (RuntimeInformation.IsOSPlatform(OSPlatform.Windows))
                {
                    return GetConsoleMode(GetStdHandle(-11), out uint mode) && SetConsoleMode(GetStdHandle(-11), mode | 4);
                }

                if (RuntimeInformation.IsOSPlatform(OSPlatform.OSX))
                {
                    return CFRunLoopGetMain() != IntPtr.Zero;
                }

                return IsATty(1) == 1;
            }
        }
        """;

    [Fact]
    public async Task PInvokesIntoWindowsOrMacLibraries_AreNotReported_ALinuxOneStillIs()
    {
        byte[] image = ReferenceScannerTests.CompileLibrary("Terminal.Colours", ForeignPlatformLibrary);

        string[] fromMetadata = Messages(await AnalyzeAsync(MetadataReference.CreateFromImage(image), s_nativeLayer));
        string[] fromScan = Messages(await AnalyzeAsync(MetadataReference.CreateFromImage(image), s_nativeLayer, CallsFile("Terminal.Colours", image)));

        Assert.Equal(["Referenced assembly 'Terminal.Colours' uses the native function 'isatty' of 'libc' (a P/Invoke), which bypasses the kernel: "
            + "a P/Invoke runs native code on the host, outside the kernel and its confinement; use a BCL API the kernel serves instead, or leave the library out"], fromMetadata);
        Assert.Single(fromScan);
        Assert.StartsWith("Referenced assembly 'Terminal.Colours' uses the native function 'isatty' of 'libc' (a P/Invoke) (from 'Terminal.IsATty(int)')", fromScan[0], System.StringComparison.Ordinal);
    }

    // With the build's scan, each use names where it is: the P/Invoke's declaration (for a
    // [LibraryImport], the stub the SDK generated), the method with the calli, and the method whose
    // expression tree holds a token of Process.Start.
    [Fact]
    public async Task NativeInteropFoundByTheBuildScan_NamesTheMethods()
    {
        byte[] image = ReferenceScannerTests.CompileLibrary("Native.Calls", ReferenceScannerTests.NativeInterop, withLibraryImportGenerator: true);

        string[] messages = Messages(await AnalyzeAsync(MetadataReference.CreateFromImage(image), s_generator, CallsFile("Native.Calls", image)));

        Assert.Contains(messages, m => m.StartsWith("Referenced assembly 'Native.Calls' uses the native function 'getpid' of 'libc' (a P/Invoke) (from 'Native.Calls.GetProcessId()'), which bypasses the kernel", System.StringComparison.Ordinal));
        Assert.Contains(messages, m => m.StartsWith("Referenced assembly 'Native.Calls' uses the native function 'open' of 'libc' (a P/Invoke) (from 'Native.Calls.Open (local function __PInvoke)'), which bypasses the kernel", System.StringComparison.Ordinal));
        Assert.Contains(messages, m => m.StartsWith("Referenced assembly 'Native.Calls' uses a call through an unmanaged function pointer (calli, cdecl) (from 'Native.Calls.Unmanaged(nint)'), which bypasses the kernel", System.StringComparison.Ordinal));
        Assert.Contains(messages, m => m.StartsWith("Referenced assembly 'Native.Calls' uses 'Process.Start' (from 'Native.Calls.Deferred() (method token)'), which the kernel does not support", System.StringComparison.Ordinal));
        Assert.Equal(4, messages.Length);
    }

    // The BCL's own native shim is the kernel's with the native layer on (the publish's link check
    // decides which SystemNative_* functions it serves); without it, it is the host's.
    private const string ShimCaller = """
        public static class Helper
        {
            [System.Runtime.InteropServices.DllImport("libSystem.Native", EntryPoint = "SystemNative_GetPid")]
            private static extern int GetPid();
            [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "getpid")]
            private static extern int GetPidFromLibc();
            public static int Run() => GetPid() + GetPidFromLibc();
        }
        """;

    [Fact]
    public async Task PInvokeIntoTheBclNativeShim_IsServedByTheNativeLayer_AndNothingElseIs()
    {
        MetadataReference library = Library("Shim.Caller", ShimCaller);

        string[] withLayer = Messages(await AnalyzeAsync(library, s_nativeLayer));
        string[] withoutLayer = Messages(await AnalyzeAsync(library, s_generator));

        Assert.Equal(["Referenced assembly 'Shim.Caller' uses the native function 'getpid' of 'libc' (a P/Invoke), which bypasses the kernel: "
            + "a P/Invoke runs native code on the host, outside the kernel and its confinement; use a BCL API the kernel serves instead, or leave the library out"], withLayer);
        Assert.Equal(2, withoutLayer.Length);
        Assert.Contains(withoutLayer, m => m.StartsWith("Referenced assembly 'Shim.Caller' uses the native function 'SystemNative_GetPid' of 'libSystem.Native' (a P/Invoke), which bypasses the kernel: the BCL's native shim is the kernel's only while the native layer is on (UnikraftNativeLayer", System.StringComparison.Ordinal));
    }

    // "Framework" is where a reference comes from, not its name: a NuGet package named
    // Microsoft.Extensions.* or System.* is scanned; only the targeting pack's assemblies are not.
    [Theory]
    [InlineData("Microsoft.Extensions.Chatty", "/home/u/.nuget/packages/microsoft.extensions.chatty/9.0.0/lib/net9.0/Microsoft.Extensions.Chatty.dll", true)]
    [InlineData("System.Chatty", @"C:\Users\u\.nuget\packages\system.chatty\1.0.0\lib\net8.0\System.Chatty.dll", true)]
    [InlineData("Microsoft.Extensions.Chatty", "/usr/share/dotnet/packs/Microsoft.AspNetCore.App.Ref/10.0.0/ref/net10.0/Microsoft.Extensions.Chatty.dll", false)]
    [InlineData("Chatty", "/usr/share/dotnet/packs/Microsoft.NETCore.App.Ref/10.0.0/ref/net10.0/Chatty.dll", false)]
    [InlineData("Chatty", "/home/u/.nuget/packages/microsoft.netcore.app.ref/10.0.0/ref/net10.0/Chatty.dll", false)]
    [InlineData("Chatty", "/usr/share/dotnet/shared/Microsoft.NETCore.App/10.0.0/Chatty.dll", false)]
    public async Task Framework_IsDecidedByWhereTheReferenceComesFrom_NotByItsName(string assemblyName, string path, bool scanned)
    {
        byte[] image = ReferenceScannerTests.CompileLibrary(assemblyName, Helper);

        string[] messages = Messages(await AnalyzeAsync(MetadataReference.CreateFromImage(image, filePath: path), s_generator));

        if (scanned)
        {
            Assert.Contains(messages, m => m.StartsWith("Referenced assembly '" + assemblyName + "' uses 'Process.Start'", System.StringComparison.Ordinal));
        }
        else
        {
            Assert.Empty(messages);
        }
    }

    // A library built with the generator carries its kernel (here a P/Invoke and host calls in
    // Unikraft.Kernel): with the generator's mark for its own name they are left out, from the
    // metadata (the P/Invoke) and from the build's scan alike; without it they are the author's.
    [Fact]
    public async Task KernelInALibrary_IsLeftOutOnlyWithTheGeneratorsMark()
    {
        byte[] marked = ReferenceScannerTests.CompileLibrary("Notes.Storage", ReferenceScannerTests.KernelInLibrary(ReferenceScannerTests.Marker("Notes.Storage")));
        byte[] copied = ReferenceScannerTests.CompileLibrary("Notes.Storage", ReferenceScannerTests.KernelInLibrary(ReferenceScannerTests.Marker("Other.Library")));

        string[] markedMetadata = Messages(await AnalyzeAsync(MetadataReference.CreateFromImage(marked), s_generator));
        string[] markedScan = Messages(await AnalyzeAsync(MetadataReference.CreateFromImage(marked), s_generator, CallsFile("Notes.Storage", marked)));
        string[] copiedScan = Messages(await AnalyzeAsync(MetadataReference.CreateFromImage(copied), s_generator, CallsFile("Notes.Storage", copied)));

        Assert.DoesNotContain(markedMetadata, m => m.Contains("(a P/Invoke)", System.StringComparison.Ordinal));
        Assert.DoesNotContain(markedScan, m => m.Contains("Unikraft.Kernel.", System.StringComparison.Ordinal) || m.Contains("Unikraft.Generated.", System.StringComparison.Ordinal));
        Assert.Contains(markedScan, m => m.StartsWith("Referenced assembly 'Notes.Storage' uses 'File.WriteAllText' (from 'Notes.Store.Save(string)')", System.StringComparison.Ordinal));
        Assert.Contains(copiedScan, m => m.StartsWith("Referenced assembly 'Notes.Storage' uses the native function 'getpid' of 'libc' (a P/Invoke) (from 'Unikraft.Kernel.Platform.Exit.getpid()')", System.StringComparison.Ordinal));
        Assert.Contains(copiedScan, m => m.StartsWith("Referenced assembly 'Notes.Storage' uses 'File.ReadAllText' (from 'Unikraft.Generated.Bridge.Read(string)')", System.StringComparison.Ordinal));
    }

    private static string ProcessStartReason() =>
        Support.SupportTable.Embedded.FindByMetadataName("System.Diagnostics.Process", "Start")!.Reason;

    private sealed class InMemoryText(string path, string text) : AdditionalText
    {
        public override string Path { get; } = path;

        public override Microsoft.CodeAnalysis.Text.SourceText GetText(CancellationToken cancellationToken = default) =>
            Microsoft.CodeAnalysis.Text.SourceText.From(text);
    }

    private sealed class ConfigProvider(params (string Key, string Value)[] entries) : AnalyzerConfigOptionsProvider
    {
        public override AnalyzerConfigOptions GlobalOptions { get; } = new Options(entries);

        public override AnalyzerConfigOptions GetOptions(SyntaxTree tree) => new Options([]);

        public override AnalyzerConfigOptions GetOptions(AdditionalText textFile) => new Options([]);

        private sealed class Options((string Key, string Value)[] entries) : AnalyzerConfigOptions
        {
            public override bool TryGetValue(string name, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out string? value)
            {
                value = entries.Where(entry => entry.Key == name).Select(entry => entry.Value).FirstOrDefault();
                return value is not null;
            }
        }
    }
}
