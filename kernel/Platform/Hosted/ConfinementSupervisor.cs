namespace Unikraft.Kernel;

using System;
using System.Collections.Generic;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

// The confinement's supervisor: a process of its own, the program's executable started again
// before the filter, that receives every call the seccomp filter hands over (SECCOMP_RET_USER_NOTIF),
// names the first refusal of each call (an open with its path) in the kernel's log, and answers.
// It has to be outside the program's process: a refused call waits for its answer, and the
// runtime's own threads make such calls (a new thread reads /sys as it starts, the GC reads its
// limits) while a collection has every managed thread of the process stopped, a supervisor thread
// too. A thread there waiting for it would never be answered.
// - Start (the boot's first step) starts it with posix_spawn, before Landlock and the filter, which
//   would refuse starting it and would confine it too. It gets two pipes and nothing else: its
//   standard streams are /dev/null, so a reader of the program's output does not wait for it.
// - Hand (the filter's last step) tells it the listener's descriptor number, the working
//   directory and the folders Landlock allows; it takes the listener and the program's stderr
//   with pidfd_getfd and says so, and only then does the program close its own listener, so no
//   code in the program can answer its own refused calls.
// - It ends when the program's process has ended (the listener hangs up).
internal static class ConfinementSupervisor
{
    private const string Variable = "UNIKRAFT_CONFINEMENT_SUPERVISOR";

    // NOTE: numbers from asm/unistd_64.h, linux/seccomp.h, poll.h, fcntl.h, linux/prctl.h.
    private const long SyscallPidfdOpen = 434;
    private const long SyscallPidfdGetfd = 438;
    private const ulong NotifyReceive = 0xC0502100;
    private const ulong NotifySend = 0xC0182101;
    private const int NotifyLength = 80;
    private const int ResponseLength = 24;
    private const int NotifyContinue = 1;
    private const int PollIn = 1;
    private const int PollHangUp = 0x10;
    private const int CloseOnExec = 0x80000; // O_CLOEXEC
    private const int SetDescriptorFlags = 2; // F_SETFD
    private const int ReadOnly = 0;
    private const int WriteOnly = 1;
    private const int PrSetPtracer = 0x59616D61;

    // The log names at most NamedLimit distinct refusals, so a program walking a host tree cannot
    // flood it.
    private const int NamedLimit = 64;

    // In the program's process: the pipe to the supervisor and the one back, or -1.
    private static int toSupervisor = -1;
    private static int fromSupervisor = -1;

    // Whether a supervisor was started and waits for Hand.
    public static bool Started => toSupervisor >= 0;

    // The boot's first step. In the process started as the supervisor this serves, then ends the
    // process; in the program's it starts the supervisor. A host where that fails keeps the filter's
    // refusals unnamed (HostedConfinement says so in the log).
    public static void Start()
    {
        nint asked = getenv(Variable);
        if (asked != 0)
        {
            _exit(Serve(Marshal.PtrToStringUTF8(asked) ?? ""));
        }

        int[] down = new int[2];
        int[] up = new int[2];
        if (pipe2(down, CloseOnExec) != 0)
        {
            return;
        }
        if (pipe2(up, CloseOnExec) != 0)
        {
            close(down[0]);
            close(down[1]);
            return;
        }

        // The supervisor's ends stay open across its exec: nothing else starts a process while the
        // boot's first step runs, and both are closed here right after.
        fcntl(down[0], SetDescriptorFlags, 0);
        fcntl(up[1], SetDescriptorFlags, 0);
        int pid = Spawn(down[0].ToString(CultureInfo.InvariantCulture) + "," + up[1].ToString(CultureInfo.InvariantCulture));
        close(down[0]);
        close(up[1]);
        if (pid <= 0)
        {
            close(down[1]);
            close(up[0]);
            return;
        }

        // Where Yama restricts ptrace to descendants, the supervisor (a child) may still take
        // descriptors from this process and read its memory. (EINVAL without Yama.)
        prctl(PrSetPtracer, (ulong)pid, 0, 0, 0);
        toSupervisor = down[1];
        fromSupervisor = up[0];
    }

