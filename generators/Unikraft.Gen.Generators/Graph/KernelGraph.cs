// The kernel's member graph: every declared type and member of the kernel sources, where each is
// declared, what each refers to, and the roles the kernel gives them (syscall, boot step, device).
// The graph tool (generators/Unikraft.Gen.KernelGraph) writes it when the generator is built; the
// generator reads it and prunes the embedded kernel sources with it. This file is compiled into
// both, so writer and reader cannot drift apart.
using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Text;

namespace Unikraft.Gen.Graph
{
    internal sealed class GraphFile
    {
        public GraphFile(int index, string path, string folder, bool isApi, bool isDescriptor)
        {
            Index = index;
            Path = path;
            Folder = folder;
            IsApi = isApi;
            IsDescriptor = isDescriptor;
        }

        public int Index { get; }

        // Relative to kernel/, with '/' separators, such as "Console/ConsoleSyscalls.cs".
        public string Path { get; }

        // The micro-library folder, such as "Console" or "Platform/Hosted".
        public string Folder { get; }

        // The app-facing API (kernel/Api): its static types by name in post-initialization output,
        // its members pruned with the kernel.
        public bool IsApi { get; }

        // A Library.cs: it describes its library and is never emitted.
        public bool IsDescriptor { get; }
    }

    internal sealed class GraphLibrary
    {
        public GraphLibrary(string folder, string name, string summary, string[] needs)
        {
            Folder = folder;
            Name = name;
            Summary = summary;
            Needs = needs;
        }

        public string Folder { get; }

        public string Name { get; }

        public string Summary { get; }

        public string[] Needs { get; }
    }

    internal sealed class GraphSymbol
    {
        public const int NoBootOrder = int.MinValue;

        public int Id { get; set; }

        // "type", "method", "constructor", "property", "field", "enum-member", "operator", ...
        public string Kind { get; set; } = "";

        // The containing type's symbol, or -1 for a top-level type.
        public int Container { get; set; } = -1;

        public string Folder { get; set; } = "";

        public bool IsApi { get; set; }

        // A member of an instance (not static, not a type): reached through any expression.
        public bool IsInstance { get; set; }

        // Private, or inside a private type: the program cannot name it.
        public bool IsPrivate { get; set; }

        // The syscall number for a [Syscall] method, or -1.
        public int Syscall { get; set; } = -1;

        // The Order of a [BootStep] method, or NoBootOrder.
        public int BootOrder { get; set; } = NoBootOrder;

        // The kind of a [Device] class, or "".
        public string Device { get; set; } = "";

        // For an entry point of the BCL's native layer ([UnmanagedCallersOnly(EntryPoint =
        // "__wrap_SystemNative_Open")]): the function it serves ("SystemNative_Open"), or "".
        public string NativeEntry { get; set; } = "";

        // It overrides or implements a member of a type outside the kernel (SynchronizationContext.Post,
        // IDisposable.Dispose, ToString): kept when that member can be called on an instance of its
        // type, by kept code or by the runtime (ExternalBases names the members).
        public bool ExternalOverride { get; set; }

        // It implements a BCL interface member or overrides an abstract BCL member: a kept type that
        // declares it cannot compile without it.
        public bool ExternalRequired { get; set; }

        // A struct: a value of it exists without any constructor call (default).
        public bool IsValueType { get; set; }

        // For a field: assigned by its initializer. Otherwise the members in AssignedBy assign it
        // other than by a 'field = value;' statement (x++, x |= y, out x, x ??= ...), and its
        // GraphWrites by such statements: it is assigned in a kernel that keeps one of them.
        public bool IsAssigned { get; set; }

        public int[] AssignedBy { get; set; } = Array.Empty<int>();

        // The documentation ids of the BCL members it overrides or implements, with what those
        // override in turn: "M:System.ValueType.ToString", "M:System.Object.ToString".
        public string[] ExternalBases { get; set; } = Array.Empty<string>();

        // The documentation ids of the BCL members its body calls (only those some kernel member
        // overrides, and SynchronizationContext.SetSynchronizationContext).
        public string[] ExternalCalls { get; set; } = Array.Empty<string>();

        // The kernel types its body creates instances of ('new T(...)').
        public int[] Creates { get; set; } = Array.Empty<int>();

