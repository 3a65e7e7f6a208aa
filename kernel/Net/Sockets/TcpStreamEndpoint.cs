namespace Unikraft.Kernel;

using System;

// A socket's stream endpoint on the kernel's own TCP: each member is TcpSocket's, which already
// answers at once with a count or -errno and reports readiness through the same callback shape.
// The same endpoint serves AF_INET6 sockets (TcpStack.CreateSocket6): TCP holds both families'
// addresses in IPv6's form.
internal sealed class TcpStreamEndpoint : IStreamEndpoint6
{
    private readonly TcpSocket socket;

    public TcpStreamEndpoint(TcpSocket socket)
    {
        this.socket = socket;
    }

    // The connection itself, for its state and counters.
    public TcpSocket Socket => socket;

    public Ipv4Address LocalAddress => socket.LocalAddress;

    public ushort LocalPort => socket.LocalPort;

    public Ipv4Address RemoteAddress => socket.RemoteAddress;

    public ushort RemotePort => socket.RemotePort;

    public Ipv6Address LocalAddress6 => socket.LocalAddress6;

    public Ipv6Address RemoteAddress6 => socket.RemoteAddress6;

    public bool V6Only
    {
        get => socket.V6Only;
        set => socket.V6Only = value;
    }

    public int Bind6(Ipv6Address address, ushort port) => socket.Bind6(address, port);

    public int Connect6(Ipv6Address address, ushort port) => socket.Connect6(address, port);

    public Action<int>? ReadinessChanged
    {
        get => socket.ReadinessChanged;
        set => socket.ReadinessChanged = value;
    }

    public bool IsListening => socket.State == TcpState.Listen;

    public int ReceivedCount => socket.ReceivedCount;

    public bool NoDelay
    {
        get => socket.NoDelay;
        set => socket.NoDelay = value;
    }

    public bool KeepAlive
    {
        get => socket.KeepAlive;
        set => socket.KeepAlive = value;
    }

    public int KeepAliveIdleSeconds
    {
        get => (int)(socket.KeepAliveIdle / 1_000_000_000);
        set => socket.KeepAliveIdle = value * 1_000_000_000L;
    }

    public int KeepAliveIntervalSeconds
    {
        get => (int)(socket.KeepAliveInterval / 1_000_000_000);
        set => socket.KeepAliveInterval = value * 1_000_000_000L;
    }

    public int KeepAliveCount
    {
        get => socket.KeepAliveCount;
        set => socket.KeepAliveCount = value;
    }

    // Held for getsockopt: a port in TIME-WAIT is not yet bound again with it.
    public bool ReuseAddress { get; set; }

    public int Bind(Ipv4Address address, ushort port) => socket.Bind(address, port);

    public int Connect(Ipv4Address address, ushort port) => socket.Connect(address, port);

    public int Listen(int backlog) => socket.Listen(backlog);

    public int Accept(out IStreamEndpoint? connection)
    {
        int result = socket.Accept(out TcpSocket? accepted);
        connection = accepted == null ? null : new TcpStreamEndpoint(accepted);
        return result;
    }

    public long Send(ReadOnlySpan<byte> data) => socket.Send(data);

    public long Receive(Span<byte> buffer, bool peek) => socket.Receive(buffer, peek);

    public int Shutdown(int how) => socket.Shutdown(how);

    public int Poll() => socket.Poll();

    public int TakeError() => socket.TakeError();

    public int SetBufferSizes(int sendSize, int receiveSize) => socket.SetBufferSizes(sendSize, receiveSize);

    public void Close() => socket.Close();

    public void Abort() => socket.Abort();
}
