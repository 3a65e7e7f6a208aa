using System.Collections.Generic;
using System.IO;
using System.Linq;
using Unikraft.Gen.Build;
using Xunit;

namespace Unikraft.Gen.Tests;

// The kernel report: the page the generator makes (Unikraft.Report.g.cs) and what the build step
// adds to it (build/KernelReportWriter.cs): the facts, read from the manifest, and the difference
// from the previous build.
public sealed class KernelReportTests
{
    private static (string Page, string Manifest) Build(string program)
    {
        GeneratorHarness.Result result = GeneratorHarness.Run(GeneratorHarness.Compilation(new[] { ("Program.cs", program) }));
        Assert.Empty(result.Problems);
        return (KernelReport.FromGeneratedSource(result.Source("Unikraft.Report.g.cs")), KernelReport.FromGeneratedSource(result.Manifest, "MANIFEST"));
    }

    private static string Page(string program) => Build(program).Page;

    // The finished page of a build of program, after the previous one.
    private static string Complete(string program, string? previous)
    {
        (string page, string manifest) = Build(program);
        return KernelReport.Complete(page, manifest, previous, Path.GetTempPath());
    }

    [Fact]
    public void Page_HoldsTheGraph_TheSyscallTable_AndTheFacts()
    {
        string page = Page("System.Console.WriteLine(\"Hello, world!\");\n");

        Assert.StartsWith("<!DOCTYPE html>", page, System.StringComparison.Ordinal);
        Assert.Contains("<svg id=\"library-graph\"", page);
        Assert.Contains(">console</text>", page);
        Assert.Contains("<tr class=\"present\"><td>1</td><td><code>write</code></td><td>present</td><td>console</td><td>Program.cs:1 Console.WriteLine(string?)</td></tr>", page);
        Assert.Contains("<tr class=\"stub\"><td>257</td><td><code>openat</code></td><td>stub (-ENOSYS)</td>", page);
        // No external asset of any kind.
        Assert.DoesNotContain("http://", page.Replace("xmlns=\"http://www.w3.org/2000/svg\"", "", System.StringComparison.Ordinal));
        Assert.DoesNotContain("https://", page);
        Assert.DoesNotContain("<script", page);
        string complete = Complete("System.Console.WriteLine(\"Hello, world!\");\n", null);
        Assert.Equal("Program.cs:1 Console.WriteLine(string?)", KernelReport.Facts(complete)["syscall write"]);
        Assert.Equal("Program.cs:1 Console.WriteLine(string?) (write)", KernelReport.Facts(complete)["library console"]);
        Assert.StartsWith("Sys.Write (planned: Program.cs:1 Console.WriteLine(string?))", KernelReport.Facts(complete)["device console"], System.StringComparison.Ordinal);
        Assert.EndsWith("UK-FACTS-->\n</body>\n</html>\n", complete, System.StringComparison.Ordinal);
    }

    // Every fact the page's facts block holds is one of the manifest's entries, and every syscall,
    // library and device of the manifest is a fact.
    [Fact]
    public void Facts_AreTheManifestsEntries()
    {
        GeneratorHarness.Result result = GeneratorHarness.RunProgram("ReadWriteFiles");
        string manifest = KernelReport.FromGeneratedSource(result.Manifest, "MANIFEST");
        var facts = KernelReport.FactsOfManifest(manifest);

        var expected = new List<string>();
        string section = "";
        foreach (string line in manifest.Split('\n'))
        {
            if (line.Length > 0 && line[0] != ' ')
            {
                section = line;
            }
            else if (line.StartsWith("  ", System.StringComparison.Ordinal) && !line.StartsWith("   ", System.StringComparison.Ordinal) && line != "  none")
            {
                string name = line.Substring(2).Split(' ')[0];
                if (section.StartsWith("Syscalls:", System.StringComparison.Ordinal) && name != "stubbed:")
                {
                    expected.Add("syscall " + name);
                }
                else if (section is "Libraries" or "Devices")
                {
                    expected.Add((section == "Libraries" ? "library " : "device ") + name);
                }
            }
        }

        Assert.NotEmpty(expected);
        Assert.Equal(expected.OrderBy(f => f, System.StringComparer.Ordinal), facts.Keys.Where(k => !k.StartsWith("mount ", System.StringComparison.Ordinal)));
        Assert.Contains(facts.Keys, k => k.StartsWith("mount / ", System.StringComparison.Ordinal));
    }

    [Fact]
    public void SecondBuild_NamesWhatCameIn_WithItsCallSite_AndWhatWent()
    {
        string first = Complete("System.Console.WriteLine(\"Hello, world!\");\n", null);
        Assert.Contains("The first build with a report", first);

        string second = Complete(
            "System.Console.WriteLine(\"moving\");\n" +
            "System.IO.File.Move(\"/tmp/a\", \"/tmp/b\");\n", first);

        Assert.Contains("<li class=\"added\">+syscall renameat2 because of Program.cs:2 File.Move(string, string)</li>", second);
        Assert.DoesNotContain("+syscall write", second);

        // A build that changes nothing keeps the differences of the last one that did.
        string third = Complete(
            "System.Console.WriteLine(\"moving on\");\n" +
            "System.IO.File.Move(\"/tmp/a\", \"/tmp/b\");\n", second);
        Assert.Contains("+syscall renameat2 because of Program.cs:2", third);

        string fourth = Complete("System.Console.WriteLine(\"Hello again\");\n", third);
        Assert.Contains("<li class=\"removed\">-syscall renameat2 (was there because of Program.cs:2 File.Move(string, string))</li>", fourth);
    }
}
