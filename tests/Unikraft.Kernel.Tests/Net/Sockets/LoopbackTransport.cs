namespace Unikraft.Kernel.Tests;

using System;
using System.Collections.Generic;

// An in-memory transport for the socket layer's tests: streams that pair up inside one kernel and
// datagrams that go from one endpoint's port to another's. A connect completes (or is refused)
// one scheduler step later, as a handshake over a network would, so a blocking connect really
// waits and a non-blocking one really answers EINPROGRESS first. Every address is this host.
internal sealed class LoopbackTransport : ISocketTransport
{
    public const int EphemeralFirst = 49152;

    private readonly Kernel kernel;
    private readonly Dictionary<ushort, LoopbackStream> listeners = new Dictionary<ushort, LoopbackStream>();
    private readonly HashSet<ushort> streamPorts = new HashSet<ushort>();
    private readonly Dictionary<ushort, LoopbackDatagram> datagramPorts = new Dictionary<ushort, LoopbackDatagram>();
    private int nextEphemeral = EphemeralFirst;

    public LoopbackTransport(Kernel kernel, int streamBufferSize = 4096)
    {
        this.kernel = kernel;
        StreamBufferSize = streamBufferSize;
    }

    public int StreamBufferSize { get; }

    public static Ipv4Address Local => Ipv4Address.Loopback;

    public IStreamEndpoint? CreateStream() => new LoopbackStream(this);

    public IDatagramEndpoint? CreateDatagram() => new LoopbackDatagram(this);

    // No IPv6 here: socket(AF_INET6, ...) answers EAFNOSUPPORT.
    public bool HasIpv6 => false;

    public IDatagramEndpoint6? CreateDatagram6() => null;

    public IStreamEndpoint6? CreateStream6() => null;

    internal void Later(Action work) => kernel.Scheduler.Spawn(_ => work(), null);

    internal int TakeStreamPort(ushort port, out ushort taken)
    {
        taken = port == 0 ? Ephemeral(streamPorts.Contains) : port;
        if (!streamPorts.Add(taken))
        {
            return -Errno.EADDRINUSE;
        }
        return 0;
    }

    internal void FreeStreamPort(ushort port) => streamPorts.Remove(port);

    internal int Listen(LoopbackStream listener)
    {
        listeners[listener.LocalPort] = listener;
        return 0;
    }

    internal void StopListening(LoopbackStream listener) => listeners.Remove(listener.LocalPort);

    internal LoopbackStream? FindListener(ushort port) => listeners.TryGetValue(port, out LoopbackStream? listener) ? listener : null;

    internal int TakeDatagramPort(LoopbackDatagram endpoint, ushort port, out ushort taken)
    {
        taken = port == 0 ? Ephemeral(datagramPorts.ContainsKey) : port;
        if (datagramPorts.ContainsKey(taken))
        {
            return -Errno.EADDRINUSE;
        }
        datagramPorts[taken] = endpoint;
        return 0;
    }

    internal void FreeDatagramPort(ushort port) => datagramPorts.Remove(port);

    internal LoopbackDatagram? FindDatagram(ushort port) => datagramPorts.TryGetValue(port, out LoopbackDatagram? endpoint) ? endpoint : null;

    private ushort Ephemeral(Func<ushort, bool> taken)
    {
        while (taken((ushort)nextEphemeral))
        {
            nextEphemeral++;
        }
        return (ushort)nextEphemeral++;
    }
}

internal sealed class LoopbackStream : IStreamEndpoint
{
    private const int Closed = 0;
    private const int Listening = 1;
    private const int Connecting = 2;
    private const int Connected = 3;

    private readonly LoopbackTransport transport;
    private readonly Queue<byte> received = new Queue<byte>();
    private Queue<LoopbackStream>? acceptQueue;
    private LoopbackStream? peer;
    private int state = Closed;
    private int backlog;
    private int pendingError;
    private bool everConnected;
    private bool finReceived;
    private bool writeShut;
    private bool readShut;

    public LoopbackStream(LoopbackTransport transport)
    {
        this.transport = transport;
    }

    public Ipv4Address LocalAddress { get; private set; }

    public ushort LocalPort { get; private set; }

    public Ipv4Address RemoteAddress { get; private set; }

    public ushort RemotePort { get; private set; }

    public Action<int>? ReadinessChanged { get; set; }

    public bool ReuseAddress { get; set; }

    public bool IsListening => state == Listening;

    public int ReceivedCount => received.Count;

    public bool NoDelay { get; set; }

    public bool KeepAlive { get; set; }

    public int KeepAliveIdleSeconds { get; set; } = 7200;

    public int KeepAliveIntervalSeconds { get; set; } = 75;

    public int KeepAliveCount { get; set; } = 9;

    public int SendBufferSize { get; private set; }

    public int ReceiveBufferSize { get; private set; }

    public bool Aborted { get; private set; }

    public int Bind(Ipv4Address address, ushort port)
    {
        if (LocalPort != 0)
        {
            return -Errno.EINVAL;
        }
        int result = transport.TakeStreamPort(port, out ushort taken);
        if (result < 0)
        {
            return result;
        }
        LocalAddress = address;
        LocalPort = taken;
        return 0;
    }

