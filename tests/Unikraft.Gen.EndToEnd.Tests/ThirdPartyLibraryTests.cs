namespace Unikraft.Gen.EndToEnd.Tests;

using System;
using Xunit;

// Programs/JsonNotes keeps its notes as JSON with Newtonsoft.Json, the most used NuGet library.
// Inside, the library generates IL (DynamicMethod, ILGenerator), waits with Task.Delay and reads
// the local time zone. Where the native layer is the kernel's boundary (hosted, under dotnet run)
// all of it reaches the kernel through the BCL like the program's own code, so the build reports
// no UK0301 and the program runs unmodified; on sim, which has no native layer, the same uses are
// errors that name the library and the API.
public sealed class ThirdPartyLibraryTests : IClassFixture<ThirdPartyLibraryTests.HostedBuild>, IClassFixture<ThirdPartyLibraryTests.SimBuild>
{
    private const string Project = "tests/Unikraft.Gen.EndToEnd.Tests/Programs/JsonNotes";

    private readonly HostedBuild hosted;
    private readonly SimBuild sim;

    public ThirdPartyLibraryTests(HostedBuild hosted, SimBuild sim)
    {
        this.hosted = hosted;
        this.sim = sim;
    }

    [Fact]
    public void NewtonsoftJson_BuildsWithNoUK0301_AndRunsUnderDotnetRun()
    {
        CommandResult build = hosted.EnsureSucceeded();
        Assert.DoesNotContain("UK0301", build.StandardOutput + build.StandardError, StringComparison.Ordinal);

        CommandResult run = hosted.RunWithDotnet();

        Assert.True(run.ExitCode == 0, run.Describe());
        Assert.Equal("1 work: write the report\n2 groceries: ants, bees\nstored 161 characters, 2 notes\n", run.StandardOutput);
        Assert.DoesNotContain("[uk] confinement", run.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public void NewtonsoftJson_OnSim_IsRefusedWithTheLibrarysUses()
    {
        CommandResult build = sim.Result!;
        string output = build.StandardOutput + build.StandardError;

        Assert.True(build.ExitCode != 0, "a sim build of a program whose library generates IL succeeded:\n" + build.Describe());
        Assert.Contains("error UK0301: Referenced assembly 'Newtonsoft.Json' uses 'DynamicMethod'", output, StringComparison.Ordinal);
        Assert.Contains("error UK0301: Referenced assembly 'Newtonsoft.Json' uses 'TimeZoneInfo.Local'", output, StringComparison.Ordinal);
    }

    public sealed class HostedBuild : SampleBuild
    {
        public HostedBuild()
            : base(Project, "hosted", "build")
        {
        }
    }

    public sealed class SimBuild : SampleBuild
    {
        public SimBuild()
            : base(Project, "sim", "build", "-p:UnikraftPlatform=sim")
        {
        }
    }
}
