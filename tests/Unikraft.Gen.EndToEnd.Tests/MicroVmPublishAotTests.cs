namespace Unikraft.Gen.EndToEnd.Tests;

using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using Xunit;
using Xunit.Abstractions;

// samples/Hello published for the microvm platform, as a user would:
// `dotnet publish samples/Hello -c Release -r linux-x64 -p:PublishAot=true -p:UnikraftPlatform=microvm`,
// then booted in QEMU with no Linux inside.
public sealed class MicroVmHelloPublishAotTests : IClassFixture<MicroVmHelloPublishAotTests.VmPublish>
{
    private readonly VmPublish publish;
    private readonly ITestOutputHelper output;

    public MicroVmHelloPublishAotTests(VmPublish publish, ITestOutputHelper output)
    {
        this.publish = publish;
        this.output = output;
    }

    // The image is a PVH kernel: an ELF file whose note tells QEMU where to enter it in 32-bit mode.
    [Fact]
    public void Hello_PublishMicroVm_WritesAPvhImageBesideTheBinary()
    {
        publish.EnsureSucceeded();
        string image = Path.Combine(publish.PublishPath, "Hello.vm");
        Assert.True(File.Exists(image), "no Hello.vm in " + publish.PublishPath);
        byte[] bytes = File.ReadAllBytes(image);
        Assert.Equal(new byte[] { 0x7F, (byte)'E', (byte)'L', (byte)'F' }, bytes[0..4]);
        // NOTE: an ELF note: name size 4, descriptor size 4, type 18 (XEN_ELFNOTE_PHYS32_ENTRY), "Xen\0".
        byte[] note = [4, 0, 0, 0, 4, 0, 0, 0, 18, 0, 0, 0, (byte)'X', (byte)'e', (byte)'n', 0];
        Assert.True(bytes.AsSpan().IndexOf(note) > 0, "Hello.vm has no PVH entry note");

        string manifest = File.ReadAllText(publish.OutputFile("Hello.kernel.txt"));
        Assert.Contains("(platform microvm)", manifest, StringComparison.Ordinal);
        Assert.Contains("    futex: ", manifest, StringComparison.Ordinal);
        Assert.Contains("    clock_gettime: ", manifest, StringComparison.Ordinal);

        long program = new FileInfo(Path.Combine(publish.PublishPath, "Hello")).Length;
        output.WriteLine("Hello.vm: " + bytes.Length + " bytes; the unstripped static binary beside it: " + program + " bytes.");
    }

    [QemuFact]
    public void Hello_BootsInMicroVm_PrintsGreeting_AndExitsWithZero()
    {
        CommandResult run = MicroVm.Boot(publish, []);

        Assert.True(run.ExitCode == 0, run.Describe());
        Assert.StartsWith("Unikraft.Gen kernel (microvm) for Hello", run.StandardOutput, StringComparison.Ordinal);
        Assert.EndsWith("\nHello, world!\n", run.StandardOutput, StringComparison.Ordinal);
        Assert.Equal("", run.StandardError);
        output.WriteLine("QEMU start to exit: " + run.Elapsed.TotalSeconds.ToString("0.00", System.Globalization.CultureInfo.InvariantCulture) + " s.");
    }

    // With UNIKRAFT_TRACE=1 the runner asks the shim for its trace: every system call the
    // runtime made, and what the shim answered.
    [QemuFact]
    public void Hello_TracedBoot_ShowsTheRuntimesSyscallsServedByTheShim()
    {
        CommandResult run = MicroVm.Boot(publish, [], new Dictionary<string, string> { ["UNIKRAFT_TRACE"] = "1" });

        Assert.True(run.ExitCode == 0, run.Describe());
        Assert.Contains("[shim] arch_prctl = 0", run.StandardError, StringComparison.Ordinal);
        Assert.Contains("[shim] clone = ", run.StandardError, StringComparison.Ordinal);
        Assert.Contains("[shim] rt_sigaction = 0", run.StandardError, StringComparison.Ordinal);
        Assert.Contains("[shim] memory in use at exit, KiB: ", run.StandardError, StringComparison.Ordinal);
        Assert.Contains("[shim] mmap = ", run.StandardError, StringComparison.Ordinal);
    }

