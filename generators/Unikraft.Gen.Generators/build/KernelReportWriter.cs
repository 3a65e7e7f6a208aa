// Runs in MSBuild after the compile (UnikraftWriteReport in Unikraft.Gen.targets). The generator
// makes the kernel report as a page (KernelGenerator.Report.cs) but cannot write files, and does
// not know the build's history: this takes the page out of the comment-only source it travels in,
// fills in the difference from the report it replaces (by the facts block it adds at the end of
// the page, read from the manifest, which holds every fact already) and the initrd archives'
// sizes, writes <AssemblyName>.kernel.html beside the build output, and logs the one-line build
// summary.
#nullable enable
using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;

namespace Unikraft.Gen.Build
{
    // The report's text work, apart from MSBuild.
    public static class KernelReport
    {
        private const string ChangesMarker = "<!--UK-CHANGES-->";
        private const string FactsBegin = "<!--UK-FACTS\n";
        private const string FactsEnd = "UK-FACTS-->";
        private const string ChangeListStart = "<ul id=\"change-list\"";

        // The page between "// BEGIN REPORT" and "// END REPORT" of the generated source (or the
        // text between other markers: the manifest's "MANIFEST").
        public static string FromGeneratedSource(string source, string marker = "REPORT")
        {
            var page = new StringBuilder();
            bool inside = false;
            foreach (string line in source.Split('\n'))
            {
                string text = line.TrimEnd('\r');
                if (text == "// BEGIN " + marker)
                {
                    inside = true;
                }
                else if (text == "// END " + marker)
                {
                    break;
                }
                else if (inside)
                {
                    page.Append(text.StartsWith("// ", StringComparison.Ordinal) ? text.Substring(3) : text.TrimStart('/')).Append('\n');
                }
            }

            return page.ToString();
        }

        // The facts block at the end of a report: "kind name" -> the first reason.
        public static Dictionary<string, string> Facts(string page)
        {
            var facts = new Dictionary<string, string>(StringComparer.Ordinal);
            int begin = page.IndexOf(FactsBegin, StringComparison.Ordinal);
            int end = page.IndexOf(FactsEnd, StringComparison.Ordinal);
            if (begin < 0 || end < begin)
            {
                return facts;
            }

            foreach (string line in page.Substring(begin + FactsBegin.Length, end - begin - FactsBegin.Length).Split('\n'))
            {
                int tab = line.IndexOf('\t');
                if (tab > 0)
                {
                    facts[line.Substring(0, tab)] = line.Substring(tab + 1);
                }
            }

            return facts;
        }

