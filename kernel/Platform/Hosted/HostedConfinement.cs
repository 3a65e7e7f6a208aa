namespace Unikraft.Kernel;

using System;
using System.Collections.Generic;
using System.Globalization;
using System.Runtime.InteropServices;

// Confinement on hosted: once the kernel has booted, a seccomp filter on the whole process (every
// thread, TSYNC) decides which host calls the process may still make, whatever code makes them
// (a library's own [DllImport], the BCL, the runtime).
// - In a NativeAOT image it is an allow list made from the plan: the runtime's own calls (memory,
//   threads, futexes, signals, clocks, I/O on descriptors already open), the calls of the host
//   folders the plan mounts (every path relative to a folder's descriptor, never to the working
//   directory, never absolute) and those of passt (its socket; signalling and reaping passt and
//   no other process). Every other call is refused.
// - Under the JIT the runtime itself still opens and maps the framework's files by path, so the
//   same allow list takes the runtime's calls by path too (JitCalls, JitPathCalls), and a Landlock
//   ruleset (HostedLandlock) decides what those may open. Without Landlock the filter is a deny
//   list: starting programs or processes, sockets, reaching into other processes (RefusedCalls).
// clone3 answers ENOSYS in both, so that glibc creates threads with clone, whose flags the filter
// can read (clone3's are behind a pointer). A refused call fails with EPERM. Where the host lets a
// filter hand its refusals to a listener (SECCOMP_RET_USER_NOTIF with TSYNC, Linux 5.7), the
// supervisor, a process of its own (ConfinementSupervisor), names the first refusal of each call
// (an open with its path) in the kernel's log before answering; otherwise the host kernel refuses
// them silently and the log says so once. The manifest lists the filter (the generator's
// confinement tables, held to these by a test).
internal static class HostedConfinement
{
    // What the plan adds to the runtime's own calls (the generated boot passes them).
    public const int HostFolders = 1;
    public const int Passt = 2;

    // The image links the OpenSSL shim (the link saw CryptoNative imports, or could not tell): it
    // loads libssl by path on first use, which the filter refuses, so the boot loads it first.
    public const int OpenSsl = 4;

    // NOTE: numbers from /usr/include/x86_64-linux-gnu/asm/unistd_64.h.
    private const int Clone = 56;
    private const int Clone3 = 435;

    // The deny list (under the JIT), each with the name the log and the manifest give it.
    internal static readonly int[] RefusedCalls =
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

    // The allow list's calls that need no argument checked: what the NativeAOT runtime, its GC and
    // threads, and the hosted platform's devices (console, clock, random, TAP) make after boot.
    internal static readonly int[] RuntimeCalls =
    {
        0,   // read
        1,   // write
        3,   // close
        5,   // fstat
        7,   // poll
        8,   // lseek
        9,   // mmap
        10,  // mprotect
        11,  // munmap
        12,  // brk
        13,  // rt_sigaction
        14,  // rt_sigprocmask
        15,  // rt_sigreturn
        16,  // ioctl
        17,  // pread64
        18,  // pwrite64
        19,  // readv
        20,  // writev
        24,  // sched_yield
        25,  // mremap
        27,  // mincore
        28,  // madvise
        32,  // dup
        35,  // nanosleep
        39,  // getpid
        60,  // exit
        63,  // uname
        72,  // fcntl
        96,  // gettimeofday
        98,  // getrusage
        99,  // sysinfo
        102, // getuid
        104, // getgid
        107, // geteuid
        108, // getegid
        131, // sigaltstack
        138, // fstatfs
        186, // gettid
        202, // futex
        204, // sched_getaffinity
        218, // set_tid_address
        219, // restart_syscall
        228, // clock_gettime
        229, // clock_getres
        230, // clock_nanosleep
        231, // exit_group
        239, // get_mempolicy
        271, // ppoll
        273, // set_robust_list
        290, // eventfd2
        292, // dup3
        293, // pipe2
        309, // getcpu
        318, // getrandom
        324, // membarrier
        334, // rseq
    };

