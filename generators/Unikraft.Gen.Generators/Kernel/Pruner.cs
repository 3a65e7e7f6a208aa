using System;
using System.Collections.Generic;
using System.Text;
using Unikraft.Gen.Graph;

namespace Unikraft.Gen.Kernel
{
    // Member-level reachability over the kernel graph, and the pruned text of each kernel file.
    //
    // A symbol is kept when a root reaches it. The app-facing API reaches syscalls only weakly (its
    // members are roots where the program calls them, and all of a type the program names): a
    // syscall reached only weakly is kept as a one-line -ENOSYS stub, with no body behind it. A syscall reached strongly (planned from a call site, or called by
    // kernel code that is itself kept) keeps its body. Overrides and interface implementations stay
    // or go together, and every library that is in the image runs its boot steps.
    internal sealed class Pruner
    {
        private readonly KernelImage _image;
        private readonly KernelGraph _graph;
        private readonly bool[] _kept;
        private readonly bool[] _real;
        private readonly int[] _parent;
        private readonly string?[] _rootReason;
        private readonly Queue<int> _queue = new Queue<int>();

        private readonly Dictionary<int, List<GraphGuard>> _guards = new Dictionary<int, List<GraphGuard>>();

        public Pruner(KernelImage image, ICollection<string> features)
        {
            _image = image;
            _graph = image.Graph;
            Features = new HashSet<string>(features, StringComparer.Ordinal);
            foreach (GraphGuard guard in _graph.Guards)
            {
                if (!_guards.TryGetValue(guard.Symbol, out List<GraphGuard>? list))
                {
                    list = new List<GraphGuard>();
                    _guards.Add(guard.Symbol, list);
                }

                list.Add(guard);
            }

            int count = _graph.Symbols.Count;
            _kept = new bool[count];
            _real = new bool[count];
            _parent = new int[count];
            _rootReason = new string?[count];
            for (int index = 0; index < count; index++)
            {
                _parent[index] = -1;
            }
        }

        public bool IsKept(int symbol) => _kept[symbol];

        // The kernel features the program needs: code guarded by any other feature is removed.
        public HashSet<string> Features { get; }

        // For a kernel with no entry point (a library): nothing constructs its classes.
        public bool KeepConstructors { get; set; }

        // Constructors kept only so their class compiles.
        public HashSet<int> Structural { get; } = new HashSet<int>();

        // The comment the emitted kernel puts above such a constructor.
        public const string StructuralNote = "// Kept so this class compiles: nothing in this kernel constructs it.";

        // Kept with its body (for a syscall: implemented, not a stub).
        public bool IsReal(int symbol) => _real[symbol];

        // The boot steps of the libraries in the image, in boot order.
        public List<GraphSymbol> BootSteps { get; } = new List<GraphSymbol>();

        // The features whose guarded code was removed from some file.
        public SortedSet<string> RemovedGuards { get; } = new SortedSet<string>(StringComparer.Ordinal);

        // The folders of the libraries in the image.
        public SortedSet<string> Folders { get; } = new SortedSet<string>(StringComparer.Ordinal);

        public void AddRoot(int symbol, string reason) => Keep(symbol, strong: true, from: -1, reason);

