namespace Unikraft.Gen.EndToEnd.Tests;

using System;
using System.IO;
using System.Linq;
using Xunit;

// The native layer's JIT route: under `dotnet run` a program on hosted runs self-contained, its
// app-local libSystem.Native.so a library of jump slots that the kernel's boot points at its entry
// points. WordTally (Programs/WordTally) reads a text that exists only in its initrd with
// `new StreamReader` and writes its counts into its hostfs folder with `new FileStream` and a
// StreamWriter, once more from a thread-pool thread: the output is right and the host sees only
// the hostfs folder's own opens. The same program built without the slots opens the text in the
// host's tree, which is what every JIT run did before the route: the confinement refuses it with
// EPERM, and its supervisor names the path in the kernel log.
public sealed class NativeLayerJitRouteTests
{
    private const string Program = "tests/Unikraft.Gen.EndToEnd.Tests/Programs/WordTally";

    private static string OutFolder => Path.Combine(Repository.Root, Program, "out");

    private static void ClearOutFolder()
    {
        foreach (string file in Directory.GetFiles(OutFolder, "*.txt"))
        {
            File.Delete(file);
        }
    }

    [CollectionDefinition(nameof(WordTallyOutFolder), DisableParallelization = true)]
    public sealed class WordTallyOutFolder
    {
    }

    [Collection(nameof(WordTallyOutFolder))]
    public sealed class Routed : IClassFixture<Routed.Build>
    {
        private readonly Build build;

        public Routed(Build build)
        {
            this.build = build;
        }

        [Fact]
        public void DotnetRun_TheBclsConstructorsReachTheKernel_AndTheHostSeesOnlyTheHostfsFolder()
        {
            ClearOutFolder();
            string trace = Path.Combine(build.Folder, "openat.txt");
            CommandResult run = build.RunWithDotnetTraced(trace, "trace=openat");

            Assert.True(run.ExitCode == 0, run.Describe());
            Assert.Equal("the: the 3\n9 distinct words, 12 in all (28 bytes from the pool)\n", run.StandardOutput);
            Assert.DoesNotContain("do not reach the kernel", run.StandardError, StringComparison.Ordinal);
            Assert.Equal("brown 1\ndog 2\nfox 1\njumps 1\nlazy 1\nover 1\nquick 1\nsleeps 1\nthe 3\n", File.ReadAllText(Path.Combine(OutFolder, "counts.txt")));
            Assert.Equal("9 distinct words, 12 in all\n", File.ReadAllText(Path.Combine(OutFolder, "summary.txt")));

            // The host never looked up the initrd's path, nor a file of the hostfs folder by its
            // name (the dotnet CLI lists the project's folders, so the folder itself is no
            // evidence): the kernel opened the folder and the files beneath its descriptor.
            string[] lines = File.ReadAllLines(trace);
            Assert.Contains(lines, line => line.Contains("openat(AT_FDCWD, \"" + OutFolder + "\", O_RDONLY|O_CLOEXEC|O_PATH|O_DIRECTORY)", StringComparison.Ordinal));
            Assert.Contains(lines, line => line.Contains(", \"counts.txt\", O_WRONLY|O_CREAT", StringComparison.Ordinal) && !line.Contains("AT_FDCWD", StringComparison.Ordinal));
            Assert.DoesNotContain(lines, line => line.Contains("\"/texts", StringComparison.Ordinal));
            Assert.DoesNotContain(lines, line => line.Contains(OutFolder + "/counts.txt", StringComparison.Ordinal) || line.Contains(OutFolder + "/summary.txt", StringComparison.Ordinal));
            Assert.DoesNotContain(lines, line => line.Contains("\"/out", StringComparison.Ordinal));
        }

        // The output folder carries the slot library in place of the runtime's, and the runtime's
        // beside it under the name the slots load it by, its functions renamed so that only the
        // slots reach them. The build writes both itself: no C compiler is needed (the build runs
        // with clang or without it alike).
        [Fact]
        public void Build_ReplacesTheAppLocalNativeShim_AndKeepsTheRuntimesBesideIt()
        {
            string slots = build.OutputFile("libSystem.Native.so");
            string host = build.OutputFile("libSystem.Native.host.so");

            Assert.Equal(Path.GetDirectoryName(slots), Path.GetDirectoryName(host));
            Assert.True(File.Exists(Path.Combine(Path.GetDirectoryName(slots)!, "libcoreclr.so")), "not a self-contained output: " + Path.GetDirectoryName(slots));
            Assert.NotEqual(File.ReadAllBytes(host), File.ReadAllBytes(slots));
            CommandResult exports = Command.Run("nm", ["-D", "--defined-only", slots], build.Folder, TimeSpan.FromMinutes(1));
            CommandResult hostExports = Command.Run("nm", ["-D", "--defined-only", host], build.Folder, TimeSpan.FromMinutes(1));
            Assert.Contains(" D UnikraftSlots_Table\n", exports.StandardOutput, StringComparison.Ordinal);
            Assert.DoesNotContain(" T SystemNative_", hostExports.StandardOutput, StringComparison.Ordinal);
            string[] hostNames = hostExports.StandardOutput.Split('\n').Where(l => l.Contains(" T UnikraftHost_", StringComparison.Ordinal))
                .Select(l => "SystemNative_" + l.Split(' ')[2].Substring("UnikraftHost_".Length)).ToArray();
            string[] slotNames = exports.StandardOutput.Split('\n').Where(l => l.Contains(" T SystemNative_", StringComparison.Ordinal)).Select(l => l.Split(' ')[2]).ToArray();
            Assert.True(hostNames.Length > 200, hostExports.Describe());
            Assert.Equal(hostNames, slotNames);
        }