    // The runtime's calls with an argument checked (RuntimeChecks below): clone only for a thread,
    // kill only to this process (the runtime raising a terminal's SIGINT again with its default
    // action when no CancelKeyPress handler cancelled it) or to passt, prctl only to name a thread
    // or a mapping, tgkill only within the process, prlimit64 only to read, and the
    // descriptor-relative metadata calls (glibc's fstat is newfstatat on the fd) never at the
    // working directory.
    internal static readonly int[] CheckedRuntimeCalls =
    {
        56,  // clone
        62,  // kill
        157, // prctl
        234, // tgkill
        262, // newfstatat
        302, // prlimit64
        332, // statx
    };

    // The host folders' calls (HostFolders) on a descriptor they hold, and (checked) those with a
    // path, each relative to a folder's descriptor, never to the working directory.
    internal static readonly int[] HostFolderCalls =
    {
        73,  // flock
        74,  // fsync
        75,  // fdatasync
        77,  // ftruncate
        91,  // fchmod
        217, // getdents64
        221, // fadvise64
        285, // fallocate
    };

    // Under the JIT with Landlock: the runtime's calls by path, and its own thread placement.
    // Landlock leaves metadata alone (so these reveal what exists, never content) and refuses
    // unlink outside the host folders.
    internal static readonly int[] JitCalls =
    {
        4,   // stat
        6,   // lstat
        21,  // access
        79,  // getcwd
        87,  // unlink (outside the host folders, Landlock refuses it: the runtime's at exit)
        89,  // readlink
        143, // sched_getparam (the runtime reading a thread's priority)
        145, // sched_getscheduler
        146, // sched_get_priority_max
        147, // sched_get_priority_min
        203, // sched_setaffinity (a new thread on the process's CPUs)
        267, // readlinkat
        269, // faccessat
        439, // faccessat2
    };

    // Under the JIT, checked: the runtime setting a new thread's priority (its PAL's
    // SetThreadPriority) to the normal policy, SCHED_OTHER, where no priority can be raised.
    internal static readonly int[] CheckedJitCalls =
    {
        144, // sched_setscheduler
    };

    // Under the JIT with Landlock: the opens by path (checked: at the working directory, handed to
    // the supervisor first, when it names refusals).
    internal static readonly int[] JitPathCalls =
    {
        2,   // open
        257, // openat
    };

    internal static readonly int[] CheckedHostFolderCalls =
    {
        257, // openat
        258, // mkdirat
        263, // unlinkat
        264, // renameat
        265, // linkat
        266, // symlinkat
        267, // readlinkat
        268, // fchmodat
        280, // utimensat
        316, // renameat2
        437, // openat2
    };

    // passt's calls (Passt): its socket, and (checked) ending and reaping passt itself.
    internal static readonly int[] PasstCalls =
    {
        44,  // sendto
        45,  // recvfrom
        46,  // sendmsg
        47,  // recvmsg
        48,  // shutdown
    };

    internal static readonly int[] CheckedPasstCalls =
    {
        61,  // wait4
    };

    // NOTE: from linux/seccomp.h, linux/filter.h, linux/audit.h, linux/sched.h, linux/prctl.h,
    // linux/fcntl.h.
    private const uint AuditArchX86_64 = 0xC000003E;
    private const uint X32SyscallBit = 0x40000000;
    private const uint CloneThread = 0x00010000;
    private const uint AtCurrentDirectory = 0xFFFFFF9C;
    private const uint PrSetName = 15;
    private const uint PrGetName = 16;
    private const uint PrSetVma = 0x53564D41;
    private const uint ReturnAllow = 0x7FFF0000;
    private const uint ReturnErrno = 0x00050000;
    private const uint ReturnUserNotify = 0x7FC00000;
    private const int SeccompSetModeFilter = 1;
    private const int SeccompFilterFlagTsync = 1;
    private const int SeccompFilterFlagNewListener = 8;
    private const int SeccompFilterFlagTsyncEsrch = 16;
    private const int PrSetNoNewPrivs = 38;
    private const long SyscallSeccomp = 317;

