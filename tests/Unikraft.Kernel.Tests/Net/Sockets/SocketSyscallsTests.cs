namespace Unikraft.Kernel.Tests;

using System;
using System.Text;
using Xunit;
using static SocketTestKit;

public class SocketSyscallsTests
{
    private const int Stream = SocketTypes.SOCK_STREAM;
    private const int Datagram = SocketTypes.SOCK_DGRAM;

    // A port scanner connects to thousands of ports at once; under plain .NET on Linux the runtime
    // has raised its descriptor limit past 1024 (xsitin/PortScanner, 9,000 ports in flight), so the
    // kernel must not stop at Linux's default soft limit.
    [Fact]
    public void Sockets_BeyondLinuxDefaultSoftLimit_OpenAndClose()
    {
        Kernel kernel = Boot(out _, out _);
        var opened = new System.Collections.Generic.List<int>();
        for (int index = 0; index < 5000; index++)
        {
            long fd = Sys.Socket(kernel, SocketFamily.AF_INET, Stream | SocketTypes.SOCK_NONBLOCK, SocketProtocols.IPPROTO_TCP);
            Assert.True(fd >= 0, "socket " + index + " failed with " + fd);
            opened.Add((int)fd);
        }

        Assert.Equal(opened.Count, new System.Collections.Generic.HashSet<int>(opened).Count);
        Assert.True(opened[^1] >= 5000, "the last socket's number is " + opened[^1]);
        foreach (int fd in opened)
        {
            Assert.Equal(0, Sys.Close(kernel, fd));
        }
    }

    [Fact]
    public void Datagram_RoundTrip_RecvfromNamesTheSender_AndTheReplyFindsIt()
    {
        Kernel kernel = Boot(out _, out _);
        int server = Open(kernel, Datagram);
        int client = Open(kernel, Datagram);
        Assert.Equal(0, Sys.Bind(kernel, server, Inet(Ipv4Address.Loopback, 5300)));

        Assert.Equal(4, Sys.Sendto(kernel, client, "ping"u8, 0, Inet(Ipv4Address.Loopback, 5300)));
        byte[] buffer = new byte[16];
        byte[] from = new byte[SocketAddress.InetLength];
        int fromLength = from.Length;
        Assert.Equal(4, Sys.Recvfrom(kernel, server, buffer, 0, from, ref fromLength));
        Assert.Equal("ping", Encoding.ASCII.GetString(buffer, 0, 4));
        Assert.Equal(SocketAddress.InetLength, fromLength);
        byte[] clientName = new byte[SocketAddress.InetLength];
        int clientNameLength = clientName.Length;
        Assert.Equal(0, Sys.Getsockname(kernel, client, clientName, ref clientNameLength));
        Assert.Equal(Read(clientName).Port, Read(from).Port);
        Assert.NotEqual(0, Read(from).Port);

        // The reply goes back to the address recvfrom gave.
        Assert.Equal(4, Sys.Sendto(kernel, server, "pong"u8, 0, from));
        Assert.Equal(4, Sys.Read(kernel, client, buffer));
        Assert.Equal("pong", Encoding.ASCII.GetString(buffer, 0, 4));
    }