    public int Listen(int backlogLength)
    {
        if (state != Closed && state != Listening)
        {
            return -Errno.EINVAL;
        }
        if (LocalPort == 0)
        {
            Bind(Ipv4Address.Any, 0);
        }
        backlog = Math.Max(1, backlogLength);
        acceptQueue ??= new Queue<LoopbackStream>();
        state = Listening;
        return transport.Listen(this);
    }

    public int Accept(out IStreamEndpoint? connection)
    {
        connection = null;
        if (state != Listening || acceptQueue == null)
        {
            return -Errno.EINVAL;
        }
        if (acceptQueue.Count == 0)
        {
            return -Errno.EAGAIN;
        }
        connection = acceptQueue.Dequeue();
        return 0;
    }

    public int Connect(Ipv4Address address, ushort port)
    {
        if (state == Connecting)
        {
            return -Errno.EALREADY;
        }
        if (state != Closed || everConnected)
        {
            return state == Listening ? -Errno.EINVAL : -Errno.EISCONN;
        }
        if (LocalPort == 0)
        {
            int bound = Bind(LoopbackTransport.Local, 0);
            if (bound < 0)
            {
                return bound;
            }
        }
        if (LocalAddress.IsAny)
        {
            LocalAddress = LoopbackTransport.Local;
        }
        RemoteAddress = address;
        RemotePort = port;
        everConnected = true;
        state = Connecting;
        transport.Later(Handshake);
        return -Errno.EINPROGRESS;
    }

    // The SYN's answer: a SYN-ACK from a listener with room, else a RST.
    private void Handshake()
    {
        LoopbackStream? listener = transport.FindListener(RemotePort);
        if (state != Connecting)
        {
            return;
        }
        if (listener == null || listener.acceptQueue!.Count >= listener.backlog)
        {
            state = Closed;
            pendingError = Errno.ECONNREFUSED;
            Notify(PollEvents.POLLERR | PollEvents.POLLHUP | PollEvents.POLLOUT);
            return;
        }
        LoopbackStream child = new LoopbackStream(transport)
        {
            LocalAddress = RemoteAddress,
            LocalPort = RemotePort,
            RemoteAddress = LocalAddress,
            RemotePort = LocalPort,
            state = Connected,
            everConnected = true,
            peer = this,
        };
        peer = child;
        state = Connected;
        listener.acceptQueue!.Enqueue(child);
        listener.Notify(PollEvents.POLLIN | PollEvents.POLLRDNORM);
        Notify(PollEvents.POLLOUT | PollEvents.POLLWRNORM);
    }

    public long Send(ReadOnlySpan<byte> data)
    {
        int error = TakeError();
        if (error != 0)
        {
            return -error;
        }
        if (state == Connecting)
        {
            return -Errno.EAGAIN;
        }
        if (state != Connected || writeShut || peer == null)
        {
            return -Errno.EPIPE;
        }
        int room = transport.StreamBufferSize - peer.received.Count;
        if (data.IsEmpty)
        {
            return 0;
        }
        if (room <= 0)
        {
            return -Errno.EAGAIN;
        }
        int length = Math.Min(room, data.Length);
        for (int index = 0; index < length; index++)
        {
            peer.received.Enqueue(data[index]);
        }
        peer.Notify(PollEvents.POLLIN | PollEvents.POLLRDNORM);
        return length;
    }

    public long Receive(Span<byte> buffer, bool peek)
    {
        if (received.Count > 0 && !buffer.IsEmpty)
        {
            int length = Math.Min(buffer.Length, received.Count);
            if (peek)
            {
                int index = 0;
                foreach (byte value in received)
                {
                    if (index == length)
                    {
                        break;
                    }
                    buffer[index++] = value;
                }
                return length;
            }
            for (int index = 0; index < length; index++)
            {
                buffer[index] = received.Dequeue();
            }
            peer?.Notify(PollEvents.POLLOUT | PollEvents.POLLWRNORM);
            return length;
        }
        int error = TakeError();
        if (error != 0)
        {
            return -error;
        }
        if (finReceived || readShut || buffer.IsEmpty)
        {
            return 0;
        }
        if (state == Closed)
        {
            return everConnected ? 0 : -Errno.ENOTCONN;
        }
        return state == Listening ? -Errno.ENOTCONN : -Errno.EAGAIN;
    }

    public int Shutdown(int how)
    {
        if (state != Connected)
        {
            return -Errno.ENOTCONN;
        }
        if (how != ShutdownHow.SHUT_WR)
        {
            readShut = true;
        }
        if (how != ShutdownHow.SHUT_RD && !writeShut)
        {
            writeShut = true;
            peer?.Fin();
        }
        Notify(PollEvents.POLLIN | PollEvents.POLLOUT | PollEvents.POLLHUP);
        return 0;
    }