    // Installs the filter; 0, or -errno when the host refused it (the program then runs unconfined,
    // and the log says so). needs: HostFolders, Passt, OpenSsl, as the plan says; children: the
    // processes the devices started (passt's), which the kernel may end and reap; hostFolders and
    // readOnlyHostFolders: the host folders the plan mounts, which Landlock lets the JIT's process
    // open (a NativeAOT image reaches them through their descriptors only); trustStore: the host
    // folders OpenSSL reads the trusted roots from by path (HostedTrustStore), in the image too.
    public static long Install(Kernel kernel, int needs, int[] children, string[] hostFolders, string[] readOnlyHostFolders, string[] trustStore)
    {
        bool image = IsNativeImage();
        if (image)
        {
            LoadLibrariesFirst(kernel, needs);
        }

        int self = getpid();

        // Landlock decides the opens by path (HostedLandlock): under the JIT the filter is then an
        // allow list as in the image, with the runtime's path calls; without Landlock it stays the
        // deny list. In the image, where the filter refuses every open by path, Landlock is a second
        // wall. With the supervisor (ConfinementSupervisor, a process of its own) every refusal is
        // handed to it and named, and an open at the working directory under the JIT goes to it
        // first; without it the deny list's refusals fail with EPERM, unnamed, like the rest.
        List<string>? folders = Landlock(kernel, self, image, hostFolders, readOnlyHostFolders, trustStore);
        bool supervised = ConfinementSupervisor.Started;
        bool nameAll = supervised && folders is not null;
        if (prctl(PrSetNoNewPrivs, 1, 0, 0, 0) != 0)
        {
            ConfinementSupervisor.Abandon();
            return Refused(kernel, Marshal.GetLastPInvokeError());
        }

        int kind = image ? ImageList : folders is null ? DenyList : JitList;
        int errno = Errno.ESRCH;
        if (supervised)
        {
            // Read before the filter: between the filter and the supervisor's taking it, a call the
            // filter hands over waits for the supervisor, which waits for this thread.
            string workingDirectory = WorkingDirectory();
            long listener = Load(Filter(kind, nameAll, needs, self, children, ReturnUserNotify),
                SeccompFilterFlagTsync | SeccompFilterFlagNewListener | SeccompFilterFlagTsyncEsrch);
            if (listener >= 0)
            {
                // Once the supervisor holds the listener, this process lets go of it: no code here
                // may answer its own refused calls. Without a supervisor they fail with ENOSYS.
                bool handed = ConfinementSupervisor.Hand((int)listener, folders is not null, workingDirectory, folders ?? new List<string>());
                close((int)listener);
                if (!handed)
                {
                    kernel.Log.Write("[uk] confinement: the supervisor did not take the filter's refusals; refused calls fail with ENOSYS, unnamed");
                }
                return 0;
            }
            errno = Marshal.GetLastPInvokeError();
            ConfinementSupervisor.Abandon();
        }

        if (Load(Filter(kind, false, needs, self, children, ReturnErrno | Errno.EPERM), SeccompFilterFlagTsync) == 0)
        {
            kernel.Log.Write("[uk] confinement: " + (supervised ? "the host cannot hand refusals to a listener (errno " + errno + ")" : "the supervisor could not be started")
                + "; refused calls fail with EPERM unnamed");
            return 0;
        }
        return Refused(kernel, Marshal.GetLastPInvokeError());
    }

    // What the runtime and its libraries read once booted: the GC its memory (a server GC's
    // threads, outside the ruleset, at every collection) and the cgroup's usage, a new thread the
    // CPUs, the thread pool the CPUs' busy time (/proc/stat, for its hill climbing), OpenSSL its
    // configuration on first use and glibc's localtime the host's zone (OpenSSL's certificate
    // times). The supervisor lets these opens go on, unnamed
    // (sysinfo, which the filter allows, tells as much of the first), and Landlock decides where it
    // covers the thread: in the image it refuses OpenSSL's configuration with EACCES (OpenSSL then
    // runs on its defaults), as the filter did before.
    internal static readonly string[] RuntimeReads =
    {
        "/proc/meminfo",
        "/proc/stat",
        "/sys/fs/cgroup",
        "/sys/devices/system/cpu",
        "/usr/lib/ssl/openssl.cnf",
        "/etc/ssl/openssl.cnf",
        "/etc/localtime",
    };