    [Fact]
    public void Datagram_PeekKeepsIt_TruncationIsReported_AndWriteNeedsAPeer()
    {
        Kernel kernel = Boot(out _, out _);
        int server = Open(kernel, Datagram);
        int client = Open(kernel, Datagram);
        Assert.Equal(0, Sys.Bind(kernel, server, Inet(Ipv4Address.Loopback, 5301)));
        Assert.Equal(-Errno.EDESTADDRREQ, Sys.Write(kernel, client, "x"u8));
        Assert.Equal(0, Sys.Connect(kernel, client, Inet(Ipv4Address.Loopback, 5301)));
        Assert.Equal(6, Sys.Write(kernel, client, "abcdef"u8));

        byte[] small = new byte[2];
        int noLength = 0;
        Assert.Equal(2, Sys.Recvfrom(kernel, server, small, MessageFlags.MSG_PEEK, Span<byte>.Empty, ref noLength));
        // MSG_TRUNC asks for the datagram's real length; msg_flags says it was cut.
        Memory<byte>[] vectors = { new byte[1], new byte[1] };
        Assert.Equal(6, Sys.Recvmsg(kernel, server, vectors, Span<byte>.Empty, ref noLength, MessageFlags.MSG_TRUNC, out int returned));
        Assert.Equal(MessageFlags.MSG_TRUNC, returned);
        Assert.Equal((byte)'a', vectors[0].Span[0]);
        Assert.Equal((byte)'b', vectors[1].Span[0]);
        // The rest of the datagram was dropped with it: nothing is left.
        Assert.Equal(-Errno.EAGAIN, Sys.Recvfrom(kernel, server, small, MessageFlags.MSG_DONTWAIT, Span<byte>.Empty, ref noLength));
    }

    [Fact]
    public void Stream_BlockingConnectAcceptEcho()
    {
        Kernel kernel = Boot(out _, out _);
        int listener = Listener(kernel, 8080);
        int client = Open(kernel, Stream);

        Assert.Equal(0, Sys.Connect(kernel, client, Inet(Ipv4Address.Loopback, 8080)));
        byte[] peer = new byte[SocketAddress.InetLength];
        int peerLength = peer.Length;
        long server = Sys.Accept4(kernel, listener, peer, ref peerLength, SocketTypes.SOCK_CLOEXEC);
        Assert.True(server >= 0, "accept4 = " + server);
        Assert.Equal(OpenFlags.FD_CLOEXEC, Sys.Fcntl(kernel, (int)server, OpenFlags.F_GETFD, 0));
        byte[] clientName = new byte[SocketAddress.InetLength];
        int clientNameLength = clientName.Length;
        Assert.Equal(0, Sys.Getsockname(kernel, client, clientName, ref clientNameLength));
        Assert.Equal(Read(clientName), Read(peer));

        Memory<byte>[] pieces = { Encoding.ASCII.GetBytes("hello "), Encoding.ASCII.GetBytes("world") };
        Assert.Equal(11, Sys.Sendmsg(kernel, client, pieces, ReadOnlySpan<byte>.Empty, 0));
        byte[] buffer = new byte[64];
        long read = Sys.Read(kernel, (int)server, buffer);
        Assert.Equal("hello world", Encoding.ASCII.GetString(buffer, 0, (int)read));
        Assert.Equal(read, Sys.Write(kernel, (int)server, buffer.AsSpan(0, (int)read)));
        Assert.Equal(11, Sys.Read(kernel, client, buffer));

        // A blocking read waits for the peer: its close ends the stream.
        Assert.Equal(0, Sys.Close(kernel, (int)server));
        Assert.Equal(0, Sys.Read(kernel, client, buffer));
    }

