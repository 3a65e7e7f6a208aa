namespace Unikraft.Kernel;

using System.Globalization;

// NOTE: values from /usr/include/asm-generic/errno-base.h and errno.h. Syscalls return them
// negated; only the app-facing API turns them into exceptions.
internal static class Errno
{
    public const int EPERM = 1;
    public const int ENOENT = 2;
    public const int EINTR = 4;
    public const int EIO = 5;
    public const int EBADF = 9;
    public const int EAGAIN = 11;
    public const int EFAULT = 14;
    public const int ENODEV = 19;
    public const int EINVAL = 22;
    public const int ENOSYS = 38;

    // The symbolic name for log lines and exception messages; an unknown value prints as its
    // number so that no error is ever hidden behind a generic word.
    public static string Name(int errno)
    {
        switch (errno)
        {
            case EPERM: return "EPERM";
            case ENOENT: return "ENOENT";
            case EINTR: return "EINTR";
            case EIO: return "EIO";
            case EBADF: return "EBADF";
            case EAGAIN: return "EAGAIN";
            case EFAULT: return "EFAULT";
            case ENODEV: return "ENODEV";
            case EINVAL: return "EINVAL";
            case ENOSYS: return "ENOSYS";
            default: return errno.ToString(CultureInfo.InvariantCulture);
        }
    }
}