    // The Landlock ruleset on this thread, the finalizer's and the threads they start; the paths the
    // supervisor lets opens go on to (in the image only RuntimeReads and the trust store: its filter
    // refuses every other open by path); null when the host has no Landlock (or refused it).
    private static List<string>? Landlock(Kernel kernel, int self, bool image, string[] hostFolders, string[] readOnlyHostFolders, string[] trustStore)
    {
        string[] readOnly = readOnlyHostFolders;
        if (trustStore.Length > 0)
        {
            readOnly = new string[readOnlyHostFolders.Length + trustStore.Length];
            readOnlyHostFolders.CopyTo(readOnly, 0);
            trustStore.CopyTo(readOnly, readOnlyHostFolders.Length);
        }
        int ruleset = HostedLandlock.Make(!image, hostFolders, readOnly, out int abi);
        if (ruleset >= 0 && !image)
        {
            HostedLandlock.RemoveRuntimeNames(self);
        }
        long restricted = ruleset >= 0 ? HostedLandlock.RestrictThisThread(ruleset) : ruleset;
        if (restricted < 0)
        {
            if (ruleset >= 0)
            {
                close(ruleset);
            }
            kernel.Log.Write("[uk] confinement: no Landlock on this host (" + Errno.Name((int)-restricted) + ", ABI " + abi + "); "
                + (image ? "the allow list's refusals but the deny list's are unnamed" : "under the JIT the filter is a deny list and opens by path reach the host"));
            return null;
        }

        // The finalizer thread runs the program's finalizers: restricted by one of its own. The
        // collection is also the GC's first under the ruleset (HostedLandlock: /proc/meminfo).
        FinalizerRestriction.Queue(ruleset);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        close(ruleset);
        if (FinalizerRestriction.Result != 0)
        {
            kernel.Log.Write("[uk] confinement: the finalizer thread is outside the Landlock ruleset (" + FinalizerRestriction.Result + ")");
        }

        if (image)
        {
            // OpenSSL reads the trusted roots by path (HostedTrustStore), the one open by path the
            // image's own code makes once booted.
            var reads = new List<string>(RuntimeReads);
            reads.AddRange(trustStore);
            return reads;
        }
        var folders = HostedLandlock.RuntimeFolders();
        folders.AddRange(RuntimeReads);
        folders.Add("/proc/self");
        folders.Add("/proc/" + self.ToString(CultureInfo.InvariantCulture));
        folders.Add("/dev/null");
        folders.AddRange(hostFolders);
        folders.AddRange(readOnlyHostFolders);
        folders.AddRange(trustStore);
        return folders;
    }

    // The host's working directory (libc's getcwd: Environment.CurrentDirectory would import the
    // runtime's native function into every image).
    private static string WorkingDirectory()
    {
        nint buffer = Marshal.AllocHGlobal(4096);
        try
        {
            return getcwd(buffer, 4096) != 0 ? Marshal.PtrToStringUTF8(buffer) ?? "/" : "/";
        }
        finally
        {
            Marshal.FreeHGlobal(buffer);
        }
    }

    [DllImport("libc")]
    private static extern nint getcwd(nint buffer, nint size);

    // Restricts the finalizer thread from a finalizer.
    private sealed class FinalizerRestriction
    {
        public static long Result = 1;

        private readonly int ruleset;

        private FinalizerRestriction(int ruleset)
        {
            this.ruleset = ruleset;
        }

        ~FinalizerRestriction()
        {
            Result = HostedLandlock.RestrictThisThread(ruleset);
        }

        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
        public static void Queue(int ruleset) => _ = new FinalizerRestriction(ruleset);
    }

    // A NativeAOT image has no JIT: nothing was ever compiled at run time, while under the JIT the
    // boot itself was. (RuntimeFeature.IsDynamicCodeCompiled cannot tell: a project that says
    // PublishAot=true turns dynamic code off under the JIT too.)
    internal static bool IsNativeImage() => System.Runtime.JitInfo.GetCompiledMethodCount(currentThread: false) == 0;

