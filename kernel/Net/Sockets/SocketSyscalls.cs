namespace Unikraft.Kernel;

using System;
using System.Buffers;

internal static partial class Sys
{
    // NOTE: UIO_MAXIOV (linux/uio.h): sendmsg and recvmsg refuse more vectors with EMSGSIZE.
    private const int MaximumMessageVectors = 1024;

    private const int SocketCreationFlags = SocketTypes.SOCK_NONBLOCK | SocketTypes.SOCK_CLOEXEC;

    // socket(2): AF_INET, and AF_INET6 in a kernel with IPv6 (and UDP or TCP). SOCK_STREAM is TCP (protocol 0 or IPPROTO_TCP), SOCK_DGRAM UDP (0 or
    // IPPROTO_UDP); SOCK_NONBLOCK and SOCK_CLOEXEC ride on the type. The checks run in
    // __sys_socket's and __sock_create's order: unknown flags and a type out of range are EINVAL,
    // another family EAFNOSUPPORT, a type inet has no protocol for ESOCKTNOSUPPORT, a protocol
    // the type does not carry EPROTONOSUPPORT, as does a transport this kernel does not carry.
    [Syscall(SyscallNumber.Socket)]
    internal static long Socket(Kernel kernel, int domain, int type, int protocol)
    {
        return kernel.Return(SyscallNumber.Socket, CreateSocket(kernel, domain, type, protocol));
    }

    private static long CreateSocket(Kernel kernel, int domain, int type, int protocol)
    {
        int flags = type & ~SocketTypes.TypeMask;
        int kind = type & SocketTypes.TypeMask;
        if ((flags & ~SocketCreationFlags) != 0 || kind <= 0 || kind >= SocketTypes.SOCK_MAX)
        {
            return -Errno.EINVAL;
        }
        // NOTE: AF_UNIX is refused as a kernel without it refuses it, and so is AF_INET6 unless the
        // kernel has IPv6 (an Address6 on an interface) and a transport. The BCL asks for them on
        // its own: System.Net.Sockets probes IPv6 (an AF_INET6 datagram socket) and Unix domain
        // sockets once at start to learn what the OS supports, and on EAFNOSUPPORT it records "not
        // supported" and goes on with IPv4 (Socket.OSSupportsIPv6 false; dual-mode sockets are
        // then not made, and Dns asks for IPv4 addresses alone); so does EPROTONOSUPPORT, which
        // is why a kernel with IPv6 and sockets always has UDP (the plan adds it). Once the probe succeeds, Socket(SocketType, ProtocolType) (TcpClient,
        // HttpClient) makes dual-mode AF_INET6 sockets, streams too: a TCP socket of either
        // family stands on the same TcpStack, which names IPv4 peers ::ffff:a.b.c.d.
        bool inet6 = domain == SocketFamily.AF_INET6 && KernelFeatures.Ipv6 && (KernelFeatures.Udp || KernelFeatures.Tcp);
        if (domain != SocketFamily.AF_INET && !inet6)
        {
            return -Errno.EAFNOSUPPORT;
        }
        ISocketTransport? transport = kernel.SocketTransport ?? StackSocketTransport.Attach(kernel);
        if (inet6 && !transport.HasIpv6)
        {
            return -Errno.EAFNOSUPPORT;
        }
        ISocketEndpoint? endpoint;
        if (kind == SocketTypes.SOCK_STREAM)
        {
            if (protocol != SocketProtocols.IPPROTO_IP && protocol != SocketProtocols.IPPROTO_TCP)
            {
                return -Errno.EPROTONOSUPPORT;
            }
            endpoint = inet6 ? transport.CreateStream6() ?? transport.CreateStream() : transport.CreateStream();
        }
        else if (kind == SocketTypes.SOCK_DGRAM)
        {
            if (protocol != SocketProtocols.IPPROTO_IP && protocol != SocketProtocols.IPPROTO_UDP)
            {
                return -Errno.EPROTONOSUPPORT;
            }
            endpoint = inet6 ? transport.CreateDatagram6() : transport.CreateDatagram();
        }
        else if (kind == SocketTypes.SOCK_RAW)
        {
            // NOTE: raw sockets need CAP_NET_RAW (raw(7)); the program has no capabilities here.
            return -Errno.EPERM;
        }
        else
        {
            return -Errno.ESOCKTNOSUPPORT;
        }
        if (endpoint == null)
        {
            // The kernel has no such transport: the plan found nothing that makes sockets of this
            // kind. A socket that names its protocol is the program's own and worth a line; the
            // BCL's start-up probe (a datagram socket with protocol 0) is not.
            if (protocol != SocketProtocols.IPPROTO_IP)
            {
                kernel.Log.Write("[uk] socket: this kernel has no " + (kind == SocketTypes.SOCK_STREAM ? "TCP" : "UDP")
                    + " (nothing in the program or its libraries makes such sockets; the manifest's Features say what is in): EPROTONOSUPPORT");
            }
            return -Errno.EPROTONOSUPPORT;
        }
        SocketFile socket = new SocketFile(kernel, endpoint, inet6 ? SocketFamily.AF_INET6 : SocketFamily.AF_INET);
        socket.SetStatusFlags(flags & OpenFlags.O_NONBLOCK);
        long fd = kernel.Files.Install(socket, 0, (flags & SocketTypes.SOCK_CLOEXEC) != 0);
        if (fd < 0)
        {
            // The description never reached a table: close its endpoint here.
            socket.Release();
        }
        return fd;
    }