    [Fact]
    public void Stream_NonBlocking_EagainThenEinprogress_ThenWritableWithSoError0()
    {
        Kernel kernel = Boot(out _, out _);
        int listener = Listener(kernel, 8081);
        PipeTestKit.SetNonBlocking(kernel, listener);
        int noLength = 0;
        Assert.Equal(-Errno.EAGAIN, Sys.Accept4(kernel, listener, Span<byte>.Empty, ref noLength, 0));

        long client = Sys.Socket(kernel, SocketFamily.AF_INET, Stream | SocketTypes.SOCK_NONBLOCK, SocketProtocols.IPPROTO_TCP);
        Assert.Equal(OpenFlags.O_RDWR | OpenFlags.O_NONBLOCK, Sys.Fcntl(kernel, (int)client, OpenFlags.F_GETFL, 0));
        Assert.Equal(-Errno.EINPROGRESS, Sys.Connect(kernel, (int)client, Inet(Ipv4Address.Loopback, 8081)));
        Assert.Equal(-Errno.EALREADY, Sys.Connect(kernel, (int)client, Inet(Ipv4Address.Loopback, 8081)));
        Assert.Equal(-Errno.EAGAIN, Sys.Read(kernel, (int)client, new byte[4]));

        PollFd[] fds = { new PollFd((int)client, (short)PollEvents.POLLOUT) };
        Assert.Equal(1, Sys.Poll(kernel, fds, -1));
        Assert.Equal(PollEvents.POLLOUT, fds[0].ReturnedEvents & PollEvents.POLLOUT);
        Assert.Equal(0, GetInt(kernel, (int)client, SocketOptions.SOL_SOCKET, SocketOptions.SO_ERROR));

        long server = Sys.Accept4(kernel, listener, Span<byte>.Empty, ref noLength, SocketTypes.SOCK_NONBLOCK);
        Assert.True(server >= 0, "accept4 = " + server);
        Assert.Equal(OpenFlags.O_RDWR | OpenFlags.O_NONBLOCK, Sys.Fcntl(kernel, (int)server, OpenFlags.F_GETFL, 0));
        Assert.Equal(-Errno.EAGAIN, Sys.Read(kernel, (int)server, new byte[4]));
        Assert.Equal(3, Sys.Write(kernel, (int)client, "abc"u8));
        Assert.Equal(3, Sys.Recvfrom(kernel, (int)server, new byte[4], 0, Span<byte>.Empty, ref noLength));
    }

    [Fact]
    public void Stream_NonBlockingSendFillsThePeer_ThenEagain_AndABlockingSendWaitsForRoom()
    {
        Kernel kernel = Boot(out _, out LoopbackTransport transport);
        int listener = Listener(kernel, 8082);
        (int client, int server) = Connected(kernel, listener, 8082);
        byte[] big = new byte[transport.StreamBufferSize + 100];

        Assert.Equal(transport.StreamBufferSize, Sys.Sendto(kernel, client, big, MessageFlags.MSG_DONTWAIT, ReadOnlySpan<byte>.Empty));
        Assert.Equal(-Errno.EAGAIN, Sys.Sendto(kernel, client, big, MessageFlags.MSG_DONTWAIT, ReadOnlySpan<byte>.Empty));

        // The server drains a second from now; the blocking send goes on until it took all 100.
        Sys.UkTimerArm(kernel, Second, _ => Sys.Read(kernel, server, new byte[transport.StreamBufferSize]), null);
        Assert.Equal(100, Sys.Write(kernel, client, big.AsSpan(0, 100)));
    }

    [Fact]
    public void ConnectionRefused_IsEconnrefused_ThroughSoError_OrFromABlockingConnect()
    {
        Kernel kernel = Boot(out _, out _);
        long client = Sys.Socket(kernel, SocketFamily.AF_INET, Stream | SocketTypes.SOCK_NONBLOCK, 0);
        Assert.Equal(-Errno.EINPROGRESS, Sys.Connect(kernel, (int)client, Inet(Ipv4Address.Loopback, 9)));
        PollFd[] fds = { new PollFd((int)client, (short)PollEvents.POLLOUT) };
        Assert.Equal(1, Sys.Poll(kernel, fds, -1));
        Assert.Equal(PollEvents.POLLERR, fds[0].ReturnedEvents & PollEvents.POLLERR);
        Assert.Equal(Errno.ECONNREFUSED, GetInt(kernel, (int)client, SocketOptions.SOL_SOCKET, SocketOptions.SO_ERROR));
        // Reading SO_ERROR cleared it.
        Assert.Equal(0, GetInt(kernel, (int)client, SocketOptions.SOL_SOCKET, SocketOptions.SO_ERROR));

        int blocking = Open(kernel, Stream);
        Assert.Equal(-Errno.ECONNREFUSED, Sys.Connect(kernel, blocking, Inet(Ipv4Address.Loopback, 9)));
    }

