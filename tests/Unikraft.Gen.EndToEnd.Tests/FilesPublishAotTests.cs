namespace Unikraft.Gen.EndToEnd.Tests;

using System;
using System.IO;
using System.Linq;
using System.Text.Json;
using Xunit;

// samples/Files published with NativeAOT (and its OCI image): the initrd travels inside the one
// native binary, and hostfs reaches its folder through openat2 from native code, in the container
// too, where UnikraftOciBundle binds the folder.
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

    [ContainerToolsFact]
    public void Files_Image_StartedByRunc_ReadsItsInitrd_AndWritesTheBoundHostFolder()
    {
        publish.EnsureSucceeded();
        ContainerTools.Require();
        string data = Path.Combine(Repository.Sample("Files"), "data");
        Assert.Contains("<UnikraftMount Include=\"/data\"> is the host folder " + data + "/, which the image does not hold", publish.Result!.StandardOutput);
        string bundle = Path.Combine(publish.Folder, "bundle");
        CommandResult unpack = Command.Dotnet(TimeSpan.FromMinutes(3), null, "msbuild", "samples/Files/Files.csproj", "-t:UnikraftOciBundle", "-nologo", "-nodeReuse:false",
            "-p:UnikraftImagePath=" + Path.Combine(publish.PublishPath, "oci"), "-p:UnikraftBundle=" + bundle);
        Assert.True(unpack.ExitCode == 0, unpack.Describe());
        using (JsonDocument config = JsonDocument.Parse(File.ReadAllText(Path.Combine(bundle, "config.json"))))
        {
            JsonElement mount = Assert.Single(config.RootElement.GetProperty("mounts").EnumerateArray(), m => m.GetProperty("type").GetString() == "bind");
            Assert.Equal(data, mount.GetProperty("destination").GetString());
            Assert.Equal(data, mount.GetProperty("source").GetString());
            Assert.Equal(["rbind", "rw"], mount.GetProperty("options").EnumerateArray().Select(o => o.GetString()!).ToArray());
        }

        string log = Path.Combine(data, "visits.log");
        File.Delete(log);
        try
        {
            CommandResult run = Command.Run(ContainerTools.Find("runc")!, ["run", "--bundle", bundle, "unikraft-e2e-" + Guid.NewGuid().ToString("N").Substring(0, 8)],
                publish.Folder, TimeSpan.FromMinutes(3));

            Assert.True(run.ExitCode == 0, run.Describe());
            Assert.Equal("Hello from the initrd.\nvisits so far: 1\n/tmp/scratch/a.txt: first\n/tmp/scratch/b.txt: second\n", run.StandardOutput);
            Assert.Equal("visit 1\n", File.ReadAllText(log));
        }
        finally
        {
            File.Delete(log);
        }
    }

    public sealed class AotPublish : SampleBuild
    {
        public AotPublish()
            : base("Files", "aot", "publish", "-c", "Release", "-r", "linux-x64", "-p:PublishAot=true", "-p:UnikraftImage=oci", "-o", "{publish}")
        {
        }
    }
}
