namespace Unikraft.Kernel;

// NOTE: the values of this file are Linux x86-64's, from linux/socket.h, asm-generic/socket.h,
// linux/in.h, linux/tcp.h and linux/net.h.

// Address families (socket(2)'s domain, sockaddr's sa_family).
internal static class SocketFamily
{
    public const int AF_UNSPEC = 0;
    public const int AF_UNIX = 1;
    public const int AF_INET = 2;
    public const int AF_INET6 = 10;
}

// Socket types, and the two flags socket(2) and accept4(2) take with them.
internal static class SocketTypes
{
    public const int SOCK_STREAM = 1;
    public const int SOCK_DGRAM = 2;
    public const int SOCK_RAW = 3;

    // NOTE: SOCK_MAX of linux/net.h: types at or above it are EINVAL, types below it that inet
    // has no protocol for are ESOCKTNOSUPPORT.
    public const int SOCK_MAX = 11;

    public const int SOCK_NONBLOCK = OpenFlags.O_NONBLOCK;
    public const int SOCK_CLOEXEC = OpenFlags.O_CLOEXEC;

    // The bits of socket(2)'s type argument that are the type itself.
    public const int TypeMask = 0xF;
}

// Protocol numbers socket(2) takes for AF_INET (linux/in.h).
internal static class SocketProtocols
{
    public const int IPPROTO_IP = 0;
    public const int IPPROTO_TCP = 6;
    public const int IPPROTO_UDP = 17;

    // NOTE: the IPv6 option level (linux/in6.h).
    public const int IPPROTO_IPV6 = 41;
}

// Option levels and names of setsockopt(2) and getsockopt(2).
internal static class SocketOptions
{
    public const int SOL_SOCKET = 1;

    public const int SO_REUSEADDR = 2;
    public const int SO_TYPE = 3;
    public const int SO_ERROR = 4;
    public const int SO_BROADCAST = 6;
    public const int SO_SNDBUF = 7;
    public const int SO_RCVBUF = 8;
    public const int SO_KEEPALIVE = 9;
    public const int SO_LINGER = 13;
    public const int SO_REUSEPORT = 15;
    // NOTE: x86-64's SO_RCVTIMEO and SO_SNDTIMEO are the _OLD names, with a 16-byte timeval.
    public const int SO_RCVTIMEO = 20;
    public const int SO_SNDTIMEO = 21;
    public const int SO_ACCEPTCONN = 30;
    public const int SO_PROTOCOL = 38;
    public const int SO_DOMAIN = 39;

    // NOTE: IPPROTO_IPV6 options (linux/in6.h).
    public const int IPV6_V6ONLY = 26;

    public const int TCP_NODELAY = 1;
    public const int TCP_KEEPIDLE = 4;
    public const int TCP_KEEPINTVL = 5;
    public const int TCP_KEEPCNT = 6;

    // NOTE: tcp(7): TCP_KEEPIDLE and TCP_KEEPINTVL take 1 to MAX_TCP_KEEPIDLE/MAX_TCP_KEEPINTVL
    // (32767) seconds, TCP_KEEPCNT 1 to MAX_TCP_KEEPCNT (127) probes; anything else is EINVAL.
    public const int KeepAliveSecondsMaximum = 32767;
    public const int KeepAliveCountMaximum = 127;

    // NOTE: socket(7): the kernel doubles SO_SNDBUF and SO_RCVBUF values (room for bookkeeping)
    // and getsockopt returns the doubled value; values are capped at wmem_max and rmem_max
    // (212992 by default) and floored at SOCK_MIN_SNDBUF and SOCK_MIN_RCVBUF.
    public const int BufferMaximum = 212992;
    public const int SendBufferMinimum = 4608;
    public const int ReceiveBufferMinimum = 2304;

    // NOTE: struct timeval (16 bytes on x86-64) and struct linger (two ints).
    public const int TimevalLength = 16;
    public const int LingerLength = 8;
}

// Flags of send(2) and recv(2), and recvmsg's msg_flags.
internal static class MessageFlags
{
    public const int MSG_OOB = 0x1;
    public const int MSG_PEEK = 0x2;
    public const int MSG_DONTROUTE = 0x4;
    public const int MSG_CTRUNC = 0x8;
    public const int MSG_TRUNC = 0x20;
    public const int MSG_DONTWAIT = 0x40;
    public const int MSG_EOR = 0x80;
    public const int MSG_WAITALL = 0x100;
    public const int MSG_NOSIGNAL = 0x4000;
}

// shutdown(2)'s how.
internal static class ShutdownHow
{
    public const int SHUT_RD = 0;
    public const int SHUT_WR = 1;
    public const int SHUT_RDWR = 2;
}
