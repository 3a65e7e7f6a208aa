namespace Unikraft.Kernel;

using System.Globalization;

// NOTE: Linux x86-64 numbers from /usr/include/x86_64-linux-gnu/asm/unistd_64.h. Calls that
// Linux has no number for start at 1000 and carry a Uk prefix.
internal static class SyscallNumber
{
    public const int Read = 0;
    public const int Write = 1;
    public const int Close = 3;
    public const int Fstat = 5;
    public const int Poll = 7;
    public const int Lseek = 8;
    public const int Ioctl = 16;
    public const int Pread64 = 17;
    public const int Pwrite64 = 18;
    public const int Readv = 19;
    public const int Writev = 20;
    public const int Pipe = 22;
    public const int Dup = 32;
    public const int Nanosleep = 35;
    public const int Socket = 41;
    public const int Connect = 42;
    public const int Accept = 43;
    public const int Sendto = 44;
    public const int Recvfrom = 45;
    public const int Sendmsg = 46;
    public const int Recvmsg = 47;
    public const int Shutdown = 48;
    public const int Bind = 49;
    public const int Listen = 50;
    public const int Getsockname = 51;
    public const int Getpeername = 52;
    public const int Setsockopt = 54;
    public const int Getsockopt = 55;
    public const int Uname = 63;
    public const int Fcntl = 72;
    public const int Fsync = 74;
    public const int Fdatasync = 75;
    public const int Ftruncate = 77;
    public const int Getcwd = 79;
    public const int Chdir = 80;
    public const int EpollCreate = 213;
    public const int Getdents64 = 217;
    public const int ClockGettime = 228;
    public const int ExitGroup = 231;
    public const int EpollWait = 232;
    public const int EpollCtl = 233;
    public const int Openat = 257;
    public const int Mkdirat = 258;
    public const int Newfstatat = 262;
    public const int Unlinkat = 263;
    public const int Linkat = 265;
    public const int Symlinkat = 266;
    public const int Readlinkat = 267;
    public const int Faccessat = 269;
    public const int Ppoll = 271;
    public const int InotifyAddWatch = 254;
    public const int InotifyRmWatch = 255;
    public const int Utimensat = 280;
    public const int Accept4 = 288;
    public const int EpollPwait = 281;
    public const int EpollCreate1 = 291;
    public const int Dup3 = 292;
    public const int Pipe2 = 293;
    public const int InotifyInit1 = 294;
    public const int Renameat2 = 316;
    public const int Getrandom = 318;
    public const int Statx = 332;

    public const int UkTimerArm = 1000;
    public const int UkSpawn = 1001;
    public const int UkGetenv = 1002;
    public const int UkThreadRecord = 1003;

    // The Linux name of a syscall, as the trace and the not-planned message print it. A number
    // this kernel does not know prints as the number, so the line still says which call it was.
    [NameTable]
    public static string Name(int number)
    {
        switch (number)
        {
            case Read: return "read";
            case Write: return "write";
            case Close: return "close";
            case Fstat: return "fstat";
            case Poll: return "poll";
            case Lseek: return "lseek";
            case Ioctl: return "ioctl";
            case Pread64: return "pread64";
            case Pwrite64: return "pwrite64";
            case Readv: return "readv";
            case Writev: return "writev";
            case Pipe: return "pipe";
            case Dup: return "dup";
            case Nanosleep: return "nanosleep";
            case Socket: return "socket";
            case Connect: return "connect";
            case Accept: return "accept";
            case Sendto: return "sendto";
            case Recvfrom: return "recvfrom";
            case Sendmsg: return "sendmsg";
            case Recvmsg: return "recvmsg";
            case Shutdown: return "shutdown";
            case Bind: return "bind";
            case Listen: return "listen";
            case Getsockname: return "getsockname";
            case Getpeername: return "getpeername";
            case Setsockopt: return "setsockopt";
            case Getsockopt: return "getsockopt";
            case Fcntl: return "fcntl";
            case Fsync: return "fsync";
            case Fdatasync: return "fdatasync";
            case Ftruncate: return "ftruncate";
            case Getcwd: return "getcwd";
            case Chdir: return "chdir";
            case EpollCreate: return "epoll_create";
            case Getdents64: return "getdents64";
            case ClockGettime: return "clock_gettime";
            case ExitGroup: return "exit_group";
            case EpollWait: return "epoll_wait";
            case EpollCtl: return "epoll_ctl";
            case Openat: return "openat";
            case Mkdirat: return "mkdirat";
            case Newfstatat: return "newfstatat";
            case Unlinkat: return "unlinkat";
            case Linkat: return "linkat";
            case Symlinkat: return "symlinkat";
            case Readlinkat: return "readlinkat";
            case Faccessat: return "faccessat";
            case Ppoll: return "ppoll";
            case Utimensat: return "utimensat";
            case Accept4: return "accept4";
            case EpollPwait: return "epoll_pwait";
            case EpollCreate1: return "epoll_create1";
            case Dup3: return "dup3";
            case Pipe2: return "pipe2";
            case InotifyInit1: return "inotify_init1";
            case InotifyAddWatch: return "inotify_add_watch";
            case InotifyRmWatch: return "inotify_rm_watch";
            case Renameat2: return "renameat2";
            case Getrandom: return "getrandom";
            case Uname: return "uname";
            case Statx: return "statx";
            case UkTimerArm: return "uk_timer_arm";
            case UkSpawn: return "uk_spawn";
            case UkGetenv: return "uk_getenv";
            case UkThreadRecord: return "uk_thread_record";
            default: return number.ToString(CultureInfo.InvariantCulture);
        }
    }
}
