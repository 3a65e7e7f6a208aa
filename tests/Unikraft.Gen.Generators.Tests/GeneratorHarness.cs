using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using System.Runtime.CompilerServices;
using Basic.Reference.Assemblies;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;

namespace Unikraft.Gen.Tests;

// Compiles a program in memory with the generator, as the SDK would: interceptors enabled for the
// generated namespace, the MSBuild properties the generator reads, .NET 10 reference assemblies.
internal static class GeneratorHarness
{
    public const string ProjectDirectory = "/src/app";

    public static string ProgramsFolder => Path.Combine(AppContext.BaseDirectory, "Programs");

    public static IEnumerable<string> ProgramNames =>
        Directory.EnumerateFiles(ProgramsFolder, "*.cs").Select(Path.GetFileNameWithoutExtension).OrderBy(n => n, StringComparer.Ordinal)!;

    public static string ReadProgram(string name) => File.ReadAllText(Path.Combine(ProgramsFolder, name + ".cs"));

    public static CSharpParseOptions ParseOptions(DocumentationMode documentation = DocumentationMode.Diagnose) =>
        new CSharpParseOptions(LanguageVersion.Latest, documentation)
            .WithFeatures(new[] { new KeyValuePair<string, string>("InterceptorsNamespaces", "Unikraft.Generated") });

    // The global usings of an SDK project with ImplicitUsings enabled.
    public const string ImplicitUsings = """
        global using System;
        global using System.Collections.Generic;
        global using System.IO;
        global using System.Linq;
        global using System.Net.Http;
        global using System.Threading;
        global using System.Threading.Tasks;
        """;

    public static CSharpCompilation Compilation(IEnumerable<(string Path, string Text)> sources, bool nullable = true,
        bool implicitUsings = true, string assemblyName = "App", OutputKind kind = OutputKind.ConsoleApplication)
    {
        CSharpParseOptions options = ParseOptions();
        var trees = new List<SyntaxTree>();
        foreach ((string path, string text) in sources)
        {
            trees.Add(CSharpSyntaxTree.ParseText(text, options, path: ProjectDirectory + "/" + path));
        }

        if (implicitUsings)
        {
            trees.Add(CSharpSyntaxTree.ParseText(ImplicitUsings, options, path: ProjectDirectory + "/obj/App.GlobalUsings.g.cs"));
        }

        return CSharpCompilation.Create(
            assemblyName,
            trees,
            Net100.References.All,
            new CSharpCompilationOptions(kind,
                nullableContextOptions: nullable ? NullableContextOptions.Enable : NullableContextOptions.Disable,
                generalDiagnosticOption: ReportDiagnostic.Error,
                warningLevel: 9999,
                specificDiagnosticOptions: new Dictionary<string, ReportDiagnostic>
                {
                    // Hidden and info-level notes, as in an SDK build.
                    ["CS8019"] = ReportDiagnostic.Suppress,
                    ["CS1591"] = ReportDiagnostic.Suppress,
                }));
    }

    public static CSharpCompilation Program(string name, bool nullable = true, bool implicitUsings = true) =>
        Compilation(new[] { ("Program.cs", ReadProgram(name)) }, nullable, implicitUsings);

    public static GeneratorDriver Driver(IDictionary<string, string>? properties = null) => Driver(out _, properties);

