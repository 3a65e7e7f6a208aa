using System;
using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;

namespace Unikraft.Gen.Incremental
{
    // A node the scan looks at, with the semantic model of its tree, made only if something binds.
    internal readonly struct CallSite
    {
        private readonly TreeModel _tree;

        public CallSite(SyntaxNode node, TreeModel tree)
        {
            Node = node;
            _tree = tree;
        }

        public SyntaxNode Node { get; }

        public SemanticModel Model => _tree.Model;

        // Whether a value of a kernel API type can exist in the program at all (ProgramScan says when).
        public bool KernelTypesReachable => _tree.KernelTypesReachable;
    }

    // One tree's semantic model, made on first use. One thread scans a tree, so no lock.
    internal sealed class TreeModel
    {
        private readonly Compilation _compilation;
        private readonly SyntaxTree _tree;
        private SemanticModel? _model;

        public TreeModel(Compilation compilation, SyntaxTree tree, bool kernelTypesReachable)
        {
            _compilation = compilation;
            _tree = tree;
            KernelTypesReachable = kernelTypesReachable;
        }

        public bool KernelTypesReachable { get; }

        public SemanticModel Model => _model ??= SemanticModels.WithoutNullableAnalysis(_compilation, _tree);
    }

    // Semantic models that skip nullable analysis. With nullable reference types enabled, the first
    // question to a member's model binds the whole member and runs the nullable walker over it; what
    // the scan asks (which method a call binds to, its constant arguments) does not depend on
    // nullability: every signature it writes comes from the method's declaration. The option is
    // marked experimental in Roslyn (RSEXPERIMENTAL001); a compiler without it gets the default model.
    internal static class SemanticModels
    {
        private static volatile bool s_optionMissing;

        public static SemanticModel WithoutNullableAnalysis(Compilation compilation, SyntaxTree tree)
        {
            if (!s_optionMissing)
            {
                try
                {
                    return Create(compilation, tree);
                }
                catch (MissingMethodException)
                {
                    s_optionMissing = true;
                }
                catch (TypeLoadException)
                {
                    s_optionMissing = true;
                }
            }

            return compilation.GetSemanticModel(tree);
        }

        [MethodImpl(MethodImplOptions.NoInlining)]
        private static SemanticModel Create(Compilation compilation, SyntaxTree tree)
        {
#pragma warning disable RSEXPERIMENTAL001 // SemanticModelOptions: see above.
            return compilation.GetSemanticModel(tree, SemanticModelOptions.DisableNullableAnalysis);
#pragma warning restore RSEXPERIMENTAL001
        }
    }
}
