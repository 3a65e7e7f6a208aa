using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Unikraft.Gen.Graph;

namespace Unikraft.Gen.GraphTool;

// Compiles the kernel sources with Roslyn and records, for every declared type and member, where it
// is declared and every kernel symbol it refers to, explicitly or implicitly (constructors, foreach,
// await, conversions, attributes, overrides and interface implementations).
internal sealed class GraphBuilder
{
    private const string ApiFolder = "Api";

    private const string SetSynchronizationContext = KernelGraph.SetSynchronizationContext;

    private readonly string _kernelFolder;
    private readonly Dictionary<ISymbol, GraphSymbol> _symbols = new(SymbolEqualityComparer.Default);
    private readonly List<(ISymbol Symbol, SyntaxNode Declaration, int File, SemanticModel Model)> _declarations = new();
    private readonly KernelGraph _graph = new();

    public GraphBuilder(string kernelFolder)
    {
        _kernelFolder = kernelFolder;
    }

    public List<string> Problems { get; } = new();

    public KernelGraph? Build()
    {
        List<(string Path, string Text)> sources = ReadSources();
        _graph.SourceHash = KernelGraph.HashSources(sources.Select(s => new KeyValuePair<string, string>(s.Path, s.Text)));

        var parseOptions = new CSharpParseOptions(LanguageVersion.Latest);
        var trees = new List<SyntaxTree>();
        for (int index = 0; index < sources.Count; index++)
        {
            (string path, string text) = sources[index];
            string folder = FolderOf(path);
            bool isDescriptor = Path.GetFileName(path) == "Library.cs";
            _graph.Files.Add(new GraphFile(index, path, folder, folder == ApiFolder, isDescriptor));
            trees.Add(CSharpSyntaxTree.ParseText(text, parseOptions, path: path));
        }

        var compilation = CSharpCompilation.Create(
            "UnikraftKernelGraph",
            trees,
            FrameworkReferences(),
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable, allowUnsafe: true));

        foreach (Diagnostic diagnostic in compilation.GetDiagnostics())
        {
            if (diagnostic.Severity == DiagnosticSeverity.Error)
            {
                Problems.Add(Format(diagnostic.Location, "kernel does not compile: " + diagnostic.GetMessage()));
            }
        }

        if (Problems.Count > 0)
        {
            return null;
        }

        for (int index = 0; index < trees.Count; index++)
        {
            SyntaxTree tree = trees[index];
            SemanticModel model = compilation.GetSemanticModel(tree);
            if (_graph.Files[index].IsDescriptor)
            {
                ReadLibrary(tree, model, _graph.Files[index]);
                continue;
            }

            // Library.cs files are read, never emitted: assembly attributes must stand before the
            // namespace, so the conventions for emitted files do not apply to them.
            CheckConventions(tree, _graph.Files[index]);
            foreach (SyntaxNode node in tree.GetRoot().DescendantNodes())
            {
                ISymbol? declared = DeclaredSymbol(node, model);
                if (declared is not null)
                {
                    GraphSymbol symbol = SymbolFor(declared, _graph.Files[index]);
                    _declarations.Add((declared, node, index, model));
                    _ = symbol;
                }
            }
        }

        foreach ((ISymbol declared, SyntaxNode node, int file, SemanticModel model) in _declarations)
        {
            Describe(declared, node, file, model);
        }

        // Of the BCL members kernel code calls, only those a kernel member overrides matter (and the
        // call that hands a synchronization context to the runtime).
        var relevant = new HashSet<string>(_graph.Symbols.SelectMany(s => s.ExternalBases), StringComparer.Ordinal) { SetSynchronizationContext };
        foreach (GraphSymbol symbol in _graph.Symbols)
        {
            symbol.ExternalCalls = symbol.ExternalCalls.Where(relevant.Contains).ToArray();
        }

        foreach (GraphRefs refs in _graph.Guards.Select(g => g.Refs).Concat(_graph.Writes.Select(w => w.Refs)))
        {
            refs.ExternalCalls = refs.ExternalCalls.Where(relevant.Contains).ToArray();
        }

        if (Problems.Count > 0)
        {
            return null;
        }

