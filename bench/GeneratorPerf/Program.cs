// The generator in memory, as an IDE runs it: a synthetic program of N files (bench/synthetic.py)
// compiled once, then edited one file at a time. Prints the first run's time, the time of a run
// after an unrelated edit (a constant in a class no kernel call touches) with every tracked step's
// output reasons, and the time of a run after an edit that adds a kernel call, for comparison.
//
// Usage: GeneratorPerf SOURCES_FOLDER [EDITS]     EDITS (default 9) timed edits of each kind.
// Exit code: 0 when everything ran (goals missed or not: they are PASS/MISS lines), 1 when the
// generator threw, reported an error, emitted nothing, or the inputs were not what was expected.
using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using Basic.Reference.Assemblies;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;
using Unikraft.Gen;

namespace Unikraft.Gen.Bench;

internal static class Program
{
    private const string ProjectDirectory = "/src/app";

    // NOTE: the names in generators/Unikraft.Gen.Generators/TrackingNames.cs (internal there).
    private static readonly string[] TrackedSteps = { "Scan", "Uses", "Entry", "Config", "Plan" };

    // The goal for a run after an unrelated edit (issue 5).
    private const double UnrelatedEditGoalMilliseconds = 5.0;

    // The constant every unrelated-edit target holds (bench/synthetic.py writes it into every
    // module that calls nothing the kernel serves).
    private const string LimitPrefix = "public const int Limit = ";

    // Where a kernel call goes in a module that had none: the first statement of its Run method.
    private const string RunAnchor = "            var values = ";

    private static int Main(string[] args)
    {
        if (args.Length is < 1 or > 2 || !Directory.Exists(args[0])
            || args.Length == 2 && (!int.TryParse(args[1], NumberStyles.None, CultureInfo.InvariantCulture, out int parsed) || parsed < 1))
        {
            Console.Error.WriteLine("usage: GeneratorPerf SOURCES_FOLDER [EDITS]   (sources from bench/synthetic.py; EDITS >= 1, default 9)");
            return 2;
        }

        int edits = args.Length == 2 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 9;
        try
        {
            return Run(args[0], edits);
        }
        catch (BenchmarkFailure failure)
        {
            Console.Error.WriteLine("GeneratorPerf: FAILED: " + failure.Message);
            return 1;
        }
    }

