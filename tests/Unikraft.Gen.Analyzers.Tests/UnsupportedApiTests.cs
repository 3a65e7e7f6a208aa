using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Xunit;
using static Unikraft.Gen.Analyzers.Tests.Verifiers;

namespace Unikraft.Gen.Analyzers.Tests;

// UK0001: what the kernel cannot provide is an error where it is written.
public sealed class UnsupportedApiTests
{
    [Fact]
    public async Task ProcessStart_ReportsUK0001_WithHelpLink()
    {
        const string source = """
            using System.Diagnostics;

            class Program
            {
                static void Main() => {|#0:Process.Start("ls")|};
            }
            """;

        await AnalyzeAsync(source,
            Diagnostic(DiagnosticDescriptors.UnsupportedApi).WithLocation(0)
                .WithMessage("'Process.Start' is not supported by the unikernel: a unikernel runs one program and has no other processes to start; do the work in the program itself, with Task.Run for concurrency"));

        var (diagnostics, exceptions) = await RunAnalyzerAsync(Compile(source.Replace("{|#0:", "").Replace("|}", "")));
        Assert.Empty(exceptions);
        Diagnostic reported = Assert.Single(diagnostics);
        Assert.Equal("UK0001", reported.Id);
        Assert.Equal(DiagnosticSeverity.Error, reported.Severity);
        Assert.Equal("https://github.com/unikraft-gen/Unikraft.Gen/blob/main/docs/diagnostics/UK0001.md", reported.Descriptor.HelpLinkUri);
    }

    [Fact]
    public async Task ProcessStartMethodGroup_ReportsUK0001()
    {
        const string source = """
            using System;
            using System.Diagnostics;

            class Program
            {
                static Func<string, Process?> Starter() => {|#0:Process.Start|};
            }
            """;

        await AnalyzeAsync(source,
            Diagnostic(DiagnosticDescriptors.UnsupportedApi).WithLocation(0).WithArguments("Process.Start", Reason("M:System.Diagnostics.Process.Start")));
    }

    [Fact]
    public async Task NameOfUnsupportedApi_NoDiagnostic()
    {
        const string source = """
            using System.Diagnostics;

            class Program
            {
                const string Name = nameof(Process.Start);
            }
            """;

        await AnalyzeAsync(source);
    }

    // The boot passes Main the runtime's own command line after its first element on every
    // platform, so reading it (as System.CommandLine's RootCommand does for the program's name)
    // is no error; the executable's path itself still is.
    [Fact]
    public async Task CommandLineArgs_NoDiagnostic_ProcessPathStillReportsUK0001()
    {
        const string source = """
            using System;

            class Program
            {
                static void Main(string[] args)
                {
                    Console.WriteLine(Environment.GetCommandLineArgs().Length == args.Length + 1);
                    Console.WriteLine(Environment.CommandLine);
                    Console.WriteLine({|#0:Environment.ProcessPath|});
                }
            }
            """;

        await AnalyzeAsync(source,
            Diagnostic(DiagnosticDescriptors.UnsupportedApi).WithLocation(0).WithArguments("Environment.ProcessPath", Reason("P:System.Environment.ProcessPath")));
    }

    [Fact]
    public async Task DllImport_ReportsUK0001()
    {
        const string source = """
            using System.Runtime.InteropServices;

            static class Native
            {
                [{|#0:DllImport("libc")|}]
                public static extern int getpid();
            }
            """;

        await AnalyzeAsync(source,
            Diagnostic(DiagnosticDescriptors.UnsupportedApi).WithLocation(0).WithArguments("[DllImport]", Reason("A:System.Runtime.InteropServices.DllImportAttribute")));
    }

    [Fact]
    public async Task LibraryImport_ReportsUK0001()
    {
        // The implementing part stands in for what the interop source generator would write.
        const string source = """
            using System.Runtime.InteropServices;

            static partial class Native
            {
                [{|#0:LibraryImport("libc", EntryPoint = "getpid")|}]
                public static partial int GetProcessId();

                public static partial int GetProcessId() => 0;
            }
            """;

        await AnalyzeAsync(source,
            Diagnostic(DiagnosticDescriptors.UnsupportedApi).WithLocation(0).WithArguments("[LibraryImport]", Reason("A:System.Runtime.InteropServices.LibraryImportAttribute")));
    }

