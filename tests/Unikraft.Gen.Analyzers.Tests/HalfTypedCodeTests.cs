using System;
using System.Collections.Immutable;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Xunit;
using static Unikraft.Gen.Analyzers.Tests.Verifiers;

namespace Unikraft.Gen.Analyzers.Tests;

// The analyzers run on every keystroke, so they see code that does not compile yet.
public sealed class HalfTypedCodeTests
{
    // A realistic program that touches every kind of check: calls, constructors, properties,
    // method groups, attributes, function pointers and the kernel API.
    private const string Program = """
        using System;
        using System.Diagnostics;
        using System.IO.Pipes;
        using System.Reflection;
        using System.Runtime.InteropServices;
        using System.Threading;
        using System.Threading.Tasks;
        using Microsoft.Win32;

        static unsafe partial class App
        {
            [DllImport("libc")] static extern int getpid();
            [LibraryImport("libc")] private static partial int getppid();
            static delegate* unmanaged<int, void> s_callback;

            static async Task Main(string[] args)
            {
                Console.WriteLine($"started at {DateTime.Now:O}, {Environment.TickCount64}");
                Console.WriteLine("{0} args", args.Length);
                int roll = Random.Shared.Next(1, 6) + new Random(42).Next(10);
                Thread.Sleep(10);
                await Task.Delay(TimeSpan.FromMilliseconds(roll));
                await Task.Run(() => Console.WriteLine("in task"));
                var worker = new Thread(() => { });
                ThreadPool.QueueUserWorkItem(_ => { });
                Func<string, Process?> start = Process.Start;
                Assembly.Load(new byte[0]);
                using var pipe = new NamedPipeServerStream("p");
                _ = Registry.CurrentUser?.OpenSubKey("x");
                Environment.Exit(roll);
            }
        }

        namespace Unikraft.Kernel
        {
            internal static class KernelConsole { public static void WriteLine(string? value) { } }
            internal static class KernelRandom { public static int Next(System.Random random, int maxValue) => 0; }
            internal static class KernelClock { public static System.DateTime Now => default; }
        }
        """;

    [Fact]
    public async Task HalfTypedCode_NoAnalyzerException()
    {
        // The whole program is checked first, so the loop below is known to exercise every check.
        var (whole, wholeExceptions) = await RunAnalyzerAsync(Compile(Program));
        Assert.Empty(wholeExceptions);
        Assert.Contains(whole, d => d.Id == "UK0001");
        Assert.Contains(whole, d => d.Id == "UK0002");
        Assert.Contains(whole, d => d.Id == "UK0003");

        for (int length = 0; length <= Program.Length; length += 7)
        {
            var (diagnostics, exceptions) = await RunAnalyzerAsync(Compile(Program.Substring(0, length)));
            Assert.True(exceptions.Count == 0, "Cut at " + length + ": " + string.Join("; ", exceptions));
            Diagnostic? failure = diagnostics.FirstOrDefault(d => d.Id == "AD0001" || !d.Id.StartsWith("UK", System.StringComparison.Ordinal));
            Assert.True(failure is null, "Cut at " + length + ": " + failure);
        }
    }

    [Fact]
    public async Task Harness_CatchesAnAnalyzerThatThrows()
    {
        // The check above is only worth something if a throwing analyzer would fail it.
        var (_, exceptions) = await RunAnalyzerAsync(Compile("class C { void M() { M(); } }"), new ThrowingAnalyzer());
        Assert.NotEmpty(exceptions);
    }

    // Not marked [DiagnosticAnalyzer]: it is handed to the harness directly and never loaded by a compiler.
#pragma warning disable RS1001 // The attribute would make the test assembly an analyzer assembly (RS1036, RS1038, RS1041).
    private sealed class ThrowingAnalyzer : DiagnosticAnalyzer
    {
        public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(DiagnosticDescriptors.UnsupportedApi);

        public override void Initialize(AnalysisContext context)
        {
            context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
            context.EnableConcurrentExecution();
            context.RegisterOperationAction(_ => throw new InvalidOperationException("thrown on purpose"), OperationKind.Invocation);
        }
    }
#pragma warning restore RS1001
}
