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

// UK0301: a referenced assembly, compiled already, is scanned from its metadata.
public sealed class ReferenceScanTests
{
    private static MetadataReference Library(string name, string source)
    {
        CSharpCompilation library = CSharpCompilation.Create(name,
            new[] { CSharpSyntaxTree.ParseText(source) },
            Basic.Reference.Assemblies.Net100.References.All,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));
        using var stream = new MemoryStream();
        Assert.True(library.Emit(stream).Success);
        return MetadataReference.CreateFromImage(stream.ToArray());
    }

    private static async Task<ImmutableArray<Diagnostic>> AnalyzeAsync(MetadataReference reference, bool withGenerator)
    {
        CSharpCompilation program = Verifiers.Compile("class Program { static void Main() => Helper.Run(); }")
            .AddReferences(reference);
        var options = new AnalyzerOptions(ImmutableArray<AdditionalText>.Empty,
            new ConfigProvider(withGenerator ? "build_property.UnikraftMounts" : "unrelated"));
        return await program.WithAnalyzers(ImmutableArray.Create<DiagnosticAnalyzer>(new ReferenceScanAnalyzer()), options)
            .GetAnalyzerDiagnosticsAsync(CancellationToken.None);
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

    [Fact]
    public async Task CleanLibrary_AndProjectsWithoutTheGenerator_GetNothing()
    {
        Assert.Empty(await AnalyzeAsync(Library("Pure.Math", "public static class Helper { public static int Run() => System.Math.Max(1, 2); }"), withGenerator: true));
        Assert.Empty(await AnalyzeAsync(Library("Chatty.Helpers", Helper), withGenerator: false));
    }

    private sealed class ConfigProvider(string key) : AnalyzerConfigOptionsProvider
    {
        public override AnalyzerConfigOptions GlobalOptions { get; } = new Options(key);

        public override AnalyzerConfigOptions GetOptions(SyntaxTree tree) => new Options("");

        public override AnalyzerConfigOptions GetOptions(AdditionalText textFile) => new Options("");

        private sealed class Options(string key) : AnalyzerConfigOptions
        {
            public override bool TryGetValue(string name, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out string? value)
            {
                value = name == key ? "" : null;
                return value is not null;
            }
        }
    }
}
