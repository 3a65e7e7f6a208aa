using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.IO;
using Unikraft.Gen.Graph;

namespace Unikraft.Gen.Kernel
{
    // The kernel sources and their member graph, as embedded in the generator. Loaded once per
    // process: they are fixed when the generator is built, so every compilation shares them.
    internal sealed class KernelImage
    {
        private const string SourcePrefix = "Unikraft.Kernel/";
        private const string GraphResource = "Unikraft.Kernel.graph";

        private static readonly Lazy<KernelImage> s_instance = new Lazy<KernelImage>(Load);

        private readonly ConcurrentDictionary<int, int[]> _apiSyscalls = new ConcurrentDictionary<int, int[]>();

        // Per type, its members that override or implement a BCL member (Stream.Seek, ToString).
        private readonly Dictionary<int, List<int>> _externalOverrides = new Dictionary<int, List<int>>();

        private KernelImage(KernelGraph graph, string[] texts)
        {
            Graph = graph;
            Texts = texts;
            var byDocId = new Dictionary<string, int>(StringComparer.Ordinal);
            var staticNames = new HashSet<string>(StringComparer.Ordinal);
            var instanceNames = new HashSet<string>(StringComparer.Ordinal);
            var typeNames = new HashSet<string>(StringComparer.Ordinal);
            foreach (GraphSymbol symbol in graph.Symbols)
            {
                if (symbol.ExternalOverride && symbol.Container >= 0)
                {
                    if (!_externalOverrides.TryGetValue(symbol.Container, out List<int>? members))
                    {
                        members = new List<int>();
                        _externalOverrides.Add(symbol.Container, members);
                    }

                    members.Add(symbol.Id);
                }

                byDocId[symbol.DocId] = symbol.Id;
                if (symbol.IsApi && !symbol.IsPrivate)
                {
                    (symbol.Kind == "type" ? typeNames : symbol.IsInstance ? instanceNames : staticNames).Add(MemberName(symbol.DocId));
                }

                if (symbol.Syscall >= 0 && !symbol.IsApi)
                {
                    SyscallSymbols[symbol.Syscall] = symbol.Id;
                }
            }

            SymbolByDocId = byDocId;
            Boot = new BootMembers(byDocId);
            var byFile = new List<GraphDeclaration>[graph.Files.Count];
            var declarationCount = new int[graph.Symbols.Count];
            for (int index = 0; index < byFile.Length; index++)
            {
                byFile[index] = new List<GraphDeclaration>();
            }

            foreach (GraphDeclaration declaration in graph.Declarations)
            {
                byFile[declaration.File].Add(declaration);
                declarationCount[declaration.Symbol]++;
            }

            foreach (GraphDeclaration declaration in graph.Declarations)
            {
                if (declaration.StubStart >= 0 && graph.Symbols[declaration.Symbol].Syscall < 0)
                {
                    StubbableSymbols.Add(declaration.Symbol);
                }
            }

            DeclarationsByFile = byFile;

            // The API's top-level types, and the post-initialization text that declares the static
            // ones by name (their members come with the kernel, pruned, or whole where named).
            var stubs = new System.Text.StringBuilder();
            foreach (GraphDeclaration declaration in graph.Declarations)
            {
                GraphSymbol symbol = graph.Symbols[declaration.Symbol];
                if (symbol.Kind != "type" || !symbol.IsApi || symbol.Container >= 0 || symbol.IsPrivate)
                {
                    continue;
                }

                string name = MemberName(symbol.DocId);
                ApiTopLevelTypeNames.Add(name);
                string text = texts[declaration.File];
                int brace = text.IndexOf('{', declaration.Start);
                string head = brace < 0 ? "" : text.Substring(declaration.Start, brace - declaration.Start);
                if (head.IndexOf("internal static partial class " + name, StringComparison.Ordinal) >= 0)
                {
                    stubs.Append("internal static partial class ").Append(name).Append(" { }\n");
                }
            }

            ApiStubs = stubs.ToString();
            DeclarationCount = declarationCount;
            ApiStaticNames = staticNames;
            ApiInstanceNames = instanceNames;
            ApiTypeNames = typeNames;
            foreach (GraphLibrary library in graph.Libraries)
            {
                LibraryByFolder[library.Folder] = library;
            }
        }

        public static KernelImage Instance => s_instance.Value;

        public KernelGraph Graph { get; }