    // bind(2). NOTE: inet_bind takes AF_UNSPEC for INADDR_ANY, for old programs' sake.
    [Syscall(SyscallNumber.Bind)]
    internal static long Bind(Kernel kernel, int fd, ReadOnlySpan<byte> address)
    {
        long result = FindSocket(kernel, fd, out SocketFile? socket);
        if (result == 0 && socket!.Family == SocketFamily.AF_INET6)
        {
            result = SocketAddress.TryReadInet6(address, out Ipv6Address ip6, out ushort port6);
            result = result == 0 ? socket.Bind6(ip6, port6) : result;
        }
        else if (result == 0)
        {
            result = SocketAddress.TryReadInet(address, out Ipv4Address ip, out ushort port);
            if (result == -Errno.EAFNOSUPPORT && SocketAddress.Family(address) == SocketFamily.AF_UNSPEC && Ipv4Address.Read(address.Slice(4)).IsAny)
            {
                port = System.Buffers.Binary.BinaryPrimitives.ReadUInt16BigEndian(address.Slice(2));
                result = 0;
            }
            if (result == 0)
            {
                result = socket!.Bind(ip, port);
            }
        }
        return kernel.Return(SyscallNumber.Bind, result);
    }

    [Syscall(SyscallNumber.Listen)]
    internal static long Listen(Kernel kernel, int fd, int backlog)
    {
        long result = FindSocket(kernel, fd, out SocketFile? socket);
        return kernel.Return(SyscallNumber.Listen, result == 0 ? socket!.Listen(backlog) : result);
    }

    // connect(2): blocking waits for the handshake, non-blocking answers EINPROGRESS.
    [Syscall(SyscallNumber.Connect)]
    internal static long Connect(Kernel kernel, int fd, ReadOnlySpan<byte> address)
    {
        long result = FindSocket(kernel, fd, out SocketFile? socket);
        if (result == 0 && socket!.Family == SocketFamily.AF_INET6)
        {
            result = SocketAddress.TryReadPeer6(address, socket.Type == SocketTypes.SOCK_DGRAM, out Ipv6Address ip6, out ushort port6);
            result = result == 0 ? socket.Connect6(ip6, port6) : result;
        }
        else if (result == 0)
        {
            result = SocketAddress.TryReadInet(address, out Ipv4Address ip, out ushort port);
            if (result == 0)
            {
                result = socket!.Connect(ip, port);
            }
        }
        return kernel.Return(SyscallNumber.Connect, result);
    }

    // accept(2): accept4 with no flags.
    [Syscall(SyscallNumber.Accept)]
    internal static long Accept(Kernel kernel, int fd, Span<byte> address, ref int addressLength)
    {
        return kernel.Return(SyscallNumber.Accept, AcceptSocket(kernel, fd, address, ref addressLength, 0));
    }