    [Fact]
    public void ReceiveTimeout_EndsABlockingRecvWithEagain_AfterItsTime()
    {
        Kernel kernel = Boot(out TestPlatform platform, out _);
        int listener = Listener(kernel, 8083);
        (int client, int server) = Connected(kernel, listener, 8083);

        Assert.Equal(0, SetTimeval(kernel, client, SocketOptions.SO_RCVTIMEO, 1, 500_000));
        long start = platform.Clock.MonotonicNanoseconds;
        Assert.Equal(-Errno.EAGAIN, Sys.Read(kernel, client, new byte[8]));
        Assert.Equal(Second + Second / 2, platform.Clock.MonotonicNanoseconds - start);

        byte[] value = new byte[16];
        int length = 16;
        Assert.Equal(0, Sys.Getsockopt(kernel, client, SocketOptions.SOL_SOCKET, SocketOptions.SO_RCVTIMEO, value, ref length));
        Assert.Equal(16, length);
        Assert.Equal(1, BitConverter.ToInt64(value, 0));
        Assert.Equal(500_000, BitConverter.ToInt64(value, 8));
        Assert.Equal(-Errno.EDOM, SetTimeval(kernel, client, SocketOptions.SO_RCVTIMEO, 1, 1_000_000));

        // Data that arrives within the timeout is read at once.
        Sys.UkTimerArm(kernel, Second / 4, _ => Sys.Write(kernel, server, "late"u8), null);
        start = platform.Clock.MonotonicNanoseconds;
        Assert.Equal(4, Sys.Read(kernel, client, new byte[8]));
        Assert.Equal(Second / 4, platform.Clock.MonotonicNanoseconds - start);
    }

    [Fact]
    public void PollAndEpoll_SeeASocketBecomeReadable()
    {
        Kernel kernel = Boot(out TestPlatform platform, out _);
        int listener = Listener(kernel, 8084);
        (int client, int server) = Connected(kernel, listener, 8084);
        int epfd = (int)Sys.EpollCreate1(kernel, 0);
        Assert.Equal(0, Sys.EpollCtl(kernel, epfd, EpollFile.EPOLL_CTL_ADD, client, new EpollEvent(PollEvents.POLLIN | EpollFile.EPOLLET, 77)));
        EpollEvent[] events = new EpollEvent[4];
        Assert.Equal(0, Sys.EpollWait(kernel, epfd, events, 0));

        PollFd[] fds = { new PollFd(client, (short)PollEvents.POLLIN) };
        Assert.Equal(0, Sys.Poll(kernel, fds, 0));
        Sys.UkTimerArm(kernel, Second, _ => Sys.Write(kernel, server, "x"u8), null);
        long start = platform.Clock.MonotonicNanoseconds;
        Assert.Equal(1, Sys.Poll(kernel, fds, -1));
        Assert.Equal(Second, platform.Clock.MonotonicNanoseconds - start);
        Assert.Equal(PollEvents.POLLIN, fds[0].ReturnedEvents);

        Assert.Equal(1, Sys.EpollWait(kernel, epfd, events, 0));
        Assert.Equal(77ul, events[0].Data);
        Assert.Equal((uint)PollEvents.POLLIN, events[0].Events & PollEvents.POLLIN);
        // Edge-triggered: reported once until the next change.
        Assert.Equal(0, Sys.EpollWait(kernel, epfd, events, 0));

        // A listener is readable when a connection waits to be accepted.
        int second = Open(kernel, Stream);
        PollFd[] accepting = { new PollFd(listener, (short)PollEvents.POLLIN) };
        Assert.Equal(0, Sys.Poll(kernel, accepting, 0));
        Assert.Equal(0, Sys.Connect(kernel, second, Inet(Ipv4Address.Loopback, 8084)));
        Assert.Equal(1, Sys.Poll(kernel, accepting, 0));
    }

