using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Net;
using System.Text;
using Unikraft.Gen.Graph;
using Unikraft.Gen.Helpers;
using Unikraft.Gen.Kernel;
using Unikraft.Gen.Model;
using Unikraft.Gen.Support;

namespace Unikraft.Gen
{
    public sealed partial class KernelGenerator
    {
        // The kernel report: the manifest as a page to look at. One HTML file with no external
        // asset (styles inline, the library graph as inline SVG, no script), written beside the
        // build output as <Assembly>.kernel.html by UnikraftWriteReport (Unikraft.Gen.targets),
        // which also fills in what only the build knows: the difference from the previous build
        // (from the facts block at the end of the previous report) and the initrd archives' sizes.
        // A generator cannot write files, so the page travels as a comment-only source file.
        internal static class Report
        {
            // Markers the build step replaces.
            public const string ChangesMarker = "<!--UK-CHANGES-->";
            public const string FactsBegin = "<!--UK-FACTS";
            public const string FactsEnd = "UK-FACTS-->";

            public static string Html(KernelImage image, Pruner pruner, KernelPlan plan, SortedSet<int> implemented,
                Dictionary<int, EquatableArray<Reason>> reasonsBySyscall)
            {
                string name = plan.Config.AssemblyName.Length > 0 ? plan.Config.AssemblyName : "the program";
                var facts = new List<string>();
                var html = new StringBuilder();
                html.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
                html.Append("<title>Kernel report: ").Append(E(name)).Append("</title>\n");
                html.Append("<style>\n")
                    .Append("body{font-family:system-ui,sans-serif;margin:2em;color:#1b1b1b;max-width:72em}\n")
                    .Append("h1{font-size:1.5em}h2{font-size:1.2em;margin-top:1.6em;border-bottom:1px solid #ccc}\n")
                    .Append("table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:.25em .6em;text-align:left;vertical-align:top;font-size:.9em}\n")
                    .Append("th{background:#f0f0f0}.stub{color:#888}.present{color:#0a6b2d;font-weight:600}.off{color:#888}.kept{color:#0a6b2d;font-weight:600}\n")
                    .Append("code{font-family:ui-monospace,monospace;font-size:.95em}ul.changes{font-family:ui-monospace,monospace}\n")
                    .Append("svg text{font-family:system-ui,sans-serif;font-size:12px}\n")
                    .Append("</style>\n</head>\n<body>\n");
                html.Append("<h1>Kernel of ").Append(E(name)).Append(" (platform ").Append(E(plan.Config.Platform)).Append(")</h1>\n");
                html.Append("<p id=\"summary\">").Append(implemented.Count).Append(" syscalls implemented, ").Append(image.SyscallSymbols.Count - implemented.Count)
                    .Append(" stubbed; ").Append(pruner.Folders.Count).Append(" libraries; ")
                    .Append(Emit.Devices(image, pruner).Select(d => d.Kind).Distinct().Count()).Append(" devices. ")
                    .Append("The same facts as text: <code>").Append(E(name)).Append(".kernel.txt</code>; the kernel's sources: <code>obj/…/generated/</code>.</p>\n");

                html.Append("<h2 id=\"changes\">Since the previous build</h2>\n").Append(ChangesMarker).Append('\n');

                // Libraries: the graph, then the table with what pulls each one in.
                var folders = pruner.Folders.ToList();
                var libraryNames = folders.Select(f => Emit.LibraryName(image, f)).ToList();
                var pulledBy = new Dictionary<string, List<string>>(StringComparer.Ordinal);
                foreach (string folder in folders)
                {
                    var sites = new List<string>();
                    foreach (int number in implemented)
                    {
                        if (image.Graph.Symbols[image.SyscallSymbols[number]].Folder == folder && reasonsBySyscall.TryGetValue(number, out EquatableArray<Reason> reasons))
                        {
                            foreach (Reason reason in reasons)
                            {
                                string site = Emit.Where(reason) + " " + reason.Text + " (" + image.SyscallName(number) + ")";
                                if (!sites.Contains(site))
                                {
                                    sites.Add(site);
                                }
                            }
                        }
                    }

                    if (sites.Count == 0)
                    {
                        int cause = pruner.FolderCause(folder);
                        if (cause >= 0)
                        {
                            sites.Add(pruner.WhyKept(cause));
                        }
                    }

                    pulledBy[folder] = sites;
                    facts.Add("library " + Emit.LibraryName(image, folder) + "\t" + (sites.Count > 0 ? sites[0] : ""));
                }

                html.Append("<h2>Libraries</h2>\n");
                html.Append(Graph(image, folders, pulledBy));
                html.Append("<table id=\"libraries\">\n<tr><th>library</th><th>what it is</th><th>pulled in by</th></tr>\n");
                foreach (string folder in folders)
                {
                    string summary = image.LibraryByFolder.TryGetValue(folder, out GraphLibrary? library) ? library.Summary : "";
                    html.Append("<tr><td><code>").Append(E(Emit.LibraryName(image, folder))).Append("</code></td><td>").Append(E(summary)).Append("</td><td>")
                        .Append(string.Join("<br>", pulledBy[folder].Take(6).Select(E)))
                        .Append(pulledBy[folder].Count > 6 ? "<br>and " + (pulledBy[folder].Count - 6) + " more" : "")
                        .Append("</td></tr>\n");
                }

                html.Append("</table>\n");

                // Syscalls: every one the kernel knows, present or stub.
                html.Append("<h2>Syscalls</h2>\n<table id=\"syscalls\">\n<tr><th>number</th><th>syscall</th><th>state</th><th>library</th><th>call sites</th></tr>\n");
                // Every syscall the kernel knows: what the program does not need is a stub, whether
                // its file was emitted (with the stub in it) or left out whole.
                foreach (int number in image.SyscallSymbols.Keys.OrderBy(n => n))
                {
                    bool present = implemented.Contains(number);
                    GraphSymbol symbol = image.Graph.Symbols[image.SyscallSymbols[number]];
                    string sites = present && reasonsBySyscall.TryGetValue(number, out EquatableArray<Reason> reasons)
                        ? string.Join("<br>", reasons.Take(6).Select(r => E(Emit.Where(r) + " " + r.Text))) + (reasons.Count > 6 ? "<br>and " + (reasons.Count - 6) + " more" : "")
                        : present ? E("kernel: " + pruner.WhyKept(symbol.Id)) : "";
                    html.Append("<tr class=\"").Append(present ? "present" : "stub").Append("\"><td>").Append(number).Append("</td><td><code>")
                        .Append(E(image.SyscallName(number))).Append("</code></td><td>").Append(present ? "present" : "stub (-ENOSYS)").Append("</td><td>")
                        .Append(E(Emit.LibraryName(image, symbol.Folder))).Append("</td><td>").Append(sites).Append("</td></tr>\n");
                    if (present)
                    {
                        facts.Add("syscall " + image.SyscallName(number) + "\t" + (reasonsBySyscall.TryGetValue(number, out EquatableArray<Reason> first) && first.Count > 0 ? Emit.Where(first[0]) + " " + first[0].Text : "the kernel itself"));
                    }
                }

                html.Append("</table>\n");

                // The native functions the kernel serves in a NativeAOT link.
                html.Append("<h2>Native functions served</h2>\n");
                var native = plan.Uses.Where(u => u.File == Plan.NativeLayerFile).Select(u => u.Display).Distinct().OrderBy(n => n, StringComparer.Ordinal).ToList();
                if (native.Count == 0)
                {
                    html.Append("<p id=\"native-functions\">None: the BCL's native layer stays the host's (only a NativeAOT publish on hosted links it to the kernel).</p>\n");
                }
                else
                {
                    html.Append("<table id=\"native-functions\">\n<tr><th>function</th></tr>\n");
                    foreach (string function in native)
                    {
                        html.Append("<tr><td><code>").Append(E(function)).Append("</code></td></tr>\n");
                        facts.Add("native " + function + "\tthe NativeAOT link");
                    }

                    html.Append("</table>\n");
                }

                // Devices.
                html.Append("<h2>Devices</h2>\n<table id=\"devices\">\n<tr><th>kind</th><th>driver</th><th>why</th></tr>\n");
                foreach ((string kind, GraphSymbol symbol) in Emit.Devices(image, pruner).OrderBy(d => d.Kind, StringComparer.Ordinal))
                {
                    html.Append("<tr><td>").Append(E(kind)).Append("</td><td><code>").Append(E(symbol.DisplayName)).Append("</code></td><td>")
                        .Append(E(pruner.WhyKept(symbol.Id))).Append("</td></tr>\n");
                    facts.Add("device " + kind + "\t" + pruner.WhyKept(symbol.Id));
                }

                html.Append("</table>\n");

                // Mounts, with their sizes.
                html.Append("<h2>Mounts</h2>\n<table id=\"mounts\">\n<tr><th>path</th><th>type</th><th>size</th><th>source</th><th>state</th></tr>\n");
                var booted = new HashSet<string>(Plan.Booted(plan.Mounts).Select(m => m.Path), StringComparer.Ordinal);
                foreach (MountPlan mount in plan.Mounts)
                {
                    string size = mount.Type == "initrd" ? "<!--UK-INITRD-SIZE " + E(mount.Path) + "-->"
                        : mount.Type == "ramfs" ? Bytes(mount.CapacityBytes) + " limit"
                        : mount.Type == "hostfs" ? "the host folder's" : "";
                    bool used = booted.Contains(mount.Path);
                    html.Append("<tr><td><code>").Append(E(mount.Path)).Append("</code></td><td>").Append(E(mount.Type + (mount.ReadOnly ? ", read-only" : ""))).Append("</td><td>")
                        .Append(size).Append("</td><td>").Append(E(mount.Type == "hostfs" ? mount.Source : "")).Append("</td><td>")
                        .Append(used ? "mounted" : "left out: no call site reaches it").Append("</td></tr>\n");
                    if (used)
                    {
                        facts.Add("mount " + mount.Path + " " + mount.Type + "\t" + (mount.Reasons.Count > 0 ? Emit.Where(mount.Reasons[0]) + " " + mount.Reasons[0].Text : "the project file"));
                    }
                }

                html.Append("</table>\n");

                // Runtime features.
                html.Append("<h2>Runtime features</h2>\n");
                if (plan.Runtime is { PublishAot: true } runtime)
                {
                    html.Append("<table id=\"runtime-features\">\n<tr><th>feature</th><th>choice</th><th>switch</th><th>why</th></tr>\n");
                    foreach (RuntimeFeature feature in runtime.Features)
                    {
                        RuntimeSwitch which = Runtime.Switches.First(s => s.Name == feature.Name);
                        string choice = feature.Choice switch
                        {
                            RuntimeChoice.Off => "off",
                            RuntimeChoice.Kept => "kept",
                            RuntimeChoice.SetInProject => "set in the project",
                            _ => "not specialized",
                        };
                        string value = feature.Choice == RuntimeChoice.Off ? which.OffValue : feature.ProjectValue;
                        string why = feature.Choice == RuntimeChoice.Off ? "nothing in the program uses it; removed: " + which.Removes
                            : feature.Reasons.Count > 0 ? string.Join("; ", feature.Reasons.Take(3).Select(r => Emit.Where(r) + " " + r.Text))
                            : "";
                        html.Append("<tr class=\"").Append(feature.Choice == RuntimeChoice.Off ? "off" : "kept").Append("\"><td>").Append(E(feature.Name)).Append("</td><td>")
                            .Append(choice).Append("</td><td><code>").Append(E(value.Length > 0 ? which.Property + "=" + value : which.Property)).Append("</code></td><td>")
                            .Append(E(why)).Append("</td></tr>\n");
                        facts.Add("runtime " + feature.Name + " " + choice + "\t" + (feature.Reasons.Count > 0 ? Emit.Where(feature.Reasons[0]) + " " + feature.Reasons[0].Text : ""));
                    }

                    html.Append("</table>\n");
                }
                else
                {
                    html.Append("<p id=\"runtime-features\">Chosen in a NativeAOT publish (<code>-p:PublishAot=true</code>); this build runs on the JIT with .NET's own runtime.</p>\n");
                }

                // What the next build compares itself with: one fact per line, "kind name<TAB>first reason".
                html.Append(FactsBegin).Append('\n');
                foreach (string fact in facts.OrderBy(f => f, StringComparer.Ordinal))
                {
                    html.Append(fact.Replace("--", "- -")).Append('\n');
                }

                html.Append(FactsEnd).Append("\n</body>\n</html>\n");

                // As a comment-only source file; UnikraftWriteReport takes the lines between the markers.
                var source = new StringBuilder();
                source.Append(GeneratedOutput.Header(image.Graph.SourceHash));
                source.Append("// The kernel report, written beside the build output as ").Append(name).Append(".kernel.html.\n");
                source.Append("// BEGIN REPORT\n");
                foreach (string line in html.ToString().TrimEnd('\n').Split('\n'))
                {
                    source.Append("// ").Append(line).Append('\n');
                }

                source.Append("// END REPORT\n");
                return source.ToString();
            }

