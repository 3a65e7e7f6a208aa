using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Unikraft.Gen.Helpers;
using Unikraft.Gen.Incremental;
using Unikraft.Gen.Kernel;
using Unikraft.Gen.Model;
using Unikraft.Gen.Support;

namespace Unikraft.Gen
{
    public sealed partial class KernelGenerator
    {
        // Detect: the program's call sites that need the kernel, as equatable records.
        internal static class Detect
        {
            private const string KernelNamespace = "Unikraft.Kernel";

            private static readonly SymbolDisplayFormat s_typeFormat = SymbolDisplayFormat.FullyQualifiedFormat
                .WithMiscellaneousOptions(SymbolDisplayFormat.FullyQualifiedFormat.MiscellaneousOptions
                    | SymbolDisplayMiscellaneousOptions.IncludeNullableReferenceTypeModifier);

            private static readonly SymbolDisplayFormat s_shortFormat = new SymbolDisplayFormat(
                typeQualificationStyle: SymbolDisplayTypeQualificationStyle.NameAndContainingTypes,
                genericsOptions: SymbolDisplayGenericsOptions.IncludeTypeParameters,
                memberOptions: SymbolDisplayMemberOptions.IncludeContainingType | SymbolDisplayMemberOptions.IncludeParameters,
                parameterOptions: SymbolDisplayParameterOptions.IncludeType | SymbolDisplayParameterOptions.IncludeParamsRefOut,
                miscellaneousOptions: SymbolDisplayMiscellaneousOptions.UseSpecialTypes | SymbolDisplayMiscellaneousOptions.IncludeNullableReferenceTypeModifier);

            // The intercepted BCL methods' names: a call by one of them is worth a semantic look.
            private static readonly Lazy<HashSet<string>> s_intercepted = new Lazy<HashSet<string>>(() =>
            {
                var names = new HashSet<string>(StringComparer.Ordinal);
                foreach (SupportRow row in SupportTable.Embedded.Rows)
                {
                    if (row.Status == SupportStatus.Intercepted && row.MemberName.Length > 0)
                    {
                        names.Add(row.MemberName);
                    }
                }

                return names;
            });

            // The kernel's own API is emitted into the same compilation; its calls are not the program's.
            // A tree is the generator's by its path and by the header the generator writes, which
            // carries the kernel sources' hash (GeneratedOutput says why a folder name alone is not
            // enough: a program's own file may sit in a folder of any name). Without a kernel image
            // nothing is emitted, so nothing is the generator's.
            public static bool IsOwnOutput(SyntaxTree tree) =>
                tree.FilePath.IndexOf(GeneratedOutput.GeneratorFolder, StringComparison.Ordinal) >= 0
                && s_kernelHash.Value is { } hash
                && GeneratedOutput.IsGeneratorTree(tree, hash);

            private static readonly Lazy<string?> s_kernelHash = new Lazy<string?>(() =>
            {
                try
                {
                    return KernelImage.Instance.Graph.SourceHash;
                }
                catch (Exception)
                {
                    return null;
                }
            });

            // The BCL's network types: a program that names one makes sockets (through the native
            // layer), even with no network interface (the kernel's loopback is always there).
            private static readonly HashSet<string> s_netTypeNames = new HashSet<string>(StringComparer.Ordinal)
            {
                "Socket", "TcpClient", "TcpListener", "UdpClient", "Dns", "HttpClient", "HttpClientHandler", "SocketsHttpHandler", "SslStream",
                "WebClient", "ClientWebSocket", "SmtpClient", "HttpListener", "WebApplication", "WebHost", "KestrelServerOptions",
                // Types that watch files (Net.Watches).
                "FileSystemWatcher", "PhysicalFileProvider", "Host", "HostApplicationBuilder",
            };

            public static bool IsNetTypeName(SyntaxNode node) =>
                node is IdentifierNameSyntax name && s_netTypeNames.Contains(name.Identifier.ValueText);

