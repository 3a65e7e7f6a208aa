using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Text;
using Unikraft.Gen.Helpers;
using Unikraft.Gen.Kernel;
using Unikraft.Gen.Model;
using Xunit;

namespace Unikraft.Gen.Tests;

// The scan that finds call sites (KernelGenerator.Scan.cs): what it binds, what it skips without
// binding, and that skipping, remembering and binding on several threads change nothing it finds.
public sealed class ProgramScanTests
{
    [Fact]
    public void InstanceMemberOfAKernelType_DeclaredInAnotherFile_IsSeen()
    {
        // Program.cs names no kernel type: the value comes from Store.Open, whose declaration does.
        Compilation compilation = GeneratorHarness.Compilation(new[]
        {
            ("Program.cs", "var stream = Unikraft.Demo.Store.Open();\nConsole.WriteLine(stream.Name);\n"),
            ("Store.cs", "namespace Unikraft.Demo; internal static class Store { public static Unikraft.Kernel.KernelFileStream Open() => Unikraft.Kernel.KernelFile.OpenRead(\"/data/a.txt\"); }"),
        });

        GeneratorRunResult result = GeneratorHarness.Driver(Mounts()).RunGenerators(compilation).GetRunResult().Results.Single();
        var uses = (EquatableArray<ApiUse>)result.TrackedSteps[TrackingNames.Uses].Single().Outputs.Single().Value;

        Assert.Contains(uses, use => use.Display == "KernelFileStream.Name" && use.File.EndsWith("/Program.cs", StringComparison.Ordinal) && use.Line == 2);
    }

    [Fact]
    public void PathArguments_AreReadByParameter_NamedOrInAnyOrder()
    {
        Compilation compilation = GeneratorHarness.Compilation(new[]
        {
            ("Program.cs", "const string Folder = \"/data\";\nFile.WriteAllText(contents: \"x\", path: Folder + \"/named.txt\");\n"
                + "File.Copy(\"/data/from.txt\", destFileName: $\"{Folder}/to.txt\");\nFile.Delete(args[0]);\n"),
        });

        string manifest = GeneratorHarness.Run(compilation, Mounts()).Manifest;

        Assert.Contains("File.WriteAllText(string, string?) '/data/named.txt'", manifest);
        Assert.Contains("File.Copy(string, string) '/data/from.txt'", manifest);
        Assert.Contains("File.Copy(string, string) '/data/to.txt'", manifest);
        Assert.Contains("File.Delete(string), path not known at compile time", manifest);
    }

    [Theory]
    [InlineData("\"text\".Length", false, false)]
    [InlineData("\"text\".Length", true, true)]
    [InlineData("items.Name", false, false)]
    [InlineData("Enumerable.Range(0, 3).Select(x => x)", false, false)]
    [InlineData("Enumerable.Range(0, 3).Select(x => x)", true, false)]
    [InlineData("KernelFile.Exists(\"/a\")", false, true)]
    [InlineData("Unikraft.Kernel.KernelFile.Exists(\"/a\")", false, true)]
    [InlineData("Files.Exists(\"/a\")", false, true)]
    [InlineData("Helpers.UtcNow", false, false)]
    [InlineData("KernelClock.UtcNow", false, true)]
    [InlineData("File.Exists(\"/a\")", false, true)]
    public void CouldBeKernelCall_DecidesFromSyntaxAlone(string expression, bool kernelTypesReachable, bool expected)
    {
        SyntaxTree tree = CSharpSyntaxTree.ParseText("class C { void M() { var value = " + expression + "; } }");
        ExpressionSyntax node = tree.GetRoot().DescendantNodes().OfType<EqualsValueClauseSyntax>().Single().Value;

        // 'Files' stands for an alias declared somewhere in the program.
        bool actual = KernelGenerator.Detect.CouldBeKernelCall(node, name => name == "Files", kernelTypesReachable);

        Assert.Equal(expected, actual);
    }