    private static int Run(string folder, int edits)
    {
        CSharpParseOptions parseOptions = new CSharpParseOptions(LanguageVersion.Latest, DocumentationMode.Parse)
            .WithFeatures(new[] { new KeyValuePair<string, string>("InterceptorsNamespaces", "Unikraft.Generated") });

        var trees = new List<SyntaxTree>();
        foreach (string file in Directory.EnumerateFiles(folder, "*.cs").OrderBy(f => f, StringComparer.Ordinal))
        {
            trees.Add(CSharpSyntaxTree.ParseText(SourceText.From(File.ReadAllText(file)), parseOptions,
                path: ProjectDirectory + "/" + Path.GetFileName(file)));
        }

        // The global usings of an SDK project with ImplicitUsings enabled.
        trees.Add(CSharpSyntaxTree.ParseText(
            "global using System;\nglobal using System.Collections.Generic;\nglobal using System.IO;\nglobal using System.Linq;\n"
            + "global using System.Net.Http;\nglobal using System.Threading;\nglobal using System.Threading.Tasks;\n",
            parseOptions, path: ProjectDirectory + "/obj/Synthetic.GlobalUsings.g.cs"));

        int programFiles = trees.Count - 1;
        CSharpCompilation compilation = CSharpCompilation.Create("Synthetic", trees, Net100.References.All,
            new CSharpCompilationOptions(OutputKind.ConsoleApplication, nullableContextOptions: NullableContextOptions.Enable));

        SyntaxTree unrelated = FindTree(compilation, t => t.Contains(LimitPrefix, StringComparison.Ordinal), 0, "a module with '" + LimitPrefix + "'");
        SyntaxTree callTarget = FindTree(compilation, t => t.Contains(LimitPrefix, StringComparison.Ordinal) && t.Contains(RunAnchor, StringComparison.Ordinal), 1,
            "a second module with no kernel call");

        Console.WriteLine($"GeneratorPerf: {programFiles} files, {trees.Sum(t => t.GetText().Lines.Count)} lines; {edits} edits of each kind");
        Console.WriteLine($"  unrelated edit: the constant in {Path.GetFileName(unrelated.FilePath)}; kernel-call edit: File.Delete added to (and removed from) {Path.GetFileName(callTarget.FilePath)}");
        Console.WriteLine();

        // 1. The first run, in this process: includes loading the generator's kernel image and JIT.
        // Two drivers see every compilation: 'driver' tracks its steps (for the reasons printed),
        // 'timed' does not, as an IDE's does not; the times printed after the first run are its.
        GeneratorDriver driver = NewDriver(parseOptions, tracked: true, out _);
        (driver, double firstMs) = Time(driver, compilation);
        GeneratorRunResult first = Check(driver, "the first run");
        Console.WriteLine($"first run (cold process, with JIT):  {firstMs,9:F1} ms   {first.GeneratedSources.Length} sources, {CountUses(first)} kernel call sites");
        PrintStepTimes(first);

        // The same first run again in a fresh driver: what a build's compiler server pays once warm.
        (GeneratorDriver timed, double warmMs) = Time(NewDriver(parseOptions, tracked: false, out KernelGenerator timedGenerator), compilation);
        Console.WriteLine($"first run (fresh driver, warm JIT):  {warmMs,9:F1} ms   {timedGenerator.Binds} call sites looked at");
        Console.WriteLine();

        // 2. Unrelated edits: change the constant, run again.
        var unrelatedTimes = new List<double>();
        var unrelatedBinds = new List<long>();
        var unrelatedReasons = new SortedDictionary<string, SortedDictionary<IncrementalStepRunReason, int>>(StringComparer.Ordinal);
        var unrelatedStepTimes = new SortedDictionary<string, List<double>>(StringComparer.Ordinal);
        string unrelatedText = unrelated.GetText().ToString();
        int limitStart = unrelatedText.IndexOf(LimitPrefix, StringComparison.Ordinal) + LimitPrefix.Length;
        int limitEnd = unrelatedText.IndexOf(';', limitStart);
        int limit = int.Parse(unrelatedText.AsSpan(limitStart, limitEnd - limitStart), CultureInfo.InvariantCulture);
        SyntaxTree current = unrelated;
        for (int edit = 1; edit <= edits; edit++)
        {
            // As an editor makes it: a change to the text before, so the parser reuses what the edit
            // did not touch (a new SourceText.From would be parsed from scratch).
            SourceText before = current.GetText();
            int end = before.ToString().IndexOf(';', limitStart);
            SyntaxTree next = current.WithChangedText(before.WithChanges(
                new TextChange(TextSpan.FromBounds(limitStart, end), (limit + edit).ToString(CultureInfo.InvariantCulture))));
            compilation = compilation.ReplaceSyntaxTree(current, next);
            current = next;
            long bindsBefore = timedGenerator.Binds;
            (timed, double ms) = Time(timed, compilation);
            unrelatedBinds.Add(timedGenerator.Binds - bindsBefore);
            (driver, _) = Time(driver, compilation);
            GeneratorRunResult result = Check(driver, "an unrelated edit");
            unrelatedTimes.Add(ms);
            CountReasons(result, unrelatedReasons);
            AddStepTimes(result, unrelatedStepTimes);
        }

        Console.WriteLine($"unrelated edit (median of {edits}):    {Median(unrelatedTimes),9:F2} ms   each: {string.Join(" ", unrelatedTimes.Select(t => t.ToString("F1", CultureInfo.InvariantCulture)))}");
        Console.WriteLine($"    call sites looked at again per edit: {string.Join(" ", unrelatedBinds)}");
        PrintReasons(unrelatedReasons);
        PrintMedianStepTimes(unrelatedStepTimes);
        Console.WriteLine();

        // 3. Edits that change the plan: a kernel call added to a module that had none, then removed.
        var callTimes = new List<double>();
        var callBinds = new List<long>();
        var callReasons = new SortedDictionary<string, SortedDictionary<IncrementalStepRunReason, int>>(StringComparer.Ordinal);
        string callText = callTarget.GetText().ToString();
        int anchor = callText.IndexOf(RunAnchor, StringComparison.Ordinal);
        current = callTarget;
        for (int edit = 1; edit <= edits; edit++)
        {
            string inserted = "            File.Delete(\"/tmp/gone.txt\");\n";
            SyntaxTree next = current.WithChangedText(current.GetText().WithChanges(edit % 2 == 1
                ? new TextChange(new TextSpan(anchor, 0), inserted)
                : new TextChange(new TextSpan(anchor, inserted.Length), "")));
            compilation = compilation.ReplaceSyntaxTree(current, next);
            current = next;
            long bindsBefore = timedGenerator.Binds;
            (timed, double ms) = Time(timed, compilation);
            callBinds.Add(timedGenerator.Binds - bindsBefore);
            (driver, _) = Time(driver, compilation);
            GeneratorRunResult result = Check(driver, "an edit that adds a kernel call");
            callTimes.Add(ms);
            CountReasons(result, callReasons);
            if (!result.TrackedSteps["Plan"].SelectMany(s => s.Outputs).Any(o => o.Reason == IncrementalStepRunReason.Modified))
            {
                throw new BenchmarkFailure("adding or removing File.Delete did not change the plan: the edit did not reach the generator");
            }
        }

        Console.WriteLine($"kernel-call edit (median of {edits}):  {Median(callTimes),9:F2} ms   each: {string.Join(" ", callTimes.Select(t => t.ToString("F1", CultureInfo.InvariantCulture)))}");
        Console.WriteLine($"    call sites looked at again per edit: {string.Join(" ", callBinds)}");
        PrintReasons(callReasons);
        Console.WriteLine();

        double median = Median(unrelatedTimes);
        bool allCached = unrelatedReasons.Values.SelectMany(r => r.Keys)
            .All(r => r is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged);
        Console.WriteLine($"{(median <= UnrelatedEditGoalMilliseconds ? "PASS" : "MISS")} unrelated edit: {median:F2} ms (goal: under {UnrelatedEditGoalMilliseconds:F0} ms)");
        Console.WriteLine($"{(allCached ? "PASS" : "MISS")} unrelated edit: every tracked step Cached or Unchanged");
        return 0;
    }

