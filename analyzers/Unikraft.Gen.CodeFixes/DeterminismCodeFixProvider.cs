using System.Collections.Immutable;
using System.Composition;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Simplification;
using Unikraft.Gen.Analyzers;

namespace Unikraft.Gen.CodeFixes;

// UK0201, where the fix is mechanical: 'task.ConfigureAwait(false)' becomes 'task' (the await then
// resumes on the kernel's scheduler), and 'new Random()' becomes 'Random.Shared' (seeded by the
// simulation). The other UK0201 APIs have no drop-in kernel equivalent, so they get no fix.
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(DeterminismCodeFixProvider)), Shared]
public sealed class DeterminismCodeFixProvider : CodeFixProvider
{
    private const string EquivalenceKey = nameof(DeterminismCodeFixProvider);

    public override ImmutableArray<string> FixableDiagnosticIds { get; } =
        ImmutableArray.Create(DiagnosticDescriptors.NondeterministicId);

    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        SyntaxNode? root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null)
        {
            return;
        }

        foreach (Diagnostic diagnostic in context.Diagnostics)
        {
            SyntaxNode node = root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true);
            switch (node)
            {
                case InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax { Name.Identifier.ValueText: "ConfigureAwait" } access } invocation:
                    context.RegisterCodeFix(
                        CodeAction.Create("Remove ConfigureAwait(false)", _ => Replace(context.Document, root, invocation, access.Expression.WithTriviaFrom(invocation)), EquivalenceKey),
                        diagnostic);
                    break;
                case BaseObjectCreationExpressionSyntax { ArgumentList: null or { Arguments.Count: 0 }, Initializer: null } creation:
                    ExpressionSyntax shared = SyntaxFactory.ParseExpression("global::System.Random.Shared")
                        .WithTriviaFrom(creation).WithAdditionalAnnotations(Simplifier.Annotation);
                    context.RegisterCodeFix(
                        CodeAction.Create("Use Random.Shared", _ => Replace(context.Document, root, creation, shared), EquivalenceKey),
                        diagnostic);
                    break;
            }
        }
    }

    private static Task<Document> Replace(Document document, SyntaxNode root, SyntaxNode old, SyntaxNode replacement) =>
        Task.FromResult(document.WithSyntaxRoot(root.ReplaceNode(old, replacement)));
}