        // The kernel types whose instances its body hands to code outside the kernel: boxed,
        // converted to a BCL base type or interface, or a BCL generic's type argument.
        public int[] Hands { get; set; } = Array.Empty<int>();

        // For a type: its kernel base classes and interfaces, all the way up.
        public int[] Bases { get; set; } = Array.Empty<int>();

        // The documentation comment id, such as "M:Unikraft.Kernel.Sys.Write(...)": a stable name.
        public string DocId { get; set; } = "";

        // What the member's body refers to (followed when the member is kept with its body).
        public int[] BodyEdges { get; set; } = Array.Empty<int>();

        // What its signature and attributes refer to (followed whenever it is kept at all).
        public int[] SignatureEdges { get; set; } = Array.Empty<int>();

        // What the syscall stub that replaces its body refers to.
        public int[] StubEdges { get; set; } = Array.Empty<int>();

        // Kernel members it overrides or implements explicitly: they must be kept when it is.
        public int[] Links { get; set; } = Array.Empty<int>();

        // Kernel interface members it implements implicitly: it is kept when they are (and its type
        // is), but it may live on without them, as any public member of its class.
        public int[] Implements { get; set; } = Array.Empty<int>();

        // For an API member: the kernel features it needs ([KernelFeature("FileWrite")]).
        public string[] Features { get; set; } = Array.Empty<string>();

        // A short readable name for reports, such as "Kernel.Run".
        public string DisplayName
        {
            get
            {
                string id = DocId.Length > 2 ? DocId.Substring(2) : DocId;
                int paren = id.IndexOf('(');
                if (paren >= 0)
                {
                    id = id.Substring(0, paren);
                }

                const string prefix = "Unikraft.Kernel.";
                return id.StartsWith(prefix, StringComparison.Ordinal) ? id.Substring(prefix.Length) : id;
            }
        }
    }

    internal sealed class GraphDeclaration
    {
        public GraphDeclaration(int symbol, int file, int start, int length, int stubStart, int stubLength, string stubText)
        {
            Symbol = symbol;
            File = file;
            Start = start;
            Length = length;
            StubStart = stubStart;
            StubLength = stubLength;
            StubText = stubText;
        }

        public int Symbol { get; }

        public int File { get; }

        // The span removed when the symbol is pruned: the declaration with its leading comments.
        public int Start { get; }

        public int Length { get; }

        // The span of its body: for a syscall, replaced by StubText (a -ENOSYS stub) when the syscall
        // is not planned; for another member, by StubText (a throw) when the member is kept only
        // because the compiler requires it of its type and nothing can call it. -1: no body.
        public int StubStart { get; }

        public int StubLength { get; }

        public string StubText { get; }
    }

    // A statement 'if (KernelFeatures.X) { ... }' inside a member's body: removed, with what it
    // refers to, when the program needs no feature X.
    internal sealed class GraphGuard
    {
        public GraphGuard(int symbol, string feature, int file, int start, int length, GraphRefs refs)
        {
            Symbol = symbol;
            Feature = feature;
            File = file;
            Start = start;
            Length = length;
            Refs = refs;
        }

        public int Symbol { get; }

        public string Feature { get; }

        public int File { get; }

        public int Start { get; }

        public int Length { get; }

        public GraphRefs Refs { get; }

        // The "feature" of a name table's section ([NameTable]): it is no feature switch; the
        // section stays while other kept code keeps the constant it names.
        public const string WhileKept = "(while its constant is kept)";

        public bool IsNameTableSection => Feature == WhileKept;
    }

    // What a piece of code inside a member refers to, when that piece can be removed on its own.
    internal sealed class GraphRefs
    {
        public GraphRefs(int[] edges, int[] creates, int[] hands, string[] externalCalls)
        {
            Edges = edges;
            Creates = creates;
            Hands = hands;
            ExternalCalls = externalCalls;
        }

        public int[] Edges { get; }

        public int[] Creates { get; }

        public int[] Hands { get; }

        public string[] ExternalCalls { get; set; }

        public string Write() => KernelGraph.Join(Edges) + "\t" + KernelGraph.Join(Creates) + "\t" + KernelGraph.Join(Hands) + "\t" + string.Join(" ", ExternalCalls);

