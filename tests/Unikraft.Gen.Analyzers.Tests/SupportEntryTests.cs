using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;
using Unikraft.Gen.Support;
using Xunit;

namespace Unikraft.Gen.Analyzers.Tests;

// One test per row of the support table: a small program makes a real use of the row's API (a
// call, a property read, a constructor, an applied attribute), and the analyzer must report what
// the row's status says, at that use, in a hosted build and in a sim build.
public sealed class SupportEntryTests
{
    private static readonly CSharpCompilation s_references =
        CSharpCompilation.Create("References", references: Basic.Reference.Assemblies.Net100.References.All);

    public static IEnumerable<object[]> Rows() => SupportTable.Embedded.Rows.Select(row => new object[] { row.Key });

    [Theory]
    [MemberData(nameof(Rows))]
    public async Task EveryEntry_ReportsItsStatus_AtARealUse(string key)
    {
        SupportRow row = SupportTable.Embedded.Rows.Single(r => r.Key == key);
        SupportUse use = SupportUse.Build(row, s_references, SupportTable.Embedded);
        if (row.Status == SupportStatus.Intercepted)
        {
            // Redirected when the kernel API declares the overload; UK0003 when it does not.
            IMethodSymbol method = Assert.IsAssignableFrom<IMethodSymbol>(use.Member);
            await ExpectAsync(row, use.WithKernel(SupportUse.InterceptingKernel(row, null)), "hosted", DiagnosticDescriptors.OverloadNotRedirected.Id);
            use = use.WithKernel(SupportUse.InterceptingKernel(row, method));
        }

        foreach (string platform in new[] { "hosted", "sim" })
        {
            string? expected = row.Status switch
            {
                SupportStatus.Unsupported => DiagnosticDescriptors.UnsupportedApi.Id,
                SupportStatus.KernelApi => DiagnosticDescriptors.BypassesKernel.Id,
                SupportStatus.Nondeterministic when platform == "sim" => DiagnosticDescriptors.Nondeterministic.Id,
                _ => null,
            };
            await ExpectAsync(row, use, platform, expected);
        }
    }

    private static async Task ExpectAsync(SupportRow row, SupportUse use, string platform, string? expected)
    {
        CSharpCompilation compilation = use.Compile();
        ImmutableArray<Diagnostic> errors = compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToImmutableArray();
        Assert.True(errors.IsEmpty || use.ErrorsExpected, "Line " + row.Line + ": the use does not compile:\n" + use.Source + "\n" + string.Join("\n", errors));

        ImmutableArray<Diagnostic> reported = await RunAsync(compilation, platform);
        string described = "Line " + row.Line + " (" + row.Key + ", " + row.StatusText + ", " + platform + "): " + use.Text + " reported ["
            + string.Join(", ", reported.Select(d => d.Id + " at " + d.Location.SourceSpan + ": " + d.GetMessage())) + "]";
        if (expected is null)
        {
            Assert.True(reported.IsEmpty, described + ", expected nothing.");
        }
        else
        {
            Assert.True(reported.Length == 1 && reported[0].Id == expected && reported[0].Location.SourceSpan == use.Span,
                described + ", expected " + expected + " at " + use.Span + ".");
            if (expected != DiagnosticDescriptors.OverloadNotRedirected.Id)
            {
                Assert.Contains(row.Reason, reported[0].GetMessage(), StringComparison.Ordinal);
            }
        }
    }

    private static async Task<ImmutableArray<Diagnostic>> RunAsync(Compilation compilation, string platform)
    {
        var exceptions = new List<Exception>();
        var options = new CompilationWithAnalyzersOptions(
            new AnalyzerOptions(ImmutableArray<AdditionalText>.Empty, new GlobalOptionsProvider("build_property.UnikraftPlatform", platform)),
            onAnalyzerException: (exception, analyzer, diagnostic) =>
            {
                lock (exceptions)
                {
                    exceptions.Add(exception);
                }
            },
            concurrentAnalysis: false,
            logAnalyzerExecutionTime: false);
        ImmutableArray<Diagnostic> diagnostics = await compilation
            .WithAnalyzers(ImmutableArray.Create<DiagnosticAnalyzer>(new SupportTableAnalyzer()), options)
            .GetAnalyzerDiagnosticsAsync(CancellationToken.None);
        Assert.Empty(exceptions);
        return diagnostics;
    }

    // The build's global options (build_property.*), as MSBuild passes them through a global config.
    private sealed class GlobalOptionsProvider : AnalyzerConfigOptionsProvider
    {
        private readonly AnalyzerConfigOptions _global;

