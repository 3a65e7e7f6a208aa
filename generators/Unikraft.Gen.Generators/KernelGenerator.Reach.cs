using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Unikraft.Gen.Graph;
using Unikraft.Gen.Helpers;
using Unikraft.Gen.Kernel;
using Unikraft.Gen.Model;

namespace Unikraft.Gen
{
    public sealed partial class KernelGenerator
    {
        // Reach: the last step of planning. From the plan's roots (the call sites' syscalls, the
        // native layer's entry points, what the boot calls and mounts), the kernel members they
        // reach, each with the chain that explains it. Emit only writes what this decided.
        internal static class Reach
        {
            public static KernelReach Make(KernelPlan plan, CancellationToken cancellationToken)
            {
                // An error stops the kernel from booting, not the program from compiling: the API
                // members the program calls need a kernel, so one is reached as for a library
                // (nothing boots it, nothing is intercepted), and the user sees the one error that matters.
                bool failed = plan.Errors.Count > 0;
                KernelPlan reached = failed ? plan with { Entry = null } : plan;

                KernelImage image;
                try
                {
                    image = KernelImage.Instance;
                }
                catch (Exception exception)
                {
                    return new KernelReach(plan, reached, failed, null, exception.Message);
                }

                // UnikraftSpecialize=false: the whole kernel, every feature and (below) every
                // syscall, as a measure of what specialization saves.
                bool whole = !reached.Config.Specialize && reached.Entry is not null;
                List<string> features = whole
                    ? image.Graph.Symbols.SelectMany(s => s.Features).Distinct(StringComparer.Ordinal).OrderBy(f => f, StringComparer.Ordinal).ToList()
                    : reached.Features.Select(f => f.Name).ToList();
                var pruner = new Pruner(image, features);
                if (whole)
                {
                    foreach (KeyValuePair<int, int> syscall in image.SyscallSymbols)
                    {
                        pruner.AddRoot(syscall.Value, "UnikraftSpecialize=false: the whole kernel");
                    }
                }
                // The app-facing API: the members the program (or a library it references) calls,
                // and every member of a type its source names. A library's redirected calls go
                // through its bridge to the kernel of the program that references it, not to its own.
                bool library = !reached.Config.IsExecutable;
                bool apiRooted = false;
                foreach (ApiUse use in reached.Uses)
                {
                    if (use.File != Plan.NativeLayerFile && !(library && use.Interception is not null)
                        && image.SymbolByDocId.TryGetValue(use.KernelMember, out int member) && image.Graph.Symbols[member].IsApi)
                    {
                        apiRooted = true;
                        pruner.AddRoot(member, "app-facing API: " + Plan.Relative(use.File, reached.Config.ProjectDirectory) + (use.Line > 0 ? ":" + use.Line : "") + " " + use.Display);
                    }
                }

                if (reached.ApiTypesNamed.Count > 0)
                {
                    var named = new HashSet<string>(reached.ApiTypesNamed, StringComparer.Ordinal);
                    foreach (GraphSymbol symbol in image.Graph.Symbols)
                    {
                        if (symbol.IsApi && !symbol.IsPrivate && named.Contains(TopLevelTypeName(image, symbol)))
                        {
                            apiRooted = true;
                            pruner.AddRoot(symbol.Id, "app-facing API: the program names " + TopLevelTypeName(image, symbol));
                        }
                    }
                }

                // The syscalls the plan needs: in a library only what its own API calls need (the
                // rest it records for the program's kernel).
                foreach (SyscallRoot root in reached.Syscalls)
                {
                    if ((!library || apiRooted) && image.SyscallSymbols.TryGetValue(root.Number, out int symbol))
                    {
                        pruner.AddRoot(symbol, "planned: " + Emit.Where(root.Reasons[0]) + " " + root.Reasons[0].Text);
                    }
                }

                // The native layer's entry points: the link sends the BCL's native calls to them.
                foreach (ApiUse use in reached.Uses)
                {
                    if (use.File == Plan.NativeLayerFile && image.SymbolByDocId.TryGetValue(use.KernelMember, out int entry))
                    {
                        pruner.AddRoot(entry, "native layer: serves " + use.Display);
                    }
                }

                // Only a program boots its kernel. A library's kernel (or a failed plan's, which
                // is emitted as one) holds what the API it carries reaches, and nothing boots it.
                bool hasEntry = reached.Entry is not null;
                if (hasEntry)
                {
                    pruner.Boots = true;
                    AddBootRoots(pruner, image.Boot, reached, hasEntry);
                }

                cancellationToken.ThrowIfCancellationRequested();
                pruner.Run();
                return new KernelReach(plan, reached, failed, pruner, null);
            }

            // The API type a symbol belongs to, outermost: "KernelFileCalls" for KernelFileCalls.Entry.Name.
            private static string TopLevelTypeName(KernelImage image, GraphSymbol symbol)
            {
                while (symbol.Container >= 0)
                {
                    symbol = image.Graph.Symbols[symbol.Container];
                }

                return KernelImage.MemberName(symbol.DocId);
            }

