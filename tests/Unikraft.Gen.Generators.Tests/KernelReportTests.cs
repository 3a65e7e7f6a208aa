using System.Collections.Generic;
using System.IO;
using System.Linq;
using Unikraft.Gen.Build;
using Xunit;

namespace Unikraft.Gen.Tests;

// The kernel report: the page the generator makes (Unikraft.Report.g.cs) and what the build step
// adds to it (build/KernelReportWriter.cs): the difference from the previous build.
public sealed class KernelReportTests
{
    private static string Page(string program)
    {
        GeneratorHarness.Result result = GeneratorHarness.Run(GeneratorHarness.Compilation(new[] { ("Program.cs", program) }));
        Assert.Empty(result.Problems);
        return KernelReport.FromGeneratedSource(result.Source("Unikraft.Report.g.cs"));
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
        Assert.Equal("Program.cs:1 Console.WriteLine(string?)", KernelReport.Facts(page)["syscall write"]);
    }

    [Fact]
    public void SecondBuild_NamesWhatCameIn_WithItsCallSite_AndWhatWent()
    {
        string first = KernelReport.Complete(Page("System.Console.WriteLine(\"Hello, world!\");\n"), null, Path.GetTempPath());
        Assert.Contains("The first build with a report", first);

        string second = KernelReport.Complete(Page(
            "System.Console.WriteLine(\"moving\");\n" +
            "System.IO.File.Move(\"/tmp/a\", \"/tmp/b\");\n"), first, Path.GetTempPath());

        Assert.Contains("<li class=\"added\">+syscall renameat2 because of Program.cs:2 File.Move(string, string)</li>", second);
        Assert.DoesNotContain("+syscall write", second);

        // A build that changes nothing keeps the differences of the last one that did.
        string third = KernelReport.Complete(Page(
            "System.Console.WriteLine(\"moving on\");\n" +
            "System.IO.File.Move(\"/tmp/a\", \"/tmp/b\");\n"), second, Path.GetTempPath());
        Assert.Contains("+syscall renameat2 because of Program.cs:2", third);

        string fourth = KernelReport.Complete(Page("System.Console.WriteLine(\"Hello again\");\n"), third, Path.GetTempPath());
        Assert.Contains("<li class=\"removed\">-syscall renameat2 (was there because of Program.cs:2 File.Move(string, string))</li>", fourth);
    }
}
