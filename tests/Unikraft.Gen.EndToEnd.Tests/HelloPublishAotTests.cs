namespace Unikraft.Gen.EndToEnd.Tests;

using System.IO;
using Xunit;
using Xunit.Abstractions;

// samples/Hello published with NativeAOT as a user would:
// `dotnet publish samples/Hello -c Release -r linux-x64 -p:PublishAot=true -o <folder>`.
// NOTE: NativeAOT links with the host's C toolchain: clang, or gcc when clang is not on PATH
// (Debian: gcc, libc6-dev, binutils). The zlib it needs ships inside the ILCompiler package.
public sealed class HelloPublishAotTests : IClassFixture<HelloPublishAotTests.AotPublish>
{
    private readonly AotPublish publish;
    private readonly ITestOutputHelper output;

    public HelloPublishAotTests(AotPublish publish, ITestOutputHelper output)
    {
        this.publish = publish;
        this.output = output;
    }

    [Fact]
    public void Hello_PublishAot_NativeBinaryPrintsGreeting()
    {
        CommandResult run = publish.RunPublished();

        Assert.True(run.ExitCode == 0, run.Describe());
        Assert.Equal("Hello, world!\n", run.StandardOutput);
        Assert.StartsWith("Unikraft.Gen kernel (hosted) for Hello", run.StandardError, System.StringComparison.Ordinal);
        long size = new FileInfo(Path.Combine(publish.PublishPath, "Hello")).Length;
        output.WriteLine("Native Hello: " + size + " bytes (" + (size / 1024) + " KiB); publish took " +
            publish.Result!.Elapsed.TotalSeconds.ToString("0.0", System.Globalization.CultureInfo.InvariantCulture) + " s.");
    }

    // Hello uses no runtime feature: the manifest switches each off with its reason, the NativeAOT
    // compiler gets the switches, and the image carries neither ICU nor System.Console (the
    // kernel's console writes through one native call).
    [Fact]
    public void Hello_PublishAot_RuntimeFeaturesOff_GlobalizationAndStackTraces()
    {
        string[] manifest = File.ReadAllLines(publish.OutputFile("Hello.kernel.txt"));
        Assert.Contains("  globalization  off  InvariantGlobalization=true  (System.Globalization.Invariant)", manifest);
        Assert.Contains("  resource-messages  off  UseSystemResourceKeys=true  (System.Resources.UseSystemResourceKeys)", manifest);
        Assert.Contains("  stack-traces  off  StackTraceSupport=false  (System.Diagnostics.StackTrace.IsSupported)", manifest);
        Assert.Contains("  debugger  off  DebuggerSupport=false  (System.Diagnostics.Debugger.IsSupported)", manifest);

        string rsp = File.ReadAllText(publish.IntermediateFile("Hello.ilc.rsp"));
        Assert.Contains("--feature:System.Globalization.Invariant=true", rsp, System.StringComparison.Ordinal);
        Assert.Contains("--feature:System.Resources.UseSystemResourceKeys=true", rsp, System.StringComparison.Ordinal);
        Assert.DoesNotContain("--stacktracedata", rsp, System.StringComparison.Ordinal);

        string binary = Path.Combine(publish.PublishPath, "Hello");
        Assert.False(RuntimeSpecializationPublishAotTests.Contains(binary, "libicuuc"), "Hello's image still loads ICU");
        Assert.False(RuntimeSpecializationPublishAotTests.Contains(binary, "System.ConsolePal"), "Hello's image still carries System.Console");
    }

    public sealed class AotPublish : SampleBuild
    {
        public AotPublish()
            : base("Hello", "aot", "publish", "-c", "Release", "-r", "linux-x64", "-p:PublishAot=true", "-p:IlcGenerateMstatFile=true", "-o", "{publish}")
        {
        }
    }
}