    [Fact]
    public async Task FunctionPointer_ReportsUK0001()
    {
        // A managed function pointer calls managed code and is fine; an unmanaged one is not.
        const string source = """
            unsafe class Program
            {
                static {|#0:delegate* unmanaged<int, void>|} s_native;
                static {|#1:delegate* unmanaged[Cdecl]<void>|} s_cdecl;
                static delegate*<int, void> s_managed;
            }
            """;

        await AnalyzeAsync(source,
            Diagnostic(DiagnosticDescriptors.UnsupportedApi).WithLocation(0).WithArguments("delegate* unmanaged", Reason("S:function-pointer")),
            Diagnostic(DiagnosticDescriptors.UnsupportedApi).WithLocation(1).WithArguments("delegate* unmanaged", Reason("S:function-pointer")));
    }

    [Fact]
    public async Task AssemblyLoad_ReportsUK0001()
    {
        const string source = """
            using System.Reflection;

            class Program
            {
                static void Load(byte[] image)
                {
                    {|#0:Assembly.Load(image)|};
                    {|#1:Assembly.LoadFrom("plugin.dll")|};
                }
            }
            """;

        await AnalyzeAsync(source,
            Diagnostic(DiagnosticDescriptors.UnsupportedApi).WithLocation(0).WithArguments("Assembly.Load", Reason("M:System.Reflection.Assembly.Load")),
            Diagnostic(DiagnosticDescriptors.UnsupportedApi).WithLocation(1).WithArguments("Assembly.LoadFrom", Reason("M:System.Reflection.Assembly.LoadFrom")));
    }

    [Fact]
    public async Task NewThread_ReportsUK0001()
    {
        // Only making a thread is refused; reading the current one is harmless.
        const string source = """
            using System.Threading;

            class Program
            {
                static void Main()
                {
                    var worker = {|#0:new Thread(() => { })|};
                    Thread other = {|#1:new(() => { })|};
                    worker.Start();
                    _ = Thread.CurrentThread.ManagedThreadId;
                }
            }
            """;

        await AnalyzeAsync(source,
            Diagnostic(DiagnosticDescriptors.UnsupportedApi).WithLocation(0).WithArguments("new Thread", Reason("C:System.Threading.Thread")),
            Diagnostic(DiagnosticDescriptors.UnsupportedApi).WithLocation(1).WithArguments("new Thread", Reason("C:System.Threading.Thread")));
    }

    [Fact]
    public async Task ThreadPoolQueue_ReportsUK0001()
    {
        const string source = """
            using System.Threading;

            class Program
            {
                static void Main() => {|#0:ThreadPool.QueueUserWorkItem(_ => { })|};
            }
            """;

        await AnalyzeAsync(source,
            Diagnostic(DiagnosticDescriptors.UnsupportedApi).WithLocation(0).WithArguments("ThreadPool.QueueUserWorkItem", Reason("T:System.Threading.ThreadPool")));
    }

    [Fact]
    public async Task Registry_ReportsUK0001()
    {
        // Microsoft.Win32.Registry is in the .NET 10 reference set; a whole-type row names the member used.
        const string source = """
            using Microsoft.Win32;

            class Program
            {
                static object? Read() => {|#1:{|#0:Registry.CurrentUser|}.OpenSubKey("Software")|}?{|#2:.GetValue("x")|};
            }
            """;

        await AnalyzeAsync(source,
            Diagnostic(DiagnosticDescriptors.UnsupportedApi).WithLocation(0).WithArguments("Registry.CurrentUser", Reason("T:Microsoft.Win32.Registry")),
            Diagnostic(DiagnosticDescriptors.UnsupportedApi).WithLocation(1).WithArguments("RegistryKey.OpenSubKey", Reason("T:Microsoft.Win32.RegistryKey")),
            Diagnostic(DiagnosticDescriptors.UnsupportedApi).WithLocation(2).WithArguments("RegistryKey.GetValue", Reason("T:Microsoft.Win32.RegistryKey")));
    }

