// Finds, in the IL of a program's referenced assemblies, what reaches past the kernel and which
// method does it, for UK0301: each call into the framework, each method token of a framework member
// (ldtoken, as expression trees and reflection use), each P/Invoke the assembly declares and each
// call through an unmanaged function pointer (calli). Roslyn hands analyzers the metadata of a
// reference but never its method bodies, and an analyzer may not read files, so the build does
// this before compiling: it writes one line per (assembly, kind, method, target, member) to a
// tab-separated file that reaches ReferenceScanAnalyzer as an additional file.
//
// Self-contained (the BCL and System.Reflection.Metadata only). It is part of the package's task
// assembly (generators/Unikraft.Gen.Tasks), and Unikraft.Gen.targets runs ReferenceScanTask
// (below) on the program's non-framework references. The analyzer tests compile ReferenceScanner alone, with
// UNIKRAFT_REFERENCE_SCANNER_ONLY defined, since they do not reference MSBuild.
#nullable enable
namespace Unikraft.Gen.Build
{
    using System;
    using System.Collections.Generic;
    using System.Collections.Immutable;
    using System.IO;
    using System.Reflection;
    using System.Reflection.Emit;
    using System.Reflection.Metadata;
    using System.Reflection.Metadata.Ecma335;
    using System.Reflection.PortableExecutable;
    using System.Text;

    // What a line of the scan records. A call (call, callvirt, newobj, ldftn, ldvirtftn, jmp or a
    // field access) and a token (ldtoken of a member: a MethodInfo or FieldInfo made from it, as
    // an expression tree or reflection does) name a framework member; a P/Invoke names a native
    // library and its entry point; an unmanaged calli names the calling convention and signature
    // of a native function reached through a pointer.
    public enum ReferenceUseKind
    {
        Call,
        Token,
        PInvoke,
        UnmanagedCalli,
    }

    // One use an assembly's method makes of something outside managed code's reach: a framework
    // member it calls or takes a token of, a native function it imports, or a native function
    // pointer it calls.
    public sealed class ReferenceCall : IEquatable<ReferenceCall>, IComparable<ReferenceCall>
    {
        public ReferenceCall(string caller, string typeName, string memberName)
            : this(ReferenceUseKind.Call, caller, typeName, memberName)
        {
        }

        public ReferenceCall(ReferenceUseKind kind, string caller, string typeName, string memberName)
            : this(kind, caller, typeName, memberName, string.Empty)
        {
        }

        public ReferenceCall(ReferenceUseKind kind, string caller, string typeName, string memberName, string firstParameter)
        {
            Kind = kind;
            Caller = caller;
            TypeName = typeName;
            MemberName = memberName;
            FirstParameter = firstParameter;
        }

        public ReferenceUseKind Kind { get; }

        // The calling method as a reader would name it, such as "Lib.Runner.Start(string)"; for a
        // P/Invoke, the method that declares it.
        public string Caller { get; }

        // A call or token: the framework type's metadata name, such as "System.Diagnostics.Process"
        // or "System.Environment+SpecialFolder". A P/Invoke: the native library as the import
        // names it ("libc", "libSystem.Native"). An unmanaged calli: the calling convention
        // ("cdecl", "stdcall", "thiscall", "fastcall", or "unmanaged" for the platform default).
        public string TypeName { get; }

        // A call or token: the member's name as compiled ("Start", ".ctor", "get_Now"). A P/Invoke:
        // the entry point ("socket"). An unmanaged calli: the pointer's signature ("int(int, nint)").
        public string MemberName { get; }

        // A call or token of a method: its first parameter's type as C# writes it ("string",
        // "Stream"), which tells a StreamReader made from a path from one made from a stream (the
        // support table's argument=path rows); empty for a method with none, a field or any other use.
        public string FirstParameter { get; }

        public bool Equals(ReferenceCall? other) =>
            other is not null && Kind == other.Kind && Caller == other.Caller && TypeName == other.TypeName && MemberName == other.MemberName
            && FirstParameter == other.FirstParameter;

        public override bool Equals(object? obj) => Equals(obj as ReferenceCall);

        public override int GetHashCode() =>
            ((int)Kind * 397) ^ StringComparer.Ordinal.GetHashCode(Caller) ^ StringComparer.Ordinal.GetHashCode(TypeName) ^ StringComparer.Ordinal.GetHashCode(MemberName)
            ^ StringComparer.Ordinal.GetHashCode(FirstParameter);

        public int CompareTo(ReferenceCall? other)
        {
            if (other is null)
            {
                return 1;
            }

            int order = string.CompareOrdinal(Caller, other.Caller);
            if (order == 0)
            {
                order = Kind.CompareTo(other.Kind);
            }

            if (order == 0)
            {
                order = string.CompareOrdinal(TypeName, other.TypeName);
            }

            if (order == 0)
            {
                order = string.CompareOrdinal(MemberName, other.MemberName);
            }

            return order != 0 ? order : string.CompareOrdinal(FirstParameter, other.FirstParameter);
        }

        public override string ToString() => Caller + " -> " + KindPrefix(Kind) + TypeName + "::" + MemberName;

        private static string KindPrefix(ReferenceUseKind kind)
        {
            switch (kind)
            {
                case ReferenceUseKind.Token:
                    return "token ";
                case ReferenceUseKind.PInvoke:
                    return "pinvoke ";
                case ReferenceUseKind.UnmanagedCalli:
                    return "calli ";
                default:
                    return string.Empty;
            }
        }
    }

    // A token operand of one IL instruction and what the instruction does with it.
    public struct InstructionToken
    {
        public InstructionToken(ReferenceUseKind kind, int token)
        {
            Kind = kind;
            Token = token;
        }

        public ReferenceUseKind Kind { get; }

        public int Token { get; }
    }

