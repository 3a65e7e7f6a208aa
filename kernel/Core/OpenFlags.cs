namespace Unikraft.Kernel;

// NOTE: Linux x86-64 values from asm-generic/fcntl.h, linux/fcntl.h and linux/fs.h, for the
// file syscalls and the app-facing API that calls them.
internal static class OpenFlags
{
    public const int O_ACCMODE = 3;
    public const int O_RDONLY = 0;
    public const int O_WRONLY = 1;
    public const int O_RDWR = 2;
    public const int O_CREAT = 0x40;
    public const int O_EXCL = 0x80;
    public const int O_NOCTTY = 0x100;
    public const int O_TRUNC = 0x200;
    public const int O_APPEND = 0x400;
    public const int O_NONBLOCK = 0x800;
    public const int O_DSYNC = 0x1000;
    public const int O_DIRECT = 0x4000;
    public const int O_LARGEFILE = 0x8000;
    public const int O_DIRECTORY = 0x10000;
    public const int O_NOFOLLOW = 0x20000;
    public const int O_NOATIME = 0x40000;
    public const int O_CLOEXEC = 0x80000;
    public const int O_SYNC = 0x101000;
    public const int O_PATH = 0x200000;

    // The dirfd meaning "relative to the current working directory".
    public const int AT_FDCWD = -100;
    public const int AT_SYMLINK_NOFOLLOW = 0x100;
    public const int AT_REMOVEDIR = 0x200;
    public const int AT_EACCESS = 0x200;
    public const int AT_SYMLINK_FOLLOW = 0x400;
    public const int AT_EMPTY_PATH = 0x1000;

    public const int SEEK_SET = 0;
    public const int SEEK_CUR = 1;
    public const int SEEK_END = 2;

    public const int F_DUPFD = 0;
    public const int F_GETFD = 1;
    public const int F_SETFD = 2;
    public const int F_GETFL = 3;
    public const int F_SETFL = 4;
    public const int F_DUPFD_CLOEXEC = 1030;
    public const int FD_CLOEXEC = 1;

    public const int RENAME_NOREPLACE = 1;
    public const int RENAME_EXCHANGE = 2;
    public const int RENAME_WHITEOUT = 4;

    // faccessat modes
    public const int F_OK = 0;
    public const int X_OK = 1;
    public const int W_OK = 2;
    public const int R_OK = 4;

    // utimensat: tv_nsec values that mean "now" and "leave unchanged"
    public const long UTIME_NOW = (1L << 30) - 1;
    public const long UTIME_OMIT = (1L << 30) - 2;

    // NOTE: limits from linux/limits.h: PATH_MAX 4096 (including the NUL), NAME_MAX 255, and
    // the 40 symbolic links a path walk follows before ELOOP (fs/namei.c, MAXSYMLINKS).
    public const int PATH_MAX = 4096;
    public const int NAME_MAX = 255;
    public const int MAXSYMLINKS = 40;
}
