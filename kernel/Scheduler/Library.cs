// The scheduler library: one vCPU, a cooperative run queue, timers and the synchronization
// context that brings the program's continuations back to the kernel thread.
using Unikraft.Kernel;

[assembly: KernelLibrary("sched", Summary = "Cooperative single-thread run queue, timers and the kernel's synchronization context",
    Needs = new[] { "core", "time" })]
