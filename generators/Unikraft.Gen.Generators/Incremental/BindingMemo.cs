using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Unikraft.Gen.Incremental
{
    // What a call site bound to, remembered by its syntax node, so a run after an edit elsewhere
    // does not bind it again.
    //
    // Why: every compilation is new after an edit, and binding a call binds the statement around it,
    // so without a memory every keystroke would bind the whole program again (ProgramScan skips
    // whole unchanged trees before it asks here). In an unchanged tree (the same SyntaxTree object)
    // a node's position, length and kind name it, so a node seen before, under a DeclarationStamp
    // that binds it the same way, gets the result it had. In the edited tree every node is new, but the parser reuses the green nodes of
    // what the edit did not touch: a call site inside a member whose green node is the same as
    // before is not bound again either (its result is moved to where the call now is). Only the
    // edited member's call sites are bound.
    internal sealed class BindingMemo<T>
        where T : class
    {
        // By tree, then by where the node is: a tree's red nodes are made on demand and may be
        // collected between runs, so the same call site is not always the same node object.
        private readonly ConditionalWeakTable<SyntaxTree, ConcurrentDictionary<(int Start, int Length, int Kind), Slot>> _slots =
            new ConditionalWeakTable<SyntaxTree, ConcurrentDictionary<(int Start, int Length, int Kind), Slot>>();

        private readonly Func<CallSite, DeclarationStamp, CancellationToken, T?> _bind;

        private readonly Func<T, CallSite, CancellationToken, T?>? _relocate;

        // The last two versions of each file's members, for the edited tree's call sites.
        private readonly ConcurrentDictionary<string, FileHistory> _files = new ConcurrentDictionary<string, FileHistory>(StringComparer.Ordinal);

        private long _binds;

        // 'bind' gets the compilation's stamp too (what the program declares, without binding).
        // 'relocate': a result remembered from the tree before, moved to where its call site is now
        // (line, interceptable location), or null to bind it instead; without it only "not a kernel
        // call" results are taken from the tree before.
        public BindingMemo(Func<CallSite, DeclarationStamp, CancellationToken, T?> bind, Func<T, CallSite, CancellationToken, T?>? relocate = null)
        {
            _bind = bind;
            _relocate = relocate;
        }

        // How many times a result was computed rather than remembered (for tests and the benchmark).
        public long Binds => Interlocked.Read(ref _binds);

        // The result for one call site under the compilation's stamp.
        public T? Get(CallSite context, DeclarationStamp stamp, CancellationToken cancellationToken)
        {
            SyntaxNode node = context.Node;
            Slot slot = _slots.GetValue(node.SyntaxTree, static _ => new ConcurrentDictionary<(int Start, int Length, int Kind), Slot>())
                .GetOrAdd((node.SpanStart, node.Span.Length, node.RawKind), static _ => new Slot());
            Entry? entry = slot.Entry;
            if (entry is not null && stamp.Preserves(entry.Stamp, context.Node))
            {
                if (!ReferenceEquals(entry.Stamp, stamp))
                {
                    // Compared against the newest stamp next time: the changes since are fewer.
                    slot.Entry = new Entry(stamp, entry.Result);
                }

                return entry.Result;
            }

            FileHistory history = _files.GetOrAdd(context.Node.SyntaxTree.FilePath, static _ => new FileHistory());
            MemberDeclarationSyntax? member = MemberOf(context.Node);
            Entry? earlier = member is null ? null : history.Find(context.Node, member);
            entry = null;
            if (earlier is not null && stamp.Preserves(earlier.Stamp, context.Node))
            {
                if (earlier.Result is null)
                {
                    entry = new Entry(stamp, null);
                }
                else if (_relocate is not null && _relocate(earlier.Result, context, cancellationToken) is { } relocated)
                {
                    entry = new Entry(stamp, relocated);
                }
            }

            if (entry is null)
            {
                entry = new Entry(stamp, _bind(context, stamp, cancellationToken));
                Interlocked.Increment(ref _binds);
            }

            slot.Entry = entry;
            if (member is not null && (entry.Result is null || _relocate is not null))
            {
                history.Add(context.Node, member, entry);
            }

            return entry.Result;
        }

        // The member a call site is bound in. Top-level statements are left out: a statement there
        // binds against the locals the ones before it declare.
        private static MemberDeclarationSyntax? MemberOf(SyntaxNode node)
        {
            for (SyntaxNode? current = node.Parent; current is not null; current = current.Parent)
            {
                switch (current)
                {
                    case GlobalStatementSyntax:
                    case BaseTypeDeclarationSyntax:
                    case BaseNamespaceDeclarationSyntax:
                        return null;
                    case MemberDeclarationSyntax member:
                        return member;
                }
            }

            return null;
        }

        // One file's results, by member, for its current tree and the one before.
        private sealed class FileHistory
        {
            private readonly object _gate = new object();

            private SyntaxTree? _currentTree;

            private Dictionary<int, List<Remembered>> _current = new Dictionary<int, List<Remembered>>();

            private Dictionary<int, List<Remembered>> _previous = new Dictionary<int, List<Remembered>>();

            public Entry? Find(SyntaxNode node, MemberDeclarationSyntax member)
            {
                lock (_gate)
                {
                    Dictionary<int, List<Remembered>> older = ReferenceEquals(_currentTree, node.SyntaxTree) ? _previous : _current;
                    if (!older.TryGetValue(member.FullSpan.Length, out List<Remembered>? candidates))
                    {
                        return null;
                    }

                    int offset = node.SpanStart - member.FullSpan.Start;
                    foreach (Remembered remembered in candidates)
                    {
                        if (remembered.Offset == offset && remembered.Kind == node.RawKind && remembered.Length == node.Span.Length
                            && remembered.Member.IsIncrementallyIdenticalTo(member))
                        {
                            return remembered.Entry;
                        }
                    }

                    return null;
                }
            }

            public void Add(SyntaxNode node, MemberDeclarationSyntax member, Entry entry)
            {
                lock (_gate)
                {
                    if (!ReferenceEquals(_currentTree, node.SyntaxTree))
                    {
                        _previous = _current;
                        _current = new Dictionary<int, List<Remembered>>();
                        _currentTree = node.SyntaxTree;
                    }

                    if (!_current.TryGetValue(member.FullSpan.Length, out List<Remembered>? list))
                    {
                        list = new List<Remembered>();
                        _current.Add(member.FullSpan.Length, list);
                    }

                    list.Add(new Remembered(member, node.SpanStart - member.FullSpan.Start, node.RawKind, node.Span.Length, entry));
                }
            }
        }

        private sealed class Remembered
        {
            public Remembered(MemberDeclarationSyntax member, int offset, int kind, int length, Entry entry)
            {
                Member = member;
                Offset = offset;
                Kind = kind;
                Length = length;
                Entry = entry;
            }

            public MemberDeclarationSyntax Member { get; }

            public int Offset { get; }

            public int Kind { get; }

            public int Length { get; }

            public Entry Entry { get; }
        }

        // Runs of the generator for two compilations may read and write a slot at once; an entry is
        // immutable and either one is correct to compare with.
        private sealed class Slot
        {
            private volatile Entry? _entry;

            public Entry? Entry
            {
                get => _entry;
                set => _entry = value;
            }
        }

        private sealed class Entry
        {
            public Entry(DeclarationStamp stamp, T? result)
            {
                Stamp = stamp;
                Result = result;
            }

            public DeclarationStamp Stamp { get; }

            public T? Result { get; }
        }
    }
}
