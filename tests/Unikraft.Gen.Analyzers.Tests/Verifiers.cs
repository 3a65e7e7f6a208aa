using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Testing;
using Unikraft.Gen.Analyzers;
using Unikraft.Gen.CodeFixes;

namespace Unikraft.Gen.Analyzers.Tests;

// Builds analyzer and code fix tests that run offline: every reference assembly comes from
// Basic.Reference.Assemblies.Net100, and the testing library is given no package to download.
internal static class Verifiers
{
    // A target framework with no reference assembly package and no packages: resolving it
    // never reaches NuGet.
    private static readonly ReferenceAssemblies s_offline = new ReferenceAssemblies("net10.0");

    public static DiagnosticResult Diagnostic(DiagnosticDescriptor descriptor) => new(descriptor);

    public static async Task AnalyzeAsync(string source, params DiagnosticResult[] expected)
    {
        var test = new CSharpAnalyzerTest<SupportTableAnalyzer, DefaultVerifier> { TestCode = source };
        Configure(test, test.TestState);
        test.ExpectedDiagnostics.AddRange(expected);
        await test.RunAsync(CancellationToken.None);
    }

    public static async Task FixAsync(string source, string fixedSource, params DiagnosticResult[] expected)
    {
        var test = new CSharpCodeFixTest<SupportTableAnalyzer, UseKernelApiCodeFixProvider, DefaultVerifier>
        {
            TestCode = source,
            FixedCode = fixedSource,
        };
        Configure(test, test.TestState);
        test.FixedState.AdditionalReferences.AddRange(Basic.Reference.Assemblies.Net100.References.All);
        test.ExpectedDiagnostics.AddRange(expected);
        await test.RunAsync(CancellationToken.None);
    }

    public static void Configure(AnalyzerTest<DefaultVerifier> test) => Configure(test, test.TestState);

    private static void Configure(AnalyzerTest<DefaultVerifier> test, SolutionState state)
    {
        test.ReferenceAssemblies = s_offline;
        state.AdditionalReferences.AddRange(Basic.Reference.Assemblies.Net100.References.All);
        test.SolutionTransforms.Add((solution, projectId) =>
        {
            Project project = solution.GetProject(projectId)!;
            var options = (CSharpCompilationOptions)project.CompilationOptions!;
            return solution.WithProjectCompilationOptions(projectId, options.WithAllowUnsafe(true).WithNullableContextOptions(NullableContextOptions.Enable));
        });
    }

    public static CSharpCompilation Compile(string source, string assemblyName = "Program") =>
        CSharpCompilation.Create(
            assemblyName,
            new[] { CSharpSyntaxTree.ParseText(source, new CSharpParseOptions(LanguageVersion.Preview), path: "Program.cs") },
            Basic.Reference.Assemblies.Net100.References.All,
            new CSharpCompilationOptions(OutputKind.ConsoleApplication, allowUnsafe: true, nullableContextOptions: NullableContextOptions.Enable));

    // Runs the analyzer directly, outside the testing library, and returns every diagnostic it
    // reported together with any exception it threw.
    public static async Task<(ImmutableArray<Diagnostic> Diagnostics, IReadOnlyList<Exception> Exceptions)> RunAnalyzerAsync(Compilation compilation, DiagnosticAnalyzer? analyzer = null)
    {
        var exceptions = new List<Exception>();
        var options = new CompilationWithAnalyzersOptions(
            new AnalyzerOptions(ImmutableArray<AdditionalText>.Empty),
            onAnalyzerException: (exception, analyzer, diagnostic) =>
            {
                lock (exceptions)
                {
                    exceptions.Add(exception);
                }
            },
            concurrentAnalysis: false,
            logAnalyzerExecutionTime: false);
        var withAnalyzers = compilation.WithAnalyzers(ImmutableArray.Create(analyzer ?? new SupportTableAnalyzer()), options);
        ImmutableArray<Diagnostic> diagnostics = await withAnalyzers.GetAnalyzerDiagnosticsAsync(CancellationToken.None);
        return (diagnostics, exceptions);
    }

    // The repository's root: the nearest folder above the test binaries that holds docs/diagnostics.
    public static string RepositoryRoot()
    {
        for (DirectoryInfo? directory = new(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (Directory.Exists(Path.Combine(directory.FullName, "docs", "diagnostics"))
                && Directory.Exists(Path.Combine(directory.FullName, "analyzers")))
            {
                return directory.FullName;
            }
        }

        throw new DirectoryNotFoundException("No folder above " + AppContext.BaseDirectory + " holds docs/diagnostics and analyzers/.");
    }
}