    [Fact]
    public void KernelApi_HasNoExtensionMethods_AndEveryFilteredNameIsOneTheProgramCanUse()
    {
        // CouldBeKernelCall relies on both: a static kernel member is only ever reached through a
        // type name, and a name in the filter belongs to a member the program can call.
        // The whole API, as the scan binds against it (the program's own compilation holds only the part it uses).
        Compilation compilation = GeneratorHarness.Program("Hello");
        var apiTrees = new HashSet<SyntaxTree>(ApiSyntax.Trees(compilation.SyntaxTrees.First().Options));
        Compilation output = compilation.AddSyntaxTrees(apiTrees);
        var visibleNames = new HashSet<string>(StringComparer.Ordinal);
        foreach (INamedTypeSymbol type in AllTypes(output.Assembly.GlobalNamespace))
        {
            if (!type.Locations.Any(l => apiTrees.Contains(l.SourceTree!)) || type.ContainingNamespace.ToDisplayString() != "Unikraft.Kernel" && type.ContainingType is null)
            {
                continue;
            }

            foreach (ISymbol member in type.GetMembers())
            {
                Assert.False(member is IMethodSymbol { IsExtensionMethod: true }, member.ToDisplayString() + " is an extension method");
                if (member.DeclaredAccessibility != Accessibility.Private)
                {
                    // The graph names a constructor by its documentation id's "#ctor".
                    visibleNames.Add(member is IMethodSymbol { MethodKind: MethodKind.Constructor } ? "#ctor" : member.Name);
                }
            }

            visibleNames.Add(type.Name);
        }

        KernelImage kernel = KernelImage.Instance;
        string[] unknown = kernel.ApiStaticNames.Concat(kernel.ApiInstanceNames).Concat(kernel.ApiTypeNames).Where(n => !visibleNames.Contains(n)).ToArray();
        Assert.True(unknown.Length == 0, "names in the filter that no visible API member has: " + string.Join(", ", unknown));
        // KernelDirectory.Select is private: '.Select(...)' in LINQ is not a candidate for it.
        Assert.DoesNotContain("Select", kernel.ApiStaticNames);
    }

    [Fact]
    public void ManyFiles_ScannedOnSeveralThreads_GiveTheSameKernelAsOneThread()
    {
        var sources = new List<(string, string)> { ("Program.cs", "Unikraft.Demo.All.Run();\n") };
        var calls = new List<string>();
        for (int index = 0; index < 24; index++)
        {
            string body = (index % 4) switch
            {
                0 => $"Console.WriteLine(\"m{index}\");",
                1 => $"File.WriteAllText(\"/data/m{index}.txt\", \"x\");",
                2 => "Thread.Sleep(1);",
                _ => "var n = \"text\".Length + Random.Shared.Next(3);",
            };
            sources.Add(($"M{index:00}.cs", $"namespace Unikraft.Demo; internal static class M{index:00} {{ public static void Run() {{ {body} }} }}"));
            calls.Add($"M{index:00}.Run();");
        }

        sources.Add(("All.cs", "namespace Unikraft.Demo; internal static class All { public static void Run() { " + string.Join(" ", calls) + " } }"));
        Compilation parallel = GeneratorHarness.Compilation(sources);
        Assert.True(parallel.Options.ConcurrentBuild);
        Compilation sequential = parallel.WithOptions(parallel.Options.WithConcurrentBuild(false));

        Dictionary<string, string> expected = Sources(GeneratorHarness.Driver(Mounts()).RunGenerators(sequential));
        Dictionary<string, string> actual = Sources(GeneratorHarness.Driver(Mounts()).RunGenerators(parallel));

        Assert.Equal(expected.Keys.OrderBy(k => k, StringComparer.Ordinal), actual.Keys.OrderBy(k => k, StringComparer.Ordinal));
        foreach ((string hintName, string text) in expected)
        {
            Assert.True(text == actual[hintName], hintName + " differs between the parallel and the sequential scan");
        }

        Assert.Contains("M01.cs:1  File.WriteAllText", expected["Unikraft.Manifest.g.cs"]);
    }

    [Fact]
    public void AfterAGarbageCollection_RememberedCallSitesAreFoundAgain()
    {
        // A tree's syntax nodes are made on demand and may be collected between runs: call sites are
        // remembered by where they are, so a run after a collection binds nothing new.
        // Members and statements of large lists are the nodes the syntax tree holds only weakly.
        string members = string.Concat(Enumerable.Range(0, 40).Select(i => $"    public static int M{i}() {{ int a = {i}; a++; a--; a++; return a; }}\n"));
        Compilation compilation = GeneratorHarness.Compilation(new[]
        {
            ("Program.cs", "Unikraft.Demo.Reader.Run();\n"),
            ("Reader.cs", "namespace Unikraft.Demo;\ninternal static class Reader\n{\n" + members
                + "    public static void Run()\n    {\n        int a = 1; a++; a--; a++; a--;\n        Console.WriteLine(File.ReadAllText(Paths.Config));\n    }\n}\n"),
            ("Paths.cs", "namespace Unikraft.Demo; internal static class Paths { public const string Config = \"/data/config.txt\"; }"),
            ("Limits.cs", "namespace Unikraft.Demo; internal static class Limits { public const string Config = \"/other\"; }"),
        });
        GeneratorDriver driver = GeneratorHarness.Driver(out KernelGenerator generator, Mounts()).RunGenerators(compilation);
        long before = generator.Binds;

        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        // Limits.Config has the name Paths.Config has: Reader.cs's call site is looked at again,
        // found where it was, and kept (its qualifier is Paths, not Limits).
        SyntaxTree limits = compilation.SyntaxTrees.Single(t => t.FilePath.EndsWith("/Limits.cs", StringComparison.Ordinal));
        SourceText text = limits.GetText();
        int at = text.ToString().IndexOf("/other", StringComparison.Ordinal);
        compilation = compilation.ReplaceSyntaxTree(limits, limits.WithChangedText(text.WithChanges(new TextChange(new TextSpan(at, 6), "/elsewhere"))));
        driver = driver.RunGenerators(compilation);

        Assert.Equal(0, generator.Binds - before);
        Assert.Contains("/data/config.txt", ManifestOf(driver));
    }

