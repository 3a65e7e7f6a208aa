namespace Unikraft.Gen.EndToEnd.Tests;

using System.IO;
using Xunit;

// samples/Files published with NativeAOT: the initrd travels inside the one native binary, and
// hostfs reaches its folder through openat2 from native code.
public sealed class FilesPublishAotTests : IClassFixture<FilesPublishAotTests.AotPublish>
{
    private readonly AotPublish publish;

    public FilesPublishAotTests(AotPublish publish)
    {
        this.publish = publish;
    }

    [Fact]
    public void Files_PublishAot_NativeBinaryReadsItsInitrd_AndWritesTheHostFolder()
    {
        string log = Path.Combine(Repository.Sample("Files"), "data", "visits.log");
        File.Delete(log);
        try
        {
            CommandResult run = publish.RunPublished();

            Assert.True(run.ExitCode == 0, run.Describe());
            Assert.Equal("Hello from the initrd.\nvisits so far: 1\n/tmp/scratch/a.txt: first\n/tmp/scratch/b.txt: second\n", run.StandardOutput);
            Assert.Equal("visit 1\n", File.ReadAllText(log));

            // One binary: no archive or other file beside it is needed at run time.
            Assert.False(File.Exists(Path.Combine(publish.PublishPath, "Files.dll")));
        }
        finally
        {
            File.Delete(log);
        }
    }

    public sealed class AotPublish : SampleBuild
    {
        public AotPublish()
            : base("Files", "aot", "publish", "-c", "Release", "-r", "linux-x64", "-p:PublishAot=true", "-o", "{publish}")
        {
        }
    }
}