    public int Poll()
    {
        int mask = pendingError != 0 ? PollEvents.POLLERR : 0;
        switch (state)
        {
            case Listening:
                return acceptQueue!.Count > 0 ? mask | PollEvents.POLLIN | PollEvents.POLLRDNORM : mask;
            case Connecting:
                return mask;
            case Closed:
                return mask | PollEvents.POLLOUT | PollEvents.POLLWRNORM | PollEvents.POLLHUP | (everConnected ? PollEvents.POLLIN : 0);
        }
        if (received.Count > 0 || finReceived || readShut)
        {
            mask |= PollEvents.POLLIN | PollEvents.POLLRDNORM;
        }
        if (finReceived)
        {
            mask |= PollEvents.POLLRDHUP;
        }
        if (writeShut || peer == null || transport.StreamBufferSize - peer.received.Count > 0)
        {
            mask |= PollEvents.POLLOUT | PollEvents.POLLWRNORM;
        }
        return mask;
    }

    public int TakeError()
    {
        int error = pendingError;
        pendingError = 0;
        return error;
    }

    public int SetBufferSizes(int sendSize, int receiveSize)
    {
        SendBufferSize = sendSize;
        ReceiveBufferSize = receiveSize;
        return 0;
    }

    public void Close()
    {
        Leave();
        peer?.Fin();
        peer = null;
        state = Closed;
    }

    public void Abort()
    {
        Aborted = true;
        Leave();
        if (peer != null)
        {
            peer.pendingError = Errno.ECONNRESET;
            peer.state = Closed;
            peer.peer = null;
            peer.Notify(PollEvents.POLLERR | PollEvents.POLLHUP | PollEvents.POLLIN);
        }
        peer = null;
        state = Closed;
    }

    private void Leave()
    {
        if (state == Listening)
        {
            transport.StopListening(this);
        }
        if (LocalPort != 0 && state != Connected)
        {
            transport.FreeStreamPort(LocalPort);
        }
    }

    private void Fin()
    {
        finReceived = true;
        Notify(PollEvents.POLLIN | PollEvents.POLLRDNORM | PollEvents.POLLRDHUP);
    }

    private void Notify(int events) => ReadinessChanged?.Invoke(events);
}

internal sealed class LoopbackDatagram : IDatagramEndpoint
{
    private readonly LoopbackTransport transport;
    private readonly Queue<(Ipv4Address From, ushort Port, byte[] Payload)> queue = new Queue<(Ipv4Address, ushort, byte[])>();

    public LoopbackDatagram(LoopbackTransport transport)
    {
        this.transport = transport;
    }

    public Ipv4Address LocalAddress { get; private set; }

    public ushort LocalPort { get; private set; }

    public Ipv4Address RemoteAddress { get; private set; }

    public ushort RemotePort { get; private set; }

    public Action<int>? ReadinessChanged { get; set; }

    public bool ReuseAddress { get; set; }

    public int NextDatagramLength => queue.Count == 0 ? 0 : queue.Peek().Payload.Length;

    public int Bind(Ipv4Address address, ushort port)
    {
        if (LocalPort != 0)
        {
            return -Errno.EINVAL;
        }
        int result = transport.TakeDatagramPort(this, port, out ushort taken);
        if (result == 0)
        {
            LocalAddress = address;
            LocalPort = taken;
        }
        return result;
    }

    public int Connect(Ipv4Address address, ushort port)
    {
        if (LocalPort == 0)
        {
            Bind(Ipv4Address.Any, 0);
        }
        RemoteAddress = address;
        RemotePort = port;
        return 0;
    }

    public long SendTo(Ipv4Address destination, ushort port, ReadOnlySpan<byte> payload)
    {
        if (LocalPort == 0)
        {
            Bind(Ipv4Address.Any, 0);
        }
        LoopbackDatagram? target = transport.FindDatagram(port);
        if (target != null)
        {
            target.queue.Enqueue((LoopbackTransport.Local, LocalPort, payload.ToArray()));
            target.ReadinessChanged?.Invoke(PollEvents.POLLIN | PollEvents.POLLRDNORM);
        }
        return payload.Length;
    }

    public long ReceiveFrom(Span<byte> buffer, bool peek, out Ipv4Address from, out ushort fromPort, out int datagramLength)
    {
        if (queue.Count == 0)
        {
            from = default;
            fromPort = 0;
            datagramLength = 0;
            return -Errno.EAGAIN;
        }
        (Ipv4Address From, ushort Port, byte[] Payload) next = peek ? queue.Peek() : queue.Dequeue();
        from = next.From;
        fromPort = next.Port;
        datagramLength = next.Payload.Length;
        int copied = Math.Min(buffer.Length, next.Payload.Length);
        next.Payload.AsSpan(0, copied).CopyTo(buffer);
        return copied;
    }

    public int Shutdown(int how) => RemotePort == 0 ? -Errno.ENOTCONN : 0;

    public int Poll() => PollEvents.POLLOUT | PollEvents.POLLWRNORM | (queue.Count > 0 ? PollEvents.POLLIN | PollEvents.POLLRDNORM : 0);

    public int TakeError() => 0;

    public int SetBufferSizes(int sendSize, int receiveSize) => 0;

    public void Close()
    {
        if (LocalPort != 0)
        {
            transport.FreeDatagramPort(LocalPort);
        }
    }

    public void Abort() => Close();
}
