using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;
using Unikraft.Gen.Graph;
using Unikraft.Gen.Helpers;
using Unikraft.Gen.Kernel;
using Unikraft.Gen.Model;
using Unikraft.Gen.Support;

namespace Unikraft.Gen
{
    public sealed partial class KernelGenerator
    {
        // Emit: the kernel's sources pruned to what the plan reaches, the boot wiring, the
        // interceptors and the manifest.
        internal static class Emit
        {
            public const string GeneratedNamespace = "Unikraft.Generated";

            // The app-facing API's static types by name, so the program can name them while it is
            // typed. Their members come with the kernel: the ones the plan reaches, or every one of
            // a type the program's source names, so it binds to any of them (see Kernel below).
            public static void Api(IncrementalGeneratorPostInitializationContext context)
            {
                if (ImageOrNull() is not { } image)
                {
                    return;
                }

                string text = GeneratedOutput.Header(image.Graph.SourceHash)
                    + "// Unikraft.Gen: the app-facing API's types, by name. Their members are emitted with the\n"
                    + "// kernel: those the program calls, or all of a type the program names.\n"
                    + "namespace " + ApiNamespace + ";\n\n"
                    + image.ApiStubs;
                context.AddSource(ApiStubsHintName, SourceText.From(text, Encoding.UTF8));
            }

            private const string ApiNamespace = "Unikraft.Kernel";

            internal const string ApiStubsHintName = "Kernel/Api/ApiTypes.g.cs";

            public static void Kernel(SourceProductionContext context, KernelReach reach)
            {
                foreach (PlanError error in reach.Plan.Errors)
                {
                    context.ReportDiagnostic(Diagnostic.Create(GeneratorDiagnostics.For(error.Id), error.Location?.ToLocation() ?? Location.None, error.Message));
                }

                if (reach.Pruner is not { } pruner)
                {
                    context.ReportDiagnostic(Diagnostic.Create(GeneratorDiagnostics.BrokenImage, Location.None, reach.BrokenImage ?? "no kernel image"));
                    return;
                }

                KernelImage image = KernelImage.Instance;
                KernelPlan plan = reach.Reached;
                bool failed = reach.Failed;
                bool hasEntry = plan.Entry is not null;

                // The pruned kernel files.
                var stubbed = new SortedSet<int>();
                int keptTotal = 0;
                int removedTotal = 0;
                int filesEmitted = 0;
                int filesTotal = 0;
                var reasonsBySyscall = plan.Syscalls.ToDictionary(s => s.Number, s => s.Reasons);
                foreach (GraphFile file in image.Graph.Files)
                {
                    if (file.IsDescriptor)
                    {
                        continue;
                    }

                    filesTotal++;
                    string? text = pruner.PrunedText(file, out int kept, out int removed, out List<int> fileStubs);
                    keptTotal += kept;
                    removedTotal += removed;
                    stubbed.UnionWith(fileStubs);
                    if (text is null)
                    {
                        continue;
                    }

                    filesEmitted++;
                    string header = FileHeader(image, pruner, file, kept, removed, fileStubs, reasonsBySyscall);
                    context.AddSource(HintName(file.Path), SourceText.From(header + text, Encoding.UTF8));
                }

                var implemented = new SortedSet<int>();
                foreach (KeyValuePair<int, int> pair in image.SyscallSymbols)
                {
                    if (pruner.IsReal(pair.Value))
                    {
                        implemented.Add(pair.Key);
                    }
                }

                string banner = Banner(image, pruner, plan, implemented, stubbed);
                if (hasEntry)
                {
                    context.AddSource("Unikraft.Boot.g.cs", SourceText.From(Boot(plan, pruner, banner), Encoding.UTF8));
                }

                if (hasEntry && plan.Uses.Any(u => u.Interception is not null))
                {
                    context.AddSource("Unikraft.Interceptors.g.cs", SourceText.From(Interceptors(plan), Encoding.UTF8));
                }

                if (!plan.Config.IsExecutable && plan.Uses.Count > 0)
                {
                    context.AddSource("Unikraft.LibraryBridge.g.cs", SourceText.From(Libraries.Bridge(plan), Encoding.UTF8));
                }

                string manifest = Manifest(image, pruner, plan, failed, implemented, stubbed, reasonsBySyscall, filesEmitted, filesTotal, keptTotal, removedTotal);
                context.AddSource("Unikraft.Manifest.g.cs", SourceText.From(manifest, Encoding.UTF8));
                context.AddSource("Unikraft.Report.g.cs", SourceText.From(Report.Html(image, pruner, plan, implemented, reasonsBySyscall), Encoding.UTF8));
            }

            private static string HintName(string path) => "Kernel/" + path.Replace(".cs", ".g.cs");

            // The first lines of every file the generator writes (GeneratedOutput.Header).
            internal static void WriteHeader(SourceWriter writer)
            {
                foreach (string line in GeneratedOutput.Header(KernelImage.Instance.Graph.SourceHash).TrimEnd('\n').Split('\n'))
                {
                    writer.Line(line);
                }
            }

            // The generator's mark on the assembly it writes into (GeneratedOutput): the reference
            // scan of a program that references this assembly tells the generator's own kernel and
            // bridge from its author's code by it, never by their namespaces alone. Keyed by the
            // compilation's assembly name, so it is written again only when that changes.
            public static void Marker(SourceProductionContext context, string assemblyName)
            {
                if (ImageOrNull() is not { } image)
                {
                    return;
                }

                string text = GeneratedOutput.Header(image.Graph.SourceHash)
                    + "// The generator's mark on this assembly: a program that references it tells the kernel and the\n"
                    + "// bridge the generator wrote here from the assembly's own code by it (docs/diagnostics/UK0301.md).\n"
                    + GeneratedOutput.MarkerAttribute(assemblyName, image.Graph.SourceHash) + "\n";
                context.AddSource("Unikraft.Output.g.cs", SourceText.From(text, Encoding.UTF8));
            }

            // The kernel image, or null when it is broken: the main output reports that (UKG0004)
            // with its reason, and the outputs that need the image write nothing.
            private static KernelImage? ImageOrNull()
            {
                try
                {
                    return KernelImage.Instance;
                }
                catch (Exception)
                {
                    return null;
                }
            }

            internal static string LibraryName(KernelImage image, string folder) =>
                image.LibraryByFolder.TryGetValue(folder, out GraphLibrary? library) ? library.Name : folder;

            private static string FileHeader(KernelImage image, Pruner pruner, GraphFile file, int kept, int removed, List<int> stubs,
                Dictionary<int, EquatableArray<Reason>> reasonsBySyscall)
            {
                var writer = new StringBuilder();
                writer.Append(GeneratedOutput.Header(image.Graph.SourceHash));
                writer.Append("// Unikraft.Gen kernel: kernel/").Append(file.Path).Append(", library ").Append(LibraryName(image, file.Folder));
                if (image.LibraryByFolder.TryGetValue(file.Folder, out GraphLibrary? library) && library.Summary.Length > 0)
                {
                    writer.Append(" (").Append(library.Summary).Append(')');
                }

                writer.Append('\n');
                foreach (string why in WhyFile(image, pruner, file, reasonsBySyscall).Take(4))
                {
                    writer.Append("// Why it is here: ").Append(why).Append('\n');
                }

                writer.Append("// Pruned to ").Append(kept).Append(" of ").Append(kept + removed).Append(" members");
                if (stubs.Count > 0)
                {
                    writer.Append("; syscalls the program never needs are -ENOSYS stubs: ")
                        .Append(string.Join(", ", stubs.OrderBy(n => n).Select(image.SyscallName)));
                }

                writer.Append(".\n#nullable enable\n");
                return writer.ToString();
            }