    // The generator's mark on its own output in a compiled assembly. A library built with the
    // generator carries the kernel (namespace Unikraft.Kernel) and the generator's bridge
    // (Unikraft.Generated), which reach the host on purpose: the kernel's platform layer is where
    // the host is meant to be reached, and the bridge calls the BCL only when no kernel has wired
    // it. Those namespaces are names anyone can write, so a name alone exempts nothing: the
    // generator also writes [assembly: AssemblyMetadata("Unikraft.Gen.Output", "<hash>:<digest>")],
    // where hash is the kernel sources' hash the generator was built with and digest the first 32
    // hex digits of SHA-256("Unikraft.Gen output\n" + assembly name + "\n" + hash). A library
    // whose author happens to use one of the namespaces has no such attribute; one copied from
    // another assembly names another assembly; so neither happens by accident. It is not a
    // signature: an author who sets out to forge it can (the native layer's link check and the
    // hosted confinement are the run-time boundary). docs/diagnostics/UK0301.md says the same.
    // The analyzers and the generator hold the same rule in Support/GeneratedOutput.cs; MSBuild
    // compiles this file alone, so it keeps its own copy and ReferenceScannerTests holds the two
    // in step.
    public static class GeneratedOutputMarker
    {
        public const string Key = "Unikraft.Gen.Output";

        private const string AttributeNamespace = "System.Reflection";

        private const string AttributeName = "AssemblyMetadataAttribute";

        public static string Digest(string assemblyName, string kernelHash)
        {
            using (var sha = System.Security.Cryptography.SHA256.Create())
            {
                byte[] hash = sha.ComputeHash(Encoding.UTF8.GetBytes("Unikraft.Gen output\n" + assemblyName + "\n" + kernelHash));
                var text = new StringBuilder(32);
                for (int index = 0; index < 16; index++)
                {
                    text.Append(hash[index].ToString("x2", System.Globalization.CultureInfo.InvariantCulture));
                }

                return text.ToString();
            }
        }

        // Whether a marker's value was made for this assembly name.
        public static bool IsValid(string assemblyName, string value)
        {
            int colon = value.IndexOf(':');
            if (colon <= 0)
            {
                return false;
            }

            string kernelHash = value.Substring(0, colon);
            return string.Equals(value.Substring(colon + 1), Digest(assemblyName, kernelHash), StringComparison.Ordinal);
        }

        // Whether the assembly carries a valid marker among its assembly attributes.
        public static bool IsMarked(MetadataReader reader)
        {
            if (!reader.IsAssembly)
            {
                return false;
            }

            AssemblyDefinition assembly = reader.GetAssemblyDefinition();
            string assemblyName = reader.GetString(assembly.Name);
            foreach (CustomAttributeHandle handle in assembly.GetCustomAttributes())
            {
                CustomAttribute attribute = reader.GetCustomAttribute(handle);
                if (!IsAssemblyMetadata(reader, attribute.Constructor))
                {
                    continue;
                }

                try
                {
                    // NOTE: ECMA-335 Partition II, 23.3 "Custom attributes": the prolog 0x0001, then
                    // each fixed argument; a string is a SerString (a compressed length and UTF-8).
                    BlobReader blob = reader.GetBlobReader(attribute.Value);
                    if (blob.ReadUInt16() != 1)
                    {
                        continue;
                    }

                    string? key = blob.ReadSerializedString();
                    string? value = blob.ReadSerializedString();
                    if (key == Key && value is not null && IsValid(assemblyName, value))
                    {
                        return true;
                    }
                }
                catch (BadImageFormatException)
                {
                }
            }

            return false;
        }

        // Whether a type (or the type it is nested in) is in Unikraft.Kernel or Unikraft.Generated,
        // or a namespace below them.
        public static bool IsReservedNamespace(MetadataReader reader, TypeDefinitionHandle handle)
        {
            TypeDefinition type = reader.GetTypeDefinition(handle);
            while (!type.GetDeclaringType().IsNil)
            {
                type = reader.GetTypeDefinition(type.GetDeclaringType());
            }

            string space = reader.GetString(type.Namespace);
            return IsWithin(space, "Unikraft.Kernel") || IsWithin(space, "Unikraft.Generated");
        }

        private static bool IsWithin(string space, string outer) =>
            space == outer || (space.StartsWith(outer, StringComparison.Ordinal) && space.Length > outer.Length && space[outer.Length] == '.');

        private static bool IsAssemblyMetadata(MetadataReader reader, EntityHandle constructor)
        {
            EntityHandle type;
            if (constructor.Kind == HandleKind.MemberReference)
            {
                type = reader.GetMemberReference((MemberReferenceHandle)constructor).Parent;
            }
            else if (constructor.Kind == HandleKind.MethodDefinition)
            {
                type = reader.GetMethodDefinition((MethodDefinitionHandle)constructor).GetDeclaringType();
            }
            else
            {
                return false;
            }

            if (type.Kind == HandleKind.TypeReference)
            {
                TypeReference reference = reader.GetTypeReference((TypeReferenceHandle)type);
                return reader.StringComparer.Equals(reference.Name, AttributeName) && reader.StringComparer.Equals(reference.Namespace, AttributeNamespace);
            }

            if (type.Kind == HandleKind.TypeDefinition)
            {
                TypeDefinition definition = reader.GetTypeDefinition((TypeDefinitionHandle)type);
                return reader.StringComparer.Equals(definition.Name, AttributeName) && reader.StringComparer.Equals(definition.Namespace, AttributeNamespace);
            }

            return false;
        }
    }

    // What one assembly's IL calls: its name, its calls (distinct, sorted), and how many method
    // bodies could not be read.
    public sealed class AssemblyScan
    {
        public AssemblyScan(string assemblyName, IReadOnlyList<ReferenceCall> calls, int unreadableMethods)
        {
            AssemblyName = assemblyName;
            Calls = calls;
            UnreadableMethods = unreadableMethods;
        }

        public string AssemblyName { get; }

        public IReadOnlyList<ReferenceCall> Calls { get; }

        public int UnreadableMethods { get; }
    }

