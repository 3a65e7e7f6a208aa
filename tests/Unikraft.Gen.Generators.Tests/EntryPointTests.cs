using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Xunit;

namespace Unikraft.Gen.Tests;

// Every entry point shape C# allows boots on the kernel and ends the process with Main's status;
// a generator error comes alone, with nothing broken in the code emitted beside it.
public sealed class EntryPointTests
{
    public static TheoryData<string, string, int> Shapes() => new()
    {
        { "top-level statements", "Console.WriteLine(\"hi \" + args.Length);", 0 },
        { "top-level statements that return", "Console.WriteLine(\"hi \" + args.Length);\nreturn 3;", 3 },
        { "top-level statements that await and return", "await Task.Yield();\nConsole.WriteLine(\"hi \" + args.Length);\nreturn 4;", 4 },
        { "top-level statements that await", "await Task.Delay(1);\nConsole.WriteLine(\"hi \" + args.Length);", 0 },
        { "top-level statements beside a static partial Program",
            "Console.WriteLine(Program.Greeting + \" \" + args.Length);\nreturn 5;\nstatic partial class Program { internal const string Greeting = \"hi\"; }", 5 },
        { "private static async Task Main() in a static class",
            "static class Program\n{\n    private static async Task Main()\n    {\n        await Task.Yield();\n        Console.WriteLine(\"hi 2\");\n    }\n}", 0 },
        { "private static async Task<int> Main(string[]) in a static class",
            "static class Program\n{\n    private static async Task<int> Main(string[] args)\n    {\n        await Task.Yield();\n        Console.WriteLine(\"hi \" + args.Length);\n        return args.Length + 5;\n    }\n}", 7 },
        { "static void Main(string[]) in a class, private by default",
            "class Program\n{\n    static void Main(string[] args) => Console.WriteLine(\"hi \" + args.Length);\n}", 0 },
        { "public static int Main() in a public class",
            "public class Program\n{\n    public static int Main()\n    {\n        Console.WriteLine(\"hi 2\");\n        return 9;\n    }\n}", 9 },
        { "public static async Task<int> Main(string[])",
            "public static class Program\n{\n    public static async Task<int> Main(string[] args)\n    {\n        await Task.Delay(1);\n        Console.WriteLine(\"hi \" + args.Length);\n        return 10;\n    }\n}", 10 },
        { "internal static Task Main() that is not async",
            "static class Program\n{\n    internal static Task Main()\n    {\n        Console.WriteLine(\"hi 2\");\n        return Task.CompletedTask;\n    }\n}", 0 },
        { "private Main in a private class nested in a namespace",
            "namespace A.B\n{\n    internal static class Outer\n    {\n        private static class Inner\n        {\n            private static int Main(string[] args)\n            {\n                Console.WriteLine(\"hi \" + args.Length);\n                return 11;\n            }\n        }\n    }\n}", 11 },
        { "private static int Main() in a struct",
            "struct Program\n{\n    private static int Main()\n    {\n        Console.WriteLine(\"hi 2\");\n        return 12;\n    }\n}", 12 },
        { "private static void Main(string[]) in an internal struct in a namespace",
            "namespace Demo\n{\n    internal struct Program\n    {\n        static void Main(string[] args) => Console.WriteLine(\"hi \" + args.Length);\n    }\n}", 0 },
        { "private Main in a file-local class",
            "file static class Program\n{\n    private static int Main()\n    {\n        Console.WriteLine(\"hi 2\");\n        return 14;\n    }\n}", 14 },
        { "static Main in an interface",
            "interface IProgram\n{\n    static int Main()\n    {\n        Console.WriteLine(\"hi 2\");\n        return 15;\n    }\n}", 15 },
        { "Main in a file-scoped namespace",
            "namespace App.Cli;\n\ninternal static class Program\n{\n    static async Task<int> Main(string[] args)\n    {\n        await Task.Yield();\n        Console.WriteLine(\"hi \" + args.Length);\n        return 13;\n    }\n}", 13 },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public async Task EveryEntryPointShape_Boots_AndReturnsItsStatus(string shape, string program, int status)
    {
        foreach (string platform in new[] { "hosted", "sim" })
        {
            GeneratorHarness.Result result = GeneratorHarness.Run(GeneratorHarness.Compilation(new[] { ("Program.cs", program) }),
                new Dictionary<string, string> { ["UnikraftPlatform"] = platform, ["UnikraftBootBanner"] = "false" });
            Assert.True(result.Problems.Count == 0, shape + " on " + platform + ":\n" + string.Join("\n", result.Problems));
            using var built = new BuiltProgram(result, "entry");

            (int exit, string output, string error) = await built.RunAsync(new Dictionary<string, string> { ["UNIKRAFT_SIM_SEED"] = "1" }, "a", "b");

            Assert.True(exit == status, shape + " on " + platform + ": exit status " + exit + ", expected " + status + "\n" + output + error);
            Assert.Equal("hi 2\n", output);
        }
    }

    public static TheoryData<string, string, string> GeneratorErrors() => new()
    {
        { "a platform the kernel does not have", "UKG0001", "Console.WriteLine(File.ReadAllText(\"/a.txt\"));\nFile.WriteAllText(\"/b.txt\", \"b\");" },
        { "a bad mount", "UKG0001", "Console.WriteLine(File.ReadAllText(\"/a.txt\"));" },
        { "a bad mount on sim", "UKG0001", "await Task.Delay(1);\nConsole.WriteLine(File.ReadAllText(\"/a.txt\"));" },
        { "a mount under a devfs", "UKG0001", "Console.WriteLine(File.ReadAllText(\"/dev/pts/a.txt\"));" },
        { "no entry point", "UKG0002", "static class Tools\n{\n    public static string Read() => File.ReadAllText(\"/a.txt\");\n}" },
        { "two entry points", "UKG0002",
            "static class One\n{\n    static void Main() => Console.WriteLine(File.ReadAllText(\"/a.txt\"));\n}\nstatic class Two\n{\n    static void Main() => Console.WriteLine(1);\n}" },
    };

    [Fact]
    public void PrivateMainOfAPrivateStruct_IsUKG0003Alone()
    {
        const string program = "static class Outer\n{\n    private struct Program\n    {\n        static void Main() => Console.WriteLine(1);\n    }\n}";

        GeneratorHarness.Result result = GeneratorHarness.Run(GeneratorHarness.Compilation(new[] { ("Program.cs", program) }));

        Diagnostic error = Assert.Single(result.GeneratorDiagnostics);
        Assert.Equal("UKG0003", error.Id);
        Assert.Equal(5, error.Location.GetLineSpan().StartLinePosition.Line + 1);
        Assert.Empty(result.Output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning));
    }

