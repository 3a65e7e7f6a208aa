using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Unikraft.Gen.Helpers;
using Unikraft.Gen.Incremental;
using Unikraft.Gen.Model;

namespace Unikraft.Gen
{
    // Reads the program, works out which OS services it uses, and emits a kernel with only those.
    [Generator(LanguageNames.CSharp)]
    public sealed partial class KernelGenerator : IIncrementalGenerator
    {
        // Call sites bound on an earlier run, kept while nothing they depend on changed, so an edit
        // binds only the member it touched (Incremental/BindingMemo.cs says why this is sound).
        private readonly BindingMemo<ApiUse> _uses = new BindingMemo<ApiUse>(Detect.Describe, Detect.Relocate);

        private readonly BindingMemo<EntryPoint> _entries = new BindingMemo<EntryPoint>(Detect.DescribeEntry);

        private readonly ProgramScanner _scanner;

        public KernelGenerator()
        {
            _scanner = new ProgramScanner(_uses, _entries);
        }

        // How many call sites were bound rather than remembered, over this instance's life (tests, benchmark).
        internal long Binds => _uses.Binds + _entries.Binds;

        public void Initialize(IncrementalGeneratorInitializationContext context)
        {
            // 0. The app-facing API's type names, so the program can name them before any analysis
            // (their members come with the kernel, Emit.Api says how).
            context.RegisterPostInitializationOutput(Emit.Api);

            // 1. What the program calls, as equatable call-site records, and where it starts (the
            // kernel runs it). One step over the compilation: KernelGenerator.Scan.cs says why.
            IncrementalValueProvider<ProgramScan> scan = context.CompilationProvider
                .Select(_scanner.Run)
                .WithTrackingName(TrackingNames.Scan);
            IncrementalValueProvider<EquatableArray<ApiUse>> uses = scan
                .Select(static (scan, _) => scan.Uses)
                .WithTrackingName(TrackingNames.Uses);
            IncrementalValueProvider<EquatableArray<EntryPoint>> entries = scan
                .Select(static (scan, _) => scan.Entries)
                .WithTrackingName(TrackingNames.Entry);

            IncrementalValueProvider<EquatableArray<string>> apiTypesNamed = scan
                .Select(static (scan, _) => scan.ApiTypesNamed)
                .WithTrackingName(TrackingNames.ApiTypesNamed);

            // 1b. The BCL's network types the program names, and those its referenced libraries'
            // code refers to: with no link to say what it imports (a JIT run), they bring the native
            // layer's socket functions, interface or not; and they say which transports (TCP, UDP)
            // the sockets need (Net says how).
            IncrementalValueProvider<EquatableArray<NetTypeUse>> programNetTypes = context.SyntaxProvider
                .CreateSyntaxProvider(static (node, _) => Detect.IsNetTypeName(node), Detect.NetType)
                .Where(static type => type is not null)
                .Collect()
                .Select(static (types, _) => Net.Distinct(types!))
                .WithTrackingName(TrackingNames.NetTypes);
            IncrementalValueProvider<EquatableArray<NetTypeUse>> libraryNetTypes = context.CompilationProvider
                .Select(Net.ReadLibraries)
                .WithTrackingName(TrackingNames.LibraryNetTypes);
            IncrementalValueProvider<EquatableArray<NetTypeUse>> netTypes = programNetTypes
                .Combine(libraryNetTypes)
                .Select(static (pair, _) => pair.Left.Concat(pair.Right).ToEquatableArray())
                .WithTrackingName(TrackingNames.AllNetTypes);

            // 2. The configuration from MSBuild.
            IncrementalValueProvider<KernelConfig> config = context.AnalyzerConfigOptionsProvider
                .Select(Config.Read)
                .WithTrackingName(TrackingNames.Config);

            // 2b. What referenced libraries built with this generator recorded they need.
            IncrementalValueProvider<EquatableArray<LibraryNeed>> libraries = context.CompilationProvider
                .Select(Libraries.Read)
                .WithTrackingName(TrackingNames.Libraries);

            // 3. The plan: the smallest set of roots, each with its reasons.
            IncrementalValueProvider<KernelPlan> plan = uses
                .Combine(entries)
                .Combine(config)
                .Combine(libraries)
                .Combine(apiTypesNamed)
                .Combine(netTypes)
                .Select(Plan.Make)
                .WithTrackingName(TrackingNames.Plan);

            // 3b. The runtime's feature switches in a NativeAOT publish: each feature the program
            // does not use is switched off (Runtime says how, and how the choice reaches MSBuild).
            IncrementalValueProvider<RuntimeFeatures> runtime = context.CompilationProvider
                .Combine(context.AnalyzerConfigOptionsProvider.Select(Runtime.ReadConfig))
                .Select(Runtime.Decide)
                .WithTrackingName(TrackingNames.Runtime);
            plan = plan
                .Combine(runtime)
                .Select(static (pair, _) => pair.Right.PublishAot ? pair.Left with { Runtime = pair.Right } : pair.Left)
                .WithTrackingName(TrackingNames.PlanWithRuntime);

            // 4. What the plan's roots reach in the kernel, member by member.
            IncrementalValueProvider<KernelReach> reach = plan
                .Select(Reach.Make)
                .WithTrackingName(TrackingNames.Reach);

            // 5. The kernel, pruned to what is reached, with its boot, interceptors and manifest.
            context.RegisterSourceOutput(reach, Emit.Kernel);

            // 6. The generator's mark on the assembly, by which a program's reference scan knows
            // the kernel and bridge in a library built with the generator (GeneratedOutput).
            IncrementalValueProvider<string> assemblyName = context.CompilationProvider
                .Select(static (compilation, _) => compilation.AssemblyName ?? "")
                .WithTrackingName(TrackingNames.AssemblyName);
            context.RegisterSourceOutput(assemblyName, Emit.Marker);
        }
    }
}