    private static long Refused(Kernel kernel, int errno)
    {
        kernel.Log.Write("[uk] confinement: the host refused the seccomp filter (errno " + errno + "); the program runs unconfined");
        return -(errno > 0 ? errno : Errno.EPERM);
    }

    // Libraries the image's runtime would load by path after boot, which the allow list refuses:
    // ICU, unless globalization is invariant (the first culture loads it, and the first zone its
    // time zone data), and OpenSSL when the
    // plan says the image links its shim. glibc's dlopen finds a loaded library by its name
    // later, without opening a file. (libc's own dlopen and getpid, not NativeLibrary and
    // Environment.ProcessId: those would add System.Native imports to every image.)
    private static void LoadLibrariesFirst(Kernel kernel, int needs)
    {
        if (!AppContext.TryGetSwitch("System.Globalization.Invariant", out bool invariant) || !invariant)
        {
            _ = CultureInfo.CurrentCulture.CompareInfo.Compare("a", "B", CompareOptions.IgnoreCase);
            // ICU looks for newer time zone data on the host (Debian's /usr/share/zoneinfo-icu)
            // the first time a zone is used, as DateTime.Now does, and keeps its built-in data when
            // there is none: asked once here, it is not asked again after the filter, which would
            // refuse the look and log it for an ordinary program.
            _ = TimeZoneInfo.TryConvertIanaIdToWindowsId("Etc/UTC", out string? _);
        }
        if ((needs & OpenSsl) != 0
            && (dlopen("libcrypto.so.3", RtldNow) == 0 || dlopen("libssl.so.3", RtldNow) == 0))
        {
            kernel.Log.Write("[uk] confinement: OpenSSL 3 (libssl.so.3) is not on the host; cryptography and TLS will fail");
        }
    }

    private static long Load(byte[] program, int flags)
    {
        nint filter = Marshal.AllocHGlobal(program.Length);
        nint header = Marshal.AllocHGlobal(16);
        try
        {
            Marshal.Copy(program, 0, filter, program.Length);
            Marshal.WriteInt64(header, 0, program.Length / 8);
            Marshal.WriteIntPtr(header, 8, filter);
            return syscall(SyscallSeccomp, SeccompSetModeFilter, flags, header);
        }
        finally
        {
            Marshal.FreeHGlobal(header);
            Marshal.FreeHGlobal(filter);
        }
    }

    // The filter's kinds: the JIT's deny list (no Landlock), the image's allow list, and the JIT's
    // allow list under Landlock.
    internal const int DenyList = 0;
    internal const int ImageList = 1;
    internal const int JitList = 2;

    // The classic BPF program: the architecture (anything but x86-64 is refused, x32 too), then
    // the call's number against each list; refuse: the action for a refused call; nameAll: every
    // refusal takes it (and the JIT's opens by path at the working directory go to it first), else
    // only the deny list's.
    internal static byte[] Filter(int kind, bool nameAll, int needs, int self, int[] children, uint refuse)
    {
        var writer = new FilterWriter(nameAll);
        writer.Load(FilterWriter.OffsetArch);
        writer.JumpEqual(AuditArchX86_64, FilterWriter.Next, FilterWriter.Refuse);
        writer.Load(FilterWriter.OffsetNumber);
        writer.JumpGreaterOrEqual(X32SyscallBit, FilterWriter.Refuse, FilterWriter.Next);
        writer.JumpEqual(Clone3, FilterWriter.NoSystemCall, FilterWriter.Next);
        if (kind == DenyList)
        {
            foreach (int number in RefusedCalls)
            {
                writer.JumpEqual((uint)number, FilterWriter.Refuse, FilterWriter.Next);
            }
            int clone = writer.NewLabel();
            writer.JumpEqual(Clone, clone, FilterWriter.Allow);
            writer.Place(clone);
            writer.LoadArgument(0);
            writer.JumpSet(CloneThread, FilterWriter.Allow, FilterWriter.Refuse);
            return writer.Finish(refuse);
        }

        bool jit = kind != ImageList;
        Dispatch(writer, RuntimeCalls, false);
        if (jit)
        {
            // Under Landlock the runtime's metadata calls by path are allowed, and its opens by
            // path are Landlock's (the supervisor names those outside the allowed folders first).
            Dispatch(writer, JitCalls, false);
            Dispatch(writer, CheckedJitCalls, true);
            Dispatch(writer, JitPathCalls, true);
        }
        Dispatch(writer, CheckedRuntimeCalls, true);
        if ((needs & HostFolders) != 0)
        {
            Dispatch(writer, HostFolderCalls, false);
            Dispatch(writer, CheckedHostFolderCalls, true);
        }
        if ((needs & Passt) != 0)
        {
            Dispatch(writer, PasstCalls, false);
            Dispatch(writer, CheckedPasstCalls, true);
        }
        // Outside the allow list, the deny list's calls are refused with the refusal asked for
        // (named by the supervisor); the rest too with nameAll (the supervisor is a process of its
        // own, which no collection in this one stops), and otherwise with EPERM in the host
        // kernel, unnamed.
        foreach (int number in RefusedCalls)
        {
            writer.JumpEqual((uint)number, FilterWriter.Refuse, FilterWriter.Next);
        }
        writer.Jump(FilterWriter.Silent);
        writer.Checks(self, children, jit);
        return writer.Finish(refuse);
    }

