namespace Unikraft.Kernel;

using System;

// An AF_INET or AF_INET6 socket: the open file description socket(2) and accept4(2) install over one
// endpoint of a transport. The endpoint never blocks; this description does what a blocking
// socket does on top of it (socket(7)): a call that would wait waits on the description's
// WaitQueue until the endpoint reports a change, up to SO_RCVTIMEO for receives and accepts and
// SO_SNDTIMEO for sends and connects (then EAGAIN, or EINPROGRESS for connect, as Linux answers),
// and answers EAGAIN at once under O_NONBLOCK or MSG_DONTWAIT. Every change the endpoint reports
// also reaches the description's Readiness, so poll, epoll and the BCL's event port see sockets
// as they see pipes.
internal sealed class SocketFile : IFileDescription
{
    // NOTE: F_SETFL may change O_APPEND | O_NONBLOCK | O_DIRECT | O_NOATIME (fs/fcntl.c).
    private const int ChangeableFlags = OpenFlags.O_APPEND | OpenFlags.O_NONBLOCK | OpenFlags.O_DIRECT | OpenFlags.O_NOATIME;

    // NOTE: sockfs gives a socket inode S_IFSOCK with mode 0777 (net/socket.c, sock_alloc).
    private const int SocketMode = Stat.S_IFSOCK | 0x1FF;

    private const long NanosecondsPerMicrosecond = 1000;
    private const long NanosecondsPerSecond = 1_000_000_000;

    private readonly Kernel kernel;
    private readonly ISocketEndpoint endpoint;
    private readonly IStreamEndpoint? stream;
    private readonly IDatagramEndpoint? datagram;
    // An AF_INET6 socket's endpoint, named by IPv6 addresses; null for AF_INET ones (and for an
    // AF_INET6 stream on a transport without TCP over IPv6, served over IPv4 alone).
    private readonly ISocketEndpoint6? endpoint6;
    private readonly IDatagramEndpoint6? datagram6;
    private readonly WaitQueue waiters;
    private readonly long inode;
    private int flags = OpenFlags.O_RDWR;
    // SO_RCVTIMEO and SO_SNDTIMEO in nanoseconds; -1 waits for ever (the 0 timeval).
    private long receiveTimeout = -1;
    private long sendTimeout = -1;
    private bool lingerOn;
    private int lingerSeconds;
    private bool broadcast;
    private int sendBufferSize = SocketOptions.BufferMaximum;
    private int receiveBufferSize = SocketOptions.BufferMaximum;
    // IPV6_V6ONLY of an AF_INET6 stream socket on a transport without TCP over IPv6.
    private bool streamV6Only;

    public SocketFile(Kernel kernel, ISocketEndpoint endpoint) : this(kernel, endpoint, SocketFamily.AF_INET)
    {
    }

    // family: AF_INET, or AF_INET6 (an endpoint made by CreateDatagram6 or CreateStream6, or a
    // stream one that reaches IPv4 peers through mapped addresses only).
    public SocketFile(Kernel kernel, ISocketEndpoint endpoint, int family)
    {
        this.kernel = kernel;
        this.endpoint = endpoint;
        Family = family;
        stream = endpoint as IStreamEndpoint;
        datagram = endpoint as IDatagramEndpoint;
        endpoint6 = family == SocketFamily.AF_INET6 ? endpoint as ISocketEndpoint6 : null;
        datagram6 = endpoint6 as IDatagramEndpoint6;
        waiters = new WaitQueue(kernel.Scheduler);
        inode = kernel.NextAnonymousInode();
        endpoint.ReadinessChanged = new Action<int>(EndpointChanged);
    }

    public ISocketEndpoint Endpoint => endpoint;

    // AF_INET or AF_INET6: the form of the addresses the socket's calls take and give.
    public int Family { get; }

    public bool V6Only => endpoint6 != null ? endpoint6.V6Only : streamV6Only;