    [Fact]
    public void BadAddressLengths_AreEinval_AndOtherFamiliesEafnosupport()
    {
        Kernel kernel = Boot(out _, out _);
        int stream = Open(kernel, Stream);
        int datagram = Open(kernel, Datagram);
        byte[] good = Inet(Ipv4Address.Loopback, 7000);

        Assert.Equal(-Errno.EINVAL, Sys.Bind(kernel, stream, good.AsSpan(0, 8)));
        Assert.Equal(-Errno.EINVAL, Sys.Connect(kernel, stream, good.AsSpan(0, 15)));
        Assert.Equal(-Errno.EINVAL, Sys.Sendto(kernel, datagram, "x"u8, 0, new byte[SocketAddress.StorageLength + 1]));
        Assert.Equal(-Errno.EAFNOSUPPORT, Sys.Bind(kernel, stream, Inet(Ipv4Address.Loopback, 7000, SocketFamily.AF_INET6)));
        Assert.Equal(-Errno.EAFNOSUPPORT, Sys.Connect(kernel, datagram, Inet(Ipv4Address.Loopback, 7000, SocketFamily.AF_UNIX)));
        int negative = -1;
        Assert.Equal(-Errno.EINVAL, Sys.Getsockname(kernel, stream, new byte[16], ref negative));

        // A short buffer gets the address's first bytes and the whole length.
        Assert.Equal(0, Sys.Bind(kernel, datagram, good));
        byte[] half = new byte[8];
        int halfLength = half.Length;
        Assert.Equal(0, Sys.Getsockname(kernel, datagram, half, ref halfLength));
        Assert.Equal(SocketAddress.InetLength, halfLength);
        Assert.Equal(good.AsSpan(0, 8).ToArray(), half);
    }

    [Fact]
    public void Socket_RefusesOtherFamiliesTypesProtocolsAndFlags_AndNonSockets()
    {
        Kernel kernel = Boot(out _, out _);

        Assert.Equal(-Errno.EAFNOSUPPORT, Sys.Socket(kernel, SocketFamily.AF_INET6, Datagram, 0));
        Assert.Equal(-Errno.EAFNOSUPPORT, Sys.Socket(kernel, SocketFamily.AF_UNIX, Stream, 0));
        Assert.Equal(-Errno.EINVAL, Sys.Socket(kernel, SocketFamily.AF_INET, Stream | 0x100, 0));
        Assert.Equal(-Errno.EINVAL, Sys.Socket(kernel, SocketFamily.AF_INET, 12, 0));
        Assert.Equal(-Errno.ESOCKTNOSUPPORT, Sys.Socket(kernel, SocketFamily.AF_INET, 5, 0));
        Assert.Equal(-Errno.EPROTONOSUPPORT, Sys.Socket(kernel, SocketFamily.AF_INET, Stream, SocketProtocols.IPPROTO_UDP));
        Assert.Equal(-Errno.EPROTONOSUPPORT, Sys.Socket(kernel, SocketFamily.AF_INET, Datagram, SocketProtocols.IPPROTO_TCP));

        (int read, _) = PipeTestKit.Open(kernel);
        Assert.Equal(-Errno.ENOTSOCK, Sys.Listen(kernel, read, 1));
        Assert.Equal(-Errno.EBADF, Sys.Listen(kernel, 900, 1));
        Assert.Equal(-Errno.EOPNOTSUPP, Sys.Listen(kernel, Open(kernel, Datagram), 1));

    }