            private static void AddBootRoots(Pruner pruner, BootMembers boot, KernelPlan plan, bool hasEntry)
            {
                bool sim = plan.Config.Platform == "sim" && hasEntry;
                foreach (MountPlan mount in Plan.Booted(plan.Mounts))
                {
                    // The mount item in the project file, and the call sites that need the mount.
                    string reason = "boot: mounts " + mount.Type + " at " + mount.Path
                        + (mount.Implicit ? " (implicit root for the mount points)"
                            : mount.Type == BootMembers.TrustStoreType ? " (the host's trust store, for the TLS clients the program names)"
                            : " (UnikraftMount '" + mount.Path + "' in the project file)")
                        + (mount.Reasons.Count > 0 ? " for " + string.Join(", ", mount.Reasons.Take(2).Select(r => Emit.Where(r) + " " + r.Text)) : "");
                    if (mount.Type == "initrd")
                    {
                        // The archive unpacks into a ramfs.
                        pruner.AddRoot(boot.RamFsConstructor, reason);
                    }

                    int fileSystem = boot.FileSystem(mount.Type);
                    if (fileSystem >= 0)
                    {
                        pruner.AddRoot(boot.VfsMount, reason);
                        pruner.AddRoot(fileSystem, reason);
                    }
                }

                foreach (NetPlan net in plan.Nets)
                {
                    string reason = "boot: attaches " + net.Name + " (" + net.Type + ", " + net.Address + "/" + net.PrefixLength + ") " + net.Source;
                    int device = boot.NetDevice(net.Type);
                    if (device >= 0)
                    {
                        pruner.AddRoot(boot.NetBootAttach, reason);
                        pruner.AddRoot(boot.Ipv4AddressConstructor, reason);
                        pruner.AddRoot(device, reason);
                        if (net.ForwardsHostLoopback)
                        {
                            pruner.AddRoot(boot.NetBootForwardHostLoopback, "boot: lets connections from the host's loopback to "
                                + string.Join(",", net.Forward) + " reach a listener on loopback " + net.Source);
                        }

                        if (net.Addresses6.Count > 0)
                        {
                            string reason6 = "boot: gives " + net.Name + " its IPv6 addresses (" + string.Join(", ", net.Addresses6) + ")"
                                + (net.Gateway6.Length > 0 ? " and its IPv6 router " + net.Gateway6 : "") + " (UnikraftNet '" + net.Name + "' in the project file)";
                            pruner.AddRoot(boot.NetBootAttachIpv6, reason6);
                            pruner.AddRoot(boot.Ipv6AddressConstructor, reason6);
                            if (net.Type == "passt")
                            {
                                pruner.AddRoot(boot.NetBootSolicitRouters, "boot: takes " + net.Name + "'s IPv6 router"
                                    + (net.Addresses6.Contains(Support.NetTable.Auto6) ? " and address" : "") + " from passt's router advertisement (UnikraftNet '" + net.Name + "' Address6 in the project file)");
                            }
                        }
                    }
                }

                string main = plan.Entry is { } entry ? " (entry point " + Plan.Relative(entry.File, plan.Config.ProjectDirectory) + ":" + entry.Line + ")" : "";
                pruner.AddRoot(boot.KernelConstructor, "boot: creates the kernel");
                int platform = sim ? boot.SimProgramRun : plan.Config.Platform == "microvm" ? boot.MicroVmPlatformConstructor : boot.HostedPlatformConstructor;
                pruner.AddRoot(platform, sim ? "boot: runs the program as one node of a seeded simulation" : "boot: platform " + plan.Config.Platform);
                if (!sim)
                {
                    pruner.AddRoot(plan.Entry?.IsAsync == true ? boot.KernelRunAsync : boot.KernelRun, "boot: runs the program's Main and exits with its status" + main);
                    pruner.AddRoot(boot.ReportUnhandled, "boot: reports an exception the program did not catch");
                }

                if (plan.Config.Banner && hasEntry && !sim)
                {
                    pruner.AddRoot(boot.PrintBanner, "boot: the boot banner (UnikraftBootBanner)");
                }

                if (Emit.Confined(plan))
                {
                    pruner.AddRoot(boot.ConfinementInstall, "boot: confines the process to what its kernel needs (UnikraftConfinement)");
                    pruner.AddRoot(boot.ConfinementSupervisorStart, "boot: starts the confinement's supervisor, which names the filter's refusals (UnikraftConfinement)");
                    if (plan.Nets.Any(n => n.Type == "passt"))
                    {
                        pruner.AddRoot(boot.HostedChildProcesses, "boot: the confinement lets the kernel end and reap passt, and no other process");
                    }
                }

                if (Emit.ServesOtherThreads(plan))
                {
                    const string reason = "boot: the program's code may call the kernel from several threads (Main's, threads it starts, the thread pool): those calls take turns on the vCPU";
                    pruner.AddRoot(boot.VcpuServe, reason);
                    pruner.AddRoot(boot.VcpuEnterCall, reason);
                    pruner.AddRoot(boot.VcpuLeaveCall, reason);
                }
            }
        }
    }

    // What Reach decided, for Emit. It holds the pruner's result, which is not an equatable
    // value: the step reruns only when the plan changes, and Emit runs after it every time it does.
    internal sealed class KernelReach
    {
        public KernelReach(KernelPlan plan, KernelPlan reached, bool failed, Pruner? pruner, string? brokenImage)
        {
            Plan = plan;
            Reached = reached;
            Failed = failed;
            Pruner = pruner;
            BrokenImage = brokenImage;
        }

        // The plan as made, with its errors.
        public KernelPlan Plan { get; }

        // The plan the kernel was reached from: without an entry point when the plan failed.
        public KernelPlan Reached { get; }

        public bool Failed { get; }

        // The kept members, or null when the image is broken.
        public Pruner? Pruner { get; }

        public string? BrokenImage { get; }
    }
}
