using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Unikraft.Gen.Support;

namespace Unikraft.Gen.Analyzers;

// UK0301: the program's referenced assemblies (NuGet packages, other projects) are compiled
// already, so interceptors cannot redirect their calls and the source analyzers never see them.
// This finds, in each one, what reaches past the kernel at run time, and reports it as an error:
//   - a call into the BCL the support table says the kernel cannot serve from there: an
//     unsupported API (Process.Start), one that bypasses the kernel (DateTime.Now, new FileStream)
//     or an intercepted one that reaches the host from a compiled assembly (File.ReadAllText);
//     a method token of one (ldtoken: an expression tree, a MethodInfo) counts as a call;
//   - a P/Invoke ([DllImport], and [LibraryImport], whose generated stub holds one): native code
//     on the host (not one into another system's library, kernel32.dll or a macOS framework,
//     which does not exist on Linux: ForeignNativeLibraries);
//   - a call through an unmanaged function pointer (calli): native code on the host.
// What the kernel boundary serves is not reported: with the native layer on (a NativeAOT image
// on hosted) the BCL's native shim is the kernel's, so a table row it serves and a P/Invoke into
// libSystem.Native reach the kernel (the publish's link check, UK0401, is the last word on which
// SystemNative_* functions it serves). The framework's own assemblies are the BCL itself and are
// not scanned; which they are is decided by where the reference comes from (FrameworkReference),
// not by its name. It runs only in projects that use the generator (UnikraftMounts is set).
//
// Metadata says which APIs and native functions an assembly uses, not which of its methods use
// them, and holds no IL. The build reads the IL (Unikraft.Gen.targets runs
// build/ReferenceScanner.cs before compiling) and hands the calling methods, the method tokens and
// the unmanaged calls over in the additional file Unikraft.ReferenceCalls.tsv; when it is there
// the message names them. For an assembly the build read whole, the scan replaces the metadata: it
// sees the calls the metadata cannot show (the compiler is handed a project reference's reference
// assembly, obj/ref, and a package may ship one; those have no method bodies and no private
// members), and it leaves out the generator's own output in a library built with the generator
// (GeneratedOutput: a namespace alone exempts nothing). Without the file (in the IDE before a
// build, or with UnikraftScanReferences=false) the metadata scan alone decides.
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
        // A simulation has none, whatever the property says (the generator keeps none on sim).
        bool nativeLayer = context.Options.AnalyzerConfigOptionsProvider.GlobalOptions.TryGetValue("build_property.UnikraftNativeLayer", out string? native)
            && string.Equals(native.Trim(), "true", StringComparison.OrdinalIgnoreCase)
            && !(context.Options.AnalyzerConfigOptionsProvider.GlobalOptions.TryGetValue("build_property.UnikraftPlatform", out string? platform)
                && string.Equals(platform.Trim(), "sim", StringComparison.OrdinalIgnoreCase));
        SupportTable table = SupportTable.Embedded;
        BuildScan scan = ReadBuildScan(context.Options.AdditionalFiles, table, context.CancellationToken);
        foreach (MetadataReference reference in context.Compilation.References)
        {
            context.CancellationToken.ThrowIfCancellationRequested();
            if (reference is not PortableExecutableReference executable
                || context.Compilation.GetAssemblyOrModuleSymbol(reference) is not IAssemblySymbol assembly
                || FrameworkReference.IsFramework(executable.FilePath, assembly.Identity.Name))
            {
                continue;
            }

            string assemblyName = assembly.Identity.Name;
            scan.Uses.TryGetValue(assemblyName, out Dictionary<string, Use>? scanned);
            var uses = new List<Use>();
            var reported = new HashSet<string>(StringComparer.Ordinal);
            if (!scan.ReadWhole.Contains(assemblyName))
            {
                foreach (Use use in MetadataUses(executable, table))
                {
                    if (reported.Add(use.Key))
                    {
                        uses.Add(use);
                    }
                }
            }

            // Uses the IL scan found and the metadata did not, or all of them when the scan read
            // the assembly whole.
            if (scanned is not null)
            {
                var scannedOnly = new List<string>();
                foreach (string key in scanned.Keys)
                {
                    if (!reported.Contains(key))
                    {
                        scannedOnly.Add(key);
                    }
                }

                scannedOnly.Sort(StringComparer.Ordinal);
                foreach (string key in scannedOnly)
                {
                    uses.Add(scanned[key]);
                }
            }

            foreach (Use use in uses)
            {
                if (use.IsServed(nativeLayer))
                {
                    continue;
                }

                string from = scanned is not null && scanned.TryGetValue(use.Key, out Use? withCallers) && withCallers.Callers.Count > 0
                    ? From(withCallers.Callers)
                    : string.Empty;
                context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.ReferencedAssemblyUsesUnsupportedApi, Location.None,
                    assemblyName, use.Display, from, use.What(), use.Why()));
            }
        }
    }

    // What a referenced assembly uses that may reach past the kernel, and the methods that use it
    // when the build's scan named them. Key identifies it within one assembly: a support table
    // row's key, "pinvoke:library!entry" or "calli:convention".
    internal abstract class Use(string key, string display)
    {
        public string Key { get; } = key;

        // The message's {1}: "'Process.Start'", "the native function 'socket' of 'libc' (a P/Invoke)".
        public string Display { get; } = display;

        public SortedSet<string> Callers { get; } = new(StringComparer.Ordinal);

        public abstract bool IsServed(bool nativeLayer);

        public abstract string What();

        public abstract string Why();
    }

    // A call (or method token) of a support table row.
    internal sealed class RowUse(SupportRow row) : Use(row.Key, "'" + row.DisplayName + "'")
    {
        public SupportRow Row { get; } = row;

        public override bool IsServed(bool nativeLayer) => nativeLayer && Row.ServedByNativeLayer;

        public override string What() => Row.Status switch
        {
            SupportStatus.Unsupported => "the kernel does not support",
            SupportStatus.KernelApi => "bypasses the kernel",
            _ => "cannot be redirected to the kernel from a compiled assembly, so it reaches the host",
        };

        public override string Why() =>
            Row.Reason.Length > 0 ? Row.Reason : "interceptors rewrite only the program's own source; call it from the program, or build the library with the generator";
    }

    // A P/Invoke the assembly declares. Only the BCL's own native shim is ever served: with the
    // native layer on, the kernel takes its SystemNative_* functions' place in the link.
    internal sealed class PInvokeUse(string library, string entryPoint)
        : Use("pinvoke:" + library + "!" + entryPoint, "the native function '" + entryPoint + "' of '" + library + "' (a P/Invoke)")
    {
        public bool IsBclNativeShim { get; } = IsNativeShim(library);

        public override bool IsServed(bool nativeLayer) => nativeLayer && IsBclNativeShim;

        public override string What() => "bypasses the kernel";

        public override string Why() => IsBclNativeShim
            ? "the BCL's native shim is the kernel's only while the native layer is on (UnikraftNativeLayer: on by default for hosted and microvm executables, through the link under NativeAOT and the jump slots under dotnet run); it is off in this build, so this call reaches the host's libSystem.Native; turn the native layer on, or call the BCL API that wraps it"
            : "a P/Invoke runs native code on the host, outside the kernel and its confinement; use a BCL API the kernel serves instead, or leave the library out";

        // "libSystem.Native", as the BCL names it, or with the file's suffix.
        private static bool IsNativeShim(string library)
        {
            string name = library;
            foreach (string suffix in new[] { ".so", ".dylib", ".dll" })
            {
                if (name.EndsWith(suffix, StringComparison.OrdinalIgnoreCase))
                {
                    name = name.Substring(0, name.Length - suffix.Length);
                }
            }

            return string.Equals(name, "libSystem.Native", StringComparison.Ordinal) || string.Equals(name, "System.Native", StringComparison.Ordinal);
        }
    }

    // Calls through unmanaged function pointers with one calling convention.
    internal sealed class UnmanagedCalliUse(string convention)
        : Use("calli:" + convention, "a call through an unmanaged function pointer (calli, " + convention + ")")
    {
        public override bool IsServed(bool nativeLayer) => false;

        public override string What() => "bypasses the kernel";

        public override string Why() =>
            "native code reached through a function pointer runs on the host, outside the kernel and its confinement; leave the library out, or give it a managed implementation";
    }

    // What the assembly's metadata shows, in metadata order: the support table rows its member
    // references match (those the kernel cannot serve only: supported and nondeterministic rows
    // are not UK0301's business), the P/Invokes it declares and the conventions of the unmanaged
    // function pointers it calls (their stand-alone signatures). The generator's own output in a
    // library built with it is left out of the P/Invokes; its member references cannot be told
    // apart from the author's, which is why the build's scan, when it read the assembly whole,
    // replaces this.
    private static IEnumerable<Use> MetadataUses(PortableExecutableReference executable, SupportTable table)
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
        bool marked = false;
        foreach (ModuleMetadata module in modules)
        {
            MetadataReader reader = module.GetMetadataReader();
            marked |= reader.IsAssembly && GeneratedOutput.IsMarked(reader);
            foreach (MemberReferenceHandle handle in reader.MemberReferences)
            {
                MemberReference member = reader.GetMemberReference(handle);
                string? typeName = TypeName(reader, member.Parent);
                if (typeName is null)
                {
                    continue;
                }

                SupportRow? row = table.FindByMetadataName(typeName, reader.GetString(member.Name));
                if (row is not null && IsReported(row) && SupportTable.OverloadMatches(row, FirstParameterIsString(member)))
                {
                    yield return new RowUse(row);
                }
            }

            foreach (MethodDefinitionHandle handle in reader.MethodDefinitions)
            {
                MethodDefinition method = reader.GetMethodDefinition(handle);
                if ((method.Attributes & System.Reflection.MethodAttributes.PinvokeImpl) == 0
                    || (marked && GeneratedOutput.IsReservedNamespace(reader, method.GetDeclaringType())))
                {
                    continue;
                }

                MethodImport import = method.GetImport();
                string library = import.Module.IsNil ? string.Empty : reader.GetString(reader.GetModuleReference(import.Module).Name);
                string entryPoint = import.Name.IsNil ? reader.GetString(method.Name) : reader.GetString(import.Name);
                if (!ForeignNativeLibraries.Contains(library))
                {
                    yield return new PInvokeUse(library, entryPoint);
                }
            }

            int signatures = reader.GetTableRowCount(TableIndex.StandAloneSig);
            for (int row = 1; row <= signatures; row++)
            {
                StandaloneSignature signature = reader.GetStandaloneSignature(MetadataTokens.StandaloneSignatureHandle(row));
                if (signature.GetKind() == StandaloneSignatureKind.Method
                    && UnmanagedConvention(reader.GetBlobReader(signature.Signature).ReadByte()) is { } convention)
                {
                    yield return new UnmanagedCalliUse(convention);
                }
            }
        }
    }

    // Whether a method reference's first parameter is a string (ECMA-335 Partition II, 23.2.2
    // "MethodRefSig"); false for a field, a method with none, or a signature that cannot be read.
    private static bool FirstParameterIsString(MemberReference member)
    {
        if (member.GetKind() != MemberReferenceKind.Method)
        {
            return false;
        }

        try
        {
            MethodSignature<bool> signature = member.DecodeMethodSignature(StringTypes.Instance, null);
            return signature.ParameterTypes.Length > 0 && signature.ParameterTypes[0];
        }
        catch (BadImageFormatException)
        {
            return false;
        }
    }

    // A signature's types, decoded only as far as "is it System.String".
    private sealed class StringTypes : ISignatureTypeProvider<bool, object?>
    {
        public static readonly StringTypes Instance = new();

        public bool GetPrimitiveType(PrimitiveTypeCode typeCode) => typeCode == PrimitiveTypeCode.String;

        public bool GetTypeFromDefinition(MetadataReader reader, TypeDefinitionHandle handle, byte rawTypeKind) => false;

        public bool GetTypeFromReference(MetadataReader reader, TypeReferenceHandle handle, byte rawTypeKind) => false;

        public bool GetTypeFromSpecification(MetadataReader reader, object? genericContext, TypeSpecificationHandle handle, byte rawTypeKind) => false;

        public bool GetSZArrayType(bool elementType) => false;

        public bool GetArrayType(bool elementType, ArrayShape shape) => false;

        public bool GetByReferenceType(bool elementType) => false;

        public bool GetPointerType(bool elementType) => false;

        public bool GetPinnedType(bool elementType) => false;

        public bool GetModifiedType(bool modifier, bool unmodifiedType, bool isRequired) => unmodifiedType;

        public bool GetFunctionPointerType(MethodSignature<bool> signature) => false;

        public bool GetGenericInstantiation(bool genericType, ImmutableArray<bool> typeArguments) => false;

        public bool GetGenericTypeParameter(object? genericContext, int index) => false;

        public bool GetGenericMethodParameter(object? genericContext, int index) => false;
    }

    // NOTE: ECMA-335 Partition II, 23.2.3 "StandAloneMethodSig": the first byte's low nibble is the
    // calling convention: 0 default and 5 vararg are managed; 1 C, 2 stdcall, 3 thiscall and
    // 4 fastcall are unmanaged, as is 9, "unmanaged" with the platform's default convention
    // (added in .NET 5 for 'delegate* unmanaged'). build/ReferenceScanner.cs names them the same.
    internal static string? UnmanagedConvention(byte header) => (header & 0x0F) switch
    {
        1 => "cdecl",
        2 => "stdcall",
        3 => "thiscall",
        4 => "fastcall",
        9 => "unmanaged",
        _ => null,
    };

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
    // "assembly, kind, calling method, target, member, first parameter" per use, kind being call,
    // token (ldtoken of a member), pinvoke (target the library, member the entry point) or calli
    // (target the calling convention, member the signature); the first parameter's type tells a
    // path overload from the others (argument=path rows). A file with another header was written by
    // another version of the build logic and is ignored whole rather than misread; a line with
    // another number of cells, or a kind this version does not know, is skipped.
    internal const string CallsFileName = "Unikraft.ReferenceCalls.tsv";
    internal const string CallsFileHeader = "# Unikraft.Gen reference calls, version 3: a scanned assembly alone, or assembly, kind (call, token, pinvoke, calli), calling method, type or library or convention, member or entry point or signature, a method's first parameter type (tab-separated)";

    // What the build's IL scan says: the assemblies it read whole, and the uses (with their
    // callers) by assembly name and then by use key.
    internal sealed class BuildScan
    {
        public HashSet<string> ReadWhole { get; } = new(StringComparer.Ordinal);

        public Dictionary<string, Dictionary<string, Use>> Uses { get; } = new(StringComparer.Ordinal);
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

                if (cells.Length != 6)
                {
                    continue;
                }

                string caller = cells[2];
                Use? use;
                switch (cells[1])
                {
                    case "call":
                    case "token":
                        SupportRow? row = table.FindByMetadataName(cells[3], cells[4]);
                        use = row is not null && IsReported(row) && SupportTable.OverloadMatches(row, cells[5] == "string") ? new RowUse(row) : null;
                        if (cells[1] == "token")
                        {
                            // A MethodInfo or an expression tree calls the member later, from here.
                            caller += " (method token)";
                        }

                        break;
                    case "pinvoke":
                        use = ForeignNativeLibraries.Contains(cells[3]) ? null : new PInvokeUse(cells[3], cells[4]);
                        break;
                    case "calli":
                        use = UnmanagedConventionName(cells[3]) is { } convention ? new UnmanagedCalliUse(convention) : null;
                        break;
                    default:
                        use = null;
                        break;
                }

                if (use is null)
                {
                    continue;
                }

                if (!scan.Uses.TryGetValue(cells[0], out Dictionary<string, Use>? byKey))
                {
                    byKey = new Dictionary<string, Use>(StringComparer.Ordinal);
                    scan.Uses.Add(cells[0], byKey);
                }

                if (!byKey.TryGetValue(use.Key, out Use? existing))
                {
                    existing = use;
                    byKey.Add(use.Key, existing);
                }

                existing.Callers.Add(caller);
            }
        }

        return scan;
    }

    // A calling convention the scan may write, or null for a cell this version does not know.
    private static string? UnmanagedConventionName(string cell) =>
        cell is "cdecl" or "stdcall" or "thiscall" or "fastcall" or "unmanaged" ? cell : null;

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