    // accept4(2): the new fd, with the peer's address written as getpeername would (address empty
    // for a caller that passed none). flags: SOCK_NONBLOCK and SOCK_CLOEXEC for the new fd.
    // NOTE: a negative addressLength is refused before a connection is taken (Linux would take
    // it and then drop it).
    [Syscall(SyscallNumber.Accept4)]
    internal static long Accept4(Kernel kernel, int fd, Span<byte> address, ref int addressLength, int flags)
    {
        return kernel.Return(SyscallNumber.Accept4, AcceptSocket(kernel, fd, address, ref addressLength, flags));
    }

    private static long AcceptSocket(Kernel kernel, int fd, Span<byte> address, ref int addressLength, int flags)
    {
        if ((flags & ~SocketCreationFlags) != 0)
        {
            return -Errno.EINVAL;
        }
        long result = FindSocket(kernel, fd, out SocketFile? socket);
        if (result != 0)
        {
            return result;
        }
        if (!address.IsEmpty && addressLength < 0)
        {
            return -Errno.EINVAL;
        }
        result = socket!.Accept((flags & SocketTypes.SOCK_NONBLOCK) != 0, out SocketFile? accepted);
        if (result != 0)
        {
            return result;
        }
        long newFd = kernel.Files.Install(accepted!, 0, (flags & SocketTypes.SOCK_CLOEXEC) != 0);
        if (newFd < 0)
        {
            accepted!.Release();
            return newFd;
        }
        if (!address.IsEmpty || addressLength == 0)
        {
            WriteAddress(accepted!, accepted!.RemoteAddress6, accepted.Endpoint.RemotePort, address, ref addressLength);
        }
        return newFd;
    }

    // sendto(2): address empty for none (send(2)).
    [Syscall(SyscallNumber.Sendto)]
    internal static long Sendto(Kernel kernel, int fd, ReadOnlySpan<byte> data, int flags, ReadOnlySpan<byte> address)
    {
        return kernel.Return(SyscallNumber.Sendto, SendTo(kernel, fd, data, flags, address));
    }

    private static long SendTo(Kernel kernel, int fd, ReadOnlySpan<byte> data, int flags, ReadOnlySpan<byte> address)
    {
        long result = FindSocket(kernel, fd, out SocketFile? socket);
        if (result != 0)
        {
            return result;
        }
        Ipv4Address ip = default;
        ushort port = 0;
        bool hasDestination = !address.IsEmpty && socket!.Type == SocketTypes.SOCK_DGRAM;
        if (socket!.Family == SocketFamily.AF_INET6)
        {
            Ipv6Address ip6 = default;
            if (hasDestination)
            {
                result = SocketAddress.TryReadPeer6(address, true, out ip6, out port);
                if (result != 0)
                {
                    return result;
                }
            }
            return socket.Send6(data, flags, hasDestination, ip6, port);
        }
        if (hasDestination)
        {
            result = SocketAddress.TryReadInet(address, out ip, out port);
            if (result != 0)
            {
                return result;
            }
        }
        return socket!.Send(data, flags, hasDestination, ip, port);
    }

    // recvfrom(2): the sender's address in address (as much as addressLength holds; addressLength
    // then says its whole length), for a caller that passed one.
    [Syscall(SyscallNumber.Recvfrom)]
    internal static long Recvfrom(Kernel kernel, int fd, Span<byte> buffer, int flags, Span<byte> address, ref int addressLength)
    {
        return kernel.Return(SyscallNumber.Recvfrom, ReceiveFrom(kernel, fd, buffer, flags, address, ref addressLength, out _));
    }

