using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis.Diagnostics;
using Unikraft.Gen.Graph;
using Unikraft.Gen.Helpers;
using Unikraft.Gen.Kernel;
using Unikraft.Gen.Model;
using Unikraft.Gen.Support;

namespace Unikraft.Gen
{
    public sealed partial class KernelGenerator
    {
        // The MSBuild configuration, read through CompilerVisibleProperty.
        internal static class Config
        {
            public static KernelConfig Read(AnalyzerConfigOptionsProvider provider, CancellationToken cancellationToken)
            {
                AnalyzerConfigOptions options = provider.GlobalOptions;
                string Get(string name) => options.TryGetValue("build_property." + name, out string? value) ? value.Trim() : "";

                string platform = Get("UnikraftPlatform");
                string banner = Get("UnikraftBootBanner");
                string outputType = Get("OutputType");
                return new KernelConfig(
                    platform.Length == 0 ? "hosted" : platform,
                    !string.Equals(banner, "false", StringComparison.OrdinalIgnoreCase),
                    outputType.Length == 0 || string.Equals(outputType, "Exe", StringComparison.OrdinalIgnoreCase) || string.Equals(outputType, "WinExe", StringComparison.OrdinalIgnoreCase),
                    Get("AssemblyName"),
                    Get("MSBuildProjectDirectory"),
                    Get("UnikraftMounts"),
                    string.Equals(Get("UnikraftNativeLayer"), "true", StringComparison.OrdinalIgnoreCase),
                    !string.Equals(Get("UnikraftConfinement"), "false", StringComparison.OrdinalIgnoreCase),
                    !string.Equals(Get("UnikraftSpecialize"), "false", StringComparison.OrdinalIgnoreCase),
                    Get("UnikraftNativeImports"),
                    string.Equals(Get("UnikraftNativeSlots"), "true", StringComparison.OrdinalIgnoreCase),
                    Get("UnikraftNets"),
                    !string.Equals(Get("UnikraftIcmpEcho"), "false", StringComparison.OrdinalIgnoreCase));
            }
        }

        // Plan: from the call sites and the configuration, the roots of the kernel, each with its reasons.
        internal static class Plan
        {
            public static readonly string[] Platforms = { "hosted", "sim", "microvm" };