            // The network type a name binds to ("System.Net.Sockets.TcpClient"), or null for a type of
            // the same name elsewhere (the program's own Socket class) or a name that does not bind.
            public static NetTypeUse? NetType(GeneratorSyntaxContext context, CancellationToken cancellationToken)
            {
                ISymbol? symbol = context.SemanticModel.GetSymbolInfo(context.Node, cancellationToken).Symbol;
                if (symbol is not INamedTypeSymbol type)
                {
                    return null;
                }

                string space = type.ContainingNamespace?.ToDisplayString() ?? "";
                if (!space.StartsWith("System.Net", StringComparison.Ordinal) && !space.StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal)
                    && !Net.Watches(space + "." + type.Name))
                {
                    return null;
                }

                FileLinePositionSpan span = context.Node.GetLocation().GetLineSpan();
                return new NetTypeUse(space + "." + type.Name, null, span.Path ?? "", span.StartLinePosition.Line + 1);
            }

            // A node worth a closer look, from syntax alone (the scan leaves the generator's own trees
            // out). A kernel API member is looked at by its name and how it is reached: an instance
            // member through any expression, a static one through a name that may be its type (its
            // own name, or any qualifier: an alias, which only the compilation knows, is ruled out
            // before binding by CouldBeKernelCall) or unqualified ('using static').
            public static bool IsCandidateNode(SyntaxNode node)
            {
                KernelImage kernel = KernelImage.Instance;
                switch (node)
                {
                    case InvocationExpressionSyntax invocation:
                        return NameOf(invocation.Expression) is { } name
                            && (s_intercepted.Value.Contains(name) || kernel.ApiInstanceNames.Contains(name) || kernel.ApiStaticNames.Contains(name));
                    case MemberAccessExpressionSyntax access:
                        // Property reads of the kernel API (KernelClock.UtcNow, stream.Length); calls are handled as invocations.
                        string member = access.Name.Identifier.ValueText;
                        return !(access.Parent is InvocationExpressionSyntax parent && parent.Expression == access)
                            && (kernel.ApiInstanceNames.Contains(member) || kernel.ApiStaticNames.Contains(member));
                    case IdentifierNameSyntax identifier:
                        // A kernel API property read through 'using static'.
                        return identifier.Parent is not MemberAccessExpressionSyntax
                            && identifier.Parent is not InvocationExpressionSyntax
                            && identifier.Parent is not MemberBindingExpressionSyntax
                            && kernel.ApiStaticNames.Contains(identifier.Identifier.ValueText);
                    default:
                        return false;
                }
            }

            // Whether a candidate could be a kernel API member without binding it: a name only the
            // kernel's statics have, reached through a qualifier that names neither a kernel API type
            // nor an alias anywhere in the program, is not one ('Enumerable.Range', 'list.Count' when
            // Count is a static of the kernel's).
            //
            // An instance member of the kernel API needs a value of a kernel API type, and the only
            // ways to one go through a kernel API type's name: a static member, a constructor, a
            // callback's parameter, a base type, an alias (whose target names it). When no tree
            // mentions one and no referenced assembly declares the kernel's namespace
            // ('kernelTypesReachable' false), a name only the kernel's instance members have
            // ('x.Name', 's.Length') is not one of them, and is not bound at all.
            public static bool CouldBeKernelCall(SyntaxNode node, Func<string, bool> isAlias, bool kernelTypesReachable)
            {
                KernelImage kernel = KernelImage.Instance;
                (string? name, ExpressionSyntax? qualifier) = node switch
                {
                    InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax access } => (access.Name.Identifier.ValueText, access.Expression),
                    InvocationExpressionSyntax invocation => (NameOf(invocation.Expression), null),
                    MemberAccessExpressionSyntax access => (access.Name.Identifier.ValueText, access.Expression),
                    _ => ((string?)null, (ExpressionSyntax?)null),
                };
                if (name is null)
                {
                    return true;
                }

                bool intercepted = s_intercepted.Value.Contains(name);
                bool instance = kernelTypesReachable && kernel.ApiInstanceNames.Contains(name);
                if (!intercepted && !instance && !kernel.ApiStaticNames.Contains(name))
                {
                    return false;
                }

