// The support table, shared by the analyzers and the generator: this file is compiled into both,
// and SupportTable.tsv beside it is embedded in both, so they can never disagree on what is
// supported, intercepted or refused.
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Microsoft.CodeAnalysis;

namespace Unikraft.Gen.Support
{
    internal enum SupportStatus
    {
        Intercepted = 0,
        KernelApi = 1,
        Unsupported = 2,
        // Works on the kernel, but makes a sim run depend on the host (UK0201, sim builds only).
        Nondeterministic = 3,
        // Works with no kernel service at all (pure computation, the runtime's own state): no
        // diagnostic. The row is there so that the docs say so, and so that it wins over a row for
        // its whole type.
        Supported = 4,
    }

    internal enum SupportMemberKind
    {
        // Every member of the type, constructors too.
        Type = 0,
        // The constructors of the type.
        Constructor = 1,
        // Every overload of one method.
        Method = 2,
        Property = 3,
        // An attribute, where it is applied.
        Attribute = 4,
        // A piece of syntax, such as an unmanaged function pointer type.
        Syntax = 5,
    }

    // One row of the table. Immutable and equatable by value.
    internal sealed class SupportRow : IEquatable<SupportRow>
    {
        public SupportRow(SupportMemberKind kind, string typeName, string memberName, SupportStatus status,
            string feature, string replacement, string condition, bool servedByNativeLayer, string reason, int line)
        {
            ServedByNativeLayer = servedByNativeLayer;
            Kind = kind;
            TypeName = typeName;
            MemberName = memberName;
            Status = status;
            Feature = feature;
            Replacement = replacement;
            Condition = condition;
            Reason = reason;
            Line = line;
        }

        // Whether the kernel serves this API through the BCL's native layer when that is on (a
        // NativeAOT image on hosted, UnikraftNativeLayer): the table's 'native' column.
        public bool ServedByNativeLayer { get; }

        public SupportMemberKind Kind { get; }

        // The full metadata-style name of the type, such as "System.Console".
        public string TypeName { get; }

        // The member name for methods and properties; empty otherwise.
        public string MemberName { get; }

        public SupportStatus Status { get; }

        public string Feature { get; }

        // The kernel API type (intercepted) or member (kernel-api); empty for none.
        public string Replacement { get; }

        // Empty, or the member the receiver must be, such as "System.Random.Shared".
        public string Condition { get; }

        public string Reason { get; }

        // A reason that starts with this holds for only part of the API, and says which part works.
        public const string PartiallyPrefix = "partially: ";

        // Whether the row holds for only part of the API (its reason starts with "partially: ").
        public bool IsPartial => Reason.StartsWith(PartiallyPrefix, StringComparison.Ordinal);

        public int Line { get; }

        // How the API reads in a message, such as "Console.WriteLine" or "new Thread".
        public string DisplayName
        {
            get
            {
                string shortType = TypeName.Substring(TypeName.LastIndexOf('.') + 1);
                switch (Kind)
                {
                    case SupportMemberKind.Constructor: return "new " + shortType;
                    case SupportMemberKind.Attribute: return "[" + (shortType.EndsWith("Attribute", StringComparison.Ordinal) ? shortType.Substring(0, shortType.Length - "Attribute".Length) : shortType) + "]";
                    case SupportMemberKind.Syntax: return TypeName;
                    case SupportMemberKind.Type: return shortType;
                    default: return shortType + "." + MemberName;
                }
            }
        }

        // The status as the table writes it.
        public string StatusText
        {
            get
            {
                switch (Status)
                {
                    case SupportStatus.Intercepted: return "intercepted";
                    case SupportStatus.KernelApi: return "kernel-api";
                    case SupportStatus.Unsupported: return "unsupported";
                    case SupportStatus.Nondeterministic: return "nondeterministic";
                    default: return "supported";
                }
            }
        }

