namespace Unikraft.Gen.EndToEnd.Tests;

using System.IO;
using Xunit;

// Under the JIT the boot runs Main from the runtime's startup hook, not inside the module
// initializer: while a module initializer runs, the runtime holds back every other thread that
// would run the assembly's code. Programs/PoolContinuation resumes after an await on a thread-pool
// thread (ConfigureAwait(false)), computes its exit status there with its own code and writes to
// the console from there: with Main run inside the module initializer it hangs, and without the
// vCPU (Vcpu.EnterCall in the interceptors) the write fails for want of a kernel on that thread.
public sealed class BootTests : IClassFixture<BootTests.Build>
{
    private const string Program = "tests/Unikraft.Gen.EndToEnd.Tests/Programs/PoolContinuation";

    // The sum of the characters of "unikraft", modulo 200: what Checksum returns.
    private const int ExpectedStatus = 68;

    private readonly Build build;

    public BootTests(Build build)
    {
        this.build = build;
    }

    [Fact]
    public void ProgramCodeOnAThreadPoolThread_RunsWhileMainRuns_AndCallsTheKernel()
    {
        CommandResult run = build.RunWithDotnet();

        Assert.True(run.ExitCode == ExpectedStatus, run.Describe());
        Assert.Equal("waiting\nchecksum 68, on the kernel's thread: False\nafter a second delay\n", run.StandardOutput);
    }

    [Fact]
    public void RuntimeConfig_NamesTheProgramAsItsStartupHook()
    {
        string config = File.ReadAllText(build.OutputFile("PoolContinuation.runtimeconfig.json"));

        Assert.Contains("\"STARTUP_HOOKS\": \"PoolContinuation\"", config, System.StringComparison.Ordinal);
    }

    public sealed class Build : SampleBuild
    {
        public Build()
            : base(Program, "boot", "build")
        {
        }
    }
}