                if (qualifier is null || intercepted || instance)
                {
                    return true;
                }

                // A static member through a qualifier that cannot name a type (a call, a literal,
                // 'this', 'string') is not the kernel's: the kernel API declares no extension methods
                // (a test holds it to that), so 'Enumerable.Range(0, 3).Select(...)' is not bound.
                string? typeName = qualifier is PredefinedTypeSyntax ? null : DeclarationStamp.RightmostName(qualifier);
                return typeName is not null && (kernel.ApiTypeNames.Contains(typeName) || isAlias(typeName));
            }

            private static string? NameOf(ExpressionSyntax expression) => expression switch
            {
                MemberAccessExpressionSyntax access => access.Name.Identifier.ValueText,
                IdentifierNameSyntax identifier => identifier.Identifier.ValueText,
                GenericNameSyntax generic => generic.Identifier.ValueText,
                MemberBindingExpressionSyntax binding => binding.Name.Identifier.ValueText,
                _ => null,
            };

            public static ApiUse? Describe(CallSite context, DeclarationStamp stamp, CancellationToken cancellationToken)
            {
                try
                {
                    if (!CouldBeKernelCall(context.Node, stamp.IsAlias, context.KernelTypesReachable))
                    {
                        return null;
                    }

                    return DescribeCore(context, cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    throw;
                }
                catch (Exception)
                {
                    // Code being typed can be in any state; a call site we cannot read is skipped,
                    // never a crash. A missed kernel call is still loud at run time: its stub logs.
                    return null;
                }
            }

            private static ApiUse? DescribeCore(CallSite context, CancellationToken cancellationToken)
            {
                SemanticModel model = context.Model;
                SyntaxNode node = context.Node;
                ISymbol? symbol = model.GetSymbolInfo(node, cancellationToken).Symbol;
                if (symbol is null)
                {
                    return null;
                }

                if (IsKernelApi(symbol))
                {
                    ISymbol original = symbol.OriginalDefinition;
                    string? docId = original.GetDocumentationCommentId();
                    if (docId is null)
                    {
                        return null;
                    }

                    (string file, int line) = Position(node);
                    return new ApiUse(docId, original.ToDisplayString(s_shortFormat), file, line, null, Paths(model, node, symbol, cancellationToken));
                }

                if (node is not InvocationExpressionSyntax invocation || symbol is not IMethodSymbol method)
                {
                    return null;
                }

                SupportRow? row = SupportTable.Embedded.Find(method);
                if (row is null || row.Status != SupportStatus.Intercepted)
                {
                    return null;
                }

                if (row.Condition.Length > 0)
                {
                    ExpressionSyntax? receiver = (invocation.Expression as MemberAccessExpressionSyntax)?.Expression;
                    ISymbol? receiverSymbol = receiver is null ? null : model.GetSymbolInfo(receiver, cancellationToken).Symbol;
                    if (!SupportTable.ReceiverMatches(row, receiverSymbol))
                    {
                        return null;
                    }
                }

                INamedTypeSymbol? kernelType = ApiSyntax.Surface(model.Compilation).GetTypeByMetadataName(row.Replacement);
                if (kernelType is null)
                {
                    return null;
                }

                IMethodSymbol? target = SupportTable.FindKernelOverload(method, kernelType);
                if (target is null)
                {
                    // The analyzers report this overload (UK0003); the call keeps going to the BCL.
                    return null;
                }

                InterceptableLocation? location = model.GetInterceptableLocation(invocation, cancellationToken);
                if (location is null)
                {
                    return null;
                }

                IMethodSymbol bcl = method.OriginalDefinition;
                var parameters = new List<InterceptedParameter>();
                if (!bcl.IsStatic)
                {
                    parameters.Add(new InterceptedParameter("this ", bcl.ContainingType.ToDisplayString(s_typeFormat), "receiver", ""));
                }

                foreach (IParameterSymbol parameter in bcl.Parameters)
                {
                    string modifier = parameter.RefKind switch
                    {
                        RefKind.Ref => "ref ",
                        RefKind.Out => "out ",
                        RefKind.In => "in ",
                        RefKind.RefReadOnlyParameter => "ref readonly ",
                        _ => "",
                    };
                    parameters.Add(new InterceptedParameter(modifier, parameter.Type.ToDisplayString(s_typeFormat), "@" + parameter.Name, FlowAttributes(parameter.GetAttributes())));
                }

                string typeParameters = bcl.TypeParameters.Length == 0 ? "" : "<" + string.Join(", ", bcl.TypeParameters.Select(t => t.Name)) + ">";
                string targetName = target.ContainingType.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat) + "." + target.Name
                    + (target.TypeParameters.Length == 0 ? "" : typeParameters);
                var interception = new Interception(
                    location.Version,
                    location.Data,
                    SupportTable.MetadataName(bcl.ContainingType).Replace('.', '_').Replace('`', '_') + "_" + bcl.Name,
                    typeParameters,
                    bcl.ReturnsVoid ? "void" : bcl.ReturnType.ToDisplayString(s_typeFormat),
                    parameters.ToEquatableArray(),
                    targetName,
                    FlowAttributes(bcl.GetAttributes()),
                    (bcl.IsStatic ? bcl.ContainingType.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat) : "") + "." + bcl.Name);