        // The column text of the member, as written in the table.
        public string Key
        {
            get
            {
                switch (Kind)
                {
                    case SupportMemberKind.Type: return "T:" + TypeName;
                    case SupportMemberKind.Constructor: return "C:" + TypeName;
                    case SupportMemberKind.Method: return "M:" + TypeName + "." + MemberName;
                    case SupportMemberKind.Property: return "P:" + TypeName + "." + MemberName;
                    case SupportMemberKind.Attribute: return "A:" + TypeName;
                    default: return "S:" + TypeName;
                }
            }
        }

        public bool Equals(SupportRow? other) =>
            other is not null && Kind == other.Kind && TypeName == other.TypeName && MemberName == other.MemberName
            && Status == other.Status && Feature == other.Feature && Replacement == other.Replacement
            && Condition == other.Condition && ServedByNativeLayer == other.ServedByNativeLayer && Reason == other.Reason && Line == other.Line;

        public override bool Equals(object? obj) => Equals(obj as SupportRow);

        public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(Key) ^ (int)Status;

        public override string ToString() => Key + " " + Status;
    }

    internal sealed class SupportTable
    {
        public const string ResourceName = "Unikraft.Gen.SupportTable.tsv";

        // The shared framework's assemblies by name: what a call target's assembly reference names
        // when the call may reach a BCL member the table describes. Whether a reference is part of
        // the framework (and so not scanned) is decided by where it comes from
        // (FrameworkReference), never by this: a NuGet package may have any name.
        public static bool IsFrameworkAssembly(string name) =>
            name == "netstandard" || name == "mscorlib" || name == "System" || name == "WindowsBase"
            || name.StartsWith("System.", StringComparison.Ordinal) || name.StartsWith("Microsoft.", StringComparison.Ordinal);

        private static SupportTable? s_embedded;

        private readonly Dictionary<string, SupportRow> _byKey;

        private SupportTable(IReadOnlyList<SupportRow> rows)
        {
            Rows = rows;
            _byKey = new Dictionary<string, SupportRow>(StringComparer.Ordinal);
            foreach (SupportRow row in rows)
            {
                _byKey[row.Key] = row;
            }
        }

        public IReadOnlyList<SupportRow> Rows { get; }

        // The table embedded in the calling assembly. It is read once per process: the text is fixed
        // at build time, so every compilation sees the same rows.
        public static SupportTable Embedded
        {
            get
            {
                SupportTable? table = s_embedded;
                if (table is null)
                {
                    using Stream? stream = typeof(SupportTable).Assembly.GetManifestResourceStream(ResourceName);
                    if (stream is null)
                    {
                        throw new InvalidOperationException("The support table resource '" + ResourceName + "' is missing from " + typeof(SupportTable).Assembly.GetName().Name + ".");
                    }

                    using var reader = new StreamReader(stream);
                    table = Parse(reader.ReadToEnd());
                    s_embedded = table;
                }

                return table;
            }
        }

