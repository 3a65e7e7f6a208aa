namespace Unikraft.Kernel;

using System;
using System.Runtime.InteropServices;

// Confinement on hosted: once the kernel has booted, a seccomp filter on the whole process (every
// thread, TSYNC) refuses with EPERM the host calls that a program on its kernel never needs,
// whatever code makes them (a library's own [DllImport], the BCL under the JIT):
// - starting another program or process: execve, execveat, fork, vfork, and clone without
//   CLONE_THREAD (threads are still made with clone3 and clone(CLONE_THREAD));
// - sockets: socket, connect, bind, listen, accept, accept4 (no network device exists yet);
// - reaching into other processes: ptrace, process_vm_readv, process_vm_writev.
// Everything else stays allowed: this is a deny list, and the runtime's own calls (memory,
// threads, futexes, its ICU and OpenSSL loading) need no exception. A deny-listed call is refused
// in the host kernel, so the kernel's log cannot name it; the manifest lists the filter (the
// generator's HostedConfinementSummary, held to RefusedCalls by a test).
internal static class HostedConfinement
{
    // NOTE: numbers from /usr/include/x86_64-linux-gnu/asm/unistd_64.h.
    private const int Clone = 56;

    private static readonly int[] RefusedCalls =
    {
        41,  // socket
        42,  // connect
        43,  // accept
        49,  // bind
        50,  // listen
        57,  // fork
        58,  // vfork
        59,  // execve
        101, // ptrace
        288, // accept4
        310, // process_vm_readv
        311, // process_vm_writev
        322, // execveat
    };

    // NOTE: from linux/seccomp.h, linux/filter.h, linux/audit.h and linux/sched.h.
    private const uint AuditArchX86_64 = 0xC000003E;
    private const uint X32SyscallBit = 0x40000000;
    private const uint CloneThread = 0x00010000;
    private const uint ReturnAllow = 0x7FFF0000;
    private const uint ReturnErrno = 0x00050000;
    private const ushort LoadWordAbsolute = 0x20;
    private const ushort JumpEqual = 0x15;
    private const ushort JumpGreaterOrEqual = 0x35;
    private const ushort JumpSet = 0x45;
    private const ushort ReturnConstant = 0x06;
    private const int SeccompSetModeFilter = 1;
    private const int SeccompFilterFlagTsync = 1;
    private const int PrSetNoNewPrivs = 38;
    private const long SyscallSeccomp = 317;

    // seccomp_data: nr (4 bytes), arch (4), instruction pointer (8), then the six arguments.
    private const uint OffsetNumber = 0;
    private const uint OffsetArch = 4;
    private const uint OffsetFirstArgument = 16;

    // Installs the filter; 0, or -errno when the host refused it (the program then runs unconfined,
    // and the log says so).
    public static long Install(Kernel kernel)
    {
        byte[] program = Filter();
        nint filter = Marshal.AllocHGlobal(program.Length);
        nint header = Marshal.AllocHGlobal(16);
        try
        {
            Marshal.Copy(program, 0, filter, program.Length);
            Marshal.WriteInt64(header, 0, program.Length / 8);
            Marshal.WriteIntPtr(header, 8, filter);
            if (prctl(PrSetNoNewPrivs, 1, 0, 0, 0) != 0 || syscall(SyscallSeccomp, SeccompSetModeFilter, SeccompFilterFlagTsync, header) != 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                kernel.Log.Write("[uk] confinement: the host refused the seccomp filter (errno " + errno + "); the program runs unconfined");
                return -(errno > 0 ? errno : Errno.EPERM);
            }
            return 0;
        }
        finally
        {
            Marshal.FreeHGlobal(header);
            Marshal.FreeHGlobal(filter);
        }
    }

    // The classic BPF program, eight bytes an instruction: code, jump if true, jump if false, k.
    private static byte[] Filter()
    {
        int count = 6 + RefusedCalls.Length + 3;
        int allow = count - 2;
        int deny = count - 1;
        byte[] program = new byte[count * 8];
        int index = 0;
        void Emit(ushort code, int whenTrue, int whenFalse, uint k)
        {
            // Jumps count the instructions skipped after this one; -1 means "the next one".
            int at = index * 8;
            program[at] = (byte)code;
            program[at + 1] = (byte)(code >> 8);
            program[at + 2] = (byte)(whenTrue < 0 ? 0 : whenTrue - index - 1);
            program[at + 3] = (byte)(whenFalse < 0 ? 0 : whenFalse - index - 1);
            program[at + 4] = (byte)k;
            program[at + 5] = (byte)(k >> 8);
            program[at + 6] = (byte)(k >> 16);
            program[at + 7] = (byte)(k >> 24);
            index++;
        }

        Emit(LoadWordAbsolute, -1, -1, OffsetArch);
        Emit(JumpEqual, -1, deny, AuditArchX86_64);
        Emit(LoadWordAbsolute, -1, -1, OffsetNumber);
        Emit(JumpGreaterOrEqual, deny, -1, X32SyscallBit);
        foreach (int number in RefusedCalls)
        {
            Emit(JumpEqual, deny, -1, (uint)number);
        }
        Emit(JumpEqual, -1, allow, Clone);
        Emit(LoadWordAbsolute, -1, -1, OffsetFirstArgument);
        Emit(JumpSet, allow, deny, CloneThread);
        Emit(ReturnConstant, -1, -1, ReturnAllow);
        Emit(ReturnConstant, -1, -1, ReturnErrno | Errno.EPERM);
        return program;
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int prctl(int option, ulong second, ulong third, ulong fourth, ulong fifth);

    [DllImport("libc", SetLastError = true)]
    private static extern long syscall(long number, long first, long second, nint third);
}