                (string path, int lineNumber) = Position(node);
                string kernelDocId = target.OriginalDefinition.GetDocumentationCommentId() ?? "";
                return new ApiUse(kernelDocId, bcl.ToDisplayString(s_shortFormat), path, lineNumber, interception, Paths(model, node, method, cancellationToken));
            }

            // A call site's record from the file's tree before an edit, moved to where the call is now:
            // the same call in an unchanged member binds the same way; only its line and its
            // interceptable location (which holds the file's checksum) differ.
            public static ApiUse? Relocate(ApiUse use, CallSite context, CancellationToken cancellationToken)
            {
                Interception? interception = use.Interception;
                if (interception is not null)
                {
                    if (context.Node is not InvocationExpressionSyntax invocation
                        || context.Model.GetInterceptableLocation(invocation, cancellationToken) is not { } location)
                    {
                        return null;
                    }

                    interception = interception with { Version = location.Version, Data = location.Data };
                }

                (string file, int line) = Position(context.Node);
                return use with { File = file, Line = line, Interception = interception };
            }

            // The nullable flow-analysis attributes of a method or parameter, written out so the
            // interceptor repeats them (the compiler requires [DoesNotReturn] to match, CS8770).
            private static string FlowAttributes(ImmutableArray<AttributeData> attributes)
            {
                var written = new List<string>();
                foreach (AttributeData attribute in attributes)
                {
                    if (attribute.AttributeClass is not { } type || type.ContainingNamespace?.ToDisplayString() != "System.Diagnostics.CodeAnalysis"
                        || attribute.ApplicationSyntaxReference is not null || type.Name is "StringSyntaxAttribute" or "ExperimentalAttribute")
                    {
                        continue;
                    }

                    var arguments = new List<string>();
                    foreach (TypedConstant argument in attribute.ConstructorArguments)
                    {
                        arguments.Add(argument.ToCSharpString());
                    }

                    written.Add("[" + type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat) + (arguments.Count == 0 ? "" : "(" + string.Join(", ", arguments) + ")") + "]");
                }

                return string.Concat(written);
            }

            // The constant value of each path argument (PathArguments says which are paths), in
            // parameter order, '' for one not known at compile time. Read from the arguments' syntax,
            // not from IOperation: the operation tree of a call is built for its whole member.
            private static EquatableArray<string> Paths(SemanticModel model, SyntaxNode node, ISymbol symbol, CancellationToken cancellationToken)
            {
                if (node is not InvocationExpressionSyntax invocation || symbol is not IMethodSymbol method)
                {
                    return EquatableArray<string>.Empty;
                }

                ImmutableArray<IParameterSymbol> parameters = method.Parameters;
                var values = new string?[parameters.Length];
                var given = new bool[parameters.Length];
                SeparatedSyntaxList<ArgumentSyntax> arguments = invocation.ArgumentList.Arguments;
                for (int index = 0; index < arguments.Count; index++)
                {
                    ArgumentSyntax argument = arguments[index];
                    IParameterSymbol? parameter = argument.NameColon is { } name
                        ? parameters.FirstOrDefault(p => p.Name == name.Name.Identifier.ValueText)
                        : index < parameters.Length ? parameters[index] : null;
                    if (parameter is null || parameter.IsParams || given[parameter.Ordinal] || !PathArguments.IsPathParameter(parameter))
                    {
                        continue;
                    }

                    Optional<object?> constant = model.GetConstantValue(argument.Expression, cancellationToken);
                    values[parameter.Ordinal] = constant.HasValue ? constant.Value as string : null;
                    given[parameter.Ordinal] = true;
                }

                var paths = new List<string>();
                foreach (IParameterSymbol parameter in parameters)
                {
                    if (given[parameter.Ordinal])
                    {
                        paths.Add(values[parameter.Ordinal] ?? "");
                    }
                    else if (PathArguments.IsPathParameter(parameter) && parameter.HasExplicitDefaultValue)
                    {
                        paths.Add(parameter.ExplicitDefaultValue as string ?? "");
                    }
                }

                return paths.ToEquatableArray();
            }

            private static bool IsKernelApi(ISymbol symbol) =>
                symbol.ContainingType is { } type
                && type.ContainingNamespace?.ToDisplayString() == KernelNamespace
                && KernelImage.Instance.SymbolByDocId.TryGetValue(symbol.OriginalDefinition.GetDocumentationCommentId() ?? "", out int id)
                && KernelImage.Instance.Graph.Symbols[id].IsApi;

            private static (string File, int Line) Position(SyntaxNode node)
            {
                FileLinePositionSpan span = node.GetLocation().GetLineSpan();
                return (span.Path, span.StartLinePosition.Line + 1);
            }

            // The entry point: a compilation unit with top-level statements, or a static Main method.
            public static bool IsEntryNode(SyntaxNode node) =>
                node is CompilationUnitSyntax unit && unit.Members.Any(m => m is GlobalStatementSyntax)
                || node is MethodDeclarationSyntax { Identifier.ValueText: "Main" } method && method.Modifiers.Any(SyntaxKind.StaticKeyword);

            public static EntryPoint? DescribeEntry(CallSite context, DeclarationStamp stamp, CancellationToken cancellationToken)
            {
                try
                {
                    return DescribeEntryCore(context, cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    throw;
                }
                catch (Exception)
                {
                    return null;
                }
            }

            private static EntryPoint? DescribeEntryCore(CallSite context, CancellationToken cancellationToken)
            {
                if (context.Node is CompilationUnitSyntax unit)
                {
                    // The compiler's own rule: top-level statements are async when they await, and
                    // return int when they return a value (neither counted inside lambdas or local functions).
                    bool isAsync = false;
                    bool returnsInt = false;
                    foreach (GlobalStatementSyntax statement in unit.Members.OfType<GlobalStatementSyntax>())
                    {
                        if (statement.Statement is LocalFunctionStatementSyntax)
                        {
                            continue;
                        }

                        foreach (SyntaxNode inner in statement.DescendantNodesAndSelf(n => n is not AnonymousFunctionExpressionSyntax && n is not LocalFunctionStatementSyntax))
                        {
                            isAsync |= inner is AwaitExpressionSyntax
                                || inner is ForEachStatementSyntax { AwaitKeyword.RawKind: (int)SyntaxKind.AwaitKeyword }
                                || inner is UsingStatementSyntax { AwaitKeyword.RawKind: (int)SyntaxKind.AwaitKeyword }
                                || inner is LocalDeclarationStatementSyntax { AwaitKeyword.RawKind: (int)SyntaxKind.AwaitKeyword };
                            returnsInt |= inner is ReturnStatementSyntax { Expression: not null };
                        }
                    }

                    FileLinePositionSpan span = unit.Members.First(m => m is GlobalStatementSyntax).GetLocation().GetLineSpan();
                    return new EntryPoint("global::Program", "Program", "<Main>$", isAsync, returnsInt, HasArgs: true, IsAccessible: false, InStruct: false, TypeIsNameable: false,
                        span.Path, span.StartLinePosition.Line + 1, LocationInfo.From(unit.Members.First(m => m is GlobalStatementSyntax)));
                }

                if (context.Node is MethodDeclarationSyntax method
                    && context.Model.GetDeclaredSymbol(method, cancellationToken) is IMethodSymbol symbol
                    && symbol.IsStatic && !symbol.IsGenericMethod && !symbol.IsPartialDefinition
                    && symbol.ContainingType is { TypeKind: TypeKind.Class or TypeKind.Struct or TypeKind.Interface } type
                    && !IsInGenericType(type))
                {
                    // The compiler's rules for an entry point (C# spec, "Application startup"):
                    // no parameter or one string[], and void, int, Task or Task<int>; any other
                    // method named Main is not one (warning CS0028), so it is not counted here.
                    if (symbol.Parameters.Length > 1
                        || symbol.Parameters.Length == 1 && (symbol.Parameters[0].RefKind != RefKind.None
                            || symbol.Parameters[0].Type is not IArrayTypeSymbol { Rank: 1, ElementType.SpecialType: SpecialType.System_String }))
                    {
                        return null;
                    }

                    ITypeSymbol returnType = symbol.ReturnType;
                    bool isTask = returnType is INamedTypeSymbol { Name: "Task", ContainingNamespace: { Name: "Tasks", ContainingNamespace: { Name: "Threading", ContainingNamespace: { Name: "System", ContainingNamespace.IsGlobalNamespace: true } } } } named
                        && (named.Arity == 0 || named.TypeArguments[0].SpecialType == SpecialType.System_Int32);
                    bool returnsInt = returnType.SpecialType == SpecialType.System_Int32 || isTask && ((INamedTypeSymbol)returnType).Arity == 1;
                    if (!isTask && returnType.SpecialType is not (SpecialType.System_Int32 or SpecialType.System_Void))
                    {
                        return null;
                    }

                    bool nameable = IsAccessibleChain(type) && !type.IsFileLocal;
                    bool accessible = symbol.DeclaredAccessibility is not (Accessibility.Private or Accessibility.Protected or Accessibility.ProtectedAndInternal)
                        && nameable;
                    FileLinePositionSpan span = method.Identifier.GetLocation().GetLineSpan();
                    return new EntryPoint(type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat), MetadataName(type), "Main", isTask, returnsInt,
                        symbol.Parameters.Length == 1, accessible, type.TypeKind == TypeKind.Struct, nameable, span.Path, span.StartLinePosition.Line + 1,
                        LocationInfo.From(method));
                }

                return null;
            }

            private static bool IsInGenericType(INamedTypeSymbol type)
            {
                for (INamedTypeSymbol? current = type; current is not null; current = current.ContainingType)
                {
                    if (current.Arity > 0)
                    {
                        return true;
                    }
                }

                return false;
            }

            // The type's name as Type.GetType reads it: "A.B.Outer+Inner".
            private static string MetadataName(INamedTypeSymbol type)
            {
                string name = type.MetadataName;
                for (INamedTypeSymbol? outer = type.ContainingType; outer is not null; outer = outer.ContainingType)
                {
                    name = outer.MetadataName + "+" + name;
                    type = outer;
                }

                return type.ContainingNamespace is { IsGlobalNamespace: false } ns ? ns.ToDisplayString() + "." + name : name;
            }

            private static bool IsAccessibleChain(INamedTypeSymbol type)
            {
                for (INamedTypeSymbol? current = type; current is not null; current = current.ContainingType)
                {
                    if (current.DeclaredAccessibility is Accessibility.Private or Accessibility.Protected or Accessibility.ProtectedAndInternal)
                    {
                        return false;
                    }
                }

                return true;
            }
        }
    }
}
