using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Xunit;

namespace Unikraft.Gen.Tests;

// The emitted kernel compiles cleanly inside any program: every warning is an error here, with
// documentation comments checked, nullable on or off, implicit usings on or off.
public sealed class CompileValidityTests
{
    public static TheoryData<string, bool, bool> Configurations()
    {
        var data = new TheoryData<string, bool, bool>();
        foreach (string program in GeneratorHarness.ProgramNames)
        {
            data.Add(program, true, true);
            data.Add(program, false, true);
            if (program is "ClassicMain" or "KernelApiDirect")
            {
                data.Add(program, true, false);
                data.Add(program, false, false);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Configurations))]
    public void EmittedKernel_CompilesWithoutWarnings(string program, bool nullable, bool implicitUsings)
    {
        GeneratorHarness.Result result = GeneratorHarness.Run(GeneratorHarness.Program(program, nullable, implicitUsings), GeneratorHarness.ProgramProperties(program));

        // A program that writes 'string?' with nullable off gets CS8632 in its own code: that is the
        // program's business, not the kernel's.
        var problems = result.Problems.Where(d => !(d.Id == "CS8632" && !nullable && d.Location.SourceTree?.FilePath == GeneratorHarness.ProjectDirectory + "/Program.cs")).ToList();
        Assert.True(problems.Count == 0, string.Join("\n", problems.Select(d => d.ToString())));
    }

    // With the native layer on, each interceptor takes the vCPU around its call (try/finally), and
    // the compiler cannot see that Environment.Exit's interceptor, marked [DoesNotReturn], ends
    // inside it: a third-party port scanner (xsitin/PortScanner) got CS8763 from the generated code.
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void EmittedKernel_WithTheNativeLayer_CompilesWithoutWarnings(bool nullable)
    {
        var properties = new Dictionary<string, string> { ["UnikraftNativeLayer"] = "true" };
        GeneratorHarness.Result result = GeneratorHarness.Run(GeneratorHarness.Program("EnvironmentAndExit", nullable, implicitUsings: true), properties);

        // With nullable off, the program's own 'string?' is CS8632: the program's business.
        var problems = result.Problems.Where(d => !(d.Id == "CS8632" && !nullable && d.Location.SourceTree?.FilePath == GeneratorHarness.ProjectDirectory + "/Program.cs")).ToList();
        Assert.True(problems.Count == 0, string.Join("\n", problems.Select(d => d.ToString())));
    }

    [Fact]
    public void ClashingNames_InTheProgram_DoNotBreakTheKernel()
    {
        GeneratorHarness.Result result = GeneratorHarness.RunProgram("ClashingNames");

        Assert.Empty(result.Problems);
        Assert.Contains("write", result.ImplementedSyscalls);
    }

    [Fact]
    public void TwoAssemblies_BothUsingTheGenerator_DoNotCollide()
    {
        // A library built with the generator, referenced by a program built with it: every kernel
        // type is internal, so nothing clashes.
        Compilation library = GeneratorHarness.Run(GeneratorHarness.Compilation(
            new[] { ("Lib.cs", "public static class Greeter { public static void Hi() => System.Console.WriteLine(\"hi\"); }") },
            assemblyName: "Lib", kind: OutputKind.DynamicallyLinkedLibrary),
            new Dictionary<string, string> { ["OutputType"] = "Library" }).Output;
        Assert.Empty(library.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning));

        Compilation program = GeneratorHarness.Program("Hello").AddReferences(library.ToMetadataReference());
        GeneratorHarness.Result result = GeneratorHarness.Run(program);

        Assert.Empty(result.Problems);
    }
}