        _graph.Symbols.Sort((a, b) => a.Id.CompareTo(b.Id));
        return _graph;
    }

    private List<(string Path, string Text)> ReadSources()
    {
        var sources = new List<(string Path, string Text)>();
        foreach (string file in Directory.EnumerateFiles(_kernelFolder, "*.cs", SearchOption.AllDirectories))
        {
            string relative = Path.GetRelativePath(_kernelFolder, file).Replace('\\', '/');
            if (relative.StartsWith("bin/", StringComparison.Ordinal) || relative.StartsWith("obj/", StringComparison.Ordinal))
            {
                continue;
            }

            sources.Add((relative, File.ReadAllText(file)));
        }

        sources.Sort((a, b) => string.CompareOrdinal(a.Path, b.Path));
        return sources;
    }

    private static string FolderOf(string path)
    {
        int slash = path.LastIndexOf('/');
        return slash < 0 ? "" : path.Substring(0, slash);
    }

    private static IEnumerable<MetadataReference> FrameworkReferences()
    {
        string trusted = (string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!;
        foreach (string path in trusted.Split(Path.PathSeparator))
        {
            string name = Path.GetFileName(path);
            if (name.StartsWith("System.", StringComparison.Ordinal) || name == "netstandard.dll" || name == "mscorlib.dll")
            {
                yield return MetadataReference.CreateFromFile(path);
            }
        }
    }

    private static ISymbol? DeclaredSymbol(SyntaxNode node, SemanticModel model) => node switch
    {
        BaseTypeDeclarationSyntax or DelegateDeclarationSyntax => model.GetDeclaredSymbol(node),
        MethodDeclarationSyntax or ConstructorDeclarationSyntax or DestructorDeclarationSyntax or OperatorDeclarationSyntax
            or ConversionOperatorDeclarationSyntax or PropertyDeclarationSyntax or IndexerDeclarationSyntax
            or EnumMemberDeclarationSyntax => model.GetDeclaredSymbol(node),
        FieldDeclarationSyntax field => field.Declaration.Variables.Count == 1 ? model.GetDeclaredSymbol(field.Declaration.Variables[0]) : null,
        _ => null,
    };

    private GraphSymbol SymbolFor(ISymbol declared, GraphFile file)
    {
        ISymbol key = declared.OriginalDefinition;
        if (_symbols.TryGetValue(key, out GraphSymbol? existing))
        {
            // A partial type declared in several files (Sys) belongs to the first folder it was met in;
            // its members carry their own folders.
            return existing;
        }

        var symbol = new GraphSymbol
        {
            Id = _symbols.Count,
            Kind = KindOf(key),
            Folder = file.Folder,
            IsApi = file.IsApi,
            IsInstance = key is not INamedTypeSymbol && !key.IsStatic,
            IsPrivate = IsPrivate(key),
            DocId = key.GetDocumentationCommentId() ?? key.ToDisplayString(),
        };
        _symbols.Add(key, symbol);
        _graph.Symbols.Add(symbol);
        return symbol;
    }

    private static bool IsPrivate(ISymbol symbol)
    {
        for (ISymbol? current = symbol; current is not null && current is not INamespaceSymbol; current = current.ContainingType)
        {
            if (current.DeclaredAccessibility == Accessibility.Private)
            {
                return true;
            }
        }

        return false;
    }

    private static string KindOf(ISymbol symbol) => symbol switch
    {
        INamedTypeSymbol => "type",
        IMethodSymbol { MethodKind: MethodKind.Constructor or MethodKind.StaticConstructor } => "constructor",
        IMethodSymbol { MethodKind: MethodKind.UserDefinedOperator or MethodKind.Conversion } => "operator",
        IMethodSymbol => "method",
        IPropertySymbol => "property",
        IFieldSymbol { ContainingType.TypeKind: TypeKind.Enum } => "enum-member",
        IFieldSymbol => "field",
        _ => "member",
    };

    private void Describe(ISymbol declared, SyntaxNode node, int file, SemanticModel model)
    {
        GraphSymbol symbol = _symbols[declared.OriginalDefinition];
        if (declared.ContainingType is { } containing && _symbols.TryGetValue(containing.OriginalDefinition, out GraphSymbol? container))
        {
            symbol.Container = container.Id;
        }

        // Where the declaration stands: the node with its leading comments and trailing line end,
        // and for an enum member its comma.
        int start = node.FullSpan.Start;
        int end = node.FullSpan.End;
        if (node is EnumMemberDeclarationSyntax enumMember)
        {
            SyntaxToken comma = enumMember.GetLastToken().GetNextToken();
            if (comma.IsKind(SyntaxKind.CommaToken))
            {
                end = comma.FullSpan.End;
            }
        }

        SyntaxNode? body = node switch
        {
            BaseMethodDeclarationSyntax method => (SyntaxNode?)method.Body ?? method.ExpressionBody,
            _ => null,
        };

        var bodyRefs = new Refs();
        var signatureRefs = new Refs();
        SortedSet<int> bodyEdges = bodyRefs.Edges;
        SyntaxNode? ownedBody = node is BaseTypeDeclarationSyntax ? null : node;
        if (node is BaseTypeDeclarationSyntax typeDeclaration)
        {
            // A type's own references: its attributes, base types and constraints. Its members are
            // symbols of their own.
            foreach (AttributeListSyntax list in typeDeclaration.AttributeLists)
            {
                Collect(list, model, signatureRefs, symbol, null);
            }

            if (typeDeclaration.BaseList is not null)
            {
                Collect(typeDeclaration.BaseList, model, signatureRefs, symbol, null);
            }

            if (typeDeclaration is TypeDeclarationSyntax withConstraints)
            {
                foreach (TypeParameterConstraintClauseSyntax clause in withConstraints.ConstraintClauses)
                {
                    Collect(clause, model, signatureRefs, symbol, null);
                }
            }
        }
        else if (ownedBody is not null)
        {
            // Feature guards: 'if (KernelFeatures.X) { ... }' with no else. What they refer to is
            // recorded apart, so the pruner can drop the statement and its references together.
            var guards = new List<(SyntaxNode Statement, string Feature)>();
            foreach (IfStatementSyntax statement in ownedBody.DescendantNodes().OfType<IfStatementSyntax>())
            {
                if (model.GetSymbolInfo(statement.Condition).Symbol is IPropertySymbol { ContainingType.Name: "KernelFeatures" } feature)
                {
                    if (statement.Else is not null)
                    {
                        Problems.Add(Format(statement.GetLocation(), $"a feature guard 'if (KernelFeatures.{feature.Name})' has no else branch: the pruner removes the whole statement"));
                        continue;
                    }

                    if (guards.Any(g => g.Statement.Span.Contains(statement.Span)))
                    {
                        continue;
                    }

                    guards.Add((statement, feature.Name));
                }
            }

            // A name table's sections: each stays while its constant is kept by other code.
            if (declared.GetAttributes().Any(a => a.AttributeClass?.Name == "NameTableAttribute"))
            {
                foreach (SwitchSectionSyntax section in ownedBody.DescendantNodes().OfType<SwitchSectionSyntax>())
                {
                    bool namesConstants = section.Labels.All(label => label is CaseSwitchLabelSyntax caseLabel
                        && model.GetSymbolInfo(caseLabel.Value).Symbol is IFieldSymbol { IsConst: true });
                    if (namesConstants && section.Labels.Count > 0)
                    {
                        guards.Add((section, GraphGuard.WhileKept));
                    }
                    else if (section.Labels.Any(label => label is CaseSwitchLabelSyntax))
                    {
                        Problems.Add(Format(section.GetLocation(), "a [NameTable] method's switch section names something other than constants"));
                    }
                }
            }

            foreach ((SyntaxNode statement, string feature) in guards)
            {
                var guardRefs = new Refs();
                Collect(statement, model, guardRefs, symbol, null);
                _graph.Guards.Add(new GraphGuard(symbol.Id, feature, file, statement.FullSpan.Start, statement.FullSpan.Length, guardRefs.ToGraph()));
            }

            // Field writes: 'field = value;' as a statement of its own. A field is kept only when
            // something reads it, so each write is recorded apart: removed with the field, or, when
            // the value has an effect of its own, kept as '_ = value;'.
            var writes = new List<ExpressionStatementSyntax>();
            foreach (ExpressionStatementSyntax statement in ownedBody.DescendantNodes().OfType<ExpressionStatementSyntax>())
            {
                if (guards.Any(g => g.Statement.Span.Contains(statement.Span))
                    || statement.Parent is not (BlockSyntax or SwitchSectionSyntax)
                    || statement.Expression is not AssignmentExpressionSyntax { RawKind: (int)SyntaxKind.SimpleAssignmentExpression } assignment
                    || WrittenField(assignment.Left, model) is not { } field)
                {
                    continue;
                }

                writes.Add(statement);
                var valueRefs = new Refs();
                Collect(assignment.Right, model, valueRefs, symbol, null);
                bool pure = IsPure(assignment.Right, model, 0);
                int valueStart = assignment.Right.SpanStart;
                _graph.Writes.Add(new GraphWrite(symbol.Id, field.Id, file, statement.FullSpan.Start, statement.FullSpan.Length,
                    assignment.Left.SpanStart, valueStart - assignment.Left.SpanStart, pure, valueRefs.ToGraph()));
            }

            bool Outside(SyntaxNode inner) => !guards.Any(g => g.Statement.Span.Contains(inner.Span)) && !writes.Any(w => w.Span.Contains(inner.Span));

            foreach (SyntaxNode child in ownedBody.ChildNodes())
            {
                bool isBody = body is not null && (child == body)
                    || child is ConstructorInitializerSyntax
                    || child is EqualsValueClauseSyntax
                    || child is AccessorListSyntax
                    || child is ArrowExpressionClauseSyntax
                    || child is VariableDeclarationSyntax;
                Collect(child, model, isBody ? bodyRefs : signatureRefs, symbol, Outside);
            }

            // The implicit base constructor call of a constructor without an initializer.
            if (declared is IMethodSymbol { MethodKind: MethodKind.Constructor, IsStatic: false } constructor
                && node is ConstructorDeclarationSyntax { Initializer: null }
                && constructor.ContainingType.BaseType is { } baseType)
            {
                IMethodSymbol? baseConstructor = baseType.InstanceConstructors.FirstOrDefault(c => c.Parameters.All(p => p.IsOptional || p.IsParams));
                if (baseConstructor is not null)
                {
                    AddEdge(baseConstructor, bodyEdges, symbol);
                }
            }
        }

        // Overrides and interface implementations.
        var links = new SortedSet<int>();
        var implements = new SortedSet<int>();
        var externalBases = new SortedSet<string>(StringComparer.Ordinal);
        bool isExplicit = declared is IMethodSymbol { ExplicitInterfaceImplementations.Length: > 0 }
            || declared is IPropertySymbol { ExplicitInterfaceImplementations.Length: > 0 };
        foreach (ISymbol baseMember in BaseMembers(declared))
        {
            if (_symbols.TryGetValue(baseMember.OriginalDefinition, out GraphSymbol? linked))
            {
                bool isInterfaceMember = baseMember.ContainingType?.TypeKind == TypeKind.Interface;
                (isInterfaceMember && !isExplicit ? implements : links).Add(linked.Id);
            }
            else if (baseMember.Locations.All(l => !l.IsInSource))
            {
                symbol.ExternalOverride = true;
                symbol.ExternalRequired |= baseMember.IsAbstract;
                externalBases.UnionWith(OverriddenChain(baseMember).Select(DocIdOf));
            }
        }

        // C# requires == and != in pairs (CS0216), and a type that defines them to override
        // Equals(object) and GetHashCode (CS0660/CS0661): a kept operator keeps its counterpart
        // and the type's own overrides.
        if (declared is IMethodSymbol { MethodKind: MethodKind.UserDefinedOperator, Name: "op_Equality" or "op_Inequality" } equalityOperator)
        {
            string counterpart = equalityOperator.Name == "op_Equality" ? "op_Inequality" : "op_Equality";
            foreach (ISymbol member in equalityOperator.ContainingType.GetMembers())
            {
                bool required = member is IMethodSymbol method
                    && ((method.Name == counterpart && method.Parameters.Length == 2
                            && method.Parameters.Select(p => p.Type).SequenceEqual(equalityOperator.Parameters.Select(p => p.Type), SymbolEqualityComparer.Default))
                        || (method.IsOverride && method.Name == "Equals" && method.Parameters.Length == 1 && method.Parameters[0].Type.SpecialType == SpecialType.System_Object)
                        || (method.IsOverride && method.Name == "GetHashCode" && method.Parameters.Length == 0));
                if (required && _symbols.TryGetValue(member.OriginalDefinition, out GraphSymbol? pair))
                {
                    links.Add(pair.Id);
                }
            }
        }

        foreach (AttributeData attribute in declared.GetAttributes())
        {
            switch (attribute.AttributeClass?.Name)
            {
                case "SyscallAttribute" when attribute.ConstructorArguments.Length == 1 && attribute.ConstructorArguments[0].Value is int number:
                    symbol.Syscall = number;
                    break;
                case "BootStepAttribute":
                    symbol.BootOrder = 0;
                    foreach (KeyValuePair<string, TypedConstant> argument in attribute.NamedArguments)
                    {
                        if (argument.Key == "Order" && argument.Value.Value is int order)
                        {
                            symbol.BootOrder = order;
                        }
                    }

                    CheckBootStep(declared, node);
                    break;
                case "DeviceAttribute" when attribute.ConstructorArguments.Length == 1 && attribute.ConstructorArguments[0].Value is string kind:
                    symbol.Device = kind;
                    break;
                case "UnmanagedCallersOnlyAttribute":
                    foreach (KeyValuePair<string, TypedConstant> argument in attribute.NamedArguments)
                    {
                        const string wrap = "__wrap_";
                        if (argument.Key == "EntryPoint" && argument.Value.Value is string entry && entry.StartsWith(wrap, StringComparison.Ordinal))
                        {
                            symbol.NativeEntry = entry.Substring(wrap.Length);
                        }
                    }

                    break;
                case "KernelFeatureAttribute" when attribute.ConstructorArguments.Length == 1 && attribute.ConstructorArguments[0].Value is string feature:
                    symbol.Features = symbol.Features.Concat(new[] { feature }).Distinct().OrderBy(f => f, StringComparer.Ordinal).ToArray();
                    break;
            }
        }

        int stubStart = -1;
        int stubLength = 0;
        string stubText = "";
        if (symbol.Syscall >= 0)
        {
            (stubStart, stubLength, stubText) = Stub((IMethodSymbol)declared, (MethodDeclarationSyntax)node, symbol, model);
        }
        else if (declared.ContainingType is { } owner)
        {
            (stubStart, stubLength, stubText) = Unreached(node, owner.Name);
        }

        symbol.BodyEdges = Merge(symbol.BodyEdges, bodyRefs.Edges);
        symbol.SignatureEdges = Merge(symbol.SignatureEdges, signatureRefs.Edges);
        symbol.Creates = Merge(symbol.Creates, bodyRefs.Creates);
        symbol.Hands = Merge(symbol.Hands, bodyRefs.Hands);
        symbol.ExternalCalls = symbol.ExternalCalls.Concat(bodyRefs.External).Distinct().OrderBy(c => c, StringComparer.Ordinal).ToArray();
        symbol.ExternalBases = symbol.ExternalBases.Concat(externalBases).Distinct().OrderBy(c => c, StringComparer.Ordinal).ToArray();
        if (node is FieldDeclarationSyntax { Declaration.Variables: [{ Initializer: not null }] })
        {
            symbol.IsAssigned = true;
        }

        if (declared is INamedTypeSymbol namedType)
        {
            symbol.IsValueType = namedType.IsValueType;
            var bases = new SortedSet<int>();
            for (INamedTypeSymbol? current = namedType.BaseType; current is not null; current = current.BaseType)
            {
                if (_symbols.TryGetValue(current.OriginalDefinition, out GraphSymbol? baseType))
                {
                    bases.Add(baseType.Id);
                }
            }

            foreach (INamedTypeSymbol face in namedType.AllInterfaces)
            {
                if (_symbols.TryGetValue(face.OriginalDefinition, out GraphSymbol? baseType))
                {
                    bases.Add(baseType.Id);
                }
            }

            symbol.Bases = Merge(symbol.Bases, bases);
        }

        symbol.Links = Merge(symbol.Links, links);
        symbol.Implements = Merge(symbol.Implements, implements);
        _graph.Declarations.Add(new GraphDeclaration(symbol.Id, file, start, end - start, stubStart, stubLength, stubText));
    }

    private static int[] Merge(int[] existing, SortedSet<int> added)
    {
        var all = new SortedSet<int>(existing);
        all.UnionWith(added);
        return all.ToArray();
    }

    private IEnumerable<ISymbol> BaseMembers(ISymbol declared)
    {
        switch (declared)
        {
            case IMethodSymbol { OverriddenMethod: { } overridden }:
                yield return overridden;
                break;
            case IMethodSymbol { MethodKind: MethodKind.Destructor } destructor:
                // Roslyn gives a destructor no overridden method; it overrides Object.Finalize,
                // which the GC calls.
                for (INamedTypeSymbol? baseType = destructor.ContainingType.BaseType; baseType is not null; baseType = baseType.BaseType)
                {
                    if (baseType.GetMembers("Finalize").OfType<IMethodSymbol>().FirstOrDefault() is { } finalize)
                    {
                        yield return finalize;
                        break;
                    }
                }
                break;
            case IPropertySymbol { OverriddenProperty: { } overridden }:
                yield return overridden;
                break;
        }

        if (declared is IMethodSymbol or IPropertySymbol && declared.ContainingType is { } type)
        {
            foreach (INamedTypeSymbol face in type.AllInterfaces)
            {
                foreach (ISymbol member in face.GetMembers())
                {
                    ISymbol? implementation = type.FindImplementationForInterfaceMember(member);
                    if (SymbolEqualityComparer.Default.Equals(implementation, declared))
                    {
                        yield return member;
                    }
                }
            }
        }
    }

    // The body that replaces a member the compiler requires of a kept type, when nothing in the
    // kernel can call it (the type is never created, or what it implements is never called on it).
    // Without a body (an auto-property), there is no stub: such a member is kept whole.
    private static (int Start, int Length, string Text) Unreached(SyntaxNode node, string typeName)
    {
        string body = "throw new global::System.InvalidOperationException(\"Unikraft.Gen: no " + typeName + " is ever created or called on in this kernel\")";
        switch (node)
        {
            case BaseMethodDeclarationSyntax method when ((SyntaxNode?)method.Body ?? method.ExpressionBody) is { } methodBody:
                // A constructor's initializer goes with its body: the stub calls nothing.
                int start = method is MethodDeclarationSyntax { ConstraintClauses.Count: > 0 } constrained ? constrained.ConstraintClauses.Last().Span.End
                    : method.ParameterList.Span.End;
                int end = method.SemicolonToken.IsKind(SyntaxKind.None) || method.SemicolonToken.IsMissing ? methodBody.Span.End : method.SemicolonToken.Span.End;
                return (start, end - start, " => " + body + ";");
            case BasePropertyDeclarationSyntax property when property is PropertyDeclarationSyntax { ExpressionBody: { } } or IndexerDeclarationSyntax { ExpressionBody: { } }:
                ArrowExpressionClauseSyntax arrow = property is PropertyDeclarationSyntax p ? p.ExpressionBody! : ((IndexerDeclarationSyntax)property).ExpressionBody!;
                SyntaxToken semicolon = arrow.GetLastToken().GetNextToken();
                int arrowEnd = semicolon.IsKind(SyntaxKind.SemicolonToken) ? semicolon.Span.End : arrow.Span.End;
                return (arrow.SpanStart, arrowEnd - arrow.SpanStart, "=> " + body + ";");
            case BasePropertyDeclarationSyntax { AccessorList: { } accessors } when accessors.Accessors.All(a => a.Body is not null || a.ExpressionBody is not null):
                string text = "{ " + string.Concat(accessors.Accessors.Select(a =>
                    (a.Modifiers.Count > 0 ? a.Modifiers.ToString() + " " : "") + a.Keyword.Text + " => " + body + "; ")) + "}";
                return (accessors.SpanStart, accessors.Span.Length, text);
            default:
                return (-1, 0, "");
        }
    }

    // The one-line stub that replaces the body of a syscall the program does not need.
    private (int Start, int Length, string Text) Stub(IMethodSymbol method, MethodDeclarationSyntax node, GraphSymbol symbol, SemanticModel model)
    {
        SyntaxNode? body = (SyntaxNode?)node.Body ?? node.ExpressionBody;
        if (body is null || method.Parameters.Length == 0 || method.Parameters[0].Type.Name != "Kernel")
        {
            Problems.Add(Format(node.GetLocation(), $"syscall '{method.Name}' needs a body and 'Kernel kernel' as its first parameter"));
            return (-1, 0, "");
        }

        string kernel = method.Parameters[0].Name;
        string constant = SyscallConstant(node);
        string call = $"{kernel}.NotPlanned({constant})";
        var outs = method.Parameters.Where(p => p.RefKind == RefKind.Out).Select(p => p.Name).ToList();
        string text = outs.Count == 0
            ? $" => {call};"
            : " { " + string.Concat(outs.Select(o => o + " = default; ")) + "return " + call + "; }";

        // The stub refers to Kernel.NotPlanned and the syscall's number constant.
        var stubEdges = new SortedSet<int>();
        INamedTypeSymbol kernelType = (INamedTypeSymbol)method.Parameters[0].Type;
        IMethodSymbol? notPlanned = kernelType.GetMembers("NotPlanned").OfType<IMethodSymbol>().FirstOrDefault();
        if (notPlanned is null)
        {
            Problems.Add(Format(node.GetLocation(), "Kernel.NotPlanned(int) is missing: syscall stubs call it"));
        }
        else
        {
            AddEdge(notPlanned, stubEdges, symbol);
        }

        AttributeSyntax? attribute = node.AttributeLists.SelectMany(l => l.Attributes).FirstOrDefault(a => a.Name.ToString().StartsWith("Syscall", StringComparison.Ordinal));
        if (attribute?.ArgumentList?.Arguments.FirstOrDefault() is { } argument)
        {
            if (model.GetSymbolInfo(argument.Expression).Symbol is { } numberSymbol)
            {
                AddEdge(numberSymbol, stubEdges, symbol);
            }
        }

        symbol.StubEdges = stubEdges.ToArray();

        // The span runs from the end of the parameter list (and constraints) to the end of the body,
        // so "=> expression;" and "{ ... }" bodies are replaced alike.
        int start = node.ParameterList.Span.End;
        if (node.ConstraintClauses.Count > 0)
        {
            start = node.ConstraintClauses.Last().Span.End;
        }

        int end = node.SemicolonToken.IsKind(SyntaxKind.None) || node.SemicolonToken.IsMissing ? body.Span.End : node.SemicolonToken.Span.End;
        return (start, end - start, text);
    }

    private static string SyscallConstant(MethodDeclarationSyntax node)
    {
        foreach (AttributeSyntax attribute in node.AttributeLists.SelectMany(l => l.Attributes))
        {
            if (attribute.Name.ToString() is "Syscall" or "SyscallAttribute" && attribute.ArgumentList?.Arguments.Count == 1)
            {
                return attribute.ArgumentList.Arguments[0].Expression.ToString();
            }
        }

        return "0";
    }

    private void CheckBootStep(ISymbol declared, SyntaxNode node)
    {
        if (declared is not IMethodSymbol { IsStatic: true, ReturnsVoid: true, Parameters.Length: 1 } method
            || method.Parameters[0].Type.Name != "Kernel")
        {
            Problems.Add(Format(node.GetLocation(), $"boot step '{declared.Name}' must be 'static void {declared.Name}(Kernel kernel)'"));
        }
    }

    // What a piece of code refers to: kernel symbols (edges), the kernel types it creates
    // instances of, the kernel types whose instances it hands to code outside the kernel (boxed,
    // converted to a BCL type, or a type argument of a BCL generic), and the BCL members it calls.
    private sealed class Refs
    {
        public SortedSet<int> Edges { get; } = new();

        public SortedSet<int> Creates { get; } = new();

        public SortedSet<int> Hands { get; } = new();

        public SortedSet<string> External { get; } = new(StringComparer.Ordinal);

        public GraphRefs ToGraph() => new(Edges.ToArray(), Creates.ToArray(), Hands.ToArray(), External.ToArray());
    }

    private void Collect(SyntaxNode root, SemanticModel model, Refs refs, GraphSymbol owner, Func<SyntaxNode, bool>? include)
    {
        SortedSet<int> edges = refs.Edges;
        foreach (SyntaxNode node in root.DescendantNodesAndSelf())
        {
            if (include is not null && !include(node))
            {
                continue;
            }

            SymbolInfo info = model.GetSymbolInfo(node);
            if (info.Symbol is IFieldSymbol writtenField && node is ExpressionSyntax written && IsWriteTarget(written)
                && _symbols.TryGetValue(writtenField.OriginalDefinition, out GraphSymbol? writtenSymbol))
            {
                // Written other than by a statement of its own: the field counts as read, and as
                // assigned where this member is kept.
                if (Array.IndexOf(writtenSymbol.AssignedBy, owner.Id) < 0)
                {
                    writtenSymbol.AssignedBy = writtenSymbol.AssignedBy.Append(owner.Id).OrderBy(id => id).ToArray();
                }
            }

            if (info.Symbol is not null)
            {
                Refer(info.Symbol, refs, owner);
            }
            else
            {
                foreach (ISymbol candidate in info.CandidateSymbols)
                {
                    Refer(candidate, refs, owner);
                }
            }

            switch (node)
            {
                case CommonForEachStatementSyntax forEach:
                    ForEachStatementInfo forEachInfo = model.GetForEachStatementInfo(forEach);
                    Refer(forEachInfo.GetEnumeratorMethod, refs, owner);
                    Refer(forEachInfo.MoveNextMethod, refs, owner);
                    Refer(forEachInfo.CurrentProperty, refs, owner);
                    Refer(forEachInfo.DisposeMethod, refs, owner);
                    break;
                case AwaitExpressionSyntax awaitExpression:
                    AwaitExpressionInfo awaitInfo = model.GetAwaitExpressionInfo(awaitExpression);
                    Refer(awaitInfo.GetAwaiterMethod, refs, owner);
                    Refer(awaitInfo.GetResultMethod, refs, owner);
                    Refer(awaitInfo.IsCompletedProperty, refs, owner);
                    break;
                case InitializerExpressionSyntax initializer when initializer.IsKind(SyntaxKind.CollectionInitializerExpression):
                    foreach (ExpressionSyntax element in initializer.Expressions)
                    {
                        SymbolInfo add = model.GetCollectionInitializerSymbolInfo(element);
                        Refer(add.Symbol, refs, owner);
                    }

                    break;
                case UsingStatementSyntax { Declaration: { } declaration }:
                    Refer(DisposeOf(model.GetTypeInfo(declaration.Type).Type), refs, owner);
                    break;
                case UsingStatementSyntax { Expression: { } resource }:
                    Refer(DisposeOf(model.GetTypeInfo(resource).Type), refs, owner);
                    break;
                case LocalDeclarationStatementSyntax { UsingKeyword.RawKind: (int)SyntaxKind.UsingKeyword } usingDeclaration:
                    Refer(DisposeOf(model.GetTypeInfo(usingDeclaration.Declaration.Type).Type), refs, owner);
                    break;
            }

            if (node is ExpressionSyntax expression)
            {
                Conversion conversion = model.GetConversion(expression);
                Refer(conversion.MethodSymbol, refs, owner);
                TypeInfo type = model.GetTypeInfo(expression);
                if (type.Type is INamedTypeSymbol { IsTupleType: false } namedType && node is ImplicitObjectCreationExpressionSyntax)
                {
                    AddEdge(namedType, edges, owner);
                }

                if (node is BaseObjectCreationExpressionSyntax && type.Type is INamedTypeSymbol created
                    && _symbols.TryGetValue(created.OriginalDefinition, out GraphSymbol? createdSymbol))
                {
                    refs.Creates.Add(createdSymbol.Id);
                }

                // An instance converted to a type outside the kernel (boxed, or seen as a BCL base
                // class or interface) is in the runtime's hands: it may call what the type overrides.
                if (type.Type is INamedTypeSymbol from && _symbols.TryGetValue(from.OriginalDefinition, out GraphSymbol? handed)
                    && type.ConvertedType is { } to && !SymbolEqualityComparer.Default.Equals(from, to)
                    && !_symbols.ContainsKey(to.OriginalDefinition) && (conversion.IsBoxing || conversion.IsReference))
                {
                    refs.Hands.Add(handed.Id);
                }
            }
        }
    }

    // 'x = ...', 'x += ...', 'x++', 'out x', 'ref x', 'this.x = ...'.
    private static bool IsWriteTarget(ExpressionSyntax node)
    {
        SyntaxNode target = node.Parent is MemberAccessExpressionSyntax { Expression: ThisExpressionSyntax } access && access.Name == node ? access : node;
        return target.Parent switch
        {
            AssignmentExpressionSyntax assignment => assignment.Left == target,
            PrefixUnaryExpressionSyntax or PostfixUnaryExpressionSyntax => target.Parent.IsKind(SyntaxKind.PreIncrementExpression)
                || target.Parent.IsKind(SyntaxKind.PreDecrementExpression) || target.Parent.IsKind(SyntaxKind.PostIncrementExpression)
                || target.Parent.IsKind(SyntaxKind.PostDecrementExpression),
            ArgumentSyntax argument => !argument.RefKindKeyword.IsKind(SyntaxKind.None),
            _ => false,
        };
    }

    // The Dispose a using statement calls on a kernel type, or null.
    private static ISymbol? DisposeOf(ITypeSymbol? type) =>
        type?.GetMembers("Dispose").OfType<IMethodSymbol>().FirstOrDefault(m => m.Parameters.Length == 0);

    // A reference from code: an edge to a kernel symbol; a BCL member called; kernel types given to a
    // BCL generic as type arguments (PriorityQueue<WorkItem, TimerKey> compares TimerKeys).
    private void Refer(ISymbol? target, Refs refs, GraphSymbol owner)
    {
        if (target is null)
        {
            return;
        }

        AddEdge(target, refs.Edges, owner);
        if (IsKernel(target))
        {
            return;
        }

        if (target is IMethodSymbol or IPropertySymbol)
        {
            refs.External.Add(DocIdOf(target.OriginalDefinition));
        }

        HandTypeArguments(target as INamedTypeSymbol ?? target.ContainingType, refs);
        if (target is IMethodSymbol { IsGenericMethod: true } method)
        {
            foreach (ITypeSymbol argument in method.TypeArguments)
            {
                Hand(argument, refs);
            }
        }
    }

    private void HandTypeArguments(INamedTypeSymbol? type, Refs refs)
    {
        for (INamedTypeSymbol? current = type; current is not null; current = current.ContainingType)
        {
            if (current.IsGenericType && !IsKernel(current))
            {
                foreach (ITypeSymbol argument in current.TypeArguments)
                {
                    Hand(argument, refs);
                }
            }
        }
    }

    private void Hand(ITypeSymbol argument, Refs refs)
    {
        if (argument is INamedTypeSymbol named && _symbols.TryGetValue(named.OriginalDefinition, out GraphSymbol? handed))
        {
            refs.Hands.Add(handed.Id);
        }

        if (argument is INamedTypeSymbol { IsGenericType: true } generic)
        {
            HandTypeArguments(generic, refs);
        }
        else if (argument is IArrayTypeSymbol array)
        {
            Hand(array.ElementType, refs);
        }
    }

    private bool IsKernel(ISymbol symbol)
    {
        for (ISymbol? current = symbol.OriginalDefinition; current is not null; current = current.ContainingType?.OriginalDefinition)
        {
            if (_symbols.ContainsKey(current))
            {
                return true;
            }
        }

        return false;
    }

    private static string DocIdOf(ISymbol symbol) => symbol.OriginalDefinition.GetDocumentationCommentId() ?? symbol.ToDisplayString();

    // A BCL member and the members it overrides in turn: Object.ToString under ValueType.ToString.
    private static IEnumerable<ISymbol> OverriddenChain(ISymbol member)
    {
        for (ISymbol? current = member; current is not null; current = current switch
        {
            IMethodSymbol method => method.OverriddenMethod,
            IPropertySymbol property => property.OverriddenProperty,
            _ => null,
        })
        {
            yield return current;
        }
    }

    // The kernel field a statement 'field = value;' or 'this.field = value;' writes, or null.
    private GraphSymbol? WrittenField(ExpressionSyntax left, SemanticModel model)
    {
        bool plain = left is IdentifierNameSyntax
            || left is MemberAccessExpressionSyntax { Expression: ThisExpressionSyntax, Name: IdentifierNameSyntax };
        if (plain && model.GetSymbolInfo(left).Symbol is IFieldSymbol { IsConst: false } field
            && _symbols.TryGetValue(field.OriginalDefinition, out GraphSymbol? symbol) && symbol.Kind == "field")
        {
            return symbol;
        }

        return null;
    }

    // A value whose computation has no effect but the value: removing the statement that stores
    // it changes nothing else. Constructors of kernel types qualify when they only store such values.
    private bool IsPure(ExpressionSyntax expression, SemanticModel model, int depth)
    {
        switch (expression)
        {
            case LiteralExpressionSyntax or DefaultExpressionSyntax or ThisExpressionSyntax or TypeOfExpressionSyntax:
                return true;
            case ParenthesizedExpressionSyntax parenthesized:
                return IsPure(parenthesized.Expression, model, depth);
            case CollectionExpressionSyntax collection:
                return collection.Elements.Count == 0;
            case IdentifierNameSyntax:
                return model.GetSymbolInfo(expression).Symbol is IParameterSymbol or ILocalSymbol or IFieldSymbol;
            case MemberAccessExpressionSyntax { Expression: ThisExpressionSyntax }:
                return model.GetSymbolInfo(expression).Symbol is IFieldSymbol;
            case CastExpressionSyntax cast:
                return model.GetConversion(cast).MethodSymbol is null && IsPure(cast.Expression, model, depth);
            case ConditionalExpressionSyntax conditional:
                return IsPure(conditional.Condition, model, depth) && IsPure(conditional.WhenTrue, model, depth) && IsPure(conditional.WhenFalse, model, depth);
            case BinaryExpressionSyntax binary:
                // A built-in operator (no user-defined one) on pure operands.
                return model.GetSymbolInfo(binary).Symbol is null or IMethodSymbol { MethodKind: MethodKind.BuiltinOperator }
                    && IsPure(binary.Left, model, depth) && IsPure(binary.Right, model, depth);
            case PrefixUnaryExpressionSyntax unary when unary.IsKind(SyntaxKind.UnaryMinusExpression) || unary.IsKind(SyntaxKind.LogicalNotExpression) || unary.IsKind(SyntaxKind.BitwiseNotExpression):
                return model.GetSymbolInfo(unary).Symbol is null or IMethodSymbol { MethodKind: MethodKind.BuiltinOperator } && IsPure(unary.Operand, model, depth);
            case MemberAccessExpressionSyntax access:
                // A constant, a field, or a BCL property (a getter has no effect by .NET's design
                // guidelines: Environment.CurrentManagedThreadId).
                ISymbol? member = model.GetSymbolInfo(access).Symbol;
                return (member is IFieldSymbol || member is IPropertySymbol && !IsKernel(member))
                    && (model.GetSymbolInfo(access.Expression).Symbol is INamedTypeSymbol or INamespaceSymbol || IsPure(access.Expression, model, depth));
            case BaseObjectCreationExpressionSyntax creation:
                if (creation.Initializer is not null || depth > 3
                    || creation.ArgumentList?.Arguments.Any(a => !a.RefKindKeyword.IsKind(SyntaxKind.None) || !IsPure(a.Expression, model, depth)) == true)
                {
                    return false;
                }

                if (model.GetSymbolInfo(creation).Symbol is not IMethodSymbol constructor || !IsKernel(constructor))
                {
                    // A BCL object (a queue, an event) is only allocated.
                    return true;
                }

                return PureConstructor(constructor, model.Compilation, depth + 1);
            default:
                return false;
        }
    }

    private bool PureConstructor(IMethodSymbol constructor, Compilation compilation, int depth)
    {
        foreach (SyntaxReference reference in constructor.DeclaringSyntaxReferences)
        {
            if (reference.GetSyntax() is not ConstructorDeclarationSyntax declaration || declaration.ExpressionBody is not null
                || declaration.Initializer is { ArgumentList.Arguments.Count: > 0 })
            {
                return false;
            }

            SemanticModel model = compilation.GetSemanticModel(declaration.SyntaxTree);
            foreach (StatementSyntax statement in declaration.Body?.Statements ?? default)
            {
                if (statement is not ExpressionStatementSyntax { Expression: AssignmentExpressionSyntax { RawKind: (int)SyntaxKind.SimpleAssignmentExpression } assignment }
                    || model.GetSymbolInfo(assignment.Left).Symbol is not (IFieldSymbol or IPropertySymbol)
                    || !IsPure(assignment.Right, model, depth))
                {
                    return false;
                }
            }
        }

        // An implicit constructor (none declared) stores nothing; field initializers run in it.
        return constructor.ContainingType.GetMembers().OfType<IFieldSymbol>()
            .All(f => f.DeclaringSyntaxReferences.All(r => r.GetSyntax() is not VariableDeclaratorSyntax { Initializer: { } initializer }
                || IsPure(initializer.Value, compilation.GetSemanticModel(r.SyntaxTree), depth)));
    }

    private void AddEdge(ISymbol? target, SortedSet<int> edges, GraphSymbol owner)
    {
        if (target is null)
        {
            return;
        }

        ISymbol original = target.OriginalDefinition;
        if (original is IMethodSymbol { MethodKind: MethodKind.PropertyGet or MethodKind.PropertySet } accessor && accessor.AssociatedSymbol is { } property)
        {
            original = property.OriginalDefinition;
        }

        if (original is IMethodSymbol { ReducedFrom: { } reduced })
        {
            original = reduced.OriginalDefinition;
        }

        // A reference to a member with no declaration of its own (an implicit constructor, a
        // record's synthesized member) keeps its type.
        while (original is not null && !_symbols.ContainsKey(original))
        {
            if (original is INamedTypeSymbol { ContainingType: null })
            {
                return;
            }

            original = original.ContainingType?.OriginalDefinition!;
        }

        if (original is not null && _symbols.TryGetValue(original, out GraphSymbol? symbol) && symbol.Id != owner.Id)
        {
            edges.Add(symbol.Id);
        }

        // Generic arguments count too: List<Timer> keeps Timer.
        if (target is INamedTypeSymbol { IsGenericType: true } generic)
        {
            foreach (ITypeSymbol argument in generic.TypeArguments)
            {
                AddEdge(argument, edges, owner);
            }
        }
        else if (target is IMethodSymbol { IsGenericMethod: true } genericMethod)
        {
            foreach (ITypeSymbol argument in genericMethod.TypeArguments)
            {
                AddEdge(argument, edges, owner);
            }
        }
        else if (target is IArrayTypeSymbol array)
        {
            AddEdge(array.ElementType, edges, owner);
        }
    }

    private void ReadLibrary(SyntaxTree tree, SemanticModel model, GraphFile file)
    {
        foreach (AttributeSyntax attribute in tree.GetRoot().DescendantNodes().OfType<AttributeSyntax>())
        {
            if (model.GetSymbolInfo(attribute).Symbol?.ContainingType.Name != "KernelLibraryAttribute")
            {
                continue;
            }

            AttributeArgumentListSyntax? arguments = attribute.ArgumentList;
            string? name = null;
            string summary = "";
            var needs = new List<string>();
            foreach (AttributeArgumentSyntax argument in arguments?.Arguments ?? default)
            {
                Optional<object?> value = model.GetConstantValue(argument.Expression);
                string? named = argument.NameEquals?.Name.Identifier.Text;
                if (named is null && value.HasValue && value.Value is string text)
                {
                    name = text;
                }
                else if (named == "Summary" && value.Value is string summaryText)
                {
                    summary = summaryText;
                }
                else if (named == "Needs")
                {
                    foreach (ExpressionSyntax element in argument.Expression.DescendantNodes().OfType<LiteralExpressionSyntax>())
                    {
                        if (model.GetConstantValue(element).Value is string need)
                        {
                            needs.Add(need);
                        }
                    }
                }
            }

            if (name is null)
            {
                Problems.Add(Format(attribute.GetLocation(), "KernelLibrary needs a name"));
                continue;
            }

            _graph.Libraries.Add(new GraphLibrary(file.Folder, name, summary, needs.ToArray()));
        }
    }

    private void CheckConventions(SyntaxTree tree, GraphFile file)
    {
        CompilationUnitSyntax root = (CompilationUnitSyntax)tree.GetRoot();
        if (root.Usings.Count > 0)
        {
            Problems.Add(Format(root.Usings[0].GetLocation(), "using directives go after 'namespace Unikraft.Kernel;' so program types cannot shadow them"));
        }

        if (root.Members.Count > 0 && (root.Members.Count != 1 || root.Members[0] is not FileScopedNamespaceDeclarationSyntax { Name: var name } || name.ToString() != "Unikraft.Kernel"))
        {
            Problems.Add(Format(root.Members[0].GetLocation(), "every kernel file declares 'namespace Unikraft.Kernel;' and nothing outside it"));
        }

        foreach (SyntaxTrivia trivia in root.DescendantTrivia())
        {
            if (trivia.IsKind(SyntaxKind.SingleLineDocumentationCommentTrivia) || trivia.IsKind(SyntaxKind.MultiLineDocumentationCommentTrivia))
            {
                Problems.Add(Format(trivia.GetLocation(), "no XML doc comments in the kernel: a cref to a pruned member breaks documentation builds; use // comments"));
            }

            if (trivia.IsKind(SyntaxKind.IfDirectiveTrivia))
            {
                Problems.Add(Format(trivia.GetLocation(), "no #if in the kernel: the pruner works on the text as written"));
            }
        }

        foreach (SyntaxNode node in root.DescendantNodes())
        {
            switch (node)
            {
                case FieldDeclarationSyntax field when field.Declaration.Variables.Count > 1:
                    Problems.Add(Format(field.GetLocation(), "declare one field per declaration so each can be pruned alone"));
                    break;
                case EventFieldDeclarationSyntax or EventDeclarationSyntax:
                    Problems.Add(Format(node.GetLocation(), "no events in the kernel"));
                    break;
                case MethodDeclarationSyntax method when method.Modifiers.Any(SyntaxKind.PartialKeyword):
                    Problems.Add(Format(method.GetLocation(), "no partial methods in the kernel"));
                    break;
                case EnumMemberDeclarationSyntax member when member.EqualsValue is null:
                    Problems.Add(Format(member.GetLocation(), "every enum member needs an explicit value, so pruning one keeps the others' values"));
                    break;
                case BaseTypeDeclarationSyntax type when type.Parent is BaseNamespaceDeclarationSyntax or CompilationUnitSyntax
                    && type.Modifiers.Any(SyntaxKind.PublicKeyword):
                    Problems.Add(Format(type.GetLocation(), "kernel types are internal: public ones collide when two assemblies both use the generator"));
                    break;
            }
        }
    }

    private static string Format(Location location, string message)
    {
        FileLinePositionSpan span = location.GetLineSpan();
        return $"kernel/{span.Path}({span.StartLinePosition.Line + 1},{span.StartLinePosition.Character + 1}): error UKG0100: {message}";
    }
}
