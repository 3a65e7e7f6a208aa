using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Testing;
using Xunit;

namespace Unikraft.Gen.Analyzers.Tests;

// UK0101-UK0103: the paths of file calls, checked against the project's <UnikraftMount> items.
public sealed class MountTests
{
    private const string Mounts = "/|initrd|rootfs/|true|>/data|hostfs|data/||>/tmp|ramfs|||1M";

    private static async Task AnalyzeAsync(string source, string? mounts, params DiagnosticResult[] expected)
    {
        await AnalyzeAsync(source, mounts, "", expected);
    }

    // extra: more global build properties ("build_property.UnikraftNativeLayer = true\n").
    private static async Task AnalyzeAsync(string source, string? mounts, string extra, params DiagnosticResult[] expected)
    {
        var test = new CSharpAnalyzerTest<MountAnalyzer, DefaultVerifier>
        {
            TestCode = source,
            ReferenceAssemblies = new ReferenceAssemblies("net10.0"),
        };
        test.TestState.AdditionalReferences.AddRange(Basic.Reference.Assemblies.Net100.References.All);
        if (mounts is not null)
        {
            test.TestState.AnalyzerConfigFiles.Add(("/.globalconfig", "is_global = true\nbuild_property.UnikraftMounts = " + mounts + "\n" + extra));
        }

        test.ExpectedDiagnostics.AddRange(expected);
        await test.RunAsync(CancellationToken.None);
    }

    [Fact]
    public async Task WriteToReadOnlyMount_ReportsUK0101()
    {
        const string source = """
            using System.IO;
            class Program
            {
                static void Main()
                {
                    File.WriteAllText({|#0:"/etc/motd"|}, "hi");
                    File.Delete({|#1:"/etc/old"|});
                }
            }
            """;
        await AnalyzeAsync(source, Mounts,
            new DiagnosticResult(DiagnosticDescriptors.WriteToReadOnlyMount).WithLocation(0).WithArguments("File.WriteAllText", "/etc/motd", "/"),
            new DiagnosticResult(DiagnosticDescriptors.WriteToReadOnlyMount).WithLocation(1).WithArguments("File.Delete", "/etc/old", "/"));
    }

    [Fact]
    public async Task ReadFromReadOnlyMount_IsFine_AndWritesUnderWritableMountsAreFine()
    {
        const string source = """
            using System.IO;
            class Program
            {
                static void Main()
                {
                    string text = File.ReadAllText("/etc/motd");
                    File.WriteAllText("/data/out.txt", text);
                    Directory.CreateDirectory("/tmp/work");
                    File.WriteAllText("/tmp/../data/x", text);
                }
            }
            """;
        await AnalyzeAsync(source, Mounts);
    }

    [Fact]
    public async Task PathUnderNoMount_ReportsUK0102_NamingAMountToAdd()
    {
        const string source = """
            using System.IO;
            class Program
            {
                static void Main() => File.ReadAllText({|#0:"/srv/site/index.html"|});
            }
            """;
        await AnalyzeAsync(source, "/data|hostfs|data/||",
            new DiagnosticResult(DiagnosticDescriptors.PathUnderNoMount).WithLocation(0)
                .WithArguments("File.ReadAllText", "/srv/site/index.html", "mounts: /data (hostfs)", "/srv"));
    }

    [Fact]
    public async Task NoMountsAtAll_EveryConstantPathReportsUK0102()
    {
        const string source = """
            using System.IO;
            class Program
            {
                static bool Main() => File.Exists({|#0:"config.json"|});
            }
            """;
        await AnalyzeAsync(source, "",
            new DiagnosticResult(DiagnosticDescriptors.PathUnderNoMount).WithLocation(0)
                .WithArguments("File.Exists", "config.json", "the project mounts no file systems", "/"));
    }

    [Fact]
    public async Task NoMountsAtAll_AComputedPathReportsUK0104_NamingTheItemToAdd()
    {
        const string source = """
            using System.IO;
            class Program
            {
                static void Main(string[] args) => File.ReadAllText({|#0:args[0]|});
            }
            """;
        await AnalyzeAsync(source, "",
            new DiagnosticResult(DiagnosticDescriptors.FileCallWithNoMount).WithLocation(0).WithArguments("File.ReadAllText"));
    }

