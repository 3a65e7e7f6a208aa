namespace Unikraft.Gen.EndToEnd.Tests;

using System;
using System.IO;
using System.Linq;
using System.Text;
using Xunit;

// The runtime specialized too: a program that formats with a named culture keeps globalization in
// its NativeAOT image (the manifest says why, the NativeAOT compiler gets no invariant switch, ICU
// is linked, and German formatting comes out), where Hello switches it off
// (HelloPublishAotTests.Hello_PublishAot_RuntimeFeaturesOff_GlobalizationAndStackTraces).
public sealed class RuntimeSpecializationPublishAotTests : IClassFixture<RuntimeSpecializationPublishAotTests.AotPublish>
{
    private const string Program = "tests/Unikraft.Gen.EndToEnd.Tests/Programs/Culture";

    private readonly AotPublish publish;

    public RuntimeSpecializationPublishAotTests(AotPublish publish)
    {
        this.publish = publish;
    }

    [Fact]
    public void Culture_PublishAot_KeepsGlobalization_AndFormatsInGerman()
    {
        KernelManifest manifest = KernelManifest.Load(publish.OutputFile("Culture.kernel.txt"));
        string[] lines = manifest.Text.Split('\n');
        int kept = Array.IndexOf(lines, "  globalization  kept");
        Assert.True(kept > 0, "No 'globalization  kept' line in the manifest:\n" + manifest.Text);
        var reasons = lines.Skip(kept + 1).TakeWhile(line => line.StartsWith("      ", StringComparison.Ordinal)).ToList();
        Assert.Contains("      Program.cs:5  CultureInfo.GetCultureInfo(\"de-DE\")", reasons);
        // What the program does not use is still switched off.
        Assert.Contains("  stack-traces  off  StackTraceSupport=false  (System.Diagnostics.StackTrace.IsSupported)", lines);

        string rsp = File.ReadAllText(publish.IntermediateFile("Culture.ilc.rsp"));
        Assert.DoesNotContain("System.Globalization.Invariant=true", rsp, StringComparison.Ordinal);
        Assert.Contains("--feature:System.Diagnostics.StackTrace.IsSupported=false", rsp, StringComparison.Ordinal);
        Assert.True(Contains(Path.Combine(publish.PublishPath, "Culture"), "libicuuc"), "The Culture image does not load ICU");

        CommandResult run = publish.RunPublished();
        Assert.True(run.ExitCode == 0, run.Describe());
        Assert.Equal("1.234,5\nMittwoch, 31. Dezember 2025\n", run.StandardOutput);
    }

    // Whether a binary holds an ASCII string (the NativeAOT runtime names the ICU libraries it
    // loads only when System.Globalization.Native is linked in).
    internal static bool Contains(string binary, string text)
    {
        byte[] bytes = File.ReadAllBytes(binary);
        return bytes.AsSpan().IndexOf(Encoding.ASCII.GetBytes(text)) >= 0;
    }

    public sealed class AotPublish : SampleBuild
    {
        public AotPublish()
            : base(Program, "aot", "publish", "-c", "Release", "-r", "linux-x64", "-o", "{publish}")
        {
        }
    }
}
