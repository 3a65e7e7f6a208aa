using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Xunit;

namespace Unikraft.Gen.Tests;

// Code being typed: every test program cut at many points goes through the generator and the
// analyzers. No exception may escape (CS8785 from the generator, AD0001 from an analyzer).
public sealed class RobustnessTests
{
    public static TheoryData<string> Programs()
    {
        var data = new TheoryData<string>();
        foreach (string program in GeneratorHarness.ProgramNames)
        {
            data.Add(program);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Programs))]
    public async System.Threading.Tasks.Task TruncatedProgram_NeverThrows(string program)
    {
        string text = GeneratorHarness.ReadProgram(program);
        ImmutableArray<DiagnosticAnalyzer> analyzers = ImmutableArray.Create<DiagnosticAnalyzer>(new Unikraft.Gen.Analyzers.SupportTableAnalyzer(), new Unikraft.Gen.Analyzers.MountAnalyzer());
        int step = Math.Max(1, text.Length / 60);
        var failures = new List<string>();
        for (int cut = 0; cut <= text.Length; cut += step)
        {
            string partial = text.Substring(0, cut);
            Compilation compilation = GeneratorHarness.Compilation(new[] { ("Program.cs", partial) });
            GeneratorDriver driver = GeneratorHarness.Driver(GeneratorHarness.ProgramProperties(program)).RunGeneratorsAndUpdateCompilation(compilation, out Compilation output, out ImmutableArray<Diagnostic> diagnostics);
            GeneratorRunResult run = driver.GetRunResult().Results.Single();
            if (run.Exception is not null)
            {
                failures.Add($"cut at {cut}: generator threw {run.Exception}");
            }

            foreach (Diagnostic diagnostic in diagnostics.Where(d => d.Id is "CS8785" or "AD0001"))
            {
                failures.Add($"cut at {cut}: {diagnostic}");
            }

            var withAnalyzers = output.WithAnalyzers(analyzers, new CompilationWithAnalyzersOptions(
                AnalyzerOptions(program), onAnalyzerException: (exception, analyzer, diagnostic) => failures.Add($"cut at {cut}: {analyzer} threw {exception}"),
                concurrentAnalysis: false, logAnalyzerExecutionTime: false));
            ImmutableArray<Diagnostic> analyzerDiagnostics = await withAnalyzers.GetAllDiagnosticsAsync(CancellationToken.None);
            foreach (Diagnostic diagnostic in analyzerDiagnostics.Where(d => d.Id == "AD0001"))
            {
                failures.Add($"cut at {cut}: {diagnostic}");
            }
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    private static AnalyzerOptions AnalyzerOptions(string program) =>
        new(ImmutableArray<AdditionalText>.Empty, GeneratorHarness.OptionsFor(GeneratorHarness.ProgramProperties(program)));
}