            private static IEnumerable<string> WhyFile(KernelImage image, Pruner pruner, GraphFile file, Dictionary<int, EquatableArray<Reason>> reasonsBySyscall)
            {
                var seen = new HashSet<string>(StringComparer.Ordinal);
                foreach (GraphDeclaration declaration in image.DeclarationsByFile[file.Index])
                {
                    if (!pruner.IsReal(declaration.Symbol))
                    {
                        continue;
                    }

                    GraphSymbol symbol = image.Graph.Symbols[declaration.Symbol];
                    if (symbol.Kind == "type")
                    {
                        continue;
                    }

                    string why;
                    if (symbol.Syscall >= 0 && reasonsBySyscall.TryGetValue(symbol.Syscall, out EquatableArray<Reason> reasons))
                    {
                        why = image.SyscallName(symbol.Syscall) + " <- " + string.Join(", ", reasons.Take(3).Select(r => Where(r) + " " + r.Text))
                            + (reasons.Count > 3 ? " and " + (reasons.Count - 3) + " more" : "");
                    }
                    else
                    {
                        why = pruner.WhyKept(symbol.Id);
                    }

                    if (seen.Add(why))
                    {
                        yield return why;
                    }
                }
            }

            private static string Banner(KernelImage image, Pruner pruner, KernelPlan plan, SortedSet<int> implemented, SortedSet<int> stubbed)
            {
                var libraries = pruner.Folders.Select(f => LibraryName(image, f)).Distinct().OrderBy(n => n, StringComparer.Ordinal);
                var devices = Devices(image, pruner).Select(d => d.Kind).Distinct().OrderBy(n => n, StringComparer.Ordinal);
                string name = plan.Config.AssemblyName.Length > 0 ? plan.Config.AssemblyName : "the program";
                return "Unikraft.Gen kernel (" + plan.Config.Platform + ") for " + name
                    + " | libraries: " + string.Join(", ", libraries)
                    + " | devices: " + (devices.Any() ? string.Join(", ", devices) : "none")
                    + " | syscalls: " + string.Join(", ", implemented.Select(image.SyscallName))
                    + " (" + implemented.Count + " of " + (implemented.Count + stubbed.Count) + "; " + stubbed.Count + " stubbed)";
            }

            // For each library folder, the native-layer functions whose entry points reach it in the
            // pruned kernel (calls, the types they name, and interface members to their kept
            // implementations); and for each function, the libraries and syscalls it reaches.
            private static Dictionary<string, SortedSet<string>> NativeFunctionsByFolder(KernelImage image, Pruner pruner, KernelPlan plan,
                out SortedDictionary<string, SortedSet<string>> partsByFunction)
            {
                var byFolder = new Dictionary<string, SortedSet<string>>(StringComparer.Ordinal);
                partsByFunction = new SortedDictionary<string, SortedSet<string>>(StringComparer.Ordinal);
                foreach (ApiUse use in plan.Uses)
                {
                    if (use.File != Plan.NativeLayerFile || !image.SymbolByDocId.TryGetValue(use.KernelMember, out int entry) || !pruner.IsKept(entry))
                    {
                        continue;
                    }

                    var folders = new SortedSet<string>(StringComparer.Ordinal);
                    var syscalls = new SortedSet<int>();
                    var seen = new HashSet<int>();
                    var stack = new Stack<int>();
                    stack.Push(entry);
                    while (stack.Count > 0)
                    {
                        int id = stack.Pop();
                        if (!pruner.IsKept(id) || !seen.Add(id))
                        {
                            continue;
                        }

                        GraphSymbol symbol = image.Graph.Symbols[id];
                        folders.Add(symbol.Folder);
                        if (symbol.Syscall >= 0 && pruner.IsReal(id))
                        {
                            syscalls.Add(symbol.Syscall);
                        }

                        // A type named is not every member of it: only members are followed.
                        if (symbol.Kind == "type")
                        {
                            continue;
                        }

                        foreach (int[] edges in new[] { symbol.BodyEdges, symbol.SignatureEdges, symbol.Links })
                        {
                            foreach (int next in edges)
                            {
                                stack.Push(next);
                            }
                        }
                    }

                    var parts = new SortedSet<string>(StringComparer.Ordinal);
                    foreach (string folder in folders)
                    {
                        if (!image.LibraryByFolder.ContainsKey(folder))
                        {
                            continue;
                        }

                        if (!byFolder.TryGetValue(folder, out SortedSet<string>? functions))
                        {
                            functions = new SortedSet<string>(StringComparer.Ordinal);
                            byFolder.Add(folder, functions);
                        }

                        functions.Add(use.Display);
                        parts.Add("library " + LibraryName(image, folder));
                    }

                    foreach (int number in syscalls)
                    {
                        parts.Add("syscall " + image.SyscallName(number));
                    }

                    partsByFunction[use.Display] = parts;
                }

                return byFolder;
            }

            internal static IEnumerable<(string Kind, GraphSymbol Symbol)> Devices(KernelImage image, Pruner pruner)
            {
                foreach (GraphSymbol symbol in image.Graph.Symbols)
                {
                    if (symbol.Device.Length > 0 && pruner.IsKept(symbol.Id))
                    {
                        yield return (symbol.Device, symbol);
                    }
                }
            }

            // Where a reason comes from: file and line, or only the source for a root that has no
            // line (the native layer's entry points).
            internal static string Where(Reason reason) => reason.Line > 0 ? reason.File + ":" + reason.Line : reason.File;

            internal static string Literal(string text) => Microsoft.CodeAnalysis.CSharp.SymbolDisplay.FormatLiteral(text, quote: true);

