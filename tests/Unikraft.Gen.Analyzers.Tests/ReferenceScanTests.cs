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
        Build.AssemblyScan? scan = Build.ReferenceScanner.Scan(new MemoryStream(image), ReferenceScannerTests.SupportedTypeNames());
        Assert.NotNull(scan);
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
        Assert.DoesNotContain(messages, m => m.Contains("Math.Max", System.StringComparison.Ordinal));
        Assert.DoesNotContain(messages, m => m.Contains("Path.Combine", System.StringComparison.Ordinal));
        Assert.All(diagnostics, d => Assert.Equal(DiagnosticSeverity.Warning, d.Severity));
    }

    // With the native layer on (a NativeAOT image on hosted), the library's file and console I/O
    // reaches the kernel underneath the BCL; what nothing in the kernel serves is still reported.
    [Fact]
    public async Task NativeLayerOn_ALibrarysFileAndConsoleCalls_AreNotReported_ProcessStartStillIs()
    {
        string[] messages = Messages(await AnalyzeAsync(Library("Chatty.Helpers", Helper),
            new ConfigProvider(("build_property.UnikraftMounts", ""), ("build_property.UnikraftNativeLayer", "true"))));

        Assert.Contains(messages, m => m.StartsWith("Referenced assembly 'Chatty.Helpers' uses 'Process.Start'", System.StringComparison.Ordinal));
        Assert.Contains(messages, m => m.StartsWith("Referenced assembly 'Chatty.Helpers' uses 'DateTime.Now'", System.StringComparison.Ordinal));
        Assert.DoesNotContain(messages, m => m.Contains("File.ReadAllText", System.StringComparison.Ordinal));
        Assert.DoesNotContain(messages, m => m.Contains("Console.WriteLine", System.StringComparison.Ordinal));
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
            header + "\nPure.Math\tPure.Secret.Spawn(string)\tSystem.Diagnostics.Process\tStart\n"
            + "Pure.Math\tPure.Secret.Join()\tSystem.IO.Path\tCombine\n"
            + "Pure.Math\ta line with too few cells\n");

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
        string rows = "Chatty.Launcher\tChatty.Launcher.Start(string)\tSystem.Diagnostics.Process\tStart\n";
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
        string rows = "Chatty.Launcher\tChatty.Launcher.Start(string)\tSystem.Diagnostics.Process\tStart\n";
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
