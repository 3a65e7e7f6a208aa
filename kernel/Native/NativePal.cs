namespace Unikraft.Kernel;

// The PAL's Error codes (pal_error_common.h) that the socket functions of System.Native return in
// place of errno, and the translation of Linux's errno into them (ConvertErrorPlatformToPal).
// NOTE: the values are fixed for managed callers forever; an errno without a PAL code is
// Error_ENONSTANDARD, as the PAL answers it.
internal static class NativePal
{
    public const int Success = 0;
    public const int EACCES = 0x10002;
    public const int EADDRINUSE = 0x10003;
    public const int EADDRNOTAVAIL = 0x10004;
    public const int EAFNOSUPPORT = 0x10005;
    public const int EAGAIN = 0x10006;
    public const int EALREADY = 0x10007;
    public const int EBADF = 0x10008;
    public const int ECONNABORTED = 0x1000D;
    public const int ECONNREFUSED = 0x1000E;
    public const int ECONNRESET = 0x1000F;
    public const int EDESTADDRREQ = 0x10011;
    public const int EDOM = 0x10012;
    public const int EFAULT = 0x10015;
    public const int EHOSTUNREACH = 0x10017;
    public const int EINPROGRESS = 0x1001A;
    public const int EINTR = 0x1001B;
    public const int EINVAL = 0x1001C;
    public const int EIO = 0x1001D;
    public const int EISCONN = 0x1001E;
    public const int EMFILE = 0x10021;
    public const int EMSGSIZE = 0x10023;
    public const int ENETUNREACH = 0x10028;
    public const int ENOBUFS = 0x1002A;
    public const int ENOENT = 0x1002D;
    public const int ENOMEM = 0x10031;
    public const int ENOPROTOOPT = 0x10033;
    public const int ENOSYS = 0x10037;
    public const int ENOTCONN = 0x10038;
    public const int ENOTSOCK = 0x1003C;
    public const int ENOTSUP = 0x1003D;
    public const int EPERM = 0x10042;
    public const int EPIPE = 0x10043;
    public const int EPROTONOSUPPORT = 0x10045;
    public const int EPROTOTYPE = 0x10046;
    public const int ETIMEDOUT = 0x1004D;
    public const int ESOCKTNOSUPPORT = 0x1005E;
    public const int ENONSTANDARD = 0x1FFFF;

    // A positive Linux errno as its PAL code (0 as Success).
    public static int FromErrno(int errno)
    {
        switch (errno)
        {
            case 0: return Success;
            case Errno.EACCES: return EACCES;
            case Errno.EADDRINUSE: return EADDRINUSE;
            case Errno.EADDRNOTAVAIL: return EADDRNOTAVAIL;
            case Errno.EAFNOSUPPORT: return EAFNOSUPPORT;
            case Errno.EAGAIN: return EAGAIN;
            case Errno.EALREADY: return EALREADY;
            case Errno.EBADF: return EBADF;
            case Errno.ECONNABORTED: return ECONNABORTED;
            case Errno.ECONNREFUSED: return ECONNREFUSED;
            case Errno.ECONNRESET: return ECONNRESET;
            case Errno.EDESTADDRREQ: return EDESTADDRREQ;
            case Errno.EDOM: return EDOM;
            case Errno.EFAULT: return EFAULT;
            case Errno.EHOSTUNREACH: return EHOSTUNREACH;
            case Errno.EINPROGRESS: return EINPROGRESS;
            case Errno.EINTR: return EINTR;
            case Errno.EINVAL: return EINVAL;
            case Errno.EIO: return EIO;
            case Errno.EISCONN: return EISCONN;
            case Errno.EMFILE: return EMFILE;
            case Errno.EMSGSIZE: return EMSGSIZE;
            case Errno.ENETUNREACH: return ENETUNREACH;
            case Errno.ENOBUFS: return ENOBUFS;
            case Errno.ENOENT: return ENOENT;
            case Errno.ENOPROTOOPT: return ENOPROTOOPT;
            case Errno.ENOSYS: return ENOSYS;
            case Errno.ENOTCONN: return ENOTCONN;
            case Errno.ENOTSOCK: return ENOTSOCK;
            case Errno.EOPNOTSUPP: return ENOTSUP;
            case Errno.EPERM: return EPERM;
            case Errno.EPIPE: return EPIPE;
            case Errno.EPROTONOSUPPORT: return EPROTONOSUPPORT;
            case Errno.EPROTOTYPE: return EPROTOTYPE;
            case Errno.ETIMEDOUT: return ETIMEDOUT;
            case Errno.ESOCKTNOSUPPORT: return ESOCKTNOSUPPORT;
            default: return ENONSTANDARD;
        }
    }

    // A syscall's result (0 or -errno) as a PAL code.
    public static int FromResult(long result)
    {
        return result >= 0 ? Success : FromErrno((int)-result);
    }
}
