using System;
using System.Collections.Generic;
using System.Text;
using Unikraft.Gen.Graph;

namespace Unikraft.Gen.Kernel
{
    // Member-level reachability over the kernel graph, and the pruned text of each kernel file.
    //
    // A symbol is kept when a root reaches it: the boot, a call site of the program, the body of a
    // kept member. The app-facing API reaches syscalls only weakly (its members are roots where the
    // program calls them, and all of a type the program names): a syscall reached only weakly is
    // kept as a one-line -ENOSYS stub, with no body behind it. A
    // syscall reached strongly (planned from a call site, or called by kernel code that is itself
    // kept) keeps its body. A field is kept when kept code reads it (a write alone goes with it).
    // An override or interface implementation is kept when what it overrides can be called on an
    // instance of its type: the type is created by kept code (a struct: is kept at all), and the
    // member it overrides is kept, or, for a BCL member, is called by kept code or by the runtime
    // on an instance kept code handed to it (SynchronizationContext.Post only once the context is
    // set), or, for a finalizer, on every instance once unreachable. Every library that is in the
    // image runs its boot steps.
    internal sealed class Pruner
    {
        private const string SynchronizationContextMembers = "M:System.Threading.SynchronizationContext.";
        private const string ObjectFinalize = "M:System.Object.Finalize";

        private readonly KernelImage _image;
        private readonly KernelGraph _graph;
        private readonly bool[] _kept;
        private readonly bool[] _real;
        private readonly int[] _parent;
        private readonly string?[] _rootReason;
        private readonly Queue<int> _queue = new Queue<int>();

        private readonly Dictionary<int, List<GraphGuard>> _guards = new Dictionary<int, List<GraphGuard>>();

        // For each created type, the first kept member that creates it; the same for handed types.
        private readonly Dictionary<int, int> _createdBy = new Dictionary<int, int>();
        private readonly Dictionary<int, int> _handedBy = new Dictionary<int, int>();

        // The BCL members kept code calls, each with the first kept member that calls it.
        private readonly Dictionary<string, int> _calledBy = new Dictionary<string, int>(StringComparer.Ordinal);

        private readonly bool[] _writeFollowed;

        // For each library folder in the image, the first kept member of it that brought it in.
        private readonly Dictionary<string, int> _folderCause = new Dictionary<string, int>(StringComparer.Ordinal);

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
            _writeFollowed = new bool[_graph.Writes.Count];
            for (int index = 0; index < count; index++)
            {
                _parent[index] = -1;
            }
        }

        public bool IsKept(int symbol) => _kept[symbol];

        // Whether the generated boot runs this kernel (a program's), and so the boot steps of its
        // libraries. Nothing boots a library's kernel.
        public bool Boots { get; set; }

        // The kernel features the program needs: code guarded by any other feature is removed.
        public HashSet<string> Features { get; }

        // Kept with its body (for a syscall: implemented, not a stub).
        public bool IsReal(int symbol) => _real[symbol];

        // The boot steps of the libraries in the image, in boot order.
        public List<GraphSymbol> BootSteps { get; } = new List<GraphSymbol>();

        // The features whose guarded code was removed from some file.
        public SortedSet<string> RemovedGuards { get; } = new SortedSet<string>(StringComparer.Ordinal);

        // The folders of the libraries in the image.
        public SortedSet<string> Folders { get; } = new SortedSet<string>(StringComparer.Ordinal);

        // The kept member that brought a library folder into the image (its boot steps run because of it).
        public int FolderCause(string folder) => _folderCause.TryGetValue(folder, out int cause) ? cause : -1;

        public void AddRoot(int symbol, string reason)
        {
            Keep(symbol, strong: true, from: -1, reason);

            // The boot creates what it constructs ('new HostedPlatform()').
            GraphSymbol root = _graph.Symbols[symbol];
            if (root.Kind == "constructor" && root.Container >= 0 && !_createdBy.ContainsKey(root.Container))
            {
                _createdBy.Add(root.Container, symbol);
            }
        }

