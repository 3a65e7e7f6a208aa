namespace Unikraft.Kernel;

using System;
using System.Runtime.InteropServices;
using System.Text;

// The host calls behind the hosted network devices (TAP and passt), made straight to libc for
// the reason HostedCalls gives: in a NativeAOT image the BCL's native layer is the kernel itself.
// Every result is a count or 0, or -errno; EINTR is retried where a retry is the right answer.
//
// Starting passt needs socketpair, posix_spawn (clone without CLONE_THREAD, execve) and the TAP
// device's MTU needs socket: HostedConfinement refuses the last two once the kernel has booted,
// so these devices are opened during boot, before the filter is installed.
internal static class HostedNetCalls
{
    // NOTE: values from asm-generic/fcntl.h, asm-generic/errno-base.h, bits/poll.h,
    // bits/socket.h, sys/eventfd.h, bits/signum-generic.h and bits/waitflags.h (x86-64).
    public const int ReadWrite = 2;
    public const int ReadOnly = 0;
    public const int WriteOnly = 1;
    public const int NonBlocking = 0x800;
    public const int CloseOnExec = 0x80000;
    public const short PollIn = 0x1;
    public const short PollOut = 0x4;
    public const short PollError = 0x8;
    public const short PollHangUp = 0x10;
    public const short PollInvalid = 0x20;
    public const int AddressFamilyUnix = 1;
    public const int AddressFamilyInet = 2;
    public const int SocketStream = 1;
    public const int SocketDatagram = 2;
    public const int SocketCloseOnExec = 0x80000;
    public const int SendNoSignal = 0x4000;
    public const int ShutdownBoth = 2;
    public const int EventCloseOnExec = 0x80000;
    public const int EventNonBlocking = 0x800;
    public const int SignalKill = 9;
    public const int SignalPipe = 13;
    public const int SignalTerminate = 15;
    public const int WaitNoHang = 1;

    // NOTE: posix_spawn flags from spawn.h (glibc).
    private const short SpawnSetSignalDefault = 0x04;
    private const short SpawnSetSignalMask = 0x08;

    // NOTE: glibc's posix_spawn_file_actions_t is 80 bytes and posix_spawnattr_t 336 on x86-64;
    // sigset_t is 128 bytes. The buffers here are larger so a libc with bigger ones still fits.
    private const int SpawnStructLength = 1024;
    private const int SignalSetLength = 128;

    // NOTE: EINTR from asm-generic/errno-base.h.
    private const int Interrupted = 4;

    // Opens a host path; the fd, or -errno.
    public static int Open(string path, int flags)
    {
        byte[] name = NulTerminated(path);
        while (true)
        {
            int fd = open(ref name[0], flags, 0);
            if (fd >= 0)
            {
                return fd;
            }
            int errno = LastError();
            if (errno != Interrupted)
            {
                return -errno;
            }
        }
    }

    public static void Close(int fd)
    {
        // NOTE: close(2): the fd is released even when close reports EINTR, so it is not retried.
        close(fd);
    }

    // ioctl with a pointer argument (a struct ifreq); 0 or more, or -errno.
    public static int Control(int fd, ulong request, Span<byte> argument)
    {
        int result = ioctl(fd, (nuint)request, ref MemoryMarshal.GetReference(argument));
        return result < 0 ? -LastError() : result;
    }

    // ioctl with an integer argument passed by value (TUNSETOFFLOAD's flags); 0 or more, or -errno.
    public static int ControlValue(int fd, ulong request, nuint argument)
    {
        int result = ioctlValue(fd, (nuint)request, argument);
        return result < 0 ? -LastError() : result;
    }

    // One write(2); the count, or -errno (EAGAIN when a non-blocking fd cannot take it now).
    public static long Write(int fd, ReadOnlySpan<byte> bytes)
    {
        while (true)
        {
            nint written = write(fd, ref MemoryMarshal.GetReference(bytes), (nuint)bytes.Length);
            if (written >= 0)
            {
                return written;
            }
            int errno = LastError();
            if (errno != Interrupted)
            {
                return -errno;
            }
        }
    }