        // A native function the kernel does not serve and that is not a reviewed helper stops the
        // program with a line that names it, instead of reaching the host.
        [Fact]
        public void DotnetRun_AnUnservedNativeFunction_StopsTheProgramAndNamesIt()
        {
            // (The runtime reads the host's /proc/self/mountinfo itself at start, for its cgroup
            // limits, before the kernel boots: a trace cannot tell the program's read from it.)
            string trace = Path.Combine(build.Folder, "openat-drives.txt");
            CommandResult run = build.RunWithDotnetTraced(trace, "trace=openat", "--drives");

            Assert.True(run.ExitCode == 134, run.Describe());
            Assert.Equal("", run.StandardOutput);
            Assert.Contains("[uk] native layer: SystemNative_GetAllMountPoints is not served by the kernel", run.StandardError, StringComparison.Ordinal);
        }

        // Path.GetTempFileName's mkstemps is the kernel's: the file is created in the kernel's
        // /tmp (a ramfs), and the host's /tmp is never opened.
        [Fact]
        public void DotnetRun_GetTempFileName_CreatesTheFileInTheKernelsTmp()
        {
            string trace = Path.Combine(build.Folder, "openat-temporary.txt");
            CommandResult run = build.RunWithDotnetTraced(trace, "trace=openat", "--temporary-file");

            Assert.True(run.ExitCode == 0, run.Describe());
            Assert.Matches(@"^temporary file /tmp/tmp[A-Za-z0-9]{6}\.tmp 0 bytes\n$", run.StandardOutput);
            string name = run.StandardOutput.Split(' ')[2];
            Assert.False(File.Exists(name), name + " is on the host");
            Assert.DoesNotContain(File.ReadAllLines(trace), line => line.Contains("\"/tmp/tmp", StringComparison.Ordinal));
        }

        public sealed class Build : SampleBuild
        {
            public Build()
                : base(Program, "routed", "build")
            {
            }
        }
    }

    // `dotnet publish` without NativeAOT: the published folder runs as `dotnet run` does, on the
    // kernel. The SDK publishes the runtime pack's libSystem.Native.so from a list of its own, so
    // before UnikraftNativeSlotsPublish the published program ran with the BCL on the host's
    // native layer (the confinement refused its initrd path, as WithoutSlots shows).
    [Collection(nameof(WordTallyOutFolder))]
    public sealed class Published : IClassFixture<Published.Build>
    {
        private readonly Build build;

        public Published(Build build)
        {
            this.build = build;
        }

        [Fact]
        public void DotnetPublish_ThePublishedProgram_RunsOnTheKernelAsDotnetRunDoes()
        {
            ClearOutFolder();
            CommandResult run = build.RunPublished();

            Assert.True(run.ExitCode == 0, run.Describe());
            Assert.Equal("the: the 3\n9 distinct words, 12 in all (28 bytes from the pool)\n", run.StandardOutput);
            Assert.DoesNotContain("do not reach the kernel", run.StandardError, StringComparison.Ordinal);
            Assert.Equal("9 distinct words, 12 in all\n", File.ReadAllText(Path.Combine(OutFolder, "summary.txt")));

            // The slot library, which loads the runtime's copy by its new name, is what was published.
            byte[] slots = File.ReadAllBytes(Path.Combine(build.PublishPath, "libSystem.Native.so"));
            Assert.True(System.Text.Encoding.ASCII.GetString(slots).Contains("libSystem.Native.host.so", StringComparison.Ordinal),
                "the published libSystem.Native.so is the runtime's own, not the jump slots");
            Assert.True(File.Exists(Path.Combine(build.PublishPath, "libSystem.Native.host.so")));
        }

        public sealed class Build : SampleBuild
        {
            public Build()
                : base(Program, "published", "publish", "-o", "{publish}")
            {
            }
        }
    }

    [Collection(nameof(WordTallyOutFolder))]
    public sealed class WithoutSlots : IClassFixture<WithoutSlots.Build>
    {
        private readonly Build build;

        public WithoutSlots(Build build)
        {
            this.build = build;
        }

        [Fact]
        public void DotnetRun_WithoutTheSlots_TheConstructorReachesForTheHostsTree_TheConfinementRefusesIt_AndTheLogSaysSo()
        {
            ClearOutFolder();
            CommandResult run = build.RunWithDotnet();

            // UnauthorizedAccessException is not what the program catches: the runtime reports it.
            Assert.True(run.ExitCode == 134, run.Describe());
            Assert.Equal("", run.StandardOutput);
            Assert.Contains("[uk] native layer: the BCL's native calls do not reach the kernel in this run", run.StandardError, StringComparison.Ordinal);
            Assert.Contains("[uk] confinement: refused openat (syscall 257) of /texts/words.txt with EPERM", run.StandardError, StringComparison.Ordinal);
            Assert.Contains("System.UnauthorizedAccessException: Access to the path '/texts/words.txt' is denied.", run.StandardError, StringComparison.Ordinal);
            Assert.Empty(Directory.GetFiles(OutFolder, "*.txt"));
        }

        public sealed class Build : SampleBuild
        {
            public Build()
                : base(Program, "noslots", "build", "-p:UnikraftNativeSlots=false")
            {
            }
        }
    }
}
