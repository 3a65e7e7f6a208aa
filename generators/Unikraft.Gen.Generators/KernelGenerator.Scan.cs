using System;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Unikraft.Gen.Helpers;
using Unikraft.Gen.Incremental;
using Unikraft.Gen.Kernel;
using Unikraft.Gen.Model;
using Unikraft.Gen.Support;

namespace Unikraft.Gen
{
    public sealed partial class KernelGenerator
    {
        // Scan: every tree's kernel call sites and entry points, from the compilation.
        //
        // Why one step over the compilation and not a syntax provider: a syntax provider runs its
        // transform for every candidate node on every compilation (the semantic model is new each
        // time), and keeps a table entry for each. On a program of 1,000 files that is thousands of
        // calls and entries per keystroke even when each one is remembered. Here a tree the edit did
        // not touch, under declarations that bind it the same way (DeclarationStamp), costs one
        // lookup; only the edited tree is walked, and in it only the edited member's call sites are
        // bound (BindingMemo). The step's output is compared with the last one, so an edit that
        // changes no call site leaves everything after it cached.
        //
        // On a first run the trees are independent: with the compilation's concurrent build on (the
        // compiler's default) they are bound on every core.
        private sealed class ProgramScanner
        {
            // Below this many trees to bind, one thread does it: starting workers costs more.
            private const int ParallelThreshold = 8;

            private readonly BindingMemo<ApiUse> _uses;

            private readonly BindingMemo<EntryPoint> _entries;

            // Each tree's results, with the stamp they were found under.
            private readonly ConditionalWeakTable<SyntaxTree, StrongBox<TreeResult?>> _trees = new ConditionalWeakTable<SyntaxTree, StrongBox<TreeResult?>>();

            public ProgramScanner(BindingMemo<ApiUse> uses, BindingMemo<EntryPoint> entries)
            {
                _uses = uses;
                _entries = entries;
            }

            public ProgramScan Run(Compilation compilation, CancellationToken cancellationToken)
            {
                KernelImage image = KernelImage.Instance;
                DeclarationStamp stamp = DeclarationStamp.Of(compilation, Detect.IsOwnOutput, image.ApiTypeNames);
                bool reachable = stamp.MentionsWatched || ReferencesDeclareKernel(compilation);
                var trees = new List<SyntaxTree>();
                var named = new SortedSet<string>(StringComparer.Ordinal);
                foreach (SyntaxTree tree in compilation.SyntaxTrees)
                {
                    if (!Detect.IsOwnOutput(tree))
                    {
                        trees.Add(tree);
                        if (stamp.MentionsWatched)
                        {
                            foreach (string name in image.ApiTopLevelTypeNames)
                            {
                                if (stamp.TreeMentions(tree, name))
                                {
                                    named.Add(name);
                                }
                            }
                        }
                    }
                }

                // A program that names the app-facing API binds its calls against the whole API,
                // which its own compilation holds only in part (what the plan keeps): the same API
                // trees for every run, added to this run's compilation. The stamp stays the
                // program's own. A program that does not name it binds in its own compilation (a
                // new one would build its declarations again); its redirected BCL calls find their
                // kernel overloads in the API on its own (ApiSyntax.Surface).
                if (stamp.MentionsWatched)
                {
                    compilation = compilation.AddSyntaxTrees(ApiSyntax.Trees(compilation.SyntaxTrees.FirstOrDefault()?.Options));
                }

                var results = new TreeResult[trees.Count];
                var slots = new StrongBox<TreeResult?>[trees.Count];
                var pending = new List<int>();
                for (int index = 0; index < trees.Count; index++)
                {
                    SyntaxTree tree = trees[index];
                    StrongBox<TreeResult?> slot = slots[index] = _trees.GetValue(tree, static _ => new StrongBox<TreeResult?>());
                    TreeResult? earlier = Volatile.Read(ref slot.Value);
                    HashSet<string>? changed = earlier is null ? null : stamp.ChangedConstantNames(earlier.Stamp);
                    if (earlier is null || changed is null)
                    {
                        // A new tree, an edited one, or declarations that changed: walk it.
                        pending.Add(index);
                        continue;
                    }

                    TreeResult current = ReferenceEquals(earlier.Stamp, stamp) ? earlier
                        : changed.Count == 0 || !stamp.TreeMentions(tree, changed) ? earlier.With(stamp)
                        : Refresh(compilation, tree, earlier, stamp, changed, reachable, cancellationToken);
                    if (!ReferenceEquals(current, earlier))
                    {
                        // Compared against the newest stamp next time: the changes since are fewer.
                        Volatile.Write(ref slot.Value, current);
                    }

                    results[index] = current;
                }

                void ScanOne(int index)
                {
                    TreeResult result = ScanTree(compilation, trees[index], stamp, reachable, cancellationToken);
                    Volatile.Write(ref slots[index].Value, result);
                    results[index] = result;
                }

                if (pending.Count >= ParallelThreshold && compilation.Options.ConcurrentBuild)
                {
                    var options = new ParallelOptions { CancellationToken = cancellationToken };
                    try
                    {
                        Parallel.ForEach(pending, options, ScanOne);
                    }
                    catch (AggregateException) when (cancellationToken.IsCancellationRequested)
                    {
                        // A cancellation seen inside a worker: the driver expects it unwrapped.
                        throw new OperationCanceledException(cancellationToken);
                    }
                }
                else
                {
                    foreach (int index in pending)
                    {
                        cancellationToken.ThrowIfCancellationRequested();
                        ScanOne(index);
                    }
                }

                var uses = new List<ApiUse>();
                var entries = new List<EntryPoint>();
                foreach (TreeResult result in results)
                {
                    uses.AddRange(result.Uses);
                    entries.AddRange(result.Entries);
                }

                return new ProgramScan(uses.ToEquatableArray(), entries.ToEquatableArray(), named.ToEquatableArray());
            }