    [Fact]
    public async Task NamedPipe_ReportsUK0001()
    {
        const string source = """
            using System.IO.Pipes;

            class Program
            {
                static void Main()
                {
                    using var server = {|#0:new NamedPipeServerStream("kernel")|};
                    using var client = {|#1:new NamedPipeClientStream("kernel")|};
                }
            }
            """;

        await AnalyzeAsync(source,
            Diagnostic(DiagnosticDescriptors.UnsupportedApi).WithLocation(0).WithArguments("new NamedPipeServerStream", Reason("C:System.IO.Pipes.NamedPipeServerStream")),
            Diagnostic(DiagnosticDescriptors.UnsupportedApi).WithLocation(1).WithArguments("new NamedPipeClientStream", Reason("C:System.IO.Pipes.NamedPipeClientStream")));
    }

    [Fact]
    public async Task NativeLibraryAndLoadContext_ReportUK0001()
    {
        const string source = """
            using System.Runtime.InteropServices;
            using System.Runtime.Loader;

            class Program
            {
                static void Main()
                {
                    {|#0:NativeLibrary.Load("libc.so.6")|};
                    {|#1:AssemblyLoadContext.Default.LoadFromAssemblyPath("/plugin.dll")|};
                }
            }
            """;

        await AnalyzeAsync(source,
            Diagnostic(DiagnosticDescriptors.UnsupportedApi).WithLocation(0).WithArguments("NativeLibrary.Load", Reason("T:System.Runtime.InteropServices.NativeLibrary")),
            Diagnostic(DiagnosticDescriptors.UnsupportedApi).WithLocation(1).WithArguments("AssemblyLoadContext.LoadFromAssemblyPath", Reason("M:System.Runtime.Loader.AssemblyLoadContext.LoadFromAssemblyPath")));
    }

    // A namespace is a name anyone can write: the program's own code in Unikraft.Kernel is the
    // program's, and is reported like any other.
    [Fact]
    public async Task KernelNamespace_InTheProgramsOwnSource_IsReported()
    {
        const string source = """
            namespace Unikraft.Kernel.Platform
            {
                internal static class HostProcess
                {
                    public static void Spawn() => {|#0:System.Diagnostics.Process.Start("true")|};
                }
            }
            """;

        await AnalyzeAsync(source,
            Diagnostic(DiagnosticDescriptors.UnsupportedApi).WithLocation(0).WithArguments("Process.Start", Reason("M:System.Diagnostics.Process.Start")));
    }

    // The kernel's host platform must reach the host: it is what the generator writes into the
    // compilation (a generated tree under its folder, with its header), and generated code is not
    // analyzed.
    [Fact]
    public async Task KernelAsTheGeneratorWritesIt_IsNotReported()
    {
        CSharpCompilation program = Compile("class Program { static void Main() => Unikraft.Kernel.Platform.HostProcess.Spawn(); }")
            .AddSyntaxTrees(Microsoft.CodeAnalysis.CSharp.CSharpSyntaxTree.ParseText(
                Support.GeneratedOutput.Header("0123456789abcdef") + """
                    namespace Unikraft.Kernel.Platform
                    {
                        internal static class HostProcess
                        {
                            public static void Spawn() => System.Diagnostics.Process.Start("true");
                        }
                    }
                    """,
                new CSharpParseOptions(LanguageVersion.Preview),
                path: "obj/generated/Unikraft.Gen.Generators/Unikraft.Gen.KernelGenerator/Kernel/Platform/HostProcess.g.cs"));

        (ImmutableArray<Microsoft.CodeAnalysis.Diagnostic> diagnostics, IReadOnlyList<System.Exception> exceptions) = await RunAnalyzerAsync(program);

        Assert.Empty(exceptions);
        Assert.Empty(diagnostics);
    }

    internal static string Reason(string key) =>
        Unikraft.Gen.Support.SupportTable.Embedded.Rows.Single(row => row.Key == key).Reason;
}