    [Fact]
    public void Options_AreKeptAndReported_AsLinuxReportsThem()
    {
        Kernel kernel = Boot(out _, out LoopbackTransport transport);
        int listener = Listener(kernel, 8085);
        (int client, int server) = Connected(kernel, listener, 8085);
        byte[] one = BitConverter.GetBytes(1);

        Assert.Equal(Stream, GetInt(kernel, client, SocketOptions.SOL_SOCKET, SocketOptions.SO_TYPE));
        Assert.Equal(1, GetInt(kernel, listener, SocketOptions.SOL_SOCKET, SocketOptions.SO_ACCEPTCONN));
        Assert.Equal(0, GetInt(kernel, client, SocketOptions.SOL_SOCKET, SocketOptions.SO_ACCEPTCONN));
        Assert.Equal(0, Sys.Setsockopt(kernel, client, SocketProtocols.IPPROTO_TCP, SocketOptions.TCP_NODELAY, one));
        Assert.Equal(1, GetInt(kernel, client, SocketProtocols.IPPROTO_TCP, SocketOptions.TCP_NODELAY));
        Assert.Equal(0, Sys.Setsockopt(kernel, client, SocketOptions.SOL_SOCKET, SocketOptions.SO_KEEPALIVE, one));
        Assert.Equal(1, GetInt(kernel, client, SocketOptions.SOL_SOCKET, SocketOptions.SO_KEEPALIVE));
        Assert.Equal(0, Sys.Setsockopt(kernel, client, SocketOptions.SOL_SOCKET, SocketOptions.SO_REUSEADDR, one));
        Assert.Equal(1, GetInt(kernel, client, SocketOptions.SOL_SOCKET, SocketOptions.SO_REUSEADDR));
        Assert.Equal(0, Sys.Setsockopt(kernel, client, SocketOptions.SOL_SOCKET, SocketOptions.SO_RCVBUF, BitConverter.GetBytes(10000)));
        Assert.Equal(20000, GetInt(kernel, client, SocketOptions.SOL_SOCKET, SocketOptions.SO_RCVBUF));
        Assert.Equal(-Errno.EINVAL, Sys.Setsockopt(kernel, client, SocketOptions.SOL_SOCKET, SocketOptions.SO_KEEPALIVE, new byte[2]));
        Assert.Equal(-Errno.ENOPROTOOPT, Sys.Setsockopt(kernel, client, SocketOptions.SOL_SOCKET, SocketOptions.SO_TYPE, one));
        Assert.Equal(-Errno.ENOPROTOOPT, Sys.Setsockopt(kernel, Open(kernel, Datagram), SocketProtocols.IPPROTO_TCP, SocketOptions.TCP_NODELAY, one));
        // The keepalive times, as tcp(7) bounds them: 1 to 32767 seconds, 1 to 127 probes.
        Assert.Equal(0, Sys.Setsockopt(kernel, client, SocketProtocols.IPPROTO_TCP, SocketOptions.TCP_KEEPIDLE, BitConverter.GetBytes(30)));
        Assert.Equal(30, GetInt(kernel, client, SocketProtocols.IPPROTO_TCP, SocketOptions.TCP_KEEPIDLE));
        Assert.Equal(0, Sys.Setsockopt(kernel, client, SocketProtocols.IPPROTO_TCP, SocketOptions.TCP_KEEPINTVL, BitConverter.GetBytes(5)));
        Assert.Equal(5, GetInt(kernel, client, SocketProtocols.IPPROTO_TCP, SocketOptions.TCP_KEEPINTVL));
        Assert.Equal(0, Sys.Setsockopt(kernel, client, SocketProtocols.IPPROTO_TCP, SocketOptions.TCP_KEEPCNT, BitConverter.GetBytes(4)));
        Assert.Equal(4, GetInt(kernel, client, SocketProtocols.IPPROTO_TCP, SocketOptions.TCP_KEEPCNT));
        Assert.Equal(-Errno.EINVAL, Sys.Setsockopt(kernel, client, SocketProtocols.IPPROTO_TCP, SocketOptions.TCP_KEEPIDLE, BitConverter.GetBytes(0)));
        Assert.Equal(-Errno.EINVAL, Sys.Setsockopt(kernel, client, SocketProtocols.IPPROTO_TCP, SocketOptions.TCP_KEEPINTVL, BitConverter.GetBytes(32768)));
        Assert.Equal(-Errno.EINVAL, Sys.Setsockopt(kernel, client, SocketProtocols.IPPROTO_TCP, SocketOptions.TCP_KEEPCNT, BitConverter.GetBytes(128)));
        Assert.Equal(30, GetInt(kernel, client, SocketProtocols.IPPROTO_TCP, SocketOptions.TCP_KEEPIDLE));

        // SO_LINGER with a zero time resets the connection on close: the peer reads ECONNRESET.
        byte[] linger = new byte[8];
        BitConverter.GetBytes(1).CopyTo(linger, 0);
        Assert.Equal(0, Sys.Setsockopt(kernel, client, SocketOptions.SOL_SOCKET, SocketOptions.SO_LINGER, linger));
        byte[] back = new byte[8];
        int length = 8;
        Assert.Equal(0, Sys.Getsockopt(kernel, client, SocketOptions.SOL_SOCKET, SocketOptions.SO_LINGER, back, ref length));
        Assert.Equal(linger, back);
        Assert.Equal(0, Sys.Close(kernel, client));
        Assert.Equal(-Errno.ECONNRESET, Sys.Read(kernel, server, new byte[4]));
    }