            private TreeResult ScanTree(Compilation compilation, SyntaxTree tree, DeclarationStamp stamp, bool reachable, CancellationToken cancellationToken)
            {
                var model = new TreeModel(compilation, tree, reachable);
                var sites = new List<ScannedSite>();
                foreach (SyntaxNode node in tree.GetRoot(cancellationToken).DescendantNodesAndSelf())
                {
                    if (Detect.IsCandidateNode(node))
                    {
                        sites.Add(new ScannedSite(node, isEntry: false, _uses.Get(new Incremental.CallSite(node, model), stamp, cancellationToken), null));
                    }

                    if (Detect.IsEntryNode(node))
                    {
                        sites.Add(new ScannedSite(node, isEntry: true, null, _entries.Get(new Incremental.CallSite(node, model), stamp, cancellationToken)));
                    }
                }

                return new TreeResult(stamp, sites.ToArray());
            }

            // An unchanged tree that mentions a constant whose value changed: a call site keeps its
            // result unless it names one of the changed constants and may read it
            // (DeclarationStamp.Preserves, token by token); only those are bound again.
            private TreeResult Refresh(Compilation compilation, SyntaxTree tree, TreeResult earlier, DeclarationStamp stamp, HashSet<string> changed,
                bool reachable, CancellationToken cancellationToken)
            {
                var model = new TreeModel(compilation, tree, reachable);
                SyntaxNode root = tree.GetRoot(cancellationToken);
                var sites = new ScannedSite[earlier.Sites.Length];
                for (int index = 0; index < sites.Length; index++)
                {
                    ScannedSite site = earlier.Sites[index];
                    if (!site.Mentions(changed))
                    {
                        sites[index] = site;
                        continue;
                    }

                    SyntaxNode? node = site.Find(root);
                    if (node is null)
                    {
                        // Cannot happen in the same tree; walking it again is always right.
                        return ScanTree(compilation, tree, stamp, reachable, cancellationToken);
                    }

                    if (stamp.Preserves(earlier.Stamp, node))
                    {
                        sites[index] = site;
                        continue;
                    }

                    var context = new Incremental.CallSite(node, model);
                    sites[index] = site.IsEntry
                        ? new ScannedSite(node, isEntry: true, null, _entries.Get(context, stamp, cancellationToken))
                        : new ScannedSite(node, isEntry: false, _uses.Get(context, stamp, cancellationToken), null);
                }

                return new TreeResult(stamp, sites);
            }