    // One test of the number per call: allowed, or, for a checked table, on to the call's check.
    private static void Dispatch(FilterWriter writer, int[] calls, bool check)
    {
        foreach (int number in calls)
        {
            writer.JumpEqual((uint)number, check ? writer.CheckOf(number) : FilterWriter.Allow, FilterWriter.Next);
        }
    }

    // Builds the program with forward jumps to labels: Next (the following instruction), the
    // three endings, and one label per checked call, whose check Checks writes.
    private sealed class FilterWriter
    {
        public const int Next = -1;
        public const int Allow = -2;
        public const int Refuse = -3;
        public const int NoSystemCall = -4;
        public const int Silent = -5;

        // seccomp_data: nr (4 bytes), arch (4), instruction pointer (8), then six 8-byte arguments;
        // the low half of an argument first (little-endian), which is what an int argument is.
        public const uint OffsetNumber = 0;
        public const uint OffsetArch = 4;
        private const uint OffsetFirstArgument = 16;

        private const ushort LoadWordAbsolute = 0x20;
        private const ushort JumpAlways = 0x05;
        private const ushort JumpEqualCode = 0x15;
        private const ushort JumpGreaterOrEqualCode = 0x35;
        private const ushort JumpSetCode = 0x45;
        private const ushort ReturnConstant = 0x06;

        private readonly List<ushort> codes = new List<ushort>();
        private readonly List<int> whenTrue = new List<int>();
        private readonly List<int> whenFalse = new List<int>();
        private readonly List<uint> constants = new List<uint>();
        private readonly List<int> placed = new List<int>();

        // The checked calls that a dispatch jumped to: number and label.
        private readonly List<int> checkedNumbers = new List<int>();
        private readonly List<int> checkedLabels = new List<int>();

        // Silent refusals too go the way of Refuse (every refusal named).
        private readonly bool nameAll;

        public FilterWriter(bool nameAll)
        {
            this.nameAll = nameAll;
        }

        public int NewLabel()
        {
            placed.Add(-1);
            return placed.Count - 1;
        }

        public void Place(int label)
        {
            placed[label] = codes.Count;
        }

        // A label for number's check, which Checks writes.
        public int CheckOf(int number)
        {
            int label = NewLabel();
            checkedNumbers.Add(number);
            checkedLabels.Add(label);
            return label;
        }

        public void Load(uint offset) => Add(LoadWordAbsolute, Next, Next, offset);

        public void LoadArgument(int index) => Load(OffsetFirstArgument + (uint)(8 * index));

        public void Jump(int target) => Add(JumpAlways, target, Next, 0);

        public void JumpEqual(uint value, int target, int otherwise) => Add(JumpEqualCode, target, otherwise, value);

        public void JumpGreaterOrEqual(uint value, int target, int otherwise) => Add(JumpGreaterOrEqualCode, target, otherwise, value);

        public void JumpSet(uint bits, int target, int otherwise) => Add(JumpSetCode, target, otherwise, bits);

