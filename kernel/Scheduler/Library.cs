// The scheduler library: one vCPU, a cooperative run queue, timers, wait queues whose callers
// block as threads of control, and the synchronization context that brings the program's
// continuations back to the kernel's vCPU.
using Unikraft.Kernel;

[assembly: KernelLibrary("sched", Summary = "One vCPU: a cooperative run queue, timers, callers that block as threads of control, and the kernel's synchronization context",
    Needs = new[] { "core", "time" })]
