namespace Unikraft.Gen.EndToEnd.Tests;

using System.IO;
using Xunit;
using Xunit.Abstractions;

// samples/Hello published with NativeAOT as a user would (HelloAotPublish, shared with OciImageTests).
[Collection(HelloAotPublish.Collection)]
public sealed class HelloPublishAotTests
{
    private readonly HelloAotPublish publish;
    private readonly ITestOutputHelper output;

    public HelloPublishAotTests(HelloAotPublish publish, ITestOutputHelper output)
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
}