    // Where the native layer serves the BCL (a hosted or microvm executable), a project that mounts
    // nothing has the plan's in-memory ramfs at "/", so its file calls work and are not reported;
    // under sim there is no native layer, and they are.
    [Fact]
    public async Task NoMountsAtAll_WithTheNativeLayer_TheImplicitRootServes_ButNotOnSim()
    {
        const string source = """
            using System.IO;
            class Program
            {
                static void Main(string[] args)
                {
                    File.WriteAllText({|#0:args[0]|}, "x");
                    File.WriteAllText({|#1:"notes.txt"|}, "x");
                }
            }
            """;
        await AnalyzeAsync(source, "", "build_property.UnikraftNativeLayer = true\n",
            new DiagnosticResult(DiagnosticDescriptors.PathNotKnown).WithLocation(0).WithArguments("File.WriteAllText"));
        await AnalyzeAsync(source, "", "build_property.UnikraftNativeLayer = true\nbuild_property.UnikraftPlatform = sim\n",
            new DiagnosticResult(DiagnosticDescriptors.FileCallWithNoMount).WithLocation(0).WithArguments("File.WriteAllText"),
            new DiagnosticResult(DiagnosticDescriptors.PathUnderNoMount).WithLocation(1)
                .WithArguments("File.WriteAllText", "notes.txt", "the project mounts no file systems", "/"));
    }

    [Theory]
    // A backslash is a character of a name, as on Linux: ".\tasks.txt" is a file in "/".
    [InlineData(".\\tasks.txt", "/")]
    [InlineData("/tasks.txt", "/")]
    [InlineData("/srv", "/")]
    [InlineData("/srv/site/index.html", "/srv")]
    [InlineData("srv/../www/index.html", "/www")]
    // MSBuild would read the backslash of an Include as '/': the root holds that folder instead.
    [InlineData("/my\\site/index.html", "/")]
    [InlineData("/a;b/index.html", "/")]
    public async Task PathUnderNoMount_SuggestsAMountPointMSBuildKeepsAsWritten(string path, string suggestion)
    {
        string source = $$"""
            using System.IO;
            class Program
            {
                static void Main() => File.ReadAllText({|#0:@"{{path}}"|});
            }
            """;
        await AnalyzeAsync(source, "/data|hostfs|data/||",
            new DiagnosticResult(DiagnosticDescriptors.PathUnderNoMount).WithLocation(0)
                .WithArguments("File.ReadAllText", path, "mounts: /data (hostfs)", suggestion));
        Assert.Null(Unikraft.Gen.Support.MountTable.CheckPath(suggestion));
    }

    [Fact]
    public async Task BackslashIsACharacterOfAName_NotASeparator()
    {
        // "/data\x.txt" (one backslash) is a file named "data\x.txt" in "/", not under /data;
        // "/data/a\b.txt" is under it.
        const string source = """
            using System.IO;
            class Program
            {
                static void Main()
                {
                    File.WriteAllText("/data/a\\b.txt", "x");
                    File.WriteAllText({|#0:"/data\\x.txt"|}, "x");
                }
            }
            """;
        await AnalyzeAsync(source, "/data|ramfs|||",
            new DiagnosticResult(DiagnosticDescriptors.PathUnderNoMount).WithLocation(0)
                .WithArguments("File.WriteAllText", "/data\\x.txt", "mounts: /data (ramfs)", "/"));
    }

    [Fact]
    public async Task ComputedPath_ReportsUK0103Info()
    {
        const string source = """
            using System.IO;
            class Program
            {
                static void Main(string[] args) => File.ReadAllText({|#0:args[0]|});
            }
            """;
        await AnalyzeAsync(source, Mounts,
            new DiagnosticResult(DiagnosticDescriptors.PathNotKnown).WithLocation(0).WithArguments("File.ReadAllText"));
    }

    [Fact]
    public async Task ConstantFromAConstField_IsResolved()
    {
        const string source = """
            using System.IO;
            class Program
            {
                const string Motd = "/etc/motd";
                static void Main() => File.AppendAllText({|#0:Motd|}, "x");
            }
            """;
        await AnalyzeAsync(source, Mounts,
            new DiagnosticResult(DiagnosticDescriptors.WriteToReadOnlyMount).WithLocation(0).WithArguments("File.AppendAllText", "/etc/motd", "/"));
    }

    [Fact]
    public async Task ProjectWithoutTheGenerator_GetsNoMountDiagnostics()
    {
        const string source = """
            using System.IO;
            class Program
            {
                static void Main() => File.WriteAllText("/etc/motd", "x");
            }
            """;
        await AnalyzeAsync(source, mounts: null);
    }
}