            private static string Boot(KernelPlan plan, Pruner pruner, string banner)
            {
                EntryPoint entry = plan.Entry!;
                var writer = new SourceWriter();
                WriteHeader(writer);
                writer.Line("// Unikraft.Gen boot: boots the kernel before the program's Main, runs Main on the kernel, and");
                writer.Line("// shuts the kernel down after it, keeping the exit status. Entry point: " + Plan.Relative(entry.File, plan.Config.ProjectDirectory) + ":" + entry.Line + ".");
                writer.Line("//");
                writer.Line("// Who calls Run: under the JIT, the runtime's startup hook (the package names this assembly in");
                writer.Line("// STARTUP_HOOKS), before it would call Main, and outside the module initializer, so other");
                writer.Line("// threads may run this assembly's code while Main runs; in a NativeAOT image, which has no");
                writer.Line("// startup hooks and runs module initializers before anything else, the module initializer.");
                writer.Line("// The runtime's own call to Main never happens: Run ends the process. A generated entry point");
                writer.Line("// (StartupObject) is refused next to top-level statements (CS8804).");
                writer.Line("#nullable enable");
                writer.Open("namespace " + GeneratedNamespace);
                writer.Open("internal static class UnikraftBoot");
                string mainReturn = entry.IsAsync ? (entry.ReturnsInt ? "global::System.Threading.Tasks.Task<int>" : "global::System.Threading.Tasks.Task") : (entry.ReturnsInt ? "int" : "void");
                string argsParameter = entry.HasArgs ? "string[] args" : "";
                string callArgs = entry.HasArgs ? "args" : "";
                string callMain;
                if (entry.IsAccessible)
                {
                    callMain = entry.TypeName + "." + entry.MethodName + "(" + callArgs + ")";
                }
                else
                {
                    // The type is named by its metadata name, not as a parameter type: a static class
                    // cannot be a parameter's type, and a private nested or file-local one cannot be named.
                    writer.Line("[global::System.Runtime.CompilerServices.UnsafeAccessor(global::System.Runtime.CompilerServices.UnsafeAccessorKind.StaticMethod, Name = " + Literal(entry.MethodName) + ")]");
                    // A struct cannot be named that way (the runtime refuses value types there), so it
                    // is named as the parameter's type, which the plan made sure is possible.
                    string program = entry.InStruct
                        ? entry.TypeName + " program"
                        : "[global::System.Runtime.CompilerServices.UnsafeAccessorType(" + Literal(entry.MetadataTypeName) + ")] object? program";
                    writer.Line("private static extern " + mainReturn + " UserMain(" + program + (entry.HasArgs ? ", " + argsParameter : "") + ");");
                    writer.Line();
                    callMain = "UserMain(" + (entry.InStruct ? "default" : "null") + (entry.HasArgs ? ", args" : "") + ")";
                }

                writer.Line("private static bool started;");
                writer.Line();
                writer.Line("[global::System.Runtime.CompilerServices.ModuleInitializer]");
                writer.Open("internal static void Boot()");
                writer.Line("// The startup hook calls Run right after this returns, when the runtime runs hooks and this");
                writer.Line("// assembly is one of them.");
                writer.Line("object? hooks = global::System.AppContext.GetData(\"STARTUP_HOOKS\");");
                writer.Line("bool hooksRun = !global::System.AppContext.TryGetSwitch(\"System.StartupHookProvider.IsSupported\", out bool supported) || supported;");
                writer.Open("if (hooksRun && hooks is string names && global::System.Array.IndexOf(names.Split(global::System.IO.Path.PathSeparator), typeof(UnikraftBoot).Assembly.GetName().Name) >= 0)");
                writer.Line("return;");
                writer.Close();
                writer.Line();
                writer.Line("Run();");
                writer.Close();
                writer.Line();
                writer.Open("internal static void Run()");
                writer.Line("// Only when this assembly is the program being run, not when another one loads it, and once.");
                writer.Open("if (started || global::System.Reflection.Assembly.GetEntryAssembly() != typeof(UnikraftBoot).Assembly)");
                writer.Line("return;");
                writer.Close();
                writer.Line();
                writer.Line("started = true;");
                if (Confined(plan))
                {
                    writer.Line("// The confinement's supervisor, a process of its own, started before anything else: this");
                    writer.Line("// program's executable again, which serves there instead of running the program.");
                    writer.Line("global::Unikraft.Kernel.ConfinementSupervisor.Start();");
                }

                writer.Line("string[] commandLine = global::System.Environment.GetCommandLineArgs();");
                writer.Line("string[] arguments = new string[commandLine.Length > 0 ? commandLine.Length - 1 : 0];");
                writer.Line("global::System.Array.Copy(commandLine, commandLine.Length - arguments.Length, arguments, 0, arguments.Length);");
                Libraries.WriteWiring(writer, plan);
                if (plan.Config.Platform == "sim")
                {
                    BootSim(writer, plan, entry, banner, callMain);
                    return writer.ToString();
                }

                writer.Line("var kernel = new global::Unikraft.Kernel.Kernel(new global::Unikraft.Kernel." + (plan.Config.Platform == "microvm" ? "MicroVmPlatform" : "HostedPlatform") + "());");
                if (plan.Config.Banner)
                {
                    writer.Line("kernel.PrintBanner(" + Literal(banner) + ");");
                }

                foreach (GraphSymbol step in pruner.BootSteps)
                {
                    writer.Line("global::Unikraft.Kernel." + step.DisplayName + "(kernel);");
                }

                WriteMounts(writer, plan);
                WriteNets(writer, plan);
                if (Confined(plan))
                {
                    writer.Line(ConfinementInstall(plan));
                }

                if (ServesOtherThreads(plan))
                {
                    writer.Line("global::Unikraft.Kernel.Vcpu.Serve(kernel);");
                }

                ProgramFolder(writer);
                writer.Line("int status;");
                writer.Open("try");
                writer.Line("status = kernel." + (entry.IsAsync ? "RunAsync" : "Run") + "(arguments, " + MainLambda(entry, callMain, asTask: false) + ");");

                writer.Close();
                EndBoot(writer, "kernel.ReportUnhandled(exception);");
                return writer.ToString();
            }

            // The program's folder is the kernel's root: the files the build copies beside the
            // program are packed there (UnikraftPackOutputFiles), and its content root is there, so
            // AppContext.BaseDirectory, where a program (and ASP.NET Core's static assets) looks for
            // them, says "/" from Main on, not the host folder the kernel never shows it. After the
            // boot steps: the JIT route's slots are found beside the program on the host.
            private static void ProgramFolder(SourceWriter writer)
            {
                writer.Line("// The program's folder is the kernel's root, where the files copied beside it are.");
                writer.Line("global::System.AppContext.SetData(\"APP_CONTEXT_BASE_DIRECTORY\", \"/\");");
            }

            // The program's Main as the kernel runs it: a function from the arguments to the exit
            // status (a Task of it when the Main is async, or when asTask asks for one).
            private static string MainLambda(EntryPoint entry, string callMain, bool asTask)
            {
                if (entry.IsAsync)
                {
                    return entry.ReturnsInt ? "static args => " + callMain : "static async args => { await " + callMain + "; return 0; }";
                }

                string Result(string value) => asTask ? "global::System.Threading.Tasks.Task.FromResult(" + value + ")" : value;
                return entry.ReturnsInt ? "static args => " + Result(callMain) : "static args => { " + callMain + "; return " + Result("0") + "; }";
            }

            // Closes the try around Main: an exception nothing caught is reported as the runtime
            // reports it and ends the process with 128 + SIGABRT; otherwise Main's status.
            // The hosted kernel reports it on its log; the simulation, which has the console of
            // the process for its own output, on that.
            private static void EndBoot(SourceWriter writer, string report)
            {
                writer.Open("catch (global::System.Exception exception)");
                writer.Line("// As the runtime does for an exception nothing caught: report it and abort (128 + SIGABRT).");
                writer.Line(report);
                writer.Line("status = 134;");
                writer.Close();
                writer.Line();
                writer.Line("global::System.Environment.Exit(status);");
                writer.Close();
                writer.Close();
                writer.Close();
                writer.Line();
                writer.Line("// The runtime's startup hook (JIT only): named by type, in the global namespace.");
                writer.Open("internal static class StartupHook");
                writer.Open("public static void Initialize()");
                writer.Line("global::" + GeneratedNamespace + ".UnikraftBoot.Run();");
                writer.Close();
                writer.Close();
            }

            private static void WriteMounts(SourceWriter writer, KernelPlan plan)
            {
                foreach (MountPlan mount in Plan.Booted(plan.Mounts))
                {
                    if (mount.Type == BootMembers.TrustStoreType)
                    {
                        // Mounted at boot from what the host has and its SSL_CERT_* variables say;
                        // the confinement lets OpenSSL read the same folders.
                        writer.Line("string[] trustStore = global::Unikraft.Kernel.HostedTrustStore.Mount(kernel);");
                        continue;
                    }

                    string fileSystem = mount.Type switch
                    {
                        "ramfs" => "new global::Unikraft.Kernel.RamFileSystem(" + mount.CapacityBytes + "L)",
                        "hostfs" => "new global::Unikraft.Kernel.HostFileSystem(" + Literal(mount.Source) + ", " + (mount.ReadOnly ? "true" : "false") + ")",
                        "initrd" => "global::Unikraft.Kernel.InitrdLoader.FromResource(typeof(UnikraftBoot).Assembly, " + Literal(mount.Source) + ", " + mount.CapacityBytes + "L)",
                        _ => "new global::Unikraft.Kernel.DevFileSystem(kernel)",
                    };
                    writer.Line("global::Unikraft.Kernel.VfsMounts.Mount(kernel, " + Literal(mount.Path) + ", " + fileSystem + ", " + (mount.ReadOnly ? "true" : "false") + ");");
                }
            }

