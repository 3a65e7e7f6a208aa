namespace Unikraft.Kernel.Tests;

using System;
using Xunit;

// HostedConfinement's seccomp filters, run by a classic BPF interpreter of the test's own over
// seccomp_data records, as the host kernel runs them: which calls, with which arguments, each
// filter allows, refuses, or answers ENOSYS. (Installing one here would confine the test runner;
// ConfinementTests installs them in real programs.)
public sealed class HostedConfinementTests
{
    private const uint Allow = 0x7FFF0000;
    private const uint Refuse = 0x7FC00000;
    private const uint NoSystemCall = 0x00050000 | 38;
    private const uint Eperm = 0x00050000 | 1;
    private const uint X86_64 = 0xC000003E;
    private const ulong AtCurrentDirectory = unchecked((ulong)-100L);
    private const ulong CloneThreadFlags = 0x003D0F00;
    private const ulong ForkFlags = 17;
    private const int Self = 4242;
    private const int Passt = 5151;

    private static readonly byte[] Image = HostedConfinement.Filter(HostedConfinement.ImageList, false, HostedConfinement.HostFolders | HostedConfinement.Passt, Self, new[] { Passt }, Refuse);
    private static readonly byte[] BareImage = HostedConfinement.Filter(HostedConfinement.ImageList, false, 0, Self, Array.Empty<int>(), Refuse);
    private static readonly byte[] Jit = HostedConfinement.Filter(HostedConfinement.DenyList, false, HostedConfinement.HostFolders | HostedConfinement.Passt, Self, new[] { Passt }, Refuse);

    [Theory]
    [InlineData(0)]   // read
    [InlineData(1)]   // write
    [InlineData(9)]   // mmap
    [InlineData(202)] // futex
    [InlineData(231)] // exit_group
    [InlineData(318)] // getrandom
    public void Image_AllowsTheRuntimesOwnCalls(int number)
    {
        Assert.Equal(Allow, Run(BareImage, number));
    }

    // The deny list's calls go to the supervisor, which names them.
    [Theory]
    [InlineData(41)]  // socket
    [InlineData(42)]  // connect
    [InlineData(59)]  // execve
    [InlineData(57)]  // fork
    [InlineData(101)] // ptrace
    public void Image_RefusesTheDenyList_ThroughTheSupervisor(int number)
    {
        Assert.Equal(Refuse, Run(BareImage, number, 5));
    }

    // The rest of what the plan does not need fails with EPERM in the host kernel, unnamed: the
    // runtime's own threads make some of these while the supervisor cannot run (the GC opens
    // /proc/meminfo with every managed thread stopped).
    [Theory]
    [InlineData(2)]   // open: always by path
    [InlineData(4)]   // stat
    [InlineData(89)]  // readlink
    [InlineData(165)] // mount
    [InlineData(62)]  // kill, with no passt in the plan
    [InlineData(46)]  // sendmsg, with no passt in the plan
    [InlineData(217)] // getdents64, with no host folder in the plan
    public void Image_RefusesWhatThePlanDoesNotNeed_InTheHostKernel(int number)
    {
        Assert.Equal(Eperm, Run(BareImage, number, 5));
    }

    [Fact]
    public void Image_OpensOnlyRelativeToADescriptor_AndOnlyWithHostFolders()
    {
        Assert.Equal(Allow, Run(Image, 257, 5));
        Assert.Equal(Allow, Run(Image, 437, 5));
        Assert.Equal(Allow, Run(Image, 217, 5));  // getdents64 on a descriptor the folder gave
        Assert.Equal(Allow, Run(Image, 77, 5));   // ftruncate
        Assert.Equal(Eperm, Run(Image, 257, AtCurrentDirectory));
        Assert.Equal(Eperm, Run(Image, 437, AtCurrentDirectory));
        // The host kernel reads the descriptor as an int: AT_FDCWD with other high bits is still it.
        Assert.Equal(Eperm, Run(Image, 257, 0x12345678FFFFFF9CUL));
        Assert.Equal(Eperm, Run(BareImage, 257, 5));
    }