            public static KernelPlan Make((((((EquatableArray<ApiUse> Uses, EquatableArray<EntryPoint> Entries) Program, KernelConfig Config) Build, EquatableArray<LibraryNeed> Libraries) Program,
                EquatableArray<string> ApiTypesNamed) Named, EquatableArray<NetTypeUse> NetTypes) input0, CancellationToken cancellationToken)
            {
                var everything = input0.Named;
                var all = everything.Program;
                var input = all.Build;
                KernelConfig config = input.Config;
                var errors = new List<PlanError>();
                if (Array.IndexOf(Platforms, config.Platform) < 0)
                {
                    errors.Add(new PlanError("UKG0001",
                        $"UnikraftPlatform '{config.Platform}' is not a platform this kernel has; valid: {string.Join(", ", Platforms)}", null));
                }

                EntryPoint? entry = ChooseEntry(input.Program.Entries, config, errors);

                KernelImage image = KernelImage.Instance;
                var reasons = new SortedDictionary<int, SortedSet<(string File, int Line, string Text)>>();
                var uses = new List<ApiUse>(input.Program.Uses);
                foreach (LibraryNeed need in all.Libraries)
                {
                    uses.Add(Libraries.AsUse(need));
                }

                bool nativeLayer = config.NativeLayer && entry is not null && (config.Platform == "hosted" || config.Platform == "microvm");
                if (nativeLayer)
                {
                    // With no link to say what the program imports (a JIT run), the socket functions and
                    // the network stack under them come with a declared network interface, or with a
                    // network type the program names (over the kernel's loopback alone, without one).
                    // A NativeAOT compile (no jump slots) before its link has said keeps them all: its
                    // link decides, and a library's sockets count as much as the program's.
                    bool sockets = !config.Specialize || !config.NativeSlots
                        || NetTable.Parse(config.Nets, config.Platform).Interfaces.Count > 0 || input0.NetTypes.Any(t => !Net.WatchesOnly(t.Type));
                    // In the same way, the inotify functions come with a type that watches files
                    // (FileSystemWatcher, or what makes one: Net.Watches), named by the program or
                    // referred to by a library it references.
                    bool watches = !config.Specialize || !config.NativeSlots || input0.NetTypes.Any(t => Net.Watches(t.Type));
                    uses.AddRange(NativeLayerUses(image, config.Specialize ? ParseImports(config.NativeImports) : null, sockets, watches));
                }

                uses.Sort(CompareUses);
                foreach (ApiUse use in uses)
                {
                    if (!image.SymbolByDocId.TryGetValue(use.KernelMember, out int symbol))
                    {
                        continue;
                    }

                    string file = Relative(use.File, config.ProjectDirectory);
                    foreach (int number in image.SyscallsOf(symbol))
                    {
                        if (!reasons.TryGetValue(number, out SortedSet<(string, int, string)>? set))
                        {
                            set = new SortedSet<(string, int, string)>();
                            reasons.Add(number, set);
                        }

                        set.Add((file, use.Line, use.Display));
                    }
                }

                List<MountPlan> mounts = Mounts(config, uses, errors, nativeLayer, input0.NetTypes);
                List<NetPlan> nets = Nets(config, errors);

                // Features: what the API members the program calls declare they need.
                var featureReasons = new SortedDictionary<string, SortedSet<(string File, int Line, string Text)>>(StringComparer.Ordinal);
                foreach (ApiUse use in uses)
                {
                    if (!image.SymbolByDocId.TryGetValue(use.KernelMember, out int symbol))
                    {
                        continue;
                    }

                    foreach (string feature in image.FeaturesOf(symbol))
                    {
                        if (!featureReasons.TryGetValue(feature, out SortedSet<(string, int, string)>? set))
                        {
                            set = new SortedSet<(string, int, string)>();
                            featureReasons.Add(feature, set);
                        }

                        set.Add((Relative(use.File, config.ProjectDirectory), use.Line, use.Display));
                    }
                }

                // And what the boot needs to mount the file systems it mounts (an initrd unpacks
                // through create and write), for the call sites that need the mount.
                foreach (MountPlan mount in Booted(mounts))
                {
                    int member = image.Boot.FileSystem(mount.Type);
                    if (member < 0)
                    {
                        continue;
                    }

                    foreach (string feature in image.Graph.Symbols[member].Features)
                    {
                        if (!featureReasons.TryGetValue(feature, out SortedSet<(string, int, string)>? set))
                        {
                            set = new SortedSet<(string, int, string)>();
                            featureReasons.Add(feature, set);
                        }

                        foreach (Reason reason in mount.Reasons)
                        {
                            set.Add((reason.File, reason.Line, "boot: mounts " + mount.Type + " at " + mount.Path + " for " + reason.Text));
                        }
                    }
                }

                // The transports under the sockets: TCP, UDP or both, by the types that make them.
                Net.AddTransports(featureReasons, input0.NetTypes, config.ProjectDirectory);

                // ICMP echo: answered by the stack unless the project turns it off, as Linux's
                // icmp_echo_ignore_all does; only a kernel with a network stack (an interface,
                // or sockets) has anything to answer with.
                if (config.IcmpEcho && (nets.Count > 0 || featureReasons.ContainsKey("Sockets")))
                {
                    featureReasons["IcmpEcho"] = new SortedSet<(string, int, string)>
                    {
                        (ProjectFile, 0, "answers ICMP echo requests (UnikraftIcmpEcho, on by default)"),
                    };
                }

                // IPv6: only in a kernel one of whose interfaces is given an IPv6 address.
                foreach (NetPlan net in nets)
                {
                    if (net.Addresses6.Count == 0)
                    {
                        continue;
                    }

                    if (!featureReasons.TryGetValue("Ipv6", out SortedSet<(string, int, string)>? ipv6))
                    {
                        ipv6 = new SortedSet<(string, int, string)>();
                        featureReasons.Add("Ipv6", ipv6);
                    }

                    ipv6.Add((ProjectFile, 0, net.Addresses6.Contains(NetTable.Auto6)
                        ? "<UnikraftNet Include=\"" + net.Name + "\"> takes an IPv6 address from passt's router advertisement (Address6 auto)"
                        : "<UnikraftNet Include=\"" + net.Name + "\"> has IPv6 addresses (Address6 " + string.Join(",", net.Addresses6) + ")"));
                }

                // The BCL learns whether the OS has IPv6 by opening an AF_INET6 datagram socket
                // (SocketProtocolSupportPal: EAFNOSUPPORT and EPROTONOSUPPORT both mean "no"); a
                // kernel with IPv6 and TCP sockets alone would answer EPROTONOSUPPORT, and the BCL
                // would then never ask for AAAA records (Dns, HttpClient) or trust dual-mode
                // sockets. So IPv6 with sockets brings UDP sockets.
                if (featureReasons.ContainsKey("Ipv6") && featureReasons.ContainsKey("Sockets") && !featureReasons.ContainsKey("Udp"))
                {
                    featureReasons.Add("Udp", new SortedSet<(string, int, string)>
                    {
                        (ProjectFile, 0, "IPv6 with sockets: the BCL's IPv6 probe (Socket.OSSupportsIPv6) opens an AF_INET6 datagram socket, and without UDP the answer EPROTONOSUPPORT would mean no IPv6 to it"),
                    });
                }

                // Connections from the host's loopback to a passt item's (or a microvm card's)
                // forwarded TCP ports reach a listener on the kernel's loopback (localhost,
                // HttpListener's and Kestrel's usual address), as they reach one on the host.
                foreach (NetPlan net in nets)
                {
                    if (!net.ForwardsHostLoopback)
                    {
                        continue;
                    }

                    if (!featureReasons.TryGetValue("HostLoopbackForward", out SortedSet<(string, int, string)>? forwards))
                    {
                        forwards = new SortedSet<(string, int, string)>();
                        featureReasons.Add("HostLoopbackForward", forwards);
                    }

                    forwards.Add((ProjectFile, 0, "<UnikraftNet Include=\"" + net.Name + "\"> forwards TCP ports " + string.Join(",", net.Forward)
                        + " from the host, whose connections from its loopback reach a listener on localhost"
                        + (net.Origin == "launch" ? " (made by the build from the launch profile's URLs, UnikraftLaunchNet)" : "")));
                }

                // The JIT route's jump slots: the boot points them at the native layer's entry points.
                if (nativeLayer && config.NativeSlots)
                {
                    featureReasons["NativeSlots"] = new SortedSet<(string, int, string)>
                    {
                        (NativeLayerFile, 0, "boot: points the JIT route's jump slots at the native layer (UnikraftNativeSlots)"),
                    };
                }

                var features = new List<FeatureRoot>();
                foreach (KeyValuePair<string, SortedSet<(string File, int Line, string Text)>> pair in featureReasons)
                {
                    features.Add(new FeatureRoot(pair.Key, ToReasons(pair.Value)));
                }

                var roots = new List<SyscallRoot>();
                foreach (KeyValuePair<int, SortedSet<(string File, int Line, string Text)>> pair in reasons)
                {
                    var list = new List<Reason>();
                    foreach ((string file, int line, string text) in pair.Value)
                    {
                        list.Add(new Reason(text, file, line));
                    }

                    roots.Add(new SyscallRoot(pair.Key, list.ToEquatableArray()));
                }

                return new KernelPlan(config, entry, roots.ToEquatableArray(), uses.ToEquatableArray(), all.Libraries, features.ToEquatableArray(),
                    mounts.ToEquatableArray(), errors.ToEquatableArray(), everything.ApiTypesNamed, Nets: nets.ToEquatableArray());
            }