        // The facts of a manifest (Unikraft.Manifest.g.cs, KernelGenerator.Emit.Manifest): "kind name"
        // -> the first reason, for each syscall, library, device, mount, native function and runtime
        // feature choice: what the next build compares itself with.
        public static SortedDictionary<string, string> FactsOfManifest(string manifest)
        {
            var facts = new SortedDictionary<string, string>(StringComparer.Ordinal);
            var syscallReasons = new Dictionary<string, string>(StringComparer.Ordinal);
            string[] lines = manifest.Replace("\r", "").Split('\n');
            string section = "";
            for (int index = 0; index < lines.Length; index++)
            {
                string line = lines[index];
                if (line.Length > 0 && line[0] != ' ')
                {
                    section = line;
                    continue;
                }

                if (!line.StartsWith("  ", StringComparison.Ordinal) || line.StartsWith("   ", StringComparison.Ordinal) || line == "  none")
                {
                    continue;
                }

                string entry = line.Substring(2);
                string detail = index + 1 < lines.Length && lines[index + 1].StartsWith("      ", StringComparison.Ordinal) ? lines[index + 1].Substring(6) : "";
                string first = Reason(detail);
                if (section.StartsWith("Syscalls:", StringComparison.Ordinal) && !entry.StartsWith("stubbed:", StringComparison.Ordinal))
                {
                    string name = Before(entry, " (");
                    string why = detail.Length == 0 || detail.StartsWith("kernel: ", StringComparison.Ordinal) ? "the kernel itself" : first;
                    facts["syscall " + name] = why;
                    syscallReasons[name] = why;
                }
                else if (section == "Libraries")
                {
                    string why = "";
                    for (int next = index + 1; next < lines.Length && lines[next].StartsWith("      ", StringComparison.Ordinal); next++)
                    {
                        string about = lines[next].Substring(6);
                        if (about.StartsWith("provides ", StringComparison.Ordinal))
                        {
                            foreach (string syscall in about.Substring(9).Split(new[] { ", " }, StringSplitOptions.None))
                            {
                                if (syscallReasons.TryGetValue(syscall, out string? reason) && reason != "the kernel itself")
                                {
                                    why = reason + " (" + syscall + ")";
                                    break;
                                }
                            }
                        }
                        else if (about.StartsWith("needed by ", StringComparison.Ordinal))
                        {
                            why = about.Substring(10);
                        }
                    }

                    facts["library " + Before(entry, "  ")] = why;
                }
                else if (section == "Devices")
                {
                    int arrow = entry.IndexOf("  <- ", StringComparison.Ordinal);
                    facts["device " + Before(entry, "  ")] = arrow < 0 ? "" : entry.Substring(arrow + 5);
                }
                else if (section == "Mounts" && !entry.Contains("  LEFT OUT"))
                {
                    string path = Before(entry, "  ");
                    string type = Before(Before(entry.Substring(path.Length).TrimStart(), ","), "  ");
                    facts["mount " + path + " " + type] = detail.Length > 0 ? first : "the project file";
                }
                else if (section.StartsWith("Native layer", StringComparison.Ordinal))
                {
                    facts["native " + Before(entry, "  ")] = "the NativeAOT link";
                }
                else if (section.StartsWith("Runtime features", StringComparison.Ordinal))
                {
                    string[] parts = entry.Split(new[] { "  " }, StringSplitOptions.None);
                    string choice = parts.Length > 1 ? Before(parts[1], " (") : "";
                    string why = choice == "kept" ? first : choice == "set in the project" && detail.StartsWith("used at ", StringComparison.Ordinal) ? Reason(detail.Substring(8)) : "";
                    facts["runtime " + parts[0] + " " + choice] = why;
                }
            }

            return facts;
        }

        // A manifest's reason line, "where  what", as one phrase: "where what".
        private static string Reason(string detail)
        {
            int gap = detail.IndexOf("  ", StringComparison.Ordinal);
            return gap < 0 ? detail : detail.Substring(0, gap) + " " + detail.Substring(gap + 2);
        }

        private static string Before(string text, string separator)
        {
            int at = text.IndexOf(separator, StringComparison.Ordinal);
            return at < 0 ? text : text.Substring(0, at);
        }

        // The facts block at the end of a page, which the next build reads back (Facts).
        private static string FactsBlock(IDictionary<string, string> facts)
        {
            var block = new StringBuilder(FactsBegin);
            foreach (KeyValuePair<string, string> fact in facts)
            {
                block.Append((fact.Key + "\t" + fact.Value).Replace("--", "- -")).Append('\n');
            }

            return block.Append(FactsEnd).Append('\n').ToString();
        }

        // The list of differences: what came in with the call site that brought it, what went. With
        // nothing come or gone, the previous report's list stays (the last change that mattered).
        public static string Changes(string? previous, IDictionary<string, string> now)
        {
            Dictionary<string, string>? before = previous is null ? null : Facts(previous);
            if (previous is null || before is null || before.Count == 0)
            {
                return ChangeListStart + " class=\"changes\"><li>The first build with a report: nothing to compare with.</li></ul>";
            }

            var items = new List<string>();
            foreach (KeyValuePair<string, string> fact in now)
            {
                if (!before.ContainsKey(fact.Key))
                {
                    items.Add("<li class=\"added\">+" + WebUtility.HtmlEncode(fact.Key) + (fact.Value.Length > 0 ? " because of " + WebUtility.HtmlEncode(fact.Value) : "") + "</li>");
                }
            }

            foreach (KeyValuePair<string, string> fact in before)
            {
                if (!now.ContainsKey(fact.Key))
                {
                    items.Add("<li class=\"removed\">-" + WebUtility.HtmlEncode(fact.Key) + (fact.Value.Length > 0 ? " (was there because of " + WebUtility.HtmlEncode(fact.Value) + ")" : "") + "</li>");
                }
            }

            int kept = previous.IndexOf(ChangeListStart, StringComparison.Ordinal);
            int keptEnd = kept < 0 ? -1 : previous.IndexOf("</ul>", kept, StringComparison.Ordinal);
            if (items.Count == 0 && keptEnd > kept)
            {
                return previous.Substring(kept, keptEnd + 5 - kept);
            }

            items.Sort(StringComparer.Ordinal);
            return ChangeListStart + " class=\"changes\">" + (items.Count == 0 ? "<li>No change in what the kernel holds.</li>" : string.Join("", items)) + "</ul>";
        }