        public void Run()
        {
            bool changed = true;
            while (changed)
            {
                Drain();
                changed = false;
                foreach (GraphSymbol symbol in _graph.Symbols)
                {
                    if (_kept[symbol.Id])
                    {
                        foreach (int link in symbol.Links)
                        {
                            if (!_kept[link])
                            {
                                Keep(link, strong: true, symbol.Id, null);
                                changed = true;
                            }
                        }

                        continue;
                    }

                    if (symbol.Container < 0 || !_kept[symbol.Container])
                    {
                        continue;
                    }

                    // Kept because what it implements or overrides is: the reason runs through that member.
                    int via = symbol.ExternalOverride ? symbol.Container : -1;
                    foreach (int link in symbol.Links)
                    {
                        if (via < 0 && _kept[link])
                        {
                            via = link;
                        }
                    }

                    foreach (int link in symbol.Implements)
                    {
                        if (via < 0 && _kept[link])
                        {
                            via = link;
                        }
                    }

                    if (via >= 0)
                    {
                        Keep(symbol.Id, strong: true, via, null);
                        changed = true;
                    }
                }

                // A kept class that nothing constructs (it is only tested for, 'x is VfsFile', or
                // this is a library's kernel, which nothing boots) keeps its first declared
                // constructor: without one, the compiler's default constructor leaves its fields
                // unassigned (CS8618) or finds no base constructor to call. The emitted file says so.
                foreach (GraphSymbol symbol in _graph.Symbols)
                {
                    if (symbol.Kind != "constructor" || _kept[symbol.Id] || symbol.Container < 0 || !_kept[symbol.Container]
                        || symbol.DocId.IndexOf("#ctor", StringComparison.Ordinal) < 0 || HasKeptConstructor(symbol.Container))
                    {
                        continue;
                    }

                    Keep(symbol.Id, strong: true, symbol.Container, "kept so its class compiles: nothing in this kernel constructs it");
                    Structural.Add(symbol.Id);
                    changed = true;
                }

                // Libraries in the image run their boot steps.
                Folders.Clear();
                foreach (GraphSymbol symbol in _graph.Symbols)
                {
                    // A member the API refers to directly (a constant, say) does not bring its library
                    // into the image: only what kernel code or a root needs does.
                    bool fromApi = _parent[symbol.Id] >= 0 && _graph.Symbols[_parent[symbol.Id]].IsApi;
                    if (_real[symbol.Id] && !symbol.IsApi && symbol.Kind != "type" && !fromApi)
                    {
                        Folders.Add(symbol.Folder);
                    }
                }

                foreach (GraphSymbol symbol in _graph.Symbols)
                {
                    if (symbol.BootOrder != GraphSymbol.NoBootOrder && !_kept[symbol.Id] && Folders.Contains(symbol.Folder))
                    {
                        string library = _image.LibraryByFolder.TryGetValue(symbol.Folder, out GraphLibrary? found) ? found.Name : symbol.Folder;
                        Keep(symbol.Id, strong: true, from: -1, "boot step of library " + library);
                        changed = true;
                    }
                }
            }

            BootSteps.Clear();
            foreach (GraphSymbol symbol in _graph.Symbols)
            {
                if (symbol.BootOrder != GraphSymbol.NoBootOrder && _kept[symbol.Id])
                {
                    BootSteps.Add(symbol);
                }
            }

            BootSteps.Sort((a, b) => a.BootOrder != b.BootOrder ? a.BootOrder.CompareTo(b.BootOrder) : string.CompareOrdinal(a.DocId, b.DocId));
        }

        private bool HasKeptConstructor(int type)
        {
            foreach (GraphSymbol symbol in _graph.Symbols)
            {
                if (symbol.Container == type && symbol.Kind == "constructor" && _kept[symbol.Id]
                    && symbol.DocId.IndexOf("#ctor", StringComparison.Ordinal) >= 0)
                {
                    return true;
                }
            }

            return false;
        }

        // Why a symbol is in the kernel: the chain of kernel symbols from a root to it.
        public string WhyKept(int symbol)
        {
            var chain = new List<string>();
            int current = symbol;
            var seen = new HashSet<int>();
            while (current >= 0 && seen.Add(current))
            {
                if (_rootReason[current] is { } reason)
                {
                    chain.Add(_graph.Symbols[current].DisplayName + " (" + reason + ")");
                    break;
                }

                chain.Add(_graph.Symbols[current].DisplayName);
                current = _parent[current];
            }

            chain.Reverse();
            return string.Join(" -> ", chain);
        }

        private void Keep(int symbol, bool strong, int from, string? reason)
        {
            GraphSymbol target = _graph.Symbols[symbol];
            bool isSyscall = target.Syscall >= 0 && !target.IsApi;
            bool real = !isSyscall || strong;
            if (_kept[symbol] && (_real[symbol] || !real))
            {
                return;
            }

            _kept[symbol] = true;
            if (real)
            {
                _real[symbol] = true;
            }

            _parent[symbol] = from;
            _rootReason[symbol] = reason;
            _queue.Enqueue(symbol);
        }

        private void Drain()
        {
            while (_queue.Count > 0)
            {
                int id = _queue.Dequeue();
                GraphSymbol symbol = _graph.Symbols[id];
                if (symbol.Container >= 0)
                {
                    Keep(symbol.Container, strong: true, id, null);
                }

                foreach (int next in symbol.SignatureEdges)
                {
                    Follow(symbol, next);
                }

                bool isSyscall = symbol.Syscall >= 0 && !symbol.IsApi;
                if (isSyscall && !_real[id])
                {
                    foreach (int next in symbol.StubEdges)
                    {
                        Follow(symbol, next);
                    }

                    continue;
                }

                foreach (int next in symbol.BodyEdges)
                {
                    Follow(symbol, next);
                }

                if (_guards.TryGetValue(id, out List<GraphGuard>? guards))
                {
                    foreach (GraphGuard guard in guards)
                    {
                        if (Features.Contains(guard.Feature))
                        {
                            foreach (int next in guard.Edges)
                            {
                                Follow(symbol, next);
                            }
                        }
                    }
                }
            }
        }