    public static class ReferenceScanner
    {
        // The file the build writes and ReferenceScanAnalyzer looks for among its additional files.
        // The analyzer checks the first line and ignores a file that does not start with it, so
        // a change to the columns must change the version here and in the analyzer together.
        public const string FileName = "Unikraft.ReferenceCalls.tsv";
        public const string Header = "# Unikraft.Gen reference calls, version 3: a scanned assembly alone, or assembly, kind (call, token, pinvoke, calli), calling method, type or library or convention, member or entry point or signature, a method's first parameter type (tab-separated)";

        // The kind cell of a line, as the analyzer reads it.
        public static string KindName(ReferenceUseKind kind)
        {
            switch (kind)
            {
                case ReferenceUseKind.Token:
                    return "token";
                case ReferenceUseKind.PInvoke:
                    return "pinvoke";
                case ReferenceUseKind.UnmanagedCalli:
                    return "calli";
                default:
                    return "call";
            }
        }

        // The shared framework's assemblies by name, as SupportTable.IsFrameworkAssembly names them.
        // This decides only which call targets can be BCL members the support table describes
        // (a type reference into "System.Runtime"); which assemblies are scanned is decided by where
        // they come from (the build hands over only references that are not part of a shared
        // framework), never by their name, so a package named Microsoft.Extensions.Logging or
        // System.Reactive is scanned. MSBuild compiles this file alone, so it keeps its own copy of
        // the rule; ReferenceScannerTests holds the two in step.
        public static bool IsFramework(string assemblyName) =>
            assemblyName == "netstandard" || assemblyName == "mscorlib" || assemblyName == "System" || assemblyName == "WindowsBase"
            || assemblyName.StartsWith("System.", StringComparison.Ordinal) || assemblyName.StartsWith("Microsoft.", StringComparison.Ordinal);

        // The support table's resource in the analyzer assembly (SupportTable.ResourceName there).
        public const string SupportTableResourceName = "Unikraft.Gen.SupportTable.tsv";

        // The text of the support table embedded in the analyzer assembly, or null when the image
        // holds no such resource. Reading it from the analyzer that will check the calls keeps the
        // two on the same table, in a package and in this repository alike.
        public static string? ReadSupportTable(Stream analyzerImage)
        {
            using (var peReader = new PEReader(analyzerImage, PEStreamOptions.LeaveOpen))
            {
                if (!peReader.HasMetadata || peReader.PEHeaders.CorHeader is null)
                {
                    return null;
                }

                MetadataReader reader = peReader.GetMetadataReader();
                foreach (ManifestResourceHandle handle in reader.ManifestResources)
                {
                    ManifestResource resource = reader.GetManifestResource(handle);
                    if (!resource.Implementation.IsNil || reader.GetString(resource.Name) != SupportTableResourceName)
                    {
                        continue;
                    }

                    // NOTE: ECMA-335 Partition II, 24.2.4 ("ManifestResource"): an embedded resource
                    // sits at its Offset in the CLI header's Resources directory, as a 4-byte
                    // little-endian length followed by that many bytes.
                    PEMemoryBlock resources = peReader.GetSectionData(peReader.PEHeaders.CorHeader.ResourcesDirectory.RelativeVirtualAddress);
                    if (resource.Offset < 0 || resource.Offset > resources.Length - 4)
                    {
                        return null;
                    }

                    BlobReader blob = resources.GetReader((int)resource.Offset, resources.Length - (int)resource.Offset);
                    int length = blob.ReadInt32();
                    return length < 0 || length > blob.RemainingBytes ? null : blob.ReadUTF8(length);
                }

                return null;
            }
        }

        // The types the support table has rows for, by metadata name: "System.IO.File" for
        // "M:System.IO.File.ReadAllText". Only calls into these can raise UK0301, so the scan keeps
        // no others; without the filter a package such as Newtonsoft.Json gives thousands of lines
        // (string.Length, object..ctor) that every compilation would read and drop.
        public static HashSet<string> SupportedTypeNames(string supportTable)
        {
            var names = new HashSet<string>(StringComparer.Ordinal);
            foreach (string line in supportTable.Split('\n'))
            {
                if (line.Length < 3 || line[0] == '#' || line[1] != ':' || line[0] == 'S')
                {
                    continue;
                }

                int tab = line.IndexOf('\t');
                string member = (tab < 0 ? line : line.Substring(0, tab)).TrimEnd('\r').Substring(2);
                bool namesMember = line[0] == 'M' || line[0] == 'P';
                int dot = member.LastIndexOf('.');
                names.Add(namesMember && dot > 0 ? member.Substring(0, dot) : member);
            }

            return names;
        }