            // The network interfaces of the <UnikraftNet> items, each checked against what the
            // platform has; a bad item is a build error that names it.
            private static List<NetPlan> Nets(KernelConfig config, List<PlanError> errors)
            {
                NetTable table = NetTable.Parse(config.Nets, config.Platform);
                foreach (string error in table.Errors)
                {
                    errors.Add(new PlanError("UKG0001", error, null));
                }

                var nets = new List<NetPlan>();
                foreach (NetEntry entry in table.Interfaces)
                {
                    nets.Add(new NetPlan(entry.Name, entry.Type, entry.Address, entry.PrefixLength, entry.Gateway,
                        entry.Dns.ToEquatableArray(), new EquatableArray<int>(entry.Forward), entry.Device, entry.Addresses6.ToEquatableArray(),
                        new EquatableArray<int>(entry.ForwardUdp), entry.Gateway6, entry.Origin));
                }

                return nets;
            }

            private static EquatableArray<Reason> ToReasons(SortedSet<(string File, int Line, string Text)> set)
            {
                var list = new List<Reason>();
                foreach ((string file, int line, string text) in set)
                {
                    list.Add(new Reason(text, file, line));
                }

                return list.ToEquatableArray();
            }

            // The mounts the program's file calls reach. A constant path picks its mount; a path not
            // known at compile time (or a relative one once the program changes directory) keeps
            // every mount, and says so.
            private static List<MountPlan> Mounts(KernelConfig config, List<ApiUse> uses, List<PlanError> errors, bool nativeLayer, EquatableArray<NetTypeUse> netTypes)
            {
                MountTable table = MountTable.Parse(config.Mounts);
                foreach (string error in table.Errors)
                {
                    errors.Add(new PlanError("UKG0001", error, null));
                }

                // The items describe a tree, in whatever order they are written: the boot mounts
                // it parents first (a parent's path has fewer parts than any mount below it).
                var entries = new List<MountEntry>(table.Mounts);
                if (config.Platform == "microvm")
                {
                    // A VM has no host folder to share yet (no virtio-fs or 9p device).
                    foreach (MountEntry hostfs in entries.FindAll(m => m.Type == "hostfs"))
                    {
                        errors.Add(new PlanError("UKG0001", "<UnikraftMount Include=\"" + hostfs.Path + "\" Type=\"hostfs\">: the microvm platform has no host folders to mount; "
                            + "pack the folder into the image with Type=\"initrd\", or use a ramfs", null));
                    }
                }

                SortedSet<(string File, int Line, string Text)>? trustReasons = TrustStore(config, entries, nativeLayer, netTypes);
                if (trustReasons is not null)
                {
                    entries.Add(new MountEntry(HostedTrustStoreFolder, BootMembers.TrustStoreType, HostedTrustStoreFolder, readOnly: true, 0));
                }

                entries.Sort((a, b) => Depth(a.Path) != Depth(b.Path) ? Depth(a.Path).CompareTo(Depth(b.Path)) : string.CompareOrdinal(a.Path, b.Path));
                bool hasRoot = entries.Exists(m => m.Path == "/");
                bool implicitRoot = false;
                // The native layer serves the BCL's file calls, which even a program without file
                // calls of its own links (the console reads its terminal database through them):
                // they need a root to answer from, so it gets the same small ramfs. Only when the
                // native layer serves a file function: one that serves mmap and random bytes
                // (Hello's image, once the link's import list is known) needs no file system.
                bool nativeFiles = nativeLayer && uses.Exists(u => u.File == NativeLayerFile && u.Paths.Count > 0);
                if (!hasRoot && (entries.Count > 0 || nativeFiles))
                {
                    // Mount points need a directory to hang on: a small ramfs root holds them.
                    entries.Insert(0, new MountEntry("/", "ramfs", "", readOnly: false, 1024 * 1024));
                    implicitRoot = true;
                }

                // A relative path is taken from "/" unless some call can change the working directory.
                KernelImage image = KernelImage.Instance;
                bool changesDirectory = uses.Exists(u => image.SymbolByDocId.TryGetValue(u.KernelMember, out int symbol)
                    && Array.Exists(image.SyscallsOf(symbol), number => image.SyscallName(number) == "chdir"));
                var reasons = new Dictionary<string, SortedSet<(string File, int Line, string Text)>>(StringComparer.Ordinal);
                foreach (MountEntry entry in entries)
                {
                    reasons[entry.Path] = new SortedSet<(string, int, string)>();
                }

                if (trustReasons is not null)
                {
                    reasons[HostedTrustStoreFolder] = trustReasons;
                }

                foreach (ApiUse use in uses)
                {
                    string file = Relative(use.File, config.ProjectDirectory);
                    foreach (string path in use.Paths)
                    {
                        bool unknown = path.Length == 0 || (changesDirectory && path[0] != '/');
                        if (unknown)
                        {
                            foreach (MountEntry entry in entries)
                            {
                                reasons[entry.Path].Add((file, use.Line, use.Display + ", path not known at compile time"));
                            }

                            continue;
                        }

                        MountEntry? mount = MountTable.Resolve(entries, path, out string normalized);
                        if (mount is not null)
                        {
                            reasons[mount.Path].Add((file, use.Line, use.Display + " '" + normalized + "'"));
                        }
                    }
                }

                // A mount point is a directory of the mount above it, so a booted mount boots its
                // parent too (deepest first, so a chain of mounts boots whole).
                for (int index = entries.Count - 1; index > 0; index--)
                {
                    MountEntry child = entries[index];
                    MountEntry parent = Parent(entries, index);
                    if (parent.Type == "devfs")
                    {
                        errors.Add(new PlanError("UKG0001", "<UnikraftMount Include=\"" + child.Path + "\">: its mount point would be a directory in the devfs of <UnikraftMount Include=\""
                            + parent.Path + "\">, which holds only device nodes; mount it outside " + parent.Path, null));
                    }

                    foreach ((string file, int line, string _) in reasons[child.Path])
                    {
                        reasons[parent.Path].Add((file, line, "holds the mount point of " + child.Path));
                    }
                }

                var plans = new List<MountPlan>();
                foreach (MountEntry entry in entries)
                {
                    string source = entry.Type switch
                    {
                        BootMembers.TrustStoreType => entry.Source,
                        "hostfs" => MountTable.Normalize(entry.Source.StartsWith("/", StringComparison.Ordinal) ? entry.Source : config.ProjectDirectory + "/" + entry.Source),
                        "initrd" => InitrdResource(entry.Path),
                        _ => "",
                    };
                    plans.Add(new MountPlan(entry.Path, entry.Type, source, entry.ReadOnly, entry.CapacityBytes, entry.Path == "/" && implicitRoot,
                        ToReasons(reasons[entry.Path])));
                }

                return plans;
            }