    private static GeneratorDriver NewDriver(CSharpParseOptions parseOptions, bool tracked, out KernelGenerator generator) =>
        CSharpGeneratorDriver.Create(
            new[] { (generator = new KernelGenerator()).AsSourceGenerator() },
            parseOptions: parseOptions,
            optionsProvider: new OptionsProvider(new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["build_property.UnikraftPlatform"] = "hosted",
                ["build_property.UnikraftBootBanner"] = "true",
                ["build_property.OutputType"] = "Exe",
                ["build_property.AssemblyName"] = "Synthetic",
                ["build_property.MSBuildProjectDirectory"] = ProjectDirectory,
                // <UnikraftMount Include="/tmp" Type="ramfs" />, as Unikraft.Gen.targets joins it.
                ["build_property.UnikraftMounts"] = "/tmp|ramfs|||",
            }),
            driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: tracked));

    private static (GeneratorDriver Driver, double Milliseconds) Time(GeneratorDriver driver, Compilation compilation)
    {
        long start = Stopwatch.GetTimestamp();
        driver = driver.RunGenerators(compilation);
        return (driver, Stopwatch.GetElapsedTime(start).TotalMilliseconds);
    }

    private static GeneratorRunResult Check(GeneratorDriver driver, string what)
    {
        GeneratorRunResult result = driver.GetRunResult().Results.Single();
        if (result.Exception is not null)
        {
            throw new BenchmarkFailure($"the generator threw on {what}: {result.Exception}");
        }

        Diagnostic? error = result.Diagnostics.FirstOrDefault(d => d.Severity == DiagnosticSeverity.Error);
        if (error is not null)
        {
            throw new BenchmarkFailure($"the generator reported an error on {what}: {error}");
        }

        if (result.GeneratedSources.IsEmpty || CountUses(result) == 0)
        {
            throw new BenchmarkFailure($"the generator found no kernel call or emitted nothing on {what}");
        }

        return result;
    }

    // The call sites the scan found: the one output of the "Uses" step, an array of them.
    private static int CountUses(GeneratorRunResult result) =>
        result.TrackedSteps.TryGetValue("Uses", out ImmutableArray<IncrementalGeneratorRunStep> runs)
            ? runs.SelectMany(r => r.Outputs).Sum(o => o.Value is Unikraft.Gen.Helpers.EquatableArray<Unikraft.Gen.Model.ApiUse> uses ? uses.Count : 0)
            : 0;

    private static void CountReasons(GeneratorRunResult result, SortedDictionary<string, SortedDictionary<IncrementalStepRunReason, int>> reasons)
    {
        foreach (string step in TrackedSteps)
        {
            if (!result.TrackedSteps.TryGetValue(step, out ImmutableArray<IncrementalGeneratorRunStep> runs))
            {
                throw new BenchmarkFailure("the tracked step " + step + " did not run");
            }

            Add(reasons, step, runs.SelectMany(r => r.Outputs).Select(o => o.Reason));
        }

        foreach (KeyValuePair<string, ImmutableArray<IncrementalGeneratorRunStep>> output in result.TrackedOutputSteps)
        {
            Add(reasons, "output:" + output.Key, output.Value.SelectMany(r => r.Outputs).Select(o => o.Reason));
        }
    }

    private static void Add(SortedDictionary<string, SortedDictionary<IncrementalStepRunReason, int>> reasons, string step, IEnumerable<IncrementalStepRunReason> seen)
    {
        if (!reasons.TryGetValue(step, out SortedDictionary<IncrementalStepRunReason, int>? counts))
        {
            counts = new SortedDictionary<IncrementalStepRunReason, int>();
            reasons.Add(step, counts);
        }

        foreach (IncrementalStepRunReason reason in seen)
        {
            counts[reason] = counts.GetValueOrDefault(reason) + 1;
        }
    }

    private static void PrintReasons(SortedDictionary<string, SortedDictionary<IncrementalStepRunReason, int>> reasons)
    {
        foreach ((string step, SortedDictionary<IncrementalStepRunReason, int> counts) in reasons)
        {
            Console.WriteLine($"    {step,-26} {string.Join(", ", counts.Select(c => c.Key + " " + c.Value))}");
        }
    }

    // Where a run's time went: every step the tracked steps came from, by name, summed.
    private static Dictionary<string, double> StepTimes(GeneratorRunResult result)
    {
        var seen = new HashSet<IncrementalGeneratorRunStep>(ReferenceEqualityComparer.Instance);
        var times = new Dictionary<string, double>(StringComparer.Ordinal);
        void Visit(IncrementalGeneratorRunStep step)
        {
            if (!seen.Add(step))
            {
                return;
            }

            string name = step.Name ?? "(unnamed)";
            times[name] = times.GetValueOrDefault(name) + step.ElapsedTime.TotalMilliseconds;
            foreach ((IncrementalGeneratorRunStep source, int _) in step.Inputs)
            {
                Visit(source);
            }
        }

        foreach (IncrementalGeneratorRunStep step in result.TrackedSteps.Values.SelectMany(s => s).Concat(result.TrackedOutputSteps.Values.SelectMany(s => s)))
        {
            Visit(step);
        }

        return times;
    }

    private static void PrintStepTimes(GeneratorRunResult result)
    {
        Console.WriteLine("    step times (ms): " + string.Join(", ",
            StepTimes(result).OrderByDescending(p => p.Value).Select(p => p.Key + " " + p.Value.ToString("F1", CultureInfo.InvariantCulture))));
    }

    private static void AddStepTimes(GeneratorRunResult result, SortedDictionary<string, List<double>> times)
    {
        foreach ((string name, double ms) in StepTimes(result))
        {
            if (!times.TryGetValue(name, out List<double>? list))
            {
                list = new List<double>();
                times.Add(name, list);
            }

            list.Add(ms);
        }
    }

    private static void PrintMedianStepTimes(SortedDictionary<string, List<double>> times)
    {
        Console.WriteLine("    step times, medians (ms): " + string.Join(", ",
            times.OrderByDescending(p => Median(p.Value)).Select(p => p.Key + " " + Median(p.Value).ToString("F2", CultureInfo.InvariantCulture))));
    }

    private static SyntaxTree FindTree(Compilation compilation, Func<string, bool> matches, int skip, string what) =>
        compilation.SyntaxTrees.Where(t => matches(t.GetText().ToString())).Skip(skip).FirstOrDefault()
            ?? throw new BenchmarkFailure("the sources hold no " + what + "; were they written by bench/synthetic.py?");

    private static double Median(List<double> values)
    {
        var sorted = values.OrderBy(v => v).ToList();
        int middle = sorted.Count / 2;
        return sorted.Count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }

    private sealed class BenchmarkFailure : Exception
    {
        public BenchmarkFailure(string message)
            : base(message)
        {
        }
    }

    private sealed class OptionsProvider : AnalyzerConfigOptionsProvider
    {
        private readonly Options _global;

        public OptionsProvider(Dictionary<string, string> values)
        {
            _global = new Options(values);
        }

        public override AnalyzerConfigOptions GlobalOptions => _global;

        public override AnalyzerConfigOptions GetOptions(SyntaxTree tree) => Options.Empty;

        public override AnalyzerConfigOptions GetOptions(AdditionalText textFile) => Options.Empty;
    }

    private sealed class Options : AnalyzerConfigOptions
    {
        public static readonly Options Empty = new(new Dictionary<string, string>());

        private readonly Dictionary<string, string> _values;

        public Options(Dictionary<string, string> values)
        {
            _values = values;
        }

        public override bool TryGetValue(string key, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out string? value) =>
            _values.TryGetValue(key, out value);
    }
}