        // The API reaches syscalls weakly; every other reference is strong.
        private void Follow(GraphSymbol from, int to) => Keep(to, strong: !from.IsApi, from.Id, null);

        // The pruned text of one kernel file, or null when nothing of it is kept.
        public string? PrunedText(GraphFile file, out int keptMembers, out int removedMembers, out List<int> stubbed)
        {
            keptMembers = 0;
            removedMembers = 0;
            stubbed = new List<int>();
            string text = _image.Texts[file.Index];
            var declarations = new List<GraphDeclaration>(_image.DeclarationsByFile[file.Index]);
            declarations.Sort((a, b) => a.Start != b.Start ? a.Start.CompareTo(b.Start) : b.Length.CompareTo(a.Length));

            // A partial type keeps only the declarations that hold kept members (or its first one).
            var keepDeclaration = new bool[declarations.Count];
            for (int index = 0; index < declarations.Count; index++)
            {
                keepDeclaration[index] = _kept[declarations[index].Symbol];
            }

            for (int index = 0; index < declarations.Count; index++)
            {
                GraphDeclaration declaration = declarations[index];
                GraphSymbol symbol = _graph.Symbols[declaration.Symbol];
                if (symbol.Kind == "type" && keepDeclaration[index] && _image.DeclarationCount[declaration.Symbol] > 1)
                {
                    bool holdsKept = false;
                    for (int inner = index + 1; inner < declarations.Count && declarations[inner].Start < declaration.Start + declaration.Length; inner++)
                    {
                        holdsKept |= keepDeclaration[inner] && _graph.Symbols[declarations[inner].Symbol].Kind != "type";
                    }

                    keepDeclaration[index] = holdsKept;
                }
            }

            var edits = new List<(int Start, int Length, string Replacement)>();
            int removedUntil = -1;
            bool anyKept = false;
            for (int index = 0; index < declarations.Count; index++)
            {
                GraphDeclaration declaration = declarations[index];
                if (declaration.Start < removedUntil)
                {
                    removedMembers += _graph.Symbols[declaration.Symbol].Kind == "type" ? 0 : 1;
                    continue;
                }

                GraphSymbol symbol = _graph.Symbols[declaration.Symbol];
                if (!keepDeclaration[index])
                {
                    edits.Add((declaration.Start, declaration.Length, ""));
                    removedUntil = declaration.Start + declaration.Length;
                    removedMembers += symbol.Kind == "type" ? 0 : 1;
                    continue;
                }

                anyKept = true;
                if (symbol.Kind != "type")
                {
                    keptMembers++;
                }

                if (Structural.Contains(declaration.Symbol))
                {
                    // Above the declaration's first line of code, after its own comments.
                    int lineStart = declaration.Start;
                    while (lineStart < declaration.Start + declaration.Length)
                    {
                        int lineEnd = text.IndexOf('\n', lineStart);
                        string line = (lineEnd < 0 ? text.Substring(lineStart) : text.Substring(lineStart, lineEnd - lineStart)).Trim();
                        if (line.Length > 0 && !line.StartsWith("//", StringComparison.Ordinal))
                        {
                            break;
                        }

                        lineStart = lineEnd < 0 ? text.Length : lineEnd + 1;
                    }

                    int indent = 0;
                    while (lineStart + indent < text.Length && text[lineStart + indent] == ' ')
                    {
                        indent++;
                    }

                    edits.Add((lineStart, 0, new string(' ', indent) + StructuralNote + "\n"));
                }

                if (declaration.StubStart >= 0 && !_real[declaration.Symbol])
                {
                    edits.Add((declaration.StubStart, declaration.StubLength, declaration.StubText));
                    stubbed.Add(symbol.Syscall);
                }
            }

            if (!anyKept)
            {
                return null;
            }

            // Feature guards of features the program does not need, inside members that keep their
            // body, and name-table sections of constants nothing else keeps.
            foreach (GraphGuard guard in _graph.Guards)
            {
                bool off = guard.IsNameTableSection ? !Array.Exists(guard.Edges, e => _kept[e]) : !Features.Contains(guard.Feature);
                if (guard.File == file.Index && off && _kept[guard.Symbol] && _real[guard.Symbol]
                    && !edits.Exists(e => e.Start <= guard.Start && guard.Start + guard.Length <= e.Start + e.Length))
                {
                    edits.Add((guard.Start, guard.Length, ""));
                    if (!guard.IsNameTableSection)
                    {
                        RemovedGuards.Add(guard.Feature);
                    }
                }
            }

            var builder = new StringBuilder(text);
            edits.Sort((a, b) => b.Start.CompareTo(a.Start));
            foreach ((int start, int length, string replacement) in edits)
            {
                builder.Remove(start, length).Insert(start, replacement);
            }

            return builder.ToString();
        }
    }
}