    // Hands the listener to the supervisor; true once it holds it. paths: whether it checks the
    // path of an open at the working directory against folders (the JIT's allow list), or names
    // every handed call a refusal. Closes the pipes either way.
    public static bool Hand(int listener, bool paths, string workingDirectory, List<string> folders)
    {
        var message = new StringBuilder();
        message.Append(listener.ToString(CultureInfo.InvariantCulture)).Append('\n')
            .Append(paths ? "paths" : "calls").Append('\n')
            .Append(workingDirectory).Append('\n');
        foreach (string folder in folders)
        {
            message.Append(folder).Append('\n');
        }
        byte[] bytes = Encoding.UTF8.GetBytes(message.ToString());
        bool written = HostedCalls.WriteAll(toSupervisor, bytes) == bytes.Length;
        close(toSupervisor);
        toSupervisor = -1;

        // The supervisor answers one byte once it holds the listener, or ends (end of file).
        byte[] answer = new byte[1];
        long read = written ? HostedCalls.Read(fromSupervisor, answer) : -1;
        close(fromSupervisor);
        fromSupervisor = -1;
        return read == 1 && answer[0] == (byte)'k';
    }

    // The boot gave up confining: the supervisor reads the end of its pipe and ends.
    public static void Abandon()
    {
        if (toSupervisor >= 0)
        {
            close(toSupervisor);
            close(fromSupervisor);
            toSupervisor = -1;
            fromSupervisor = -1;
        }
    }

    // The program's executable again (/proc/self/exe: the apphost, dotnet, or the NativeAOT
    // image), with the same arguments and environment, the variable naming the two pipes, and no
    // diagnostics server of its runtime. Its pid, or -1.
    private static int Spawn(string pipes)
    {
        byte[]? arguments = ReadWhole("/proc/self/cmdline");
        byte[]? environment = ReadWhole("/proc/self/environ");
        if (arguments is null || arguments.Length == 0 || environment is null)
        {
            return -1;
        }

        var variables = new List<byte[]>();
        foreach (byte[] entry in Split(environment))
        {
            string text = Encoding.UTF8.GetString(entry);
            if (!text.StartsWith(Variable + "=", StringComparison.Ordinal) && !text.StartsWith("DOTNET_EnableDiagnostics=", StringComparison.Ordinal))
            {
                variables.Add(entry);
            }
        }
        variables.Add(Encoding.UTF8.GetBytes(Variable + "=" + pipes));
        variables.Add(Encoding.UTF8.GetBytes("DOTNET_EnableDiagnostics=0"));

        var blocks = new List<nint>();
        nint actions = Marshal.AllocHGlobal(128);
        try
        {
            nint argv = Vector(Split(arguments), blocks);
            nint envp = Vector(variables, blocks);
            if (posix_spawn_file_actions_init(actions) != 0)
            {
                return -1;
            }
            posix_spawn_file_actions_addopen(actions, 0, "/dev/null", ReadOnly, 0);
            posix_spawn_file_actions_addopen(actions, 1, "/dev/null", WriteOnly, 0);
            posix_spawn_file_actions_adddup2(actions, 1, 2);
            int result = posix_spawn(out int pid, "/proc/self/exe", actions, 0, argv, envp);
            posix_spawn_file_actions_destroy(actions);
            return result == 0 ? pid : -1;
        }
        finally
        {
            foreach (nint block in blocks)
            {
                Marshal.FreeHGlobal(block);
            }
            Marshal.FreeHGlobal(actions);
        }
    }

    // A NULL-ended vector of C strings in unmanaged memory (its blocks, for freeing).
    private static nint Vector(List<byte[]> strings, List<nint> blocks)
    {
        nint vector = Marshal.AllocHGlobal((strings.Count + 1) * IntPtr.Size);
        blocks.Add(vector);
        for (int index = 0; index < strings.Count; index++)
        {
            nint text = Marshal.AllocHGlobal(strings[index].Length + 1);
            blocks.Add(text);
            Marshal.Copy(strings[index], 0, text, strings[index].Length);
            Marshal.WriteByte(text, strings[index].Length, 0);
            Marshal.WriteIntPtr(vector, index * IntPtr.Size, text);
        }
        Marshal.WriteIntPtr(vector, strings.Count * IntPtr.Size, 0);
        return vector;
    }

    // The NUL-ended entries of a /proc file.
    private static List<byte[]> Split(byte[] data)
    {
        var entries = new List<byte[]>();
        int start = 0;
        for (int index = 0; index <= data.Length; index++)
        {
            if (index == data.Length ? index > start : data[index] == 0)
            {
                byte[] entry = new byte[index - start];
                Array.Copy(data, start, entry, 0, entry.Length);
                entries.Add(entry);
                start = index + 1;
            }
        }
        return entries;
    }