    // The local and remote addresses as an AF_INET6 socket names them: an IPv4 one mapped
    // (::ffff:a.b.c.d), IPv4's any as ::.
    public Ipv6Address LocalAddress6 => endpoint6 != null ? endpoint6.LocalAddress6 : Mapped(endpoint.LocalAddress);

    public Ipv6Address RemoteAddress6 => endpoint6 != null ? endpoint6.RemoteAddress6 : Mapped(endpoint.RemoteAddress);

    // SOCK_STREAM or SOCK_DGRAM.
    public int Type => stream != null ? SocketTypes.SOCK_STREAM : SocketTypes.SOCK_DGRAM;

    public int Protocol => stream != null ? SocketProtocols.IPPROTO_TCP : SocketProtocols.IPPROTO_UDP;

    public bool IsListening => stream != null && stream.IsListening;

    public int StatusFlags => flags;

    public Readiness Readiness { get; } = new Readiness();

    private bool NonBlocking => (flags & OpenFlags.O_NONBLOCK) != 0;

    public void SetStatusFlags(int newFlags)
    {
        flags = (flags & ~ChangeableFlags) | (newFlags & ChangeableFlags);
    }

    public int Poll()
    {
        return endpoint.Poll();
    }

    // The last close: SO_LINGER with a zero timeout resets a connection, anything else lets it
    // close on its own. NOTE: a nonzero linger time does not hold close(2) here (Linux waits up
    // to it for the queued bytes to go); the connection still delivers them after close returns.
    public void Release()
    {
        endpoint.ReadinessChanged = null;
        if (lingerOn && lingerSeconds == 0)
        {
            endpoint.Abort();
        }
        else
        {
            endpoint.Close();
        }
        waiters.WakeAll();
        Readiness.Released(this);
    }

    public long Read(Span<byte> buffer)
    {
        return Receive(buffer, 0, out _, out _, out _);
    }

    public long Write(ReadOnlySpan<byte> buffer)
    {
        return Send(buffer, 0, false, default, 0);
    }

    public long GetAttributes(out Stat attributes)
    {
        attributes = default;
        attributes.Mode = SocketMode;
        attributes.LinkCount = 1;
        attributes.Inode = inode;
        attributes.BlockSize = 4096;
        return 0;
    }

    // FIONREAD: the bytes a stream holds unread, the length of a datagram socket's next datagram.
    public int BytesAvailable => stream != null ? stream.ReceivedCount : datagram!.NextDatagramLength;

    public int Bind(Ipv4Address address, ushort port)
    {
        return endpoint.Bind(address, port);
    }

    // bind(2) of an AF_INET6 socket. On a transport without TCP over IPv6 a stream socket binds
    // its IPv4 side only (:: is 0.0.0.0, ::ffff:a.b.c.d is a.b.c.d), and an IPv6 address, or any
    // address of a v6-only stream socket, is EADDRNOTAVAIL.
    public int Bind6(Ipv6Address address, ushort port)
    {
        if (endpoint6 != null)
        {
            return endpoint6.Bind6(address, port);
        }
        if (address.IsIpv4Mapped && streamV6Only)
        {
            return -Errno.EINVAL;
        }
        if (streamV6Only || !(address.IsUnspecified || address.IsIpv4Mapped))
        {
            return -Errno.EADDRNOTAVAIL;
        }
        return endpoint.Bind(address.MappedIpv4, port);
    }

    public int Listen(int backlog)
    {
        // NOTE: listen(2) on a datagram socket is EOPNOTSUPP.
        return stream == null ? -Errno.EOPNOTSUPP : stream.Listen(backlog);
    }

    // connect(2). A blocking stream waits for the handshake's end (up to SO_SNDTIMEO, then
    // EINPROGRESS, as Linux's inet_wait_for_connect gives up) and answers its outcome; a
    // non-blocking one answers EINPROGRESS and shows the outcome as POLLOUT and SO_ERROR.
    public long Connect(Ipv4Address address, ushort port)
    {
        return Connected(endpoint.Connect(address, port));
    }