    [Fact]
    public void Image_ChecksEveryDirectoryOfTwoDirectoryCalls()
    {
        foreach (int number in new[] { 264, 265, 316 }) // renameat, linkat, renameat2
        {
            Assert.Equal(Allow, Run(Image, number, 5, 0, 6));
            Assert.Equal(Eperm, Run(Image, number, AtCurrentDirectory, 0, 6));
            Assert.Equal(Eperm, Run(Image, number, 5, 0, AtCurrentDirectory));
        }
        Assert.Equal(Allow, Run(Image, 266, 0, 5));                   // symlinkat(target, dir, name)
        Assert.Equal(Eperm, Run(Image, 266, 0, AtCurrentDirectory));
    }

    [Fact]
    public void Image_StatsADescriptor_ButNoPathFromTheWorkingDirectory()
    {
        // glibc's fstat is newfstatat(fd, "", AT_EMPTY_PATH): the runtime needs it with no folder.
        Assert.Equal(Allow, Run(BareImage, 262, 3));
        Assert.Equal(Allow, Run(BareImage, 332, 3));
        Assert.Equal(Eperm, Run(BareImage, 262, AtCurrentDirectory));
        Assert.Equal(Eperm, Run(BareImage, 332, AtCurrentDirectory));
    }

    [Fact]
    public void Image_StartsThreads_ButNoProcess_AndClone3AnswersEnosys()
    {
        Assert.Equal(Allow, Run(BareImage, 56, CloneThreadFlags));
        Assert.Equal(Refuse, Run(BareImage, 56, ForkFlags));
        Assert.Equal(NoSystemCall, Run(BareImage, 435));
    }

    [Fact]
    public void Image_SignalsOnlyItsOwnThreads_AndOnlyPasstAmongProcesses()
    {
        Assert.Equal(Allow, Run(Image, 234, Self, 7, 10));
        Assert.Equal(Eperm, Run(Image, 234, 1, 1, 10));
        Assert.Equal(Allow, Run(Image, 62, Passt, 15));
        // The runtime raising SIGINT again at itself (no CancelKeyPress handler cancelled Ctrl-C),
        // with passt in the plan or not.
        Assert.Equal(Allow, Run(Image, 62, Self, 2));
        Assert.Equal(Allow, Run(BareImage, 62, Self, 2));
        Assert.Equal(Eperm, Run(BareImage, 62, Passt, 15));
        Assert.Equal(Allow, Run(Image, 61, Passt));
        Assert.Equal(Eperm, Run(Image, 62, 1, 9));
        Assert.Equal(Eperm, Run(Image, 62, unchecked((ulong)-1L), 9));
        Assert.Equal(Eperm, Run(Image, 61, unchecked((ulong)-1L)));
    }

    [Fact]
    public void Image_ReadsItsLimits_NamesThreads_AndNothingMoreOfPrctlOrPrlimit()
    {
        Assert.Equal(Allow, Run(BareImage, 302, 0, 7, 0, 0x7FFF0000));
        Assert.Equal(Eperm, Run(BareImage, 302, 0, 7, 0x7FFF0000));
        Assert.Equal(Eperm, Run(BareImage, 302, 0, 7, 0x100000000UL));
        Assert.Equal(Eperm, Run(BareImage, 302, 1, 7, 0));
        Assert.Equal(Allow, Run(BareImage, 157, 15));          // PR_SET_NAME
        Assert.Equal(Allow, Run(BareImage, 157, 0x53564D41));  // PR_SET_VMA
        Assert.Equal(Eperm, Run(BareImage, 157, 4));          // PR_SET_DUMPABLE
        Assert.Equal(Eperm, Run(BareImage, 157, 22));         // PR_SET_SECCOMP
    }

