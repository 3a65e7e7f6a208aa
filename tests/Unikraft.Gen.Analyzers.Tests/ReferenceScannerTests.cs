using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Unikraft.Gen.Build;
using Xunit;

namespace Unikraft.Gen.Analyzers.Tests;

// The build-time IL scanner (generators/Unikraft.Gen.Generators/build/ReferenceScanner.cs) that
// tells UK0301 which method of a referenced assembly makes each call.
public sealed class ReferenceScannerTests
{
    internal static byte[] CompileLibrary(string name, string source, bool withLibraryImportGenerator = false)
    {
        Compilation library = CSharpCompilation.Create(name,
            new[] { CSharpSyntaxTree.ParseText(source, new CSharpParseOptions(LanguageVersion.Latest)) },
            Basic.Reference.Assemblies.Net100.References.All,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable, allowUnsafe: true));
        if (withLibraryImportGenerator)
        {
            GeneratorDriver driver = CSharpGeneratorDriver.Create(LibraryImportGenerator());
            driver.RunGeneratorsAndUpdateCompilation(library, out library, out var generatorDiagnostics);
            Assert.Empty(generatorDiagnostics.Where(d => d.Severity == DiagnosticSeverity.Error));
        }

        using var stream = new MemoryStream();
        Microsoft.CodeAnalysis.Emit.EmitResult result = library.Emit(stream);
        Assert.True(result.Success, string.Join("\n", result.Diagnostics));
        return stream.ToArray();
    }

    // The SDK's own [LibraryImport] generator, from the targeting pack of the runtime running the
    // tests: what it writes for a library is what a package built with it holds.
    private static ISourceGenerator LibraryImportGenerator()
    {
        string runtime = Path.GetDirectoryName(typeof(object).Assembly.Location)!;
        string root = Path.GetFullPath(Path.Combine(runtime, "..", "..", ".."));
        string packs = Path.Combine(root, "packs", "Microsoft.NETCore.App.Ref");
        string? path = Directory.Exists(packs)
            ? Directory.GetFiles(packs, "Microsoft.Interop.LibraryImportGenerator.dll", SearchOption.AllDirectories)
                .Where(file => file.Replace('\\', '/').Contains("/analyzers/dotnet/cs/", StringComparison.Ordinal))
                .OrderByDescending(file => file, StringComparer.Ordinal).FirstOrDefault()
            : null;
        Assert.True(path is not null, "No LibraryImportGenerator under " + packs);
        var reference = new Microsoft.CodeAnalysis.Diagnostics.AnalyzerFileReference(path, new LoadFromLoader());
        return Assert.Single(reference.GetGenerators(LanguageNames.CSharp), g => g.GetGeneratorType().Name == "LibraryImportGenerator");
    }

    private sealed class LoadFromLoader : IAnalyzerAssemblyLoader
    {
        public void AddDependencyLocation(string fullPath)
        {
        }

        public System.Reflection.Assembly LoadFromPath(string fullPath) => System.Reflection.Assembly.LoadFrom(fullPath);
    }

    // MSBuild compiles the scanner alone, so it has its own copy of the framework rule.
    [Theory]
    [InlineData("System")]
    [InlineData("System.Runtime")]
    [InlineData("Microsoft.CSharp")]
    [InlineData("mscorlib")]
    [InlineData("netstandard")]
    [InlineData("WindowsBase")]
    [InlineData("Systematic")]
    [InlineData("Newtonsoft.Json")]
    [InlineData("Notes.Storage")]
    public void FrameworkRule_IsTheSupportTables(string assemblyName) =>
        Assert.Equal(Unikraft.Gen.Support.SupportTable.IsFrameworkAssembly(assemblyName), ReferenceScanner.IsFramework(assemblyName));

    // The support table's types, read the way the build reads them: from the analyzer assembly.
    internal static HashSet<string> SupportedTypeNames()
    {
        using FileStream analyzer = File.OpenRead(typeof(ReferenceScanAnalyzer).Assembly.Location);
        string? table = ReferenceScanner.ReadSupportTable(analyzer);
        Assert.NotNull(table);
        return ReferenceScanner.SupportedTypeNames(table);
    }

    // Every kind of caller the scanner names: plain and generic methods, constructors, a static
    // constructor, a nested type, a lambda, an async method's state machine, a local function;
    // and every kind of use: call, callvirt, newobj on a generic type, a generic method
    // instantiation, ldftn for a method group, ldsfld. Pick's switch and Big's 8-byte constant
    // are there to be stepped over.
    private const string Library = """
        namespace Chatty
        {
            public static class Runner
            {
                public static void Start(string command, int attempts) => System.Diagnostics.Process.Start(command);
                public static void Restart() => System.Diagnostics.Process.Start("ls");
                public static System.Func<System.DateTime> Clock() => () => System.DateTime.Now;
                public static async System.Threading.Tasks.Task<string> LoadAsync(string path)
                {
                    await System.Threading.Tasks.Task.Yield();
                    return System.IO.File.ReadAllText(path);
                }
                public static int Pick(int choice)
                {
                    switch (choice)
                    {
                        case 0: return 10;
                        case 1: return 11;
                        case 2: return 12;
                        case 3: return 13;
                        default: return System.Environment.ProcessorCount;
                    }
                }
                public static void Log(string text)
                {
                    Write();
                    void Write() => System.Console.WriteLine(text);
                }
                public static T[] Nothing<T>() => System.Array.Empty<T>();
                public static System.Func<string?, bool> Check() => string.IsNullOrEmpty;
            }

            public sealed class Worker
            {
                private readonly System.Collections.Generic.List<int> _lengths = new();
                public Worker(string name) => _lengths.Add(name.Length);
                static Worker() => System.Console.WriteLine(string.Empty);
                public sealed class Nested
                {
                    public long Big() => 1234567890123L + System.DateTime.UtcNow.Ticks;
                }
            }
        }
        """;

    [Fact]
    public void Scan_CompiledLibrary_NamesEachCallerAndTheFrameworkMemberItUses()
    {
        byte[] image = CompileLibrary("Chatty.Helpers", Library);
        var typeNames = new HashSet<string>(StringComparer.Ordinal)
        {
            "System.Diagnostics.Process", "System.DateTime", "System.IO.File", "System.Environment",
            "System.Console", "System.Array", "System.String", "System.Collections.Generic.List`1",
        };

        AssemblyScan? scan = ReferenceScanner.Scan(new MemoryStream(image), typeNames);

        Assert.NotNull(scan);
        Assert.Equal("Chatty.Helpers", scan.AssemblyName);
        Assert.Equal(0, scan.UnreadableMethods);
        Assert.Equal(
            [
                "Chatty.Runner.Check() -> System.String::IsNullOrEmpty",
                "Chatty.Runner.Clock (lambda) -> System.DateTime::get_Now",
                "Chatty.Runner.LoadAsync (async or iterator body) -> System.IO.File::ReadAllText",
                "Chatty.Runner.Log (local function Write) -> System.Console::WriteLine",
                "Chatty.Runner.Nothing<T>() -> System.Array::Empty",
                "Chatty.Runner.Pick(int) -> System.Environment::get_ProcessorCount",
                "Chatty.Runner.Restart() -> System.Diagnostics.Process::Start",
                "Chatty.Runner.Start(string, int) -> System.Diagnostics.Process::Start",
                "Chatty.Worker (static constructor) -> System.Console::WriteLine",
                "Chatty.Worker (static constructor) -> System.String::Empty",
                "Chatty.Worker.Nested.Big() -> System.DateTime::get_Ticks",
                "Chatty.Worker.Nested.Big() -> System.DateTime::get_UtcNow",
                "Chatty.Worker.Worker(string) -> System.Collections.Generic.List`1::.ctor",
                "Chatty.Worker.Worker(string) -> System.Collections.Generic.List`1::Add",
                "Chatty.Worker.Worker(string) -> System.String::get_Length",
            ],
            scan.Calls.Select(call => call.ToString()).ToArray());
    }

    [Fact]
    public void Scan_WithoutTypeNames_KeepsEveryFrameworkCallButNoneIntoTheAssemblyItself()
    {
        byte[] image = CompileLibrary("Chatty.Helpers", Library);

        AssemblyScan? scan = ReferenceScanner.Scan(new MemoryStream(image), typeNames: null);

        Assert.NotNull(scan);
        Assert.Contains(scan.Calls, call => call.TypeName == "System.Object" && call.MemberName == ".ctor");
        Assert.Contains(scan.Calls, call => call.TypeName == "System.Runtime.CompilerServices.AsyncTaskMethodBuilder`1");
        Assert.DoesNotContain(scan.Calls, call => call.TypeName.StartsWith("Chatty", StringComparison.Ordinal));
    }

    // Whether an assembly is part of the framework is decided by where the build found it; a
    // package may take any name, so a name that looks like the framework's is scanned like any.
    [Theory]
    [InlineData("System.Chatty")]
    [InlineData("Microsoft.Extensions.Chatty")]
    public void Scan_AssemblyNamedLikeTheFramework_IsScannedAnyway(string assemblyName)
    {
        byte[] image = CompileLibrary(assemblyName, "public static class Helper { public static void Run() => System.Diagnostics.Process.Start(\"ls\"); }");

        AssemblyScan scan = ReferenceScanner.Scan(new MemoryStream(image), SupportedTypeNames());

        Assert.Equal(["Helper.Run() -> System.Diagnostics.Process::Start"], scan.Calls.Select(call => call.ToString()).ToArray());
    }

    // Native interop in a library: a [DllImport], a [LibraryImport] (the SDK's generator writes a
    // stub whose local function holds the DllImport), a call through an unmanaged function pointer
    // (calli), and an expression tree (ldtoken of the member it calls). A managed function
    // pointer, typeof and nameof reach nothing native and call nothing.
    internal const string NativeInterop = """
        using System;
        using System.Linq.Expressions;
        using System.Runtime.InteropServices;
        namespace Native
        {
            public static unsafe partial class Calls
            {
                [DllImport("libc", EntryPoint = "getpid")]
                private static extern int GetProcessId();

                [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8)]
                private static partial int Open(string path, int flags);

                public static int Both() => GetProcessId() + Open("/etc/hostname", 0);
                public static int Unmanaged(nint pointer) => ((delegate* unmanaged[Cdecl]<int, int>)pointer)(1);
                public static int Managed(delegate*<int, int> pointer) => pointer(1);
                public static Expression<Func<System.Diagnostics.Process?>> Deferred() => () => System.Diagnostics.Process.Start("ls");
                public static Type Typed() => typeof(System.Diagnostics.Process);
                public static string Named() => nameof(System.Diagnostics.Process.Start);
            }
        }
        """;

    [Fact]
    public void Scan_NativeInterop_FindsPInvokesLibraryImportsUnmanagedCalliAndMethodTokens()
    {
        byte[] image = CompileLibrary("Native.Calls", NativeInterop, withLibraryImportGenerator: true);

        AssemblyScan scan = ReferenceScanner.Scan(new MemoryStream(image), SupportedTypeNames());

        Assert.Equal(0, scan.UnreadableMethods);
        Assert.Equal(
            [
                "Native.Calls.Deferred() -> System.Type::GetTypeFromHandle",
                "Native.Calls.Deferred() -> token System.Diagnostics.Process::Start",
                "Native.Calls.GetProcessId() -> pinvoke libc::getpid",
                "Native.Calls.Open (local function __PInvoke) -> pinvoke libc::open",
                "Native.Calls.Typed() -> System.Type::GetTypeFromHandle",
                "Native.Calls.Unmanaged(nint) -> calli cdecl::int(int)",
            ],
            scan.Calls.Select(call => call.ToString()).ToArray());
    }

    [Fact]
    public void Scan_FileThatIsNotAnAssembly_ThrowsBadImageFormat()
    {
        Assert.Throws<BadImageFormatException>(() => ReferenceScanner.Scan(new MemoryStream([1, 2, 3, 4]), typeNames: null));
        Assert.Throws<BadImageFormatException>(() => ReferenceScanner.Scan(new MemoryStream(new byte[4096]), typeNames: null));
    }

    // If an operand size in the table were wrong, the walk would drift off the instruction
    // boundaries: it would end inside an operand, or read tokens of kinds no method or field
    // instruction takes. Two large real assemblies exercise nearly the whole instruction set.
    [Theory]
    [InlineData(typeof(object))]
    [InlineData(typeof(CSharpCompilation))]
    public void TryCollectMemberTokens_EveryMethodBodyOfARealAssembly_WalksToItsEndOnMethodAndFieldTokens(Type typeInAssembly)
    {
        using FileStream file = File.OpenRead(typeInAssembly.Assembly.Location);
        using var peReader = new PEReader(file);
        MetadataReader reader = peReader.GetMetadataReader();
        var tokens = new List<int>();
        int bodies = 0;
        foreach (MethodDefinitionHandle handle in reader.MethodDefinitions)
        {
            MethodDefinition method = reader.GetMethodDefinition(handle);
            if (method.RelativeVirtualAddress == 0)
            {
                continue;
            }

            bodies++;
            byte[] il = peReader.GetMethodBody(method.RelativeVirtualAddress).GetILBytes()!;
            Assert.True(ReferenceScanner.TryCollectMemberTokens(il, tokens), "Could not walk " + reader.GetString(method.Name));
        }

        // NOTE: the high byte of a token is its table (ECMA-335 Partition II, 22): 0x04 Field,
        // 0x06 MethodDef, 0x0A MemberRef, 0x2B MethodSpec.
        Assert.True(bodies > 10_000, "Only " + bodies + " method bodies.");
        Assert.All(tokens, token => Assert.Contains(token >> 24, new[] { 0x04, 0x06, 0x0A, 0x2B }));
        Assert.True(tokens.Count > bodies, "Only " + tokens.Count + " member tokens in " + bodies + " bodies.");
    }

    [Fact]
    public void TryCollectMemberTokens_HandWrittenBody_CollectsCallLdftnAndLdfldTokensAndStepsOverSwitch()
    {
        byte[] il =
        [
            0x00,                               // nop
            0x28, 0x01, 0x00, 0x00, 0x0A,       // call MemberRef 1
            0xFE, 0x06, 0x02, 0x00, 0x00, 0x2B, // ldftn MethodSpec 2
            0x45, 0x02, 0x00, 0x00, 0x00,       // switch with two targets
            0x00, 0x00, 0x00, 0x00, 0x28, 0x00, 0x00, 0x00,
            0x72, 0x05, 0x00, 0x00, 0x70,       // ldstr: a string token, not a member
            0x7B, 0x03, 0x00, 0x00, 0x04,       // ldfld Field 3
            0x2A,                               // ret
        ];
        var tokens = new List<int>();

        Assert.True(ReferenceScanner.TryCollectMemberTokens(il, tokens));
        Assert.Equal([0x0A000001, 0x2B000002, 0x04000003], tokens);
    }

    [Theory]
    [InlineData(new byte[] { 0x28, 0x01, 0x00 })]              // call, its token cut short
    [InlineData(new byte[] { 0x00, 0xFE })]                    // a two-byte opcode's second byte missing
    [InlineData(new byte[] { 0x24 })]                          // 0x24 is no instruction
    [InlineData(new byte[] { 0xFE, 0x08 })]                    // nor is 0xFE 0x08
    [InlineData(new byte[] { 0x45, 0xFF, 0xFF, 0xFF, 0x7F })]  // switch with more targets than bytes
    public void TryCollectMemberTokens_MalformedBody_IsRejected(byte[] il)
    {
        Assert.False(ReferenceScanner.TryCollectMemberTokens(il, new List<int>()));
    }

    // An assembly with a body that could not be read gets no line of its own: the analyzer then
    // keeps its metadata's findings beside the scan's.
    [Fact]
    public void Format_SortsByAssembly_MarksThoseReadWhole_AndKeepsEachRowOnOneLine()
    {
        var scans = new[]
        {
            new AssemblyScan("Zeta", [new ReferenceCall(ReferenceUseKind.PInvoke, "Zeta.Native.getpid()", "libc", "getpid"), new ReferenceCall(ReferenceUseKind.Call, "Zeta.Run()", "System.IO.File", "ReadAllText", "string")], 0),
            new AssemblyScan("Alpha", [new ReferenceCall("Alpha.Odd\tName\n()", "System.Diagnostics.Process", "Start")], 0),
            new AssemblyScan("Mangled", [new ReferenceCall("Mangled.Run()", "System.DateTime", "get_Now")], unreadableMethods: 2),
        };

        string text = ReferenceScanner.Format(scans);

        Assert.Equal(
            ReferenceScanner.Header + "\n"
            + "Alpha\n"
            + "Alpha\tcall\tAlpha.Odd Name ()\tSystem.Diagnostics.Process\tStart\t\n"
            + "Mangled\tcall\tMangled.Run()\tSystem.DateTime\tget_Now\t\n"
            + "Zeta\n"
            + "Zeta\tpinvoke\tZeta.Native.getpid()\tlibc\tgetpid\t\n"
            + "Zeta\tcall\tZeta.Run()\tSystem.IO.File\tReadAllText\tstring\n",
            text);
    }

    // A library built with the generator carries the kernel (Unikraft.Kernel) and the generator's
    // bridge (Unikraft.Generated), which reach the host on purpose; only its author's code counts.
    // The namespaces alone exempt nothing: the assembly must carry the generator's mark, made for
    // its own name.
    internal static string KernelInLibrary(string marker) => marker + """

        namespace Unikraft.Kernel
        {
            internal sealed class HostedClock { public long Now() => System.DateTime.UtcNow.Ticks; }
            namespace Platform
            {
                internal static class Exit
                {
                    public static void Halt() => System.Environment.Exit(1);
                    [System.Runtime.InteropServices.DllImport("libc")] internal static extern int getpid();
                }
            }
        }
        namespace Unikraft.Generated
        {
            internal static class Bridge { public static string Read(string path) => System.IO.File.ReadAllText(path); }
        }
        namespace Unikraft.KernelTools
        {
            public static class Probe { public static void Run() => System.Diagnostics.Process.Start("ls"); }
        }
        namespace Notes
        {
            public static class Store { public static void Save(string text) => System.IO.File.WriteAllText("/notes/a", text); }
        }
        """;

    internal static string Marker(string assemblyName) =>
        "[assembly: System.Reflection.AssemblyMetadata(\"" + GeneratedOutputMarker.Key + "\", \""
        + Unikraft.Gen.Support.GeneratedOutput.MarkerValue(assemblyName, "0123456789abcdef") + "\")]";

    [Fact]
    public void Scan_MarkedLibrary_SkipsTheKernelsAndTheGeneratorsCode_ButNotANamespaceThatMerelyStartsAlike()
    {
        byte[] image = CompileLibrary("Notes.Storage", KernelInLibrary(Marker("Notes.Storage")));

        AssemblyScan scan = ReferenceScanner.Scan(new MemoryStream(image), SupportedTypeNames());

        Assert.Equal(
            ["Notes.Store.Save(string) -> System.IO.File::WriteAllText", "Unikraft.KernelTools.Probe.Run() -> System.Diagnostics.Process::Start"],
            scan.Calls.Select(call => call.ToString()).ToArray());
    }

    // Without the mark, or with a mark made for another assembly (copied from one), the reserved
    // namespaces are the author's code like any other.
    [Theory]
    [InlineData("")]
    [InlineData("Other.Library")]
    public void Scan_UnmarkedLibrary_ReportsCodeInTheKernelsNamespaces(string markedFor)
    {
        byte[] image = CompileLibrary("Notes.Storage", KernelInLibrary(markedFor.Length == 0 ? "" : Marker(markedFor)));

        AssemblyScan scan = ReferenceScanner.Scan(new MemoryStream(image), SupportedTypeNames());

        string[] calls = scan.Calls.Select(call => call.ToString()).ToArray();
        Assert.Contains("Unikraft.Kernel.HostedClock.Now() -> System.DateTime::get_UtcNow", calls);
        Assert.Contains("Unikraft.Kernel.Platform.Exit.getpid() -> pinvoke libc::getpid", calls);
        Assert.Contains("Unikraft.Generated.Bridge.Read(string) -> System.IO.File::ReadAllText", calls);
        Assert.Equal(7, calls.Length);
    }

    // MSBuild compiles the scanner alone, so it keeps its own copy of the mark's rule.
    [Theory]
    [InlineData("Notes.Storage", "0123456789abcdef")]
    [InlineData("", "ffff")]
    [InlineData("Ünïcode.Lib", "ffff")]
    public void GeneratedOutputMarker_IsTheAnalyzers(string assemblyName, string kernelHash)
    {
        string value = Unikraft.Gen.Support.GeneratedOutput.MarkerValue(assemblyName, kernelHash);

        Assert.Equal(value, kernelHash + ":" + GeneratedOutputMarker.Digest(assemblyName, kernelHash));
        Assert.True(GeneratedOutputMarker.IsValid(assemblyName, value));
        Assert.False(GeneratedOutputMarker.IsValid(assemblyName + "x", value));
        Assert.False(Unikraft.Gen.Support.GeneratedOutput.IsValidMarker(assemblyName + "x", value));
        Assert.False(GeneratedOutputMarker.IsValid(assemblyName, kernelHash + ":0"));
    }

    [Fact]
    public void ReadSupportTable_FromTheAnalyzerAssembly_IsTheEmbeddedTable()
    {
        using Stream resource = typeof(ReferenceScanAnalyzer).Assembly.GetManifestResourceStream(ReferenceScanner.SupportTableResourceName)!;
        string embedded = new StreamReader(resource).ReadToEnd();

        HashSet<string> typeNames = SupportedTypeNames();

        using FileStream analyzer = File.OpenRead(typeof(ReferenceScanAnalyzer).Assembly.Location);
        Assert.Equal(embedded, ReferenceScanner.ReadSupportTable(analyzer));
        Assert.Contains("System.Diagnostics.Process", typeNames);
        Assert.Contains("System.IO.File", typeNames);
        Assert.Contains("System.DateTime", typeNames);
        Assert.Contains("Microsoft.Win32.Registry", typeNames);
        Assert.DoesNotContain("System.Math", typeNames);
        Assert.DoesNotContain(typeNames, name => name.Contains('\t') || name.Contains(':') || name.Length == 0);
    }

    [Fact]
    public void ReadSupportTable_AssemblyWithoutTheTable_IsNull()
    {
        using FileStream other = File.OpenRead(typeof(CSharpCompilation).Assembly.Location);

        Assert.Null(ReferenceScanner.ReadSupportTable(other));
    }

    // The scanner and the analyzer are compiled apart (one in MSBuild, one in the compiler) and
    // agree only through these strings.
    [Fact]
    public void FileNameAndHeader_AreTheOnesTheAnalyzerReads()
    {
        Assert.Equal(ReferenceScanAnalyzer.CallsFileName, ReferenceScanner.FileName);
        Assert.Equal(ReferenceScanAnalyzer.CallsFileHeader, ReferenceScanner.Header);
    }
}