    private static long ReceiveFrom(Kernel kernel, int fd, Span<byte> buffer, int flags, Span<byte> address, ref int addressLength, out int returnedFlags)
    {
        returnedFlags = 0;
        long result = FindSocket(kernel, fd, out SocketFile? socket);
        if (result != 0)
        {
            return result;
        }
        if (!address.IsEmpty && addressLength < 0)
        {
            return -Errno.EINVAL;
        }
        result = socket!.Receive6(buffer, flags, out Ipv6Address from, out ushort fromPort, out returnedFlags);
        if (result >= 0 && !address.IsEmpty)
        {
            WriteAddress(socket, from, fromPort, address, ref addressLength);
        }
        return result;
    }

    // sendmsg(2) over vectors, as one sendto of their bytes in order (no control messages are
    // taken: none that AF_INET sockets send here means anything).
    [Syscall(SyscallNumber.Sendmsg)]
    internal static long Sendmsg(Kernel kernel, int fd, ReadOnlySpan<Memory<byte>> vectors, ReadOnlySpan<byte> address, int flags)
    {
        if (vectors.Length > MaximumMessageVectors)
        {
            return kernel.Return(SyscallNumber.Sendmsg, -Errno.EMSGSIZE);
        }
        if (vectors.Length == 1)
        {
            return kernel.Return(SyscallNumber.Sendmsg, SendTo(kernel, fd, vectors[0].Span, flags, address));
        }
        int total = 0;
        for (int index = 0; index < vectors.Length; index++)
        {
            total += vectors[index].Length;
        }
        byte[] gathered = ArrayPool<byte>.Shared.Rent(Math.Max(total, 1));
        try
        {
            int offset = 0;
            for (int index = 0; index < vectors.Length; index++)
            {
                vectors[index].Span.CopyTo(gathered.AsSpan(offset));
                offset += vectors[index].Length;
            }
            return kernel.Return(SyscallNumber.Sendmsg, SendTo(kernel, fd, gathered.AsSpan(0, total), flags, address));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(gathered);
        }
    }

    // recvmsg(2) into vectors, filled in order; returnedFlags is msg_flags (MSG_TRUNC for a
    // datagram longer than the vectors hold). No control messages come back.
    [Syscall(SyscallNumber.Recvmsg)]
    internal static long Recvmsg(Kernel kernel, int fd, ReadOnlySpan<Memory<byte>> vectors, Span<byte> address, ref int addressLength, int flags, out int returnedFlags)
    {
        returnedFlags = 0;
        if (vectors.Length > MaximumMessageVectors)
        {
            return kernel.Return(SyscallNumber.Recvmsg, -Errno.EMSGSIZE);
        }
        if (vectors.Length == 1)
        {
            return kernel.Return(SyscallNumber.Recvmsg, ReceiveFrom(kernel, fd, vectors[0].Span, flags, address, ref addressLength, out returnedFlags));
        }
        int total = 0;
        for (int index = 0; index < vectors.Length; index++)
        {
            total += vectors[index].Length;
        }
        byte[] gathered = ArrayPool<byte>.Shared.Rent(Math.Max(total, 1));
        try
        {
            long result = ReceiveFrom(kernel, fd, gathered.AsSpan(0, total), flags, address, ref addressLength, out returnedFlags);
            int copied = result < 0 ? 0 : (int)Math.Min(result, total);
            int offset = 0;
            for (int index = 0; index < vectors.Length && offset < copied; index++)
            {
                int length = Math.Min(vectors[index].Length, copied - offset);
                gathered.AsSpan(offset, length).CopyTo(vectors[index].Span);
                offset += length;
            }
            return kernel.Return(SyscallNumber.Recvmsg, result);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(gathered);
        }
    }

    // sendmsg(2) and recvmsg(2) over one contiguous buffer: the native layer gathers the BCL's
    // IOVectors itself (they are unmanaged memory, not Memory<byte>) and comes in here, so the
    // trace records the syscall the program's call stands for.
    internal static long SendMessage(Kernel kernel, int fd, ReadOnlySpan<byte> data, int flags, ReadOnlySpan<byte> address)
    {
        return kernel.Return(SyscallNumber.Sendmsg, SendTo(kernel, fd, data, flags, address));
    }

    internal static long ReceiveMessage(Kernel kernel, int fd, Span<byte> buffer, int flags, Span<byte> address, ref int addressLength, out int returnedFlags)
    {
        return kernel.Return(SyscallNumber.Recvmsg, ReceiveFrom(kernel, fd, buffer, flags, address, ref addressLength, out returnedFlags));
    }