    [Fact]
    public void EveryFilter_RefusesOtherArchitecturesAndX32()
    {
        foreach (byte[] filter in new[] { Image, BareImage, Jit })
        {
            Assert.Equal(Refuse, Run(filter, 0, arch: 0x40000003));   // i386
            Assert.Equal(Refuse, Run(filter, 0x40000000 | 1));        // x32 write
        }
    }

    [Fact]
    public void Jit_RefusesItsDenyList_AndLetsTheRuntimeOpenByPath()
    {
        foreach (int number in HostedConfinement.RefusedCalls)
        {
            Assert.Equal(Refuse, Run(Jit, number));
        }
        Assert.Equal(Allow, Run(Jit, 257, AtCurrentDirectory));
        Assert.Equal(Allow, Run(Jit, 56, CloneThreadFlags));
        Assert.Equal(Refuse, Run(Jit, 56, ForkFlags));
        Assert.Equal(NoSystemCall, Run(Jit, 435));
        Assert.Equal(Allow, Run(Jit, 165)); // a deny list lets the rest through
    }

    // Under the JIT with Landlock: the image's list and the runtime's calls by path; an open at the
    // working directory goes through (Landlock decides), or to the supervisor first when every
    // refusal is named; what is on neither list is refused.
    [Fact]
    public void JitAllowList_AddsTheRuntimesPathCalls_AndRefusesTheRest()
    {
        byte[] jit = HostedConfinement.Filter(HostedConfinement.JitList, false, 0, Self, Array.Empty<int>(), Refuse);
        byte[] naming = HostedConfinement.Filter(HostedConfinement.JitList, true, 0, Self, Array.Empty<int>(), Refuse);

        Assert.Equal(Allow, Run(jit, 0));                         // read
        Assert.Equal(Allow, Run(jit, 4));                         // stat
        Assert.Equal(Allow, Run(jit, 257, AtCurrentDirectory));   // openat at the working directory
        Assert.Equal(Refuse, Run(naming, 257, AtCurrentDirectory));
        Assert.Equal(Refuse, Run(jit, 41));                       // socket: the deny list
        Assert.Equal(Refuse, Run(jit, 59));                       // execve
        Assert.NotEqual(Allow, Run(jit, 165));                    // mount: on no list
        Assert.Equal(Refuse, Run(naming, 165));
        Assert.NotEqual(Allow, Run(BareImage, 4));                // stat is the JIT's only
        Assert.Equal(Allow, Run(jit, 145));                       // sched_getscheduler
        Assert.Equal(Allow, Run(jit, 144, 4243, 0));              // sched_setscheduler to SCHED_OTHER
        Assert.NotEqual(Allow, Run(jit, 144, 4243, 1));           // to SCHED_FIFO
        Assert.Equal(Refuse, Run(naming, 144, 4243, 1));
        Assert.NotEqual(Allow, Run(BareImage, 144, 4243, 0));     // the JIT's only
    }

    [Fact]
    public void TheRefusalAction_IsTheOneAsked()
    {
        byte[] silent = HostedConfinement.Filter(HostedConfinement.ImageList, false, 0, Self, Array.Empty<int>(), 0x00050000 | 1);

        Assert.Equal(0x00050000u | 1, Run(silent, 41));
        Assert.Equal(Allow, Run(silent, 0));
    }