    // connect(2) of an AF_INET6 socket. On a transport without TCP over IPv6 a stream one reaches
    // a mapped IPv4 peer only (an IPv6 peer is ENETUNREACH, as for a host with no route to it).
    public long Connect6(Ipv6Address address, ushort port)
    {
        if (datagram6 != null)
        {
            return datagram6.Connect6(address, port);
        }
        if (endpoint6 != null)
        {
            return Connected(endpoint6.Connect6(address, port));
        }
        if (streamV6Only || !address.IsIpv4Mapped)
        {
            return -Errno.ENETUNREACH;
        }
        return Connected(endpoint.Connect(address.MappedIpv4, port));
    }

    private long Connected(int result)
    {
        if (stream == null || result != -Errno.EINPROGRESS || NonBlocking)
        {
            return result;
        }
        long deadline = Deadline(sendTimeout);
        while ((endpoint.Poll() & (PollEvents.POLLOUT | PollEvents.POLLERR | PollEvents.POLLHUP)) == 0)
        {
            if (!waiters.Wait(deadline) && (endpoint.Poll() & (PollEvents.POLLOUT | PollEvents.POLLERR | PollEvents.POLLHUP)) == 0)
            {
                return -Errno.EINPROGRESS;
            }
        }
        int error = endpoint.TakeError();
        return error != 0 ? -error : 0;
    }

    // accept4(2): the next connection as a new description with the given O_NONBLOCK, waiting
    // for one up to SO_RCVTIMEO when blocking.
    public long Accept(bool acceptedNonBlocking, out SocketFile? accepted)
    {
        accepted = null;
        if (stream == null)
        {
            return -Errno.EOPNOTSUPP;
        }
        long deadline = long.MinValue;
        while (true)
        {
            int result = stream.Accept(out IStreamEndpoint? connection);
            if (result == 0 && connection != null)
            {
                accepted = new SocketFile(kernel, connection, Family);
                if (acceptedNonBlocking)
                {
                    accepted.SetStatusFlags(OpenFlags.O_NONBLOCK);
                }
                return 0;
            }
            if (result != -Errno.EAGAIN || NonBlocking)
            {
                return result;
            }
            if (deadline == long.MinValue)
            {
                deadline = Deadline(receiveTimeout);
            }
            if (!waiters.Wait(deadline) && (stream.Poll() & PollEvents.POLLIN) == 0)
            {
                return -Errno.EAGAIN;
            }
        }
    }

    // send(2), sendto(2), write(2). A datagram goes to destination when one is given, else to the
    // connected peer (EDESTADDRREQ without one); a stream ignores a destination, as Linux's TCP
    // does, and a blocking one waits until every byte is taken (a short count when the timeout
    // passes after some were).
    public long Send(ReadOnlySpan<byte> data, int messageFlags, bool hasDestination, Ipv4Address destination, ushort port)
    {
        if (datagram6 != null)
        {
            return Send6(data, messageFlags, hasDestination, Ipv6Address.MapIpv4(destination), port);
        }
        if (datagram != null)
        {
            if (!hasDestination)
            {
                if (datagram.RemotePort == 0)
                {
                    return -Errno.EDESTADDRREQ;
                }
                destination = datagram.RemoteAddress;
                port = datagram.RemotePort;
            }
            return datagram.SendTo(destination, port, data);
        }
        bool nonBlocking = NonBlocking || (messageFlags & MessageFlags.MSG_DONTWAIT) != 0;
        long deadline = long.MinValue;
        int total = 0;
        while (true)
        {
            long result = stream!.Send(data.Slice(total));
            if (result > 0)
            {
                total += (int)result;
                if (total == data.Length)
                {
                    return total;
                }
                continue;
            }
            if (result == 0 && data.Length == 0)
            {
                return 0;
            }
            if (result < 0 && result != -Errno.EAGAIN)
            {
                return total > 0 ? total : result;
            }
            if (nonBlocking)
            {
                return total > 0 ? total : -Errno.EAGAIN;
            }
            if (deadline == long.MinValue)
            {
                deadline = Deadline(sendTimeout);
            }
            if (!waiters.Wait(deadline) && (stream.Poll() & (PollEvents.POLLOUT | PollEvents.POLLERR)) == 0)
            {
                return total > 0 ? total : -Errno.EAGAIN;
            }
        }
    }