        // Reads an assembly image and returns every call and member token its method bodies use
        // of a framework type, every P/Invoke it declares and every call through an unmanaged
        // function pointer it makes. With typeNames, only calls and tokens of those types are kept
        // (P/Invokes and unmanaged calls always are). The caller decides that the assembly is worth
        // scanning (not part of a shared framework); the scan does not judge it by its name. Code
        // of the generator's own output in a library built with it (GeneratedOutputMarker) is left
        // out. A method body that cannot be walked is counted and skipped; an image that is not a
        // .NET assembly throws BadImageFormatException.
        public static AssemblyScan Scan(Stream image, ISet<string>? typeNames)
        {
            using (var peReader = new PEReader(image, PEStreamOptions.LeaveOpen | PEStreamOptions.PrefetchEntireImage))
            {
                if (!peReader.HasMetadata)
                {
                    throw new BadImageFormatException("the file has no .NET metadata (a native library?)");
                }

                MetadataReader reader = peReader.GetMetadataReader();
                if (!reader.IsAssembly)
                {
                    throw new BadImageFormatException("the file is a .NET module, not an assembly");
                }

                string assemblyName = reader.GetString(reader.GetAssemblyDefinition().Name);
                bool marked = GeneratedOutputMarker.IsMarked(reader);
                var calls = new SortedSet<ReferenceCall>();
                var tokens = new List<InstructionToken>();
                var signatureNames = new SignatureNames();
                int unreadable = 0;
                foreach (MethodDefinitionHandle handle in reader.MethodDefinitions)
                {
                    MethodDefinition method = reader.GetMethodDefinition(handle);
                    if (marked && GeneratedOutputMarker.IsReservedNamespace(reader, method.GetDeclaringType()))
                    {
                        continue;
                    }

                    try
                    {
                        // NOTE: ECMA-335 Partition II, 22.26 and 22.22: a method with pinvokeimpl has
                        // its native library and entry point in the ImplMap table; an empty entry
                        // point name means the method's own name.
                        if ((method.Attributes & MethodAttributes.PinvokeImpl) != 0)
                        {
                            MethodImport import = method.GetImport();
                            string library = import.Module.IsNil ? string.Empty : reader.GetString(reader.GetModuleReference(import.Module).Name);
                            string entryPoint = import.Name.IsNil ? reader.GetString(method.Name) : reader.GetString(import.Name);
                            calls.Add(new ReferenceCall(ReferenceUseKind.PInvoke, CallerName(reader, method, signatureNames), library, entryPoint));
                        }

                        if (method.RelativeVirtualAddress == 0)
                        {
                            continue;
                        }

                        tokens.Clear();
                        byte[] il = peReader.GetMethodBody(method.RelativeVirtualAddress).GetILBytes() ?? new byte[0];
                        if (!TryCollectTokens(il, tokens))
                        {
                            unreadable++;
                            continue;
                        }

                        string? caller = null;
                        foreach (InstructionToken token in tokens)
                        {
                            EntityHandle target = MetadataTokens.EntityHandle(token.Token);
                            if (token.Kind == ReferenceUseKind.UnmanagedCalli)
                            {
                                if (TryNameUnmanagedSignature(reader, target, method, signatureNames, out string convention, out string signature))
                                {
                                    caller ??= CallerName(reader, method, signatureNames);
                                    calls.Add(new ReferenceCall(ReferenceUseKind.UnmanagedCalli, caller, convention, signature));
                                }

                                continue;
                            }

                            if (TryNameFrameworkMember(reader, target, out string typeName, out string memberName, out MemberReference member)
                                && (typeNames is null || typeNames.Contains(typeName)))
                            {
                                caller ??= CallerName(reader, method, signatureNames);
                                calls.Add(new ReferenceCall(token.Kind, caller, typeName, memberName, FirstParameter(member, signatureNames, new GenericNames(reader, method))));
                            }
                        }
                    }
                    catch (BadImageFormatException)
                    {
                        unreadable++;
                    }
                }

                return new AssemblyScan(assemblyName, new List<ReferenceCall>(calls), unreadable);
            }
        }

        // The file's text: the header; then per assembly, sorted so that the same references
        // always give the same bytes, a line with its name alone when every method body was read
        // (the analyzer then trusts the scan over the assembly's metadata), and a line
        // "assembly, kind, caller, type, member, first parameter" per use.
        public static string Format(IEnumerable<AssemblyScan> scans)
        {
            var sorted = new List<AssemblyScan>(scans);
            sorted.Sort((left, right) => string.CompareOrdinal(left.AssemblyName, right.AssemblyName));
            var text = new StringBuilder();
            text.Append(Header).Append('\n');
            foreach (AssemblyScan scan in sorted)
            {
                if (scan.UnreadableMethods == 0)
                {
                    text.Append(Cell(scan.AssemblyName)).Append('\n');
                }

                foreach (ReferenceCall call in scan.Calls)
                {
                    text.Append(Cell(scan.AssemblyName)).Append('\t').Append(KindName(call.Kind)).Append('\t').Append(Cell(call.Caller)).Append('\t')
                        .Append(Cell(call.TypeName)).Append('\t').Append(Cell(call.MemberName)).Append('\t').Append(Cell(call.FirstParameter)).Append('\n');
                }
            }

            return text.ToString();
        }

        // Metadata names may hold any character; a tab or a line break would split a row.
        private static string Cell(string value) =>
            value.IndexOfAny(s_separators) < 0 ? value : value.Replace('\t', ' ').Replace('\r', ' ').Replace('\n', ' ');

        private static readonly char[] s_separators = { '\t', '\r', '\n' };

        // NOTE: ECMA-335 Partition III, 1.2.1 "Opcode encodings": an instruction is a one-byte
        // opcode, or the byte 0xFE followed by a second byte, then its operand. The operand's size
        // follows from the opcode's operand type (Partition III, 1.2 and each instruction's
        // "Format"), except for switch (Partition III, 3.66): a 4-byte count N, then N 4-byte
        // branch targets. The table comes from System.Reflection.Emit.OpCodes, the BCL's own list of
        // the instruction set, rather than from 256 hand-written entries.
        private const int Undefined = -1;
        private const int SwitchOperand = -2;
        private const int TwoBytePrefix = 0xFE;
        private static readonly int[] s_oneByteOperandSizes = OperandSizes(twoByte: false, memberOperandsOnly: false);
        private static readonly int[] s_twoByteOperandSizes = OperandSizes(twoByte: true, memberOperandsOnly: false);

        // What an opcode's token operand is used for (TokenUse): a method or field token (call,
        // callvirt, newobj, jmp, ldftn, ldvirtftn; ldfld, ldsfld, stfld and the rest) names a member
        // it uses; ldtoken's (InlineTok) a member or type it makes a handle of; calli's (InlineSig) the
        // signature of a function it calls through a pointer.
        private static readonly int[] s_oneByteMemberOperands = OperandSizes(twoByte: false, memberOperandsOnly: true);
        private static readonly int[] s_twoByteMemberOperands = OperandSizes(twoByte: true, memberOperandsOnly: true);

        private const int NoToken = 0;
        private const int MemberToken = 1;
        private const int HandleToken = 2;
        private const int SignatureToken = 3;