            // Where the host's trust store is mounted, at its own host path (HostedTrustStore).
            public const string HostedTrustStoreFolder = "/etc/ssl/certs";

            // The reasons to mount the host's trust store, or null: a hosted program on the native
            // layer that names a TLS client (Net.ValidatesCertificates) validates certificate chains
            // against the trusted roots, which the BCL lists through the kernel's VFS and OpenSSL
            // reads from the host by the same path (HostedTrustStore says why both). Whether a call
            // will use https:// is not known at compile time, so every such type counts. A mount of
            // the program's own at /etc/ssl/certs or above it (but the root) is its trust store, and
            // the host's is not mounted over it; nor under a hostfs root, where the mount point
            // would be made as folders in the program's host folder.
            private static SortedSet<(string File, int Line, string Text)>? TrustStore(KernelConfig config, List<MountEntry> entries, bool nativeLayer,
                EquatableArray<NetTypeUse> netTypes)
            {
                if (!nativeLayer || config.Platform != "hosted"
                    || entries.Exists(m => m.Path == "/" && m.Type == "hostfs")
                    || entries.Exists(m => m.Path != "/" && (HostedTrustStoreFolder == m.Path || HostedTrustStoreFolder.StartsWith(m.Path + "/", StringComparison.Ordinal))))
                {
                    return null;
                }

                var reasons = new SortedSet<(string File, int Line, string Text)>();
                foreach (NetTypeUse use in netTypes)
                {
                    if (!Net.ValidatesCertificates(use.Type))
                    {
                        continue;
                    }

                    string text = use.Type + " validates TLS certificates against the trusted roots (with SSL_CERT_FILE's and SSL_CERT_DIR's folders at boot)";
                    reasons.Add(use.Library is null
                        ? (Relative(use.File, config.ProjectDirectory), use.Line, text)
                        : ("[" + use.Library + "]", 0, text + " (used by library " + use.Library + ")"));
                }

                return reasons.Count > 0 ? reasons : null;
            }