    // sendto(2) of an AF_INET6 socket: a datagram goes to destination (a mapped one over IPv4);
    // a stream ignores it, as Send does.
    public long Send6(ReadOnlySpan<byte> data, int messageFlags, bool hasDestination, Ipv6Address destination, ushort port)
    {
        if (datagram6 == null)
        {
            return Send(data, messageFlags, false, default, 0);
        }
        if (!hasDestination)
        {
            if (datagram6.RemotePort == 0)
            {
                return -Errno.EDESTADDRREQ;
            }
            destination = datagram6.RemoteAddress6;
            port = datagram6.RemotePort;
        }
        return datagram6.SendTo6(destination, port, data);
    }

    public long Receive(Span<byte> buffer, int messageFlags, out Ipv4Address from, out ushort fromPort, out int returnedFlags)
    {
        long result = Receive6(buffer, messageFlags, out Ipv6Address from6, out fromPort, out returnedFlags);
        from = from6.MappedIpv4;
        return result;
    }

    // recv(2), recvfrom(2), read(2): waits (up to SO_RCVTIMEO) until something is there. from and
    // fromPort name the sender (the peer, for a stream). MSG_PEEK leaves the data queued;
    // MSG_WAITALL waits until the buffer is full, the stream ends or fails; a datagram longer than
    // the buffer sets MSG_TRUNC in returnedFlags, and with MSG_TRUNC asked the call returns its
    // whole length (recv(2)).
    public long Receive6(Span<byte> buffer, int messageFlags, out Ipv6Address from, out ushort fromPort, out int returnedFlags)
    {
        bool peek = (messageFlags & MessageFlags.MSG_PEEK) != 0;
        bool nonBlocking = NonBlocking || (messageFlags & MessageFlags.MSG_DONTWAIT) != 0;
        bool waitAll = (messageFlags & MessageFlags.MSG_WAITALL) != 0 && !peek && stream != null;
        returnedFlags = 0;
        from = endpoint6 != null ? endpoint6.RemoteAddress6 : Ipv6Address.MapIpv4(endpoint.RemoteAddress);
        fromPort = endpoint.RemotePort;
        long deadline = long.MinValue;
        int total = 0;
        while (true)
        {
            long result;
            if (datagram != null)
            {
                int length;
                if (datagram6 != null)
                {
                    result = datagram6.ReceiveFrom6(buffer, peek, out from, out fromPort, out length);
                }
                else
                {
                    result = datagram.ReceiveFrom(buffer, peek, out Ipv4Address from4, out fromPort, out length);
                    from = Ipv6Address.MapIpv4(from4);
                }
                if (result >= 0)
                {
                    if (length > buffer.Length)
                    {
                        returnedFlags |= MessageFlags.MSG_TRUNC;
                    }
                    return (messageFlags & MessageFlags.MSG_TRUNC) != 0 ? length : result;
                }
            }
            else
            {
                result = stream!.Receive(buffer.Slice(total), peek);
                if (result > 0 && waitAll && total + result < buffer.Length)
                {
                    total += (int)result;
                    continue;
                }
                if (result >= 0)
                {
                    return total + result;
                }
            }
            if (result != -Errno.EAGAIN)
            {
                return total > 0 ? total : result;
            }
            if (nonBlocking)
            {
                return total > 0 ? total : -Errno.EAGAIN;
            }
            if (deadline == long.MinValue)
            {
                deadline = Deadline(receiveTimeout);
            }
            if (!waiters.Wait(deadline) && (endpoint.Poll() & (PollEvents.POLLIN | PollEvents.POLLERR | PollEvents.POLLHUP)) == 0)
            {
                return total > 0 ? total : -Errno.EAGAIN;
            }
        }
    }

