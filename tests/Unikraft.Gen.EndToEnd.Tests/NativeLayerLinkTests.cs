namespace Unikraft.Gen.EndToEnd.Tests;

using System.IO;
using Xunit;

// UK0401: a NativeAOT image that imports a native function its kernel does not serve is not
// linked. Programs/Unserved sets Process.ProcessorAffinity (its UK0001 lowered to a warning), which
// imports SystemNative_SchedSetAffinity; the publish stops before the link, names the function, and
// leaves no binary behind.
public sealed class NativeLayerLinkTests : IClassFixture<NativeLayerLinkTests.AotPublish>
{
    private readonly AotPublish publish;

    public NativeLayerLinkTests(AotPublish publish)
    {
        this.publish = publish;
    }

    [Fact]
    public void UnservedNativeImport_FailsThePublish_NamingTheFunction_WithNoBinary()
    {
        CommandResult result = publish.Result!;

        Assert.True(result.ExitCode != 0, "the publish should have failed:\n" + result.Describe());
        Assert.Contains("error UK0401: The program imports the native function SystemNative_SchedSetAffinity", result.StandardOutput);
        Assert.False(File.Exists(Path.Combine(publish.PublishPath, "Unserved")), "a binary was left behind");
    }

    public sealed class AotPublish : SampleBuild
    {
        public AotPublish()
            : base("tests/Unikraft.Gen.EndToEnd.Tests/Programs/Unserved", "aot", "publish", "-c", "Release", "-r", "linux-x64",
                "-p:PublishAot=true", "-o", "{publish}")
        {
        }
    }
}