    // Sends all of bytes on a blocking stream socket, without SIGPIPE when the peer has gone; the
    // count, or -errno.
    public static long SendAll(int fd, ReadOnlySpan<byte> bytes)
    {
        int done = 0;
        while (done < bytes.Length)
        {
            ReadOnlySpan<byte> rest = bytes.Slice(done);
            nint sent = send(fd, ref MemoryMarshal.GetReference(rest), (nuint)rest.Length, SendNoSignal);
            if (sent < 0)
            {
                int errno = LastError();
                if (errno == Interrupted)
                {
                    continue;
                }
                return -errno;
            }
            done += (int)sent;
        }
        return done;
    }

    // Waits until one of the fds is ready or the timeout (milliseconds, -1 for none) passes; the
    // number of ready fds, or -errno. Each entry's Returned says what happened to it.
    public static int Poll(Span<HostPollFd> fds, int timeoutMilliseconds)
    {
        while (true)
        {
            int result = poll(ref MemoryMarshal.GetReference(fds), (nuint)fds.Length, timeoutMilliseconds);
            if (result >= 0)
            {
                return result;
            }
            int errno = LastError();
            if (errno != Interrupted)
            {
                return -errno;
            }
        }
    }

    // An eventfd; the fd, or -errno.
    public static int EventFd(int flags)
    {
        int fd = eventfd(0, flags);
        return fd < 0 ? -LastError() : fd;
    }

    // Adds one to an eventfd, which makes it readable.
    public static void Signal(int eventFd)
    {
        Span<byte> one = stackalloc byte[8];
        one.Clear();
        one[0] = 1;
        Write(eventFd, one);
    }

    public static int Socket(int family, int type)
    {
        int fd = socket(family, type, 0);
        return fd < 0 ? -LastError() : fd;
    }

    // A connected pair of sockets; 0, or -errno.
    public static int SocketPair(int family, int type, out int first, out int second)
    {
        int[] fds = new int[2];
        int result = socketpair(family, type, 0, ref fds[0]);
        first = fds[0];
        second = fds[1];
        return result < 0 ? -LastError() : 0;
    }

    public static void Shutdown(int fd)
    {
        shutdown(fd, ShutdownBoth);
    }

    // Starts program (looked up on PATH) with arguments (argument 0 included), with standard
    // input and output on /dev/null, standard error inherited, inherited at childFd, no
    // signal blocked and SIGPIPE at its default. The process id, or -errno (ENOENT: no such
    // program on PATH).
    public static int Spawn(string[] arguments, int inherited, int childFd)
    {
        nint actions = Marshal.AllocHGlobal(SpawnStructLength);
        nint attributes = Marshal.AllocHGlobal(SpawnStructLength);
        nint devNull = Marshal.StringToCoTaskMemUTF8("/dev/null");
        nint[] argv = new nint[arguments.Length + 1];
        nint[] envp = new nint[1];
        try
        {
            for (int index = 0; index < arguments.Length; index++)
            {
                argv[index] = Marshal.StringToCoTaskMemUTF8(arguments[index]);
            }
            posix_spawn_file_actions_init(actions);
            posix_spawnattr_init(attributes);
            try
            {
                posix_spawn_file_actions_addopen(actions, 0, devNull, ReadOnly, 0);
                posix_spawn_file_actions_addopen(actions, 1, devNull, WriteOnly, 0);
                // dup2 onto another number makes a copy without FD_CLOEXEC: only the child sees it.
                posix_spawn_file_actions_adddup2(actions, inherited, childFd);
                byte[] empty = new byte[SignalSetLength];
                byte[] defaults = new byte[SignalSetLength];
                // NOTE: sigset_t keeps signal n at bit n - 1; the runtime ignores SIGPIPE and a
                // child inherits ignored signals, which passt does not expect.
                defaults[(SignalPipe - 1) / 8] |= (byte)(1 << ((SignalPipe - 1) % 8));
                posix_spawnattr_setsigmask(attributes, ref empty[0]);
                posix_spawnattr_setsigdefault(attributes, ref defaults[0]);
                posix_spawnattr_setflags(attributes, (short)(SpawnSetSignalMask | SpawnSetSignalDefault));
                // posix_spawnp returns the error number itself, not -1 and errno.
                int error = posix_spawnp(out int pid, argv[0], actions, attributes, ref argv[0], ref envp[0]);
                return error != 0 ? -error : pid;
            }
            finally
            {
                posix_spawnattr_destroy(attributes);
                posix_spawn_file_actions_destroy(actions);
            }
        }
        finally
        {
            for (int index = 0; index < arguments.Length; index++)
            {
                if (argv[index] != 0)
                {
                    Marshal.FreeCoTaskMem(argv[index]);
                }
            }
            Marshal.FreeCoTaskMem(devNull);
            Marshal.FreeHGlobal(attributes);
            Marshal.FreeHGlobal(actions);
        }
    }