    public sealed class VmPublish : SampleBuild
    {
        public VmPublish()
            : base("Hello", "microvm", "publish", "-c", "Release", "-r", "linux-x64", "-p:PublishAot=true", "-p:UnikraftPlatform=microvm", "-o", "{publish}")
        {
        }
    }
}

// A test program (Programs/VmProbe) that asks of the VM what programs ask of Linux: arguments
// and environment, a file of its initrd, a thread-pool task, a timer, the GC, a null dereference caught as
// an exception, and an exit status of its own.
public sealed class MicroVmProbePublishAotTests : IClassFixture<MicroVmProbePublishAotTests.VmPublish>
{
    private readonly VmPublish publish;

    public MicroVmProbePublishAotTests(VmPublish publish)
    {
        this.publish = publish;
    }

    [QemuFact]
    public void Probe_BootsInMicroVm_WithArgumentsEnvironmentInitrdThreadPoolTimersGcAndNullReference()
    {
        CommandResult run = MicroVm.Boot(publish, ["one", "two words", "100%"],
            new Dictionary<string, string> { ["UNIKRAFT_VM_ENV"] = "GREETING=bonjour" });

        Assert.True(run.ExitCode == 42, run.Describe());
        Assert.Equal(
            "args: one|two words|100%\n" +
            "GREETING=bonjour\n" +
            "Hello from the initrd, inside the VM.\n" +
            "from the thread pool\n" +
            "Task.Delay(100) waited at least 100 ms: True\n" +
            "collections: True\n" +
            "caught NullReferenceException\n",
            run.StandardOutput);
    }