    // A file's bytes through libc (the kernel is not booted yet, and the BCL's files are its own).
    private static byte[]? ReadWhole(string path)
    {
        int fd = open(path, ReadOnly | CloseOnExec);
        if (fd < 0)
        {
            return null;
        }
        byte[]? all = ReadAll(fd);
        close(fd);
        return all;
    }

    // What a descriptor gives until its end, or null on an error.
    private static byte[]? ReadAll(int fd)
    {
        var all = new List<byte>();
        byte[] chunk = new byte[4096];
        while (true)
        {
            long read = HostedCalls.Read(fd, chunk);
            if (read <= 0)
            {
                return read == 0 ? all.ToArray() : null;
            }
            for (int index = 0; index < read; index++)
            {
                all.Add(chunk[index]);
            }
        }
    }

    // The supervisor's process: reads what Hand wrote, takes the listener and the program's stderr
    // from its parent, says so, and serves. Its exit status (nobody waits for it).
    private static int Serve(string pipes)
    {
        string[] ends = pipes.Split(',');
        if (ends.Length != 2 || !int.TryParse(ends[0], NumberStyles.None, CultureInfo.InvariantCulture, out int input)
            || !int.TryParse(ends[1], NumberStyles.None, CultureInfo.InvariantCulture, out int output))
        {
            return 2;
        }

        // Ctrl-C on the terminal signals the whole process group: the program decides what it
        // means (Console.CancelKeyPress), and the supervisor serves on until the program ends.
        signal(SignalInterrupt, SignalIgnore);
        signal(SignalQuit, SignalIgnore);

        int parent = getppid();
        byte[]? message = ReadAll(input);
        string[] lines = message is null ? Array.Empty<string>() : Encoding.UTF8.GetString(message).Split('\n');
        if (lines.Length < 3 || !int.TryParse(lines[0], NumberStyles.None, CultureInfo.InvariantCulture, out int number))
        {
            return 0; // the program gave up confining, or ended first
        }

        // The pidfd names the parent only if it is still the parent once opened (not a process
        // that took its pid after it ended).
        long pidfd = syscall(SyscallPidfdOpen, parent, 0, 0);
        if (pidfd < 0 || getppid() != parent)
        {
            return 1;
        }
        long listener = syscall(SyscallPidfdGetfd, pidfd, number, 0);
        long log = syscall(SyscallPidfdGetfd, pidfd, 2, 0);
        if (listener < 0)
        {
            return 1;
        }
        HostedCalls.WriteAll(output, new[] { (byte)'k' });
        close(output);

        PathCheck? paths = null;
        if (lines[1] == "paths")
        {
            var folders = new List<string>();
            for (int index = 3; index < lines.Length; index++)
            {
                if (lines[index].Length > 0)
                {
                    folders.Add(lines[index]);
                }
            }
            paths = new PathCheck(folders, lines[2], parent);
        }
        Supervise((int)listener, (int)log, paths);
        return 0;
    }

