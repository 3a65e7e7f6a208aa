using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using Unikraft.Gen.Support;
using Xunit;

namespace Unikraft.Gen.Analyzers.Tests;

// docs/support.md is generated from the support table, one section per namespace, so the page
// can never say something the analyzers do not do.
internal static class SupportDocs
{
    public const string RelativePath = "docs/support.md";

    public const string UpdateVariable = "UNIKRAFT_UPDATE_DOCS";

    public static string Render(SupportTable table)
    {
        var text = new StringBuilder();
        text.Append("# What the kernel supports\n\n");
        text.Append("<!-- Generated from analyzers/Unikraft.Gen.Analyzers/SupportTable.tsv by tests/Unikraft.Gen.Analyzers.Tests/SupportDocs.cs.\n");
        text.Append("     Do not edit: change the table, then run the analyzer tests with " + UpdateVariable + "=1. -->\n\n");
        text.Append("Every BCL API a program on the kernel may call, and what happens when it does. The analyzers\n");
        text.Append("read the same table: **intercepted** calls are redirected to the kernel API (overloads it\n");
        text.Append("lacks are [UK0003](diagnostics/UK0003.md)); **kernel-api** members bypass the kernel and have a\n");
        text.Append("code fix to the kernel API ([UK0002](diagnostics/UK0002.md)); **unsupported** ones are errors\n");
        text.Append("([UK0001](diagnostics/UK0001.md)); **nondeterministic** ones work but make a simulation depend on\n");
        text.Append("the host ([UK0201](diagnostics/UK0201.md), sim builds only); **supported** ones need no kernel.\n");
        text.Append("*Partially* marks a row that holds for only part of the API; its reason says which part.\n");
        text.Append("An API the table does not name is not checked. **Native layer** says how a NativeAOT image on\n");
        text.Append("hosted serves it, where the BCL's native layer is the kernel's boundary (`UnikraftNativeLayer`):\n");
        text.Append("*served* rows reach the kernel's syscalls underneath the BCL, so they are not reported there.\n\n");

        text.Append("| Status | Rows |\n|---|---:|\n");
        foreach (IGrouping<string, SupportRow> group in table.Rows.GroupBy(row => row.StatusText).OrderBy(group => group.Key, StringComparer.Ordinal))
        {
            text.Append("| ").Append(group.Key).Append(" | ").Append(group.Count()).Append(" |\n");
        }

        text.Append("| all | ").Append(table.Rows.Count).Append(" |\n");

        foreach (IGrouping<string, SupportRow> section in table.Rows.GroupBy(Namespace).OrderBy(group => group.Key, StringComparer.Ordinal))
        {
            text.Append("\n## ").Append(section.Key).Append("\n\n");
            text.Append("| API | Status | Feature | Replacement | Native layer | Reason |\n|---|---|---|---|---|---|\n");
            foreach (SupportRow row in section)
            {
                text.Append("| ").Append(Api(row))
                    .Append(" | ").Append(Status(row))
                    .Append(" | ").Append(row.Feature)
                    .Append(" | ").Append(row.Replacement.Length == 0 ? "" : "`" + row.Replacement.Substring("Unikraft.Kernel.".Length) + "`")
                    .Append(" | ").Append(row.ServedByNativeLayer ? "served" : "")
                    .Append(" | ").Append(Escape(row.IsPartial ? row.Reason.Substring(SupportRow.PartiallyPrefix.Length) : row.Reason))
                    .Append(Condition(row))
                    .Append(" |\n");
            }
        }

        return text.ToString();
    }

    // The namespace a row's section is under; syntax rows have a section of their own.
    private static string Namespace(SupportRow row)
    {
        if (row.Kind == SupportMemberKind.Syntax)
        {
            return "C# syntax";
        }

        int dot = row.TypeName.LastIndexOf('.');
        return dot < 0 ? "(global)" : row.TypeName.Substring(0, dot);
    }

    private static string Api(SupportRow row)
    {
        string name = row.Kind == SupportMemberKind.Syntax ? "delegate* unmanaged" : row.DisplayName.Replace("`1", "<T>");
        string api = "`" + name + "`";
        return row.Kind == SupportMemberKind.Type ? api + " (every member)" : api;
    }

    private static string Status(SupportRow row)
    {
        string status = row.Status switch
        {
            SupportStatus.Unsupported => "unsupported (UK0001)",
            SupportStatus.KernelApi => "kernel-api (UK0002)",
            SupportStatus.Nondeterministic => "nondeterministic (UK0201 in sim)",
            _ => row.StatusText,
        };
        return row.IsPartial ? status + ", partially" : status;
    }

    private static string Condition(SupportRow row) => row.Condition switch
    {
        "" => "",
        SupportTable.NoArguments => " (Only with no arguments.)",
        SupportTable.FirstArgumentFalse => " (Only with a first argument of false.)",
        SupportTable.PathArgument => " (Only the overloads that take a path, file name or URI first.)",
        _ => " (Only on `" + row.Condition.Substring(row.Condition.LastIndexOf('.', row.Condition.LastIndexOf('.') - 1) + 1) + "`.)",
    };

    // Markdown table cells: a pipe ends the cell, and angle brackets would read as HTML.
    private static string Escape(string text) =>
        text.Replace("|", "\\|").Replace("<", "&lt;").Replace(">", "&gt;");
}

public sealed class SupportDocsTests
{
    [Fact]
    public void SupportDocs_MatchTheTable()
    {
        string path = Path.Combine(Verifiers.RepositoryRoot(), SupportDocs.RelativePath);
        string expected = SupportDocs.Render(SupportTable.Embedded);
        if (Environment.GetEnvironmentVariable(SupportDocs.UpdateVariable) == "1")
        {
            File.WriteAllText(path, expected);
            return;
        }

        string actual = File.Exists(path) ? File.ReadAllText(path).Replace("\r\n", "\n") : "";
        if (actual != expected)
        {
            string[] expectedLines = expected.Split('\n');
            string[] actualLines = actual.Split('\n');
            int line = 0;
            while (line < expectedLines.Length && line < actualLines.Length && expectedLines[line] == actualLines[line])
            {
                line++;
            }

            Assert.Fail(SupportDocs.RelativePath + " does not match SupportTable.tsv (first difference at line " + (line + 1) + ":\n  page:  "
                + (line < actualLines.Length ? actualLines[line] : "(end of file)") + "\n  table: "
                + (line < expectedLines.Length ? expectedLines[line] : "(end of file)")
                + ").\nRegenerate it: " + SupportDocs.UpdateVariable + "=1 dotnet test tests/Unikraft.Gen.Analyzers.Tests --filter SupportDocs_MatchTheTable");
        }
    }
}