    // The same boot under KVM. Where /dev/kvm is PVM (this project's build machine: KVM without
    // VT-x, slower than TCG for a short program) the runner takes TCG unless asked, so the test
    // asks; the probe boot's cached answer shows KVM ran the shim.
    [KvmFact]
    public void Probe_UnderKvm_GivesTheSameOutput()
    {
        Assert.True(File.Exists("/dev/kvm"), "/dev/kvm is missing: this test boots under KVM");
        string cache = Path.Combine(publish.Folder, "kvm-cache");
        Directory.CreateDirectory(cache);
        CommandResult run = MicroVm.Boot(publish, ["one", "two words", "100%"], new Dictionary<string, string>
        {
            ["UNIKRAFT_VM_ENV"] = "GREETING=bonjour",
            ["UNIKRAFT_VM_ACCEL"] = "kvm",
            ["XDG_CACHE_HOME"] = cache,
        });

        Assert.True(run.ExitCode == 42, run.Describe());
        Assert.StartsWith("args: one|two words|100%\nGREETING=bonjour\nHello from the initrd, inside the VM.\n", run.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("caught NullReferenceException\n", run.StandardOutput, StringComparison.Ordinal);
        string answer = File.ReadAllText(Assert.Single(Directory.GetFiles(Path.Combine(cache, "unikraft-gen"), "kvm-probe-*")));
        Assert.Equal("kvm\n", answer);
    }

    // Standard input reaches the program through the serial line, a line per read, and ends where
    // the runner's input ends; a line longer than the shim's line buffer (1,024 bytes) arrives in
    // parts that ReadLine joins.
    [QemuFact]
    public void Probe_ReadsStandardInputFromTheSerialLine_ToItsEnd()
    {
        string longLine = new string('x', 3000);
        CommandResult run = MicroVm.Boot(publish, ["echo"], input: "first line\nsecond, with spaces\n" + longLine + "\nlast without newline");

        Assert.True(run.ExitCode == 7, run.Describe());
        Assert.Equal(
            "read: first line\n" +
            "read: second, with spaces\n" +
            "read: " + longLine + "\n" +
            "read: last without newline\n" +
            "end of input after 4 lines\n",
            run.StandardOutput);
    }

    // Time in the VM is real time (the TSC calibrated on the PIT), and an idle VM sleeps in hlt
    // until the APIC timer's deadline instead of spinning on the TSC: three seconds of Task.Delay
    // take at least three seconds and cost QEMU well under a second of CPU (spinning, they cost
    // three). The figure is QEMU's own CPU time, through the shell's `times`.
    [QemuFact]
    public void Probe_IdleVm_SleepsInsteadOfSpinning()
    {
        CommandResult run = MicroVm.Boot(publish, ["sleep"], shell: "\"$0\" \"$@\"; status=$?; times >&2; exit $status");

        Assert.True(run.ExitCode == 9, run.Describe());
        Assert.Equal("slept\n", run.StandardOutput);
        Assert.True(run.Elapsed >= TimeSpan.FromSeconds(3), "a 3 s Task.Delay in the VM took " + run.Elapsed.TotalSeconds + " s of real time: " + run.Describe());
        string[] children = run.StandardError.TrimEnd().Split('\n')[^1].Split(' ');
        double cpu = children.Sum(Seconds);
        Assert.True(cpu < 1.5, "the VM used " + cpu + " s of CPU for a 3 s sleep: " + run.Describe());
    }

    // The timer preempts: a thread that spins without a syscall cannot hold the VM, so a timer's
    // callback on another thread runs and stops it.
    [QemuFact]
    public void Probe_ThreadSpinningWithoutSyscalls_IsPreempted()
    {
        CommandResult run = MicroVm.Boot(publish, ["spin"]);

        Assert.True(run.ExitCode == 11, run.Describe());
        Assert.Equal("the timer's callback stopped the spinning main thread: True\n", run.StandardOutput);
    }

    // "1m2.500s", as bash's times prints it.
    private static double Seconds(string time)
    {
        int minutes = time.IndexOf('m');
        return int.Parse(time[..minutes], System.Globalization.CultureInfo.InvariantCulture) * 60
            + double.Parse(time[(minutes + 1)..^1], System.Globalization.CultureInfo.InvariantCulture);
    }

    [QemuFact]
    public void Probe_WithNoInput_SeesTheEndAtOnce()
    {
        CommandResult run = MicroVm.Boot(publish, ["echo"]);

        Assert.True(run.ExitCode == 7, run.Describe());
        Assert.Equal("end of input after 0 lines\n", run.StandardOutput);
    }

    // As on hosted: the exception is reported on the console and the status is 128 + SIGABRT, which
    // QEMU's own exit code could not carry (isa-debug-exit keeps seven bits).
    [QemuFact]
    public void Probe_UnhandledException_IsReported_AndExitsWith134()
    {
        CommandResult run = MicroVm.Boot(publish, ["throw"]);

        Assert.True(run.ExitCode == 134, run.Describe());
        Assert.StartsWith("Unhandled exception. System.InvalidOperationException: nothing caught this, inside the VM", run.StandardOutput, StringComparison.Ordinal);
    }

    // A stack overflow ends the program as Linux ends it: killed by SIGSEGV (139), like the same
    // static binary run on this Linux beside it. On the main thread nothing is mapped below the
    // stack; on a thread of its own the guard page glibc leaves PROT_NONE (mmap, then mprotect of
    // the rest) stops it, where an unenforced mprotect let it run on through the memory below.
    [QemuFact]
    public void Probe_StackOverflowOnTheMainThread_IsKilledBySigsegv_AsOnLinux()
    {
        AssertEndsAsOnLinux("overflow", 139, "recursing\n");
    }

    [QemuFact]
    public void Probe_StackOverflowOnAThread_StopsAtGlibcsGuardPage_AndIsKilledBySigsegv_AsOnLinux()
    {
        AssertEndsAsOnLinux("overflow-thread", 139, "recursing\n");
    }

    // The program's code is mapped read-only (its PT_LOAD's flags): a write to it faults, and the
    // runtime's handler ends the program as it does on Linux (its message, then SIGABRT).
    [QemuFact]
    public void Probe_WriteToItsOwnCode_FaultsAndIsReported_AsOnLinux()
    {
        CommandResult run = AssertEndsAsOnLinux("write-code", 134, "writing to code\n");
        Assert.Contains("Access Violation: Attempted to read or write protected memory", run.StandardOutput, StringComparison.Ordinal);
    }

    // mprotect is enforced, through glibc's wrapper as the runtime calls it: a read-only page still
    // reads, PROT_NONE and back to read-write keeps its contents, and a write once it is read-only
    // again faults, ending the program as on Linux.
    [QemuFact]
    public void Probe_WriteToAPageMprotectedReadOnly_Faults_AsOnLinux()
    {
        CommandResult run = AssertEndsAsOnLinux("mprotect", 134,
            "read-only: 0, reads 42\n" +
            "none, then read-write: 0 0, kept 42\n" +
            "read-only again: 0; writing\n");
        Assert.Contains("Access Violation: Attempted to read or write protected memory", run.StandardOutput, StringComparison.Ordinal);
        Assert.DoesNotContain("the read-only page was written", run.StandardOutput, StringComparison.Ordinal);
    }

    // A system call given a pointer the program may not use answers EFAULT, as on Linux, where
    // the shim used to fault on it itself and end the VM (status 125): the probe passes pointers
    // below its memory, into a PROT_NONE page, into a read-only page (for a call that writes) and
    // into the kernel's half to the calls the shim serves, and prints each answer; the same
    // static binary run on this Linux beside it prints the same.
    [QemuFact]
    public void Probe_BadPointersToSystemCalls_AnswerEfault_AsOnLinux()
    {
        CommandResult run = MicroVm.Boot(publish, ["efault"]);
        CommandResult linux = Command.Run(Path.Combine(publish.PublishPath, "VmProbe"), ["efault"], publish.Folder, TimeSpan.FromMinutes(1));

        Assert.True(linux.ExitCode == 15, "on Linux: " + linux.Describe());
        Assert.True(run.ExitCode == 15, run.Describe());
        Assert.Equal(linux.StandardOutput, run.StandardOutput);
        Assert.StartsWith("mapped: True True\npipe2 (good): returned 0\nwrite to the pipe (good): returned 3\n", run.StandardOutput, StringComparison.Ordinal);
        Assert.EndsWith("read from the pipe (good): returned 3\nstill running\n", run.StandardOutput, StringComparison.Ordinal);
        // NOTE: four bad pointers; 15 calls each, and 6 more for the three that cannot be read.
        Assert.Equal(4 * 15 + 3 * 6, run.StandardOutput.Split('\n').Count(line => line.EndsWith(": errno 14", StringComparison.Ordinal)));
        Assert.Equal("", run.StandardError);
    }

    private CommandResult AssertEndsAsOnLinux(string mode, int status, string firstOutput)
    {
        CommandResult run = MicroVm.Boot(publish, [mode]);
        CommandResult linux = Command.Run(Path.Combine(publish.PublishPath, "VmProbe"), [mode], publish.Folder, TimeSpan.FromMinutes(1));

        Assert.True(linux.ExitCode == status, "on Linux: " + linux.Describe());
        Assert.True(run.ExitCode == status, run.Describe());
        Assert.StartsWith(firstOutput, run.StandardOutput, StringComparison.Ordinal);
        Assert.DoesNotContain("fault in the shim itself", run.StandardError, StringComparison.Ordinal);
        return run;
    }

    public sealed class VmPublish : SampleBuild
    {
        public VmPublish()
            : base("tests/Unikraft.Gen.EndToEnd.Tests/Programs/VmProbe", "microvm", "publish", "-c", "Release", "-r", "linux-x64", "-o", "{publish}")
        {
        }
    }
}

// A VM has no host folder to share: a hostfs mount on microvm is a build error naming the mount.
public sealed class MicroVmHostFsTests : IClassFixture<MicroVmHostFsTests.VmBuild>
{
    private readonly VmBuild build;

    public MicroVmHostFsTests(VmBuild build)
    {
        this.build = build;
    }

    [Fact]
    public void Files_BuiltForMicroVm_HostFsMountIsABuildErrorNamingTheMount()
    {
        CommandResult result = build.Result!;

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("<UnikraftMount Include=\"/data\" Type=\"hostfs\">: the microvm platform has no host folders to mount", result.StandardOutput, StringComparison.Ordinal);
    }

    public sealed class VmBuild : SampleBuild
    {
        public VmBuild()
            : base("Files", "microvm-build", "build", "-p:UnikraftPlatform=microvm")
        {
        }
    }
}
