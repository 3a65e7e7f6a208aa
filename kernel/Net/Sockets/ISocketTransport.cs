namespace Unikraft.Kernel;

using System;

// The boundary between the socket layer and the protocols under it: exactly what a socket file
// description needs of TCP and UDP, so the adapters over TcpSocket and UdpEndpoint stay thin and a
// test can stand a socket on an in-memory transport. Every call answers at once: a count, 0, or
// -errno, with -EAGAIN where a blocking socket would wait. The socket layer does the waiting (its
// WaitQueue, its timeouts, O_NONBLOCK and MSG_DONTWAIT); an endpoint only reports, through
// ReadinessChanged, every change that can make it readable, writable or failed.
internal interface ISocketTransport
{
    // A new unbound endpoint of each kind; null when the image carries no such protocol (a
    // UDP-only program has no TCP), and socket(2) then answers EPROTONOSUPPORT.
    IStreamEndpoint? CreateStream();

    IDatagramEndpoint? CreateDatagram();

    // Whether AF_INET6 sockets stand on this transport (socket(2) answers EAFNOSUPPORT if not).
    bool HasIpv6 { get; }

    // An AF_INET6 socket's stream endpoint (dual-stack until made v6-only); null when the image
    // carries no TCP or no IPv6, or the transport has no TCP over IPv6 (the socket then reaches
    // IPv4 peers through mapped addresses only).
    IStreamEndpoint6? CreateStream6();

    // An AF_INET6 socket's datagram endpoint (dual-stack until made v6-only); null when the image
    // carries no UDP or no IPv6.
    IDatagramEndpoint6? CreateDatagram6();
}

// What stream and datagram endpoints share.
internal interface ISocketEndpoint
{
    Ipv4Address LocalAddress { get; }

    // 0 while unbound.
    ushort LocalPort { get; }

    Ipv4Address RemoteAddress { get; }

    // 0 while not connected.
    ushort RemotePort { get; }

    // Told of every change that can change Poll's answer, with the PollEvents it may have made
    // ready (the socket wakes its waiters and its Readiness watchers from here). Called on the vCPU.
    Action<int>? ReadinessChanged { get; set; }

    // bind(2): port 0 picks an ephemeral port. 0 or -errno (EADDRINUSE, EADDRNOTAVAIL, EINVAL
    // when already bound).
    int Bind(Ipv4Address address, ushort port);

    // connect(2). A stream answers -EINPROGRESS once its handshake began; the end of it shows as
    // POLLOUT (and TakeError 0) or POLLERR (and TakeError the reason, ECONNREFUSED, ETIMEDOUT).
    // A datagram endpoint sets its default peer and answers 0.
    int Connect(Ipv4Address address, ushort port);

    // shutdown(2): how is SHUT_RD (0), SHUT_WR (1) or SHUT_RDWR (2). 0 or -errno (ENOTCONN).
    int Shutdown(int how);

    // The PollEvents that hold now, as Linux's tcp_poll and udp_poll report them.
    int Poll();

    // SO_ERROR: the pending error (a positive errno, 0 for none), cleared by the read.
    int TakeError();

    // SO_REUSEADDR: bind may take a local port that a connection in TIME-WAIT still holds
    // (socket(7)); the BCL sets it on every TCP socket it binds.
    bool ReuseAddress { get; set; }

    // SO_RCVBUF and SO_SNDBUF in bytes. 0 or -errno; a transport that fixes its buffers once
    // connected may refuse later changes (the socket keeps the value getsockopt reports).
    int SetBufferSizes(int sendSize, int receiveSize);

    // The last close of the socket: a stream goes on closing on its own (FIN after the queued
    // bytes), a datagram endpoint unbinds.
    void Close();

    // The last close with SO_LINGER on and a zero timeout: a stream resets at once (RST) and
    // drops what was queued; a datagram endpoint closes as Close does.
    void Abort();
}

// A TCP endpoint: a listener or a connection.
internal interface IStreamEndpoint : ISocketEndpoint
{
    // listen(2) was called and not undone: SO_ACCEPTCONN.
    bool IsListening { get; }

    // Bytes received and not read: FIONREAD.
    int ReceivedCount { get; }

    // TCP_NODELAY: Nagle's algorithm off.
    bool NoDelay { get; set; }

    // SO_KEEPALIVE: probe an idle connection.
    bool KeepAlive { get; set; }

    // TCP_KEEPIDLE and TCP_KEEPINTVL in seconds, TCP_KEEPCNT in probes (already checked).
    int KeepAliveIdleSeconds { get; set; }

    int KeepAliveIntervalSeconds { get; set; }

    int KeepAliveCount { get; set; }

    // listen(2): backlog as given (the endpoint clamps it). 0 or -errno.
    int Listen(int backlog);

    // accept(2): the next established connection, or -EAGAIN when none waits.
    int Accept(out IStreamEndpoint? connection);

    // send(2): the bytes the send buffer took now (a short count when it filled), -EAGAIN when it
    // took none, -EPIPE once the sending side is shut, or the pending error.
    long Send(ReadOnlySpan<byte> data);

    // recv(2): bytes read (peek leaves them queued), 0 at the end of the stream, -EAGAIN when
    // nothing is there yet, or the pending error.
    long Receive(Span<byte> buffer, bool peek);
}

// A UDP endpoint.
internal interface IDatagramEndpoint : ISocketEndpoint
{
    // The length of the next queued datagram, 0 when none is queued: FIONREAD.
    int NextDatagramLength { get; }

    // sendto(2) to destination: the payload length, or -errno (EMSGSIZE, ENETUNREACH, ...). An
    // unbound endpoint binds to an ephemeral port first.
    long SendTo(Ipv4Address destination, ushort port, ReadOnlySpan<byte> payload);

    // recvfrom(2): the bytes copied into buffer (the rest of a longer datagram is dropped unless
    // peek), the datagram's whole length and its sender; -EAGAIN when none is queued.
    long ReceiveFrom(Span<byte> buffer, bool peek, out Ipv4Address from, out ushort fromPort, out int datagramLength);
}

// An endpoint of an AF_INET6 socket: its calls take and give IPv6 addresses, an IPv4 peer as
// ::ffff:a.b.c.d.
internal interface ISocketEndpoint6 : ISocketEndpoint
{
    Ipv6Address LocalAddress6 { get; }

    Ipv6Address RemoteAddress6 { get; }

    // IPV6_V6ONLY: no IPv4 datagrams or connections in or out. Set before bind.
    bool V6Only { get; set; }

    int Bind6(Ipv6Address address, ushort port);

    int Connect6(Ipv6Address address, ushort port);
}

// A TCP endpoint of an AF_INET6 socket.
internal interface IStreamEndpoint6 : IStreamEndpoint, ISocketEndpoint6
{
}

// A UDP endpoint of an AF_INET6 socket.
internal interface IDatagramEndpoint6 : IDatagramEndpoint, ISocketEndpoint6
{
    long SendTo6(Ipv6Address destination, ushort port, ReadOnlySpan<byte> payload);

    long ReceiveFrom6(Span<byte> buffer, bool peek, out Ipv6Address from, out ushort fromPort, out int datagramLength);
}