    // A driver, and the generator instance in it (its Binds counts the call sites it bound).
    public static GeneratorDriver Driver(out KernelGenerator generator, IDictionary<string, string>? properties = null) =>
        CSharpGeneratorDriver.Create(
            new[] { (generator = new KernelGenerator()).AsSourceGenerator() },
            parseOptions: ParseOptions(),
            optionsProvider: OptionsFor(properties),
            driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));

    // The global options an SDK build passes for these MSBuild properties (build_property.X).
    public static AnalyzerConfigOptionsProvider OptionsFor(IDictionary<string, string>? properties)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["build_property.UnikraftPlatform"] = "hosted",
            ["build_property.UnikraftBootBanner"] = "true",
            ["build_property.OutputType"] = "Exe",
            ["build_property.AssemblyName"] = "App",
            ["build_property.MSBuildProjectDirectory"] = ProjectDirectory,
            ["build_property.UnikraftMounts"] = "",
        };
        foreach (KeyValuePair<string, string> pair in properties ?? new Dictionary<string, string>())
        {
            values["build_property." + pair.Key] = pair.Value;
        }

        return new OptionsProvider(values);
    }

    public sealed record Result(Compilation Output, ImmutableArray<Diagnostic> GeneratorDiagnostics, GeneratorDriverRunResult Run)
    {
        public string Source(string hintNameEnd) =>
            Run.Results.Single().GeneratedSources.Single(s => s.HintName.EndsWith(hintNameEnd, StringComparison.Ordinal)).SourceText.ToString();

        public string Manifest => Source("Unikraft.Manifest.g.cs");

        // The manifest's "Syscalls" section: the implemented syscall names.
        public IReadOnlyList<string> ImplementedSyscalls =>
            Manifest.Split('\n')
                .SkipWhile(l => !l.StartsWith("// Syscalls:", StringComparison.Ordinal)).Skip(1)
                .TakeWhile(l => !l.StartsWith("//   stubbed:", StringComparison.Ordinal) && l != "//")
                .Where(l => l.StartsWith("//   ", StringComparison.Ordinal) && !l.StartsWith("//     ", StringComparison.Ordinal))
                .Select(l => l.Substring(5).Split(' ')[0])
                .ToList();

        public IReadOnlyList<string> Section(string title) =>
            Manifest.Split('\n')
                .SkipWhile(l => l != "// " + title).Skip(1)
                .TakeWhile(l => l != "//")
                .Where(l => l.StartsWith("//   ", StringComparison.Ordinal) && !l.StartsWith("//     ", StringComparison.Ordinal))
                .Select(l => l.Substring(5).Split(' ')[0])
                .ToList();

        public IReadOnlyList<Diagnostic> Problems =>
            Output.GetDiagnostics().Concat(GeneratorDiagnostics)
                .Where(d => d.Severity is DiagnosticSeverity.Warning or DiagnosticSeverity.Error)
                .ToList();
    }

    public static Result Run(Compilation compilation, IDictionary<string, string>? properties = null)
    {
        properties ??= new Dictionary<string, string>();
        // As Unikraft.Gen.BeforeSdk.targets does: the native layer takes its entry points' addresses.
        if (properties.TryGetValue("UnikraftNativeLayer", out string? native) && string.Equals(native, "true", StringComparison.OrdinalIgnoreCase))
        {
            compilation = compilation.WithOptions(((CSharpCompilationOptions)compilation.Options).WithAllowUnsafe(true));
        }

        GeneratorDriver driver = Driver(properties).RunGeneratorsAndUpdateCompilation(compilation, out Compilation output, out ImmutableArray<Diagnostic> diagnostics);
        return new Result(output, diagnostics, driver.GetRunResult());
    }

    public static Result RunProgram(string name, IDictionary<string, string>? properties = null) => Run(Program(name), properties ?? ProgramProperties(name));

    // A program's MSBuild properties, from its header comment: "// mounts: <UnikraftMounts value>".
    public static IDictionary<string, string> ProgramProperties(string name)
    {
        var properties = new Dictionary<string, string>(StringComparer.Ordinal);
        string firstLine = ReadProgram(name).Split('\n')[0].Trim();
        const string prefix = "// mounts: ";
        if (firstLine.StartsWith(prefix, StringComparison.Ordinal))
        {
            properties["UnikraftMounts"] = firstLine.Substring(prefix.Length);
        }

        return properties;
    }

    public static string SourceFolder([CallerFilePath] string path = "") => Path.GetDirectoryName(path)!;

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