        private static int[] OperandSizes(bool twoByte, bool memberOperandsOnly)
        {
            var sizes = new int[256];
            for (int index = 0; index < sizes.Length; index++)
            {
                sizes[index] = Undefined;
            }

            foreach (FieldInfo field in typeof(OpCodes).GetFields(BindingFlags.Public | BindingFlags.Static))
            {
                if (field.GetValue(null) is not OpCode opcode || opcode.OpCodeType == OpCodeType.Nternal || (opcode.Size == 2) != twoByte)
                {
                    continue;
                }

                int size = OperandSize(opcode.OperandType);
                sizes[opcode.Value & 0xFF] = memberOperandsOnly ? TokenUse(opcode.OperandType) : size;
            }

            return sizes;
        }

        private static int TokenUse(OperandType operandType)
        {
            switch (operandType)
            {
                case OperandType.InlineMethod:
                case OperandType.InlineField:
                    return MemberToken;
                case OperandType.InlineTok:
                    return HandleToken;
                case OperandType.InlineSig:
                    return SignatureToken;
                default:
                    return NoToken;
            }
        }

        private static int OperandSize(OperandType operandType)
        {
            switch (operandType)
            {
                case OperandType.InlineNone:
                    return 0;
                case OperandType.ShortInlineBrTarget:
                case OperandType.ShortInlineI:
                case OperandType.ShortInlineVar:
                    return 1;
                case OperandType.InlineVar:
                    return 2;
                case OperandType.InlineBrTarget:
                case OperandType.InlineField:
                case OperandType.InlineI:
                case OperandType.InlineMethod:
                case OperandType.InlineSig:
                case OperandType.InlineString:
                case OperandType.InlineTok:
                case OperandType.InlineType:
                case OperandType.ShortInlineR:
                    return 4;
                case OperandType.InlineI8:
                case OperandType.InlineR:
                    return 8;
                case OperandType.InlineSwitch:
                    return SwitchOperand;
                default:
                    return Undefined;
            }
        }

        // Walks a method body's IL instruction by instruction and collects the member tokens it
        // uses. False when the body holds an undefined opcode or ends inside an operand: then none
        // of it can be trusted.
        public static bool TryCollectMemberTokens(byte[] il, List<int> tokens)
        {
            var all = new List<InstructionToken>();
            if (!TryCollectTokens(il, all))
            {
                return false;
            }

            foreach (InstructionToken token in all)
            {
                if (token.Kind == ReferenceUseKind.Call)
                {
                    tokens.Add(token.Token);
                }
            }

            return true;
        }

        // Every token operand that names what a body uses: members (Call), ldtoken's handles
        // (Token) and calli's signatures (UnmanagedCalli, before its convention is looked at).
        public static bool TryCollectTokens(byte[] il, List<InstructionToken> tokens)
        {
            int offset = 0;
            while (offset < il.Length)
            {
                int code = il[offset++];
                bool twoByte = code == TwoBytePrefix;
                if (twoByte)
                {
                    if (offset == il.Length)
                    {
                        return false;
                    }

                    code = il[offset++];
                }

                int size = twoByte ? s_twoByteOperandSizes[code] : s_oneByteOperandSizes[code];
                if (size == SwitchOperand)
                {
                    if (il.Length - offset < 4)
                    {
                        return false;
                    }

                    uint targets = (uint)ReadInt32(il, offset);
                    offset += 4;
                    if (targets > (uint)(il.Length - offset) / 4)
                    {
                        return false;
                    }

                    size = (int)targets * 4;
                }

                if (size == Undefined || il.Length - offset < size)
                {
                    return false;
                }

                switch (twoByte ? s_twoByteMemberOperands[code] : s_oneByteMemberOperands[code])
                {
                    case MemberToken:
                        tokens.Add(new InstructionToken(ReferenceUseKind.Call, ReadInt32(il, offset)));
                        break;
                    case HandleToken:
                        tokens.Add(new InstructionToken(ReferenceUseKind.Token, ReadInt32(il, offset)));
                        break;
                    case SignatureToken:
                        tokens.Add(new InstructionToken(ReferenceUseKind.UnmanagedCalli, ReadInt32(il, offset)));
                        break;
                }

                offset += size;
            }

            return true;
        }

        // NOTE: operands, like every integer in the CLI file format, are little-endian
        // (ECMA-335 Partition II, 24.1 "Fixed fields").
        private static int ReadInt32(byte[] bytes, int offset) =>
            bytes[offset] | (bytes[offset + 1] << 8) | (bytes[offset + 2] << 16) | (bytes[offset + 3] << 24);

        // The calling convention and signature of a calli's stand-alone signature when it calls
        // native code: "cdecl" and "int(int)" for 'delegate* unmanaged[Cdecl]<int, int>'. False for
        // a managed function pointer (default or vararg convention), which calls managed code.
        private static bool TryNameUnmanagedSignature(MetadataReader reader, EntityHandle handle, MethodDefinition method, SignatureNames signatureNames,
            out string convention, out string signature)
        {
            convention = string.Empty;
            signature = string.Empty;
            if (handle.Kind != HandleKind.StandaloneSignature)
            {
                return false;
            }

            StandaloneSignature standalone = reader.GetStandaloneSignature((StandaloneSignatureHandle)handle);
            BlobReader blob = reader.GetBlobReader(standalone.Signature);

            // NOTE: ECMA-335 Partition II, 23.2.3 "StandAloneMethodSig": the first byte's low
            // nibble is the calling convention: 0 default and 5 vararg are managed; 1 C, 2 stdcall,
            // 3 thiscall and 4 fastcall are unmanaged, as is 9, "unmanaged" with the platform's
            // default convention (added in .NET 5 for 'delegate* unmanaged').
            switch (blob.ReadByte() & 0x0F)
            {
                case 1:
                    convention = "cdecl";
                    break;
                case 2:
                    convention = "stdcall";
                    break;
                case 3:
                    convention = "thiscall";
                    break;
                case 4:
                    convention = "fastcall";
                    break;
                case 9:
                    convention = "unmanaged";
                    break;
                default:
                    return false;
            }

            MethodSignature<string> decoded = standalone.DecodeMethodSignature(signatureNames, new GenericNames(reader, method));
            signature = decoded.ReturnType + "(" + string.Join(", ", decoded.ParameterTypes) + ")";
            return true;
        }