            // The network interfaces, after the mounts and before the confinement, which refuses
            // what opening a device takes (the TUN control device, passt's socketpair and process).
            private static void WriteNets(SourceWriter writer, KernelPlan plan)
            {
                int virtioIndex = 0;
                foreach (NetPlan net in plan.Nets)
                {
                    NetTable.TryParseAddress(net.Address, out uint address);
                    NetTable.TryParseAddress(net.Gateway, out uint gateway);
                    string Address(uint value) => "new global::Unikraft.Kernel.Ipv4Address(0x" + value.ToString("X8", CultureInfo.InvariantCulture) + "u)";
                    string Address6(string text)
                    {
                        NetTable.TryParseAddress6(text, out ulong high, out ulong low);
                        return "new global::Unikraft.Kernel.Ipv6Address(0x" + high.ToString("X16", CultureInfo.InvariantCulture) + "UL, 0x"
                            + low.ToString("X16", CultureInfo.InvariantCulture) + "UL)";
                    }

                    string prefix = net.PrefixLength.ToString(CultureInfo.InvariantCulture);
                    string Ports(IEnumerable<int> ports) => ports.Any()
                        ? "new int[] { " + string.Join(", ", ports.Select(p => p.ToString(CultureInfo.InvariantCulture))) + " }"
                        : "global::System.Array.Empty<int>()";
                    // A virtio device is the VM's (its runner adds one per item, in order, with the
                    // host's forwarding); the others are the hosted process's.
                    var explicit6 = net.Addresses6.Where(a => a != NetTable.Auto6).ToList();
                    bool auto6 = net.Addresses6.Contains(NetTable.Auto6);
                    string device = net.Type == "passt"
                        ? "global::Unikraft.Kernel.HostedNetDevices.OpenPasst(" + Address(address) + ", " + prefix + ", " + Address(gateway) + ", "
                            + Ports(net.Forward) + ", " + Ports(net.ForwardUdp) + ", " + (net.Addresses6.Count > 0 ? "true" : "false") + ", "
                            + (explicit6.Count > 0 ? Address6(explicit6[0].Substring(0, explicit6[0].IndexOf('/'))) : "default(global::Unikraft.Kernel.Ipv6Address)") + ")"
                        : net.Type == "virtio"
                            ? "global::Unikraft.Kernel.MicroVmNetDevices.OpenVirtio(" + (virtioIndex++).ToString(CultureInfo.InvariantCulture) + ")"
                            : "global::Unikraft.Kernel.HostedNetDevices.OpenTap(" + Literal(net.Device) + ")";
                    writer.Line("// " + net.Name + ": " + net.Type + " " + net.Address + "/" + prefix + (net.Gateway.Length > 0 ? " via " + net.Gateway : "")
                        + (net.Addresses6.Count > 0 ? ", " + string.Join(", ", net.Addresses6) : "") + " " + net.Source);
                    var servers = new List<string>();
                    foreach (string server in net.Dns)
                    {
                        if (NetTable.TryParseAddress(server, out uint serverAddress))
                        {
                            servers.Add(Address(serverAddress));
                        }
                    }
                    string nameServers = servers.Count == 0
                        ? "global::System.Array.Empty<global::Unikraft.Kernel.Ipv4Address>()"
                        : "new global::Unikraft.Kernel.Ipv4Address[] { " + string.Join(", ", servers) + " }";
                    writer.Line("global::Unikraft.Kernel.NetBoot.Attach(kernel, " + Literal(net.Name) + ", " + device + ", " + Address(address) + ", " + prefix + ", " + Address(gateway) + ", " + nameServers + ");");
                    if (net.ForwardsHostLoopback)
                    {
                        writer.Line("global::Unikraft.Kernel.NetBoot.ForwardHostLoopback(kernel, " + Literal(net.Name) + ", "
                            + Literal(net.Type == "virtio" ? "the VM's runner" : "passt") + ", " + Ports(net.Forward) + ");");
                    }

                    if (net.Addresses6.Count > 0)
                    {
                        var addresses6 = new List<string>();
                        var prefixes6 = new List<string>();
                        foreach (string text in explicit6)
                        {
                            int slash = text.IndexOf('/');
                            addresses6.Add(Address6(text.Substring(0, slash)));
                            prefixes6.Add(text.Substring(slash + 1));
                        }

                        // No Gateway6: the unspecified address, and a router advertisement may give one.
                        writer.Line("global::Unikraft.Kernel.NetBoot.AttachIpv6(kernel, " + Literal(net.Name) + ", new global::Unikraft.Kernel.Ipv6Address[] { "
                            + string.Join(", ", addresses6) + " }, new int[] { " + string.Join(", ", prefixes6) + " }, "
                            + Address6(net.Gateway6.Length > 0 ? net.Gateway6 : "::") + ", " + (net.Type == "passt" ? "true" : "false") + ");");
                        if (net.Type == "passt")
                        {
                            // passt is the link's router: its advertisement gives the default
                            // router and, for "auto", the prefix of the kernel's address. The
                            // boot waits up to a second for it (passt answers at once). No
                            // duplicate address detection there (true above, passtLink): passt
                            // answers every neighbor solicitation itself, the kernel's probes too.
                            writer.Line("global::Unikraft.Kernel.NetBoot.SolicitRouters(kernel, " + Literal(net.Name) + ", " + (auto6 ? "true" : "false") + ", 1_000_000_000L);");
                        }
                    }
                }
            }

            // Under sim, the program is one node of a seeded simulation: the node boots its
            // devices, the mounts follow, and Main runs on virtual time.
            private static void BootSim(SourceWriter writer, KernelPlan plan, EntryPoint entry, string banner, string callMain)
            {
                string main = MainLambda(entry, callMain, asTask: true);
                ProgramFolder(writer);
                writer.Line("int status;");
                writer.Open("try");
                writer.Line("status = global::Unikraft.Kernel.SimProgram.Run(" + Literal(plan.Config.AssemblyName.Length > 0 ? plan.Config.AssemblyName : "program") + ", arguments,");
                writer.Line("    " + main + ",");
                var mounts = new SourceWriter();
                WriteMounts(mounts, plan);
                if (Confined(plan))
                {
                    mounts.Line(ConfinementInstall(plan));
                }

                string mountBody = mounts.ToString().Replace("\n", " ").Trim();
                writer.Line("    static kernel => { " + mountBody + " },");
                writer.Line("    " + (plan.Config.Banner ? Literal(banner) : "null") + ");");
                writer.Close();
                EndBoot(writer, "global::System.Console.Error.WriteLine(\"Unhandled exception. \" + exception);");
            }

            // The boot of a program that runs as a Linux process confines it: hosted, and sim, whose
            // kernel serves everything from the simulation, so that what the analyzers did not see
            // (a library's host file, a host socket) is refused and named instead of making the run
            // depend on the host. A microvm has no host to confine it from.
            internal static bool Confined(KernelPlan plan) => plan.Config.Confinement && plan.Entry is not null
                && (plan.Config.Platform == "hosted" || plan.Config.Platform == "sim");

            // The confinement's call, once the kernel has booted (a hosted kernel's devices are open,
            // a sim node's file systems mounted).
            private static string ConfinementInstall(KernelPlan plan) =>
                "global::Unikraft.Kernel.HostedConfinement.Install(kernel, " + ConfinementNeeds(plan) + ", "
                + (plan.Nets.Any(n => n.Type == "passt") ? "global::Unikraft.Kernel.HostedNetDevices.ChildProcesses()" : "global::System.Array.Empty<int>()") + ", "
                + HostFolderArray(plan, readOnly: false) + ", " + HostFolderArray(plan, readOnly: true) + ", "
                + (HasTrustStore(plan) ? "trustStore" : "global::System.Array.Empty<string>()") + ");";

