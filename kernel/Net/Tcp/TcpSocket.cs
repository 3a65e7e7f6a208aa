namespace Unikraft.Kernel;

using System;
using System.Collections.Generic;

// One TCP endpoint: a listener or a connection, with RFC 9293's state machine (3.3.2, and the
// event processing of 3.10). The user's side (Connect, Listen, Accept, Send, Receive, Shutdown,
// Close, Abort) never blocks: it answers a count or -errno (-EAGAIN when it would wait, as a
// non-blocking socket does) and exposes its readiness as a poll mask, a WaitQueue and a callback,
// so a caller that wants to block waits on Waiters with its own deadline. The network's side
// (Process, OnTimers) is driven by the stack with the time passed in; nothing here does I/O
// except through the stack's Transmit.
internal sealed class TcpSocket
{
    // NOTE: the default MSS when the peer sends no MSS option (RFC 9293, 3.7.1, MUST-15).
    public const int DefaultMss = 536;

    // NOTE: the largest window shift (RFC 7323, 2.3).
    private const int MaximumWindowShift = 14;

    // NOTE: the length of the timestamps option with its two NOPs (RFC 7323, appendix A layout).
    private const int TimestampsLength = 12;

    // NOTE: how often a connection's progress confirms its peer's neighbor entry, well inside
    // RFC 4861's 30 s REACHABLE_TIME (Linux's dst_confirm is as cheap as a store; here it is a
    // route and a table look-up).
    private const long ConfirmInterval = 1_000_000_000;

    private readonly TcpStack stack;
    private readonly TcpSendBuffer sendBuffer;
    private readonly TcpReceiveBuffer receiveBuffer;
    private readonly TcpRetransmitTimer timer = new TcpRetransmitTimer();
    private readonly TcpCongestion congestion = new TcpCongestion(DefaultMss);
    private readonly TcpSackScoreboard scoreboard = new TcpSackScoreboard();
    // The end of the last hole retransmitted in this recovery (RFC 6675's HighRxt).
    private uint highRetransmitted;
    // SND.MAX when SND.UNA's segment was last sent again in a recovery: data from here on left
    // after that retransmission.
    private uint retransmitMark;
    private bool retransmitMarked;
    private Queue<TcpSocket>? acceptQueue;
    private TcpSocket? parent;
    private int backlog;
    private int halfOpen;
    private bool cookiesSent;
    private long lastCookieSent;

    // Send sequence variables (RFC 9293, 3.3.1); sndMax is the highest SND.NXT ever sent, since
    // a timeout moves SND.NXT back to SND.UNA to go over the data again.
    private uint iss;
    private uint sndUna;
    private uint sndNxt;
    private uint sndMax;
    private long sndWnd;
    private uint sndWl1;
    private uint sndWl2;
    private long maxSndWnd;
    private int sndShift;
    private int rcvShift;
    private int sendMss = DefaultMss;
    // The most data one segment may carry when the route's device cuts it into segments of the
    // MSS itself (segmentation offload); 0 when it cannot.
    private int offloadData;
    private bool timestamps;
    private bool sackPermitted;
    // The user shut the sending side: a FIN follows the buffered bytes.
    private bool finQueued;
    private bool finAckedFlag;
    private bool windowScaling;

    // Receive sequence variables.
    private uint irs;
    private uint rcvNxt;
    private uint rcvEdge;
    private bool peerFinPending;
    private uint peerFinSequence;
    private bool finReceived;
    private bool readShut;
    private uint tsRecent;
    private uint tsOffset;
    // RCV.NXT as the last ACK sent carried it (RFC 7323, 4.3's Last.ACK.sent).
    private uint lastAckSent;

    // Timers, as monotonic deadlines (long.MaxValue: not armed).
    private long retransmitDeadline = long.MaxValue;
    // The retransmission deadline is a tail loss probe's, not the RTO's (RFC 8985, 7.2).
    private bool probeArmed;
    // A probe went out and no new data has been acknowledged since: no second one until then.
    private bool probeSent;
    private long persistDeadline = long.MaxValue;
    private int persistBackoffs;
    private long delayedAckDeadline = long.MaxValue;
    private long stateDeadline = long.MaxValue;
    private long keepaliveDeadline = long.MaxValue;
    private int retransmissions;
    private bool ackNow;
    private int unackedFullSegments;

    // Karn's rule: one segment timed at a time, never a retransmitted one (RFC 6298, 3).
    private bool timing;
    private uint timedSequence;
    private long timedAt;

    // Keepalive (RFC 1122, 4.2.3.6): when the peer was last heard from, and the probes sent
    // since, unanswered.
    private bool keepAlive;
    private long lastHeard;
    private int keepaliveProbes;

    private int pendingError;
    // An ICMP error heard about this connection while established (Linux's sk_err_soft): what a
    // timeout ends it with instead of ETIMEDOUT; cleared by new data acknowledged.
    private int softError;
    // When the peer's neighbor entry may next be confirmed (ConfirmPeer).
    private long nextConfirm;
    private bool everConnected;
    private bool userClosed;

    public TcpSocket(TcpStack stack)
    {
        this.stack = stack;
        sendBuffer = new TcpSendBuffer(stack.DefaultSendBufferSize);
        receiveBuffer = new TcpReceiveBuffer(stack.DefaultReceiveBufferSize);
        Waiters = stack.Scheduler == null ? null : new WaitQueue(stack.Scheduler);
    }

    public int State { get; private set; } = TcpState.Closed;

    // The addresses in IPv6's form, an IPv4 one mapped (::ffff:a.b.c.d, TcpEndpoints): an IPv4
    // socket unbound or bound to any is ::ffff:0.0.0.0, an IPv6 one ::.
    public Ipv6Address LocalAddress6 { get; private set; } = Ipv6Address.MapIpv4(Ipv4Address.Any);

    public Ipv6Address RemoteAddress6 { get; private set; } = Ipv6Address.MapIpv4(Ipv4Address.Any);

    // The IPv4 addresses of an IPv4 socket (0.0.0.0 for an IPv6 one bound to ::).
    public Ipv4Address LocalAddress => LocalAddress6.MappedIpv4;

    public Ipv4Address RemoteAddress => RemoteAddress6.MappedIpv4;

    public ushort LocalPort { get; private set; }

    public ushort RemotePort { get; private set; }

    public TcpEndpoints Endpoints => new TcpEndpoints(LocalAddress6, LocalPort, RemoteAddress6, RemotePort);

    // An AF_INET6 socket's (TcpStack.CreateSocket6): unbound, it listens on :: and not on 0.0.0.0.
    public bool IsIpv6Socket { get; private set; }

    // IPV6_V6ONLY: an IPv6 socket bound to :: takes no IPv4 connections, and connects to no IPv4
    // address (ENETUNREACH, as Linux's tcp_v6_connect). Set before bind.
    public bool V6Only { get; set; }

    internal void MakeIpv6()
    {
        IsIpv6Socket = true;
        LocalAddress6 = Ipv6Address.Unspecified;
        RemoteAddress6 = Ipv6Address.Unspecified;
    }

    // Callers blocked on this socket (null when the stack has no scheduler): every change that
    // can make the socket readable, writable or failed wakes them.
    public WaitQueue? Waiters { get; }

    // Hears every readiness change with the PollEvents it may have made ready (a socket file
    // description forwards it to its Readiness).
    public Action<int>? ReadinessChanged { get; set; }

    // TCP_NODELAY: no Nagle (RFC 9293, 3.7.4, MUST-17 says it can be turned off).
    public bool NoDelay { get; set; }

    // SO_KEEPALIVE: an idle connection is probed, and given up with ETIMEDOUT when the peer
    // answers none of KeepAliveCount probes (RFC 1122, 4.2.3.6: off by default, the idle time
    // no less than two hours by default).
    public bool KeepAlive
    {
        get => keepAlive;
        set
        {
            keepAlive = value;
            keepaliveProbes = 0;
            if (!value)
            {
                keepaliveDeadline = long.MaxValue;
                return;
            }
            ArmKeepalive(stack.Now);
        }
    }

    // TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT, in nanoseconds and probes; Linux's defaults
    // (tcp_keepalive_time 7200 s, tcp_keepalive_intvl 75 s, tcp_keepalive_probes 9).
    public long KeepAliveIdle { get; set; } = 7200_000_000_000;

    public long KeepAliveInterval { get; set; } = 75_000_000_000;

    public int KeepAliveCount { get; set; } = 9;

    // Probes sent on this connection, for tests.
    public int KeepaliveProbesSent { get; private set; }

    public bool IsBound { get; private set; }

    // The send MSS in use (RFC 9293, 3.7.1) and the windows, for tests and getsockopt.
    public int SendMss => sendMss;

    public long CongestionWindow => congestion.Window;

    public long SlowStartThreshold => congestion.SlowStartThreshold;

    public int FastRetransmits => congestion.FastRetransmits;

    public long PeerWindow => sndWnd;

    public int SendWindowShift => sndShift;

    public int ReceiveWindowShift => rcvShift;

    public bool TimestampsEnabled => timestamps;

    public bool SackPermitted => sackPermitted;

    public long RetransmitTimeout => timer.Current;

    public long SmoothedRoundTrip => timer.SmoothedRoundTrip;

    public int Retransmissions => retransmissions;

    public long RetransmitDeadline => retransmitDeadline;

    // Bytes waiting to be read, and bytes taken from the user and not acknowledged.
    public int ReceivedCount => receiveBuffer.Count;

    public int SendQueued => sendBuffer.Count;

    public int SendBufferSize => sendBuffer.Capacity;

    public int ReceiveBufferSize => receiveBuffer.Capacity;

    // Bytes of memory the receive buffer holds now: it grows with the data left unread.
    public int ReceiveMemory => receiveBuffer.Allocated;