        // The text of each kernel file, by file index.
        public string[] Texts { get; }

        public IReadOnlyDictionary<string, int> SymbolByDocId { get; }

        // The members the generated boot calls.
        public BootMembers Boot { get; }

        // The declarations of each file, by file index, in graph order.
        public List<GraphDeclaration>[] DeclarationsByFile { get; }

        // How many declarations each symbol has (more than one: a partial type).
        public int[] DeclarationCount { get; }

        // The members other than syscalls whose body can be replaced by a throw (Pruner.KeepShape).
        public HashSet<int> StubbableSymbols { get; } = new HashSet<int>();

        // The syscall implementation symbol for each syscall number.
        public Dictionary<int, int> SyscallSymbols { get; } = new Dictionary<int, int>();

        public Dictionary<string, GraphLibrary> LibraryByFolder { get; } = new Dictionary<string, GraphLibrary>(StringComparer.Ordinal);

        // The simple names of the app-facing API's static members, instance members and types that
        // the program can name (not private): what the generator's syntax filter looks for
        // ("ReadAllText", "Length", "KernelFile").
        public HashSet<string> ApiStaticNames { get; }

        public HashSet<string> ApiInstanceNames { get; }

        public HashSet<string> ApiTypeNames { get; }

        // The API's types that are not nested in another ("KernelConsole", not "Entry").
        public HashSet<string> ApiTopLevelTypeNames { get; } = new HashSet<string>(StringComparer.Ordinal);

        // "internal static partial class KernelConsole { }", one line per static API type.
        public string ApiStubs { get; }

        // The Linux name of a syscall number, from the SyscallNumber constants: "write", "exit_group".
        public string SyscallName(int number)
        {
            if (SyscallSymbols.TryGetValue(number, out int id))
            {
                return LinuxName(MemberName(Graph.Symbols[id].DocId));
            }

            return "syscall " + number;
        }

        // "ExitGroup" -> "exit_group", "UkTimerArm" -> "uk_timer_arm".
        public static string LinuxName(string pascal)
        {
            var builder = new System.Text.StringBuilder();
            for (int index = 0; index < pascal.Length; index++)
            {
                char c = pascal[index];
                if (char.IsUpper(c) && index > 0)
                {
                    builder.Append('_');
                }

                builder.Append(char.ToLowerInvariant(c));
            }

            return builder.ToString();
        }

        private readonly ConcurrentDictionary<(int, string), bool> _reachesLibrary = new ConcurrentDictionary<(int, string), bool>();

        // Whether a member's code reaches a member of the named library (by calls and the types
        // it names, not by the boot), such as a native-layer entry point reaching the VFS.
        public bool ReachesLibrary(int symbol, string library) => _reachesLibrary.GetOrAdd((symbol, library), key =>
        {
            var seen = new HashSet<int>();
            var stack = new Stack<int>();
            stack.Push(key.Item1);
            while (stack.Count > 0)
            {
                int id = stack.Pop();
                if (!seen.Add(id))
                {
                    continue;
                }

                GraphSymbol reached = Graph.Symbols[id];
                if (LibraryByFolder.TryGetValue(reached.Folder, out GraphLibrary? owner) && owner.Name == key.Item2)
                {
                    return true;
                }

                foreach (int next in reached.BodyEdges)
                {
                    stack.Push(next);
                }

                foreach (int next in reached.SignatureEdges)
                {
                    stack.Push(next);
                }
            }

            return false;
        });

        // The syscalls an API member reaches through the API's own code.
        public int[] SyscallsOf(int apiSymbol) => _apiSyscalls.GetOrAdd(apiSymbol, ComputeSyscalls);

        private readonly ConcurrentDictionary<int, string[]> _apiFeatures = new ConcurrentDictionary<int, string[]>();

        // The kernel features an API member needs, through the API's own code.
        public string[] FeaturesOf(int apiSymbol) => _apiFeatures.GetOrAdd(apiSymbol, ComputeFeatures);

        private string[] ComputeFeatures(int apiSymbol)
        {
            var found = new SortedSet<string>(StringComparer.Ordinal);
            foreach (int id in ApiClosure(apiSymbol))
            {
                found.UnionWith(Graph.Symbols[id].Features);
            }

            var result = new string[found.Count];
            found.CopyTo(result);
            return result;
        }

