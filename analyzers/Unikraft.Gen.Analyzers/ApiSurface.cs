using System;
using System.Collections.Generic;
using System.IO;
using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Text;

namespace Unikraft.Gen.Analyzers;

// The whole app-facing API, for the questions the analyzers ask about it ("which Write overloads
// does KernelConsole have?"). The generator emits into the program only the API members the
// program calls, or every member of a type the program names; the program binds to that, but
// an overload it does not call yet is still one the kernel serves. So the analyzers read the
// API's declarations from its sources, embedded here, compiled on their own against the
// program's references. Only declarations are asked for: no body is ever bound.
internal static class ApiSurface
{
    private const string ResourcePrefix = "Unikraft.Gen.Api/";

    // The folder of the generator's output in a syntax tree's path.
    private const string GeneratorFolder = "Unikraft.Gen.KernelGenerator";

    private static readonly Lazy<SyntaxTree[]> s_trees = new(Parse);

    // Keyed by the program's core library reference, the same object across a project's compilations.
    private static readonly ConditionalWeakTable<MetadataReference, Compilation> s_byCoreLibrary = new();

    // Whether the generator wrote this type (and so pruned it), rather than a hand-written kernel.
    public static bool IsPrunedByGenerator(INamedTypeSymbol type)
    {
        if (type.DeclaringSyntaxReferences.IsEmpty)
        {
            return false;
        }

        foreach (SyntaxReference reference in type.DeclaringSyntaxReferences)
        {
            if (reference.SyntaxTree.FilePath.IndexOf(GeneratorFolder, StringComparison.Ordinal) < 0)
            {
                return false;
            }
        }

        return true;
    }

    public static Compilation For(Compilation program)
    {
        MetadataReference? core = program.GetMetadataReference(program.ObjectType.ContainingAssembly);
        if (core is null)
        {
            return Create(program);
        }

        return s_byCoreLibrary.GetValue(core, _ => Create(program));
    }

    private static Compilation Create(Compilation program) =>
        CSharpCompilation.Create("Unikraft.Gen.ApiSurface", s_trees.Value, program.References,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));

    private static SyntaxTree[] Parse()
    {
        var assembly = typeof(ApiSurface).Assembly;
        var trees = new List<SyntaxTree>();
        foreach (string name in assembly.GetManifestResourceNames())
        {
            if (!name.StartsWith(ResourcePrefix, StringComparison.Ordinal))
            {
                continue;
            }

            using Stream stream = assembly.GetManifestResourceStream(name)!;
            using var reader = new StreamReader(stream);
            trees.Add(CSharpSyntaxTree.ParseText(SourceText.From(reader.ReadToEnd()), CSharpParseOptions.Default, name));
        }

        return trees.ToArray();
    }
}
