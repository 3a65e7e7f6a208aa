namespace Unikraft.Kernel;

using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;

// Which host files a program run under the JIT may still open once booted (Landlock, Linux 5.13;
// landlock(7)). The JIT's runtime opens and maps the framework's assemblies by path after boot,
// loads ICU and OpenSSL from the system's library folders, and reads its own /proc entries, so
// the seccomp filter (HostedConfinement) cannot refuse opens by path there: it cannot read a path
// (a pointer), and its supervisor (ConfinementSupervisor) reads one only to name a refusal: it
// could only check a string that another thread may change before the host kernel reads it again
// (seccomp_unotify(2)). Landlock decides in the host kernel, on the file actually reached (a
// symbolic link or /proc/self/fd/N counts where it leads), for every open of every thread it
// covers:
// - reading (and mapping, and listing) beneath the runtime's folders: the folder of every trusted
//   assembly the host resolved (the shared frameworks, the app's own folder, a package folder),
//   the native search folders, and SystemFolders below; reading and writing /dev/null;
// - reading and writing beneath each host folder the plan mounts (reading only for a read-only
//   mount), which hostfs reaches through its own descriptors anyway;
// - nothing else: an open elsewhere fails with EACCES, any TCP bind or connect is refused (Landlock
//   ABI 4), and abstract Unix sockets outside the process are out of reach (ABI 6).
// Landlock does not cover metadata: stat, readlink and access of any path still answer.
//
// /proc/meminfo is left out on purpose: the GC reads it at every collection, and stops reading it
// for good after one failure (it falls back to sysinfo), so the boot's first collection under the
// ruleset ends those reads.
//
// landlock_restrict_self covers the calling thread and the threads it creates later, not the
// others (no TSYNC flag up to ABI 7): the boot restricts its own thread (the one that runs Main,
// and so starts the thread pool, the timers and the program's threads) and the
// finalizer thread (through a finalizer). The runtime's threads that existed before the boot
// (synchronization manager, EventPipe, debugger, tiered compilation) run none of the program's
// code; the seccomp filter covers them all.
internal static class HostedLandlock
{
    // The system's folders the runtime reads after boot: shared libraries (ICU, OpenSSL, glibc's
    // modules), the loader's cache, OpenSSL's configuration and certificates, the time zones,
    // CPU and cgroup limits, and randomness. Kept equal to the manifest's line by a test.
    internal static readonly string[] SystemFolders =
    {
        "/lib",
        "/lib64",
        "/usr/lib",
        "/usr/lib64",
        "/usr/local/lib",
        "/etc/ld.so.cache",
        "/etc/ssl",
        "/etc/localtime",
        "/usr/share/zoneinfo",
        "/sys/fs/cgroup",
        "/sys/devices/system/cpu",
        "/dev/urandom",
        "/dev/random",
    };

    // NOTE: numbers from asm/unistd_64.h; constants from linux/landlock.h and fcntl.h.
    private const long SyscallCreateRuleset = 444;
    private const long SyscallAddRule = 445;
    private const long SyscallRestrictSelf = 446;
    private const long CreateRulesetVersion = 1;
    private const long RulePathBeneath = 1;
    private const ulong Execute = 1UL << 0;
    private const ulong WriteFile = 1UL << 1;
    private const ulong ReadFile = 1UL << 2;
    private const ulong ReadDirectory = 1UL << 3;
    private const ulong Truncate = 1UL << 14;
    private const ulong ScopeAbstractUnixSocket = 1;
    private const ulong HandledNetwork = 3; // LANDLOCK_ACCESS_NET_BIND_TCP | CONNECT_TCP
    private const int PathOnly = 0x200000; // O_PATH
    private const int Directory = 0x10000; // O_DIRECTORY
    private const int CloseOnExec = 0x80000; // O_CLOEXEC
    private const int PrSetNoNewPrivs = 38;

    // The file rights a rule on a file (not a folder) may carry.
    private const ulong FileRights = Execute | WriteFile | ReadFile | Truncate | (1UL << 15);