        // The checks of the calls dispatched to them, in order. A failed check refuses in the host
        // kernel (Silent), but for clone: a process started is the deny list's business.
        public void Checks(int self, int[] children, bool jit)
        {
            for (int index = 0; index < checkedNumbers.Count; index++)
            {
                Place(checkedLabels[index]);
                switch (checkedNumbers[index])
                {
                    case 56: // clone: a thread, sharing this process
                        LoadArgument(0);
                        JumpSet(CloneThread, Allow, Refuse);
                        break;
                    case 144: // sched_setscheduler: SCHED_OTHER only (0)
                        LoadArgument(1);
                        JumpEqual(0, Allow, Silent);
                        break;
                    case 157: // prctl: name a thread or an anonymous mapping, read a name
                        LoadArgument(0);
                        JumpEqual(PrSetName, Allow, Next);
                        JumpEqual(PrGetName, Allow, Next);
                        JumpEqual(PrSetVma, Allow, Silent);
                        break;
                    case 234: // tgkill: a thread of this process
                        LoadArgument(0);
                        JumpEqual((uint)self, Allow, Silent);
                        break;
                    case 302: // prlimit64: this process, reading only (no new limit)
                        LoadArgument(0);
                        JumpEqual(0, Next, Silent);
                        LoadArgument(2);
                        JumpEqual(0, Next, Silent);
                        Load(OffsetFirstArgument + 8 * 2 + 4);
                        JumpEqual(0, Allow, Silent);
                        break;
                    case 62: // kill: this process, or passt
                        LoadArgument(0);
                        JumpEqual((uint)self, Allow, Next);
                        foreach (int child in children)
                        {
                            JumpEqual((uint)child, Allow, Next);
                        }
                        Jump(Silent);
                        break;
                    case 61: // wait4: passt, no other process
                        LoadArgument(0);
                        foreach (int child in children)
                        {
                            JumpEqual((uint)child, Allow, Next);
                        }
                        Jump(Silent);
                        break;
                    case 265: // linkat, renameat, renameat2: both directories
                    case 264:
                    case 316:
                        LoadArgument(0);
                        JumpEqual(AtCurrentDirectory, Silent, Next);
                        LoadArgument(2);
                        JumpEqual(AtCurrentDirectory, Silent, Allow);
                        break;
                    case 266: // symlinkat: the new name's directory
                        LoadArgument(1);
                        JumpEqual(AtCurrentDirectory, Silent, Allow);
                        break;
                    case 2: // open (JIT): the supervisor checks the path first
                        Jump(nameAll ? Refuse : Allow);
                        break;
                    case 257: // openat, openat2: relative to a descriptor; at the working
                    case 437: // directory, under the JIT the supervisor checks the path first
                        LoadArgument(0);
                        JumpEqual(AtCurrentDirectory, jit ? (nameAll ? Refuse : Allow) : Silent, Allow);
                        break;
                    case 262: // newfstatat, statx: relative to a descriptor, but under the JIT
                    case 332: // (Landlock does not cover metadata)
                        LoadArgument(0);
                        JumpEqual(AtCurrentDirectory, jit ? Allow : Silent, Allow);
                        break;
                    default: // the descriptor-relative calls: never the working directory
                        LoadArgument(0);
                        JumpEqual(AtCurrentDirectory, Silent, Allow);
                        break;
                }
            }
        }

