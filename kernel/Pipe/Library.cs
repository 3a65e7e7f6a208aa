// The pipe library: anonymous pipes, a ring buffer between a read end and a write end.
using Unikraft.Kernel;

[assembly: KernelLibrary("pipe", Summary = "Anonymous pipes: pipe and pipe2, blocking through wait queues",
    Needs = new[] { "core", "sched" })]