    public int AcceptQueueLength => acceptQueue == null ? 0 : acceptQueue.Count;

    public int HalfOpenCount => halfOpen;

    internal bool UserClosed => userClosed;

    // What the peer has yet to acknowledge once the program closed the connection: the bytes in
    // the send buffer and the FIN (one). 0 in every other state.
    internal int Unacknowledged =>
        State == TcpState.FinWait1 || State == TcpState.Closing || State == TcpState.LastAck
            ? sendBuffer.Count + (finAckedFlag ? 0 : 1)
            : 0;

    // The listener a half-open or not yet accepted connection belongs to.
    internal TcpSocket? Parent => parent;

    // The earliest of this socket's timers.
    internal long NextDeadline => Math.Min(Math.Min(Math.Min(retransmitDeadline, persistDeadline), Math.Min(delayedAckDeadline, stateDeadline)), keepaliveDeadline);

    // SO_SNDBUF and SO_RCVBUF: before the connection exists only.
    public int SetBufferSizes(int sendSize, int receiveSize)
    {
        if (State != TcpState.Closed || sendSize < 1 || receiveSize < 1)
        {
            return -Errno.EINVAL;
        }
        sendBuffer.Resize(sendSize);
        receiveBuffer.Resize(receiveSize);
        return 0;
    }

    // bind(2): port 0 picks an ephemeral port.
    public int Bind(Ipv4Address address, ushort port) => Bind6(Ipv6Address.MapIpv4(address), port);

    // bind(2) with an address of either family (an IPv4 one mapped); :: is both families' any
    // address unless V6Only.
    public int Bind6(Ipv6Address address, ushort port)
    {
        if (IsBound || State != TcpState.Closed)
        {
            return -Errno.EINVAL;
        }
        if (address.IsIpv4Mapped && V6Only)
        {
            return -Errno.EINVAL;
        }
        int result = stack.BindPort(this, address, port);
        if (result < 0)
        {
            return result;
        }
        LocalAddress6 = address;
        LocalPort = (ushort)result;
        IsBound = true;
        return 0;
    }

    // listen(2): backlog bounds the connections waiting for Accept, and as many more may be
    // half-open (in SYN-RECEIVED) at once.
    // A kernel whose program never listens (KernelFeatures.TcpListen off) answers EOPNOTSUPP.
    public int Listen(int backlogLength)
    {
        if (KernelFeatures.TcpListen)
        {
            if (State != TcpState.Closed && State != TcpState.Listen)
            {
                return -Errno.EINVAL;
            }
            if (!IsBound)
            {
                int bound = Bind6(IsIpv6Socket ? Ipv6Address.Unspecified : Ipv6Address.MapIpv4(Ipv4Address.Any), 0);
                if (bound < 0)
                {
                    return bound;
                }
            }
            // NOTE: Linux clamps the backlog to [1, somaxconn = 4096] (listen(2)).
            backlog = Math.Clamp(backlogLength, 1, 4096);
            if (State == TcpState.Listen)
            {
                return 0;
            }
            int result = stack.AddListener(this);
            if (result < 0)
            {
                return result;
            }
            acceptQueue = new Queue<TcpSocket>();
            State = TcpState.Listen;
            return 0;
        }
        return -Errno.EOPNOTSUPP;
    }

    // connect(2), non-blocking: -EINPROGRESS once the SYN is out; the socket becomes writable
    // (or reports its error) when the handshake ends.
    public int Connect(Ipv4Address address, ushort port) => Connect6(Ipv6Address.MapIpv4(address), port);

    // connect(2) to an address of either family (an IPv4 one mapped).
    public int Connect6(Ipv6Address address, ushort port)
    {
        if (State == TcpState.SynSent || State == TcpState.SynReceived)
        {
            return -Errno.EALREADY;
        }
        if (State != TcpState.Closed)
        {
            return State == TcpState.Listen ? -Errno.EINVAL : -Errno.EISCONN;
        }
        if (everConnected)
        {
            return -Errno.EISCONN;
        }
        Ipv6Address source;
        if (address.IsIpv4Mapped)
        {
            Ipv4Address address4 = address.MappedIpv4;
            if (port == 0 || address4.IsAny || address4.IsBroadcast || address4.IsMulticast)
            {
                return -Errno.EINVAL;
            }
            if (V6Only || (IsBound && !LocalAddress6.IsIpv4Mapped && !LocalAddress6.IsUnspecified) ||
                !stack.Output.TrySelectSource(address4, out Ipv4Address source4))
            {
                return -Errno.ENETUNREACH;
            }
            source = Ipv6Address.MapIpv4(source4);
        }
        else
        {
            if (port == 0 || address.IsUnspecified)
            {
                return -Errno.EINVAL;
            }
            // NOTE: TCP has no multicast; Linux's tcp_v6_connect answers ENETUNREACH.
            if (address.IsMulticast || (IsBound && LocalAddress6.IsIpv4Mapped) || !stack.TrySelectSource6(address, out source))
            {
                return -Errno.ENETUNREACH;
            }
        }
        if (IsBound && !LocalAddress6.IsUnspecified && !(LocalAddress6.IsIpv4Mapped && LocalAddress.IsAny))
        {
            source = LocalAddress6;
        }
        Ipv6Address before = RemoteAddress6;
        RemoteAddress6 = address;
        RemotePort = port;
        int result = stack.Connecting(this, source);
        if (result < 0)
        {
            RemoteAddress6 = before;
            RemotePort = 0;
            return result;
        }
        LocalAddress6 = source;
        LocalPort = (ushort)result;
        IsBound = true;
        everConnected = true;
        long now = stack.Now;
        Begin(now);
        State = TcpState.SynSent;
        SendSyn(now, false);
        return -Errno.EINPROGRESS;
    }

    // accept4(2), non-blocking.
    public int Accept(out TcpSocket? connection)
    {
        connection = null;
        if (KernelFeatures.TcpListen)
        {
            if (State != TcpState.Listen || acceptQueue == null)
            {
                return -Errno.EINVAL;
            }
            if (acceptQueue.Count == 0)
            {
                return -Errno.EAGAIN;
            }
            connection = acceptQueue.Dequeue();
            connection.parent = null;
            return 0;
        }
        return -Errno.EINVAL;
    }

    // send(2), non-blocking: as many bytes as the send buffer takes now.
    public long Send(ReadOnlySpan<byte> data)
    {
        int error = TakeError();
        if (error != 0)
        {
            return -error;
        }
        if (State == TcpState.SynSent || State == TcpState.SynReceived)
        {
            return -Errno.EAGAIN;
        }
        if (finQueued || (State != TcpState.Established && State != TcpState.CloseWait))
        {
            return everConnected || State != TcpState.Closed ? -Errno.EPIPE : -Errno.ENOTCONN;
        }
        if (data.IsEmpty)
        {
            return 0;
        }
        int written = sendBuffer.Write(data);
        if (written == 0)
        {
            return -Errno.EAGAIN;
        }
        Output(stack.Now);
        return written;
    }

    // recv(2), non-blocking: 0 at the end of the stream.
    public long Receive(Span<byte> buffer) => Receive(buffer, false);

