using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Xunit;

namespace Unikraft.Gen.Tests;

public sealed class CachingTests
{
    private static readonly string[] TrackedSteps = { TrackingNames.Scan, TrackingNames.Uses, TrackingNames.Entry, TrackingNames.Config, TrackingNames.Plan, TrackingNames.Reach };

    [Fact]
    public void UnrelatedEdit_LeavesEveryTrackedStepCachedOrUnchanged()
    {
        Compilation compilation = GeneratorHarness.Compilation(new[]
        {
            ("Program.cs", GeneratorHarness.ReadProgram("SleepAndRandom")),
            ("Other.cs", "internal static class Other { public static int Value => 1; }"),
        });
        GeneratorDriver driver = GeneratorHarness.Driver().RunGenerators(compilation);

        SyntaxTree other = compilation.SyntaxTrees.Single(t => t.FilePath.EndsWith("Other.cs", StringComparison.Ordinal));
        SyntaxTree edited = other.WithChangedText(Microsoft.CodeAnalysis.Text.SourceText.From("internal static class Other { public static int Value => 2; }"));
        driver = driver.RunGenerators(compilation.ReplaceSyntaxTree(other, edited));

        GeneratorRunResult result = driver.GetRunResult().Results.Single();
        foreach (string step in TrackedSteps)
        {
            Assert.True(result.TrackedSteps.ContainsKey(step), "step " + step + " was not tracked");
            foreach (IncrementalGeneratorRunStep run in result.TrackedSteps[step])
            {
                foreach ((object _, IncrementalStepRunReason reason) in run.Outputs)
                {
                    Assert.True(reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged,
                        $"step {step} ran again after an unrelated edit: {reason}");
                }
            }
        }

        Assert.All(result.TrackedOutputSteps.SelectMany(s => s.Value).SelectMany(s => s.Outputs),
            output => Assert.Equal(IncrementalStepRunReason.Cached, output.Reason));
    }

    [Fact]
    public void EditThatAddsACall_ChangesThePlan()
    {
        Compilation compilation = GeneratorHarness.Program("Hello");
        GeneratorDriver driver = GeneratorHarness.Driver().RunGenerators(compilation);
        SyntaxTree program = compilation.SyntaxTrees.First();
        SyntaxTree edited = program.WithChangedText(Microsoft.CodeAnalysis.Text.SourceText.From("Console.WriteLine(\"Hello\");\nThread.Sleep(1);\n"));
        driver = driver.RunGenerators(compilation.ReplaceSyntaxTree(program, edited));

        GeneratorRunResult result = driver.GetRunResult().Results.Single();
        Assert.Contains(result.TrackedSteps[TrackingNames.Plan].SelectMany(s => s.Outputs), o => o.Reason == IncrementalStepRunReason.Modified);
        Assert.Contains("nanosleep (35)", result.GeneratedSources.Single(s => s.HintName == "Unikraft.Manifest.g.cs").SourceText.ToString());
    }

    [Fact]
    public void PipelineModels_HoldNoSymbolsSyntaxLocationsOrCompilations()
    {
        Compilation compilation = GeneratorHarness.Program("UnusualSyntax");
        GeneratorDriver driver = GeneratorHarness.Driver().RunGenerators(compilation);
        GeneratorRunResult result = driver.GetRunResult().Results.Single();

        foreach (string step in TrackedSteps)
        {
            foreach (IncrementalGeneratorRunStep run in result.TrackedSteps[step])
            {
                foreach ((object value, IncrementalStepRunReason _) in run.Outputs)
                {
                    AssertPlainData(value, step, new HashSet<object>(ReferenceEqualityComparer.Instance), 0);
                }
            }
        }
    }

    private static readonly Type[] Forbidden = { typeof(ISymbol), typeof(SyntaxNode), typeof(Location), typeof(Compilation), typeof(SemanticModel), typeof(SyntaxTree) };

    private static void AssertPlainData(object? value, string step, HashSet<object> seen, int depth)
    {
        if (value is null || value is string || value.GetType().IsPrimitive || value.GetType().IsEnum || depth > 12 || !seen.Add(value))
        {
            return;
        }

        Type type = value.GetType();
        Assert.False(Forbidden.Any(f => f.IsAssignableFrom(type)), $"step {step} holds a {type.FullName}");
        if (value is IEnumerable items)
        {
            foreach (object? item in items)
            {
                AssertPlainData(item, step, seen, depth + 1);
            }

            if (type.IsArray)
            {
                return;
            }
        }

        foreach (FieldInfo field in type.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic))
        {
            AssertPlainData(field.GetValue(value), step, seen, depth + 1);
        }
    }
}
