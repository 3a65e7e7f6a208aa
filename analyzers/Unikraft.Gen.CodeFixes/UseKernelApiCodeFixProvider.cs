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

// UK0002: rewrites a use of a kernel-api member (DateTime.Now) to its kernel replacement
// (Unikraft.Kernel.KernelClock.Now). The name is written fully qualified and marked for the
// simplifier, so it reads "KernelClock.Now" where a using directive allows and stays correct
// where one does not.
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(UseKernelApiCodeFixProvider)), Shared]
public sealed class UseKernelApiCodeFixProvider : CodeFixProvider
{
    private const string EquivalenceKey = nameof(UseKernelApiCodeFixProvider);

    public override ImmutableArray<string> FixableDiagnosticIds { get; } =
        ImmutableArray.Create(DiagnosticDescriptors.BypassesKernelId);

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
            if (!diagnostic.Properties.TryGetValue(DiagnosticDescriptors.ReplacementProperty, out string? replacement)
                || string.IsNullOrEmpty(replacement)
                || FindTarget(root, diagnostic) is null)
            {
                continue;
            }

            // One equivalence key for every replacement, so Fix All rewrites DateTime.Now,
            // DateTime.UtcNow and the rest in one pass.
            context.RegisterCodeFix(
                CodeAction.Create("Use '" + ShortName(replacement!) + "'", token => RewriteAsync(context.Document, diagnostic, replacement!, token), equivalenceKey: EquivalenceKey),
                diagnostic);
        }
    }

    private static async Task<Document> RewriteAsync(Document document, Diagnostic diagnostic, string replacement, CancellationToken cancellationToken)
    {
        SyntaxNode? root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        ExpressionSyntax? target = root is null ? null : FindTarget(root, diagnostic);
        if (root is null || target is null)
        {
            return document;
        }

        ExpressionSyntax kernelMember = SyntaxFactory.ParseExpression("global::" + replacement)
            .WithTriviaFrom(target)
            .WithAdditionalAnnotations(Simplifier.Annotation);

        // A kernel-api method keeps its arguments; only the name being called changes. A constructor
        // (new FileStream(path, mode)) becomes a call of the kernel's factory with the same arguments.
        SyntaxNode rewritten = target switch
        {
            InvocationExpressionSyntax invocation => root.ReplaceNode(invocation.Expression, kernelMember.WithTriviaFrom(invocation.Expression)),
            BaseObjectCreationExpressionSyntax creation => root.ReplaceNode(creation,
                SyntaxFactory.InvocationExpression(kernelMember.WithoutTrivia(), creation.ArgumentList ?? SyntaxFactory.ArgumentList())
                    .WithTriviaFrom(creation)),
            _ => root.ReplaceNode(target, kernelMember),
        };
        return document.WithSyntaxRoot(rewritten);
    }

    // The expression the diagnostic is on: a member access (DateTime.Now), a bare name
    // (Now, under using static), or a static call.
    private static ExpressionSyntax? FindTarget(SyntaxNode root, Diagnostic diagnostic)
    {
        SyntaxNode node = root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true);
        while (node is not null && node.Span == diagnostic.Location.SourceSpan && node is not ExpressionSyntax)
        {
            node = node.Parent!;
        }

        for (SyntaxNode? current = node; current is not null && current.Span == diagnostic.Location.SourceSpan; current = current.Parent)
        {
            switch (current)
            {
                case BaseObjectCreationExpressionSyntax creation when creation.Initializer is null:
                    return creation;
                case InvocationExpressionSyntax invocation when invocation.Expression is MemberAccessExpressionSyntax or IdentifierNameSyntax:
                    return invocation;
                case MemberAccessExpressionSyntax or IdentifierNameSyntax
                    when current.Parent is not InvocationExpressionSyntax call || call.Expression != current:
                    if (current.Parent is not MemberAccessExpressionSyntax parentAccess || parentAccess.Name != current)
                    {
                        return (ExpressionSyntax)current;
                    }

                    break;
            }
        }

        return null;
    }

    private static string ShortName(string replacement)
    {
        int memberDot = replacement.LastIndexOf('.');
        int typeDot = memberDot > 0 ? replacement.LastIndexOf('.', memberDot - 1) : -1;
        return replacement.Substring(typeDot + 1);
    }
}