    // recv(2) with MSG_PEEK when peek: the bytes stay queued and the window stays as it is.
    public long Receive(Span<byte> buffer, bool peek)
    {
        if (receiveBuffer.Count > 0 && !buffer.IsEmpty)
        {
            if (peek)
            {
                return receiveBuffer.Peek(buffer);
            }
            int read = receiveBuffer.Read(buffer);
            WindowOpened(stack.Now);
            return read;
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
        if (State == TcpState.Closed)
        {
            return everConnected ? 0 : -Errno.ENOTCONN;
        }
        if (State == TcpState.Listen)
        {
            return -Errno.ENOTCONN;
        }
        return -Errno.EAGAIN;
    }

    // shutdown(2): how is SHUT_RD (0), SHUT_WR (1) or SHUT_RDWR (2).
    public int Shutdown(int how)
    {
        if (how < 0 || how > 2)
        {
            return -Errno.EINVAL;
        }
        if (State == TcpState.Closed || State == TcpState.Listen || State == TcpState.SynSent)
        {
            return -Errno.ENOTCONN;
        }
        if (how != 1)
        {
            readShut = true;
        }
        if (how != 0)
        {
            QueueFin(stack.Now);
        }
        Notify(PollEvents.POLLIN | PollEvents.POLLRDNORM | PollEvents.POLLOUT | PollEvents.POLLHUP);
        return 0;
    }

    // close(2) of the last reference: the connection goes on closing on its own (RFC 9293,
    // 3.10.4). Unread received data makes it a reset instead, as Linux does (RFC 2525, 2.17).
    public void Close()
    {
        if (userClosed)
        {
            return;
        }
        userClosed = true;
        long now = stack.Now;
        if (KernelFeatures.TcpListen)
        {
            if (State == TcpState.Listen)
            {
                CloseListener();
                return;
            }
        }
        switch (State)
        {
            case TcpState.Closed:
                stack.Release(this);
                return;
            case TcpState.SynSent:
                Terminate(0);
                return;
        }
        if (receiveBuffer.Count > 0 || (State == TcpState.SynReceived && parent != null))
        {
            SendReset(now);
            Terminate(0);
            return;
        }
        readShut = true;
        QueueFin(now);
        if (State == TcpState.FinWait2)
        {
            ArmFinWait2Timeout(now);
        }
    }

    // SO_LINGER with a zero timeout, or an abort (RFC 9293, 3.10.5): a reset, and the connection
    // is gone.
    public void Abort()
    {
        userClosed = true;
        if (KernelFeatures.TcpListen)
        {
            if (State == TcpState.Listen)
            {
                CloseListener();
                return;
            }
        }
        if (State == TcpState.SynReceived || TcpState.IsSynchronized(State))
        {
            if (State != TcpState.TimeWait)
            {
                SendReset(stack.Now);
            }
        }
        Terminate(0);
    }

    // SO_ERROR: the pending error, cleared by reading it.
    public int TakeError()
    {
        int error = pendingError;
        pendingError = 0;
        return error;
    }

    // The PollEvents ready now, as Linux's tcp_poll reports them.
    public int Poll()
    {
        int mask = 0;
        if (pendingError != 0)
        {
            mask |= PollEvents.POLLERR;
        }
        if (KernelFeatures.TcpListen)
        {
            if (State == TcpState.Listen)
            {
                return acceptQueue != null && acceptQueue.Count > 0 ? mask | PollEvents.POLLIN | PollEvents.POLLRDNORM : mask;
            }
        }
        if (State == TcpState.Closed && !everConnected)
        {
            return mask | PollEvents.POLLOUT | PollEvents.POLLWRNORM | PollEvents.POLLHUP;
        }
        if (State == TcpState.SynSent || State == TcpState.SynReceived)
        {
            return mask;
        }
        // A connection that ended (a reset, a timeout) reads as ended too, as Linux's tcp_poll
        // reports a closed socket readable.
        if (receiveBuffer.Count > 0 || finReceived || readShut || State == TcpState.Closed)
        {
            mask |= PollEvents.POLLIN | PollEvents.POLLRDNORM;
        }
        if (finReceived || readShut || State == TcpState.Closed)
        {
            mask |= PollEvents.POLLRDHUP;
        }
        if (State == TcpState.Closed || (readShut && finQueued))
        {
            mask |= PollEvents.POLLHUP;
        }
        if (State == TcpState.Closed || finQueued)
        {
            // Writing would fail at once: a writer must not wait.
            mask |= PollEvents.POLLOUT | PollEvents.POLLWRNORM;
        }
        else if ((State == TcpState.Established || State == TcpState.CloseWait) && sendBuffer.Free >= sendBuffer.Count / 2 && sendBuffer.Free > 0)
        {
            // NOTE: writable while the free space is at least half the queued bytes, as
            // sk_stream_is_writeable says.
            mask |= PollEvents.POLLOUT | PollEvents.POLLWRNORM;
        }
        return mask;
    }

    // ---- The network's side ----

    // A connection's start: sequence numbers, timestamps' offset, window shift.
    private void Begin(long now)
    {
        TcpEndpoints endpoints = Endpoints;
        iss = stack.InitialSequence(endpoints, now);
        sndUna = iss;
        sndNxt = iss;
        sndMax = iss;
        tsOffset = stack.TimestampOffset(endpoints);
        congestion.SetRecoverPoint(iss);
        rcvShift = WindowShiftFor(receiveBuffer.Capacity);
    }

    // NOTE: the smallest shift that lets a receive buffer be advertised (RFC 7323, 2.3).
    internal static int WindowShiftFor(int capacity)
    {
        int shift = 0;
        while (shift < MaximumWindowShift && (capacity >> shift) > 65535)
        {
            shift++;
        }
        return shift;
    }

    // A listener's SYN made this connection (RFC 9293, 3.10.7.2, "If the SYN bit is set").
    internal void AcceptSyn(TcpSocket listener, Ipv6Address local, Ipv6Address remote, in TcpHeader syn, long now)
    {
        Adopt(listener, local, remote, syn);
        Begin(now);
        irs = syn.SequenceNumber;
        rcvNxt = irs + 1;
        lastAckSent = rcvNxt;
        TakeSynOptions(syn);
        sndWnd = syn.Window;
        sndWl1 = syn.SequenceNumber;
        sndWl2 = syn.AcknowledgmentNumber;
        State = TcpState.SynReceived;
        SendSyn(now, false);
    }

    // A listener's SYN cookie came back good in this ACK (RFC 4987, 3.6): the connection is in
    // the state the SYN-ACK would have left it in, with the cookie as its ISN and what the cookie
    // said of the peer's SYN, and the ACK then completes the handshake as in SYN-RECEIVED.
    internal void AcceptCookie(TcpSocket listener, Ipv6Address local, Ipv6Address remote, in TcpHeader ack, ReadOnlySpan<byte> payload,
        uint cookie, int peerMss, int peerShift, bool sack, long now)
    {
        Adopt(listener, local, remote, ack);
        Begin(now);
        iss = cookie;
        sndUna = iss;
        sndNxt = iss + 1;
        sndMax = iss + 1;
        congestion.SetRecoverPoint(iss);
        irs = ack.SequenceNumber - 1;
        rcvNxt = irs + 1;
        lastAckSent = rcvNxt;
        bool stamps = ack.HasTimestamps && stack.UseTimestamps;
        TakeOptions(stamps && peerShift >= 0, peerShift, stamps, ack.TimestampValue, stamps && sack, peerMss);
        // The window the SYN-ACK advertised, unscaled as a SYN's is.
        rcvEdge = rcvNxt + (uint)Math.Min(receiveBuffer.Capacity, 65535);
        sndWl1 = irs;
        sndWl2 = iss;
        State = TcpState.SynReceived;
        Process(ack, payload, now);
        if (State == TcpState.SynReceived)
        {
            // NOTE: cannot happen (the ACK is in the window and acknowledges the cookie), but a
            // connection left here would have no timer to end it.
            Terminate(0);
        }
    }

    // What a connection made by a listener takes from it: addresses, ports and socket options.
    private void Adopt(TcpSocket listener, Ipv6Address local, Ipv6Address remote, in TcpHeader header)
    {
        parent = listener;
        IsIpv6Socket = listener.IsIpv6Socket;
        LocalAddress6 = local;
        LocalPort = header.DestinationPort;
        RemoteAddress6 = remote;
        RemotePort = header.SourcePort;
        IsBound = true;
        everConnected = true;
        NoDelay = listener.NoDelay;
        // NOTE: a connection takes its listener's keepalive settings, as Linux's do.
        keepAlive = listener.keepAlive;
        KeepAliveIdle = listener.KeepAliveIdle;
        KeepAliveInterval = listener.KeepAliveInterval;
        KeepAliveCount = listener.KeepAliveCount;
        sendBuffer.Resize(listener.sendBuffer.Capacity);
        receiveBuffer.Resize(listener.receiveBuffer.Capacity);
    }

    private void TakeSynOptions(in TcpHeader syn)
    {
        TakeOptions(syn.HasWindowScale && stack.UseWindowScaling, syn.WindowScale, syn.HasTimestamps && stack.UseTimestamps,
            syn.TimestampValue, syn.SackPermitted && stack.UseSack, syn.MaximumSegmentSize != 0 ? syn.MaximumSegmentSize : DefaultMss);
    }

    // The options the handshake agreed on: the peer's window shift, timestamps (with the peer's
    // first value), SACK-permitted and the peer's MSS.
    private void TakeOptions(bool scaling, int peerShift, bool stamps, uint peerTimestamp, bool sack, int peerMss)
    {
        windowScaling = scaling;
        if (windowScaling)
        {
            sndShift = Math.Min(peerShift, MaximumWindowShift);
        }
        else
        {
            // NOTE: both sides must send the option for either to scale (RFC 7323, 2.2).
            sndShift = 0;
            rcvShift = 0;
        }
        timestamps = stamps;
        if (timestamps)
        {
            tsRecent = peerTimestamp;
        }
        sackPermitted = sack;
        // NOTE: the effective send MSS is the smaller of the peer's MSS and what the route
        // carries, less the options every segment bears (RFC 9293, 3.7.1, and RFC 6691).
        int pathMss = stack.MaximumPayloadTo(RemoteAddress6) - TcpSegment.HeaderLength;
        sendMss = Math.Max(Math.Min(peerMss, pathMss) - (timestamps ? TimestampsLength : 0), 64);
        // NOTE: room for the longest header (60 bytes, RFC 9293, 3.1) in the device's limit.
        int offload = stack.SegmentOffloadTo(RemoteAddress6);
        offloadData = offload > 0 ? Math.Max(offload - TcpSegment.MaximumHeaderLength, 0) : 0;
        congestion.Reset(sendMss);
    }

    // The window to advertise, with receiver-side silly window avoidance (RFC 9293, 3.8.6.2.2):
    // the right edge moves on only by at least min(half the buffer, one MSS). The field carries
    // the window in units of the shift: a new edge is rounded down, within the buffer; an edge
    // that stays is rounded up, as Linux's tcp_select_window does, since rounding it down would
    // move it left by up to a unit on every ACK (RFC 7323, 2.4 and appendix F: a shrinking
    // window) and strand the last bytes of a full buffer the sender may no longer send.
    private long ReceiveWindow(bool update)
    {
        long free = receiveBuffer.Free;
        long current = Math.Max((long)(int)(rcvEdge - rcvNxt), 0);
        long threshold = Math.Min(receiveBuffer.Capacity / 2, sendMss);
        long window = free - current >= threshold || free == receiveBuffer.Capacity ? free : current;
        long limit = 65535L << rcvShift;
        window = Math.Min(window, limit) >> rcvShift << rcvShift;
        if (window < current)
        {
            window = Math.Min((current + (1L << rcvShift) - 1) >> rcvShift << rcvShift, limit);
        }
        if (update)
        {
            rcvEdge = rcvNxt + (uint)window;
        }
        return window;
    }

    // The user read: send a window update when the window grew enough to matter.
    private void WindowOpened(long now)
    {
        if (!TcpState.IsSynchronized(State) || finReceived)
        {
            return;
        }
        long current = Math.Max((long)(int)(rcvEdge - rcvNxt), 0);
        if (ReceiveWindow(false) > current)
        {
            ackNow = true;
            Output(now);
        }
        Notify(PollEvents.POLLOUT);
    }

    // Handles one segment addressed to this connection (RFC 9293, 3.10.7.3 and 3.10.7.4).
    internal void Process(in TcpHeader header, ReadOnlySpan<byte> payload, long now)
    {
        if (State != TcpState.Closed && State != TcpState.Listen)
        {
            // The peer is heard from: keepalive starts its idle time again.
            lastHeard = now;
            keepaliveProbes = 0;
            if (keepAlive && keepaliveDeadline == long.MaxValue)
            {
                ArmKeepalive(now);
            }
        }
        if (State == TcpState.SynSent)
        {
            ProcessSynSent(header, now);
            Output(now);
            return;
        }
        if (State == TcpState.Closed || State == TcpState.Listen)
        {
            return;
        }
        bool syn = header.HasFlag(TcpFlags.Syn);
        bool rst = header.HasFlag(TcpFlags.Rst);
        bool fin = header.HasFlag(TcpFlags.Fin);
        uint seq = header.SequenceNumber;
        int segmentLength = payload.Length + (syn ? 1 : 0) + (fin ? 1 : 0);

        if (State == TcpState.SynReceived && syn && !rst && seq == irs)
        {
            if (!header.HasFlag(TcpFlags.Ack))
            {
                // A retransmitted SYN of the handshake in progress: the SYN-ACK was lost.
                SendSyn(now, true);
                return;
            }
            // Simultaneous open: the peer's SYN-ACK repeats the SYN this side already took; what
            // counts is its ACK (RFC 9293, 3.5, figure 7, line 6).
            syn = false;
            seq = irs + 1;
            segmentLength = payload.Length + (fin ? 1 : 0);
        }

        // NOTE: PAWS (RFC 7323, 5.3): a segment with an older timestamp than TS.Recent is an
        // old duplicate; it is acknowledged and dropped (not for RST).
        if (timestamps && header.HasTimestamps && !rst && TcpSequence.LessThan(header.TimestampValue, tsRecent) && TcpState.IsSynchronized(State))
        {
            SendAck(now);
            return;
        }

        // 1. Is the sequence number acceptable (RFC 9293, 3.10.7.4, first, the four cases)?
        uint window = (uint)Math.Max((long)(int)(rcvEdge - rcvNxt), 0);
        bool acceptable;
        if (segmentLength == 0)
        {
            acceptable = window == 0 ? seq == rcvNxt : TcpSequence.InWindow(seq, rcvNxt, window);
        }
        else
        {
            acceptable = window != 0 && (TcpSequence.InWindow(seq, rcvNxt, window) ||
                TcpSequence.InWindow(seq + (uint)segmentLength - 1, rcvNxt, window));
        }
        if (!acceptable)
        {
            if (!rst)
            {
                // Still take what the ACK field says (RFC 9293, 3.10.7.4: "special allowance
                // should be made to accept valid ACKs" when the window is zero), then answer.
                if (header.HasFlag(TcpFlags.Ack) && window == 0 && TcpState.IsSynchronized(State))
                {
                    ProcessAck(header, payload.Length, now);
                }
                SendAck(now);
                if (State == TcpState.TimeWait && fin)
                {
                    // A retransmitted FIN in TIME-WAIT: acknowledged, and the 2 MSL start over
                    // (RFC 9293, 3.10.7.4, eighth).
                    stateDeadline = now + 2 * stack.MaximumSegmentLifetime;
                    stack.DeadlineChanged(stateDeadline);
                }
            }
            return;
        }

        // 2. RST: only an exact match resets; anything else in the window gets a challenge ACK
        // (RFC 5961, 3.2).
        if (rst)
        {
            if (seq != rcvNxt)
            {
                SendChallengeAck(now);
                return;
            }
            if (State == TcpState.SynReceived && parent != null)
            {
                // A passive open goes back to the listener quietly (RFC 9293, 3.10.7.4).
                Terminate(0);
                return;
            }
            int error = State == TcpState.SynReceived ? Errno.ECONNREFUSED :
                State == TcpState.Closing || State == TcpState.LastAck || State == TcpState.TimeWait ? 0 : Errno.ECONNRESET;
            Terminate(error);
            return;
        }

        // 4. SYN in a synchronized state: a challenge ACK (RFC 5961, 4.2; RFC 9293, 3.10.7.4).
        if (syn)
        {
            SendChallengeAck(now);
            return;
        }

        // 5. ACK: a segment without it is dropped.
        if (!header.HasFlag(TcpFlags.Ack))
        {
            return;
        }
        if (State == TcpState.SynReceived)
        {
            uint ack = header.AcknowledgmentNumber;
            if (!TcpSequence.GreaterThan(ack, sndUna) || TcpSequence.GreaterThan(ack, sndMax))
            {
                stack.SendReset(LocalAddress6, RemoteAddress6, LocalPort, RemotePort, ack, 0, false);
                return;
            }
            // The SYN is acknowledged: the connection is established.
            sndUna = iss + 1;
            sndWnd = (long)header.Window << sndShift;
            maxSndWnd = Math.Max(maxSndWnd, sndWnd);
            sndWl1 = seq;
            sndWl2 = ack;
            retransmissions = 0;
            retransmitDeadline = long.MaxValue;
            probeArmed = false;
            if (timing && TcpSequence.GreaterThan(ack, timedSequence))
            {
                timer.Sample(now - timedAt);
                timing = false;
            }
            timer.HandshakeDone();
            State = TcpState.Established;
            ConfirmPeer(now);
            if (KernelFeatures.TcpListen)
            {
                TcpSocket? listener = parent;
                if (listener != null && !listener.Established(this))
                {
                    SendReset(now);
                    Terminate(0);
                    return;
                }
            }
            Notify(PollEvents.POLLOUT | PollEvents.POLLWRNORM);
        }
        if (timestamps && header.HasTimestamps && TcpSequence.LessOrEqual(seq, lastAckSent))
        {
            // NOTE: TS.Recent follows the segment that covers the last ACK sent (RFC 7323, 4.3,
            // "SEG.SEQ =< Last.ACK.sent"; Linux's rcv_wup): while an ACK is delayed the echo stays
            // the earliest unacknowledged segment's, so the sender's RTT takes the delay in, and
            // out-of-order segments never move it; the one that fills the hole does.
            tsRecent = header.TimestampValue;
        }
        if (!ProcessAck(header, payload.Length, now))
        {
            return;
        }
        if (State == TcpState.Closed)
        {
            return;
        }

        // 7. Text, and 8. FIN.
        if (State == TcpState.Established || State == TcpState.FinWait1 || State == TcpState.FinWait2)
        {
            ReceiveText(header, payload, now);
        }
        else if (State == TcpState.TimeWait && fin)
        {
            // A retransmitted FIN: acknowledge it again and restart the 2 MSL wait
            // (RFC 9293, 3.10.7.4, eighth).
            ackNow = true;
            stateDeadline = now + 2 * stack.MaximumSegmentLifetime;
            stack.DeadlineChanged(stateDeadline);
        }
        Output(now);
    }

    // Packet too big for a segment of this connection (TcpStack.ReceiveIcmpv6Error): the path MTU
    // to the peer is lower now, and so is the MSS of the segments sent from now on. NOTE: only for
    // a quoted sequence number this connection has in flight (RFC 5927, 4.1: a blind attacker
    // does not know it). What is in flight was cut at the old size and the small link dropped
    // it, so it goes again at once at the new size, from SND.UNA, as Linux's
    // tcp_simple_retransmit sends it (RFC 8201, 5.2 and RFC 1191, 6.5: a retransmission, not a
    // congestion signal): the congestion window, the timer and its backoff stay as they are.
    internal void PathMtuLowered(uint sequence, long now)
    {
        if (TcpSequence.LessThan(sequence, sndUna) || TcpSequence.GreaterThan(sequence, sndMax))
        {
            return;
        }
        int pathMss = stack.MaximumPayloadTo(RemoteAddress6) - TcpSegment.HeaderLength - (timestamps ? TimestampsLength : 0);
        if (pathMss >= sendMss)
        {
            return;
        }
        sendMss = Math.Max(pathMss, 64);
        if (sndUna == sndMax || !(State == TcpState.Established || State == TcpState.CloseWait || State == TcpState.FinWait1 ||
            State == TcpState.Closing || State == TcpState.LastAck))
        {
            return;
        }
        // Karn: an ACK of what goes again times nothing.
        timing = false;
        sndNxt = sndUna;
        stack.PathMtuRetransmits++;
        SendData(now);
        highRetransmitted = TcpSequence.Max(highRetransmitted, sndNxt);
    }

    // An ICMPv6 error other than packet too big about a segment of this connection
    // (TcpStack.ReceiveIcmpv6Error), as Linux's tcp_v6_err takes it: only for a quoted sequence
    // number in flight (RFC 5927, 4.1); a connection still opening (SYN-SENT) fails with the
    // error's errno (an unreachable neighbor's address unreachable: EHOSTUNREACH, as connect(2)
    // fails on Linux), an established one keeps it as a soft error (RFC 5461: it goes on
    // retransmitting), reported if it times out.
    internal void IcmpError(int error, uint sequence)
    {
        if (TcpSequence.LessThan(sequence, sndUna) || TcpSequence.GreaterThan(sequence, sndMax))
        {
            return;
        }
        if (State == TcpState.SynSent)
        {
            Terminate(error);
            return;
        }
        softError = error;
    }

    // NOTE: Linux's tcp_write_err: a connection given up ends with the last ICMP error heard
    // about it, else ETIMEDOUT.
    private int TimeoutError() => softError != 0 ? softError : Errno.ETIMEDOUT;

    // Forward progress (new data or the SYN acknowledged) says the peer's next hop is reachable
    // (RFC 4861, 7.3.1), at most once a second: an entry confirmed then stays REACHABLE for 30.
    private void ConfirmPeer(long now)
    {
        if (now >= nextConfirm)
        {
            nextConfirm = now + ConfirmInterval;
            stack.ConfirmReachable(RemoteAddress6);
        }
    }

    // A new SYN for the 4-tuple of a connection in TIME-WAIT, while a listener has the port, may
    // open a new connection when it cannot be an old duplicate: its timestamp is newer than the
    // last one seen or, without timestamps, its sequence number lies past the old connection's
    // (RFC 6191, 2; RFC 1122, 4.2.2.13; Linux's tcp_timewait_state_process). Then the TIME-WAIT
    // ends here and the listener takes the SYN. A client that reuses its ports quickly (curl in a
    // loop) would otherwise get an ACK for the old connection, answer it with RST and wait.
    internal bool ReopenFromTimeWait(in TcpHeader header)
    {
        if (State != TcpState.TimeWait || !header.HasFlag(TcpFlags.Syn) || header.HasFlag(TcpFlags.Ack) || header.HasFlag(TcpFlags.Rst))
        {
            return false;
        }
        bool newer = timestamps && header.HasTimestamps
            ? TcpSequence.GreaterThan(header.TimestampValue, tsRecent)
            : TcpSequence.GreaterThan(header.SequenceNumber, rcvNxt);
        if (!newer)
        {
            return false;
        }
        Terminate(0);
        return true;
    }

    private void ProcessSynSent(in TcpHeader header, long now)
    {
        bool hasAck = header.HasFlag(TcpFlags.Ack);
        uint ack = header.AcknowledgmentNumber;
        // NOTE: RFC 9293, 3.10.7.3, first: an ACK of anything but our SYN is answered with RST.
        if (hasAck && (TcpSequence.LessOrEqual(ack, iss) || TcpSequence.GreaterThan(ack, sndMax)))
        {
            if (!header.HasFlag(TcpFlags.Rst))
            {
                stack.SendReset(LocalAddress6, RemoteAddress6, LocalPort, RemotePort, ack, 0, false);
            }
            return;
        }
        if (header.HasFlag(TcpFlags.Rst))
        {
            if (hasAck)
            {
                Terminate(Errno.ECONNREFUSED);
            }
            return;
        }
        if (!header.HasFlag(TcpFlags.Syn))
        {
            return;
        }
        irs = header.SequenceNumber;
        rcvNxt = irs + 1;
        lastAckSent = rcvNxt;
        TakeSynOptions(header);
        sndWnd = header.Window;
        maxSndWnd = sndWnd;
        sndWl1 = header.SequenceNumber;
        sndWl2 = ack;
        ReceiveWindow(true);
        if (hasAck)
        {
            sndUna = ack;
            retransmitDeadline = long.MaxValue;
            probeArmed = false;
            if (timing)
            {
                timer.Sample(now - timedAt);
                timing = false;
            }
            timer.HandshakeDone();
            retransmissions = 0;
            State = TcpState.Established;
            ConfirmPeer(now);
            ackNow = true;
            Notify(PollEvents.POLLOUT | PollEvents.POLLWRNORM);
            return;
        }
        // Simultaneous open (RFC 9293, 3.5, figure 7): answer with SYN-ACK from the same ISS.
        State = TcpState.SynReceived;
        sndNxt = iss;
        SendSyn(now, true);
    }

    // The ACK field (RFC 9293, 3.10.7.4, fifth). Returns false when the segment is to be dropped.
    private bool ProcessAck(in TcpHeader header, int payloadLength, long now)
    {
        uint ack = header.AcknowledgmentNumber;
        if (TcpSequence.GreaterThan(ack, sndMax))
        {
            // It acknowledges something not yet sent.
            SendAck(now);
            return false;
        }
        // NOTE: RFC 5961, 5.2: an ACK older than SND.UNA - MAX.SND.WND is dropped with an ACK.
        if (TcpSequence.LessThan(ack, sndUna - (uint)Math.Min(maxSndWnd, int.MaxValue)))
        {
            SendChallengeAck(now);
            return false;
        }
        long window = (long)header.Window << sndShift;
        long flight = (long)(int)(sndMax - sndUna);
        bool sackedNew = false;
        if (sackPermitted && header.Sack.Count > 0)
        {
            long covered = scoreboard.Covered;
            scoreboard.Add(header.Sack, TcpSequence.Max(sndUna, ack), sndMax);
            sackedNew = scoreboard.Covered > covered;
        }
        if (TcpSequence.GreaterThan(ack, sndUna))
        {
            int acked = (int)(ack - sndUna);
            int dataAcked = acked;
            if (finQueued && ack == sndUna + (uint)sendBuffer.Count + 1)
            {
                // The FIN takes the sequence number after the last byte (RFC 9293, 3.4).
                dataAcked--;
                finAckedFlag = true;
            }
            sendBuffer.Consume(dataAcked);
            if (timestamps && header.HasTimestamps && header.TimestampEcho != 0)
            {
                // NOTE: RTT from the echoed timestamp (RFC 7323, 4.1), immune to Karn's ambiguity.
                timer.Sample(Math.Max(0, (long)(uint)(TimestampNow(now) - header.TimestampEcho)) * 1_000_000);
                timing = false;
            }
            else if (timing && TcpSequence.GreaterThan(ack, timedSequence))
            {
                timer.Sample(now - timedAt);
                timing = false;
            }
            timer.ResetBackoff();
            retransmissions = 0;
            sndUna = ack;
            softError = 0;
            ConfirmPeer(now);
            retransmitMarked = false;
            scoreboard.Acknowledged(ack);
            if (TcpSequence.LessThan(sndNxt, sndUna))
            {
                sndNxt = sndUna;
            }
            bool partial = congestion.OnNewAck(acked, ack, (long)(int)(sndMax - sndUna));
            // NOTE: restart the timer on new data acknowledged, stop it when all is (RFC 6298, 5.2,
            // 5.3); new data acknowledged ends a probe's episode (RFC 8985, 7.4).
            probeSent = false;
            ArmRetransmitTimer(now);
            if (partial && !(sackPermitted && scoreboard.Count > 0 && TcpSequence.GreaterThan(highRetransmitted, sndUna)))
            {
                Retransmit(now);
            }
            else if (congestion.InRecovery)
            {
                RetransmitNextHole(now);
            }
            if (dataAcked > 0)
            {
                Notify(PollEvents.POLLOUT | PollEvents.POLLWRNORM);
            }
        }
        // NOTE: a duplicate ACK: RFC 5681, 2 asks for an unchanged window; with SACK, an ACK that
        // SACKs bytes not SACKed before is one whatever its window (RFC 6675, 2), as Linux's
        // receiver opens its window while it queues out-of-order segments.
        else if (ack == sndUna && payloadLength == 0 && !header.HasFlag(TcpFlags.Fin) && (window == sndWnd || sackedNew) && flight > 0)
        {
            // NOTE: after a tail loss probe, a SACK above SND.UNA says the probe (sent at least
            // two round trips after the first unacknowledged segment) arrived while that segment
            // did not: lost (RFC 8985, 6.2 and 7.4), repaired now rather than at the RTO.
            bool lostBeforeProbe = probeSent && sackPermitted && scoreboard.Count > 0;
            if (congestion.OnDuplicateAck(ack, sndMax, flight, lostBeforeProbe))
            {
                highRetransmitted = sndUna;
                Retransmit(now);
            }
            else if (congestion.InRecovery && RetransmissionLost())
            {
                // NOTE: RFC 8985, 6.2 (RACK) finds a lost retransmission by what was sent after it
                // arriving first; with a reordering allowance of DupThresh segments, as RFC 6675's
                // IsLost counts them. Otherwise only the RTO would repair it, and backed off.
                stack.LostRetransmissions++;
                Retransmit(now);
            }
            else if (congestion.InRecovery)
            {
                // NOTE: each duplicate ACK says a segment left the network: with SACK, the next
                // hole goes in its place (RFC 6675, 5, step (C)).
                RetransmitNextHole(now);
            }
        }
        // The window update (RFC 9293, 3.10.7.4: SND.WL1 < SEG.SEQ, or equal with SND.WL2 =< SEG.ACK).
        uint seq = header.SequenceNumber;
        if (TcpSequence.LessThan(sndWl1, seq) || (sndWl1 == seq && TcpSequence.LessOrEqual(sndWl2, ack)))
        {
            sndWnd = window;
            sndWl1 = seq;
            sndWl2 = ack;
            maxSndWnd = Math.Max(maxSndWnd, sndWnd);
            if (sndWnd > 0)
            {
                persistDeadline = long.MaxValue;
                persistBackoffs = 0;
            }
        }
        bool finAcked = finAckedFlag;
        switch (State)
        {
            case TcpState.FinWait1:
                if (finAcked)
                {
                    State = TcpState.FinWait2;
                    if (userClosed)
                    {
                        ArmFinWait2Timeout(now);
                    }
                }
                break;
            case TcpState.Closing:
                if (finAcked)
                {
                    EnterTimeWait(now);
                }
                break;
            case TcpState.LastAck:
                if (finAcked)
                {
                    Terminate(0);
                    return false;
                }
                break;
        }
        return true;
    }

    // Data and FIN into the receive buffer (RFC 9293, 3.10.7.4, seventh and eighth).
    private void ReceiveText(in TcpHeader header, ReadOnlySpan<byte> payload, long now)
    {
        uint seq = header.SequenceNumber;
        int offset = (int)(seq - rcvNxt);
        bool hadRanges = receiveBuffer.RangeCount > 0;
        if (!payload.IsEmpty && !readShut)
        {
            int grown = receiveBuffer.Write(offset, payload);
            if (grown > 0)
            {
                rcvNxt += (uint)grown;
                Notify(PollEvents.POLLIN | PollEvents.POLLRDNORM);
            }
            if (offset > 0 || hadRanges)
            {
                // NOTE: an out-of-order segment, or one that fills a hole, is acknowledged at once
                // (RFC 5681, 4.2).
                ackNow = true;
            }
            else if (payload.Length >= sendMss)
            {
                // NOTE: at least every second full-sized segment is acknowledged (RFC 9293,
                // 3.8.6.3; RFC 1122, 4.2.3.2). A segment the host's stack did not cut (a device
                // with offloads hands them up whole) counts as the segments it holds, so one of
                // two or more is acknowledged at once, as Linux acknowledges a merged one.
                unackedFullSegments += Math.Max(payload.Length / sendMss, 1);
                if (unackedFullSegments >= 2)
                {
                    ackNow = true;
                }
            }
            if (!ackNow && delayedAckDeadline == long.MaxValue)
            {
                delayedAckDeadline = now + stack.DelayedAckTimeout;
                stack.DeadlineChanged(delayedAckDeadline);
            }
        }
        else if (readShut && !payload.IsEmpty)
        {
            // Data after SHUT_RD is taken and dropped, as Linux does, so the peer is not stalled.
            int skip = offset < 0 ? -offset : 0;
            if (offset <= 0 && skip < payload.Length)
            {
                rcvNxt += (uint)(payload.Length - skip);
            }
            ackNow = true;
        }
        if (header.HasFlag(TcpFlags.Fin))
        {
            // The FIN counts only when every byte before it could be taken.
            uint finSequence = seq + (uint)payload.Length;
            if (TcpSequence.LessOrEqual(finSequence, rcvNxt) || receiveBuffer.Free >= (int)(finSequence - rcvNxt))
            {
                peerFinPending = true;
                peerFinSequence = finSequence;
            }
            ackNow = true;
        }
        if (peerFinPending && rcvNxt == peerFinSequence && !finReceived)
        {
            rcvNxt++;
            finReceived = true;
            ackNow = true;
            switch (State)
            {
                case TcpState.Established:
                    State = TcpState.CloseWait;
                    break;
                case TcpState.FinWait1:
                    if (finAckedFlag)
                    {
                        EnterTimeWait(now);
                    }
                    else
                    {
                        State = TcpState.Closing;
                    }
                    break;
                case TcpState.FinWait2:
                    EnterTimeWait(now);
                    break;
            }
            Notify(PollEvents.POLLIN | PollEvents.POLLRDNORM | PollEvents.POLLRDHUP);
        }
    }

    // The stack's clock reached one of this socket's deadlines.
    internal void OnTimers(long now)
    {
        if (stateDeadline <= now)
        {
            stateDeadline = long.MaxValue;
            // TIME-WAIT's 2 MSL, or an orphan's FIN-WAIT-2 limit: the connection is gone.
            Terminate(0);
            return;
        }
        if (delayedAckDeadline <= now)
        {
            delayedAckDeadline = long.MaxValue;
            ackNow = true;
        }
        if (retransmitDeadline <= now)
        {
            retransmitDeadline = long.MaxValue;
            if (probeArmed)
            {
                probeArmed = false;
                SendTailLossProbe(now);
            }
            else
            {
                OnRetransmitTimeout(now);
                if (State == TcpState.Closed)
                {
                    return;
                }
            }
        }
        if (persistDeadline <= now)
        {
            persistDeadline = long.MaxValue;
            SendWindowProbe(now);
        }
        if (keepaliveDeadline <= now)
        {
            keepaliveDeadline = long.MaxValue;
            OnKeepalive(now);
            if (State == TcpState.Closed)
            {
                return;
            }
        }
        Output(now);
    }

    // Arms the keepalive timer a whole idle time from now (Linux's tcp_set_keepalive does the
    // same); when it expires, the idle time counts from when the peer was last heard from.
    private void ArmKeepalive(long now)
    {
        if (!keepAlive || keepaliveDeadline != long.MaxValue || State == TcpState.Closed || State == TcpState.Listen)
        {
            return;
        }
        keepaliveDeadline = now + KeepAliveIdle;
        stack.DeadlineChanged(keepaliveDeadline);
    }

    // The keepalive timer expired (RFC 1122, 4.2.3.6; Linux's tcp_keepalive_timer): on a
    // synchronized connection with nothing in flight, idle since the peer was last heard from, a
    // probe goes out: an ACK with SEG.SEQ = SND.NXT - 1 and no data, which the peer must answer
    // with an ACK. The peer answering puts the count back to zero (Process); KeepAliveCount
    // probes with no answer end the connection with ETIMEDOUT.
    private void OnKeepalive(long now)
    {
        if (!keepAlive || !(State == TcpState.Established || State == TcpState.CloseWait || State == TcpState.FinWait2))
        {
            // Not probed in the handshake or while closing; the next segment heard arms it again.
            return;
        }
        if (sndNxt != sndUna || sendBuffer.Count > 0)
        {
            // Data in flight or waiting: retransmissions and window probes watch the peer.
            keepaliveDeadline = now + KeepAliveIdle;
            stack.DeadlineChanged(keepaliveDeadline);
            return;
        }
        long idle = now - lastHeard;
        if (keepaliveProbes == 0 && idle < KeepAliveIdle)
        {
            keepaliveDeadline = lastHeard + KeepAliveIdle;
            stack.DeadlineChanged(keepaliveDeadline);
            return;
        }
        if (keepaliveProbes >= KeepAliveCount)
        {
            SendReset(now);
            Terminate(TimeoutError());
            return;
        }
        TcpHeader header = MakeHeader(sndNxt - 1, TcpFlags.Ack, now);
        stack.Transmit(this, header, null, 0, 0, 0);
        keepaliveProbes++;
        KeepaliveProbesSent++;
        stack.KeepaliveProbes++;
        keepaliveDeadline = now + KeepAliveInterval;
        stack.DeadlineChanged(keepaliveDeadline);
    }

    private void OnRetransmitTimeout(long now)
    {
        retransmissions++;
        timing = false;
        timer.Backoff();
        switch (State)
        {
            case TcpState.SynSent:
            case TcpState.SynReceived:
                // NOTE: Linux's tcp_syn_retries (6) and tcp_synack_retries (5).
                if (retransmissions > (State == TcpState.SynSent ? stack.SynRetries : stack.SynRetries - 1))
                {
                    Terminate(TimeoutError());
                    return;
                }
                SendSyn(now, State == TcpState.SynReceived);
                return;
        }
        if (sndUna == sndMax)
        {
            return;
        }
        // NOTE: Linux's tcp_retries2 (15) bounds the retransmissions of data before giving up
        // (RFC 9293, 3.8.3: R2 at least 100 seconds).
        if (retransmissions > stack.MaximumRetransmissions)
        {
            Terminate(TimeoutError());
            return;
        }
        congestion.OnTimeout((long)(int)(sndMax - sndUna), sndMax);
        // NOTE: after a timeout the receiver may have reneged on what it SACKed (RFC 2018, 8):
        // everything from SND.UNA is sent again.
        scoreboard.Clear();
        // Go over the unacknowledged data again from SND.UNA (RFC 6298, 5.4 retransmits the
        // earliest segment; the rest follow as the window opens).
        sndNxt = sndUna;
        stack.RetransmitTimeouts++;
        Output(now);
        if (retransmitDeadline == long.MaxValue)
        {
            retransmitDeadline = now + timer.Current;
            stack.DeadlineChanged(retransmitDeadline);
        }
    }

    // Sends new data (and the FIN) as the windows, Nagle and sender-side silly window avoidance
    // allow, then a pure ACK if one is still owed.
    private void Output(long now)
    {
        if (State == TcpState.Established || State == TcpState.CloseWait || State == TcpState.FinWait1 ||
            State == TcpState.Closing || State == TcpState.LastAck)
        {
            SendData(now);
        }
        if (ackNow && State != TcpState.Closed && State != TcpState.SynSent && State != TcpState.Listen)
        {
            SendAck(now);
        }
    }

    private void SendData(long now)
    {
        int room = SegmentRoom();
        while (true)
        {
            int inFlight = (int)(sndNxt - sndUna);
            int offset = inFlight;
            int unsent = sendBuffer.Count - offset;
            bool finToSend = finQueued && unsent >= 0 && sndNxt == sndUna + (uint)sendBuffer.Count;
            if (unsent < 0)
            {
                unsent = 0;
            }
            if (unsent == 0 && !finToSend)
            {
                return;
            }
            long window = Math.Min(sndWnd, congestion.Window + congestion.LimitedTransmit);
            long usable = window - inFlight;
            int length = (int)Math.Min(Math.Min(unsent, room), Math.Max(usable, 0));
            int segments = length == room ? OffloadSegments(room, unsent, usable) : 1;
            if (segments > 1)
            {
                // Full segments that the window and the data allow, as one for the device to
                // cut: each of them would have gone now anyway, one by one.
                length = segments * room;
            }
            bool fin = finQueued && length == unsent;
            if (length == 0 && !(fin && unsent == 0 && usable >= 0))
            {
                ArmPersistIfIdle(now);
                return;
            }
            if (length < room && length < unsent)
            {
                // NOTE: sender-side silly window avoidance (RFC 9293, 3.8.6.2.1): a partial
                // segment only when it is at least half the largest window the peer offered.
                if (length < maxSndWnd / 2)
                {
                    ArmPersistIfIdle(now);
                    return;
                }
            }
            else if (length < room && length == unsent && inFlight > 0 && !NoDelay && !fin)
            {
                // NOTE: Nagle (RFC 9293, 3.7.4): a small segment waits while data is unacknowledged.
                return;
            }
            byte flags = TcpFlags.Ack;
            if (length > 0 && length == unsent)
            {
                flags |= TcpFlags.Psh;
            }
            if (fin)
            {
                flags |= TcpFlags.Fin;
            }
            Transmit(sndNxt, offset, length, flags, now, segments > 1 ? room : 0);
            uint sent = (uint)length + (fin ? 1u : 0u);
            if (!timing && TcpSequence.GreaterOrEqual(sndNxt, sndMax))
            {
                timing = true;
                timedSequence = sndNxt;
                timedAt = now;
            }
            sndNxt += sent;
            if (TcpSequence.GreaterThan(sndNxt, sndMax))
            {
                sndMax = sndNxt;
            }
            if (retransmitDeadline == long.MaxValue || probeArmed)
            {
                // NOTE: a probe's timeout counts from the last segment sent (RFC 8985, 7.2).
                ArmRetransmitTimer(now);
            }
            if (fin)
            {
                return;
            }
        }
    }

    // How many full segments of room data bytes go as one to a device that cuts them itself: as
    // many as the unsent data, the usable window and the device's limit hold; 1 without
    // segmentation offload. Only whole segments: a shorter last one is left to the rules for
    // partial segments (Nagle, silly window avoidance), as it would be sent one by one.
    internal static int SegmentsToOffload(int room, int offloadData, int unsent, long usable)
    {
        if (offloadData < 2 * room || room <= 0)
        {
            return 1;
        }
        long bytes = Math.Min(Math.Min(unsent, usable), offloadData);
        return (int)Math.Max(bytes / room, 1);
    }

    private int OffloadSegments(int room, int unsent, long usable) => SegmentsToOffload(room, offloadData, unsent, usable);

    // The data one segment may carry now: the send MSS less the SACK blocks its header will bear
    // (the MSS already allows for timestamps). NOTE: as Linux's tcp_current_mss, which takes the
    // options of the moment off the cached MSS: a segment with SACK blocks and a full MSS of data
    // would not fit the path's MTU, and would leave in IPv4 fragments.
    private int SegmentRoom()
    {
        if (!sackPermitted || receiveBuffer.RangeCount == 0)
        {
            return sendMss;
        }
        int blocks = Math.Min(receiveBuffer.RangeCount, timestamps ? TcpSackBlocks.MaximumCount - 1 : TcpSackBlocks.MaximumCount);
        // NOTE: NOP NOP kind length, then 8 bytes a block (RFC 2018, 3).
        return Math.Max(sendMss - 4 - 8 * blocks, 1);
    }

    // Nothing in flight, bytes to send, and the window does not let them go: the persist timer
    // probes the window so a lost window update cannot stall the connection (RFC 9293, 3.8.6.1).
    private void ArmPersistIfIdle(long now)
    {
        if (sndNxt != sndUna || persistDeadline != long.MaxValue)
        {
            return;
        }
        long delay = timer.Current;
        for (int index = 0; index < persistBackoffs && delay < TcpRetransmitTimer.MaximumTimeout; index++)
        {
            delay *= 2;
        }
        persistDeadline = now + Math.Min(delay, TcpRetransmitTimer.MaximumTimeout);
        stack.DeadlineChanged(persistDeadline);
    }

    // The persist timer expired with nothing in flight. A window too small for silly window
    // avoidance to use is used now (the override timeout of RFC 1122, 4.2.3.4); a zero window
    // gets a probe of one byte past it (RFC 9293, 3.8.6.1, MUST-36), sent again with backoff for
    // as long as the peer answers (RFC 1122, 4.2.2.17).
    private void SendWindowProbe(long now)
    {
        if (sndNxt != sndUna || sendBuffer.Count == 0 || !TcpState.IsSynchronized(State))
        {
            return;
        }
        int usable = (int)Math.Min(Math.Min(sendBuffer.Count, SegmentRoom()), Math.Min(sndWnd, congestion.Window));
        if (usable > 0)
        {
            Transmit(sndNxt, 0, usable, (byte)(TcpFlags.Ack | TcpFlags.Psh), now);
            sndNxt += (uint)usable;
            sndMax = TcpSequence.Max(sndMax, sndNxt);
            persistBackoffs = 0;
            if (retransmitDeadline == long.MaxValue)
            {
                retransmitDeadline = now + timer.Current;
                stack.DeadlineChanged(retransmitDeadline);
            }
            return;
        }
        Transmit(sndUna, 0, 1, TcpFlags.Ack, now);
        sndMax = TcpSequence.Max(sndMax, sndUna + 1);
        stack.WindowProbes++;
        persistBackoffs++;
        ArmPersistIfIdle(now);
    }

    // SACK-based recovery (RFC 6675, 4, NextSeg rule 1, simplified): the first hole past the
    // last one retransmitted, below the highest byte the receiver reported holding. Without SACK
    // information this does nothing and NewReno's partial ACKs drive the repair.
    private void RetransmitNextHole(long now)
    {
        if (!sackPermitted || scoreboard.Count == 0)
        {
            return;
        }
        uint from = TcpSequence.Max(highRetransmitted, sndUna);
        if (!scoreboard.TryNextHole(from, SegmentRoom(), out uint start, out int length))
        {
            return;
        }
        int offset = (int)(start - sndUna);
        length = Math.Min(length, sendBuffer.Count - offset);
        if (length <= 0)
        {
            return;
        }
        timing = false;
        Transmit(start, offset, length, TcpFlags.Ack, now);
        highRetransmitted = start + (uint)length;
        stack.FastRetransmitsSent++;
        stack.SackRetransmits++;
    }

    // Fast retransmit, or a partial ACK in NewReno recovery: the first unacknowledged segment.
    // Only what was sent goes again: the send buffer may hold bytes past SND.MAX that the window
    // has not let out yet, and a segment that carried them would give the peer data this side
    // does not count as sent (its later segments would then sit below the peer's RCV.NXT).
    private void Retransmit(long now)
    {
        int outstanding = Outstanding(out bool finSent);
        int length = Math.Min(outstanding, SegmentRoom());
        bool fin = finSent && length == sendBuffer.Count;
        if (length == 0 && !fin)
        {
            return;
        }
        timing = false;
        Transmit(sndUna, 0, length, (byte)(TcpFlags.Ack | (fin ? TcpFlags.Fin : 0)), now);
        highRetransmitted = TcpSequence.Max(highRetransmitted, sndUna + (uint)length);
        retransmitMark = sndMax;
        retransmitMarked = true;
        stack.FastRetransmitsSent++;
    }

    // SND.UNA's segment was sent again in this recovery, and the peer has since SACKed at least
    // DupThresh segments of data first sent after that retransmission: it was lost as well.
    private bool RetransmissionLost()
    {
        return retransmitMarked && sackPermitted && scoreboard.Count > 0 &&
            TcpSequence.GreaterOrEqual(scoreboard.HighestSacked, retransmitMark + (uint)(TcpCongestion.DuplicateThreshold * sendMss));
    }

    // The data bytes sent and not acknowledged (SND.UNA to SND.MAX, less a FIN sent after them).
    private int Outstanding(out bool finSent)
    {
        finSent = finQueued && FinWasSent();
        return Math.Max(Math.Min(sendBuffer.Count, (int)(sndMax - sndUna) - (finSent ? 1 : 0)), 0);
    }

    private bool FinWasSent() => TcpSequence.GreaterThan(sndMax, sndUna + (uint)sendBuffer.Count);

    private void QueueFin(long now)
    {
        if (finQueued)
        {
            return;
        }
        switch (State)
        {
            case TcpState.SynReceived:
            case TcpState.Established:
                finQueued = true;
                State = TcpState.FinWait1;
                break;
            case TcpState.CloseWait:
                finQueued = true;
                State = TcpState.LastAck;
                break;
            default:
                return;
        }
        Output(now);
    }

    private void SendSyn(long now, bool withAck)
    {
        TcpHeader header = new TcpHeader
        {
            SourcePort = LocalPort,
            DestinationPort = RemotePort,
            SequenceNumber = iss,
            AcknowledgmentNumber = withAck || State == TcpState.SynReceived ? rcvNxt : 0,
            Flags = (byte)(TcpFlags.Syn | (withAck || State == TcpState.SynReceived ? TcpFlags.Ack : 0)),
            // NOTE: the window of a SYN is never scaled (RFC 7323, 2.2).
            Window = (ushort)Math.Min(receiveBuffer.Capacity, 65535),
            MaximumSegmentSize = stack.AdvertisedMss(RemoteAddress6),
        };
        bool active = State == TcpState.SynSent;
        // An active open offers every option; a passive one answers only what the SYN offered.
        if ((active && stack.UseWindowScaling) || windowScaling)
        {
            header.HasWindowScale = true;
            header.WindowScale = (byte)rcvShift;
        }
        if ((active && stack.UseTimestamps) || timestamps)
        {
            header.HasTimestamps = true;
            header.TimestampValue = TimestampNow(now);
            header.TimestampEcho = active ? 0 : tsRecent;
        }
        if ((active && stack.UseSack) || sackPermitted)
        {
            header.SackPermitted = true;
        }
        rcvEdge = rcvNxt + header.Window;
        if (!timing && retransmissions == 0)
        {
            timing = true;
            timedSequence = iss;
            timedAt = now;
        }
        sndNxt = iss + 1;
        sndMax = iss + 1;
        stack.Transmit(this, header, null, 0, 0, 0);
        if (retransmitDeadline == long.MaxValue)
        {
            retransmitDeadline = now + timer.Current;
            stack.DeadlineChanged(retransmitDeadline);
        }
    }

    // Arms the retransmission timer for what is in flight: a tail loss probe's timeout while one
    // may go, the RTO otherwise, nothing when all is acknowledged.
    private void ArmRetransmitTimer(long now)
    {
        probeArmed = false;
        if (sndUna == sndMax)
        {
            retransmitDeadline = long.MaxValue;
        }
        else if (MayProbe())
        {
            retransmitDeadline = now + ProbeTimeout();
            probeArmed = true;
        }
        else
        {
            retransmitDeadline = now + timer.Current;
        }
        stack.DeadlineChanged(retransmitDeadline);
    }

    // RFC 8985, 7.2: a probe is scheduled on a connection with a round-trip sample and SACK, in
    // the open state (no recovery, no timeout backoff), with no probe already out.
    private bool MayProbe()
    {
        return sackPermitted && timer.HasSample && !congestion.InRecovery && timer.Backoffs == 0 && !probeSent &&
            (State == TcpState.Established || State == TcpState.CloseWait || State == TcpState.FinWait1 || State == TcpState.LastAck);
    }

    // NOTE: RFC 8985, 7.2: PTO = 2 SRTT, plus the worst-case delayed ACK (200 ms) when only one
    // segment is in flight, and never past the RTO. Like Linux's tcp_schedule_loss_probe, 2 ms
    // more otherwise, so a peer's ACK on a path of microseconds is not raced.
    private long ProbeTimeout()
    {
        long flight = (long)(int)(sndMax - sndUna);
        long timeout = 2 * timer.SmoothedRoundTrip + (flight <= sendMss ? 200_000_000 : 2_000_000);
        return Math.Min(timeout, timer.Current);
    }

    // The probe timer expired (RFC 8985, 7.3): the last segment in flight goes again, so that the
    // peer answers with an ACK whose SACK (or D-SACK) says what arrived: a lost tail, or the lost
    // ACK of a tail that did arrive, is then repaired without waiting for the RTO, which is armed
    // again from now.
    private void SendTailLossProbe(long now)
    {
        int outstanding = Outstanding(out bool finSent);
        int length = Math.Min(outstanding, SegmentRoom());
        int offset = outstanding - length;
        if (length > 0 || finSent)
        {
            timing = false;
            Transmit(sndUna + (uint)offset, offset, length, (byte)(TcpFlags.Ack | (finSent ? TcpFlags.Fin : 0)), now);
            stack.TailLossProbes++;
        }
        probeSent = true;
        retransmitDeadline = now + timer.Current;
        stack.DeadlineChanged(retransmitDeadline);
    }

    // A data, FIN or probe segment: length bytes from offset bytes past SND.UNA, at sequence seq.
    private void Transmit(uint seq, int offset, int length, byte flags, long now)
    {
        Transmit(seq, offset, length, flags, now, 0);
    }

    // segmentSize: length is several segments of that many data bytes, sent as one for the
    // device to cut (SegmentOffloadTo); 0: one segment.
    private void Transmit(uint seq, int offset, int length, byte flags, long now, int segmentSize)
    {
        TcpHeader header = MakeHeader(seq, flags, now);
        stack.Transmit(this, header, sendBuffer, offset, length, segmentSize);
    }

    private TcpHeader MakeHeader(uint seq, byte flags, long now)
    {
        TcpHeader header = new TcpHeader
        {
            SourcePort = LocalPort,
            DestinationPort = RemotePort,
            SequenceNumber = seq,
            AcknowledgmentNumber = rcvNxt,
            Flags = flags,
            Window = (ushort)(ReceiveWindow(true) >> rcvShift),
        };
        lastAckSent = rcvNxt;
        if (timestamps)
        {
            header.HasTimestamps = true;
            header.TimestampValue = TimestampNow(now);
            header.TimestampEcho = tsRecent;
        }
        if (sackPermitted && receiveBuffer.RangeCount > 0)
        {
            // NOTE: SACK blocks for the out-of-order runs held, the run that took data last first,
            // then the others from the newest (RFC 2018, 4: the first block MUST hold the segment
            // that triggered the ACK, and the rest repeat the most recently reported blocks): the
            // options carry three or four of them, and a sender that never hears of its newest
            // delivered segment cannot tell the holes below it from data still in flight.
            TcpSackBlocks blocks = default;
            for (int rank = 0; rank < receiveBuffer.RangeCount && rank < TcpSackBlocks.MaximumCount; rank++)
            {
                int index = receiveBuffer.RecentRange(rank);
                blocks.TryAdd(rcvNxt + (uint)receiveBuffer.RangeStart(index), rcvNxt + (uint)receiveBuffer.RangeEnd(index));
            }
            header.Sack = blocks;
        }
        // Every segment with an ACK carries the latest acknowledgment: nothing more is owed.
        ackNow = false;
        unackedFullSegments = 0;
        delayedAckDeadline = long.MaxValue;
        return header;
    }

    private void SendAck(long now)
    {
        if (State == TcpState.SynReceived)
        {
            SendSyn(now, true);
            ackNow = false;
            return;
        }
        TcpHeader header = MakeHeader(AcknowledgmentSequence(), TcpFlags.Ack, now);
        stack.Transmit(this, header, null, 0, 0, 0);
    }

    // The sequence number of a segment that carries no data: the highest one sent, SND.MAX,
    // not SND.NXT, which a timeout moves back to SND.UNA. A peer that has every byte up to
    // SND.MAX takes a segment below its RCV.NXT for an old duplicate and drops it unread, ACK
    // field and all (RFC 9293, 3.10.7.4): if both ends timed out and went back, each would drop
    // the other's ACKs for ever. NOTE: Linux's tcp_acceptable_seq: SND.NXT (its highest sent),
    // or the right edge of the peer's window when that is lower.
    private uint AcknowledgmentSequence()
    {
        uint windowEdge = sndUna + (uint)Math.Min(sndWnd, int.MaxValue);
        return TcpSequence.LessOrEqual(sndMax, windowEdge) ? sndMax : TcpSequence.Max(windowEdge, sndNxt);
    }

    // RFC 5961, 3.2 and 4.2: <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>, rate-limited by the stack.
    private void SendChallengeAck(long now)
    {
        if (stack.TakeChallengeAck(now))
        {
            stack.ChallengeAcksSent++;
            SendAck(now);
        }
    }

    private void SendReset(long now)
    {
        TcpHeader header = MakeHeader(sndNxt, (byte)(TcpFlags.Rst | TcpFlags.Ack), now);
        header.HasTimestamps = false;
        header.Sack = default;
        header.Window = 0;
        stack.Transmit(this, header, null, 0, 0, 0);
        stack.ResetsSent++;
    }

    private uint TimestampNow(long now) => (uint)(now / 1_000_000) + tsOffset;

    private void EnterTimeWait(long now)
    {
        State = TcpState.TimeWait;
        keepaliveDeadline = long.MaxValue;
        retransmitDeadline = long.MaxValue;
        probeArmed = false;
        persistDeadline = long.MaxValue;
        // NOTE: TIME-WAIT lasts 2 MSL (RFC 9293, 3.10.7.4, and 3.6).
        stateDeadline = now + 2 * stack.MaximumSegmentLifetime;
        stack.DeadlineChanged(stateDeadline);
        Notify(PollEvents.POLLIN | PollEvents.POLLHUP);
    }

    private void ArmFinWait2Timeout(long now)
    {
        // NOTE: an orphaned connection does not wait in FIN-WAIT-2 forever: Linux's
        // tcp_fin_timeout (60 s).
        stateDeadline = now + stack.FinWait2Timeout;
        stack.DeadlineChanged(stateDeadline);
    }

    // The connection is over: error (0 for none) is reported once to the user.
    private void Terminate(int error)
    {
        int previous = State;
        State = TcpState.Closed;
        keepaliveDeadline = long.MaxValue;
        retransmitDeadline = long.MaxValue;
        probeArmed = false;
        persistDeadline = long.MaxValue;
        delayedAckDeadline = long.MaxValue;
        stateDeadline = long.MaxValue;
        if (error != 0)
        {
            pendingError = error;
        }
        TcpSocket? listener = parent;
        if (listener != null)
        {
            parent = null;
            if (previous == TcpState.SynReceived)
            {
                listener.halfOpen--;
            }
        }
        stack.Release(this);
        Notify(PollEvents.POLLIN | PollEvents.POLLOUT | PollEvents.POLLERR | PollEvents.POLLHUP | PollEvents.POLLRDHUP);
    }

    private void CloseListener()
    {
        State = TcpState.Closed;
        if (acceptQueue != null)
        {
            while (acceptQueue.Count > 0)
            {
                acceptQueue.Dequeue().Abort();
            }
        }
        stack.AbortHalfOpen(this);
        stack.Release(this);
        Notify(PollEvents.POLLHUP);
    }

    // ---- A listener's side ----

    // Room for one more half-open connection (RFC 9293, 3.10.7.2; the bounded SYN queue).
    internal bool CanTakeSyn => State == TcpState.Listen && halfOpen < backlog && acceptQueue != null && acceptQueue.Count < backlog;

    internal void SynTaken()
    {
        halfOpen++;
    }

    // Room for one more connection made from a SYN cookie: the SYN queue is not needed, the
    // accept queue is.
    internal bool CanTakeCookie => State == TcpState.Listen && acceptQueue != null && acceptQueue.Count < backlog;

    // The listener answered a SYN with a cookie.
    internal void CookieSent(long now)
    {
        cookiesSent = true;
        lastCookieSent = now;
    }

    // Whether the listener sent a cookie at since or later, so an ACK may bring one back.
    internal bool SentCookiesSince(long since) => cookiesSent && lastCookieSent >= since;

    // A child finished its handshake; false when the accept queue is full.
    private bool Established(TcpSocket child)
    {
        halfOpen--;
        child.parent = null;
        if (State != TcpState.Listen || acceptQueue == null || acceptQueue.Count >= backlog)
        {
            return false;
        }
        child.parent = this;
        acceptQueue.Enqueue(child);
        Notify(PollEvents.POLLIN | PollEvents.POLLRDNORM);
        return true;
    }

    internal void Notify(int events)
    {
        Waiters?.WakeAll();
        ReadinessChanged?.Invoke(events);
    }
}