        public GlobalOptionsProvider(string key, string value) => _global = new Options(key, value);

        public override AnalyzerConfigOptions GlobalOptions => _global;

        public override AnalyzerConfigOptions GetOptions(SyntaxTree tree) => Options.Empty;

        public override AnalyzerConfigOptions GetOptions(AdditionalText textFile) => Options.Empty;

        private sealed class Options : AnalyzerConfigOptions
        {
            public static readonly Options Empty = new("", "");

            private readonly string _key;
            private readonly string _value;

            public Options(string key, string value)
            {
                _key = key;
                _value = value;
            }

            public override bool TryGetValue(string key, out string value)
            {
                value = key == _key && key.Length > 0 ? _value : null!;
                return value is not null;
            }
        }
    }
}

// A program that uses one row's API once, and where in its text that use is.
internal sealed class SupportUse
{
    private SupportUse(string program, string kernel, string text, ISymbol? member, bool errorsExpected)
    {
        _program = program;
        _kernel = kernel;
        Source = kernel + program;
        Text = text;
        int start = Source.IndexOf(text, Source.IndexOf("class Program", StringComparison.Ordinal), StringComparison.Ordinal);
        Span = new TextSpan(start, text.Length);
        Member = member;
        ErrorsExpected = errorsExpected;
    }

    private readonly string _program;
    private readonly string _kernel;

    public string Source { get; }

    // The member used (null for an attribute or a piece of syntax).
    public ISymbol? Member { get; }

    // The same use with other kernel API declarations beside it.
    public SupportUse WithKernel(string kernel) => new(_program, kernel, Text, Member, ErrorsExpected);

    // A kernel API type as the generator would emit it for an intercepted row: with the overload
    // the use calls (static, an instance method's receiver first), or with no members at all.
    public static string InterceptingKernel(SupportRow row, IMethodSymbol? bcl)
    {
        int dot = row.Replacement.LastIndexOf('.');
        var text = new StringBuilder("namespace " + row.Replacement.Substring(0, dot) + " { public static class " + row.Replacement.Substring(dot + 1) + " { ");
        if (bcl is not null)
        {
            bcl = bcl.OriginalDefinition;
            var parameters = new List<string>();
            if (!bcl.IsStatic)
            {
                parameters.Add(bcl.ContainingType.ToDisplayString(s_type) + " receiver");
            }

            foreach (IParameterSymbol parameter in bcl.Parameters)
            {
                string modifier = parameter.RefKind switch { RefKind.Ref => "ref ", RefKind.Out => "out ", RefKind.In => "in ", _ => "" };
                parameters.Add(modifier + parameter.Type.ToDisplayString(s_type) + " " + parameter.Name);
            }

            string typeParameters = bcl.IsGenericMethod ? "<" + string.Join(", ", bcl.TypeParameters.Select(p => p.Name)) + ">" : "";
            text.Append("public static " + (bcl.ReturnsVoid ? "void" : bcl.ReturnType.ToDisplayString(s_type)) + " " + bcl.Name + typeParameters
                + "(" + string.Join(", ", parameters) + ") => throw null!; ");
        }

        return text.Append("} }\n").ToString();
    }

    // The use itself, as written in the program ("global::System.Console.Beep()").
    public string Text { get; }

    // Where the use is, which is where the diagnostic must be.
    public TextSpan Span { get; }

    // Attribute uses are checked by the analyzer even where the compiler would refuse the target.
    public bool ErrorsExpected { get; }

    private static readonly SymbolDisplayFormat s_type = SymbolDisplayFormat.FullyQualifiedFormat;