        // Parses the table text. A malformed row is an error that names its line: the table is
        // written by hand, and a silent skip would hide an API from every check.
        public static SupportTable Parse(string text)
        {
            var rows = new List<SupportRow>();
            var seen = new HashSet<string>(StringComparer.Ordinal);
            string[] lines = text.Replace("\r\n", "\n").Split('\n');
            for (int index = 0; index < lines.Length; index++)
            {
                string line = lines[index];
                int lineNumber = index + 1;
                if (line.Length == 0 || line[0] == '#')
                {
                    continue;
                }

                string[] cells = line.Split('\t');
                if (cells.Length != 7)
                {
                    throw new FormatException($"SupportTable.tsv line {lineNumber}: expected 7 tab-separated columns (member, status, feature, replacement, condition, native, reason), found {cells.Length}.");
                }

                string member = cells[0];
                if (member.Length < 3 || member[1] != ':')
                {
                    throw new FormatException($"SupportTable.tsv line {lineNumber}: member '{member}' must start with T:, C:, M:, P:, A: or S:.");
                }

                SupportMemberKind kind;
                switch (member[0])
                {
                    case 'T': kind = SupportMemberKind.Type; break;
                    case 'C': kind = SupportMemberKind.Constructor; break;
                    case 'M': kind = SupportMemberKind.Method; break;
                    case 'P': kind = SupportMemberKind.Property; break;
                    case 'A': kind = SupportMemberKind.Attribute; break;
                    case 'S': kind = SupportMemberKind.Syntax; break;
                    default: throw new FormatException($"SupportTable.tsv line {lineNumber}: member '{member}' must start with T:, C:, M:, P:, A: or S:.");
                }

                string name = member.Substring(2);
                string typeName = name;
                string memberName = string.Empty;
                if (kind == SupportMemberKind.Method || kind == SupportMemberKind.Property)
                {
                    int dot = name.LastIndexOf('.');
                    if (dot <= 0 || dot == name.Length - 1)
                    {
                        throw new FormatException($"SupportTable.tsv line {lineNumber}: '{member}' needs a type and a member name, as in M:System.Console.WriteLine.");
                    }

                    typeName = name.Substring(0, dot);
                    memberName = name.Substring(dot + 1);
                }

                SupportStatus status;
                switch (cells[1])
                {
                    case "intercepted": status = SupportStatus.Intercepted; break;
                    case "kernel-api": status = SupportStatus.KernelApi; break;
                    case "unsupported": status = SupportStatus.Unsupported; break;
                    case "nondeterministic": status = SupportStatus.Nondeterministic; break;
                    case "supported": status = SupportStatus.Supported; break;
                    default: throw new FormatException($"SupportTable.tsv line {lineNumber}: status '{cells[1]}' is not one of intercepted, kernel-api, unsupported, nondeterministic, supported.");
                }

                string replacement = cells[3] == "-" ? string.Empty : cells[3];
                string condition = cells[4] == "-" ? string.Empty : cells[4];
                string reason = cells[6] == "-" ? string.Empty : cells[6];
                if (cells[5] != "served" && cells[5] != "-")
                {
                    throw new FormatException($"SupportTable.tsv line {lineNumber}: native '{cells[5]}' is not 'served' or '-'.");
                }
                if ((status == SupportStatus.Intercepted || status == SupportStatus.KernelApi) && replacement.Length == 0)
                {
                    throw new FormatException($"SupportTable.tsv line {lineNumber}: an {cells[1]} row needs a replacement.");
                }

                if (status != SupportStatus.Intercepted && reason.Length == 0)
                {
                    throw new FormatException($"SupportTable.tsv line {lineNumber}: an {cells[1]} row needs a reason.");
                }

                if (status == SupportStatus.Supported && (replacement.Length > 0 || condition.Length > 0))
                {
                    throw new FormatException($"SupportTable.tsv line {lineNumber}: a supported row needs no kernel, so its replacement and condition must be '-'.");
                }

                if (condition.Length > 0)
                {
                    if (condition.StartsWith("receiver=", StringComparison.Ordinal))
                    {
                        condition = condition.Substring("receiver=".Length);
                    }
                    else if (condition != NoArguments && condition != FirstArgumentFalse && condition != PathArgument)
                    {
                        throw new FormatException($"SupportTable.tsv line {lineNumber}: condition '{condition}' must be '-', receiver=Type.Member, {NoArguments}, {FirstArgumentFalse} or {PathArgument}.");
                    }
                }

                var row = new SupportRow(kind, typeName, memberName, status, cells[2], replacement, condition, cells[5] == "served", reason, lineNumber);
                if (!seen.Add(row.Key))
                {
                    throw new FormatException($"SupportTable.tsv line {lineNumber}: '{row.Key}' is listed twice.");
                }

                rows.Add(row);
            }

            return new SupportTable(rows);
        }