            // The native layer's entry points, as uses: the BCL's code (constructors, properties,
            // libraries) can reach any of them, with any path, so each is a root with every mount.
            // Once the program's link has said which SystemNative functions it imports (imports
            // not null), only their entry points are roots, and what only the others needed goes
            // (Unikraft.Gen.targets compiles again when the link imports one the plan left out).
            public static List<ApiUse> NativeLayerUses(KernelImage image, HashSet<string>? imports, bool sockets = true, bool watches = true)
            {
                var uses = new List<ApiUse>();
                foreach (GraphSymbol symbol in image.Graph.Symbols)
                {
                    bool wanted = imports is null
                        ? (sockets || Array.IndexOf(symbol.Features, "Sockets") < 0) && (watches || Array.IndexOf(symbol.Features, "Inotify") < 0)
                        : imports.Contains(symbol.NativeEntry);
                    if (symbol.NativeEntry.Length > 0 && wanted)
                    {
                        // Only an entry point that reaches the VFS takes paths (and needs mounts);
                        // mmap or the random bytes do not.
                        uses.Add(new ApiUse(symbol.DocId, symbol.NativeEntry, NativeLayerFile, 0, null,
                            new EquatableArray<string>(image.ReachesLibrary(symbol.Id, "vfs") ? new[] { "" } : Array.Empty<string>())));
                    }
                }

                return uses;
            }

            // UnikraftNativeImports: null while the link has not said (every entry point is a root),
            // else the names it imports ("none": no SystemNative function at all).
            public static HashSet<string>? ParseImports(string value)
            {
                if (value.Trim().Length == 0)
                {
                    return null;
                }

                var imports = new HashSet<string>(StringComparer.Ordinal);
                if (string.Equals(value.Trim(), "none", StringComparison.Ordinal))
                {
                    return imports;
                }

                foreach (string name in value.Split(','))
                {
                    if (name.Trim().Length > 0)
                    {
                        imports.Add(name.Trim());
                    }
                }

                return imports;
            }