    // The ruleset's descriptor, or -errno: ENOSYS or EOPNOTSUPP when the host has no Landlock.
    // abi: the host's Landlock version (0 without).
    // runtime: the JIT's, whose runtime reads its folders; a NativeAOT image reads none by path.
    public static int Make(bool runtime, string[] hostFolders, string[] readOnlyHostFolders, out int abi)
    {
        abi = (int)syscall(SyscallCreateRuleset, 0, 0, CreateRulesetVersion, 0);
        if (abi < 1)
        {
            int errno = Marshal.GetLastPInvokeError();
            abi = 0;
            return -(errno > 0 ? errno : Errno.ENOSYS);
        }

        // Every right this host knows is handled (ABI 1: 13 rights, 2: refer, 3: truncate,
        // 5: ioctl on devices), so none is left allowed by default.
        ulong handled = (1UL << 13) - 1;
        handled |= abi >= 2 ? 1UL << 13 : 0;
        handled |= abi >= 3 ? 1UL << 14 : 0;
        handled |= abi >= 5 ? 1UL << 15 : 0;
        ulong read = Execute | ReadFile | ReadDirectory;
        ulong all = handled;

        // struct landlock_ruleset_attr: handled_access_fs, handled_access_net (ABI 4), scoped (ABI 6).
        nint attributes = Marshal.AllocHGlobal(24);
        nint rule = Marshal.AllocHGlobal(12);
        try
        {
            Marshal.WriteInt64(attributes, 0, (long)handled);
            Marshal.WriteInt64(attributes, 8, abi >= 4 ? (long)HandledNetwork : 0);
            Marshal.WriteInt64(attributes, 16, abi >= 6 ? (long)ScopeAbstractUnixSocket : 0);
            long ruleset = syscall(SyscallCreateRuleset, (long)attributes, abi >= 6 ? 24 : abi >= 4 ? 16 : 8, 0, 0);
            if (ruleset < 0)
            {
                return -Marshal.GetLastPInvokeError();
            }

            if (runtime)
            {
                foreach (string folder in RuntimeFolders())
                {
                    Allow((int)ruleset, rule, folder, read);
                }
            }
            Allow((int)ruleset, rule, "/proc/self", read);
            Allow((int)ruleset, rule, "/dev/null", ReadFile | WriteFile);
            foreach (string folder in hostFolders)
            {
                Allow((int)ruleset, rule, folder, all);
            }
            foreach (string folder in readOnlyHostFolders)
            {
                Allow((int)ruleset, rule, folder, ReadFile | ReadDirectory);
            }
            return (int)ruleset;
        }
        finally
        {
            Marshal.FreeHGlobal(rule);
            Marshal.FreeHGlobal(attributes);
        }
    }

    // Restricts the calling thread (and the threads it creates from now on); 0 or -errno.
    // no_new_privs is a thread's own: Landlock needs it on each thread it restricts.
    public static long RestrictThisThread(int ruleset)
    {
        if (prctl(PrSetNoNewPrivs, 1, 0, 0, 0) != 0)
        {
            return -Marshal.GetLastPInvokeError();
        }
        return syscall(SyscallRestrictSelf, ruleset, 0, 0, 0) == 0 ? 0 : -Marshal.GetLastPInvokeError();
    }

    // Removes the names the JIT's runtime made in the temporary folder at start (the diagnostic
    // server's socket, the debugger's two pipes): it removes them at exit, which the ruleset
    // refuses, and would leave them behind. The runtime keeps what it opened; what goes is that a
    // diagnostic tool (dotnet-trace, dotnet-counters) or a debugger cannot attach after boot.
    // NOTE: the names are the runtime's: "dotnet-diagnostic-{pid}-{key}-socket" and
    // "clr-debug-pipe-{pid}-{key}-in"/"-out" in $TMPDIR (else /tmp), key being the process's start
    // time in clock ticks, field 22 of /proc/self/stat (proc_pid_stat(5)).
    public static void RemoveRuntimeNames(int self)
    {
        string? key = StartTime();
        if (key is null)
        {
            return;
        }
        string folder = Environment.GetEnvironmentVariable("TMPDIR") is { Length: > 0 } temporary ? temporary.TrimEnd('/') : "/tmp";
        string stem = self.ToString(System.Globalization.CultureInfo.InvariantCulture) + "-" + key;
        unlink(folder + "/dotnet-diagnostic-" + stem + "-socket");
        unlink(folder + "/clr-debug-pipe-" + stem + "-in");
        unlink(folder + "/clr-debug-pipe-" + stem + "-out");
    }