        // The row for a method call, a property read or an object creation, if the table has one.
        // A row for the member wins over a row for its whole type.
        public SupportRow? Find(ISymbol symbol)
        {
            ISymbol original = symbol.OriginalDefinition;
            INamedTypeSymbol? type = original.ContainingType;
            if (type is null)
            {
                return null;
            }

            string typeName = MetadataName(type);
            SupportRow? row;
            switch (original)
            {
                case IMethodSymbol { MethodKind: MethodKind.Constructor }:
                    if (_byKey.TryGetValue("C:" + typeName, out row))
                    {
                        return row;
                    }

                    break;
                case IMethodSymbol method when method.MethodKind == MethodKind.Ordinary || method.MethodKind == MethodKind.ReducedExtension:
                    if (_byKey.TryGetValue("M:" + typeName + "." + method.Name, out row))
                    {
                        return row;
                    }

                    break;
                case IMethodSymbol { AssociatedSymbol: IPropertySymbol property }:
                    if (_byKey.TryGetValue("P:" + typeName + "." + property.Name, out row))
                    {
                        return row;
                    }

                    break;
                case IPropertySymbol property:
                    if (_byKey.TryGetValue("P:" + typeName + "." + property.Name, out row))
                    {
                        return row;
                    }

                    break;
            }

            return _byKey.TryGetValue("T:" + typeName, out row) ? row : null;
        }

        // The row for a member named in metadata (a referenced assembly's member reference):
        // the type's metadata name, and the member's name as compiled (".ctor", "get_Now", "Start").
        public SupportRow? FindByMetadataName(string typeName, string memberName)
        {
            SupportRow? row;
            if (memberName == ".ctor" && _byKey.TryGetValue("C:" + typeName, out row))
            {
                return row;
            }

            if (memberName.StartsWith("get_", StringComparison.Ordinal) && _byKey.TryGetValue("P:" + typeName + "." + memberName.Substring(4), out row))
            {
                return row;
            }

            if (_byKey.TryGetValue("M:" + typeName + "." + memberName, out row))
            {
                return row;
            }

            return _byKey.TryGetValue("T:" + typeName, out row) ? row : null;
        }

        // The row for an attribute class, if the table has one.
        public SupportRow? FindAttribute(INamedTypeSymbol attributeClass) =>
            _byKey.TryGetValue("A:" + MetadataName(attributeClass), out SupportRow? row) ? row : null;

        // The row for a piece of syntax (S:name), if the table has one.
        public SupportRow? FindSyntax(string name) =>
            _byKey.TryGetValue("S:" + name, out SupportRow? row) ? row : null;

        // "System.Collections.Generic.List`1" style names, the same ones GetTypeByMetadataName takes.
        public static string MetadataName(INamedTypeSymbol type)
        {
            string name = type.MetadataName;
            if (type.ContainingType is not null)
            {
                return MetadataName(type.ContainingType) + "+" + name;
            }

            return type.ContainingNamespace is { IsGlobalNamespace: false } ns ? ns.ToDisplayString() + "." + name : name;
        }

        // The kernel API method an intercepted BCL method is redirected to: the method of the same
        // name on the replacement type whose parameters are the BCL method's (with an instance
        // method's receiver first), compared by type and ref kind. Null when the kernel API has no
        // such overload; the analyzers report that call as UK0003 and the generator leaves it alone.
        public static IMethodSymbol? FindKernelOverload(IMethodSymbol bclMethod, INamedTypeSymbol kernelType)
        {
            IMethodSymbol bcl = bclMethod.OriginalDefinition;
            var wanted = new List<(ITypeSymbol Type, RefKind RefKind)>();
            if (!bcl.IsStatic)
            {
                wanted.Add((bcl.ContainingType, RefKind.None));
            }

            foreach (IParameterSymbol parameter in bcl.Parameters)
            {
                wanted.Add((parameter.Type, parameter.RefKind));
            }

            foreach (ISymbol member in kernelType.GetMembers(bcl.Name))
            {
                if (member is not IMethodSymbol candidate || !candidate.IsStatic
                    || candidate.DeclaredAccessibility == Accessibility.Private
                    || candidate.Parameters.Length != wanted.Count
                    || candidate.TypeParameters.Length != bcl.TypeParameters.Length)
                {
                    continue;
                }

                // Method type parameters compare by position, not by name: the kernel's
                // Run<T>(Func<T>) is the BCL's Run<TResult>(Func<TResult>). Constructing the
                // candidate with the BCL's own type parameters makes both display alike.
                IMethodSymbol shaped = candidate;
                if (bcl.TypeParameters.Length > 0)
                {
                    var typeArguments = new ITypeSymbol[bcl.TypeParameters.Length];
                    for (int index = 0; index < typeArguments.Length; index++)
                    {
                        typeArguments[index] = bcl.TypeParameters[index];
                    }

                    shaped = candidate.Construct(typeArguments);
                }

                bool same = true;
                for (int index = 0; index < wanted.Count && same; index++)
                {
                    IParameterSymbol parameter = shaped.Parameters[index];
                    same = parameter.RefKind == wanted[index].RefKind
                        && TypeShape(parameter.Type) == TypeShape(wanted[index].Type);
                }

                if (same && TypeShape(shaped.ReturnType) == TypeShape(bcl.ReturnType))
                {
                    return candidate;
                }
            }

            return null;
        }