    [Fact]
    public void TheTables_HaveNoCallTwice_AndNoneBothAllowedAndDenied()
    {
        var seen = new System.Collections.Generic.HashSet<int>();
        foreach (int[] table in new[] { HostedConfinement.RuntimeCalls, HostedConfinement.CheckedRuntimeCalls, HostedConfinement.HostFolderCalls,
            HostedConfinement.CheckedHostFolderCalls, HostedConfinement.PasstCalls, HostedConfinement.CheckedPasstCalls })
        {
            foreach (int number in table)
            {
                Assert.True(seen.Add(number), "syscall " + number + " is listed twice");
                Assert.DoesNotContain(number, HostedConfinement.RefusedCalls);
            }
        }

        // The JIT's tables come before the host folders' (whose checks they make moot, readlinkat),
        // after the runtime's.
        var jit = new System.Collections.Generic.HashSet<int>(HostedConfinement.RuntimeCalls);
        jit.UnionWith(HostedConfinement.CheckedRuntimeCalls);
        foreach (int[] table in new[] { HostedConfinement.JitCalls, HostedConfinement.CheckedJitCalls, HostedConfinement.JitPathCalls })
        {
            foreach (int number in table)
            {
                Assert.True(jit.Add(number), "syscall " + number + " is listed twice");
                Assert.DoesNotContain(number, HostedConfinement.RefusedCalls);
            }
        }
    }

    // The test runner runs under the JIT, so the deny list is the one it would get, whatever the
    // PublishAot setting of its project says.
    [Fact]
    public void UnderTheJit_TheProcessIsNotANativeImage()
    {
        Assert.False(HostedConfinement.IsNativeImage());
    }

    [Fact]
    public void Describe_NamesTheCallAndItsNumber()
    {
        Assert.Equal("socket (syscall 41)", HostedConfinement.Describe(41));
        Assert.Equal("clone (not a thread) (syscall 56)", HostedConfinement.Describe(56));
        Assert.Equal("a host call (syscall 400)", HostedConfinement.Describe(400));
        // Every call the supervisor can be handed has its name.
        foreach (int number in HostedConfinement.RefusedCalls)
        {
            Assert.DoesNotContain("a host call", HostedConfinement.Describe(number));
        }
    }

    // Runs the filter over one seccomp_data: the number, the architecture, six arguments.
    private static uint Run(byte[] filter, int number, ulong a0 = 0, ulong a1 = 0, ulong a2 = 0, ulong a3 = 0, uint arch = X86_64)
    {
        byte[] data = new byte[64];
        BitConverter.GetBytes(number).CopyTo(data, 0);
        BitConverter.GetBytes(arch).CopyTo(data, 4);
        ulong[] arguments = { a0, a1, a2, a3 };
        for (int index = 0; index < arguments.Length; index++)
        {
            BitConverter.GetBytes(arguments[index]).CopyTo(data, 16 + 8 * index);
        }

        Assert.Equal(0, filter.Length % 8);
        uint accumulator = 0;
        int pc = 0;
        for (int steps = 0; steps < 4096; steps++)
        {
            Assert.InRange(pc, 0, filter.Length / 8 - 1);
            ushort code = BitConverter.ToUInt16(filter, pc * 8);
            byte whenTrue = filter[pc * 8 + 2];
            byte whenFalse = filter[pc * 8 + 3];
            uint k = BitConverter.ToUInt32(filter, pc * 8 + 4);
            switch (code)
            {
                case 0x20: // BPF_LD | BPF_W | BPF_ABS
                    Assert.True(k + 4 <= data.Length, "a load past seccomp_data");
                    accumulator = BitConverter.ToUInt32(data, (int)k);
                    pc++;
                    break;
                case 0x05: // BPF_JMP | BPF_JA
                    pc += 1 + (int)k;
                    break;
                case 0x15: // BPF_JMP | BPF_JEQ | BPF_K
                    pc += 1 + (accumulator == k ? whenTrue : whenFalse);
                    break;
                case 0x35: // BPF_JMP | BPF_JGE | BPF_K
                    pc += 1 + (accumulator >= k ? whenTrue : whenFalse);
                    break;
                case 0x45: // BPF_JMP | BPF_JSET | BPF_K
                    pc += 1 + ((accumulator & k) != 0 ? whenTrue : whenFalse);
                    break;
                case 0x06: // BPF_RET | BPF_K
                    return k;
                default:
                    throw new InvalidOperationException("an instruction the interpreter does not know: 0x" + code.ToString("X"));
            }
        }
        throw new InvalidOperationException("the filter did not return");
    }
}