        // Names the member a token refers to when it lives in a framework assembly: a member
        // reference whose parent is a type reference (or a generic instantiation of one), or a
        // generic method instantiation of such a member. Members defined in the assembly itself,
        // and members of other non-framework assemblies, are not the support table's business.
        private static bool TryNameFrameworkMember(MetadataReader reader, EntityHandle handle, out string typeName, out string memberName, out MemberReference member)
        {
            typeName = string.Empty;
            memberName = string.Empty;
            member = default(MemberReference);
            if (handle.Kind == HandleKind.MethodSpecification)
            {
                handle = reader.GetMethodSpecification((MethodSpecificationHandle)handle).Method;
            }

            if (handle.Kind != HandleKind.MemberReference)
            {
                return false;
            }

            member = reader.GetMemberReference((MemberReferenceHandle)handle);
            EntityHandle parent = member.Parent;
            if (parent.Kind == HandleKind.TypeSpecification)
            {
                parent = GenericTypeOf(reader, (TypeSpecificationHandle)parent);
            }

            if (parent.Kind != HandleKind.TypeReference || !TryNameFrameworkType(reader, (TypeReferenceHandle)parent, out typeName))
            {
                return false;
            }

            memberName = reader.GetString(member.Name);
            return true;
        }

        // A method reference's first parameter type ("string"), or empty for a field or a method
        // with no parameters. The type parameters it names are the referenced type's, not the
        // caller's; only the first parameter's being a string matters to the support table.
        private static string FirstParameter(MemberReference member, SignatureNames signatureNames, GenericNames context)
        {
            if (member.GetKind() != MemberReferenceKind.Method)
            {
                return string.Empty;
            }

            MethodSignature<string> signature = member.DecodeMethodSignature(signatureNames, context);
            return signature.ParameterTypes.Length == 0 ? string.Empty : signature.ParameterTypes[0];
        }

        // The generic type of a "List<int>"-style instantiation, or a nil handle for any other
        // type specification (arrays, pointers, type parameters).
        private static EntityHandle GenericTypeOf(MetadataReader reader, TypeSpecificationHandle handle)
        {
            BlobReader signature = reader.GetBlobReader(reader.GetTypeSpecification(handle).Signature);
            if (signature.ReadSignatureTypeCode() != SignatureTypeCode.GenericTypeInstance)
            {
                return default(EntityHandle);
            }

            // The generic type is a class or value type; SignatureTypeCode.TypeHandle stands for both.
            return signature.ReadSignatureTypeCode() == SignatureTypeCode.TypeHandle ? signature.ReadTypeHandle() : default(EntityHandle);
        }

        // "System.Environment+SpecialFolder" for a type reference into a framework assembly, the
        // same names the support table and ReferenceScanAnalyzer use.
        private static bool TryNameFrameworkType(MetadataReader reader, TypeReferenceHandle handle, out string typeName)
        {
            typeName = string.Empty;
            TypeReference type = reader.GetTypeReference(handle);
            string name = reader.GetString(type.Name);
            EntityHandle scope = type.ResolutionScope;
            if (scope.Kind == HandleKind.TypeReference)
            {
                if (!TryNameFrameworkType(reader, (TypeReferenceHandle)scope, out string outer))
                {
                    return false;
                }

                typeName = outer + "+" + name;
                return true;
            }

            if (scope.Kind != HandleKind.AssemblyReference
                || !IsFramework(reader.GetString(reader.GetAssemblyReference((AssemblyReferenceHandle)scope).Name)))
            {
                return false;
            }

            string space = reader.GetString(type.Namespace);
            typeName = space.Length == 0 ? name : space + "." + name;
            return true;
        }

        // How a reader would name the calling method: "Lib.Runner.Start(string, int)". The
        // compiler's own methods are named after the method whose source they hold, so that the
        // name points at code the library's author wrote: "Lib.Runner.Start (lambda)",
        // "Lib.Runner.LoadAsync (async or iterator body)", "Lib.Runner.Start (local function Log)".
        private static string CallerName(MetadataReader reader, MethodDefinition method, SignatureNames signatureNames)
        {
            string methodName = reader.GetString(method.Name);
            TypeDefinitionHandle typeHandle = method.GetDeclaringType();
            string? generatedFrom = GeneratedFrom(methodName);
            string generatedKind = generatedFrom is null ? string.Empty : GeneratedKind(methodName);
            while (true)
            {
                // Only nested types are the compiler's closures and state machines; a top-level
                // "<Module>" or "<PrivateImplementationDetails>" is named as it is.
                TypeDefinition type = reader.GetTypeDefinition(typeHandle);
                string typeName = reader.GetString(type.Name);
                if (type.GetDeclaringType().IsNil || !typeName.StartsWith("<", StringComparison.Ordinal))
                {
                    break;
                }

                // A state machine "<LoadAsync>d__3" names its method; a closure class "<>c" or
                // "<>c__DisplayClass0_0" does not, and the lambda's own name does.
                string? typeFrom = GeneratedFrom(typeName);
                if (generatedFrom is null && typeFrom is not null)
                {
                    generatedFrom = typeFrom;
                    generatedKind = GeneratedKind(typeName);
                }

                typeHandle = type.GetDeclaringType();
            }

            string declaringType = TypeDisplayName(reader, typeHandle);
            if (generatedFrom is not null)
            {
                return declaringType + "." + generatedFrom + " (" + generatedKind + ")";
            }

            if (methodName == ".cctor")
            {
                return declaringType + " (static constructor)";
            }

            if (methodName == ".ctor")
            {
                methodName = ShortName(reader.GetString(reader.GetTypeDefinition(method.GetDeclaringType()).Name));
            }

            var context = new GenericNames(reader, method);
            string typeParameters = context.MethodParameters.Length == 0 ? string.Empty : "<" + string.Join(", ", context.MethodParameters) + ">";
            MethodSignature<string> signature = method.DecodeSignature(signatureNames, context);
            return declaringType + "." + methodName + typeParameters + "(" + string.Join(", ", signature.ParameterTypes) + ")";
        }