        // A type's shape for overload matching: its fully qualified name, with nullable reference
        // annotations ignored (the kernel API may annotate where the BCL does not).
        private static string TypeShape(ITypeSymbol type) =>
            type.ToDisplayString(s_shapeFormat);

        private static readonly SymbolDisplayFormat s_shapeFormat = new SymbolDisplayFormat(
            globalNamespaceStyle: SymbolDisplayGlobalNamespaceStyle.Included,
            typeQualificationStyle: SymbolDisplayTypeQualificationStyle.NameAndContainingTypesAndNamespaces,
            genericsOptions: SymbolDisplayGenericsOptions.IncludeTypeParameters,
            miscellaneousOptions: SymbolDisplayMiscellaneousOptions.UseSpecialTypes | SymbolDisplayMiscellaneousOptions.ExpandNullable);

        // Whether a receiver expression's symbol satisfies the row's condition ("System.Random.Shared").
        public static bool ReceiverMatches(SupportRow row, ISymbol? receiverSymbol)
        {
            if (row.Condition.Length == 0 || row.Condition == NoArguments || row.Condition == FirstArgumentFalse || row.Condition == PathArgument)
            {
                return true;
            }

            if (receiverSymbol?.ContainingType is not INamedTypeSymbol containing)
            {
                return false;
            }

            return MetadataName(containing) + "." + receiverSymbol.Name == row.Condition;
        }

        // Conditions on a call's arguments: 'new Random()' with no seed, 'ConfigureAwait(false)'.
        public const string NoArguments = "arguments=0";
        public const string FirstArgumentFalse = "argument=false";

        // A condition on the overload: only those whose first parameter is a string, a path, a file
        // name or a URI ('new StreamReader(path)', 'XDocument.Load(uri)'), and not those that take a
        // stream or a reader ('new StreamReader(stream)'), which never open anything themselves.
        public const string PathArgument = "argument=path";

        // Whether an overload is one the row describes: every overload, or for argument=path only
        // those whose first parameter is a string.
        public static bool OverloadMatches(SupportRow row, IMethodSymbol method) =>
            OverloadMatches(row, method.Parameters.Length > 0 && method.Parameters[0].Type.SpecialType == SpecialType.System_String);

        // The same, for an overload read from metadata, by whether its first parameter is a string.
        public static bool OverloadMatches(SupportRow row, bool firstParameterIsString) =>
            row.Condition != PathArgument || firstParameterIsString;

        // Whether a call's arguments satisfy the row's argument condition (true when it has none).
        public static bool ArgumentsMatch(SupportRow row, System.Collections.Immutable.ImmutableArray<Microsoft.CodeAnalysis.Operations.IArgumentOperation> arguments)
        {
            switch (row.Condition)
            {
                case NoArguments:
                    return arguments.Length == 0;
                case FirstArgumentFalse:
                    return arguments.Length >= 1 && arguments[0].Value.ConstantValue is { HasValue: true, Value: false };
                default:
                    return true;
            }
        }

        // The rows in table order with the given status.
        public IEnumerable<SupportRow> WithStatus(SupportStatus status) => Rows.Where(r => r.Status == status);
    }
}
