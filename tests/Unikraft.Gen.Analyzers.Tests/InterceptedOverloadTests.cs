using System.Threading.Tasks;
using Xunit;
using static Unikraft.Gen.Analyzers.Tests.Verifiers;

namespace Unikraft.Gen.Analyzers.Tests;

// UK0003: an intercepted call reaches the kernel only through an overload the kernel API declares.
public sealed class InterceptedOverloadTests
{
    // A kernel API as the generator would emit it, with fewer overloads than the BCL.
    private const string KernelApi = """

        namespace Unikraft.Kernel
        {
            internal static class KernelConsole
            {
                public static void WriteLine() { }
                public static void WriteLine(string? value) { }
            }

            internal static class KernelTask
            {
                public static System.Threading.Tasks.Task Run(System.Action action) => System.Threading.Tasks.Task.CompletedTask;
                public static System.Threading.Tasks.Task<T> Run<T>(System.Func<T> function) => System.Threading.Tasks.Task.FromResult(function());
            }

            internal static class KernelRandom
            {
                public static int Next(System.Random random) => 0;
                public static int Next(System.Random random, int maxValue) => 0;
            }
        }
        """;

    // The same API as the generator emits it for a program that calls only Console.WriteLine(string):
    // the rest of KernelConsole is left out of the program, but the kernel still serves it.
    private const string PrunedByGenerator = """
        namespace Unikraft.Kernel
        {
            internal static partial class KernelConsole
            {
                public static void WriteLine(string? value) { }
            }

            internal static partial class KernelFile { }
        }
        """;

    private const string GeneratedPath = "/0/Unikraft.Gen.Generators/Unikraft.Gen.KernelGenerator/Kernel/Api/KernelConsole.g.cs";

    [Fact]
    public async Task ApiPrunedByTheGenerator_IsCheckedAgainstTheWholeApi()
    {
        const string source = """
            using System;

            class Program
            {
                static void Main()
                {
                    Console.WriteLine("hello");
                    Console.Write(42);
                    Console.Write('x');
                    {|#0:File.Open("a", FileMode.Open)|}.Dispose();
                }
            }
            """;

        var test = new Microsoft.CodeAnalysis.CSharp.Testing.CSharpAnalyzerTest<SupportTableAnalyzer, Microsoft.CodeAnalysis.Testing.DefaultVerifier>();
        test.TestState.Sources.Add(("/0/Program.cs", "using System.IO;\n" + source));
        test.TestState.Sources.Add((GeneratedPath, PrunedByGenerator));
        Configure(test);

        // Write(int) and Write(char) are in the kernel's API though not in the program's part of it
        // (no UK0003); File.Open bypasses the kernel, whose KernelFile.Open the program can call (UK0002).
        test.ExpectedDiagnostics.Add(Diagnostic(DiagnosticDescriptors.BypassesKernel).WithLocation(0)
            .WithMessage("'File.Open' bypasses the kernel: it returns a FileStream on the host's files, which cannot be redirected to the kernel's VFS; use 'KernelFile.Open'"));
        await test.RunAsync();
    }

    [Fact]
    public async Task HandWrittenApi_IsTakenAsItIs()
    {
        // Outside the generator's output, a kernel API is what it declares: Write is missing.
        const string source = """
            using System;

            class Program
            {
                static void Main()
                {
                    {|#0:Console.Write(42)|};
                }
            }
            """ + PrunedByGenerator;

        await AnalyzeAsync(source,
            Diagnostic(DiagnosticDescriptors.OverloadNotRedirected).WithLocation(0)
                .WithMessage("'Console.Write(int value)' has no kernel equivalent for this overload, so it bypasses the kernel; the kernel API 'KernelConsole' has no 'Write' method"));
    }

    [Fact]
    public async Task ConsoleWriteLine_NoDiagnostic()
    {
        const string source = """
            using System;

            class Program
            {
                static void Main()
                {
                    Console.WriteLine("hello");
                    Console.WriteLine();
                }
            }
            """ + KernelApi;

        await AnalyzeAsync(source);
    }

    [Fact]
    public async Task UnsupportedOverload_ReportsUK0003_WhenKernelApiPresent()
    {
        const string source = """
            using System;

            class Program
            {
                static void Main()
                {
                    {|#0:Console.WriteLine("{0} apples", 3)|};
                    {|#1:Console.Write('x')|};
                    {|#2:Random.Shared.Next(1, 6)|};
                }
            }
            """ + KernelApi;

        await AnalyzeAsync(source,
            Diagnostic(DiagnosticDescriptors.OverloadNotRedirected).WithLocation(0)
                .WithMessage("'Console.WriteLine(string format, object arg0)' has no kernel equivalent for this overload, so it bypasses the kernel; the kernel provides WriteLine(), WriteLine(string?); call one of those"),
            Diagnostic(DiagnosticDescriptors.OverloadNotRedirected).WithLocation(1)
                .WithMessage("'Console.Write(char value)' has no kernel equivalent for this overload, so it bypasses the kernel; the kernel API 'KernelConsole' has no 'Write' method"),
            Diagnostic(DiagnosticDescriptors.OverloadNotRedirected).WithLocation(2)
                .WithMessage("'Random.Next(int minValue, int maxValue)' has no kernel equivalent for this overload, so it bypasses the kernel; the kernel provides Next(), Next(int); call one of those"));
    }