        // The finished page: the differences, the facts block, and each initrd mount's archive size
        // (the archive UnikraftPrepareMounts packs into obj/.../unikraft/).
        public static string Complete(string page, string manifest, string? previous, string intermediateDirectory)
        {
            SortedDictionary<string, string> facts = FactsOfManifest(manifest);
            string html = page.Replace(ChangesMarker, Changes(previous, facts));
            int end = html.LastIndexOf("</body>", StringComparison.Ordinal);
            html = end < 0 ? html + FactsBlock(facts) : html.Substring(0, end) + FactsBlock(facts) + html.Substring(end);
            return Regex.Replace(html, "<!--UK-INITRD-SIZE ([^>]*?)-->", match =>
            {
                string mount = WebUtility.HtmlDecode(match.Groups[1].Value);
                string archive = Path.Combine(intermediateDirectory, "unikraft", "initrd" + mount.Replace('/', '_') + ".cpio");
                return File.Exists(archive)
                    ? new FileInfo(archive).Length.ToString("N0", CultureInfo.InvariantCulture) + " B (cpio archive in the program)"
                    : "unknown (no archive at " + WebUtility.HtmlEncode(archive) + ")";
            });
        }
    }

#if !UNIKRAFT_REPORT_ONLY
    public sealed class KernelReportTask : Microsoft.Build.Utilities.Task
    {
        [Microsoft.Build.Framework.Required]
        public string GeneratedReport { get; set; } = "";

        [Microsoft.Build.Framework.Required]
        public string GeneratedManifest { get; set; } = "";

        [Microsoft.Build.Framework.Required]
        public string Output { get; set; } = "";

        [Microsoft.Build.Framework.Required]
        public string IntermediateDirectory { get; set; } = "";

        [Microsoft.Build.Framework.Required]
        public string ProgramName { get; set; } = "";

        public override bool Execute()
        {
            string page = KernelReport.FromGeneratedSource(File.ReadAllText(GeneratedReport));
            string output = Path.GetFullPath(Output);
            string? previous = File.Exists(output) ? File.ReadAllText(output) : null;
            string manifest = File.Exists(GeneratedManifest) ? KernelReport.FromGeneratedSource(File.ReadAllText(GeneratedManifest), "MANIFEST") : "";
            string html = KernelReport.Complete(page, manifest, previous, IntermediateDirectory);
            if (previous != html)
            {
                Directory.CreateDirectory(Path.GetDirectoryName(output)!);
                File.WriteAllText(output, html);
            }

            int syscalls = 0, libraries = 0, devices = 0;
            foreach (string fact in KernelReport.Facts(html).Keys)
            {
                if (fact.StartsWith("syscall ", StringComparison.Ordinal))
                {
                    syscalls++;
                }
                else if (fact.StartsWith("library ", StringComparison.Ordinal))
                {
                    libraries++;
                }
                else if (fact.StartsWith("device ", StringComparison.Ordinal))
                {
                    devices++;
                }
            }

            Log.LogMessage(Microsoft.Build.Framework.MessageImportance.High,
                "Unikraft.Gen: {0} on a kernel of {1} syscalls, {2} libraries, {3} devices; kernel report: {4}",
                ProgramName, syscalls, libraries, devices, output);
            return true;
        }
    }
#endif
}
