using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Unikraft.Gen.Incremental
{
    // What every call site's binding can depend on outside its own syntax tree: the declarations
    // of the compilation (types, members, signatures, attributes, usings: every token outside a
    // member's body), the values of its constants, its references and its options.
    //
    // Why this is enough: C# infers nothing across a member's body. Which method a call binds to,
    // and the constant value of its arguments, depend on the call's own tree and on what other
    // trees declare, never on the statements inside another member. A constant's value is the one
    // exception (overload resolution and our path detection read constant values), so constants
    // are kept apart: their names are part of the shape, their values are compared by name.
    internal sealed class DeclarationStamp
    {
        private static readonly ConditionalWeakTable<Compilation, DeclarationStamp> s_byCompilation =
            new ConditionalWeakTable<Compilation, DeclarationStamp>();

        private static readonly ConditionalWeakTable<SyntaxTree, TreeSurface> s_byTree =
            new ConditionalWeakTable<SyntaxTree, TreeSurface>();

        // Whether a tree mentions a watched name (one set of watched names per process: the kernel's).
        private static readonly ConditionalWeakTable<SyntaxTree, StrongBox<bool>> s_mentionsWatched =
            new ConditionalWeakTable<SyntaxTree, StrongBox<bool>>();

        private readonly ImmutableArray<MetadataReference> _references;
        private readonly CompilationOptions _options;
        private readonly TreeSurface[] _trees;
        private readonly ulong _shape;

        private readonly Lazy<HashSet<string>> _aliases;

        // The constants whose values differ from an earlier stamp's of the same shape.
        private readonly ConditionalWeakTable<DeclarationStamp, Change> _changedSince =
            new ConditionalWeakTable<DeclarationStamp, Change>();

        private DeclarationStamp(ImmutableArray<MetadataReference> references, CompilationOptions options, TreeSurface[] trees, ulong shape,
            bool mentionsWatched)
        {
            _references = references;
            _options = options;
            _trees = trees;
            _shape = shape;
            MentionsWatched = mentionsWatched;
            _aliases = new Lazy<HashSet<string>>(() =>
            {
                var aliases = new HashSet<string>(StringComparer.Ordinal);
                foreach (TreeSurface tree in _trees)
                {
                    foreach (NameLink link in tree.Links)
                    {
                        if (link.IsAlias)
                        {
                            aliases.Add(link.Name);
                        }
                    }
                }

                return aliases;
            });
        }

        // Whether a 'using' alias of this name is declared anywhere in the program.
        public bool IsAlias(string name) => _aliases.Value.Contains(name);

        // Whether any tree, anywhere (member bodies too), has an identifier among the watched names.
        // Part of the shape: a result bound while it was false does not hold once it is true.
        public bool MentionsWatched { get; }

        // The stamp of a compilation, computed once; a tree's surface is computed once per tree.
        // 'ignore': trees left out (the generator's own output, which no edit changes); 'watched':
        // names whose mention anywhere the stamp records (remembered per tree: every caller passes
        // the same set).
        public static DeclarationStamp Of(Compilation compilation, Func<SyntaxTree, bool> ignore, HashSet<string> watched) =>
            s_byCompilation.GetValue(compilation, c => Compute(c, ignore, watched));

        private static DeclarationStamp Compute(Compilation compilation, Func<SyntaxTree, bool> ignore, HashSet<string> watched)
        {
            var trees = new List<TreeSurface>();
            ulong shape = Hash.Start;
            bool mentionsWatched = false;
            foreach (SyntaxTree tree in compilation.SyntaxTrees)
            {
                if (ignore(tree))
                {
                    continue;
                }

                TreeSurface surface = s_byTree.GetValue(tree, TreeSurface.Read);
                trees.Add(surface);
                shape = Hash.Add(Hash.Add(shape, tree.FilePath), surface.Shape);
                mentionsWatched = mentionsWatched || s_mentionsWatched.GetValue(tree, t => new StrongBox<bool>(Identifiers.Of(t).Overlaps(watched))).Value;
            }

            return new DeclarationStamp(compilation.References.ToImmutableArray(), compilation.Options, trees.ToArray(), shape, mentionsWatched);
        }

        // The names of the constants whose values changed since 'earlier' (and of every constant
        // computed from one), or null when the declarations differ otherwise. A call site that
        // mentions none of them binds as it did; one that does is asked about with Preserves.
        public HashSet<string>? ChangedConstantNames(DeclarationStamp earlier)
        {
            if (ReferenceEquals(earlier, this))
            {
                return s_none;
            }

            Change change = ChangeSince(earlier);
            return change == Change.OtherShape ? null : change.Names;
        }

        // Whether a tree mentions any of the names, anywhere.
        public bool TreeMentions(SyntaxTree tree, HashSet<string> names) => Identifiers.Of(tree).Overlaps(names);

        public bool TreeMentions(SyntaxTree tree, string name) => Identifiers.Of(tree).Contains(name);

        private static readonly HashSet<string> s_none = new HashSet<string>(StringComparer.Ordinal);

        // Compared once per pair of stamps, not once per call site.
        private Change ChangeSince(DeclarationStamp earlier) =>
            _changedSince.GetValue(earlier, e => SameShape(e) ? ChangedConstants(e) : Change.OtherShape);

        // Whether a call site bound under 'earlier' binds the same way under this stamp.
        public bool Preserves(DeclarationStamp earlier, SyntaxNode site)
        {
            if (ReferenceEquals(earlier, this))
            {
                return true;
            }

            Change change = ChangeSince(earlier);
            if (change == Change.OtherShape)
            {
                return false;
            }

            if (change.Names.Count == 0)
            {
                return true;
            }

            if (!Identifiers.Of(site.SyntaxTree).Overlaps(change.Names))
            {
                return true;
            }

            foreach (SyntaxToken token in site.DescendantTokens())
            {
                if (token.IsKind(SyntaxKind.IdentifierToken) && change.Names.Contains(token.ValueText) && change.MayDenote(token))
                {
                    return false;
                }
            }

            return true;
        }

        private bool SameShape(DeclarationStamp other)
        {
            if (_shape != other._shape || MentionsWatched != other.MentionsWatched || _trees.Length != other._trees.Length || !_options.Equals(other._options)
                || _references.Length != other._references.Length)
            {
                return false;
            }

            for (int i = 0; i < _references.Length; i++)
            {
                if (!ReferenceEquals(_references[i], other._references[i]))
                {
                    return false;
                }
            }

            for (int i = 0; i < _trees.Length; i++)
            {
                if (!_trees[i].SameShape(other._trees[i]))
                {
                    return false;
                }
            }

            return true;
        }

        // The constants whose value changed since 'earlier', every constant computed from one, and
        // the names of the types that may hold them.
        private Change ChangedConstants(DeclarationStamp earlier)
        {
            var names = new HashSet<string>(StringComparer.Ordinal);
            var types = new HashSet<string>(StringComparer.Ordinal);
            for (int i = 0; i < _trees.Length; i++)
            {
                _trees[i].AddChangedConstants(earlier._trees[i], names, types);
            }

            bool grew = names.Count > 0;
            while (grew)
            {
                grew = false;
                foreach (TreeSurface tree in _trees)
                {
                    foreach (Constant constant in tree.Constants)
                    {
                        if (constant.Mentions(names) && (names.Add(constant.Name) | types.Add(constant.Type)))
                        {
                            grew = true;
                        }
                    }

                    // A constant is reached through its type, a type derived from it, or an alias of either.
                    foreach (NameLink link in tree.Links)
                    {
                        if (types.Contains(link.Target) && types.Add(link.Name))
                        {
                            grew = true;
                        }
                    }
                }
            }

            return new Change(names, types);
        }

        private sealed class Change
        {
            // The declarations differ: nothing bound under one stamp is known to hold under the other.
            public static readonly Change OtherShape = new Change(new HashSet<string>(), new HashSet<string>());

            public Change(HashSet<string> names, HashSet<string> types)
            {
                Names = names;
                Types = types;
            }

            public HashSet<string> Names { get; }

            public HashSet<string> Types { get; }

            // Whether an identifier with a changed constant's name may denote it: any simple name may
            // (the constant's own class, a derived one, 'using static'); a qualified one only when
            // its qualifier names a type that holds it (a constant is never read through an instance).
            public bool MayDenote(SyntaxToken token)
            {
                SyntaxNode? name = token.Parent;
                ExpressionSyntax? qualifier = name?.Parent switch
                {
                    MemberAccessExpressionSyntax access when access.Name == name => access.Expression,
                    QualifiedNameSyntax qualified when qualified.Right == name => qualified.Left,
                    _ => null,
                };
                return qualifier is null || RightmostName(qualifier) is not { } type || Types.Contains(type);
            }
        }

        // Every identifier a tree mentions, computed once per tree: most trees mention no changed
        // constant at all, and are cleared without looking at their call sites one by one.
        private static class Identifiers
        {
            private static readonly ConditionalWeakTable<SyntaxTree, HashSet<string>> s_byTree =
                new ConditionalWeakTable<SyntaxTree, HashSet<string>>();

            public static HashSet<string> Of(SyntaxTree tree) => s_byTree.GetValue(tree, Read);

            private static HashSet<string> Read(SyntaxTree tree)
            {
                var names = new HashSet<string>(StringComparer.Ordinal);
                foreach (SyntaxToken token in tree.GetRoot().DescendantTokens())
                {
                    if (token.IsKind(SyntaxKind.IdentifierToken))
                    {
                        names.Add(token.ValueText);
                    }
                }

                return names;
            }
        }

        // The last identifier of a type name as written: 'Limits' in 'A.B.Limits' or 'Limits<T>'.
        public static string? RightmostName(SyntaxNode node) => node switch
        {
            SimpleNameSyntax simple => simple.Identifier.ValueText,
            QualifiedNameSyntax qualified => qualified.Right.Identifier.ValueText,
            AliasQualifiedNameSyntax alias => alias.Name.Identifier.ValueText,
            MemberAccessExpressionSyntax access => access.Name.Identifier.ValueText,
            _ => null,
        };

        // A name that can stand for a type: a type's base types and an alias's target.
        private sealed class NameLink
        {
            public NameLink(string name, string target, bool isAlias)
            {
                Name = name;
                Target = target;
                IsAlias = isAlias;
            }

            public bool IsAlias { get; }

            public string Name { get; }

            public string Target { get; }
        }

        // One tree's declarations: a hash of every token outside member bodies and constant
        // values, and its constants with the hash of their values.
        private sealed class TreeSurface
        {
            private TreeSurface(ulong shape, Constant[] constants, NameLink[] links)
            {
                Shape = shape;
                Constants = constants;
                Links = links;
            }

            public ulong Shape { get; }

            public Constant[] Constants { get; }

            // Derived type -> base type, alias -> target, by simple names (part of the shape).
            public NameLink[] Links { get; }

            public bool SameShape(TreeSurface other)
            {
                if (ReferenceEquals(this, other))
                {
                    return true;
                }

                if (Shape != other.Shape || Constants.Length != other.Constants.Length)
                {
                    return false;
                }

                for (int i = 0; i < Constants.Length; i++)
                {
                    if (!string.Equals(Constants[i].Name, other.Constants[i].Name, StringComparison.Ordinal))
                    {
                        return false;
                    }
                }

                return true;
            }

            public void AddChangedConstants(TreeSurface earlier, HashSet<string> changed, HashSet<string> types)
            {
                if (ReferenceEquals(this, earlier))
                {
                    return;
                }

                for (int i = 0; i < Constants.Length; i++)
                {
                    if (Constants[i].Value != earlier.Constants[i].Value)
                    {
                        changed.Add(Constants[i].Name);
                        types.Add(Constants[i].Type);
                    }
                }
            }

            public static TreeSurface Read(SyntaxTree tree)
            {
                ulong shape = Hash.Start;
                var constants = new List<Constant>();
                var links = new List<NameLink>();
                Visit(tree.GetRoot(), ref shape, constants, links);
                return new TreeSurface(shape, constants.ToArray(), links.ToArray());
            }

            private static void Visit(SyntaxNode node, ref ulong shape, List<Constant> constants, List<NameLink> links)
            {
                AddLinks(node, links);
                foreach (SyntaxNodeOrToken child in node.ChildNodesAndTokens())
                {
                    if (child.IsToken)
                    {
                        SyntaxToken token = child.AsToken();
                        shape = Hash.Add(Hash.Add(shape, (ulong)token.RawKind), token.Text);
                        continue;
                    }

                    SyntaxNode inner = child.AsNode()!;
                    if (IsBody(inner))
                    {
                        // Its presence is part of the shape (a method with a body or without), not its content.
                        shape = Hash.Add(shape, (ulong)inner.RawKind);
                        continue;
                    }

                    if (inner is EqualsValueClauseSyntax value && IsConstantValue(value, out string? name))
                    {
                        constants.Add(Constant.Read(name!, ContainingTypeName(value), value.Value));
                        shape = Hash.Add(shape, (ulong)inner.RawKind);
                        continue;
                    }

                    Visit(inner, ref shape, constants, links);
                }
            }

            private static void AddLinks(SyntaxNode node, List<NameLink> links)
            {
                if (node is BaseTypeDeclarationSyntax { BaseList: { } baseList } type)
                {
                    foreach (BaseTypeSyntax baseType in baseList.Types)
                    {
                        if (RightmostName(baseType.Type) is { } target)
                        {
                            links.Add(new NameLink(type.Identifier.ValueText, target, isAlias: false));
                        }
                    }
                }
                else if (node is UsingDirectiveSyntax { Alias: { } alias } directive && RightmostName(directive.NamespaceOrType) is { } target)
                {
                    links.Add(new NameLink(alias.Name.Identifier.ValueText, target, isAlias: true));
                }
            }

            private static string ContainingTypeName(SyntaxNode node)
            {
                for (SyntaxNode? current = node.Parent; current is not null; current = current.Parent)
                {
                    if (current is BaseTypeDeclarationSyntax type)
                    {
                        return type.Identifier.ValueText;
                    }
                }

                return "";
            }

            // The bodies of members and the statements of a program: nothing outside them sees inside.
            private static bool IsBody(SyntaxNode node) =>
                node is GlobalStatementSyntax
                || node is BlockSyntax && node.Parent is BaseMethodDeclarationSyntax or AccessorDeclarationSyntax
                || node is ArrowExpressionClauseSyntax && node.Parent is BaseMethodDeclarationSyntax or AccessorDeclarationSyntax or BasePropertyDeclarationSyntax;

            private static bool IsConstantValue(EqualsValueClauseSyntax value, out string? name)
            {
                switch (value.Parent)
                {
                    case EnumMemberDeclarationSyntax member:
                        name = member.Identifier.ValueText;
                        return true;
                    case VariableDeclaratorSyntax { Parent: VariableDeclarationSyntax { Parent: FieldDeclarationSyntax field } } declarator
                        when field.Modifiers.Any(SyntaxKind.ConstKeyword):
                        name = declarator.Identifier.ValueText;
                        return true;
                    default:
                        name = null;
                        return false;
                }
            }
        }

        // A constant (a const field or an enum member): its name and type, the hash of its value's
        // tokens, and the names its value mentions.
        private sealed class Constant
        {
            private readonly string[] _mentions;

            private Constant(string name, string type, ulong value, string[] mentions)
            {
                Name = name;
                Type = type;
                Value = value;
                _mentions = mentions;
            }

            public string Name { get; }

            // The simple name of the type that declares it.
            public string Type { get; }

            public ulong Value { get; }

            public static Constant Read(string name, string type, ExpressionSyntax value)
            {
                ulong hash = Hash.Start;
                var mentions = new List<string>();
                foreach (SyntaxToken token in value.DescendantTokens())
                {
                    hash = Hash.Add(Hash.Add(hash, (ulong)token.RawKind), token.Text);
                    if (token.IsKind(SyntaxKind.IdentifierToken))
                    {
                        mentions.Add(token.ValueText);
                    }
                }

                return new Constant(name, type, hash, mentions.ToArray());
            }

            public bool Mentions(HashSet<string> names)
            {
                foreach (string mention in _mentions)
                {
                    if (names.Contains(mention))
                    {
                        return true;
                    }
                }

                return false;
            }
        }

        // NOTE: FNV-1a, 64-bit (offset basis 14695981039346656037, prime 1099511628211).
        private static class Hash
        {
            public const ulong Start = 14695981039346656037UL;

            private const ulong Prime = 1099511628211UL;

            public static ulong Add(ulong hash, ulong value)
            {
                for (int i = 0; i < 8; i++)
                {
                    hash = (hash ^ (value & 0xFF)) * Prime;
                    value >>= 8;
                }

                return hash;
            }

            public static ulong Add(ulong hash, string text)
            {
                foreach (char c in text)
                {
                    hash = (hash ^ c) * Prime;
                }

                return (hash ^ 0xFF) * Prime;
            }
        }
    }
}