            // The plan mounts the host's trust store (Plan.TrustStore).
            internal static bool HasTrustStore(KernelPlan plan) => Plan.Booted(plan.Mounts).Any(m => m.Type == BootMembers.TrustStoreType);

            // A program (hosted or microvm) whose code may resume on other threads than the kernel's
            // (an async Main, or work and timers on the kernel's scheduler): its interceptors take the
            // vCPU around each call, so a call from a thread-pool thread reaches the kernel in turn.
            // A simulation never serves other threads: its order is the seed's.
            // A program booted outside a simulation whose code may run on threads other than
            // Main's: an async Main (continuations after ConfigureAwait(false)), Task.Delay or
            // Task.Run, or any program on the native layer, where the BCL's own threads, the thread
            // pool and the threads it starts reach the kernel underneath the BCL (the support table
            // allows threads and blocking waits only there). Main is then one thread of the
            // program among others, and the kernel's poll loop runs on a kernel thread of its own
            // (Scheduler.StartKernelThread). Without any of these a synchronous Main is the only
            // thread, and its kernel carries no scheduler for it.
            internal static bool ServesOtherThreads(KernelPlan plan) =>
                plan.Entry is { } entry && plan.Config.Platform != "sim"
                && (entry.IsAsync || plan.Config.NativeLayer
                    || plan.Uses.Any(u => u.Interception is { } interception && interception.Target.StartsWith(KernelTaskPrefix, StringComparison.Ordinal)));

            private const string KernelTaskPrefix = "global::Unikraft.Kernel.KernelTask.";

            // The system calls the microvm shim serves, "name: why"; kept equal to the SERVED table of
            // kernel/Platform/MicroVm/shim/syscalls.c by a test.
            internal static readonly string[] MicroVmShimSyscalls =
            {
                "read: the console's signal-handling thread blocks on a pipe; fd 0 reads the serial line",
                "write: fds 1 and 2 are the serial line (the C# console device and the runtime's own messages); pipes",
                "close: pipes",
                "fstat: the console fds are character devices, pipes are FIFOs",
                "mmap: anonymous memory with its protection: the GC's reservations (PROT_NONE) and heaps, thread stacks, glibc's malloc",
                "mprotect: enforced: the GC commits its reservations, glibc makes thread stacks' guard pages and RELRO read-only",
                "munmap: frees the frames behind the range; later accesses fault",
                "brk: glibc's malloc starts on the break",
                "rt_sigaction: the runtime's SIGSEGV/SIGFPE handlers, run on hardware faults (null reference); its SIGINT and SIGWINCH handlers, run on Ctrl-C (Console.CancelKeyPress) and a resize",
                "rt_sigprocmask: each thread's mask: the terminal's signals (SIGINT, SIGWINCH) and kill's go to a thread that does not block them",
                "rt_sigreturn: returns from a handler with the context (and the mask) it left",
                "ioctl: the console's terminal (uk.console=tty): the line discipline's mode (TCSETS), FIONREAD and the window's size (TIOCGWINSZ); ENOTTY otherwise",
                "sched_yield: runs another thread (spin waits in the runtime)",
                "madvise: MADV_DONTNEED frees the frames (the GC decommits); the rest are hints",
                "dup: the console's fds",
                "nanosleep: Thread.Sleep; the thread blocks until the deadline",
                "getpid: one process, pid 1",
                "clone: threads only (CLONE_VM | CLONE_THREAD): the finalizer thread, the thread pool",
                "exit: a thread ends (CLONE_CHILD_CLEARTID wakes its joiner)",
                "kill: the runtime raises SIGINT again with its default action when no CancelKeyPress handler cancelled it: the VM ends with 128 + the signal",
                "uname: glibc and the runtime ask the kernel's name",
                "fcntl: F_DUPFD_CLOEXEC and the O_NONBLOCK flag of pipes",
                "readlink: ENOENT: no /proc/self/exe",
                "getrusage: zeros: no CPU-time accounting",
                "sysinfo: the GC sizes itself by the VM's memory",
                "getuid: root",
                "getgid: root",
                "geteuid: root",
                "getegid: root",
                "sigaltstack: the runtime's handlers run on an alternate stack",
                "mlock: accepted: nothing is ever paged out",
                "prctl: thread names: accepted and dropped",
                "arch_prctl: ARCH_SET_FS: glibc's thread pointer (TLS)",
                "gettid: thread ids",
                "time: the wall clock in seconds",
                "futex: WAIT/WAKE (and _BITSET) with timeouts: every lock and condition of glibc and the runtime",
                "sched_getaffinity: one CPU",
                "set_tid_address: glibc's start",
                "clock_gettime: no vDSO: every clock read (the TSC, calibrated at boot; the RTC for the wall clock)",
                "clock_getres: nanosecond resolution",
                "clock_nanosleep: sleeps, relative and absolute",
                "exit_group: the program's exit status becomes the VM's (isa-debug-exit)",
                "tgkill: abort(): the VM ends with 128 + the signal",
                "openat: ENOENT: the runtime probes /proc and /sys, OpenSSL its openssl.cnf; the program's own files are the C# kernel's",
                "set_robust_list: accepted: threads never die holding a lock they own",
                "dup3: ENOSYS",
                "pipe2: the console's signal-handling thread waits on a pipe",
                "prlimit64: the stack limit (8 MiB), the rest unlimited",
                "getcpu: CPU 0 (the runtime's per-CPU caches)",
                "getrandom: RDRAND (hash seeds, Random, AT_RANDOM)",
                "membarrier: FlushProcessWriteBuffers (GC suspension): one CPU, every barrier is already there",
                "rseq: ENOSYS: glibc goes without restartable sequences",
                "clone3: ENOSYS: glibc then uses clone",
                "uk_device_map: the kernel's virtio drivers: a virtio-mmio transport's registers, mapped uncached into the program",
                "uk_device_dma: the kernel's virtio drivers: zeroed, contiguous memory for rings and buffers, and its physical address",
                "uk_device_wait: the kernel's virtio drivers: blocks a thread until its device's IO-APIC line fires (masked until it waits again)",
            };

            // Kept equal to HostedConfinement.RefusedCalls by a test.
            internal const string HostedConfinementSummary = "execve, execveat, fork, vfork, clone without CLONE_THREAD, socket, connect, bind, listen, accept, accept4, " +
                "ptrace, process_vm_readv, process_vm_writev";

            // The NativeAOT image's allow list, group by group, kept equal to HostedConfinement's
            // tables (each group's table, then its checked one) by a test.
            internal const string ConfinementRuntimeCalls = "read, write, close, fstat, poll, lseek, mmap, mprotect, munmap, brk, rt_sigaction, rt_sigprocmask, " +
                "rt_sigreturn, ioctl, pread64, pwrite64, readv, writev, sched_yield, mremap, mincore, madvise, dup, nanosleep, getpid, exit, uname, fcntl, " +
                "gettimeofday, getrusage, sysinfo, getuid, getgid, geteuid, getegid, sigaltstack, fstatfs, gettid, futex, sched_getaffinity, " +
                "set_tid_address, restart_syscall, clock_gettime, clock_getres, clock_nanosleep, exit_group, get_mempolicy, ppoll, set_robust_list, " +
                "eventfd2, dup3, pipe2, getcpu, getrandom, membarrier, rseq, clone (a thread only), kill (this process or passt), prctl (naming a thread or a mapping), " +
                "tgkill (this process), newfstatat (relative to a descriptor), prlimit64 (reading this process's), statx (relative to a descriptor)";