            // The libraries as a graph: the program on the left, each library in the column of its
            // longest chain of needs from the program; an arrow for each library the program's call
            // sites pull in directly and for each need between kept libraries.
            private static string Graph(KernelImage image, List<string> folders, Dictionary<string, List<string>> pulledBy)
            {
                var byName = new Dictionary<string, string>(StringComparer.Ordinal);
                foreach (string folder in folders)
                {
                    byName[Emit.LibraryName(image, folder)] = folder;
                }

                List<string> Needs(string folder) =>
                    image.LibraryByFolder.TryGetValue(folder, out GraphLibrary? library)
                        ? library.Needs.Where(byName.ContainsKey).Select(n => byName[n]).Where(n => n != folder).ToList()
                        : new List<string>();

                var needed = new HashSet<string>(folders.SelectMany(Needs), StringComparer.Ordinal);
                var column = new Dictionary<string, int>(StringComparer.Ordinal);
                int Depth(string folder, int guard)
                {
                    if (column.TryGetValue(folder, out int known))
                    {
                        return known;
                    }

                    // A library no kept library needs hangs from the program; one that is needed
                    // sits right of the deepest library that needs it.
                    int depth = 1;
                    if (guard < folders.Count)
                    {
                        foreach (string other in folders)
                        {
                            if (Needs(other).Contains(folder))
                            {
                                depth = Math.Max(depth, Depth(other, guard + 1) + 1);
                            }
                        }
                    }

                    column[folder] = depth;
                    return depth;
                }

                foreach (string folder in folders)
                {
                    Depth(folder, 0);
                }

                const int boxWidth = 130, boxHeight = 28, columnGap = 60, rowGap = 14, margin = 10;
                var rows = new Dictionary<int, int>();
                var position = new Dictionary<string, (int X, int Y)>(StringComparer.Ordinal);
                foreach (string folder in folders.OrderBy(f => column[f]).ThenBy(f => Emit.LibraryName(image, f), StringComparer.Ordinal))
                {
                    int c = column[folder];
                    rows.TryGetValue(c, out int row);
                    rows[c] = row + 1;
                    position[folder] = (margin + c * (boxWidth + columnGap), margin + row * (boxHeight + rowGap));
                }

                int maxRows = Math.Max(1, rows.Count == 0 ? 1 : rows.Values.Max());
                int width = margin * 2 + ((rows.Count == 0 ? 0 : rows.Keys.Max()) + 1) * (boxWidth + columnGap);
                int height = margin * 2 + maxRows * (boxHeight + rowGap);
                (int X, int Y) program = (margin, margin + (height - 2 * margin - boxHeight) / 2);

                var svg = new StringBuilder();
                svg.Append("<svg id=\"library-graph\" xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" aria-label=\"the kernel's libraries\" width=\"")
                    .Append(width).Append("\" height=\"").Append(height).Append("\" viewBox=\"0 0 ").Append(width).Append(' ').Append(height).Append("\">\n");
                svg.Append("<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"6\" markerHeight=\"6\" orient=\"auto-start-reverse\"><path d=\"M0,0L10,5L0,10z\" fill=\"#555\"/></marker></defs>\n");
                void Edge((int X, int Y) from, (int X, int Y) to, string kind)
                {
                    svg.Append("<line class=\"").Append(kind).Append("\" x1=\"").Append(from.X + boxWidth).Append("\" y1=\"").Append(from.Y + boxHeight / 2)
                        .Append("\" x2=\"").Append(to.X).Append("\" y2=\"").Append(to.Y + boxHeight / 2)
                        .Append("\" stroke=\"").Append(kind == "calls" ? "#0a6b2d" : "#555").Append("\" marker-end=\"url(#arrow)\"/>\n");
                }

                foreach (string folder in folders)
                {
                    if (!needed.Contains(folder) || pulledBy[folder].Any(s => !s.StartsWith("Kernel", StringComparison.Ordinal)))
                    {
                        Edge(program, position[folder], "calls");
                    }

                    foreach (string need in Needs(folder))
                    {
                        Edge(position[folder], position[need], "needs");
                    }
                }

                void Box((int X, int Y) at, string label, string title, string fill)
                {
                    svg.Append("<g class=\"library\"><title>").Append(E(title)).Append("</title><rect x=\"").Append(at.X).Append("\" y=\"").Append(at.Y)
                        .Append("\" width=\"").Append(boxWidth).Append("\" height=\"").Append(boxHeight).Append("\" rx=\"5\" fill=\"").Append(fill)
                        .Append("\" stroke=\"#333\"/><text x=\"").Append(at.X + boxWidth / 2).Append("\" y=\"").Append(at.Y + boxHeight / 2 + 4)
                        .Append("\" text-anchor=\"middle\">").Append(E(label)).Append("</text></g>\n");
                }

                Box(program, "program", "the program's call sites", "#fff5d6");
                foreach (string folder in folders)
                {
                    Box(position[folder], Emit.LibraryName(image, folder), string.Join("\n", pulledBy[folder].Take(4)), "#e3f0ff");
                }

                svg.Append("</svg>\n");
                return svg.ToString();
            }

            private static string Bytes(long bytes) =>
                bytes <= 0 ? "no" : bytes % (1024 * 1024) == 0 ? (bytes / (1024 * 1024)).ToString(CultureInfo.InvariantCulture) + " MiB"
                : bytes % 1024 == 0 ? (bytes / 1024).ToString(CultureInfo.InvariantCulture) + " KiB"
                : bytes.ToString("N0", CultureInfo.InvariantCulture) + " B";

            // Text for HTML, and safe inside the comment-only source file it travels in.
            private static string E(string text) => WebUtility.HtmlEncode(text.Replace('\n', ' ').Replace('\r', ' '));
        }
    }
}
