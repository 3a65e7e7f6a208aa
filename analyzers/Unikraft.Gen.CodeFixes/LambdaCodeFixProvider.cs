using System.Collections.Generic;
using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Unikraft.Gen.Analyzers;

namespace Unikraft.Gen.CodeFixes;

// UK0004: turns a method group of an intercepted API into a lambda that calls it, so the call
// is a call site the generator redirects: list.ForEach(Console.WriteLine) becomes
// list.ForEach(obj => Console.WriteLine(obj)), with the delegate's own parameter names.
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(LambdaCodeFixProvider)), Shared]
public sealed class LambdaCodeFixProvider : CodeFixProvider
{
    private const string EquivalenceKey = nameof(LambdaCodeFixProvider);

    public override ImmutableArray<string> FixableDiagnosticIds { get; } =
        ImmutableArray.Create(DiagnosticDescriptors.MethodGroupNotRedirectedId);

    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        SyntaxNode? root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        SemanticModel? model = await context.Document.GetSemanticModelAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null || model is null)
        {
            return;
        }

        foreach (Diagnostic diagnostic in context.Diagnostics)
        {
            if (root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true) is not ExpressionSyntax group
                || model.GetTypeInfo(group, context.CancellationToken).ConvertedType is not INamedTypeSymbol { DelegateInvokeMethod: { } invoke })
            {
                continue;
            }

            List<string> names = invoke.Parameters.Select(p => p.Name).ToList();
            string lambda = (names.Count == 1 ? names[0] : "(" + string.Join(", ", names) + ")")
                + " => " + group.WithoutTrivia().ToString() + "(" + string.Join(", ", names) + ")";
            ExpressionSyntax replacement = SyntaxFactory.ParseExpression(lambda).WithTriviaFrom(group);
            context.RegisterCodeFix(
                CodeAction.Create("Call it in a lambda", _ => Task.FromResult(context.Document.WithSyntaxRoot(root.ReplaceNode(group, replacement))), EquivalenceKey),
                diagnostic);
        }
    }
}