        public static GraphRefs Read(string[] cells, int at) =>
            new GraphRefs(KernelGraph.Ints(cells[at]), KernelGraph.Ints(cells[at + 1]), KernelGraph.Ints(cells[at + 2]),
                cells[at + 3].Length == 0 ? Array.Empty<string>() : cells[at + 3].Split(' '));
    }

    // A statement 'field = value;' inside a member's body. A field is kept only when something
    // reads it; when it is not, the statement goes with it, or, when the value has an effect of
    // its own (a call), only 'field' becomes '_'.
    internal sealed class GraphWrite
    {
        public GraphWrite(int symbol, int field, int file, int start, int length, int targetStart, int targetLength, bool pure, GraphRefs refs)
        {
            Symbol = symbol;
            Field = field;
            File = file;
            Start = start;
            Length = length;
            TargetStart = targetStart;
            TargetLength = targetLength;
            Pure = pure;
            Refs = refs;
        }

        // The member whose body holds the statement.
        public int Symbol { get; }

        public int Field { get; }

        public int File { get; }

        // The statement, with its leading comments.
        public int Start { get; }

        public int Length { get; }

        // "field = " or "this.field = ": replaced by "_ = " when the value stays.
        public int TargetStart { get; }

        public int TargetLength { get; }

        // The value has no effect but itself: the whole statement can go.
        public bool Pure { get; }

        // What the value refers to.
        public GraphRefs Refs { get; }
    }

    internal sealed class KernelGraph
    {
        private const string Magic = "unikraft-kernel-graph 5";

        // The call that hands a synchronization context to the runtime, which then calls its Post,
        // Send and CreateCopy: recorded wherever kernel code makes it.
        public const string SetSynchronizationContext = "M:System.Threading.SynchronizationContext.SetSynchronizationContext(System.Threading.SynchronizationContext)";

        public string SourceHash { get; set; } = "";

        public List<GraphFile> Files { get; } = new List<GraphFile>();

        public List<GraphLibrary> Libraries { get; } = new List<GraphLibrary>();

        public List<GraphSymbol> Symbols { get; } = new List<GraphSymbol>();

        public List<GraphDeclaration> Declarations { get; } = new List<GraphDeclaration>();

        public List<GraphGuard> Guards { get; } = new List<GraphGuard>();

        public List<GraphWrite> Writes { get; } = new List<GraphWrite>();

        // A hash of the kernel sources, in path order: the generator compares it with the sources it
        // embeds, so a graph left over from older sources is refused instead of pruning wrongly.
        public static string HashSources(IEnumerable<KeyValuePair<string, string>> pathAndText)
        {
            ulong hash = 14695981039346656037UL;
            foreach (KeyValuePair<string, string> item in pathAndText)
            {
                hash = Mix(hash, item.Key);
                hash = Mix(hash, "\0");
                hash = Mix(hash, item.Value);
                hash = Mix(hash, "\0");
            }

            return hash.ToString("x16", CultureInfo.InvariantCulture);

            static ulong Mix(ulong value, string text)
            {
                foreach (char c in text)
                {
                    value ^= c;
                    value *= 1099511628211UL;
                }

                return value;
            }
        }

