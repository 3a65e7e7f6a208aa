using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Xunit;

namespace Unikraft.Gen.Tests;

// In the pruned part of every emitted kernel, every declared member is reachable from a root: the
// program, the generated boot, interceptors and library bridge, the app-facing API (emitted whole),
// and the native layer's entry points (the link calls them). Reachability is computed here, from
// the emitted source with Roslyn, independently of the pruner and its graph:
// - a member is reached when reached code refers to it (a call, a read, a constructor, a foreach,
//   an await, a using, a conversion, an attribute), or it is the static constructor of a reached type;
// - a field is reached only when reached code reads it ('field = value;' alone is no read);
// - an override or interface implementation is reached only when its type has instances (reached
//   code creates it or a type derived from it; a struct: the struct is reached) and what it
//   implements is reached, or is a BCL member that reached code calls, or the runtime calls on an
//   instance reached code hands it (boxed, converted to a BCL type, a BCL generic's type argument):
//   SynchronizationContext's members only when reached code sets a synchronization context; a
//   finalizer whenever its type has instances (the GC runs it);
// The one exception is not reachable code: a member the compiler requires of a reached type (an
// interface member it declares it implements, a constructor for a class nothing creates) may be
// kept as a declaration whose body is only 'throw' — no code of it can run. The test checks that
// such a member has that shape and is required; it never looks at comments.
public sealed class NoDeadCodeTests
{
    public static TheoryData<string, string> Programs()
    {
        var data = new TheoryData<string, string>();
        foreach (string program in GeneratorHarness.ProgramNames)
        {
            data.Add(program, "hosted");
            data.Add(program, "sim");
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Programs))]
    public void TestProgram_KeepsOnlyReachableMembers(string program, string platform)
    {
        var properties = new Dictionary<string, string>(GeneratorHarness.ProgramProperties(program)) { ["UnikraftPlatform"] = platform };
        AssertReachable(GeneratorHarness.Run(GeneratorHarness.Program(program), properties), program + " on " + platform);
    }

    public static TheoryData<string, string, bool, string> FileSystems()
    {
        var data = new TheoryData<string, string, bool, string>();
        foreach (string platform in new[] { "hosted", "sim" })
        {
            foreach (string type in new[] { "ramfs", "devfs", "initrd", "hostfs" })
            {
                foreach (bool readOnly in new[] { false, true })
                {
                    foreach (string program in new[] { "none", "read", "write", "list" })
                    {
                        data.Add(platform, type, readOnly, program);
                    }
                }
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(FileSystems))]
    public void FileSystemKernel_KeepsOnlyReachableMembers(string platform, string type, bool readOnly, string program)
    {
        string mountPoint = type == "devfs" ? "/dev" : "/";
        string folder = Path.Combine(Path.GetTempPath(), "unikraft-gen-tests", "reach-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        try
        {
            string source = type is "initrd" or "hostfs" ? folder : "";
            var properties = new Dictionary<string, string>
            {
                ["UnikraftPlatform"] = platform,
                ["UnikraftMounts"] = mountPoint + "|" + type + "|" + source + "|" + (readOnly ? "true" : "false") + "|",
            };
            GeneratorHarness.Result result = GeneratorHarness.Run(
                GeneratorHarness.Compilation(new[] { ("Program.cs", BootMatrixTests.Program(program, type, mountPoint)) }), properties);
            AssertReachable(result, $"{program} on {type}{(readOnly ? " (read-only)" : "")}, {platform}");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void LibraryKernel_AndTheProgramThatUsesIt_KeepOnlyReachableMembers()
    {
        // A library whose calls all go through its bridge has no kernel of its own: nothing to keep.
        (GeneratorHarness.Result library, MetadataReference reference) = LibraryTests.BuildLibrary();
        Assert.Empty(library.Problems);
        Assert.DoesNotContain(library.Run.Results.Single().GeneratedSources,
            source => source.HintName.StartsWith("Kernel/", StringComparison.Ordinal) && source.HintName != KernelGenerator.Emit.ApiStubsHintName);

        GeneratorHarness.Result program = GeneratorHarness.Run(
            GeneratorHarness.Compilation(new[] { ("Program.cs", LibraryTests.App) }).AddReferences(reference),
            new Dictionary<string, string> { ["UnikraftMounts"] = "/tmp|ramfs|||" });
        AssertReachable(program, "a program using the library Lib");
    }

    // A network interface with and without IPv6 addresses (Address6): the IPv6 code is in the first
    // kernel only, and in each every member it keeps is reached.
    [Theory]
    [InlineData("eth0|tap|198.18.0.2/24|198.18.0.1|||uk0||end")]
    [InlineData("eth0|tap|198.18.0.2/24|198.18.0.1|||uk0|2001:2::2/64|end")]
    public void NetworkKernel_KeepsOnlyReachableMembers(string items)
    {
        GeneratorHarness.Result result = GeneratorHarness.Run(GeneratorHarness.Compilation(new[] { ("Program.cs", "System.Console.WriteLine(\"up\");") }),
            new Dictionary<string, string> { ["UnikraftNets"] = items });
        AssertReachable(result, "a kernel with the interface " + items);
    }

    [Theory]
    [MemberData(nameof(RandconfigTests.Seeds), MemberType = typeof(RandconfigTests))]
    public void RandconfigKernel_KeepsOnlyReachableMembers(int seed)
    {
        (string program, Dictionary<string, string> properties, bool nullable) = RandconfigTests.Make(seed);
        GeneratorHarness.Result result = GeneratorHarness.Run(GeneratorHarness.Compilation(new[] { ("Program.cs", program) }, nullable), properties);
        // A '?' annotation outside a nullable context is the random program's own warning (CS8632).
        AssertReachable(result, "randconfig seed " + seed + ":\n" + program, nullable ? null : "CS8632");
    }

    // The checker itself must fail on what it exists to catch: a kernel member nothing reaches, a
    // field only written, an override whose type nothing creates, and a context nobody sets.
    [Fact]
    public void Checker_ReportsUnreachedMembers()
    {
        const string kernel = """
            namespace Unikraft.Kernel;

            using System.Threading;

            internal sealed class Used
            {
                private int written;
                private int read;

                public Used()
                {
                    written = 1;
                    read = 2;
                }

                public int Read() => read;

                public void Never() { }

                public override string ToString() => "used";
            }

            internal sealed class Context : SynchronizationContext
            {
                public override void Post(SendOrPostCallback d, object? state) => d(state);
            }

            internal sealed class Keeper
            {
                private readonly Context context = new Context();

                public SynchronizationContext Current => context;
            }
            """;
        const string program = """
            var used = new Unikraft.Kernel.Used();
            System.Console.WriteLine(used.Read());
            System.Console.WriteLine(new Unikraft.Kernel.Keeper().Current);
            """;
        CSharpCompilation compilation = GeneratorHarness.Compilation(new[] { ("Program.cs", program), ("Kernel/Core/Used.cs", kernel) });

        List<string> unreached = Unreached(compilation);

        Assert.Contains(unreached, u => u.StartsWith("Unikraft.Kernel.Used.written", StringComparison.Ordinal));
        Assert.Contains(unreached, u => u.StartsWith("Unikraft.Kernel.Used.Never()", StringComparison.Ordinal));
        Assert.Contains(unreached, u => u.StartsWith("Unikraft.Kernel.Used.ToString()", StringComparison.Ordinal));
        Assert.Contains(unreached, u => u.StartsWith("Unikraft.Kernel.Context.Post(", StringComparison.Ordinal));
        Assert.DoesNotContain(unreached, u => u.StartsWith("Unikraft.Kernel.Used.read", StringComparison.Ordinal));
        Assert.DoesNotContain(unreached, u => u.StartsWith("Unikraft.Kernel.Used.Read()", StringComparison.Ordinal));
        Assert.DoesNotContain(unreached, u => u.StartsWith("Unikraft.Kernel.Keeper.context", StringComparison.Ordinal));
    }

    private static void AssertReachable(GeneratorHarness.Result result, string what, string? allowedWarning = null)
    {
        var problems = result.Problems.Where(d => d.Id != allowedWarning).ToList();
        Assert.True(problems.Count == 0, what + ":\n" + string.Join("\n", problems));
        Assert.Null(result.Run.Results.Single().Exception);
        List<string> unreached = Unreached(result.Output);
        Assert.True(unreached.Count == 0, what + "\nkernel members kept without a reachable reason:\n" + string.Join("\n", unreached));
    }

    // The pruned kernel: files under Kernel/, except the app-facing API (emitted whole on purpose).
    private static bool IsPruned(SyntaxTree tree) =>
        tree.FilePath.Contains("/Kernel/", StringComparison.Ordinal) && !tree.FilePath.Contains("/Kernel/Api/", StringComparison.Ordinal);

    private static List<string> Unreached(Compilation compilation)
    {
        var reach = new Reachability(compilation);
        var declared = new List<(ISymbol Symbol, SyntaxNode Declaration)>();
        foreach (SyntaxTree tree in compilation.SyntaxTrees)
        {
            SemanticModel model = compilation.GetSemanticModel(tree);
            if (!IsPruned(tree))
            {
                // Roots: the program, the generated boot, interceptors and bridge, the whole API.
                reach.Walk(tree.GetRoot(), model);
                continue;
            }

            foreach (SyntaxNode node in tree.GetRoot().DescendantNodes())
            {
                ISymbol? symbol = node switch
                {
                    MethodDeclarationSyntax or ConstructorDeclarationSyntax or PropertyDeclarationSyntax or IndexerDeclarationSyntax
                        or OperatorDeclarationSyntax or ConversionOperatorDeclarationSyntax or EnumMemberDeclarationSyntax
                        or BaseTypeDeclarationSyntax => model.GetDeclaredSymbol(node),
                    VariableDeclaratorSyntax { Parent.Parent: FieldDeclarationSyntax } => model.GetDeclaredSymbol(node),
                    _ => null,
                };
                if (symbol is null)
                {
                    continue;
                }

                declared.Add((symbol, node));

                // Roots: the native layer's entry points, which the link calls in place of the BCL's.
                if (symbol.GetAttributes().Any(a => a.AttributeClass?.Name == "UnmanagedCallersOnlyAttribute"))
                {
                    reach.Reach(symbol);
                }
            }
        }

        Assert.NotEmpty(declared);
        reach.Run();

        // A required stub stays as a declaration: the types its signature names are needed too.
        var walked = new HashSet<SyntaxNode>();
        bool more = true;
        while (more)
        {
            more = false;
            foreach ((ISymbol symbol, SyntaxNode declaration) in declared)
            {
                if (!reach.IsReached(symbol) && reach.IsRequiredStub(symbol, declaration) && walked.Add(declaration))
                {
                    reach.Walk(declaration, compilation.GetSemanticModel(declaration.SyntaxTree));
                    more = true;
                }
            }

            reach.Run();
        }

        var unreached = new List<string>();
        foreach ((ISymbol symbol, SyntaxNode declaration) in declared)
        {
            if (reach.IsReached(symbol) || reach.IsRequiredStub(symbol, declaration))
            {
                continue;
            }

            FileLinePositionSpan span = declaration.GetLocation().GetLineSpan();
            unreached.Add($"{symbol.ToDisplayString()} ({Path.GetFileName(span.Path)}:{span.StartLinePosition.Line + 1})");
        }

        return unreached;
    }

    // Reachability over the source of one compilation, from the roots walked into it.
    private sealed class Reachability
    {
        private const string SetSynchronizationContext = "SetSynchronizationContext";

        private readonly Compilation _compilation;
        private readonly HashSet<ISymbol> _reached = new(SymbolEqualityComparer.Default);
        private readonly HashSet<ITypeSymbol> _created = new(SymbolEqualityComparer.Default);
        private readonly HashSet<ITypeSymbol> _handed = new(SymbolEqualityComparer.Default);
        private readonly HashSet<ISymbol> _calledOutside = new(SymbolEqualityComparer.Default);
        private readonly Queue<ISymbol> _queue = new();

        public Reachability(Compilation compilation)
        {
            _compilation = compilation;
        }

        public bool IsReached(ISymbol symbol) => _reached.Contains(symbol.OriginalDefinition);

        public void Reach(ISymbol? symbol)
        {
            if (symbol is null)
            {
                return;
            }

            if (symbol is not (INamedTypeSymbol or IMethodSymbol or IPropertySymbol or IFieldSymbol or IEventSymbol))
            {
                return;
            }

            if (!IsSource(symbol))
            {
                // A BCL generic holding kernel types (PriorityQueue<WorkItem, TimerKey>) compares,
                // hashes and formats them.
                HandArguments(symbol as INamedTypeSymbol ?? symbol.ContainingType);
            }

            symbol = symbol.OriginalDefinition;
            if (symbol is IMethodSymbol { AssociatedSymbol: IPropertySymbol property })
            {
                symbol = property.OriginalDefinition;
            }

            if (symbol is IMethodSymbol { ReducedFrom: { } reduced })
            {
                symbol = reduced.OriginalDefinition;
            }

            if (!IsSource(symbol))
            {
                if (symbol is IMethodSymbol or IPropertySymbol)
                {
                    _calledOutside.Add(symbol);
                }

                return;
            }

            if (_reached.Add(symbol))
            {
                _queue.Enqueue(symbol);
            }
        }

        public void Run()
        {
            while (true)
            {
                while (_queue.Count > 0)
                {
                    ISymbol symbol = _queue.Dequeue();
                    if (symbol.ContainingType is { } container)
                    {
                        Reach(container);
                    }

                    if (symbol is INamedTypeSymbol type)
                    {
                        // A type's static constructor runs when the type is used.
                        foreach (IMethodSymbol constructor in type.StaticConstructors)
                        {
                            Reach(constructor);
                        }
                    }

                    foreach (SyntaxReference reference in symbol.DeclaringSyntaxReferences)
                    {
                        SyntaxNode node = reference.GetSyntax();
                        SemanticModel model = _compilation.GetSemanticModel(node.SyntaxTree);
                        if (node is VariableDeclaratorSyntax { Parent: VariableDeclarationSyntax { Parent: FieldDeclarationSyntax field } })
                        {
                            Walk(field, model);
                        }
                        else if (node is BaseTypeDeclarationSyntax typeDeclaration)
                        {
                            foreach (AttributeListSyntax list in typeDeclaration.AttributeLists)
                            {
                                Walk(list, model);
                            }

                            if (typeDeclaration.BaseList is not null)
                            {
                                Walk(typeDeclaration.BaseList, model);
                            }
                        }
                        else
                        {
                            Walk(node, model);
                        }
                    }

                    // A constructor with no initializer calls its base type's parameterless one.
                    if (symbol is IMethodSymbol { MethodKind: MethodKind.Constructor, IsStatic: false } ctor
                        && ctor.DeclaringSyntaxReferences.All(r => r.GetSyntax() is ConstructorDeclarationSyntax { Initializer: null })
                        && ctor.ContainingType.BaseType is { } baseType)
                    {
                        Reach(baseType.InstanceConstructors.FirstOrDefault(c => c.Parameters.Length == 0));
                    }
                }

                if (!ReachOverrides())
                {
                    return;
                }
            }
        }

        // Overrides and implementations that can be called on a reached instance.
        private bool ReachOverrides()
        {
            int before = _reached.Count;
            foreach (ITypeSymbol type in _reached.OfType<ITypeSymbol>().ToList())
            {
                if (!HasInstances(type))
                {
                    continue;
                }

                foreach (ISymbol member in type.GetMembers())
                {
                    if (IsReached(member) || member is not (IMethodSymbol { AssociatedSymbol: null } or IPropertySymbol) || !IsSource(member))
                    {
                        continue;
                    }

                    // The GC runs a finalizer on every instance once it is unreachable.
                    if (member is IMethodSymbol { MethodKind: MethodKind.Destructor } || BaseMembers(member, type).Any(CanBeCalled(type)))
                    {
                        Reach(member);
                    }
                }
            }

            return _reached.Count > before;
        }

        private Func<ISymbol, bool> CanBeCalled(ITypeSymbol type) => baseMember =>
        {
            if (IsSource(baseMember))
            {
                return IsReached(baseMember);
            }

            if (_calledOutside.Contains(baseMember.OriginalDefinition))
            {
                return true;
            }

            bool handed = _handed.Contains(type) || AllBases(type).Any(_handed.Contains);
            if (!handed)
            {
                return false;
            }

            // The runtime calls a synchronization context only once one is set.
            return baseMember.ContainingType.ToDisplayString() != "System.Threading.SynchronizationContext"
                || _calledOutside.Any(c => c.Name == SetSynchronizationContext);
        };

        private bool HasInstances(ITypeSymbol type) =>
            type.IsValueType ? IsReached(type) : _created.Any(c => SymbolEqualityComparer.Default.Equals(c, type) || AllBases(c).Contains(type, SymbolEqualityComparer.Default));

        private static IEnumerable<ITypeSymbol> AllBases(ITypeSymbol type)
        {
            for (ITypeSymbol? current = type.BaseType; current is not null; current = current.BaseType)
            {
                yield return current.OriginalDefinition;
            }

            foreach (INamedTypeSymbol face in type.AllInterfaces)
            {
                yield return face.OriginalDefinition;
            }
        }

        // What a member overrides (all the way up) and the interface members it implements.
        private static IEnumerable<ISymbol> BaseMembers(ISymbol member, ITypeSymbol type)
        {
            for (ISymbol? current = member; current is not null;)
            {
                current = current switch
                {
                    IMethodSymbol method => method.OverriddenMethod,
                    IPropertySymbol property => property.OverriddenProperty,
                    _ => null,
                };
                if (current is not null)
                {
                    yield return current.OriginalDefinition;
                }
            }

            foreach (INamedTypeSymbol face in type.AllInterfaces)
            {
                foreach (ISymbol faceMember in face.GetMembers())
                {
                    if (SymbolEqualityComparer.Default.Equals(type.FindImplementationForInterfaceMember(faceMember)?.OriginalDefinition, member.OriginalDefinition))
                    {
                        yield return faceMember.OriginalDefinition;
                    }
                }
            }
        }

        // A member the compiler requires of a reached type, kept as a declaration whose body only
        // throws: an implementation of an interface member the type declares, or a constructor of
        // a class nothing creates.
        public bool IsRequiredStub(ISymbol symbol, SyntaxNode declaration)
        {
            if (symbol.ContainingType is not { } type || !IsReached(type) || !OnlyThrows(declaration))
            {
                return false;
            }

            if (symbol is IMethodSymbol { MethodKind: MethodKind.Constructor })
            {
                return !HasInstances(type) && !type.InstanceConstructors.Any(IsReached);
            }

            return type.AllInterfaces.SelectMany(f => f.GetMembers())
                .Any(m => SymbolEqualityComparer.Default.Equals(type.FindImplementationForInterfaceMember(m)?.OriginalDefinition, symbol.OriginalDefinition));
        }

        private static bool OnlyThrows(SyntaxNode declaration) => declaration switch
        {
            BaseMethodDeclarationSyntax { ExpressionBody.Expression: ThrowExpressionSyntax } => true,
            PropertyDeclarationSyntax { ExpressionBody.Expression: ThrowExpressionSyntax } => true,
            BasePropertyDeclarationSyntax { AccessorList: { } accessors } =>
                accessors.Accessors.All(a => a.ExpressionBody?.Expression is ThrowExpressionSyntax),
            _ => false,
        };

        // Everything a piece of reached code refers to.
        public void Walk(SyntaxNode root, SemanticModel model)
        {
            foreach (SyntaxNode node in root.DescendantNodesAndSelf())
            {
                SymbolInfo info = model.GetSymbolInfo(node);
                foreach (ISymbol symbol in info.Symbol is null ? info.CandidateSymbols.ToArray() : new[] { info.Symbol })
                {
                    if (symbol is IFieldSymbol && node is ExpressionSyntax expression && IsOnlyAssigned(expression))
                    {
                        continue;
                    }

                    Reach(symbol);
                    if (symbol is IMethodSymbol { IsGenericMethod: true } generic)
                    {
                        foreach (ITypeSymbol argument in generic.TypeArguments)
                        {
                            Reach(argument);
                            if (!IsSource(generic))
                            {
                                Hand(argument);
                            }
                        }
                    }
                }

                switch (node)
                {
                    case InvocationExpressionSyntax invocation when model.GetSymbolInfo(invocation).Symbol is IMethodSymbol { IsExtern: true }:
                        // A struct handed to native code (openat2's 'ref OpenHow') is read there, field by field.
                        foreach (ArgumentSyntax argument in invocation.ArgumentList.Arguments)
                        {
                            if (model.GetTypeInfo(argument.Expression).Type is { IsValueType: true } handed && IsSource(handed))
                            {
                                foreach (IFieldSymbol field in handed.GetMembers().OfType<IFieldSymbol>())
                                {
                                    Reach(field);
                                }
                            }
                        }

                        break;
                    case CommonForEachStatementSyntax forEach:
                        ForEachStatementInfo forEachInfo = model.GetForEachStatementInfo(forEach);
                        Reach(forEachInfo.GetEnumeratorMethod);
                        Reach(forEachInfo.MoveNextMethod);
                        Reach(forEachInfo.CurrentProperty);
                        Reach(forEachInfo.DisposeMethod);
                        break;
                    case AwaitExpressionSyntax awaitExpression:
                        AwaitExpressionInfo awaitInfo = model.GetAwaitExpressionInfo(awaitExpression);
                        Reach(awaitInfo.GetAwaiterMethod);
                        Reach(awaitInfo.GetResultMethod);
                        Reach(awaitInfo.IsCompletedProperty);
                        break;
                    case InitializerExpressionSyntax initializer when initializer.IsKind(SyntaxKind.CollectionInitializerExpression):
                        foreach (ExpressionSyntax element in initializer.Expressions)
                        {
                            Reach(model.GetCollectionInitializerSymbolInfo(element).Symbol);
                        }

                        break;
                    case UsingStatementSyntax { Declaration: { } declaration }:
                        Reach(Dispose(model.GetTypeInfo(declaration.Type).Type));
                        break;
                    case UsingStatementSyntax { Expression: { } resource }:
                        Reach(Dispose(model.GetTypeInfo(resource).Type));
                        break;
                    case LocalDeclarationStatementSyntax { UsingKeyword.RawKind: (int)SyntaxKind.UsingKeyword } usingDeclaration:
                        Reach(Dispose(model.GetTypeInfo(usingDeclaration.Declaration.Type).Type));
                        break;
                }

                if (node is ExpressionSyntax value)
                {
                    Conversion conversion = model.GetConversion(value);
                    Reach(conversion.MethodSymbol);
                    TypeInfo type = model.GetTypeInfo(value);
                    if (node is BaseObjectCreationExpressionSyntax && type.Type is { } created)
                    {
                        _created.Add(created.OriginalDefinition);
                        Reach(created);
                    }

                    if (type.Type is { } from && IsSource(from) && type.ConvertedType is { } to && !IsSource(to)
                        && (conversion.IsBoxing || conversion.IsReference))
                    {
                        Hand(from);
                    }
                }
            }
        }

        private static ISymbol? Dispose(ITypeSymbol? type) =>
            type?.GetMembers("Dispose").OfType<IMethodSymbol>().FirstOrDefault(m => m.Parameters.Length == 0);

        // 'field = value' stores without reading ('this.field = value' too).
        private static bool IsOnlyAssigned(ExpressionSyntax node)
        {
            SyntaxNode target = node.Parent is MemberAccessExpressionSyntax { Expression: ThisExpressionSyntax } access && access.Name == node ? access : node;
            return target.Parent is AssignmentExpressionSyntax { RawKind: (int)SyntaxKind.SimpleAssignmentExpression } assignment && assignment.Left == target;
        }

        private void HandArguments(INamedTypeSymbol? type)
        {
            for (INamedTypeSymbol? current = type; current is not null; current = current.ContainingType)
            {
                foreach (ITypeSymbol argument in current.TypeArguments)
                {
                    Hand(argument);
                }
            }
        }

        private void Hand(ITypeSymbol type)
        {
            if (IsSource(type))
            {
                _handed.Add(type.OriginalDefinition);
            }

            if (type is INamedTypeSymbol named)
            {
                HandArguments(named);
            }
            else if (type is IArrayTypeSymbol array)
            {
                Hand(array.ElementType);
            }
        }

        private bool IsSource(ISymbol symbol) =>
            symbol.Locations.Any(l => l.IsInSource && _compilation.SyntaxTrees.Contains(l.SourceTree));
    }
}
