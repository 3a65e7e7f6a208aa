// Runs in MSBuild after the compile (UnikraftWriteReport in Unikraft.Gen.targets). The generator
// makes the kernel report as a page (KernelGenerator.Report.cs) but cannot write files, and does
// not know the build's history: this takes the page out of the comment-only source it travels in,
// fills in the difference from the report it replaces and the initrd archives' sizes, writes
// <AssemblyName>.kernel.html beside the build output, and logs the one-line build summary.
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

        // The page between "// BEGIN REPORT" and "// END REPORT" of the generated source.
        public static string FromGeneratedSource(string source)
        {
            var page = new StringBuilder();
            bool inside = false;
            foreach (string line in source.Split('\n'))
            {
                string text = line.TrimEnd('\r');
                if (text == "// BEGIN REPORT")
                {
                    inside = true;
                }
                else if (text == "// END REPORT")
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

        // The list of differences: what came in with the call site that brought it, what went. With
        // nothing come or gone, the previous report's list stays (the last change that mattered).
        public static string Changes(string? previous, Dictionary<string, string> now)
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

        // The finished page: the differences, and each initrd mount's archive size (the archive
        // UnikraftPrepareMounts packs into obj/.../unikraft/).
        public static string Complete(string page, string? previous, string intermediateDirectory)
        {
            string html = page.Replace(ChangesMarker, Changes(previous, Facts(page)));
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
            string html = KernelReport.Complete(page, previous, IntermediateDirectory);
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
