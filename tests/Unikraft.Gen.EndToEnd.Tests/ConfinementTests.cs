namespace Unikraft.Gen.EndToEnd.Tests;

using Xunit;

// The hosted boot's seccomp filter (UnikraftConfinement): a referenced library, built without the
// generator, opens a raw libc socket and starts a process; both are refused with EPERM under
// `dotnet run`. The same program built with UnikraftConfinement=false does both, so the refusal
// is the filter's.
public sealed class ConfinementTests
{
    private const string Program = "tests/Unikraft.Gen.EndToEnd.Tests/Programs/Confined";

    public sealed class Confined : IClassFixture<Confined.Build>
    {
        private readonly Build build;

        public Confined(Build build)
        {
            this.build = build;
        }

        [Fact]
        public void ALibrarysSocketAndProcessStart_AreRefusedWithEPERM()
        {
            CommandResult run = build.RunWithDotnet();

            Assert.True(run.ExitCode == 0, run.Describe());
            Assert.Equal("socket refused, errno 1\nprocess refused, errno 1\n", run.StandardOutput);
        }

        public sealed class Build : SampleBuild
        {
            public Build()
                : base(Program, "confined", "build")
            {
            }
        }
    }

    public sealed class Unconfined : IClassFixture<Unconfined.Build>
    {
        private readonly Build build;

        public Unconfined(Build build)
        {
            this.build = build;
        }

        [Fact]
        public void WithConfinementOff_TheSameCallsReachTheHost()
        {
            CommandResult run = build.RunWithDotnet();

            Assert.True(run.ExitCode == 0, run.Describe());
            Assert.Equal("socket opened\nprocess started\n", run.StandardOutput);
        }

        public sealed class Build : SampleBuild
        {
            public Build()
                : base(Program, "unconfined", "build", "-p:UnikraftConfinement=false")
            {
            }
        }
    }
}