        // The API symbols an API member reaches through API code. A native-layer entry point is
        // a root of the same kind: its own references count, as an API member's do.
        private List<int> ApiClosure(int apiSymbol)
        {
            var seen = new HashSet<int>();
            var result = new List<int>();
            var stack = new Stack<int>();
            stack.Push(apiSymbol);
            while (stack.Count > 0)
            {
                int id = stack.Pop();
                if (!seen.Add(id) || !(Graph.Symbols[id].IsApi || (id == apiSymbol && Graph.Symbols[id].NativeEntry.Length > 0)))
                {
                    continue;
                }

                result.Add(id);
                foreach (int next in Graph.Symbols[id].BodyEdges)
                {
                    stack.Push(next);
                }

                foreach (int next in Graph.Symbols[id].SignatureEdges)
                {
                    stack.Push(next);
                }

                // An instance that reaches code outside the kernel has every BCL member it
                // overrides called by that code: an API type is the program's (KernelFile.Create
                // returns a KernelFileStream, which the program gives to a StreamWriter, whose
                // Position calls Seek: lseek is that call site's need too), and so is what API
                // code hands out itself.
                if (Graph.Symbols[id].Kind == "type")
                {
                    PushExternalOverrides(id, stack);
                }

                foreach (int handed in Graph.Symbols[id].Hands)
                {
                    PushExternalOverrides(handed, stack);
                    foreach (int baseType in Graph.Symbols[handed].Bases)
                    {
                        PushExternalOverrides(baseType, stack);
                    }
                }
            }

            return result;
        }

        private void PushExternalOverrides(int type, Stack<int> stack)
        {
            if (_externalOverrides.TryGetValue(type, out List<int>? members))
            {
                foreach (int member in members)
                {
                    stack.Push(member);
                }
            }
        }

        // A syscall is reached when an API symbol of the closure refers to its implementation.
        private int[] ComputeSyscalls(int apiSymbol)
        {
            var found = new SortedSet<int>();
            foreach (int id in ApiClosure(apiSymbol))
            {
                GraphSymbol symbol = Graph.Symbols[id];
                foreach (int[] edges in new[] { symbol.BodyEdges, symbol.SignatureEdges })
                {
                    foreach (int next in edges)
                    {
                        GraphSymbol target = Graph.Symbols[next];
                        if (target.Syscall >= 0 && !target.IsApi)
                        {
                            found.Add(target.Syscall);
                        }
                    }
                }
            }

            var result = new int[found.Count];
            found.CopyTo(result);
            return result;
        }

        public static string MemberName(string docId)
        {
            string name = docId;
            int paren = name.IndexOf('(');
            if (paren >= 0)
            {
                name = name.Substring(0, paren);
            }

            int tick = name.IndexOf("``", StringComparison.Ordinal);
            if (tick >= 0)
            {
                name = name.Substring(0, tick);
            }

            int dot = name.LastIndexOf('.');
            return dot >= 0 ? name.Substring(dot + 1) : name;
        }

        private static KernelImage Load()
        {
            var assembly = typeof(KernelImage).Assembly;
            string graphText = ReadResource(assembly, GraphResource);
            KernelGraph graph = KernelGraph.Read(graphText);
            var texts = new string[graph.Files.Count];
            var pairs = new List<KeyValuePair<string, string>>();
            foreach (GraphFile file in graph.Files)
            {
                texts[file.Index] = ReadResource(assembly, SourcePrefix + file.Path);
                pairs.Add(new KeyValuePair<string, string>(file.Path, texts[file.Index]));
            }

            string hash = KernelGraph.HashSources(pairs);
            if (hash != graph.SourceHash)
            {
                throw new InvalidDataException("The embedded kernel graph was computed from other sources (hash " + graph.SourceHash + ", sources " + hash + "): rebuild the generator.");
            }

            var image = new KernelImage(graph, texts);
            if (image.Boot.Missing.Count > 0)
            {
                throw new InvalidDataException("the kernel lacks what boot calls: " + string.Join(", ", image.Boot.Missing));
            }

            return image;
        }

        private static string ReadResource(System.Reflection.Assembly assembly, string name)
        {
            using Stream? stream = assembly.GetManifestResourceStream(name);
            if (stream is null)
            {
                throw new InvalidDataException("The generator has no embedded resource '" + name + "': rebuild the generator.");
            }

            using var reader = new StreamReader(stream);
            return reader.ReadToEnd();
        }
    }
}