            internal const string ConfinementHostFolderCalls = "flock, fsync, fdatasync, ftruncate, fchmod, getdents64, fadvise64, fallocate, openat, mkdirat, " +
                "unlinkat, renameat, linkat, symlinkat, readlinkat, fchmodat, utimensat, renameat2, openat2 (each path relative to a host folder's descriptor)";

            internal const string ConfinementPasstCalls = "sendto, recvfrom, sendmsg, recvmsg, shutdown (its socket), wait4 (passt only)";

            // What the JIT's allow list adds (HostedConfinement.JitCalls, then JitPathCalls), and
            // the system folders of its Landlock ruleset (HostedLandlock.SystemFolders), kept equal
            // by a test.
            internal const string ConfinementJitCalls = "stat, lstat, access, getcwd, unlink, readlink, sched_getparam, sched_getscheduler, sched_get_priority_max, sched_get_priority_min, sched_setaffinity, readlinkat, faccessat, faccessat2, sched_setscheduler (to SCHED_OTHER), open, openat";

            // Where the trust store's links lead (HostedTrustStore.LinkTargets), held to it by a test.
            internal const string ConfinementTrustStoreLinks = "/usr/share/ca-certificates, /usr/local/share/ca-certificates, /etc/pki/ca-trust/extracted, /etc/pki/tls/certs";

            internal const string ConfinementJitSystemFolders = "/lib, /lib64, /usr/lib, /usr/lib64, /usr/local/lib, /etc/ld.so.cache, /etc/ssl, /etc/localtime, " +
                "/usr/share/zoneinfo, /sys/fs/cgroup, /sys/devices/system/cpu, /dev/urandom, /dev/random";

            // What the plan adds to the allow list: HostedConfinement's constants, or-ed.
            internal static string ConfinementNeeds(KernelPlan plan)
            {
                var needs = new List<string>();
                if (plan.Mounts.Any(m => m.Type == "hostfs") || HasTrustStore(plan))
                {
                    needs.Add("global::Unikraft.Kernel.HostedConfinement.HostFolders");
                }

                if (plan.Nets.Any(n => n.Type == "passt"))
                {
                    needs.Add("global::Unikraft.Kernel.HostedConfinement.Passt");
                }

                if (LinksOpenSsl(plan))
                {
                    needs.Add("global::Unikraft.Kernel.HostedConfinement.OpenSsl");
                }

                return needs.Count == 0 ? "0" : string.Join(" | ", needs);
            }

            // The host folders the plan mounts, writable or read-only, for the JIT's Landlock ruleset.
            private static string HostFolderArray(KernelPlan plan, bool readOnly)
            {
                var folders = Plan.Booted(plan.Mounts).Where(m => m.Type == "hostfs" && m.ReadOnly == readOnly).Select(m => Literal(m.Source)).ToList();
                return folders.Count == 0 ? "global::System.Array.Empty<string>()" : "new string[] { " + string.Join(", ", folders) + " }";
            }

            // The link's import list says the image links the OpenSSL shim, or is not known.
            private static bool LinksOpenSsl(KernelPlan plan)
            {
                HashSet<string>? imports = plan.Config.Specialize ? Plan.ParseImports(plan.Config.NativeImports) : null;
                return imports is null || imports.Contains("CryptoNative");
            }

            private static string Interceptors(KernelPlan plan)
            {
                var writer = new SourceWriter();
                WriteHeader(writer);
                writer.Line("// Unikraft.Gen interceptors: the program's own plain BCL calls, redirected to the kernel API so");
                writer.Line("// unmodified code runs on the kernel. One method per BCL overload, with every call site it serves.");
                writer.Line("#nullable enable");
                WriteInterceptsLocationAttribute(writer);
                writer.Line();
                writer.Open("namespace " + GeneratedNamespace);
                writer.Open("file static class UnikraftInterceptors");
                List<IGrouping<string, ApiUse>> groups = InterceptionGroups(plan);
                bool vcpu = ServesOtherThreads(plan);
                var counts = new Dictionary<string, int>(StringComparer.Ordinal);
                bool first = true;
                foreach (IGrouping<string, ApiUse> group in groups)
                {
                    if (!first)
                    {
                        writer.Line();
                    }

                    first = false;
                    Interception interception = group.First().Interception!;
                    counts.TryGetValue(interception.Name, out int count);
                    counts[interception.Name] = count + 1;
                    string name = interception.Name + "_" + count.ToString(CultureInfo.InvariantCulture);
                    WriteCallSites(writer, plan, group);
                    string parameters = string.Join(", ", interception.Parameters.Select(p => (p.Attributes.Length > 0 ? p.Attributes + " " : "") + p.Modifier + p.Type + " " + p.Name));
                    string arguments = string.Join(", ", interception.Parameters.Select(p => (p.Modifier == "this " ? "" : p.Modifier.Replace("readonly ", "")) + p.Name));
                    string signature = "internal static " + interception.ReturnType + " " + name + interception.TypeParameters + "(" + parameters + ")";
                    if (!vcpu)
                    {
                        writer.Line(signature);
                        writer.Line("    => " + interception.Target + "(" + arguments + ");");
                        continue;
                    }

                    // Another thread's call takes its turn on the vCPU (Vcpu.EnterCall).
                    writer.Open(signature);
                    writer.Line("global::Unikraft.Kernel.Kernel? entered = global::Unikraft.Kernel.Vcpu.EnterCall();");
                    writer.Open("try");
                    writer.Line((interception.ReturnType == "void" ? "" : "return ") + interception.Target + "(" + arguments + ");");
                    writer.Close();
                    writer.Open("finally");
                    writer.Line("global::Unikraft.Kernel.Vcpu.LeaveCall(entered);");
                    writer.Close();
                    if (interception.Attributes.Contains("DoesNotReturn"))
                    {
                        // The compiler's flow analysis does not carry the target's [DoesNotReturn]
                        // through the try/finally (CS8763 on the interceptor, which repeats it).
                        writer.Line("throw new global::System.InvalidOperationException(" + Literal(interception.Target.Replace("global::", "") + " returned") + ");");
                    }

                    writer.Close();
                }

                writer.Close();
                writer.Close();
                return writer.ToString();
            }

            // The interceptors' own InterceptsLocationAttribute: file-local, so two assemblies'
            // generated code never clash over it.
            internal static void WriteInterceptsLocationAttribute(SourceWriter writer)
            {
                writer.Open("namespace System.Runtime.CompilerServices");
                writer.Line("[global::System.AttributeUsage(global::System.AttributeTargets.Method, AllowMultiple = true)]");
                writer.Open("file sealed class InterceptsLocationAttribute : global::System.Attribute");
                writer.Open("public InterceptsLocationAttribute(int version, string data)");
                writer.Line("_ = version;");
                writer.Line("_ = data;");
                writer.Close();
                writer.Close();
                writer.Close();
            }

            // The intercepted call sites, one group per BCL overload and kernel target, in a stable order.
            internal static List<IGrouping<string, ApiUse>> InterceptionGroups(KernelPlan plan) =>
                plan.Uses.Where(u => u.Interception is not null)
                    .GroupBy(u => Signature(u.Interception!), StringComparer.Ordinal)
                    .OrderBy(g => g.Key, StringComparer.Ordinal)
                    .ToList();

            // Above one interceptor: the call sites it serves, as comments and as InterceptsLocation
            // attributes, and the flow-analysis attributes it must repeat.
            internal static void WriteCallSites(SourceWriter writer, KernelPlan plan, IEnumerable<ApiUse> uses)
            {
                foreach (ApiUse use in uses)
                {
                    writer.Line("// " + use.Display + " at " + Plan.Relative(use.File, plan.Config.ProjectDirectory) + ":" + use.Line);
                }

                foreach (ApiUse use in uses)
                {
                    writer.Line("[global::System.Runtime.CompilerServices.InterceptsLocation(" + use.Interception!.Version + ", " + Literal(use.Interception.Data) + ")]");
                }

                string attributes = uses.First().Interception!.Attributes;
                if (attributes.Length > 0)
                {
                    writer.Line(attributes);
                }
            }