    [Fact]
    public async Task GenericOverload_MatchesByTypeParameterPosition()
    {
        // The kernel names its type parameter T where the BCL says TResult; the overload is the same.
        const string source = """
            using System;
            using System.Threading;
            using System.Threading.Tasks;

            class Program
            {
                static async Task Main()
                {
                    await Task.Run(() => { });
                    int answer = await Task.Run(() => 42);
                    await {|#0:Task.Run(() => { }, CancellationToken.None)|};
                }
            }
            """ + KernelApi;

        await AnalyzeAsync(source,
            Diagnostic(DiagnosticDescriptors.OverloadNotRedirected).WithLocation(0)
                .WithArguments("Task.Run(Action action, CancellationToken cancellationToken)", "the kernel provides Run(Action), Run(Func<T>); call one of those"));
    }

    [Fact]
    public async Task KernelApiInProgramAndInReferencedLibrary_UsesTheProgramsOwn()
    {
        // A library built with the generator carries its own internal kernel API of the same names.
        const string library = """
            namespace Unikraft.Kernel
            {
                internal static class KernelConsole { public static void WriteLine() { } }
            }
            """;
        const string program = """
            class Program
            {
                static void Main() => System.Console.WriteLine(1.5);
            }
            """ + KernelApi;

        var reference = Compile(library, "Library").WithOptions(new Microsoft.CodeAnalysis.CSharp.CSharpCompilationOptions(Microsoft.CodeAnalysis.OutputKind.DynamicallyLinkedLibrary)).ToMetadataReference();
        var (diagnostics, exceptions) = await RunAnalyzerAsync(Compile(program).AddReferences(reference));

        Assert.Empty(exceptions);
        var reported = Assert.Single(diagnostics);
        Assert.Equal("UK0003", reported.Id);
        Assert.Contains("the kernel provides WriteLine(), WriteLine(string?)", reported.GetMessage(System.Globalization.CultureInfo.InvariantCulture), System.StringComparison.Ordinal);
    }

    [Fact]
    public async Task NoKernelApi_NoUK0003()
    {
        // Without the generator nothing is intercepted, so no overload is missing.
        const string source = """
            using System;

            class Program
            {
                static void Main()
                {
                    Console.WriteLine("{0} apples", 3);
                    Console.Write('x');
                    Random.Shared.Next(1, 6);
                }
            }
            """;

        await AnalyzeAsync(source);
    }

    [Fact]
    public async Task RandomSharedNext_NoDiagnostic_WhenKernelHasOverload()
    {
        const string source = """
            using System;

            class Program
            {
                static int Roll() => Random.Shared.Next(6) + Random.Shared.Next();
            }
            """ + KernelApi;

        await AnalyzeAsync(source);
    }

    [Fact]
    public async Task SeededRandomNext_NotChecked()
    {
        // Only Random.Shared is intercepted; a seeded Random is the program's own deterministic
        // generator and never reaches the kernel's randomness device.
        const string source = """
            using System;

            class Program
            {
                static int Roll()
                {
                    var seeded = new Random(42);
                    return seeded.Next(1, 6) + new Random(7).Next(1, 6);
                }
            }
            """ + KernelApi;

        await AnalyzeAsync(source);
    }
}

public sealed class MethodGroupTests
{
    private const string KernelConsole = """

        namespace Unikraft.Kernel
        {
            internal static class KernelConsole
            {
                public static void WriteLine(string? value) { }
            }
        }
        """;

    [Fact]
    public async Task MethodGroupOfAnInterceptedApi_ReportsUK0004_AndFixWritesALambda()
    {
        const string source = """
            using System;
            using System.Collections.Generic;

            class Program
            {
                static void Main()
                {
                    var names = new List<string> { "a", "b" };
                    names.ForEach({|#0:Console.WriteLine|});
                    Console.WriteLine("called, not a group");
                }
            }
            """ + KernelConsole;
        const string fixedSource = """
            using System;
            using System.Collections.Generic;

            class Program
            {
                static void Main()
                {
                    var names = new List<string> { "a", "b" };
                    names.ForEach(obj => Console.WriteLine(obj));
                    Console.WriteLine("called, not a group");
                }
            }
            """ + KernelConsole;
        var test = new Microsoft.CodeAnalysis.CSharp.Testing.CSharpCodeFixTest<SupportTableAnalyzer, Unikraft.Gen.CodeFixes.LambdaCodeFixProvider, Microsoft.CodeAnalysis.Testing.DefaultVerifier>
        {
            TestCode = source,
            FixedCode = fixedSource,
            ReferenceAssemblies = new Microsoft.CodeAnalysis.Testing.ReferenceAssemblies("net10.0"),
        };
        test.TestState.AdditionalReferences.AddRange(Basic.Reference.Assemblies.Net100.References.All);
        test.FixedState.AdditionalReferences.AddRange(Basic.Reference.Assemblies.Net100.References.All);
        test.ExpectedDiagnostics.Add(new Microsoft.CodeAnalysis.Testing.DiagnosticResult(DiagnosticDescriptors.MethodGroupNotRedirected).WithLocation(0)
            .WithArguments("Console.WriteLine"));
        await test.RunAsync(System.Threading.CancellationToken.None);
    }
}
