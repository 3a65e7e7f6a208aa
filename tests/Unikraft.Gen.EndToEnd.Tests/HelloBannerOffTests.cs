namespace Unikraft.Gen.EndToEnd.Tests;

using Xunit;

// samples/Hello built with -p:UnikraftBootBanner=false: the program's output is all there is.
public sealed class HelloBannerOffTests : IClassFixture<HelloBannerOffTests.BannerOffBuild>
{
    private readonly BannerOffBuild build;

    public HelloBannerOffTests(BannerOffBuild build)
    {
        this.build = build;
    }

    [Fact]
    public void Hello_BannerOff_PrintsOnlyGreeting()
    {
        CommandResult run = build.RunWithDotnet();

        Assert.True(run.ExitCode == 0, run.Describe());
        Assert.Equal("Hello, world!\n", run.StandardOutput);
        Assert.Equal("", run.StandardError);
    }

    public sealed class BannerOffBuild : SampleBuild
    {
        public BannerOffBuild()
            : base("Hello", "banner-off", "build", "-p:UnikraftBootBanner=false")
        {
        }
    }
}