            // Where the manifest says a native-layer root comes from.
            public const string NativeLayerFile = "[native layer]";

            // Where a setting of the project file is the reason.
            public const string ProjectFile = "[project]";

            private static int Depth(string mountPoint) => mountPoint == "/" ? 0 : mountPoint.Split('/').Length - 1;

            // The nearest mount above entries[index], in entries sorted parents first with a root.
            private static MountEntry Parent(List<MountEntry> entries, int index)
            {
                string path = entries[index].Path;
                for (int candidate = index - 1; candidate >= 0; candidate--)
                {
                    string above = entries[candidate].Path;
                    if (above == "/" || (path.StartsWith(above, StringComparison.Ordinal) && path[above.Length] == '/'))
                    {
                        return entries[candidate];
                    }
                }

                return entries[0];
            }

            // The mounts the boot mounts: those a call site needs. An implicit root is mounted only
            // for the mounts below it, or, with no mount declared at all, as the native layer's root
            // when that needs it.
            public static IEnumerable<MountPlan> Booted(IEnumerable<MountPlan> mounts)
            {
                bool anyExplicit = false;
                bool noneDeclared = true;
                foreach (MountPlan mount in mounts)
                {
                    anyExplicit |= !mount.Implicit && mount.Reasons.Count > 0;
                    noneDeclared &= mount.Implicit;
                }

                foreach (MountPlan mount in mounts)
                {
                    if (mount.Implicit ? anyExplicit || (noneDeclared && mount.Reasons.Count > 0) : mount.Reasons.Count > 0)
                    {
                        yield return mount;
                    }
                }
            }

            // The logical name of the archive the build makes from an initrd mount's folder.
            public static string InitrdResource(string mountPath) => "Unikraft.Initrd" + mountPath;

            private static EntryPoint? ChooseEntry(EquatableArray<EntryPoint> entries, KernelConfig config, List<PlanError> errors)
            {
                if (!config.IsExecutable)
                {
                    return null;
                }

                var sorted = new List<EntryPoint>(entries);
                sorted.Sort((a, b) => string.CompareOrdinal(a.File, b.File) != 0 ? string.CompareOrdinal(a.File, b.File) : a.Line.CompareTo(b.Line));
                EntryPoint? topLevel = sorted.Find(e => e.MethodName == "<Main>$");
                if (topLevel is not null)
                {
                    return topLevel;
                }

                if (sorted.Count == 1)
                {
                    EntryPoint only = sorted[0];
                    if (!only.IsAccessible && only.InStruct && !only.TypeIsNameable)
                    {
                        // An UnsafeAccessor reaches an inaccessible Main of a class by the class's
                        // name (UnsafeAccessorType), but a struct's only as a parameter's type.
                        errors.Add(new PlanError("UKG0003",
                            $"The kernel cannot call Main of {only.TypeName}: a private Main of a struct is reached by naming the struct, and this one is private or file-local; make the struct or Main internal",
                            only.Location));
                        return null;
                    }

                    return only;
                }

                if (sorted.Count == 0)
                {
                    errors.Add(new PlanError("UKG0002", "The program has no entry point (top-level statements or a static Main) for the kernel to run", null));
                }
                else
                {
                    errors.Add(new PlanError("UKG0002", $"The program has {sorted.Count} static Main methods; the kernel runs one: keep one Main", sorted[1].Location));
                }

                return null;
            }

            private static int CompareUses(ApiUse a, ApiUse b)
            {
                int order = string.CompareOrdinal(a.File, b.File);
                if (order != 0)
                {
                    return order;
                }

                order = a.Line.CompareTo(b.Line);
                return order != 0 ? order : string.CompareOrdinal(a.Display, b.Display);
            }

            public static string Relative(string path, string projectDirectory)
            {
                if (path.StartsWith("[", StringComparison.Ordinal))
                {
                    // A library's call site: "[Library] file", relative to the library's project already.
                    return path;
                }

                if (projectDirectory.Length > 0 && path.StartsWith(projectDirectory, StringComparison.Ordinal))
                {
                    string relative = path.Substring(projectDirectory.Length).TrimStart('/', '\\');
                    return relative.Replace('\\', '/');
                }

                return Path.GetFileName(path);
            }
        }
    }
}
