using System.Collections.Generic;
using System.Linq;
using Xunit;

namespace Unikraft.Gen.Tests;

// The runtime specialized too: in a NativeAOT publish the generator decides, for each runtime
// feature switch, whether the program uses the feature, and the manifest's "Runtime features"
// section carries the decision (Unikraft.Gen.targets turns its "off" lines into the switches).
public sealed class RuntimeFeatureTests
{
    private static readonly Dictionary<string, string> Aot = new() { ["PublishAot"] = "true" };

    private static string Manifest(string program, Dictionary<string, string>? properties = null)
    {
        GeneratorHarness.Result result = GeneratorHarness.Run(GeneratorHarness.Compilation(new[] { ("Program.cs", program) }), properties ?? Aot);
        Assert.Empty(result.Problems);
        return result.Manifest.Replace("// ", "", System.StringComparison.Ordinal);
    }

    // The section's first line for a feature: "  globalization  off  InvariantGlobalization=true  (...)".
    private static string FeatureLine(string manifest, string feature) =>
        manifest.Split('\n').Single(line => line.StartsWith("  " + feature + "  ", System.StringComparison.Ordinal));

    [Fact]
    public void Hello_TurnsOffEveryFeature_WithTheSwitchTheTargetsRead()
    {
        string manifest = Manifest("System.Console.WriteLine(\"Hello, world!\");\n");

        Assert.Contains("Runtime features (NativeAOT feature switches", manifest);
        Assert.Equal("  globalization  off  InvariantGlobalization=true  (System.Globalization.Invariant)", FeatureLine(manifest, "globalization"));
        Assert.Equal("  resource-messages  off  UseSystemResourceKeys=true  (System.Resources.UseSystemResourceKeys)", FeatureLine(manifest, "resource-messages"));
        Assert.Equal("  stack-traces  off  StackTraceSupport=false  (System.Diagnostics.StackTrace.IsSupported)", FeatureLine(manifest, "stack-traces"));
        Assert.StartsWith("  event-source  off  EventSourceSupport=false", FeatureLine(manifest, "event-source"), System.StringComparison.Ordinal);
        Assert.StartsWith("  metrics  off  MetricsSupport=false", FeatureLine(manifest, "metrics"), System.StringComparison.Ordinal);
        Assert.StartsWith("  debugger  off  DebuggerSupport=false", FeatureLine(manifest, "debugger"), System.StringComparison.Ordinal);
        Assert.StartsWith("  time-zones  off  InvariantTimezone=true", FeatureLine(manifest, "time-zones"), System.StringComparison.Ordinal);
    }

    [Fact]
    public void FormattingWithACulture_KeepsGlobalization_NamingTheCallSite()
    {
        string manifest = Manifest(
            "using System.Globalization;\n" +
            "var german = CultureInfo.GetCultureInfo(\"de-DE\");\n" +
            "System.Console.WriteLine(1234.5.ToString(\"N1\", german));\n");

        Assert.Equal("  globalization  kept", FeatureLine(manifest, "globalization"));
        Assert.Contains("      Program.cs:2  CultureInfo.GetCultureInfo(\"de-DE\")", manifest);
        Assert.StartsWith("  resource-messages  off", FeatureLine(manifest, "resource-messages"), System.StringComparison.Ordinal);
    }

    [Fact]
    public void TheInvariantCulture_DoesNotKeepGlobalization()
    {
        string manifest = Manifest("System.Console.WriteLine(1234.5.ToString(System.Globalization.CultureInfo.InvariantCulture));\n");

        Assert.StartsWith("  globalization  off", FeatureLine(manifest, "globalization"), System.StringComparison.Ordinal);
    }

    [Fact]
    public void ACultureComparison_KeepsGlobalization()
    {
        string manifest = Manifest("System.Console.WriteLine(string.Equals(\"a\", \"A\", System.StringComparison.CurrentCultureIgnoreCase));\n");

        Assert.Equal("  globalization  kept", FeatureLine(manifest, "globalization"));
    }

    [Fact]
    public void PrintingACaughtException_KeepsMessagesAndStackTraces_ReadingOnlyItsMessageKeepsMessages()
    {
        string printed = Manifest("try { throw new System.InvalidOperationException(); } catch (System.Exception e) { System.Console.WriteLine(e); }\n");
        string message = Manifest("try { throw new System.InvalidOperationException(); } catch (System.Exception e) { System.Console.WriteLine(e.Message); }\n");
        string rethrown = Manifest("try { throw new System.InvalidOperationException(); } catch (System.Exception e) when (e is System.ArgumentException) { throw; }\n");

        Assert.Equal("  resource-messages  kept", FeatureLine(printed, "resource-messages"));
        Assert.Equal("  stack-traces  kept", FeatureLine(printed, "stack-traces"));
        Assert.Equal("  resource-messages  kept", FeatureLine(message, "resource-messages"));
        Assert.StartsWith("  stack-traces  off", FeatureLine(message, "stack-traces"), System.StringComparison.Ordinal);
        Assert.StartsWith("  resource-messages  off", FeatureLine(rethrown, "resource-messages"), System.StringComparison.Ordinal);
    }

    [Fact]
    public void LocalTime_KeepsTimeZones()
    {
        string manifest = Manifest("System.Console.WriteLine(System.DateTime.UtcNow.ToLocalTime().Hour);\n");

        Assert.Equal("  time-zones  kept", FeatureLine(manifest, "time-zones"));
        Assert.StartsWith("  globalization  off", FeatureLine(manifest, "globalization"), System.StringComparison.Ordinal);
    }

    [Fact]
    public void ASwitchTheProjectSets_Wins()
    {
        var properties = new Dictionary<string, string>(Aot) { ["UnikraftProjectRuntimeSwitches"] = "InvariantGlobalization=false,UseSystemResourceKeys=" };
        string manifest = Manifest("System.Console.WriteLine(\"Hello, world!\");\n", properties);

        Assert.Equal("  globalization  set in the project  InvariantGlobalization=false", FeatureLine(manifest, "globalization"));
        Assert.StartsWith("  resource-messages  off", FeatureLine(manifest, "resource-messages"), System.StringComparison.Ordinal);
        Assert.StartsWith("  stack-traces  off", FeatureLine(manifest, "stack-traces"), System.StringComparison.Ordinal);
    }

    [Fact]
    public void SpecializationOff_LeavesEveryFeatureAlone()
    {
        var properties = new Dictionary<string, string>(Aot) { ["UnikraftSpecialize"] = "false" };
        string manifest = Manifest("System.Console.WriteLine(\"Hello, world!\");\n", properties);

        Assert.Equal("  globalization  not specialized (UnikraftSpecialize=false)", FeatureLine(manifest, "globalization"));
        Assert.DoesNotContain("  off  ", manifest);
    }

    [Fact]
    public void NotANativeAotPublish_HasNoRuntimeSection()
    {
        string manifest = Manifest("System.Console.WriteLine(\"Hello, world!\");\n", new Dictionary<string, string>());

        Assert.DoesNotContain("Runtime features", manifest);
    }
}