    [Syscall(SyscallNumber.Shutdown)]
    internal static long Shutdown(Kernel kernel, int fd, int how)
    {
        long result = FindSocket(kernel, fd, out SocketFile? socket);
        return kernel.Return(SyscallNumber.Shutdown, result == 0 ? socket!.Shutdown(how) : result);
    }

    // getsockname(2): 0.0.0.0:0 while unbound, as Linux reports it.
    [Syscall(SyscallNumber.Getsockname)]
    internal static long Getsockname(Kernel kernel, int fd, Span<byte> address, ref int addressLength)
    {
        long result = FindSocket(kernel, fd, out SocketFile? socket);
        if (result == 0)
        {
            result = socket!.Family == SocketFamily.AF_INET6
                ? SocketAddress.WriteInet6(socket.LocalAddress6, socket.Endpoint.LocalPort, address, ref addressLength)
                : SocketAddress.WriteInet(socket.Endpoint.LocalAddress, socket.Endpoint.LocalPort, address, ref addressLength);
        }
        return kernel.Return(SyscallNumber.Getsockname, result);
    }

    // getpeername(2): ENOTCONN without a peer.
    [Syscall(SyscallNumber.Getpeername)]
    internal static long Getpeername(Kernel kernel, int fd, Span<byte> address, ref int addressLength)
    {
        long result = FindSocket(kernel, fd, out SocketFile? socket);
        if (result == 0)
        {
            result = socket!.Endpoint.RemotePort == 0
                ? -Errno.ENOTCONN
                : WriteAddress(socket, socket.RemoteAddress6, socket.Endpoint.RemotePort, address, ref addressLength);
        }
        return kernel.Return(SyscallNumber.Getpeername, result);
    }

    [Syscall(SyscallNumber.Setsockopt)]
    internal static long Setsockopt(Kernel kernel, int fd, int level, int name, ReadOnlySpan<byte> value)
    {
        long result = FindSocket(kernel, fd, out SocketFile? socket);
        return kernel.Return(SyscallNumber.Setsockopt, result == 0 ? socket!.SetOption(level, name, value) : result);
    }

    // getsockopt(2): length is the buffer's length in and the value's out.
    [Syscall(SyscallNumber.Getsockopt)]
    internal static long Getsockopt(Kernel kernel, int fd, int level, int name, Span<byte> value, ref int length)
    {
        long result = FindSocket(kernel, fd, out SocketFile? socket);
        return kernel.Return(SyscallNumber.Getsockopt, result == 0 ? socket!.GetOption(level, name, value, ref length) : result);
    }

    // ioctl(FIONREAD) on a socket: the bytes a recv would find now. NOTE: not a syscall of its own;
    // the ioctl syscall routes FIONREAD here once the kernel has one for sockets.
    internal static long SocketBytesAvailable(Kernel kernel, int fd)
    {
        long result = FindSocket(kernel, fd, out SocketFile? socket);
        return result == 0 ? socket!.BytesAvailable : result;
    }

    // A peer's address in the socket's family: sockaddr_in6 for AF_INET6 (an IPv4 peer mapped),
    // sockaddr_in for AF_INET.
    private static int WriteAddress(SocketFile socket, Ipv6Address ip, ushort port, Span<byte> address, ref int addressLength)
    {
        return socket.Family == SocketFamily.AF_INET6
            ? SocketAddress.WriteInet6(ip, port, address, ref addressLength)
            : SocketAddress.WriteInet(ip.MappedIpv4, port, address, ref addressLength);
    }

    // The socket behind fd: EBADF for no open fd, ENOTSOCK for one that is not a socket.
    private static long FindSocket(Kernel kernel, int fd, out SocketFile? socket)
    {
        IFileDescription? description = kernel.Files.Get(fd);
        socket = description as SocketFile;
        if (description == null)
        {
            return -Errno.EBADF;
        }
        return socket == null ? -Errno.ENOTSOCK : 0;
    }
}
