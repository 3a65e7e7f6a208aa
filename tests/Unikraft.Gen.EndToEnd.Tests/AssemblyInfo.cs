using Xunit;

// Every test class builds a sample, and the builds share the generator chain's folder
// (Support/GeneratorChain.cs, which runs them one at a time in any case). On a two-core machine,
// builds side by side only slow each other down and make the timings noisy, so the classes run in
// turn.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
