// The poll library: poll, ppoll and epoll over any open file description that reports readiness.
using Unikraft.Kernel;

[assembly: KernelLibrary("poll", Summary = "poll, ppoll and epoll (level- and edge-triggered) over open file descriptions",
    Needs = new[] { "core", "sched", "time" })]