            // Whether a referenced assembly (a library built with this generator) declares types in
            // the kernel's namespace, so that values of kernel API types may come from it.
            private static bool ReferencesDeclareKernel(Compilation compilation)
            {
                foreach (IAssemblySymbol assembly in compilation.SourceModule.ReferencedAssemblySymbols)
                {
                    if (!Libraries.IsFramework(compilation, assembly) && s_declaresKernel.GetValue(assembly, DeclaresKernel).Value)
                    {
                        return true;
                    }
                }

                return false;
            }

            private static readonly ConditionalWeakTable<IAssemblySymbol, StrongBox<bool>> s_declaresKernel =
                new ConditionalWeakTable<IAssemblySymbol, StrongBox<bool>>();

            private static StrongBox<bool> DeclaresKernel(IAssemblySymbol assembly)
            {
                foreach (INamespaceSymbol unikraft in assembly.GlobalNamespace.GetNamespaceMembers())
                {
                    if (unikraft.Name != "Unikraft")
                    {
                        continue;
                    }

                    foreach (INamespaceSymbol kernel in unikraft.GetNamespaceMembers())
                    {
                        if (kernel.Name == "Kernel")
                        {
                            return new StrongBox<bool>(true);
                        }
                    }
                }

                return new StrongBox<bool>(false);
            }

            // One candidate node of a tree and what it was found to be. Its position names it while
            // the tree is the same object (red nodes may be collected between runs); its identifiers
            // say, without finding the node again, which constant changes can touch it.
            private sealed class ScannedSite
            {
                public ScannedSite(SyntaxNode node, bool isEntry, ApiUse? use, EntryPoint? entry)
                {
                    Start = node.SpanStart;
                    Length = node.Span.Length;
                    Kind = node.RawKind;
                    IsEntry = isEntry;
                    Use = use;
                    Entry = entry;
                    var names = new HashSet<string>(StringComparer.Ordinal);
                    foreach (SyntaxToken token in node.DescendantTokens())
                    {
                        if (token.RawKind == (int)Microsoft.CodeAnalysis.CSharp.SyntaxKind.IdentifierToken)
                        {
                            names.Add(token.ValueText);
                        }
                    }

                    Names = names.Count == 0 ? Array.Empty<string>() : new List<string>(names).ToArray();
                }

                public int Start { get; }

                public int Length { get; }

                public int Kind { get; }

                public bool IsEntry { get; }

                public ApiUse? Use { get; }

                public EntryPoint? Entry { get; }

                private string[] Names { get; }

                public bool Mentions(HashSet<string> changed)
                {
                    foreach (string name in Names)
                    {
                        if (changed.Contains(name))
                        {
                            return true;
                        }
                    }

                    return false;
                }

                public SyntaxNode? Find(SyntaxNode root)
                {
                    var span = new Microsoft.CodeAnalysis.Text.TextSpan(Start, Length);
                    if (!root.FullSpan.Contains(span))
                    {
                        return null;
                    }

                    for (SyntaxNode? node = root.FindNode(span, getInnermostNodeForTie: true); node is not null && node.Span == span; node = node.Parent)
                    {
                        if (node.RawKind == Kind)
                        {
                            return node;
                        }
                    }

                    return null;
                }
            }

            private sealed class TreeResult
            {
                public TreeResult(DeclarationStamp stamp, ScannedSite[] sites)
                {
                    Stamp = stamp;
                    Sites = sites;
                    var uses = new List<ApiUse>();
                    var entries = new List<EntryPoint>();
                    foreach (ScannedSite site in sites)
                    {
                        if (site.Use is not null)
                        {
                            uses.Add(site.Use);
                        }

                        if (site.Entry is not null)
                        {
                            entries.Add(site.Entry);
                        }
                    }

                    Uses = uses.ToArray();
                    Entries = entries.ToArray();
                }

                private TreeResult(DeclarationStamp stamp, TreeResult same)
                {
                    Stamp = stamp;
                    Sites = same.Sites;
                    Uses = same.Uses;
                    Entries = same.Entries;
                }

                public DeclarationStamp Stamp { get; }

                public ScannedSite[] Sites { get; }

                public ApiUse[] Uses { get; }

                public EntryPoint[] Entries { get; }

                public TreeResult With(DeclarationStamp stamp) => new TreeResult(stamp, this);
            }
        }
    }
}