        public string Write()
        {
            var builder = new StringBuilder();
            builder.Append(Magic).Append('\n');
            builder.Append("hash\t").Append(SourceHash).Append('\n');
            foreach (GraphFile file in Files)
            {
                builder.Append("file\t").Append(file.Index).Append('\t').Append(file.Path).Append('\t').Append(file.Folder)
                    .Append('\t').Append(file.IsDescriptor ? "descriptor" : file.IsApi ? "api" : "-").Append('\n');
            }

            foreach (GraphLibrary library in Libraries)
            {
                builder.Append("library\t").Append(library.Folder).Append('\t').Append(library.Name).Append('\t')
                    .Append(Escape(library.Summary)).Append('\t').Append(string.Join(",", library.Needs)).Append('\n');
            }

            foreach (GraphSymbol symbol in Symbols)
            {
                builder.Append("symbol\t").Append(symbol.Id).Append('\t').Append(symbol.Kind).Append('\t').Append(symbol.Container)
                    .Append('\t').Append(symbol.Folder).Append('\t').Append(symbol.IsApi ? "api" : "-")
                    .Append(symbol.ExternalOverride ? ",external-override" : "")
                    .Append(symbol.IsInstance ? ",instance" : "")
                    .Append(symbol.IsPrivate ? ",private" : "")
                    .Append(symbol.IsValueType ? ",value" : "")
                    .Append(symbol.ExternalRequired ? ",required" : "")
                    .Append(symbol.IsAssigned ? ",assigned" : "")
                    .Append('\t').Append(symbol.Syscall).Append('\t')
                    .Append(symbol.BootOrder == GraphSymbol.NoBootOrder ? "-" : symbol.BootOrder.ToString(CultureInfo.InvariantCulture))
                    .Append('\t').Append(symbol.Device.Length == 0 ? "-" : symbol.Device).Append('\t').Append(symbol.DocId)
                    .Append('\t').Append(symbol.NativeEntry.Length == 0 ? "-" : symbol.NativeEntry).Append('\n');
                builder.Append("edges\t").Append(symbol.Id).Append('\t').Append(Join(symbol.BodyEdges)).Append('\t').Append(Join(symbol.SignatureEdges))
                    .Append('\t').Append(Join(symbol.StubEdges)).Append('\t').Append(Join(symbol.Links))
                    .Append('\t').Append(string.Join(",", symbol.Features)).Append('\t').Append(Join(symbol.Implements))
                    .Append('\t').Append(Join(symbol.Creates)).Append('\t').Append(Join(symbol.Hands)).Append('\t').Append(Join(symbol.Bases))
                    .Append('\t').Append(string.Join(" ", symbol.ExternalBases)).Append('\t').Append(string.Join(" ", symbol.ExternalCalls)).Append('\n');
            }

            foreach (GraphSymbol symbol in Symbols)
            {
                if (symbol.AssignedBy.Length > 0)
                {
                    builder.Append("assigned\t").Append(symbol.Id).Append('\t').Append(Join(symbol.AssignedBy)).Append('\n');
                }
            }

            foreach (GraphGuard guard in Guards)
            {
                builder.Append("guard\t").Append(guard.Symbol).Append('\t').Append(guard.Feature).Append('\t').Append(guard.File)
                    .Append('\t').Append(guard.Start).Append('\t').Append(guard.Length).Append('\t').Append(guard.Refs.Write()).Append('\n');
            }

            foreach (GraphWrite write in Writes)
            {
                builder.Append("write\t").Append(write.Symbol).Append('\t').Append(write.Field).Append('\t').Append(write.File)
                    .Append('\t').Append(write.Start).Append('\t').Append(write.Length).Append('\t').Append(write.TargetStart)
                    .Append('\t').Append(write.TargetLength).Append('\t').Append(write.Pure ? "pure" : "effect").Append('\t').Append(write.Refs.Write()).Append('\n');
            }

            foreach (GraphDeclaration declaration in Declarations)
            {
                builder.Append("decl\t").Append(declaration.Symbol).Append('\t').Append(declaration.File).Append('\t')
                    .Append(declaration.Start).Append('\t').Append(declaration.Length).Append('\t')
                    .Append(declaration.StubStart).Append('\t').Append(declaration.StubLength).Append('\t')
                    .Append(Escape(declaration.StubText)).Append('\n');
            }

            return builder.ToString();
        }