    public int Shutdown(int how)
    {
        if (how < ShutdownHow.SHUT_RD || how > ShutdownHow.SHUT_RDWR)
        {
            return -Errno.EINVAL;
        }
        return endpoint.Shutdown(how);
    }

    // setsockopt(2) at SOL_SOCKET and IPPROTO_TCP. Checks as Linux's sock_setsockopt and
    // do_tcp_setsockopt make them: a value shorter than its type is EINVAL, an option this layer
    // does not have ENOPROTOOPT (the read-only ones included).
    public int SetOption(int level, int name, ReadOnlySpan<byte> value)
    {
        if (level == SocketProtocols.IPPROTO_TCP && stream != null)
        {
            if (name != SocketOptions.TCP_NODELAY && name != SocketOptions.TCP_KEEPIDLE && name != SocketOptions.TCP_KEEPINTVL && name != SocketOptions.TCP_KEEPCNT)
            {
                return -Errno.ENOPROTOOPT;
            }
            if (value.Length < sizeof(int))
            {
                return -Errno.EINVAL;
            }
            int option = ReadInt(value);
            switch (name)
            {
                case SocketOptions.TCP_NODELAY:
                    stream.NoDelay = option != 0;
                    return 0;
                case SocketOptions.TCP_KEEPCNT:
                    if (option < 1 || option > SocketOptions.KeepAliveCountMaximum)
                    {
                        return -Errno.EINVAL;
                    }
                    stream.KeepAliveCount = option;
                    return 0;
                default:
                    if (option < 1 || option > SocketOptions.KeepAliveSecondsMaximum)
                    {
                        return -Errno.EINVAL;
                    }
                    if (name == SocketOptions.TCP_KEEPIDLE)
                    {
                        stream.KeepAliveIdleSeconds = option;
                    }
                    else
                    {
                        stream.KeepAliveIntervalSeconds = option;
                    }
                    return 0;
            }
        }
        if (level == SocketProtocols.IPPROTO_IPV6 && Family == SocketFamily.AF_INET6)
        {
            return SetIpv6Option(name, value);
        }
        if (level != SocketOptions.SOL_SOCKET)
        {
            return -Errno.ENOPROTOOPT;
        }
        switch (name)
        {
            case SocketOptions.SO_RCVTIMEO:
            case SocketOptions.SO_SNDTIMEO:
                return SetTimeout(name, value);
            case SocketOptions.SO_LINGER:
                if (value.Length < SocketOptions.LingerLength)
                {
                    return -Errno.EINVAL;
                }
                lingerOn = ReadInt(value) != 0;
                lingerSeconds = Math.Max(0, ReadInt(value.Slice(4)));
                return 0;
        }
        if (value.Length < sizeof(int))
        {
            return -Errno.EINVAL;
        }
        int number = ReadInt(value);
        switch (name)
        {
            case SocketOptions.SO_REUSEADDR:
                endpoint.ReuseAddress = number != 0;
                return 0;
            case SocketOptions.SO_KEEPALIVE:
                if (stream != null)
                {
                    stream.KeepAlive = number != 0;
                }
                return 0;
            case SocketOptions.SO_BROADCAST:
                broadcast = number != 0;
                return 0;
            case SocketOptions.SO_SNDBUF:
                // NOTE: socket(7): min(value, wmem_max) doubled, at least SOCK_MIN_SNDBUF; a
                // negative value reads as a huge unsigned one.
                sendBufferSize = Math.Max(SocketOptions.SendBufferMinimum, 2 * (number < 0 ? SocketOptions.BufferMaximum : Math.Min(number, SocketOptions.BufferMaximum)));
                endpoint.SetBufferSizes(sendBufferSize, receiveBufferSize);
                return 0;
            case SocketOptions.SO_RCVBUF:
                receiveBufferSize = Math.Max(SocketOptions.ReceiveBufferMinimum, 2 * (number < 0 ? SocketOptions.BufferMaximum : Math.Min(number, SocketOptions.BufferMaximum)));
                endpoint.SetBufferSizes(sendBufferSize, receiveBufferSize);
                return 0;
            default:
                return -Errno.ENOPROTOOPT;
        }
    }