        // "Start" for the compiler's "<Start>b__0_0" or "<Start>d__3"; null for a name the
        // compiler did not make up, or one that names no method ("<>c", "<>c__DisplayClass0_0").
        private static string? GeneratedFrom(string name)
        {
            int close = name.IndexOf('>');
            return name.StartsWith("<", StringComparison.Ordinal) && close > 1 ? name.Substring(1, close - 1) : null;
        }

        // NOTE: the letter after '>' is Roslyn's GeneratedNameKind (roslyn
        // src/Compilers/CSharp/Portable/Symbols/Synthesized/GeneratedNameKind.cs): 'b' a lambda,
        // 'g' a local function ("<Start>g__Log|0_0"), 'd' an async or iterator state machine.
        private static string GeneratedKind(string name)
        {
            int close = name.IndexOf('>');
            char kind = close + 1 < name.Length ? name[close + 1] : ' ';
            switch (kind)
            {
                case 'b':
                    return "lambda";
                case 'g':
                    int start = close + 4;
                    int end = name.IndexOf('|', start);
                    return start < name.Length && end > start ? "local function " + name.Substring(start, end - start) : "local function";
                case 'd':
                    return "async or iterator body";
                default:
                    return "compiler-generated";
            }
        }

        // "Lib.Runner" or "Lib.Outer.Inner": namespaces and enclosing types joined with dots, the
        // generic arity suffix ("`1") dropped.
        private static string TypeDisplayName(MetadataReader reader, TypeDefinitionHandle handle)
        {
            TypeDefinition type = reader.GetTypeDefinition(handle);
            string name = ShortName(reader.GetString(type.Name));
            TypeDefinitionHandle outer = type.GetDeclaringType();
            if (!outer.IsNil)
            {
                return TypeDisplayName(reader, outer) + "." + name;
            }

            string space = reader.GetString(type.Namespace);
            return space.Length == 0 ? name : space + "." + name;
        }

        private static string ShortName(string metadataName)
        {
            int tick = metadataName.IndexOf('`');
            return tick < 0 ? metadataName : metadataName.Substring(0, tick);
        }

        // The names of the type parameters in scope of a method: its type's (outer types' first,
        // as metadata numbers them) and its own.
        private sealed class GenericNames
        {
            public GenericNames(MetadataReader reader, MethodDefinition method)
            {
                TypeParameters = Names(reader, reader.GetTypeDefinition(method.GetDeclaringType()).GetGenericParameters());
                MethodParameters = Names(reader, method.GetGenericParameters());
            }

            public string[] TypeParameters { get; }

            public string[] MethodParameters { get; }

            private static string[] Names(MetadataReader reader, GenericParameterHandleCollection handles)
            {
                var names = new string[handles.Count];
                int index = 0;
                foreach (GenericParameterHandle handle in handles)
                {
                    names[index++] = reader.GetString(reader.GetGenericParameter(handle).Name);
                }

                return names;
            }
        }

        // Parameter types as C# writes them, short: "string", "List<int>", "ref Span<byte>".
        private sealed class SignatureNames : ISignatureTypeProvider<string, GenericNames>
        {
            public string GetPrimitiveType(PrimitiveTypeCode typeCode)
            {
                switch (typeCode)
                {
                    case PrimitiveTypeCode.Boolean: return "bool";
                    case PrimitiveTypeCode.Byte: return "byte";
                    case PrimitiveTypeCode.Char: return "char";
                    case PrimitiveTypeCode.Double: return "double";
                    case PrimitiveTypeCode.Int16: return "short";
                    case PrimitiveTypeCode.Int32: return "int";
                    case PrimitiveTypeCode.Int64: return "long";
                    case PrimitiveTypeCode.IntPtr: return "nint";
                    case PrimitiveTypeCode.Object: return "object";
                    case PrimitiveTypeCode.SByte: return "sbyte";
                    case PrimitiveTypeCode.Single: return "float";
                    case PrimitiveTypeCode.String: return "string";
                    case PrimitiveTypeCode.TypedReference: return "TypedReference";
                    case PrimitiveTypeCode.UInt16: return "ushort";
                    case PrimitiveTypeCode.UInt32: return "uint";
                    case PrimitiveTypeCode.UInt64: return "ulong";
                    case PrimitiveTypeCode.UIntPtr: return "nuint";
                    default: return "void";
                }
            }

            public string GetTypeFromDefinition(MetadataReader reader, TypeDefinitionHandle handle, byte rawTypeKind) =>
                ShortName(reader.GetString(reader.GetTypeDefinition(handle).Name));

            public string GetTypeFromReference(MetadataReader reader, TypeReferenceHandle handle, byte rawTypeKind) =>
                ShortName(reader.GetString(reader.GetTypeReference(handle).Name));

            public string GetTypeFromSpecification(MetadataReader reader, GenericNames genericContext, TypeSpecificationHandle handle, byte rawTypeKind) =>
                reader.GetTypeSpecification(handle).DecodeSignature(this, genericContext);

            public string GetSZArrayType(string elementType) => elementType + "[]";

            public string GetArrayType(string elementType, ArrayShape shape) => elementType + "[" + new string(',', Math.Max(0, shape.Rank - 1)) + "]";

            public string GetByReferenceType(string elementType) => "ref " + elementType;

            public string GetPointerType(string elementType) => elementType + "*";

            public string GetPinnedType(string elementType) => elementType;

            public string GetModifiedType(string modifier, string unmodifiedType, bool isRequired) => unmodifiedType;

            public string GetFunctionPointerType(MethodSignature<string> signature) => "delegate*";