        public static KernelGraph Read(string text)
        {
            var graph = new KernelGraph();
            string[] lines = text.Split('\n');
            if (lines.Length == 0 || lines[0] != Magic)
            {
                throw new InvalidDataException("The kernel graph does not start with '" + Magic + "'.");
            }

            for (int index = 1; index < lines.Length; index++)
            {
                string line = lines[index];
                if (line.Length == 0)
                {
                    continue;
                }

                string[] cells = line.Split('\t');
                switch (cells[0])
                {
                    case "hash":
                        graph.SourceHash = cells[1];
                        break;
                    case "file":
                        graph.Files.Add(new GraphFile(Int(cells[1]), cells[2], cells[3], cells[4] == "api", cells[4] == "descriptor"));
                        break;
                    case "library":
                        graph.Libraries.Add(new GraphLibrary(cells[1], cells[2], Unescape(cells[3]),
                            cells[4].Length == 0 ? Array.Empty<string>() : cells[4].Split(',')));
                        break;
                    case "symbol":
                        graph.Symbols.Add(new GraphSymbol
                        {
                            Id = Int(cells[1]),
                            Kind = cells[2],
                            Container = Int(cells[3]),
                            Folder = cells[4],
                            IsApi = Flag(cells[5], "api"),
                            ExternalOverride = Flag(cells[5], "external-override"),
                            IsInstance = Flag(cells[5], "instance"),
                            IsPrivate = Flag(cells[5], "private"),
                            IsValueType = Flag(cells[5], "value"),
                            ExternalRequired = Flag(cells[5], "required"),
                            IsAssigned = Flag(cells[5], "assigned"),
                            Syscall = Int(cells[6]),
                            BootOrder = cells[7] == "-" ? GraphSymbol.NoBootOrder : Int(cells[7]),
                            Device = cells[8] == "-" ? "" : cells[8],
                            DocId = cells[9],
                            NativeEntry = cells[10] == "-" ? "" : cells[10],
                        });
                        break;
                    case "assigned":
                        graph.Symbols[Int(cells[1])].AssignedBy = Ints(cells[2]);
                        break;
                    case "edges":
                        GraphSymbol target = graph.Symbols[Int(cells[1])];
                        target.BodyEdges = Ints(cells[2]);
                        target.SignatureEdges = Ints(cells[3]);
                        target.StubEdges = Ints(cells[4]);
                        target.Links = Ints(cells[5]);
                        target.Features = cells[6].Length == 0 ? Array.Empty<string>() : cells[6].Split(',');
                        target.Implements = Ints(cells[7]);
                        target.Creates = Ints(cells[8]);
                        target.Hands = Ints(cells[9]);
                        target.Bases = Ints(cells[10]);
                        target.ExternalBases = cells[11].Length == 0 ? Array.Empty<string>() : cells[11].Split(' ');
                        target.ExternalCalls = cells[12].Length == 0 ? Array.Empty<string>() : cells[12].Split(' ');
                        break;
                    case "guard":
                        graph.Guards.Add(new GraphGuard(Int(cells[1]), cells[2], Int(cells[3]), Int(cells[4]), Int(cells[5]), GraphRefs.Read(cells, 6)));
                        break;
                    case "write":
                        graph.Writes.Add(new GraphWrite(Int(cells[1]), Int(cells[2]), Int(cells[3]), Int(cells[4]), Int(cells[5]), Int(cells[6]),
                            Int(cells[7]), cells[8] == "pure", GraphRefs.Read(cells, 9)));
                        break;
                    case "decl":
                        graph.Declarations.Add(new GraphDeclaration(Int(cells[1]), Int(cells[2]), Int(cells[3]), Int(cells[4]),
                            Int(cells[5]), Int(cells[6]), Unescape(cells[7])));
                        break;
                    default:
                        throw new InvalidDataException("The kernel graph has an unknown line " + (index + 1) + ": '" + cells[0] + "'.");
                }
            }

            return graph;
        }

        internal static string Join(int[] values)
        {
            var builder = new StringBuilder();
            for (int index = 0; index < values.Length; index++)
            {
                if (index > 0)
                {
                    builder.Append(' ');
                }

                builder.Append(values[index]);
            }

            return builder.ToString();
        }

        // The flags cell: "api,external-override,instance,private", "-", ...
        private static bool Flag(string cell, string flag) => Array.IndexOf(cell.Split(','), flag) >= 0;

        private static int Int(string text) => int.Parse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);

        internal static int[] Ints(string text)
        {
            if (text.Length == 0)
            {
                return Array.Empty<int>();
            }

            string[] parts = text.Split(' ');
            var values = new int[parts.Length];
            for (int index = 0; index < parts.Length; index++)
            {
                values[index] = Int(parts[index]);
            }

            return values;
        }

        private static string Escape(string text) => text.Replace("\\", "\\\\").Replace("\t", "\\t").Replace("\n", "\\n").Replace("\r", "\\r");

        private static string Unescape(string text)
        {
            if (text.IndexOf('\\') < 0)
            {
                return text;
            }

            var builder = new StringBuilder(text.Length);
            for (int index = 0; index < text.Length; index++)
            {
                char c = text[index];
                if (c == '\\' && index + 1 < text.Length)
                {
                    index++;
                    char next = text[index];
                    builder.Append(next == 't' ? '\t' : next == 'n' ? '\n' : next == 'r' ? '\r' : next);
                }
                else
                {
                    builder.Append(c);
                }
            }

            return builder.ToString();
        }
    }
}
