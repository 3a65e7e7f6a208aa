using System;
using System.Collections.Generic;
using System.Linq;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using Unikraft.Gen.Support;

namespace Unikraft.Gen.Analyzers;

// Checks the paths of file calls against the project's mounts (<UnikraftMount> items):
//   UK0101  a write, create or delete under a read-only mount;
//   UK0102  a constant path under no mount;
//   UK0103  a path not known at compile time (info: the kernel keeps every mount);
//   UK0104  a path not known at compile time in a project that mounts nothing.
// File calls are the static System.IO.File and Directory methods, and the kernel's KernelFile
// and KernelDirectory. It runs only in projects that use the generator (UnikraftMounts is set).
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class MountAnalyzer : DiagnosticAnalyzer
{
    private static readonly string[] FileTypes =
    {
        "System.IO.File", "System.IO.Directory", "Unikraft.Kernel.KernelFile", "Unikraft.Kernel.KernelDirectory",
    };

    // Their simple names, checked first: Analyze runs for every call in the program.
    private static readonly HashSet<string> FileTypeNames = new(FileTypes.Select(t => t.Substring(t.LastIndexOf('.') + 1)), StringComparer.Ordinal);

    // Methods whose name starts so change the file system.
    private static readonly string[] ChangingPrefixes = { "Write", "Append", "Create", "Delete", "Move", "Copy", "Replace", "SetLastWrite", "SetCreation", "SetLastAccess", "SetAttributes", "Encrypt", "Decrypt", "OpenWrite" };

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(
        DiagnosticDescriptors.WriteToReadOnlyMount, DiagnosticDescriptors.PathUnderNoMount, DiagnosticDescriptors.PathNotKnown,
        DiagnosticDescriptors.FileCallWithNoMount);

    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(start =>
        {
            if (!start.Options.AnalyzerConfigOptionsProvider.GlobalOptions.TryGetValue("build_property.UnikraftMounts", out string? text))
            {
                return;
            }

            // Where the BCL's native layer reaches the kernel (a hosted or microvm executable, not
            // sim), a project that mounts nothing still has a root: the plan gives the native
            // layer's file functions a small ramfs at "/" (in memory, gone at exit), so a file call
            // there works and is not UK0102/UK0104.
            var options = start.Options.AnalyzerConfigOptionsProvider.GlobalOptions;
            bool nativeLayer = options.TryGetValue("build_property.UnikraftNativeLayer", out string? native)
                && string.Equals(native.Trim(), "true", StringComparison.OrdinalIgnoreCase)
                && !(options.TryGetValue("build_property.UnikraftPlatform", out string? platform)
                    && string.Equals(platform.Trim(), "sim", StringComparison.OrdinalIgnoreCase));
            MountTable table = MountTable.Parse(text);
            if (nativeLayer && table.Mounts.Count == 0 && table.Errors.Count == 0)
            {
                table = MountTable.Parse(ImplicitRoot);
            }
            start.RegisterOperationAction(c => Analyze(c, table), OperationKind.Invocation);
        });
    }

    // The plan's implicit root where the native layer serves files and nothing is mounted.
    private const string ImplicitRoot = "/|ramfs|||";

    private static void Analyze(OperationAnalysisContext context, MountTable table)
    {
        var invocation = (IInvocationOperation)context.Operation;
        IMethodSymbol method = invocation.TargetMethod;
        if (method.ContainingType is not { } type || !FileTypeNames.Contains(type.Name) || Array.IndexOf(FileTypes, type.ToDisplayString()) < 0)
        {
            return;
        }

        string display = type.Name + "." + method.Name;
        bool changes = Array.Exists(ChangingPrefixes, p => method.Name.StartsWith(p, StringComparison.Ordinal));
        foreach ((IArgumentOperation argument, string? value) in PathArguments.Of(invocation))
        {
            Location location = argument.Syntax.GetLocation();
            if (value is null)
            {
                // With no mount at all, the computed path reaches no file system: say what to add.
                context.ReportDiagnostic(table.Mounts.Count == 0
                    ? Diagnostic.Create(DiagnosticDescriptors.FileCallWithNoMount, location, display)
                    : Diagnostic.Create(DiagnosticDescriptors.PathNotKnown, location, display));
                continue;
            }

            if (value.Length == 0 || value.IndexOf('\0') >= 0)
            {
                // The call itself rejects an empty path or one with NUL; nothing to say about mounts.
                continue;
            }

            MountEntry? mount = table.Resolve(value, out string _);
            if (mount is null)
            {
                string mounts = table.Mounts.Count == 0 ? "the project mounts no file systems" : "mounts: " + string.Join(", ", table.Mounts);
                context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.PathUnderNoMount, location, display, value, mounts,
                    MountTable.SuggestMountPoint(value)));
            }
            else if (mount.ReadOnly && changes)
            {
                context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.WriteToReadOnlyMount, location, display, value, mount.Path));
            }
        }
    }
}