    // getsockopt(2): length is the caller's buffer length in, the value's length out; a shorter
    // buffer gets the value's first bytes, as Linux copies min(len, size).
    public int GetOption(int level, int name, Span<byte> value, ref int length)
    {
        if (length < 0)
        {
            return -Errno.EINVAL;
        }
        Span<byte> whole = stackalloc byte[SocketOptions.TimevalLength];
        whole.Clear();
        int size = sizeof(int);
        if (level == SocketProtocols.IPPROTO_TCP && stream != null)
        {
            switch (name)
            {
                case SocketOptions.TCP_NODELAY: WriteInt(whole, stream.NoDelay ? 1 : 0); break;
                case SocketOptions.TCP_KEEPIDLE: WriteInt(whole, stream.KeepAliveIdleSeconds); break;
                case SocketOptions.TCP_KEEPINTVL: WriteInt(whole, stream.KeepAliveIntervalSeconds); break;
                case SocketOptions.TCP_KEEPCNT: WriteInt(whole, stream.KeepAliveCount); break;
                default: return -Errno.ENOPROTOOPT;
            }
        }
        else if (level == SocketProtocols.IPPROTO_IPV6 && Family == SocketFamily.AF_INET6)
        {
            if (name != SocketOptions.IPV6_V6ONLY)
            {
                return -Errno.ENOPROTOOPT;
            }
            WriteInt(whole, V6Only ? 1 : 0);
        }
        else if (level != SocketOptions.SOL_SOCKET)
        {
            return -Errno.ENOPROTOOPT;
        }
        else
        {
            switch (name)
            {
                case SocketOptions.SO_TYPE: WriteInt(whole, Type); break;
                case SocketOptions.SO_PROTOCOL: WriteInt(whole, Protocol); break;
                case SocketOptions.SO_DOMAIN: WriteInt(whole, Family); break;
                case SocketOptions.SO_ERROR: WriteInt(whole, endpoint.TakeError()); break;
                case SocketOptions.SO_ACCEPTCONN: WriteInt(whole, IsListening ? 1 : 0); break;
                case SocketOptions.SO_REUSEADDR: WriteInt(whole, endpoint.ReuseAddress ? 1 : 0); break;
                case SocketOptions.SO_KEEPALIVE: WriteInt(whole, stream != null && stream.KeepAlive ? 1 : 0); break;
                case SocketOptions.SO_BROADCAST: WriteInt(whole, broadcast ? 1 : 0); break;
                case SocketOptions.SO_SNDBUF: WriteInt(whole, sendBufferSize); break;
                case SocketOptions.SO_RCVBUF: WriteInt(whole, receiveBufferSize); break;
                case SocketOptions.SO_LINGER:
                    WriteInt(whole, lingerOn ? 1 : 0);
                    WriteInt(whole.Slice(4), lingerSeconds);
                    size = SocketOptions.LingerLength;
                    break;
                case SocketOptions.SO_RCVTIMEO:
                case SocketOptions.SO_SNDTIMEO:
                    long timeout = name == SocketOptions.SO_RCVTIMEO ? receiveTimeout : sendTimeout;
                    if (timeout > 0)
                    {
                        System.Buffers.Binary.BinaryPrimitives.WriteInt64LittleEndian(whole, timeout / NanosecondsPerSecond);
                        System.Buffers.Binary.BinaryPrimitives.WriteInt64LittleEndian(whole.Slice(8), timeout % NanosecondsPerSecond / NanosecondsPerMicrosecond);
                    }
                    size = SocketOptions.TimevalLength;
                    break;
                default:
                    return -Errno.ENOPROTOOPT;
            }
        }
        int copied = Math.Min(Math.Min(length, size), value.Length);
        whole.Slice(0, copied).CopyTo(value);
        length = Math.Min(length, size);
        return 0;
    }

