using System;
using System.Linq;
using Microsoft.CodeAnalysis;
using Unikraft.Gen.Kernel;
using Xunit;

namespace Unikraft.Gen.Tests;

// The app-facing API in the program's compilation: the members the program calls, or every member
// of a type its source names (so it binds to any of them while it is typed), and nothing else.
public sealed class ApiEmissionTests
{
    private const string KernelConsole = "Unikraft.Kernel.KernelConsole";

    [Fact]
    public void Hello_GetsTheOneApiMemberItCalls()
    {
        GeneratorHarness.Result result = GeneratorHarness.RunProgram("Hello");
        Assert.Empty(result.Problems);

        string[] members = ApiMembers(result.Output).ToArray();
        Assert.Equal(new[] { "KernelConsole.WriteLine(string?)" }, members);

        // Every other API type is there by name only, so the program can name it.
        INamedTypeSymbol file = result.Output.GetTypeByMetadataName("Unikraft.Kernel.KernelFile")!;
        Assert.Empty(file.GetMembers().Where(m => !m.IsImplicitlyDeclared));
        Assert.Null(result.Output.GetTypeByMetadataName("Unikraft.Kernel.KernelFileStream"));
    }

    [Fact]
    public void InterceptedOverloads_BringOnlyThemselves()
    {
        GeneratorHarness.Result result = GeneratorHarness.Run(GeneratorHarness.Compilation(new[]
        {
            ("Program.cs", "Console.Write(42);\nConsole.Write('!');\nConsole.WriteLine();\n"),
        }));
        Assert.Empty(result.Problems);
        Assert.Equal(new[] { "KernelConsole.Write(char)", "KernelConsole.Write(int)", "KernelConsole.WriteLine()" }, ApiMembers(result.Output).OrderBy(m => m, StringComparer.Ordinal));
    }

    // An instance method of the BCL: thread.Start(...) goes to KernelThread.Start with the thread
    // first, so that the end of Main waits for the program's foreground threads.
    [Fact]
    public void ThreadStart_IsInterceptedWithItsReceiver()
    {
        GeneratorHarness.Result result = GeneratorHarness.Run(GeneratorHarness.Compilation(new[]
        {
            ("Program.cs", "var worker = new Thread(() => { });\nworker.Start();\nnew Thread(_ => { }).Start(\"state\");\n"),
        }));
        Assert.Empty(result.Problems);
        Assert.Equal(new[] { "KernelThread.Start(Thread)", "KernelThread.Start(Thread, object?)" },
            ApiMembers(result.Output).OrderBy(m => m, StringComparer.Ordinal));
    }

    [Fact]
    public void ATypeTheProgramNames_IsThereWhole()
    {
        GeneratorHarness.Result result = GeneratorHarness.Run(GeneratorHarness.Compilation(new[]
        {
            ("Program.cs", "using K = Unikraft.Kernel.KernelConsole;\nK.WriteLine(\"via an alias\");\n"),
        }));
        Assert.Empty(result.Problems);
        AssertWhole(result.Output, KernelConsole);
    }

    [Fact]
    public void WhileTheMemberIsBeingTyped_TheTypeIsThereWhole()
    {
        // 'Unikraft.Kernel.KernelConsole.' with no member yet: completion needs every member.
        Compilation program = GeneratorHarness.Compilation(new[] { ("Program.cs", "Unikraft.Kernel.KernelConsole.\n") });
        GeneratorHarness.Result result = GeneratorHarness.Run(program);
        Assert.Empty(result.GeneratorDiagnostics);
        AssertWhole(result.Output, KernelConsole);
    }

    [Fact]
    public void EveryKernelOfEveryProgram_StillCompiles_WithTheApiInPart()
    {
        foreach (string name in GeneratorHarness.ProgramNames)
        {
            GeneratorHarness.Result result = GeneratorHarness.RunProgram(name);
            Assert.True(result.Problems.Count == 0, name + ": " + string.Join("\n", result.Problems));
        }
    }

    // The API members in the program's compilation, as "Type.Member(parameters)".
    private static System.Collections.Generic.IEnumerable<string> ApiMembers(Compilation output)
    {
        foreach (string typeName in KernelImage.Instance.ApiTopLevelTypeNames)
        {
            INamedTypeSymbol? type = output.GetTypeByMetadataName("Unikraft.Kernel." + typeName);
            if (type is null)
            {
                continue;
            }

            foreach (ISymbol member in type.GetMembers())
            {
                if (member.DeclaredAccessibility != Accessibility.Private && !member.IsImplicitlyDeclared && member is not IMethodSymbol { AssociatedSymbol: not null })
                {
                    yield return member.ToDisplayString(SymbolDisplayFormat.CSharpShortErrorMessageFormat);
                }
            }
        }
    }

    private static void AssertWhole(Compilation output, string metadataName)
    {
        Compilation whole = GeneratorHarness.Compilation(Array.Empty<(string, string)>())
            .AddSyntaxTrees(ApiSyntax.Trees(GeneratorHarness.ParseOptions()));
        // What the program can bind to: every member that is not private.
        string[] expected = Members(whole.GetTypeByMetadataName(metadataName)!);
        Assert.True(expected.Length > 30, "the whole KernelConsole has every Write and WriteLine overload");
        Assert.Equal(expected, Members(output.GetTypeByMetadataName(metadataName)!));

        static string[] Members(INamedTypeSymbol type) =>
            type.GetMembers().Where(m => m.DeclaredAccessibility != Accessibility.Private).Select(m => m.ToDisplayString()).OrderBy(m => m, StringComparer.Ordinal).ToArray();
    }
}