    // Receives each handed call, names it in the log the first time, and answers EPERM. With paths
    // (the JIT's allow list) an open at the working directory is answered by the path: inside the
    // folders Landlock allows, the call goes on (CONTINUE: Landlock decides, on what the host
    // kernel reads, whatever another thread wrote there meanwhile); outside, EPERM, named with the
    // path. Stops when the program's process has ended.
    private static void Supervise(int listener, int log, PathCheck? paths)
    {
        nint notification = Marshal.AllocHGlobal(NotifyLength);
        nint response = Marshal.AllocHGlobal(ResponseLength);
        nint wait = Marshal.AllocHGlobal(8);
        var named = new HashSet<string>(StringComparer.Ordinal);
        while (true)
        {
            // A receive blocked on the listener is not woken when the last filtered thread ends;
            // poll is (POLLHUP).
            Marshal.WriteInt32(wait, 0, listener);
            Marshal.WriteInt32(wait, 4, PollIn);
            int ready = poll(wait, 1, -1);
            short events = Marshal.ReadInt16(wait, 6);
            if (ready < 0 ? Marshal.GetLastPInvokeError() != Errno.EINTR : (events & PollIn) == 0 && (events & PollHangUp) != 0)
            {
                return;
            }
            if (ready <= 0)
            {
                continue;
            }

            for (int offset = 0; offset < NotifyLength; offset += 8)
            {
                Marshal.WriteInt64(notification, offset, 0);
            }
            if (ioctl(listener, NotifyReceive, notification) != 0)
            {
                // ENOENT: the caller went away meanwhile (a signal, or its end); EINTR.
                int errno = Marshal.GetLastPInvokeError();
                if (errno == Errno.ENOENT || errno == Errno.EINTR)
                {
                    continue;
                }
                return;
            }

            // struct seccomp_notif: id, pid, flags, then seccomp_data (nr, arch, ip, args).
            int number = Marshal.ReadInt32(notification, 16);
            string? path = paths is null ? null : PathOf(paths, number, notification);
            bool proceed = path is not null && paths!.Allows(path);
            if (!proceed && named.Count < NamedLimit && named.Add(path is null ? HostedConfinement.Describe(number) : HostedConfinement.Describe(number) + " " + path))
            {
                HostedCalls.WriteAll(log, Encoding.UTF8.GetBytes("[uk] confinement: refused " + HostedConfinement.Describe(number) + (path is null ? "" : " of " + path)
                    + " with EPERM (thread " + Marshal.ReadInt32(notification, 8).ToString(CultureInfo.InvariantCulture)
                    + "; the first refusal of each call" + (paths is null ? "" : " and path") + " is logged; UnikraftConfinement=false turns the filter off)\n"));
            }
            Marshal.WriteInt64(response, 0, Marshal.ReadInt64(notification, 0));
            Marshal.WriteInt64(response, 8, 0);
            Marshal.WriteInt32(response, 16, proceed ? 0 : -Errno.EPERM);
            Marshal.WriteInt32(response, 20, proceed ? NotifyContinue : 0);
            // ENOENT: the caller went away meanwhile; nothing to answer.
            ioctl(listener, NotifySend, response);
        }
    }

    // The path an open names (open: the first argument; openat, openat2: the second), or null for
    // another call or an unreadable path.
    private static string? PathOf(PathCheck paths, int number, nint notification)
    {
        int argument = number == 2 ? 0 : number == 257 || number == 437 ? 1 : -1;
        return argument < 0 ? null : paths.Read(Marshal.ReadInt64(notification, 32 + 8 * argument));
    }

    // NOTE: SIGINT, SIGQUIT and SIG_IGN from signal.h.
    private const int SignalInterrupt = 2;
    private const int SignalQuit = 3;
    private const nint SignalIgnore = 1;

    [DllImport("libc")]
    private static extern nint signal(int number, nint handler);

    [DllImport("libc")]
    private static extern nint getenv(string name);

    [DllImport("libc")]
    private static extern void _exit(int status);

    [DllImport("libc")]
    private static extern int getppid();

    [DllImport("libc", SetLastError = true)]
    private static extern int pipe2(int[] fds, int flags);

    [DllImport("libc", SetLastError = true)]
    private static extern int fcntl(int fd, int command, int argument);

    [DllImport("libc", SetLastError = true)]
    private static extern int open(string path, int flags);

    [DllImport("libc", SetLastError = true)]
    private static extern int close(int fd);

    [DllImport("libc", SetLastError = true)]
    private static extern int poll(nint fds, ulong count, int timeout);

    [DllImport("libc", SetLastError = true)]
    private static extern int ioctl(int fd, ulong request, nint argument);

    [DllImport("libc", SetLastError = true)]
    private static extern long syscall(long number, long first, long second, long third);

    [DllImport("libc", SetLastError = true)]
    private static extern int prctl(int option, ulong second, ulong third, ulong fourth, ulong fifth);

    [DllImport("libc")]
    private static extern int posix_spawn_file_actions_init(nint actions);

    [DllImport("libc")]
    private static extern int posix_spawn_file_actions_addopen(nint actions, int fd, string path, int flags, int mode);

    [DllImport("libc")]
    private static extern int posix_spawn_file_actions_adddup2(nint actions, int fd, int newFd);

    [DllImport("libc")]
    private static extern int posix_spawn_file_actions_destroy(nint actions);

    [DllImport("libc")]
    private static extern int posix_spawn(out int pid, string path, nint actions, nint attributes, nint argv, nint envp);
}