    // IPV6_V6ONLY, the one IPPROTO_IPV6 option here: an int, any nonzero value on; only before
    // the socket is bound (EINVAL after, as Linux's do_ipv6_setsockopt answers); a value shorter
    // than an int is EINVAL.
    private int SetIpv6Option(int name, ReadOnlySpan<byte> value)
    {
        if (name != SocketOptions.IPV6_V6ONLY)
        {
            return -Errno.ENOPROTOOPT;
        }
        if (value.Length < sizeof(int) || endpoint.LocalPort != 0)
        {
            return -Errno.EINVAL;
        }
        bool on = ReadInt(value) != 0;
        if (endpoint6 != null)
        {
            endpoint6.V6Only = on;
        }
        else
        {
            streamV6Only = on;
        }
        return 0;
    }

    private static Ipv6Address Mapped(Ipv4Address address) => address.IsAny ? Ipv6Address.Unspecified : Ipv6Address.MapIpv4(address);

    // NOTE: sock_set_timeout (net/core/sock.c): a timeval shorter than 16 bytes is EINVAL, tv_usec
    // outside [0, 1000000) EDOM; a negative tv_sec means no wait at all, and {0, 0} waits for ever.
    private int SetTimeout(int name, ReadOnlySpan<byte> value)
    {
        if (value.Length < SocketOptions.TimevalLength)
        {
            return -Errno.EINVAL;
        }
        long seconds = System.Buffers.Binary.BinaryPrimitives.ReadInt64LittleEndian(value);
        long microseconds = System.Buffers.Binary.BinaryPrimitives.ReadInt64LittleEndian(value.Slice(8));
        if (microseconds < 0 || microseconds >= 1_000_000)
        {
            return -Errno.EDOM;
        }
        long timeout;
        if (seconds < 0)
        {
            timeout = 0;
        }
        else if (seconds == 0 && microseconds == 0)
        {
            timeout = -1;
        }
        else
        {
            timeout = seconds > (long.MaxValue / NanosecondsPerSecond) - 1
                ? long.MaxValue
                : seconds * NanosecondsPerSecond + microseconds * NanosecondsPerMicrosecond;
        }
        if (name == SocketOptions.SO_RCVTIMEO)
        {
            receiveTimeout = timeout;
        }
        else
        {
            sendTimeout = timeout;
        }
        return 0;
    }

    // The monotonic deadline a timeout sets from now: long.MaxValue for none (or no clock to
    // measure one), now for a zero timeout (the wait ends at once).
    private long Deadline(long timeout)
    {
        IClockDevice? clock = kernel.Clock;
        if (timeout < 0 || clock == null)
        {
            return long.MaxValue;
        }
        long now = clock.MonotonicNanoseconds;
        return timeout > long.MaxValue - now ? long.MaxValue : now + timeout;
    }

    private void EndpointChanged(int events)
    {
        waiters.WakeAll();
        Readiness.Changed(this, events);
    }

    private static int ReadInt(ReadOnlySpan<byte> value)
    {
        return System.Buffers.Binary.BinaryPrimitives.ReadInt32LittleEndian(value);
    }

    private static void WriteInt(Span<byte> value, int number)
    {
        System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(value, number);
    }
}