            public string GetGenericInstantiation(string genericType, ImmutableArray<string> typeArguments) =>
                genericType == "Nullable" && typeArguments.Length == 1 ? typeArguments[0] + "?" : genericType + "<" + string.Join(", ", typeArguments) + ">";

            public string GetGenericTypeParameter(GenericNames genericContext, int index) =>
                index < genericContext.TypeParameters.Length ? genericContext.TypeParameters[index] : "T" + index;

            public string GetGenericMethodParameter(GenericNames genericContext, int index) =>
                index < genericContext.MethodParameters.Length ? genericContext.MethodParameters[index] : "M" + index;
        }
    }

#if !UNIKRAFT_REFERENCE_SCANNER_ONLY
    // The MSBuild task: scans References (each replaced by the runtime assembly of the same file
    // name in RuntimeAssemblies, when there is one: a package's compile-time reference assembly
    // has no method bodies) and writes Output. The file is rewritten only when its text changes,
    // so unchanged references leave the build incremental. An assembly that cannot be read is
    // skipped with a low-importance message: UK0301 then falls back to its metadata.
    public sealed class ReferenceScanTask : Microsoft.Build.Utilities.Task
    {
        [Microsoft.Build.Framework.Required]
        public Microsoft.Build.Framework.ITaskItem[] References { get; set; } = new Microsoft.Build.Framework.ITaskItem[0];

        public Microsoft.Build.Framework.ITaskItem[] RuntimeAssemblies { get; set; } = new Microsoft.Build.Framework.ITaskItem[0];

        // The compiler's analyzers: the support table is read from Unikraft.Gen.Analyzers.dll or
        // Unikraft.Gen.Generators.dll among them (both embed it). Without either, every framework
        // call is kept.
        public Microsoft.Build.Framework.ITaskItem[] Analyzers { get; set; } = new Microsoft.Build.Framework.ITaskItem[0];

        [Microsoft.Build.Framework.Required]
        public string Output { get; set; } = "";

        public override bool Execute()
        {
            var runtimeByFileName = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            foreach (Microsoft.Build.Framework.ITaskItem item in RuntimeAssemblies)
            {
                string fileName = Path.GetFileName(item.ItemSpec);
                if (!runtimeByFileName.ContainsKey(fileName))
                {
                    runtimeByFileName.Add(fileName, item.GetMetadata("FullPath"));
                }
            }

            HashSet<string>? typeNames = ReadSupportedTypeNames();
            var scans = new List<AssemblyScan>();
            var scanned = new HashSet<string>(StringComparer.Ordinal);
            foreach (Microsoft.Build.Framework.ITaskItem item in References)
            {
                string path = item.GetMetadata("FullPath");
                if (runtimeByFileName.TryGetValue(Path.GetFileName(path), out string? runtimePath))
                {
                    path = runtimePath;
                }

                if (!scanned.Add(path))
                {
                    continue;
                }

                try
                {
                    AssemblyScan scan = ScanFile(path, typeNames);
                    scans.Add(scan);
                    if (scan.UnreadableMethods > 0)
                    {
                        Log.LogMessage(Microsoft.Build.Framework.MessageImportance.Low,
                            "UK0301 reference scan: {0} method bodies in '{1}' could not be read and were skipped.", scan.UnreadableMethods, path);
                    }
                }
                catch (Exception exception) when (exception is BadImageFormatException || exception is IOException
                    || exception is UnauthorizedAccessException || exception is InvalidOperationException)
                {
                    Log.LogMessage(Microsoft.Build.Framework.MessageImportance.Low,
                        "UK0301 reference scan: skipped '{0}', which cannot be read as a .NET assembly ({1}); UK0301 reports its calls without the calling methods.", path, exception.Message);
                }
            }

            string text = ReferenceScanner.Format(scans);
            try
            {
                string output = Path.GetFullPath(Output);
                if (File.Exists(output) && File.ReadAllText(output) == text)
                {
                    return true;
                }

                string? directory = Path.GetDirectoryName(output);
                if (!string.IsNullOrEmpty(directory))
                {
                    Directory.CreateDirectory(directory);
                }

                File.WriteAllText(output, text, new UTF8Encoding(false));
                return true;
            }
            catch (Exception exception) when (exception is IOException || exception is UnauthorizedAccessException)
            {
                Log.LogError("UK0301 reference scan: cannot write '{0}': {1}", Output, exception.Message);
                return false;
            }
        }

        // The scan of one file.
        private static AssemblyScan ScanFile(string path, ISet<string>? typeNames)
        {
            using (var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete))
            {
                return ReferenceScanner.Scan(stream, typeNames);
            }
        }

        private HashSet<string>? ReadSupportedTypeNames()
        {
            foreach (Microsoft.Build.Framework.ITaskItem item in Analyzers)
            {
                string path = item.GetMetadata("FullPath");
                string fileName = Path.GetFileName(path);
                if (!string.Equals(fileName, "Unikraft.Gen.Analyzers.dll", StringComparison.OrdinalIgnoreCase)
                    && !string.Equals(fileName, "Unikraft.Gen.Generators.dll", StringComparison.OrdinalIgnoreCase))
                {
                    continue;
                }

                try
                {
                    using (var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete))
                    {
                        string? table = ReferenceScanner.ReadSupportTable(stream);
                        if (table is not null)
                        {
                            return ReferenceScanner.SupportedTypeNames(table);
                        }
                    }
                }
                catch (Exception exception) when (exception is BadImageFormatException || exception is IOException
                    || exception is UnauthorizedAccessException || exception is InvalidOperationException)
                {
                    Log.LogMessage(Microsoft.Build.Framework.MessageImportance.Low,
                        "UK0301 reference scan: cannot read the support table from '{0}' ({1}); every framework call is kept.", path, exception.Message);
                }
            }

            Log.LogMessage(Microsoft.Build.Framework.MessageImportance.Low,
                "UK0301 reference scan: no support table among the analyzers; every framework call is kept.");
            return null;
        }
    }
#endif
}
