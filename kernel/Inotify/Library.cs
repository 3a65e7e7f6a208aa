// The inotify library: inotify instances, their watches, and the events the VFS reports to them.
using Unikraft.Kernel;

[assembly: KernelLibrary("inotify", Summary = "inotify: watches on files and directories of the VFS, events read from an fd",
    Needs = new[] { "core", "sched", "vfs" })]
