using System.Collections.Generic;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Text;
using Unikraft.Gen.Graph;

namespace Unikraft.Gen.Kernel
{
    // The whole app-facing API as syntax trees parsed with the program's options, for binding its
    // call sites: the program's compilation holds the API only in part (the members it calls, the
    // types it names). One set of trees per parse options (a project has one), so every run of the
    // generator shares them.
    internal static class ApiSyntax
    {
        // Where the trees say they are: under the generator's own folder, so nothing takes them for
        // the program's code. They are never added to the program's compilation.
        public const string Folder = "Unikraft.Gen.Generators/Unikraft.Gen.KernelGenerator/ApiSurface/";

        private static readonly ConditionalWeakTable<CSharpParseOptions, SyntaxTree[]> s_trees = new ConditionalWeakTable<CSharpParseOptions, SyntaxTree[]>();

        // The API compiled on its own against the program's references, for the questions asked of
        // its declarations ("which Write overloads does KernelConsole have?"); no body is bound.
        // Keyed by the program's core library reference, the same object across its compilations.
        private static readonly ConditionalWeakTable<MetadataReference, Compilation> s_surfaces = new ConditionalWeakTable<MetadataReference, Compilation>();

        public static IEnumerable<SyntaxTree> Trees(ParseOptions? options) =>
            s_trees.GetValue(options as CSharpParseOptions ?? CSharpParseOptions.Default, Parse);

        public static Compilation Surface(Compilation program)
        {
            MetadataReference? core = program.GetMetadataReference(program.ObjectType.ContainingAssembly);
            return core is null ? CreateSurface(program) : s_surfaces.GetValue(core, _ => CreateSurface(program));
        }

        private static Compilation CreateSurface(Compilation program) =>
            CSharpCompilation.Create("Unikraft.Gen.ApiSurface", Trees(program.SyntaxTrees.FirstOrDefault()?.Options), program.References,
                new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));

        private static SyntaxTree[] Parse(CSharpParseOptions options)
        {
            KernelImage image = KernelImage.Instance;
            var trees = new List<SyntaxTree>();
            foreach (GraphFile file in image.Graph.Files)
            {
                if (file.IsApi && !file.IsDescriptor)
                {
                    trees.Add(CSharpSyntaxTree.ParseText(SourceText.From("#nullable enable\n" + image.Texts[file.Index], Encoding.UTF8), options, Folder + file.Path));
                }
            }

            return trees.ToArray();
        }
    }
}