            internal static string Signature(Interception interception) =>
                interception.Name + interception.TypeParameters + "(" + string.Join(",", interception.Parameters.Select(p => p.Modifier + p.Type)) + ")->" + interception.Target;

            // The manifest's "Runtime features" section. Each feature's first line is also what
            // UnikraftSpecializeRuntime (Unikraft.Gen.targets) reads: "  <name>  off  <Property>=<value>"
            // is a switch to set; "kept", "set in the project" and "not specialized" leave it alone.
            internal static List<string> RuntimeSection(RuntimeFeatures runtime)
            {
                var lines = new List<string> { "Runtime features (NativeAOT feature switches; a switch the project sets wins, UnikraftSpecialize=false keeps .NET's defaults)" };
                foreach (RuntimeFeature feature in runtime.Features)
                {
                    RuntimeSwitch which = Runtime.Switches.First(s => s.Name == feature.Name);
                    switch (feature.Choice)
                    {
                        case RuntimeChoice.Off:
                            lines.Add("  " + feature.Name + "  off  " + which.Property + "=" + which.OffValue + "  (" + which.AppContextSwitch + ")");
                            lines.Add("      nothing in the program uses it; removed: " + which.Removes);
                            break;
                        case RuntimeChoice.Kept:
                            lines.Add("  " + feature.Name + "  kept");
                            foreach (Reason reason in feature.Reasons.Take(8))
                            {
                                lines.Add("      " + Where(reason) + "  " + reason.Text);
                            }

                            if (feature.Reasons.Count > 8)
                            {
                                lines.Add("      and " + (feature.Reasons.Count - 8) + " more");
                            }

                            break;
                        case RuntimeChoice.SetInProject:
                            lines.Add("  " + feature.Name + "  set in the project  " + which.Property + "=" + feature.ProjectValue);
                            if (feature.Reasons.Count > 0)
                            {
                                lines.Add("      used at " + Where(feature.Reasons[0]) + "  " + feature.Reasons[0].Text);
                            }

                            break;
                        default:
                            lines.Add("  " + feature.Name + "  not specialized (UnikraftSpecialize=false)");
                            break;
                    }
                }

                return lines;
            }

