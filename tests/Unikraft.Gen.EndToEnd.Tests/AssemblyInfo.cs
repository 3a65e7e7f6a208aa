using Xunit;

// Every test class builds a sample with the full generator chain. On a two-core machine, builds
// side by side only slow each other down and make the timings noisy, so the classes run in turn.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
