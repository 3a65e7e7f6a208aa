namespace Unikraft.Gen.EndToEnd.Tests;

using System.Linq;
using Xunit;

// The hosted boot's seccomp filter (UnikraftConfinement): a referenced library, built without the
// generator, opens a raw libc socket, starts a process and opens /etc/passwd with libc's open.
// Under `dotnet run` the filter is an allow list with the runtime's calls by path, and a Landlock
// ruleset lets opens by path reach only the runtime's and the system libraries' folders: all three
// fail with EPERM and the kernel log names each, the open with its path (the supervisor, a process
// of its own, reads it and refuses it outside those folders). In the NativeAOT image the allow list
// refuses the socket and the open (EPERM), the kernel's native layer the process, and the kernel
// log names the socket and the open. Its
// SHA-256 of "abc" needs OpenSSL, which loads by path on first use: under the JIT from a system
// library folder, in the image at boot, because the link saw the shim. The same program built with
// UnikraftConfinement=false does all three, so the refusals are the filter's.
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
        public void ALibrarysSocketProcessStartAndHostFileOpen_AreRefusedWithEPERM_AndTheLogNamesEach()
        {
            CommandResult run = build.RunWithDotnet();

            Assert.True(run.ExitCode == 0, run.Describe());
            Assert.Equal("socket refused, errno 1\nprocess refused, errno 1\nhost file refused, errno 1\nBA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD\n", run.StandardOutput);
            Assert.Contains("[uk] confinement: refused socket (syscall 41) with EPERM", run.StandardError);
            Assert.Contains("[uk] confinement: refused vfork (syscall 58) with EPERM", run.StandardError);
            Assert.Contains("[uk] confinement: refused openat (syscall 257) of /etc/passwd with EPERM", run.StandardError);

            // Nothing the runtime itself does is named (its opens in its own folders go on): the
            // three lines are all.
            Assert.Equal(3, run.StandardError.Split('\n').Count(line => line.StartsWith("[uk] confinement:", System.StringComparison.Ordinal)));
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
            Assert.Equal("socket opened\nprocess started\nhost file opened\nBA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD\n", run.StandardOutput);
            Assert.DoesNotContain("confinement", run.StandardError);
        }

        public sealed class Build : SampleBuild
        {
            public Build()
                : base(Program, "unconfined", "build", "-p:UnikraftConfinement=false")
            {
            }
        }
    }

    public sealed class ConfinedImage : IClassFixture<ConfinedImage.Publish>
    {
        private readonly Publish publish;

        public ConfinedImage(Publish publish)
        {
            this.publish = publish;
        }

        [Fact]
        public void ALibrarysSocketAndHostFileOpen_AreRefused_AndTheLogNamesEach()
        {
            CommandResult run = publish.RunPublished();

            Assert.True(run.ExitCode == 0, run.Describe());
            Assert.Equal("socket refused, errno 1\nprocess refused, errno 1\nhost file refused, errno 1\nBA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD\n", run.StandardOutput);
            Assert.Contains("[uk] confinement: refused socket (syscall 41) with EPERM", run.StandardError);
            Assert.Contains("[uk] confinement: refused openat (syscall 257) of /etc/passwd with EPERM", run.StandardError);
            Assert.Equal(2, run.StandardError.Split('\n').Count(line => line.StartsWith("[uk] confinement:", System.StringComparison.Ordinal)));
        }

        // The build's manifest lists what the allow list lets through.
        [Fact]
        public void TheManifest_ListsTheAllowedCalls()
        {
            string manifest = System.IO.File.ReadAllText(publish.OutputFile("Confined.kernel.txt"));

            Assert.Contains("in a NativeAOT image, only these are allowed once booted", manifest);
            Assert.Contains("    the runtime: read, write, close,", manifest);
            Assert.DoesNotContain("    the host folders:", manifest);
            Assert.Contains("    OpenSSL is loaded at boot: the link's import list names its shim", manifest);
        }

        public sealed class Publish : SampleBuild
        {
            public Publish()
                : base(Program, "confined-aot", "publish", "-c", "Release", "-r", "linux-x64", "-p:PublishAot=true", "-o", "{publish}")
            {
            }
        }
    }
}