    [Fact]
    public void Shutdown_WriteSideEndsThePeersStream_AndGetpeernameNeedsAPeer()
    {
        Kernel kernel = Boot(out _, out _);
        int listener = Listener(kernel, 8086);
        (int client, int server) = Connected(kernel, listener, 8086);
        int length = 16;
        Assert.Equal(-Errno.ENOTCONN, Sys.Getpeername(kernel, listener, new byte[16], ref length));
        byte[] peer = new byte[16];
        Assert.Equal(0, Sys.Getpeername(kernel, client, peer, ref length));
        Assert.Equal((Ipv4Address.Loopback, (ushort)8086), Read(peer));

        Assert.Equal(-Errno.EINVAL, Sys.Shutdown(kernel, client, 3));
        Assert.Equal(0, Sys.Shutdown(kernel, client, ShutdownHow.SHUT_WR));
        Assert.Equal(0, Sys.Read(kernel, server, new byte[4]));
        Assert.Equal(-Errno.EPIPE, Sys.Write(kernel, client, "x"u8));
        Assert.Equal(2, Sys.Write(kernel, server, "ok"u8));
        Assert.Equal(2, Sys.Read(kernel, client, new byte[4]));
    }

    [Fact]
    public void Close_ReleasesTheEndpointAndItsWatchers_AndTooManyVectorsAreEmsgsize()
    {
        Kernel kernel = Boot(out _, out _);
        int listener = Listener(kernel, 8087);
        int epfd = (int)Sys.EpollCreate1(kernel, 0);
        Assert.Equal(0, Sys.EpollCtl(kernel, epfd, EpollFile.EPOLL_CTL_ADD, listener, new EpollEvent(PollEvents.POLLIN, 1)));
        Assert.Equal(1, ((EpollFile)kernel.Files.Get(epfd)!).InterestCount);

        // The last close unbinds the listener (its port is free again) and leaves the epoll.
        Assert.Equal(0, Sys.Close(kernel, listener));
        Assert.Equal(0, ((EpollFile)kernel.Files.Get(epfd)!).InterestCount);
        int again = Open(kernel, Stream);
        Assert.Equal(0, Sys.Bind(kernel, again, Inet(Ipv4Address.Any, 8087)));
        int other = Open(kernel, Stream);
        Assert.Equal(-Errno.EADDRINUSE, Sys.Bind(kernel, other, Inet(Ipv4Address.Any, 8087)));

        Memory<byte>[] vectors = new Memory<byte>[1025];
        Assert.Equal(-Errno.EMSGSIZE, Sys.Sendmsg(kernel, Open(kernel, Datagram), vectors, Inet(Ipv4Address.Loopback, 1), 0));
    }
}