    // Sends a signal; 0, or -errno (ESRCH: no such process).
    public static int Kill(int pid, int signal)
    {
        return kill(pid, signal) < 0 ? -LastError() : 0;
    }

    // Reaps a child: its pid once it has ended, 0 while it runs (with WaitNoHang), or -errno.
    public static int WaitPid(int pid, int options)
    {
        while (true)
        {
            int result = waitpid(pid, out int _, options);
            if (result >= 0)
            {
                return result;
            }
            int errno = LastError();
            if (errno != Interrupted)
            {
                return -errno;
            }
        }
    }

    private static int LastError()
    {
        int errno = Marshal.GetLastPInvokeError();
        return errno > 0 ? errno : Errno.EIO;
    }

    private static byte[] NulTerminated(string text)
    {
        byte[] bytes = new byte[Encoding.UTF8.GetByteCount(text) + 1];
        Encoding.UTF8.GetBytes(text, 0, text.Length, bytes, 0);
        return bytes;
    }

    // The effective user id (geteuid(2), which cannot fail).
    public static uint EffectiveUserId() => geteuid();

    [DllImport("libc")]
    private static extern uint geteuid();

    [DllImport("libc", SetLastError = true)]
    private static extern int open(ref byte path, int flags, uint mode);

    [DllImport("libc", SetLastError = true)]
    private static extern int close(int fd);

    [DllImport("libc", SetLastError = true)]
    private static extern int ioctl(int fd, nuint request, ref byte argument);

    [DllImport("libc", EntryPoint = "ioctl", SetLastError = true)]
    private static extern int ioctlValue(int fd, nuint request, nuint argument);

    [DllImport("libc", SetLastError = true)]
    private static extern nint write(int fd, ref byte buffer, nuint count);

    [DllImport("libc", SetLastError = true)]
    private static extern nint send(int fd, ref byte buffer, nuint length, int flags);

    [DllImport("libc", SetLastError = true)]
    private static extern int poll(ref HostPollFd fds, nuint count, int timeout);

    [DllImport("libc", SetLastError = true)]
    private static extern int eventfd(uint initial, int flags);

    [DllImport("libc", SetLastError = true)]
    private static extern int socket(int domain, int type, int protocol);

    [DllImport("libc", SetLastError = true)]
    private static extern int socketpair(int domain, int type, int protocol, ref int fds);

    [DllImport("libc", SetLastError = true)]
    private static extern int shutdown(int fd, int how);

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int signal);

    [DllImport("libc", SetLastError = true)]
    private static extern int waitpid(int pid, out int status, int options);

    [DllImport("libc")]
    private static extern int posix_spawnp(out int pid, nint file, nint fileActions, nint attributes, ref nint argv, ref nint envp);

    [DllImport("libc")]
    private static extern int posix_spawn_file_actions_init(nint actions);

    [DllImport("libc")]
    private static extern int posix_spawn_file_actions_destroy(nint actions);

    [DllImport("libc")]
    private static extern int posix_spawn_file_actions_adddup2(nint actions, int fd, int newFd);

    [DllImport("libc")]
    private static extern int posix_spawn_file_actions_addopen(nint actions, int fd, nint path, int flags, uint mode);

    [DllImport("libc")]
    private static extern int posix_spawnattr_init(nint attributes);

    [DllImport("libc")]
    private static extern int posix_spawnattr_destroy(nint attributes);

    [DllImport("libc")]
    private static extern int posix_spawnattr_setflags(nint attributes, short flags);

    [DllImport("libc")]
    private static extern int posix_spawnattr_setsigmask(nint attributes, ref byte signals);

    [DllImport("libc")]
    private static extern int posix_spawnattr_setsigdefault(nint attributes, ref byte signals);
}

// struct pollfd (poll(2)): the fd, the events asked for, the events that happened.
[StructLayout(LayoutKind.Sequential)]
internal struct HostPollFd
{
    public int Fd;
    public short Requested;
    public short Returned;
}
