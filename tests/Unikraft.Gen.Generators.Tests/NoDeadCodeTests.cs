using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;
using Xunit;

namespace Unikraft.Gen.Tests;

// In the pruned part of each emitted kernel, every declared member is used from somewhere other
// than its own declaration: the pruner leaves nothing behind that nothing needs.
public sealed class NoDeadCodeTests
{
    public static TheoryData<string> Programs()
    {
        var data = new TheoryData<string>();
        foreach (string program in GeneratorHarness.ProgramNames)
        {
            data.Add(program);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Programs))]
    public void EveryKernelMember_IsReferencedFromElsewhere(string program)
    {
        GeneratorHarness.Result result = GeneratorHarness.RunProgram(program);
        Assert.Empty(result.Problems);
        Compilation compilation = result.Output;

        // The pruned kernel: generated files under Kernel/, except the app-facing API (emitted whole on purpose).
        bool IsPruned(SyntaxTree tree) => tree.FilePath.Contains("/Kernel/", StringComparison.Ordinal) && !tree.FilePath.Contains("/Kernel/Api/", StringComparison.Ordinal);

        var declared = new List<(ISymbol Symbol, SyntaxNode Declaration)>();
        foreach (SyntaxTree tree in compilation.SyntaxTrees.Where(IsPruned))
        {
            SemanticModel model = compilation.GetSemanticModel(tree);
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
                if (symbol is not null)
                {
                    declared.Add((symbol, node));
                }
            }
        }

        Assert.NotEmpty(declared);
        var uses = new List<(ISymbol Symbol, SyntaxNode At)>();
        foreach (SyntaxTree tree in compilation.SyntaxTrees)
        {
            SemanticModel model = compilation.GetSemanticModel(tree);
            foreach (SyntaxNode node in tree.GetRoot().DescendantNodes())
            {
                SymbolInfo info = model.GetSymbolInfo(node);
                foreach (ISymbol symbol in info.Symbol is null ? info.CandidateSymbols.ToArray() : new[] { info.Symbol })
                {
                    uses.Add((symbol.OriginalDefinition, node));
                    if (symbol is IMethodSymbol { AssociatedSymbol: { } associated })
                    {
                        uses.Add((associated.OriginalDefinition, node));
                    }

                    if (symbol is IMethodSymbol { MethodKind: MethodKind.Constructor } constructor)
                    {
                        uses.Add((constructor.ContainingType.OriginalDefinition, node));
                    }
                }

                if (node is CommonForEachStatementSyntax forEach)
                {
                    ForEachStatementInfo forEachInfo = model.GetForEachStatementInfo(forEach);
                    foreach (ISymbol? symbol in new ISymbol?[] { forEachInfo.GetEnumeratorMethod, forEachInfo.MoveNextMethod, forEachInfo.CurrentProperty })
                    {
                        if (symbol is not null)
                        {
                            uses.Add((symbol.OriginalDefinition, node));
                        }
                    }
                }
            }
        }

        var dead = new List<string>();
        foreach ((ISymbol symbol, SyntaxNode declaration) in declared)
        {
            bool used = uses.Any(u => SymbolEqualityComparer.Default.Equals(u.Symbol, symbol) && !declaration.Span.Contains(u.At.Span)
                && u.At.SyntaxTree == declaration.SyntaxTree || SymbolEqualityComparer.Default.Equals(u.Symbol, symbol) && u.At.SyntaxTree != declaration.SyntaxTree);
            used |= ImplementsOrOverridesUsed(symbol, uses);

            // A constructor the generator keeps only so its class compiles says so in the source.
            used |= symbol is IMethodSymbol { MethodKind: MethodKind.Constructor }
                && declaration.GetLeadingTrivia().ToFullString().Contains("Kept so this class compiles: nothing in this kernel constructs it.", StringComparison.Ordinal);
            if (!used)
            {
                FileLinePositionSpan span = declaration.GetLocation().GetLineSpan();
                dead.Add($"{symbol.ToDisplayString()} ({span.Path}:{span.StartLinePosition.Line + 1})");
            }
        }

        Assert.True(dead.Count == 0, "members nothing uses:\n" + string.Join("\n", dead));
    }

    // An override or interface implementation is used when what it overrides or implements is
    // (the runtime calls SynchronizationContext.Post; the kernel calls IConsoleDevice.Write).
    private static bool ImplementsOrOverridesUsed(ISymbol symbol, List<(ISymbol Symbol, SyntaxNode At)> uses)
    {
        if (symbol is IMethodSymbol { IsOverride: true } or IPropertySymbol { IsOverride: true })
        {
            return true;
        }

        if (symbol.ContainingType is not { } type)
        {
            return false;
        }

        foreach (INamedTypeSymbol face in type.AllInterfaces)
        {
            foreach (ISymbol member in face.GetMembers())
            {
                if (SymbolEqualityComparer.Default.Equals(type.FindImplementationForInterfaceMember(member), symbol)
                    && (face.Locations.All(l => !l.IsInSource) || uses.Any(u => SymbolEqualityComparer.Default.Equals(u.Symbol, member.OriginalDefinition))))
                {
                    return true;
                }
            }
        }

        return false;
    }
}
