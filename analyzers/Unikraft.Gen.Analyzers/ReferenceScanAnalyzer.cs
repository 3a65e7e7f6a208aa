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
//
// Metadata says which APIs an assembly uses, not which of its methods calls them. The build
// reads the IL (Unikraft.Gen.targets runs build/ReferenceScanner.cs before compiling) and hands
// the calling methods over in the additional file Unikraft.ReferenceCalls.tsv; when it is there
// the message names them. For an assembly the build read whole, the scan replaces the metadata:
// it sees the calls the metadata cannot show (the compiler is handed a project reference's
// reference assembly, obj/ref, and a package may ship one; those have no method bodies, so no
// member references for the calls), and it leaves out the kernel's and the generator's own code
// in a library built with the generator. Without the file (in the IDE before a build, or with
// UnikraftScanReferences=false) the metadata scan alone decides.
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

        // With the native layer on, what it serves reaches the kernel from a compiled assembly too.
        bool nativeLayer = context.Options.AnalyzerConfigOptionsProvider.GlobalOptions.TryGetValue("build_property.UnikraftNativeLayer", out string? native)
            && string.Equals(native.Trim(), "true", StringComparison.OrdinalIgnoreCase);
        SupportTable table = SupportTable.Embedded;
        BuildScan scan = ReadBuildScan(context.Options.AdditionalFiles, table, context.CancellationToken);
        foreach (MetadataReference reference in context.Compilation.References)
        {
            context.CancellationToken.ThrowIfCancellationRequested();
            if (reference is not PortableExecutableReference executable
                || context.Compilation.GetAssemblyOrModuleSymbol(reference) is not IAssemblySymbol assembly
                || IsFramework(assembly))
            {
                continue;
            }

            string assemblyName = assembly.Identity.Name;
            scan.Callers.TryGetValue(assemblyName, out Dictionary<string, RowCallers>? callers);
            var rows = new List<SupportRow>();
            var reported = new HashSet<string>(StringComparer.Ordinal);
            if (!scan.ReadWhole.Contains(assemblyName))
            {
                foreach (SupportRow row in MetadataRows(executable, table))
                {
                    if (reported.Add(row.Key))
                    {
                        rows.Add(row);
                    }
                }
            }

            // Rows the IL scan found and the metadata did not, or all of them when the scan read
            // the assembly whole.
            if (callers is not null)
            {
                var scannedOnly = new List<string>();
                foreach (string key in callers.Keys)
                {
                    if (!reported.Contains(key))
                    {
                        scannedOnly.Add(key);
                    }
                }

                scannedOnly.Sort(StringComparer.Ordinal);
                foreach (string key in scannedOnly)
                {
                    rows.Add(callers[key].Row);
                }
            }

            foreach (SupportRow row in rows)
            {
                if (nativeLayer && row.ServedByNativeLayer)
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
                string from = callers is not null && callers.TryGetValue(row.Key, out RowCallers? rowCallers) ? From(rowCallers.Callers) : string.Empty;
                context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.ReferencedAssemblyUsesUnsupportedApi, Location.None,
                    assemblyName, row.DisplayName, from, what, why));
            }
        }
    }

    // The rows the assembly's member references match, in metadata order; those the kernel
    // cannot serve only (supported and nondeterministic rows are not UK0301's business).
    private static IEnumerable<SupportRow> MetadataRows(PortableExecutableReference executable, SupportTable table)
    {
        Metadata metadata;
        try
        {
            metadata = executable.GetMetadata();
        }
        catch (Exception exception) when (exception is BadImageFormatException or System.IO.IOException)
        {
            yield break;
        }

        ImmutableArray<ModuleMetadata> modules = metadata is AssemblyMetadata assemblyMetadata
            ? assemblyMetadata.GetModules()
            : ImmutableArray.Create((ModuleMetadata)metadata);
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

                SupportRow? row = table.FindByMetadataName(typeName, reader.GetString(member.Name));
                if (row is not null && IsReported(row))
                {
                    yield return row;
                }
            }
        }
    }

    private static bool IsReported(SupportRow row) => row.Status is not (SupportStatus.Nondeterministic or SupportStatus.Supported);

    // " (from 'Lib.Runner.Start()')", or " (from 'Lib.Runner.Start()' and 2 more)": the first
    // caller in ordinal order, so that the message is the same from build to build.
    private static string From(SortedSet<string> callers)
    {
        string first = callers.Min!;
        return callers.Count == 1 ? " (from '" + first + "')" : " (from '" + first + "' and " + (callers.Count - 1) + " more)";
    }

    // The file the build writes and build/ReferenceScanner.cs describes: a header line, then per
    // assembly a line with its name alone when every method body was read, and a line
    // "assembly, calling method, framework type, framework member" per call. A file with another
    // header was written by another version of the build logic and is ignored whole rather than
    // misread; a line with another number of cells is skipped.
    internal const string CallsFileName = "Unikraft.ReferenceCalls.tsv";
    internal const string CallsFileHeader = "# Unikraft.Gen reference calls, version 1: a scanned assembly alone, or assembly, calling method, framework type, framework member (tab-separated)";

    // What the build's IL scan says: the assemblies it read whole, and the callers of each
    // reported row by assembly name and then by row key.
    internal sealed class BuildScan
    {
        public HashSet<string> ReadWhole { get; } = new(StringComparer.Ordinal);

        public Dictionary<string, Dictionary<string, RowCallers>> Callers { get; } = new(StringComparer.Ordinal);
    }

    // A reported row and the methods that call it in one assembly.
    internal sealed class RowCallers(SupportRow row)
    {
        public SupportRow Row { get; } = row;

        public SortedSet<string> Callers { get; } = new(StringComparer.Ordinal);
    }

    internal static BuildScan ReadBuildScan(ImmutableArray<AdditionalText> files, SupportTable table, System.Threading.CancellationToken cancellationToken)
    {
        var scan = new BuildScan();
        foreach (AdditionalText file in files)
        {
            if (!string.Equals(System.IO.Path.GetFileName(file.Path), CallsFileName, StringComparison.OrdinalIgnoreCase)
                || file.GetText(cancellationToken) is not { } text
                || text.Lines.Count == 0
                || text.Lines[0].ToString().TrimEnd() != CallsFileHeader)
            {
                continue;
            }

            for (int index = 1; index < text.Lines.Count; index++)
            {
                string[] cells = text.Lines[index].ToString().Split('\t');
                if (cells.Length == 1 && cells[0].Length > 0)
                {
                    scan.ReadWhole.Add(cells[0]);
                    continue;
                }

                if (cells.Length != 4)
                {
                    continue;
                }

                SupportRow? row = table.FindByMetadataName(cells[2], cells[3]);
                if (row is null || !IsReported(row))
                {
                    continue;
                }

                if (!scan.Callers.TryGetValue(cells[0], out Dictionary<string, RowCallers>? byRow))
                {
                    byRow = new Dictionary<string, RowCallers>(StringComparer.Ordinal);
                    scan.Callers.Add(cells[0], byRow);
                }

                if (!byRow.TryGetValue(row.Key, out RowCallers? rowCallers))
                {
                    rowCallers = new RowCallers(row);
                    byRow.Add(row.Key, rowCallers);
                }

                rowCallers.Callers.Add(cells[1]);
            }
        }

        return scan;
    }

    // The shared framework's assemblies: they are the BCL the table describes.
    private static bool IsFramework(IAssemblySymbol assembly) => SupportTable.IsFrameworkAssembly(assembly.Identity.Name);

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
