using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using Unikraft.Gen.Support;

namespace Unikraft.Gen.Analyzers;

// Reports what the kernel cannot provide, driven by the support table:
//   UK0001  an unsupported API is used (called, constructed, read, passed as a method group,
//           applied as an attribute, or an unmanaged function pointer type is written);
//   UK0002  a kernel-api row's member is used (it reaches the host, not the kernel);
//   UK0003  an intercepted method is called with an overload the kernel API lacks.
// Code inside the Unikraft.Kernel namespace is the kernel itself and is never reported.
// A supported row reports nothing: it says that the API needs no kernel, and like every member
// row it wins over a row for its whole type.
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class SupportTableAnalyzer : DiagnosticAnalyzer
{
    // The name an unmanaged function pointer type has in the table (S:function-pointer).
    internal const string FunctionPointerSyntaxName = "function-pointer";

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
        ImmutableArray.Create(DiagnosticDescriptors.UnsupportedApi, DiagnosticDescriptors.BypassesKernel, DiagnosticDescriptors.OverloadNotRedirected,
            DiagnosticDescriptors.Nondeterministic, DiagnosticDescriptors.MethodGroupNotRedirected);

    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(Start);
    }

    private static void Start(CompilationStartAnalysisContext context)
    {
        var scope = new CompilationScope(context.Compilation, SupportTable.Embedded)
        {
            IsSim = context.Options.AnalyzerConfigOptionsProvider.GlobalOptions.TryGetValue("build_property.UnikraftPlatform", out string? platform)
                && string.Equals(platform.Trim(), "sim", System.StringComparison.OrdinalIgnoreCase),
            IsNativeLayer = context.Options.AnalyzerConfigOptionsProvider.GlobalOptions.TryGetValue("build_property.UnikraftNativeLayer", out string? native)
                && string.Equals(native.Trim(), "true", System.StringComparison.OrdinalIgnoreCase),
        };
        context.RegisterOperationAction(scope.AnalyzeInvocation, OperationKind.Invocation);
        context.RegisterOperationAction(scope.AnalyzeObjectCreation, OperationKind.ObjectCreation);
        context.RegisterOperationAction(scope.AnalyzeMemberReference,
            OperationKind.PropertyReference, OperationKind.FieldReference, OperationKind.EventReference, OperationKind.MethodReference);
        context.RegisterSyntaxNodeAction(scope.AnalyzeAttribute, SyntaxKind.Attribute);

        SupportRow? functionPointer = scope.Table.FindSyntax(FunctionPointerSyntaxName);
        if (functionPointer is { Status: SupportStatus.Unsupported })
        {
            context.RegisterSyntaxNodeAction(c => CompilationScope.AnalyzeFunctionPointer(c, functionPointer), SyntaxKind.FunctionPointerType);
        }
    }

    // What one compilation needs: the table, and the kernel API types it holds (looked up once each).
    private sealed class CompilationScope
    {
        private readonly Compilation _compilation;
        private readonly ConcurrentDictionary<string, INamedTypeSymbol?> _kernelTypes = new(System.StringComparer.Ordinal);

        // The simple metadata names of every type the table names ("Console", "Process"), so
        // that the common case, a member of a type the table never mentions, is settled by one
        // set lookup without building the type's full name.
        private readonly HashSet<string> _typeNames;

        public CompilationScope(Compilation compilation, SupportTable table)
        {
            _compilation = compilation;
            Table = table;
            _typeNames = new HashSet<string>(
                table.Rows.Select(row => row.TypeName.Substring(row.TypeName.LastIndexOfAny(s_nameSeparators) + 1)),
                System.StringComparer.Ordinal);
        }

        private static readonly char[] s_nameSeparators = { '.', '+' };

        public SupportTable Table { get; }

        private SupportRow? Find(ISymbol symbol)
        {
            INamedTypeSymbol? type = symbol.ContainingType;
            return type is not null && _typeNames.Contains(type.MetadataName) ? Table.Find(symbol) : null;
        }

        public void AnalyzeInvocation(OperationAnalysisContext context)
        {
            var invocation = (IInvocationOperation)context.Operation;
            IMethodSymbol method = invocation.TargetMethod;
            if (method is null || IsInKernel(context.ContainingSymbol))
            {
                return;
            }

            SupportRow? row = Find(method);
            if (row is null)
            {
                return;
            }

            switch (row.Status)
            {
                case SupportStatus.Unsupported:
                    ReportUnsupported(context, row, method, invocation.Syntax);
                    break;
                case SupportStatus.KernelApi:
                    ReportBypass(context, row, method, invocation.Syntax);
                    break;
                case SupportStatus.Intercepted:
                    CheckOverload(context, row, invocation);
                    break;
                case SupportStatus.Nondeterministic when SupportTable.ArgumentsMatch(row, invocation.Arguments):
                    ReportNondeterministic(context, row, method, invocation.Syntax);
                    break;
            }
        }

        // True in a build for the sim platform, where runs must replay exactly by seed.
        public bool IsSim { get; set; }

        // The kernel serves the BCL's native layer (a NativeAOT image on hosted): what it serves
        // underneath the BCL is no longer a diagnostic.
        public bool IsNativeLayer { get; set; }

        // UK0201: in a sim build, an API whose result depends on the host, not on the seed.
        private void ReportNondeterministic(OperationAnalysisContext context, SupportRow row, ISymbol symbol, SyntaxNode syntax)
        {
            if (IsSim)
            {
                context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.Nondeterministic, syntax.GetLocation(), Describe(row, symbol), row.Reason));
            }
        }

        public void AnalyzeObjectCreation(OperationAnalysisContext context)
        {
            var creation = (IObjectCreationOperation)context.Operation;
            IMethodSymbol? constructor = creation.Constructor;
            if (constructor is null || IsInKernel(context.ContainingSymbol))
            {
                return;
            }

            SupportRow? row = Find(constructor);
            if (row?.Status == SupportStatus.Unsupported)
            {
                ReportUnsupported(context, row, constructor, creation.Syntax);
            }
            else if (row?.Status == SupportStatus.KernelApi)
            {
                // A constructor that reaches the host (new FileStream): the fix calls the kernel's factory.
                ReportBypass(context, row, constructor, creation.Syntax);
            }
            else if (row?.Status == SupportStatus.Nondeterministic && SupportTable.ArgumentsMatch(row, creation.Arguments))
            {
                ReportNondeterministic(context, row, constructor, creation.Syntax);
            }
        }

        // Property, field and event reads, and method groups (a delegate made from a method).
        public void AnalyzeMemberReference(OperationAnalysisContext context)
        {
            var reference = (IMemberReferenceOperation)context.Operation;
            ISymbol? member = reference is IMethodReferenceOperation methodReference ? methodReference.Method : reference.Member;
            if (member is null || IsInKernel(context.ContainingSymbol) || IsInsideNameOf(reference))
            {
                return;
            }

            SupportRow? row = Find(member);
            if (row is null)
            {
                return;
            }

            if (row.Status == SupportStatus.Unsupported)
            {
                ReportUnsupported(context, row, member, reference.Syntax);
            }
            else if (row.Status == SupportStatus.KernelApi && reference is not IMethodReferenceOperation)
            {
                ReportBypass(context, row, member, reference.Syntax);
            }
            else if (row.Status == SupportStatus.Nondeterministic && reference is not IMethodReferenceOperation && row.Condition.Length == 0)
            {
                ReportNondeterministic(context, row, member, reference.Syntax);
            }
            else if (row.Status == SupportStatus.Intercepted && reference is IMethodReferenceOperation
                && SupportTable.ReceiverMatches(row, ReceiverSymbol(reference.Instance)) && KernelType(row.Replacement) is not null)
            {
                // UK0004: interceptors rewrite calls, not method groups: list.ForEach(Console.WriteLine)
                // would write to the host's console, not the kernel's.
                context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.MethodGroupNotRedirected, reference.Syntax.GetLocation(), Describe(row, member)));
            }
        }

        public void AnalyzeAttribute(SyntaxNodeAnalysisContext context)
        {
            var attribute = (AttributeSyntax)context.Node;
            if (IsInKernel(context.ContainingSymbol))
            {
                return;
            }

            INamedTypeSymbol? type = (context.SemanticModel.GetSymbolInfo(attribute, context.CancellationToken).Symbol as IMethodSymbol)?.ContainingType
                ?? context.SemanticModel.GetTypeInfo(attribute, context.CancellationToken).Type as INamedTypeSymbol;
            if (type is null || type.TypeKind == TypeKind.Error)
            {
                return;
            }

            SupportRow? row = Table.FindAttribute(type);
            if (row?.Status == SupportStatus.Unsupported)
            {
                context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.UnsupportedApi, attribute.GetLocation(), row.DisplayName, row.Reason));
            }
        }

        public static void AnalyzeFunctionPointer(SyntaxNodeAnalysisContext context, SupportRow row)
        {
            var pointer = (FunctionPointerTypeSyntax)context.Node;
            FunctionPointerCallingConventionSyntax? convention = pointer.CallingConvention;

            // A managed function pointer (delegate*<...>) calls managed code and stays inside the kernel.
            if (convention is null || !convention.ManagedOrUnmanagedKeyword.IsKind(SyntaxKind.UnmanagedKeyword) || IsInKernel(context.ContainingSymbol))
            {
                return;
            }

            context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.UnsupportedApi, pointer.GetLocation(), "delegate* unmanaged", row.Reason));
        }

        private void ReportUnsupported(OperationAnalysisContext context, SupportRow row, ISymbol symbol, SyntaxNode syntax)
        {
            if (IsNativeLayer && row.ServedByNativeLayer)
            {
                return;
            }

            context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.UnsupportedApi, syntax.GetLocation(), Describe(row, symbol), row.Reason));
        }

        // UK0002 only where the kernel API is in the compilation: without it there is no kernel to
        // bypass, and the code fix would write a call to a member that does not exist.
        private void ReportBypass(OperationAnalysisContext context, SupportRow row, ISymbol symbol, SyntaxNode syntax)
        {
            if (IsNativeLayer && row.ServedByNativeLayer)
            {
                return;
            }

            int dot = row.Replacement.LastIndexOf('.');
            if (dot <= 0)
            {
                return;
            }

            INamedTypeSymbol? kernelType = KernelType(row.Replacement.Substring(0, dot));
            string memberName = row.Replacement.Substring(dot + 1);
            if (kernelType is null || kernelType.GetMembers(memberName).IsEmpty)
            {
                return;
            }

            ImmutableDictionary<string, string?> properties = ImmutableDictionary<string, string?>.Empty
                .Add(DiagnosticDescriptors.ReplacementProperty, row.Replacement);
            context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.BypassesKernel, syntax.GetLocation(), properties,
                Describe(row, symbol), row.Reason, kernelType.Name + "." + memberName));
        }

        // UK0003: the call is intercepted only when the kernel API declares the same overload.
        private void CheckOverload(OperationAnalysisContext context, SupportRow row, IInvocationOperation invocation)
        {
            INamedTypeSymbol? kernelType = KernelType(row.Replacement);
            if (kernelType is null)
            {
                return;
            }

            IMethodSymbol method = invocation.TargetMethod;
            if (!method.IsStatic && !SupportTable.ReceiverMatches(row, ReceiverSymbol(invocation.Instance)))
            {
                return;
            }

            if (method.IsStatic && row.Condition.Length > 0)
            {
                return;
            }

            if (SupportTable.FindKernelOverload(method, kernelType) is not null)
            {
                return;
            }

            context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.OverloadNotRedirected, invocation.Syntax.GetLocation(),
                method.OriginalDefinition.ToDisplayString(s_overloadFormat), DescribeKernelOverloads(method, kernelType)));
        }

        // The generator emits the kernel into the program's own assembly, so that one is looked at
        // first: a referenced library built with the generator holds internal kernel types of the
        // same names, and the compilation-wide lookup returns null when a name is defined twice.
        // The generator emits only the part of an API type the program uses (ApiSurface.cs): then
        // the overloads it has are looked up in the whole API.
        private INamedTypeSymbol? KernelType(string metadataName) =>
            _kernelTypes.GetOrAdd(metadataName, name =>
            {
                INamedTypeSymbol? type = _compilation.Assembly.GetTypeByMetadataName(name) ?? _compilation.GetTypeByMetadataName(name);
                return type is not null && ApiSurface.IsPrunedByGenerator(type) ? ApiSurface.For(_compilation).GetTypeByMetadataName(name) ?? type : type;
            });

        // What the user can call instead, from the overloads the kernel API does declare.
        private static string DescribeKernelOverloads(IMethodSymbol method, INamedTypeSymbol kernelType)
        {
            // An instance method's kernel overloads take the receiver first; the user never writes it.
            int skip = method.IsStatic ? 0 : 1;
            var shapes = new List<string>();
            foreach (ISymbol member in kernelType.GetMembers(method.Name))
            {
                if (member is IMethodSymbol candidate && candidate.IsStatic && candidate.Parameters.Length >= skip
                    && candidate.DeclaredAccessibility != Accessibility.Private)
                {
                    string parameters = string.Join(", ", candidate.Parameters.Skip(skip).Select(p => p.Type.ToDisplayString(SymbolDisplayFormat.MinimallyQualifiedFormat)));
                    shapes.Add(method.Name + "(" + parameters + ")");
                }
            }

            if (shapes.Count == 0)
            {
                return "the kernel API '" + kernelType.Name + "' has no '" + method.Name + "' method";
            }

            shapes.Sort(System.StringComparer.Ordinal);
            return "the kernel provides " + string.Join(", ", shapes) + "; call one of those";
        }

        private static readonly SymbolDisplayFormat s_overloadFormat = new(
            typeQualificationStyle: SymbolDisplayTypeQualificationStyle.NameOnly,
            memberOptions: SymbolDisplayMemberOptions.IncludeContainingType | SymbolDisplayMemberOptions.IncludeParameters,
            parameterOptions: SymbolDisplayParameterOptions.IncludeType | SymbolDisplayParameterOptions.IncludeName | SymbolDisplayParameterOptions.IncludeParamsRefOut,
            genericsOptions: SymbolDisplayGenericsOptions.IncludeTypeParameters,
            miscellaneousOptions: SymbolDisplayMiscellaneousOptions.UseSpecialTypes);

        // How a use reads in a message: the row's own name, or for a whole-type row the member used.
        private static string Describe(SupportRow row, ISymbol symbol)
        {
            if (row.Kind != SupportMemberKind.Type)
            {
                return row.DisplayName;
            }

            ISymbol original = symbol.OriginalDefinition;
            string typeName = original.ContainingType?.Name ?? row.DisplayName;
            switch (original)
            {
                case IMethodSymbol { MethodKind: MethodKind.Constructor }:
                    return "new " + typeName;
                case IMethodSymbol { AssociatedSymbol: { } associated }:
                    return typeName + "." + associated.Name;
                default:
                    return typeName + "." + original.Name;
            }
        }

        private static ISymbol? ReceiverSymbol(IOperation? receiver)
        {
            while (receiver is IConversionOperation conversion)
            {
                receiver = conversion.Operand;
            }

            switch (receiver)
            {
                case IPropertyReferenceOperation property: return property.Property;
                case IFieldReferenceOperation field: return field.Field;
                case ILocalReferenceOperation local: return local.Local;
                case IParameterReferenceOperation parameter: return parameter.Parameter;
                case IInvocationOperation invocation: return invocation.TargetMethod;
                default: return null;
            }
        }

        private static bool IsInsideNameOf(IOperation operation)
        {
            for (IOperation? current = operation.Parent; current is not null; current = current.Parent)
            {
                if (current is INameOfOperation)
                {
                    return true;
                }
            }

            return false;
        }

        // Whether the code being analyzed is the kernel itself (namespace Unikraft.Kernel or below):
        // the kernel's clock device, for one, must read the host clock.
        private static bool IsInKernel(ISymbol? symbol)
        {
            INamespaceSymbol? ns = symbol as INamespaceSymbol ?? symbol?.ContainingNamespace;
            for (; ns is { IsGlobalNamespace: false }; ns = ns.ContainingNamespace)
            {
                if (ns.Name == "Kernel" && ns.ContainingNamespace is { Name: "Unikraft" } parent && parent.ContainingNamespace is { IsGlobalNamespace: true })
                {
                    return true;
                }
            }

            return false;
        }
    }
}
