namespace Unikraft.Gen.EndToEnd.Tests;

using Xunit;

// UK0301 in a real build. Programs/Confined references Programs/HostCalls, a plain library that
// P/Invokes libc's socket and starts a process. The compiler is handed the library's reference
// assembly, which holds neither the private [DllImport] nor any method body; the build's IL scan
// reads the library's own assembly and finds both, and with UK0301 left an error
// (ConfinedStrict=true) the build fails, naming each with the method that uses it.
public sealed class ReferenceScanBuildTests : IClassFixture<ReferenceScanBuildTests.StrictBuild>
{
    private readonly StrictBuild build;

    public ReferenceScanBuildTests(StrictBuild build)
    {
        this.build = build;
    }

    [Fact]
    public void ALibrarysPInvokeAndProcessStart_FailTheBuild_NamingTheirMethods()
    {
        CommandResult result = build.Result!;

        Assert.True(result.ExitCode != 0, "the build should have failed:\n" + result.Describe());
        Assert.Contains("error UK0301: Referenced assembly 'HostCalls' uses the native function 'socket' of 'libc' (a P/Invoke) (from 'HostCalls.Sneaky.socket(int, int, int)'), which bypasses the kernel", result.StandardOutput);
        Assert.Contains("error UK0301: Referenced assembly 'HostCalls' uses 'Process.Start' (from 'HostCalls.Sneaky.StartProcess()'), which the kernel does not support", result.StandardOutput);
    }

    public sealed class StrictBuild : SampleBuild
    {
        public StrictBuild()
            : base("tests/Unikraft.Gen.EndToEnd.Tests/Programs/Confined", "strict", "build", "-p:ConfinedStrict=true")
        {
        }
    }
}