            private static string Manifest(KernelImage image, Pruner pruner, KernelPlan plan, bool failed, SortedSet<int> implemented, SortedSet<int> stubbed,
                Dictionary<int, EquatableArray<Reason>> reasonsBySyscall, int filesEmitted, int filesTotal, int keptMembers, int removedMembers)
            {
                var lines = new List<string>();
                string name = plan.Config.AssemblyName.Length > 0 ? plan.Config.AssemblyName : "the program";
                lines.Add("Unikraft.Gen kernel manifest for " + name + " (platform " + plan.Config.Platform + ")");
                if (failed)
                {
                    lines.Add("Not booted: the build stopped at " + string.Join(", ", plan.Errors.Select(e => e.Id).Distinct())
                        + "; this kernel is here only so the program compiles around that error.");
                }
                else if (plan.Entry is null)
                {
                    lines.Add("No entry point (a library): nothing boots a kernel here. Its BCL calls go through its bridge to the kernel of the program that references it (or to the BCL without one); what they need is recorded for that kernel.");
                }

                lines.Add("");
                lines.Add("Syscalls: " + implemented.Count + " implemented, " + stubbed.Count + " stubbed (they return -ENOSYS and log if reached)");
                foreach (int number in implemented)
                {
                    GraphSymbol symbol = image.Graph.Symbols[image.SyscallSymbols[number]];
                    lines.Add("  " + image.SyscallName(number) + " (" + number + ")  library " + LibraryName(image, symbol.Folder));
                    if (reasonsBySyscall.TryGetValue(number, out EquatableArray<Reason> reasons))
                    {
                        foreach (Reason reason in reasons)
                        {
                            lines.Add("      " + Where(reason) + "  " + reason.Text);
                        }
                    }
                    else
                    {
                        lines.Add("      kernel: " + pruner.WhyKept(symbol.Id));
                    }
                }

                if (stubbed.Count > 0)
                {
                    lines.Add("  stubbed: " + string.Join(", ", stubbed.Select(n => image.SyscallName(n) + " (" + n + ")")));
                }

                if (plan.Features.Count > 0 || pruner.RemovedGuards.Count > 0)
                {
                    lines.Add("");
                    lines.Add("Features (code paths inside shared members)");
                    foreach (FeatureRoot feature in plan.Features)
                    {
                        lines.Add("  " + feature.Name + "  on");
                        foreach (Reason reason in feature.Reasons)
                        {
                            lines.Add("      " + Where(reason) + "  " + reason.Text);
                        }
                    }

                    foreach (string off in pruner.RemovedGuards)
                    {
                        lines.Add("  " + off + (off == "IcmpEcho"
                            ? "  off: its code is removed (UnikraftIcmpEcho=false)"
                            : off == "Ipv6"
                                ? "  off: its code is removed (no <UnikraftNet> has an IPv6 address)"
                                : off == "HostLoopbackForward"
                                    ? "  off: its code is removed (no passt or microvm <UnikraftNet> forwards a TCP port)"
                                    : "  off: its code is removed (no call site needs it)"));
                    }
                }

                if (plan.Mounts.Count > 0)
                {
                    lines.Add("");
                    lines.Add("Mounts");
                    var used = new HashSet<string>(Plan.Booted(plan.Mounts).Select(m => m.Path), StringComparer.Ordinal);
                    foreach (MountPlan mount in plan.Mounts)
                    {
                        string what = mount.Type == BootMembers.TrustStoreType
                            ? "hostfs, read-only, the host's trust store " + mount.Source + " and the folders of SSL_CERT_FILE and SSL_CERT_DIR at boot, each at its host path"
                            : mount.Type + (mount.ReadOnly ? ", read-only" : "") + (mount.Type == "hostfs" ? ", host folder " + mount.Source : "")
                            + (mount.Implicit ? ", implicit root for the mount points" : "");
                        lines.Add("  " + mount.Path + "  " + what + (used.Contains(mount.Path) ? "" : "  LEFT OUT: no call site reaches it"));
                        foreach (Reason reason in mount.Reasons)
                        {
                            lines.Add("      " + Where(reason) + "  " + reason.Text);
                        }
                    }
                }

                if (plan.Nets.Count > 0)
                {
                    lines.Add("");
                    lines.Add("Network");
                    foreach (NetPlan net in plan.Nets)
                    {
                        lines.Add("  " + net.Name + "  " + net.Type + (net.Device.Length > 0 ? " " + net.Device : "") + ", "
                            + net.Address + "/" + net.PrefixLength.ToString(CultureInfo.InvariantCulture)
                            + (net.Gateway.Length > 0 ? ", gateway " + net.Gateway : "")
                            + (net.Dns.Count > 0 ? ", dns " + string.Join(",", net.Dns) : "")
                            + (net.Forward.Count > 0 ? ", forwards host port " + string.Join(",", net.Forward.Select(p => p.ToString(CultureInfo.InvariantCulture))) : "")
                            + (net.ForwardUdp.Count > 0 ? ", forwards host UDP port " + string.Join(",", net.ForwardUdp.Select(p => p.ToString(CultureInfo.InvariantCulture))) : "")
                            + (net.Addresses6.Count == 0 ? ""
                                : net.Addresses6.Contains(NetTable.Auto6) ? ", ipv6 from passt's router advertisement (its prefix and the MAC) and its link-local address"
                                : ", ipv6 " + string.Join(",", net.Addresses6) + " and its link-local address" + (net.Type == "passt" ? ", router from passt's advertisement" : ""))
                            + (net.Gateway6.Length > 0 ? ", gateway6 " + net.Gateway6 : "")
                            + "  " + net.Source);
                    }
                }

                lines.Add("");
                lines.Add("Devices");
                bool anyDevice = false;
                foreach ((string kind, GraphSymbol symbol) in Devices(image, pruner).OrderBy(d => d.Kind, StringComparer.Ordinal))
                {
                    anyDevice = true;
                    lines.Add("  " + kind + "  " + symbol.DisplayName + "  <- " + pruner.WhyKept(symbol.Id));
                }

                if (!anyDevice)
                {
                    lines.Add("  none");
                }

                Dictionary<string, SortedSet<string>> nativeByFolder = NativeFunctionsByFolder(image, pruner, plan, out SortedDictionary<string, SortedSet<string>> partsByFunction);
                lines.Add("");
                lines.Add("Libraries");
                foreach (string folder in pruner.Folders)
                {
                    string summary = image.LibraryByFolder.TryGetValue(folder, out GraphLibrary? library) ? library.Summary : "";
                    lines.Add("  " + LibraryName(image, folder) + (summary.Length > 0 ? "  " + summary : ""));
                    if (nativeByFolder.TryGetValue(folder, out SortedSet<string>? functions))
                    {
                        lines.Add("      native layer: " + string.Join(", ", functions));
                    }

                    var syscalls = implemented.Where(n => image.Graph.Symbols[image.SyscallSymbols[n]].Folder == folder).Select(image.SyscallName).ToList();
                    if (syscalls.Count > 0)
                    {
                        lines.Add("      provides " + string.Join(", ", syscalls));
                    }
                    else
                    {
                        // The member that brought the library in, with the chain from the program to it.
                        int cause = pruner.FolderCause(folder);
                        if (cause >= 0)
                        {
                            lines.Add("      needed by " + pruner.WhyKept(cause));
                        }
                    }
                }

                if (partsByFunction.Count > 0 || (plan.Config.NativeLayer && plan.Entry is not null))
                {
                    lines.Add("");
                    HashSet<string>? imports = plan.Config.Specialize ? Plan.ParseImports(plan.Config.NativeImports) : null;
                    lines.Add(imports is null
                        ? "Native layer (every function the kernel serves: the link's import list is not known to this compile)"
                        : "Native layer (the functions the NativeAOT link imports that the kernel serves; the link's import list names " + imports.Count + ", the runtime's reviewed helpers left out)");
                    foreach (KeyValuePair<string, SortedSet<string>> function in partsByFunction)
                    {
                        lines.Add("  " + function.Key + "  needs " + string.Join(", ", function.Value));
                    }

                    if (partsByFunction.Count == 0)
                    {
                        lines.Add("  none");
                    }
                }

                if (Confined(plan))
                {
                    lines.Add("");
                    lines.Add("Confinement (seccomp, UnikraftConfinement=false turns it off)");
                    lines.Add("  refused with EPERM once booted: " + HostedConfinementSummary);
                    lines.Add("  the supervisor: this executable started again before the filter, a process of its own that names each refusal in the kernel log");
                    lines.Add("  in a NativeAOT image, only these are allowed once booted (the rest refused with EPERM, and the kernel log names each, an open with its path):");
                    lines.Add("    the runtime: " + ConfinementRuntimeCalls);
                    if (plan.Mounts.Any(m => m.Type == "hostfs") || HasTrustStore(plan))
                    {
                        lines.Add("    the host folders: " + ConfinementHostFolderCalls);
                    }

                    if (HasTrustStore(plan))
                    {
                        lines.Add("    OpenSSL's reads of the trusted roots by path, beneath the trust store's folders and " + ConfinementTrustStoreLinks
                            + " (named, and decided by Landlock)");
                    }

                    if (plan.Nets.Any(n => n.Type == "passt"))
                    {
                        lines.Add("    passt: " + ConfinementPasstCalls);
                    }

                    if (LinksOpenSsl(plan))
                    {
                        lines.Add("    OpenSSL is loaded at boot: " + (plan.Config.Specialize && Plan.ParseImports(plan.Config.NativeImports) is not null
                            ? "the link's import list names its shim" : "the link's import list is not known to this compile"));
                    }

                    lines.Add("  under dotnet run (JIT), the same list and the runtime's calls by path: " + ConfinementJitCalls
                        + "; the kernel log names every refusal");
                    lines.Add("    opens by path only beneath (Landlock): the runtime's folders (those of its trusted assemblies, the app's own, the native search folders), "
                        + "its own /proc/<pid>, /dev/null, " + ConfinementJitSystemFolders
                        + (plan.Mounts.Any(m => m.Type == "hostfs") ? ", and the host folders" : "")
                        + (HasTrustStore(plan) ? ", the trust store's folders (read only), " + ConfinementTrustStoreLinks : "")
                        + "; elsewhere refused with EPERM and named with its path (Landlock refuses with EACCES where a link inside leads out); without Landlock on the host, only the first line is refused");
                }

                if (plan.Config.Platform == "microvm")
                {
                    lines.Add("");
                    lines.Add("Virtual machine (QEMU microvm; the boot and trap layer in kernel/Platform/MicroVm/shim)");
                    lines.Add("  devices: serial line COM1 (console, fds 1 and 2), TSC calibrated on the PIT (clock), CMOS RTC (wall clock at boot), RDRAND (random), isa-debug-exit (exit status)");
                    foreach (NetPlan net in plan.Nets.Where(n => n.Type == "virtio"))
                    {
                        lines.Add("  device: virtio-net on virtio-mmio (" + net.Name + "; the runner gives it QEMU's user network"
                            + (net.Forward.Count > 0 ? ", host port " + string.Join(",", net.Forward.Select(p => p.ToString(CultureInfo.InvariantCulture))) + " forwarded" : "") + ")");
                    }
                    lines.Add("  runtime syscalls served by the shim (" + MicroVmShimSyscalls.Length + "), the rest answer ENOSYS:");
                    foreach (string served in MicroVmShimSyscalls)
                    {
                        lines.Add("    " + served);
                    }
                }

                if (plan.Runtime is { PublishAot: true } runtime)
                {
                    lines.Add("");
                    lines.AddRange(RuntimeSection(runtime));
                }

                lines.Add("");
                lines.Add("Boot steps, in order");
                if (pruner.BootSteps.Count == 0)
                {
                    lines.Add("  none");
                }

                foreach (GraphSymbol step in pruner.BootSteps)
                {
                    lines.Add("  " + step.BootOrder + "  " + step.DisplayName + "  (library " + LibraryName(image, step.Folder) + ")");
                }

                lines.Add("");
                lines.Add("Kernel source: " + filesEmitted + " of " + filesTotal + " files, " + keptMembers + " of " + (keptMembers + removedMembers) + " members");
                var writer = new StringBuilder();
                writer.Append(GeneratedOutput.Header(image.Graph.SourceHash));
                writer.Append("// The kernel manifest: every syscall, device and library in this kernel, with why it is here.\n");
                writer.Append("// It is also written beside the build output as ").Append(name).Append(".kernel.txt.\n");
                writer.Append("// BEGIN MANIFEST\n");
                foreach (string line in lines)
                {
                    writer.Append(line.Length == 0 ? "//" : "// " + line).Append('\n');
                }

                writer.Append("// END MANIFEST\n");
                return writer.ToString();
            }
        }
    }
}