        // The four endings, then the jumps resolved: eight bytes an instruction (code, jump if
        // true, jump if false, k), a jump counting the instructions it skips.
        public byte[] Finish(uint refuse)
        {
            int refuseAt = codes.Count;
            Add(ReturnConstant, Next, Next, refuse);
            int allowAt = codes.Count;
            Add(ReturnConstant, Next, Next, ReturnAllow);
            int noSystemCallAt = codes.Count;
            Add(ReturnConstant, Next, Next, ReturnErrno | Errno.ENOSYS);
            int silentAt = codes.Count;
            Add(ReturnConstant, Next, Next, nameAll ? refuse : ReturnErrno | Errno.EPERM);

            byte[] program = new byte[codes.Count * 8];
            for (int index = 0; index < codes.Count; index++)
            {
                int at = index * 8;
                ushort code = codes[index];
                uint k = constants[index];
                int skipTrue = Skip(index, whenTrue[index], refuseAt, allowAt, noSystemCallAt, silentAt);
                int skipFalse = Skip(index, whenFalse[index], refuseAt, allowAt, noSystemCallAt, silentAt);
                if (code == JumpAlways)
                {
                    // An unconditional jump counts in k.
                    k = (uint)skipTrue;
                    skipTrue = 0;
                }
                program[at] = (byte)code;
                program[at + 1] = (byte)(code >> 8);
                program[at + 2] = (byte)skipTrue;
                program[at + 3] = (byte)skipFalse;
                program[at + 4] = (byte)k;
                program[at + 5] = (byte)(k >> 8);
                program[at + 6] = (byte)(k >> 16);
                program[at + 7] = (byte)(k >> 24);
            }
            return program;
        }

        private int Skip(int index, int target, int refuseAt, int allowAt, int noSystemCallAt, int silentAt)
        {
            int at = target == Next ? index + 1
                : target == Allow ? allowAt
                : target == Refuse ? refuseAt
                : target == NoSystemCall ? noSystemCallAt
                : target == Silent ? silentAt
                : placed[target];
            int skip = at - index - 1;
            if (skip < 0 || skip > 255)
            {
                throw new KernelException("confinement: a jump of the seccomp filter does not fit (" + skip + " instructions)");
            }
            return skip;
        }

        private void Add(ushort code, int target, int otherwise, uint k)
        {
            codes.Add(code);
            whenTrue.Add(target);
            whenFalse.Add(otherwise);
            constants.Add(k);
        }
    }

    // The name of a call the supervisor is handed, with its number.
    internal static string Describe(int number)
    {
        string name = number switch
        {
            2 => "open",
            4 => "stat",
            6 => "lstat",
            21 => "access",
            41 => "socket",
            42 => "connect",
            43 => "accept",
            44 => "sendto",
            46 => "sendmsg",
            49 => "bind",
            50 => "listen",
            53 => "socketpair",
            56 => "clone (not a thread)",
            57 => "fork",
            58 => "vfork",
            59 => "execve",
            61 => "wait4",
            62 => "kill",
            82 => "rename",
            83 => "mkdir",
            84 => "rmdir",
            85 => "creat",
            86 => "link",
            87 => "unlink",
            88 => "symlink",
            89 => "readlink",
            90 => "chmod",
            92 => "chown",
            101 => "ptrace",
            105 => "setuid",
            106 => "setgid",
            112 => "setsid",
            157 => "prctl",
            160 => "setrlimit",
            161 => "chroot",
            165 => "mount",
            170 => "sethostname",
            175 => "init_module",
            200 => "tkill",
            203 => "sched_setaffinity",
            234 => "tgkill",
            250 => "keyctl",
            257 => "openat",
            258 => "mkdirat",
            262 => "newfstatat",
            263 => "unlinkat",
            264 => "renameat",
            267 => "readlinkat",
            272 => "unshare",
            288 => "accept4",
            302 => "prlimit64",
            308 => "setns",
            310 => "process_vm_readv",
            311 => "process_vm_writev",
            316 => "renameat2",
            319 => "memfd_create",
            321 => "bpf",
            322 => "execveat",
            332 => "statx",
            425 => "io_uring_setup",
            434 => "pidfd_open",
            437 => "openat2",
            438 => "pidfd_getfd",
            _ => "a host call",
        };
        return name + " (syscall " + number.ToString(CultureInfo.InvariantCulture) + ")";
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int prctl(int option, ulong second, ulong third, ulong fourth, ulong fifth);

    [DllImport("libc", SetLastError = true)]
    private static extern long syscall(long number, long first, long second, nint third);

    [DllImport("libc", SetLastError = true)]
    private static extern int close(int fd);

    [DllImport("libc")]
    private static extern int getpid();

    // NOTE: RTLD_NOW from dlfcn.h.
    private const int RtldNow = 2;

    [DllImport("libc")]
    private static extern nint dlopen(string file, int mode);

}
