using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;
using Xunit;

namespace Unikraft.Gen.Tests;

// The generator remembers what each call site bound to and binds again only what an edit can have
// changed (generators/Unikraft.Gen.Generators/Incremental). These say when it must bind again, and
// that the output after an edit is the output of a fresh run on the edited program.
public sealed class IncrementalBindingTests
{
    private const string Mounts = "/data|ramfs|||>/tmp|ramfs|||";

    private const string Program = """
        using Unikraft.Demo;

        Console.WriteLine(File.ReadAllText(Paths.Config));
        Worker.Run();
        """;

    private const string PathsFile = """
        namespace Unikraft.Demo;

        internal static class Paths
        {
            public const string Folder = "/data";
            public const string Config = Folder + "/config.txt";
        }
        """;

    private const string WorkerFile = """
        namespace Unikraft.Demo;

        internal static class Worker
        {
            public static void Run()
            {
                int total = 0;
                Console.WriteLine("worker " + total);
            }

            public static void Idle()
            {
                Thread.Sleep(1);
            }
        }
        """;

    [Fact]
    public void EditInsideAMethodBody_BindsOnlyThatMembersCallSites()
    {
        (GeneratorDriver driver, KernelGenerator generator, Compilation compilation) = FirstRun();
        long before = generator.Binds;

        compilation = Edit(compilation, "Worker.cs", "int total = 0;", "int total = 41 + 1;");
        driver = driver.RunGenerators(compilation);

        // Console.WriteLine in Run is bound again (its tree changed and so did its member); Thread.Sleep
        // in Idle, in the same tree, is moved to its new place, and the other trees' calls are remembered.
        Assert.Equal(1, generator.Binds - before);
        AssertSameAsFreshRun(driver, compilation);

        // A line added above Idle: its Thread.Sleep moves, and is intercepted where it is now.
        before = generator.Binds;
        compilation = Edit(compilation, "Worker.cs", "int total = 41 + 1;", "int total = 41 + 1;\n        total++;");
        driver = driver.RunGenerators(compilation);
        Assert.Equal(1, generator.Binds - before);
        Assert.Contains("at Worker.cs:14", Interceptors(driver));
        AssertSameAsFreshRun(driver, compilation);
    }

    [Fact]
    public void ConstantChangedInAnotherFile_ReachesTheCallThatUsesIt()
    {
        (GeneratorDriver driver, KernelGenerator generator, Compilation compilation) = FirstRun();
        Assert.Contains("/data/config.txt", Manifest(driver));

        // Config is computed from Folder: the change reaches it through the constant it mentions.
        compilation = Edit(compilation, "Paths.cs", "\"/data\"", "\"/tmp\"");
        driver = driver.RunGenerators(compilation);

        string manifest = Manifest(driver);
        Assert.Contains("/tmp/config.txt", manifest);
        Assert.DoesNotContain("/data/config.txt", manifest);
        AssertSameAsFreshRun(driver, compilation);
    }

    [Fact]
    public void ConstantOfAnUnrelatedType_BindsNothing()
    {
        (GeneratorDriver driver, KernelGenerator generator, Compilation compilation) = FirstRun(
            ("Limits.cs", "namespace Unikraft.Demo; internal static class Limits { public const string Config = \"/other\"; }"));
        long before = generator.Binds;

        // Same name as Paths.Config, another type: the call through Paths.Config does not depend on it.
        compilation = Edit(compilation, "Limits.cs", "\"/other\"", "\"/elsewhere\"");
        driver = driver.RunGenerators(compilation);

        Assert.Equal(0, generator.Binds - before);
        AssertSameAsFreshRun(driver, compilation);
    }

    [Fact]
    public void NewDeclarationThatShadowsTheBcl_RebindsEveryCallSite()
    {
        (GeneratorDriver driver, KernelGenerator generator, Compilation compilation) = FirstRun();
        Assert.Contains("at Worker.cs:8", Interceptors(driver));

        // A Console of the program's own in Unikraft.Demo: Worker's calls now bind to it, not to the BCL.
        compilation = Edit(compilation, "Paths.cs", "internal static class Paths",
            "internal static class Console { public static void WriteLine(string text) { } }\n\ninternal static class Paths");
        driver = driver.RunGenerators(compilation);

        Assert.DoesNotContain("at Worker.cs:8", Interceptors(driver));
        Assert.Contains("at Worker.cs:13", Interceptors(driver));
        AssertSameAsFreshRun(driver, compilation);
    }

    [Fact]
    public void KernelTypeReachedThroughAnAliasInAnotherFile_IsSeen()
    {
        (GeneratorDriver driver, KernelGenerator _, Compilation compilation) = FirstRun(
            ("Aliases.cs", "global using Files = Unikraft.Kernel.KernelFile;"),
            ("Cleanup.cs", "namespace Unikraft.Demo; internal static class Cleanup { public static void Go() => Files.Delete(\"/tmp/old.txt\"); }"));

        Assert.Contains("unlinkat", Manifest(driver));
        AssertSameAsFreshRun(driver, compilation);
    }

    private static (GeneratorDriver Driver, KernelGenerator Generator, Compilation Compilation) FirstRun(params (string Path, string Text)[] extra)
    {
        Compilation compilation = GeneratorHarness.Compilation(new[] { ("Program.cs", Program), ("Paths.cs", PathsFile), ("Worker.cs", WorkerFile) }.Concat(extra));
        GeneratorDriver driver = GeneratorHarness.Driver(out KernelGenerator generator, Properties()).RunGenerators(compilation);
        return (driver, generator, compilation);
    }

    private static Dictionary<string, string> Properties() => new(StringComparer.Ordinal) { ["UnikraftMounts"] = Mounts };

    // An edit as an editor makes it: a change to the old text, so the parser reuses what it did not touch.
    private static Compilation Edit(Compilation compilation, string file, string oldText, string newText)
    {
        SyntaxTree tree = compilation.SyntaxTrees.Single(t => t.FilePath.EndsWith("/" + file, StringComparison.Ordinal));
        SourceText text = tree.GetText();
        int at = text.ToString().IndexOf(oldText, StringComparison.Ordinal);
        Assert.True(at >= 0, "'" + oldText + "' is not in " + file);
        return compilation.ReplaceSyntaxTree(tree, tree.WithChangedText(text.WithChanges(new TextChange(new TextSpan(at, oldText.Length), newText))));
    }

    private static void AssertSameAsFreshRun(GeneratorDriver driver, Compilation compilation)
    {
        GeneratorDriver fresh = GeneratorHarness.Driver(Properties()).RunGenerators(compilation);
        Dictionary<string, string> expected = Sources(fresh);
        Dictionary<string, string> actual = Sources(driver);
        Assert.Equal(expected.Keys.OrderBy(k => k, StringComparer.Ordinal), actual.Keys.OrderBy(k => k, StringComparer.Ordinal));
        foreach ((string hintName, string text) in expected)
        {
            Assert.True(text == actual[hintName], hintName + " differs from a fresh run's");
        }
    }

    private static Dictionary<string, string> Sources(GeneratorDriver driver) =>
        driver.GetRunResult().Results.Single().GeneratedSources.ToDictionary(s => s.HintName, s => s.SourceText.ToString(), StringComparer.Ordinal);

    private static string Manifest(GeneratorDriver driver) => Sources(driver)["Unikraft.Manifest.g.cs"];

    private static string Interceptors(GeneratorDriver driver) =>
        string.Concat(Sources(driver).Where(s => s.Key.Contains("Intercept", StringComparison.Ordinal)).Select(s => s.Value));
}
