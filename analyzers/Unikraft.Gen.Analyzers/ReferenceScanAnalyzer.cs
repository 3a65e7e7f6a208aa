using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Reflection.Metadata;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Unikraft.Gen.Support;

namespace Unikraft.Gen.Analyzers;

// UK0301: the program's referenced assemblies (NuGet packages, other projects) are compiled
// already, so interceptors cannot redirect their calls and the source analyzers never see them.
// This reads the member references in each one's metadata and checks them against the support
// table: an unsupported API (Process.Start), one that bypasses the kernel (DateTime.Now,
// new FileStream) or an intercepted one that reaches the host from there (File.ReadAllText).
// The framework's own assemblies are the BCL itself and are not scanned. It runs only in
// projects that use the generator (UnikraftMounts is set).
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class ReferenceScanAnalyzer : DiagnosticAnalyzer
{
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
        ImmutableArray.Create(DiagnosticDescriptors.ReferencedAssemblyUsesUnsupportedApi);

    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationAction(Analyze);
    }

    private static void Analyze(CompilationAnalysisContext context)
    {
        if (!context.Options.AnalyzerConfigOptionsProvider.GlobalOptions.TryGetValue("build_property.UnikraftMounts", out _))
        {
            return;
        }

        SupportTable table = SupportTable.Embedded;
        foreach (MetadataReference reference in context.Compilation.References)
        {
            context.CancellationToken.ThrowIfCancellationRequested();
            if (reference is not PortableExecutableReference executable
                || context.Compilation.GetAssemblyOrModuleSymbol(reference) is not IAssemblySymbol assembly
                || IsFramework(assembly))
            {
                continue;
            }

            Metadata metadata;
            try
            {
                metadata = executable.GetMetadata();
            }
            catch (Exception exception) when (exception is BadImageFormatException or System.IO.IOException)
            {
                continue;
            }

            ImmutableArray<ModuleMetadata> modules = metadata is AssemblyMetadata assemblyMetadata
                ? assemblyMetadata.GetModules()
                : ImmutableArray.Create((ModuleMetadata)metadata);
            var reported = new HashSet<string>(StringComparer.Ordinal);
            foreach (ModuleMetadata module in modules)
            {
                MetadataReader reader = module.GetMetadataReader();
                foreach (MemberReferenceHandle handle in reader.MemberReferences)
                {
                    MemberReference member = reader.GetMemberReference(handle);
                    string? typeName = TypeName(reader, member.Parent);
                    if (typeName is null)
                    {
                        continue;
                    }

                    string memberName = reader.GetString(member.Name);
                    SupportRow? row = table.FindByMetadataName(typeName, memberName);
                    if (row is null || row.Status is SupportStatus.Nondeterministic or SupportStatus.Supported || !reported.Add(row.Key))
                    {
                        continue;
                    }

                    string what = row.Status switch
                    {
                        SupportStatus.Unsupported => "the kernel does not support",
                        SupportStatus.KernelApi => "bypasses the kernel",
                        _ => "cannot be redirected to the kernel from a compiled assembly, so it reaches the host",
                    };
                    string why = row.Reason.Length > 0 ? row.Reason : "interceptors rewrite only the program's own source; call it from the program, or build the library with the generator";
                    context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.ReferencedAssemblyUsesUnsupportedApi, Location.None,
                        assembly.Identity.Name, row.DisplayName, what, why));
                }
            }
        }
    }

    // The shared framework's assemblies: they are the BCL the table describes.
    private static bool IsFramework(IAssemblySymbol assembly)
    {
        string name = assembly.Identity.Name;
        return name == "netstandard" || name == "mscorlib" || name.StartsWith("System.", StringComparison.Ordinal) || name == "System"
            || name.StartsWith("Microsoft.", StringComparison.Ordinal) || name == "WindowsBase";
    }

    // "System.Diagnostics.Process" for a type reference or definition; null for anything else
    // (a generic instantiation's members are named through their TypeSpec and skipped).
    private static string? TypeName(MetadataReader reader, EntityHandle parent)
    {
        if (parent.Kind != HandleKind.TypeReference)
        {
            return null;
        }

        TypeReference type = reader.GetTypeReference((TypeReferenceHandle)parent);
        string name = reader.GetString(type.Name);
        if (type.ResolutionScope.Kind == HandleKind.TypeReference)
        {
            string? outer = TypeName(reader, (TypeReferenceHandle)type.ResolutionScope);
            return outer is null ? null : outer + "+" + name;
        }

        string space = reader.GetString(type.Namespace);
        return space.Length == 0 ? name : space + "." + name;
    }
}