    private static IEnumerable<INamedTypeSymbol> AllTypes(INamespaceSymbol ns)
    {
        foreach (INamespaceOrTypeSymbol member in ns.GetMembers())
        {
            if (member is INamespaceSymbol inner)
            {
                foreach (INamedTypeSymbol type in AllTypes(inner))
                {
                    yield return type;
                }
            }
            else if (member is INamedTypeSymbol type)
            {
                yield return type;
                foreach (INamedTypeSymbol nested in type.GetTypeMembers())
                {
                    yield return nested;
                }
            }
        }
    }

    // The generator leaves its own trees out of the scan, and knows them by their path and the
    // header it writes, never by a folder name alone: a program's file in a folder named like the
    // generator's, even one that says it is generated, is the program's and its calls count.
    [Theory]
    [InlineData("obj/generated/Unikraft.Gen.Generators/Unikraft.Gen.KernelGenerator/Kernel/Api/Sneaky.g.cs", "// <auto-generated/>\n")]
    [InlineData("Unikraft.Gen.KernelGenerator/Reader.cs", "")]
    [InlineData("obj/generated/Unikraft.Gen.Generators/Unikraft.Gen.KernelGenerator/Kernel/Api/Forged.g.cs", "// <auto-generated/>\n// Unikraft.Gen output 0000000000000000\n")]
    public void ProgramFileInAFolderNamedLikeTheGenerators_IsScanned(string path, string header)
    {
        Compilation compilation = GeneratorHarness.Compilation(new[]
        {
            ("Program.cs", "Console.WriteLine(Sneaky.Reader.Read());\n"),
            (path, header + "namespace Sneaky; internal static class Reader { public static string Read() => File.ReadAllText(\"/data/secret.txt\"); }\n"),
        });

        string manifest = GeneratorHarness.Run(compilation, Mounts()).Manifest;

        Assert.Contains("File.ReadAllText(string) '/data/secret.txt'", manifest);
    }

    // The generator's own post-initialization trees (the app-facing API) are in the compilation it
    // scans, and are left out: they carry its header.
    [Fact]
    public void GeneratorsOwnApiTrees_AreRecognisedAsItsOutput()
    {
        Compilation compilation = GeneratorHarness.Compilation(new[] { ("Program.cs", "Console.WriteLine(1);\n") });
        GeneratorHarness.Result result = GeneratorHarness.Run(compilation, Mounts());

        SyntaxTree[] own = result.Output.SyntaxTrees.Where(KernelGenerator.Detect.IsOwnOutput).ToArray();

        Assert.NotEmpty(own);
        Assert.All(own, tree => Assert.Contains("Unikraft.Gen.Generators/Unikraft.Gen.KernelGenerator/", tree.FilePath.Replace('\\', '/'), StringComparison.Ordinal));
        Assert.DoesNotContain(result.Output.SyntaxTrees, tree => tree.FilePath.EndsWith("/Program.cs", StringComparison.Ordinal) && KernelGenerator.Detect.IsOwnOutput(tree));
        Assert.Equal(result.Output.SyntaxTrees.Count(tree => tree.FilePath.Replace('\\', '/').Contains("Unikraft.Gen.KernelGenerator/", StringComparison.Ordinal)), own.Length);
    }

    private static Dictionary<string, string> Mounts() => new(StringComparer.Ordinal) { ["UnikraftMounts"] = "/data|ramfs|||" };

    private static Dictionary<string, string> Sources(GeneratorDriver driver) =>
        driver.GetRunResult().Results.Single().GeneratedSources.ToDictionary(s => s.HintName, s => s.SourceText.ToString(), StringComparer.Ordinal);

    private static string ManifestOf(GeneratorDriver driver) => Sources(driver)["Unikraft.Manifest.g.cs"];
}