        public void Run()
        {
            while (true)
            {
                Drain();
                bool changed = false;
                foreach (GraphSymbol symbol in _graph.Symbols)
                {
                    if (_kept[symbol.Id])
                    {
                        // An override needs what it overrides to compile.
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

                    if (symbol.Container >= 0 && _kept[symbol.Container] && symbol.IsInstance && (symbol.Links.Length > 0 || symbol.Implements.Length > 0 || symbol.ExternalOverride)
                        && Overridden(symbol) is { } via)
                    {
                        Keep(symbol.Id, strong: true, via.From, via.Reason);
                        changed = true;
                    }
                }

                // Field writes in kept bodies: followed when the field is kept, or when the value
                // stays for its own effect.
                for (int index = 0; index < _graph.Writes.Count; index++)
                {
                    GraphWrite write = _graph.Writes[index];
                    if (!_writeFollowed[index] && _real[write.Symbol] && (_kept[write.Field] || !write.Pure))
                    {
                        _writeFollowed[index] = true;
                        Take(_graph.Symbols[write.Symbol], write.Refs);
                        changed = true;
                    }
                }

                // What the compiler requires of a kept type that kept code cannot call: the
                // implementations of the interfaces it declares, and a constructor when nothing
                // creates it (it is only tested for: 'x is VfsFile').
                if (!changed && _queue.Count == 0)
                {
                    changed = KeepRequiredShapes();
                }

                // Libraries in the image run their boot steps, because of the member that brought them in.
                foreach (GraphSymbol symbol in _graph.Symbols)
                {
                    // A member the API refers to directly (a constant, say) does not bring its library
                    // into the image: only what kernel code or a root needs does.
                    bool fromApi = _parent[symbol.Id] >= 0 && _graph.Symbols[_parent[symbol.Id]].IsApi;
                    if (_real[symbol.Id] && !symbol.IsApi && symbol.Kind != "type" && !fromApi && symbol.BootOrder == GraphSymbol.NoBootOrder
                        && Folders.Add(symbol.Folder))
                    {
                        _folderCause[symbol.Folder] = symbol.Id;
                    }
                }

                foreach (GraphSymbol symbol in _graph.Symbols)
                {
                    if (Boots && symbol.BootOrder != GraphSymbol.NoBootOrder && !_kept[symbol.Id] && _folderCause.TryGetValue(symbol.Folder, out int cause))
                    {
                        Keep(symbol.Id, strong: true, cause, null);
                        changed = true;
                    }
                }

                if (!changed && _queue.Count == 0)
                {
                    break;
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

        // Whether an override or implementation can be called, and through what: its type must have
        // instances, and what it overrides must be callable on them.
        private bool KeepRequiredShapes()
        {
            bool changed = false;
            var hasConstructor = new HashSet<int>();
            var firstConstructor = new Dictionary<int, int>();
            foreach (GraphSymbol symbol in _graph.Symbols)
            {
                if (symbol.Kind == "constructor" && symbol.IsInstance && symbol.Container >= 0)
                {
                    if (_kept[symbol.Id])
                    {
                        hasConstructor.Add(symbol.Container);
                    }
                    else if (!firstConstructor.ContainsKey(symbol.Container))
                    {
                        firstConstructor.Add(symbol.Container, symbol.Id);
                    }
                }
            }

            foreach (GraphSymbol symbol in _graph.Symbols)
            {
                if (_kept[symbol.Id] || symbol.Container < 0 || !_kept[symbol.Container] || !symbol.IsInstance)
                {
                    continue;
                }

                GraphSymbol type = _graph.Symbols[symbol.Container];
                int required = -1;
                foreach (int link in symbol.Links)
                {
                    required = required < 0 && _kept[link] ? link : required;
                }

                foreach (int link in symbol.Implements)
                {
                    required = required < 0 && _kept[link] ? link : required;
                }

                if (required >= 0)
                {
                    KeepShape(symbol.Id, required, "required by the compiler: " + type.DisplayName + " implements " + _graph.Symbols[required].DisplayName
                        + ", and nothing in this kernel calls it on a " + type.DisplayName);
                    changed = true;
                }
                else if (symbol.ExternalRequired)
                {
                    KeepShape(symbol.Id, symbol.Container, "required by the compiler: " + type.DisplayName + " implements a BCL interface member"
                        + " that nothing in this kernel calls on it");
                    changed = true;
                }
            }

            foreach (KeyValuePair<int, int> pair in firstConstructor)
            {
                GraphSymbol type = _graph.Symbols[pair.Key];
                if (_kept[pair.Key] && !type.IsValueType && !hasConstructor.Contains(pair.Key) && !HasInstances(pair.Key))
                {
                    KeepShape(pair.Value, pair.Key, "required by the compiler: kept code names " + type.DisplayName + " but never creates one");
                    changed = true;
                }
            }

            return changed;
        }

        private bool IsAssigned(GraphSymbol field)
        {
            if (field.IsAssigned)
            {
                return true;
            }

            foreach (int writer in field.AssignedBy)
            {
                if (_real[writer])
                {
                    return true;
                }
            }

            foreach (GraphWrite write in _graph.Writes)
            {
                if (write.Field == field.Id && _real[write.Symbol])
                {
                    return true;
                }
            }

            return false;
        }

        private (int From, string? Reason)? Overridden(GraphSymbol symbol)
        {
            int type = symbol.Container;
            if (!HasInstances(type))
            {
                return null;
            }

            foreach (int link in symbol.Links)
            {
                if (_kept[link])
                {
                    return (link, null);
                }
            }

            foreach (int link in symbol.Implements)
            {
                if (_kept[link])
                {
                    return (link, null);
                }
            }

            foreach (string baseMember in symbol.ExternalBases)
            {
                if (_calledBy.TryGetValue(baseMember, out int caller))
                {
                    return (caller, null);
                }

                // The GC runs a finalizer on every instance once it is unreachable.
                if (baseMember == ObjectFinalize && _createdBy.TryGetValue(type, out int creator))
                {
                    return (creator, "the GC runs the finalizer of each " + _graph.Symbols[type].DisplayName + " " + _graph.Symbols[creator].DisplayName + " creates");
                }
            }

            int handedBy = HandedBy(type);
            if (handedBy < 0)
            {
                return null;
            }

            foreach (string baseMember in symbol.ExternalBases)
            {
                if (!baseMember.StartsWith(SynchronizationContextMembers, StringComparison.Ordinal))
                {
                    // Formatting, hashing, comparing and disposing: the runtime does them to any
                    // instance it holds.
                    return (handedBy, "the runtime calls " + Short(baseMember) + " on the " + _graph.Symbols[type].DisplayName + " handed to it by " + _graph.Symbols[handedBy].DisplayName);
                }

                // A synchronization context is called only once it is set.
                if (_calledBy.TryGetValue(KernelGraph.SetSynchronizationContext, out int setter))
                {
                    return (setter, "the runtime calls " + Short(baseMember) + " on the context " + _graph.Symbols[setter].DisplayName + " sets");
                }
            }

            return null;
        }

        private static string Short(string docId)
        {
            string name = docId.Substring(2);
            int paren = name.IndexOf('(');
            return (paren >= 0 ? name.Substring(0, paren) : name).Replace("System.", "");
        }

        // A struct has values once it is kept; a class has instances once kept code creates it or a
        // type derived from it.
        private bool HasInstances(int type)
        {
            if (_graph.Symbols[type].IsValueType)
            {
                return _kept[type];
            }

            foreach (int created in _createdBy.Keys)
            {
                if (created == type || Array.IndexOf(_graph.Symbols[created].Bases, type) >= 0)
                {
                    return true;
                }
            }

            return false;
        }

        private int HandedBy(int type)
        {
            if (_handedBy.TryGetValue(type, out int by))
            {
                return by;
            }

            foreach (int baseType in _graph.Symbols[type].Bases)
            {
                if (_handedBy.TryGetValue(baseType, out by))
                {
                    return by;
                }
            }

            return -1;
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
                    if (_parent[current] < 0)
                    {
                        break;
                    }
                }
                else
                {
                    chain.Add(_graph.Symbols[current].DisplayName);
                }

                current = _parent[current];
            }

            chain.Reverse();
            return string.Join(" -> ", chain);
        }

        // Kept for its declaration only, with a body that throws: the compiler requires it of a kept
        // type, and nothing in the kernel can call it. A member with no body to replace (an
        // auto-property) is kept as it is.
        private void KeepShape(int symbol, int from, string reason)
        {
            if (_kept[symbol])
            {
                return;
            }

            if (_image.StubbableSymbols.Contains(symbol))
            {
                _kept[symbol] = true;
                _parent[symbol] = from;
                _rootReason[symbol] = reason;
                _queue.Enqueue(symbol);
            }
            else
            {
                Keep(symbol, strong: true, from, reason);
            }
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

                if (!_real[id])
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

                Note(symbol, symbol.Creates, symbol.Hands, symbol.ExternalCalls);
                if (_guards.TryGetValue(id, out List<GraphGuard>? guards))
                {
                    foreach (GraphGuard guard in guards)
                    {
                        if (Features.Contains(guard.Feature))
                        {
                            Take(symbol, guard.Refs);
                        }
                    }
                }
            }
        }

        private void Take(GraphSymbol from, GraphRefs refs)
        {
            foreach (int next in refs.Edges)
            {
                Follow(from, next);
            }

            Note(from, refs.Creates, refs.Hands, refs.ExternalCalls);
        }

        // What kept code creates, hands to the runtime and calls in the BCL.
        private void Note(GraphSymbol from, int[] creates, int[] hands, string[] externalCalls)
        {
            foreach (int type in creates)
            {
                if (!_createdBy.ContainsKey(type))
                {
                    _createdBy.Add(type, from.Id);
                }
            }

            foreach (int type in hands)
            {
                if (!_handedBy.ContainsKey(type))
                {
                    _handedBy.Add(type, from.Id);
                }
            }

            foreach (string call in externalCalls)
            {
                if (!_calledBy.ContainsKey(call))
                {
                    _calledBy.Add(call, from.Id);
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

                if (symbol.Kind == "field" && !IsAssigned(symbol))
                {
                    // Read, but assigned only by code this kernel leaves out: it keeps its default
                    // value, which is what the reads see (CS0649 says so; here it is expected).
                    edits.Add((declaration.Start, 0, "#pragma warning disable CS0649 // " + symbol.DisplayName + ": nothing kept assigns it; reads see its default\n"));
                    edits.Add((declaration.Start + declaration.Length, 0, "#pragma warning restore CS0649\n"));
                }

                if (declaration.StubStart >= 0 && !_real[declaration.Symbol])
                {
                    edits.Add((declaration.StubStart, declaration.StubLength, declaration.StubText));
                    if (symbol.Syscall >= 0)
                    {
                        stubbed.Add(symbol.Syscall);
                    }
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
                bool off = guard.IsNameTableSection ? !Array.Exists(guard.Refs.Edges, e => _kept[e]) : !Features.Contains(guard.Feature);
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

            // Writes to fields nothing reads, inside members that keep their body.
            foreach (GraphWrite write in _graph.Writes)
            {
                if (write.File == file.Index && !_kept[write.Field] && _kept[write.Symbol] && _real[write.Symbol]
                    && !edits.Exists(e => e.Start <= write.Start && write.Start + write.Length <= e.Start + e.Length))
                {
                    edits.Add(write.Pure ? (write.Start, write.Length, "") : (write.TargetStart, write.TargetLength, "_ = "));
                }
            }

            var builder = new StringBuilder(text);
            // From the end of the text back, so earlier offsets stay valid. At one offset a removal goes
            // first, then insertions in reverse order, so they read in the order they were made.
            var ordered = new List<(int Start, int Length, string Replacement, int Order)>();
            for (int index = 0; index < edits.Count; index++)
            {
                ordered.Add((edits[index].Start, edits[index].Length, edits[index].Replacement, index));
            }

            ordered.Sort((a, b) => a.Start != b.Start ? b.Start.CompareTo(a.Start) : a.Length != b.Length ? b.Length.CompareTo(a.Length) : b.Order.CompareTo(a.Order));
            foreach ((int start, int length, string replacement, int _) in ordered)
            {
                builder.Remove(start, length).Insert(start, replacement);
            }

            return builder.ToString();
        }
    }
}
