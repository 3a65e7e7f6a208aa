using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Unikraft.Gen.Incremental
{
    // What the call sites of a file's members bound to, so that an edit binds only the member it
    // touched.
    //
    // Why: every compilation is new after an edit, and binding a call binds the statement around it,
    // so without a memory every keystroke would bind the whole program again. An unchanged tree is
    // not asked about here at all: ProgramScanner keeps each tree's results. In the edited tree every
    // node is new, but the parser reuses the green nodes of what the edit did not touch: a call site
    // inside a member whose green node is the same as before, under a DeclarationStamp that binds it
    // the same way, keeps its result (moved to where the call now is). Only the edited member's call
    // sites are bound.
    internal sealed class BindingMemo<T>
        where T : class
    {
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

        // The result for one call site of a tree the scan walks, under the compilation's stamp.
        public T? Get(CallSite context, DeclarationStamp stamp, CancellationToken cancellationToken)
        {
            FileHistory history = _files.GetOrAdd(context.Node.SyntaxTree.FilePath, static _ => new FileHistory());
            MemberDeclarationSyntax? member = MemberOf(context.Node);
            Entry? earlier = member is null ? null : history.Find(context.Node, member);
            Entry? entry = null;
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

                    var remembered = new Remembered(member, node.SpanStart - member.FullSpan.Start, node.RawKind, node.Span.Length, entry);
                    // The same tree walked again (its declarations elsewhere changed): the call
                    // site's new result replaces its old one instead of piling up beside it.
                    int same = list.FindIndex(r => r.Member.FullSpan.Start == member.FullSpan.Start && r.Offset == remembered.Offset
                        && r.Kind == remembered.Kind && r.Length == remembered.Length);
                    if (same >= 0)
                    {
                        list[same] = remembered;
                    }
                    else
                    {
                        list.Add(remembered);
                    }
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