    private static string? StartTime()
    {
        int fd = open("/proc/self/stat", CloseOnExec);
        if (fd < 0)
        {
            return null;
        }
        nint buffer = Marshal.AllocHGlobal(1024);
        try
        {
            long length = read(fd, buffer, 1024);
            string? stat = length > 0 ? Marshal.PtrToStringUTF8(buffer, (int)length) : null;

            // The second field (the command) is in parentheses and may hold spaces: count from
            // the last ')', which ends field 2.
            int end = stat is null ? -1 : stat.LastIndexOf(')');
            if (end < 0)
            {
                return null;
            }
            string[] fields = stat!.Substring(end + 2).Split(' ');
            return fields.Length > 19 ? fields[19] : null;
        }
        finally
        {
            Marshal.FreeHGlobal(buffer);
            close(fd);
        }
    }

    // The runtime's folders: those of the trusted assemblies the host resolved (the shared
    // frameworks, the app's own folder, packages), the app's base folder, the native search
    // folders, then SystemFolders. Missing ones are left out when the rule is made.
    internal static List<string> RuntimeFolders()
    {
        var folders = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        void Add(string folder)
        {
            folder = folder.TrimEnd('/');
            if (folder.Length > 0 && seen.Add(folder))
            {
                folders.Add(folder);
            }
        }

        if (AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") is string assemblies)
        {
            foreach (string assembly in assemblies.Split(':', StringSplitOptions.RemoveEmptyEntries))
            {
                int slash = assembly.LastIndexOf('/');
                if (slash > 0)
                {
                    Add(assembly.Substring(0, slash));
                }
            }
        }
        // (AppContext.BaseDirectory would import the runtime's native path functions into every
        // image; the host's property says the same.)
        if (AppContext.GetData("APP_CONTEXT_BASE_DIRECTORY") is string baseDirectory)
        {
            Add(baseDirectory);
        }
        if (AppContext.GetData("NATIVE_DLL_SEARCH_DIRECTORIES") is string native)
        {
            foreach (string folder in native.Split(':', StringSplitOptions.RemoveEmptyEntries))
            {
                Add(folder);
            }
        }
        foreach (string folder in SystemFolders)
        {
            Add(folder);
        }
        return folders;
    }

    // One rule: rights beneath path (a folder), or on it (a file, file rights only). A path the
    // host does not have is skipped.
    private static void Allow(int ruleset, nint rule, string path, ulong rights)
    {
        int fd = open(path, PathOnly | Directory | CloseOnExec);
        if (fd < 0)
        {
            fd = open(path, PathOnly | CloseOnExec);
            rights &= FileRights;
        }
        if (fd < 0)
        {
            return;
        }

        // struct landlock_path_beneath_attr (packed): allowed_access, parent_fd. Every argument is
        // passed, the flags (0) too: a register left out holds whatever was there.
        Marshal.WriteInt64(rule, 0, (long)rights);
        Marshal.WriteInt32(rule, 8, fd);
        syscall(SyscallAddRule, ruleset, RulePathBeneath, (long)rule, 0);
        close(fd);
    }

    [DllImport("libc", SetLastError = true)]
    private static extern long syscall(long number, long first, long second, long third, long fourth);

    [DllImport("libc", SetLastError = true)]
    private static extern int open(string path, int flags);

    [DllImport("libc")]
    private static extern int close(int fd);

    [DllImport("libc")]
    private static extern long read(int fd, nint buffer, long count);

    [DllImport("libc")]
    private static extern int unlink(string path);

    [DllImport("libc", SetLastError = true)]
    private static extern int prctl(int option, ulong second, ulong third, ulong fourth, ulong fifth);
}
