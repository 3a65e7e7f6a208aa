using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Testing;
using Xunit;

namespace Unikraft.Gen.Analyzers.Tests;

// UK0201: in sim builds, what makes a run depend on the host rather than on its seed.
public sealed class DeterminismTests
{
    private static async Task AnalyzeAsync(string source, string platform, params DiagnosticResult[] expected)
    {
        var test = new CSharpAnalyzerTest<SupportTableAnalyzer, DefaultVerifier>
        {
            TestCode = source,
            ReferenceAssemblies = new ReferenceAssemblies("net10.0"),
        };
        test.TestState.AdditionalReferences.AddRange(Basic.Reference.Assemblies.Net100.References.All);
        test.TestState.AnalyzerConfigFiles.Add(("/.globalconfig", "is_global = true\nbuild_property.UnikraftPlatform = " + platform + "\n"));
        test.ExpectedDiagnostics.AddRange(expected);
        await test.RunAsync(CancellationToken.None);
    }

    private static DiagnosticResult UK0201(int location, string api) =>
        new DiagnosticResult(DiagnosticDescriptors.Nondeterministic).WithLocation(location).WithArguments(api, Reason(api));

    private static string Reason(string api) => api switch
    {
        "Guid.NewGuid" => "it draws from the host's randomness; build identifiers from Random.Shared, which the simulation seeds",
        "new Random" => "an unseeded Random takes its seed from the host; use Random.Shared, which the simulation seeds, or pass a seed",
        "Stopwatch.StartNew" => "it reads the host's monotonic clock; use KernelClock.TickCount64, which the simulation's virtual clock drives",
        "Task.ConfigureAwait" => "ConfigureAwait(false) resumes on whatever thread completes the task, outside the kernel's seeded scheduler; drop it",
        "Parallel.For" => "it runs work on host thread-pool threads, outside the kernel's seeded scheduler; use Task.Run",
        "new PeriodicTimer" => "its ticks come from the host's clock in real time; loop over Task.Delay, which the virtual clock drives",
        _ => "it reads the host's clock; use KernelClock.TickCount64, which the simulation's virtual clock drives",
    };

    private const string Source = """
        using System;
        using System.Diagnostics;
        using System.Threading;
        using System.Threading.Tasks;

        class Program
        {
            static async Task Main()
            {
                Guid id = {|#0:Guid.NewGuid()|};
                var random = {|#1:new Random()|};
                var seeded = new Random(42);
                var watch = {|#2:Stopwatch.StartNew()|};
                await {|#3:Task.Delay(1).ConfigureAwait(false)|};
                await Task.Delay(1).ConfigureAwait(true);
                {|#4:Parallel.For(0, 2, i => { })|};
                using var timer = {|#5:new PeriodicTimer(TimeSpan.FromSeconds(1))|};
                int ticks = {|#6:Environment.TickCount|};
            }
        }
        """;

    [Fact]
    public async Task SimBuild_ReportsEverythingThatReadsTheHost()
    {
        await AnalyzeAsync(Source, "sim",
            UK0201(0, "Guid.NewGuid"), UK0201(1, "new Random"), UK0201(2, "Stopwatch.StartNew"), UK0201(3, "Task.ConfigureAwait"),
            UK0201(4, "Parallel.For"), UK0201(5, "new PeriodicTimer"), UK0201(6, "Environment.TickCount"));
    }

    [Fact]
    public async Task HostedBuild_ReportsNoneOfIt()
    {
        string plain = Source.Replace("{|#0:", "").Replace("{|#1:", "").Replace("{|#2:", "").Replace("{|#3:", "")
            .Replace("{|#4:", "").Replace("{|#5:", "").Replace("{|#6:", "").Replace("|}", "");
        await AnalyzeAsync(plain, "hosted");
    }
}

public sealed class DeterminismFixTests
{
    [Fact]
    public async Task ConfigureAwaitFalse_AndUnseededRandom_AreFixed()
    {
        const string source = """
            using System;
            using System.Threading.Tasks;

            class Program
            {
                static async Task<int> Main()
                {
                    await {|#0:Task.Delay(1).ConfigureAwait(false)|};
                    var random = {|#1:new Random()|};
                    return random.Next(6);
                }
            }
            """;
        const string fixedSource = """
            using System;
            using System.Threading.Tasks;

            class Program
            {
                static async Task<int> Main()
                {
                    await Task.Delay(1);
                    var random = Random.Shared;
                    return random.Next(6);
                }
            }
            """;
        var test = new CSharpCodeFixTest<SupportTableAnalyzer, Unikraft.Gen.CodeFixes.DeterminismCodeFixProvider, DefaultVerifier>
        {
            TestCode = source,
            FixedCode = fixedSource,
            ReferenceAssemblies = new ReferenceAssemblies("net10.0"),
        };
        test.TestState.AdditionalReferences.AddRange(Basic.Reference.Assemblies.Net100.References.All);
        test.FixedState.AdditionalReferences.AddRange(Basic.Reference.Assemblies.Net100.References.All);
        const string config = "is_global = true\nbuild_property.UnikraftPlatform = sim\n";
        test.TestState.AnalyzerConfigFiles.Add(("/.globalconfig", config));
        test.FixedState.AnalyzerConfigFiles.Add(("/.globalconfig", config));
        test.ExpectedDiagnostics.Add(new DiagnosticResult(DiagnosticDescriptors.Nondeterministic).WithLocation(0)
            .WithArguments("Task.ConfigureAwait", "ConfigureAwait(false) resumes on whatever thread completes the task, outside the kernel's seeded scheduler; drop it"));
        test.ExpectedDiagnostics.Add(new DiagnosticResult(DiagnosticDescriptors.Nondeterministic).WithLocation(1)
            .WithArguments("new Random", "an unseeded Random takes its seed from the host; use Random.Shared, which the simulation seeds, or pass a seed"));
        await test.RunAsync(CancellationToken.None);
    }
}