    public CSharpCompilation Compile() => CSharpCompilation.Create(
        "Program",
        new[] { CSharpSyntaxTree.ParseText(Source, new CSharpParseOptions(LanguageVersion.Preview), path: "Program.cs") },
        Basic.Reference.Assemblies.Net100.References.All,
        new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, allowUnsafe: true, nullableContextOptions: NullableContextOptions.Enable));

    public static SupportUse Build(SupportRow row, CSharpCompilation references, SupportTable table)
    {
        // A kernel-api row is reported only where the kernel API is in the compilation.
        string kernel = "";
        if (row.Status == SupportStatus.KernelApi)
        {
            int dot = row.Replacement.LastIndexOf('.');
            int typeDot = row.Replacement.LastIndexOf('.', dot - 1);
            kernel = "namespace " + row.Replacement.Substring(0, typeDot) + " { public static class " + row.Replacement.Substring(typeDot + 1, dot - typeDot - 1)
                + " { public static int " + row.Replacement.Substring(dot + 1) + " => 0; } }\n";
        }

        if (row.Kind == SupportMemberKind.Syntax)
        {
            return Make("delegate* unmanaged<void> pointer = default;", "delegate* unmanaged<void>", "", kernel, null, errorsExpected: false);
        }

        INamedTypeSymbol type = references.GetTypeByMetadataName(row.TypeName)
            ?? throw new InvalidOperationException("Line " + row.Line + ": no type " + row.TypeName);
        if (type.IsGenericType)
        {
            type = type.Construct(type.TypeParameters.Select(p => ArgumentFor(p, references)).ToArray());
        }

        if (row.Kind == SupportMemberKind.Attribute)
        {
            IMethodSymbol constructor = type.InstanceConstructors.Where(c => c.DeclaredAccessibility == Accessibility.Public).OrderBy(c => c.Parameters.Length).First();
            string attribute = "global::" + row.TypeName + "(" + string.Join(", ", constructor.Parameters.Select(p => p.Type.SpecialType == SpecialType.System_String ? "\"library\"" : "default")) + ")";
            return Make("", attribute, "    [" + attribute + "]\n    static extern void Target();\n", kernel, null, errorsExpected: true);
        }

        ISymbol member = row.Kind switch
        {
            SupportMemberKind.Constructor => Usable(type.InstanceConstructors.Cast<ISymbol>(), row, table),
            SupportMemberKind.Method => Usable(type.GetMembers(row.MemberName).OfType<IMethodSymbol>(), row, table),
            SupportMemberKind.Property => Usable(type.GetMembers(row.MemberName).OfType<IPropertySymbol>(), row, table),
            _ => Representative(type, row, table),
        } ?? throw new InvalidOperationException("Line " + row.Line + ": no public member of " + row.TypeName + " can be used in a test program.");

        var prelude = new StringBuilder();
        string use = Use(member, row, prelude);
        string statement = member switch
        {
            IMethodSymbol { MethodKind: MethodKind.Ordinary, ReturnsVoid: true } => use + ";",
            IEventSymbol handler => use + " += default(" + handler.Type.ToDisplayString(s_type) + ")!;",
            _ => "_ = " + use + ";",
        };
        return Make(prelude + statement, use, "", kernel, member, errorsExpected: false);
    }

    private static SupportUse Make(string body, string use, string members, string kernel, ISymbol? member, bool errorsExpected)
    {
        string program = "unsafe class Program\n{\n" + members
            + "    static void Use()\n    {\n        " + body.Replace("\n", "\n        ") + "\n    }\n}\n";
        return new SupportUse(program, kernel, use, member, errorsExpected);
    }

    // The member of a whole-type row that the test uses: one with no row of its own, a
    // constructor first, then static methods, properties, fields and events, then instance ones.
    private static ISymbol? Representative(INamedTypeSymbol type, SupportRow row, SupportTable table)
    {
        IEnumerable<ISymbol> members = type.InstanceConstructors.Cast<ISymbol>()
            .Concat(type.GetMembers().OfType<IMethodSymbol>().Where(m => m.MethodKind == MethodKind.Ordinary && m.IsStatic))
            .Concat(type.GetMembers().OfType<IPropertySymbol>().Where(p => p.IsStatic))
            .Concat(type.GetMembers().OfType<IFieldSymbol>().Where(f => f.IsStatic))
            .Concat(type.GetMembers().OfType<IEventSymbol>().Where(e => e.IsStatic))
            .Concat(type.GetMembers().OfType<IMethodSymbol>().Where(m => m.MethodKind == MethodKind.Ordinary && !m.IsStatic))
            .Concat(type.GetMembers().OfType<IPropertySymbol>().Where(p => !p.IsStatic))
            .Concat(type.GetMembers().OfType<IEventSymbol>().Where(e => !e.IsStatic));
        return Usable(members, row, table);
    }

    // The first public overload the test can call with default arguments, preferring plain ones
    // (no type parameters, no ref or out, no pointers) and honouring the row's condition.
    private static ISymbol? Usable(IEnumerable<ISymbol> candidates, SupportRow row, SupportTable table) =>
        candidates
            .Where(m => m.DeclaredAccessibility == Accessibility.Public && !IsObsoleteError(m))
            .Where(m => m is not IPropertySymbol { IsIndexer: true })
            .Where(m => table.Find(m) == row)
            .Where(m => row.Condition != SupportTable.NoArguments || Parameters(m).Length == 0)
            .Where(m => row.Condition != SupportTable.FirstArgumentFalse || Parameters(m) is { Length: > 0 } p && p[0].Type.SpecialType == SpecialType.System_Boolean)
            .Where(m => m is not IMethodSymbol method || SupportTable.OverloadMatches(row, method))
            .Where(m => !Parameters(m).Any(p => p.Type is IFunctionPointerTypeSymbol))
            .OrderBy(Awkwardness)
            .FirstOrDefault();

    private static ImmutableArray<IParameterSymbol> Parameters(ISymbol member) =>
        member is IMethodSymbol method ? method.Parameters : ImmutableArray<IParameterSymbol>.Empty;

    private static int Awkwardness(ISymbol member)
    {
        if (member is not IMethodSymbol method)
        {
            return 0;
        }

        int score = method.TypeParameters.Length > 0 ? 4 : 0;
        score += method.Parameters.Count(p => p.RefKind is RefKind.Ref or RefKind.Out) * 2;
        score += method.Parameters.Count(p => p.Type is IPointerTypeSymbol || p.Type.IsRefLikeType);
        return score;
    }

    private static bool IsObsoleteError(ISymbol member) =>
        member.GetAttributes().Any(a => a.AttributeClass?.Name == "ObsoleteAttribute" && a.ConstructorArguments.Length == 2 && a.ConstructorArguments[1].Value is true);

    // The use of a member as an expression: a call, a property read or an object creation.
    private static string Use(ISymbol member, SupportRow row, StringBuilder prelude)
    {
        INamedTypeSymbol type = member.ContainingType;
        string typeName = type.ToDisplayString(s_type);
        string receiver;
        if (member.IsStatic)
        {
            receiver = typeName;
        }
        else if (row.Condition.Length > 0 && row.Condition != SupportTable.NoArguments && row.Condition != SupportTable.FirstArgumentFalse
            && row.Condition != SupportTable.PathArgument)
        {
            receiver = "global::" + row.Condition;
        }
        else
        {
            receiver = "default(" + typeName + ")" + (type.IsReferenceType ? "!" : "");
        }

        switch (member)
        {
            case IPropertySymbol or IFieldSymbol or IEventSymbol:
                return receiver + "." + member.Name;
            case IMethodSymbol { MethodKind: MethodKind.Constructor } constructor:
                return "new " + typeName + "(" + Arguments(constructor, row, prelude) + ")";
            case IMethodSymbol method:
                string typeArguments = "";
                if (method.IsGenericMethod)
                {
                    ITypeSymbol[] arguments = method.TypeParameters.Select(p => ArgumentFor(p, null)).ToArray();
                    typeArguments = "<" + string.Join(", ", arguments.Select(a => a.ToDisplayString(s_type))) + ">";
                    method = method.Construct(arguments);
                }

                return receiver + "." + method.Name + typeArguments + "(" + Arguments(method, row, prelude) + ")";
            default:
                throw new InvalidOperationException("Line " + row.Line + ": cannot use " + member);
        }
    }

    private static string Arguments(IMethodSymbol method, SupportRow row, StringBuilder prelude)
    {
        var arguments = new List<string>();
        foreach (IParameterSymbol parameter in method.Parameters)
        {
            string type = parameter.Type.ToDisplayString(s_type);
            string value = parameter.Type.IsReferenceType || parameter.Type.TypeKind == TypeKind.TypeParameter ? "default(" + type + ")!" : "default(" + type + ")";
            if (arguments.Count == 0 && row.Condition == SupportTable.FirstArgumentFalse)
            {
                value = "false";
            }

            switch (parameter.RefKind)
            {
                case RefKind.Out:
                    arguments.Add("out " + type + " _");
                    break;
                case RefKind.Ref:
                    string local = "local" + parameter.Ordinal;
                    prelude.Append(type).Append(' ').Append(local).Append(" = ").Append(value).Append(";\n");
                    arguments.Add("ref " + local);
                    break;
                default:
                    arguments.Add(value);
                    break;
            }
        }

        return string.Join(", ", arguments);
    }

    // A type argument that meets a type parameter's constraints as plainly as possible.
    private static ITypeSymbol ArgumentFor(ITypeParameterSymbol parameter, CSharpCompilation? compilation)
    {
        compilation ??= s_compilation;
        if (parameter.HasUnmanagedTypeConstraint || parameter.HasValueTypeConstraint)
        {
            return compilation.GetSpecialType(SpecialType.System_Int32);
        }

        return parameter.ConstraintTypes.FirstOrDefault(t => t.TypeKind != TypeKind.TypeParameter) ?? compilation.GetSpecialType(SpecialType.System_Object);
    }

    private static readonly CSharpCompilation s_compilation =
        CSharpCompilation.Create("Arguments", references: Basic.Reference.Assemblies.Net100.References.All);
}