    [Fact]
    public void MethodsNamedMainThatAreNoEntryPoint_AreNotCounted()
    {
        const string program = """
            static class Program
            {
                static void Main() => Console.WriteLine("hi");
            }

            #pragma warning disable CS0028
            static class Helpers
            {
                static void Main(int x) => Console.WriteLine(x);
                static Task<string> Main(string[] args) => Task.FromResult("");
                static void Main<T>() { }
            }
            """;

        GeneratorHarness.Result result = GeneratorHarness.Run(GeneratorHarness.Compilation(new[] { ("Program.cs", program) }));

        Assert.Empty(result.GeneratorDiagnostics);
        Assert.Contains("Entry point: Program.cs:3.", result.Source("Unikraft.Boot.g.cs"));
    }

    [Theory]
    [MemberData(nameof(GeneratorErrors))]
    public void GeneratorError_ComesAlone_AndWhatIsEmittedBesideItCompiles(string problem, string id, string program)
    {
        var properties = new Dictionary<string, string> { ["UnikraftMounts"] = "/|ramfs|||" };
        if (problem == "a platform the kernel does not have")
        {
            properties["UnikraftPlatform"] = "xen";
        }

        if (problem.StartsWith("a bad mount", StringComparison.Ordinal))
        {
            properties["UnikraftMounts"] = "/|ramfs|||>/data|zfs|||";
        }

        if (problem == "a bad mount on sim")
        {
            properties["UnikraftPlatform"] = "sim";
        }

        if (problem == "a mount under a devfs")
        {
            properties["UnikraftMounts"] = "/dev/pts|ramfs|||>/dev|devfs|||";
        }

        GeneratorHarness.Result result = GeneratorHarness.Run(GeneratorHarness.Compilation(new[] { ("Program.cs", program) }), properties);

        Diagnostic error = Assert.Single(result.GeneratorDiagnostics);
        Assert.Equal(id, error.Id);
        // The compiler's own verdict on the program (CS5001 no Main, CS0017 two Mains) may stand
        // beside it; nothing may come from the generated code.
        IEnumerable<Diagnostic> fromGenerated = result.Output.GetDiagnostics()
            .Where(d => d.Severity >= DiagnosticSeverity.Warning)
            .Where(d => !d.Location.IsInSource || !d.Location.SourceTree!.FilePath.EndsWith("/Program.cs", StringComparison.Ordinal))
            .Where(d => d.Id is not ("CS5001" or "CS0017"));
        Assert.Empty(fromGenerated);
        Assert.DoesNotContain(result.Run.Results.Single().GeneratedSources, s => s.HintName == "Unikraft.Boot.g.cs");
    }
}
