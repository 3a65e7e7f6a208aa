namespace Unikraft.Kernel;

using System;
using System.Collections.Generic;
using System.Threading.Tasks;

// The TCP of one kernel: the transport the IPv4 layer hands protocol 6 to. It demultiplexes
// segments by their 4-tuple to connections and by port to listeners, answers segments for no
// socket with RST (RFC 9293, 3.10.7.1), hands out ephemeral ports (RFC 6056), initial sequence
// numbers (RFC 6528) and timestamp offsets (RFC 7323, 7.1) from a keyed hash, and drives the
// connections' timers. It keeps no statics, so several kernels run in one process, and does no
// I/O but IIpv4Output.Send; time comes from the clock device, read once per event.
//
// Timers: Poll runs every timer that is due and NextDeadline says when the next one is, so a
// test or a simulation drives the stack step by step; with a scheduler, the stack also arms the
// scheduler's timer for its earliest deadline and polls itself.
internal sealed class TcpStack : IIpv4Transport, IIpv6Transport, IIcmpv6ErrorTransport
{
    // NOTE: the dynamic and private ports (RFC 6335, 6), the range RFC 6056, 3.2 recommends.
    public const int EphemeralFirst = 49152;
    public const int EphemeralLast = 65535;

    private readonly IClockDevice clock;
    private readonly TcpKeyedHash hash;
    private readonly TcpSynCookies? cookies;
    private readonly Dictionary<TcpEndpoints, TcpSocket> connections = new Dictionary<TcpEndpoints, TcpSocket>();
    // The listeners of each port (several when their addresses do not overlap: 127.0.0.1:p and
    // [::1]:p, as a server listening on "localhost" holds), and the sockets holding each port.
    private readonly Dictionary<ushort, List<TcpSocket>> listeners = new Dictionary<ushort, List<TcpSocket>>();
    private readonly Dictionary<ushort, List<TcpSocket>> portUsers = new Dictionary<ushort, List<TcpSocket>>();
    private readonly Dictionary<TcpSocket, ushort> heldPorts = new Dictionary<TcpSocket, ushort>();
    private int listenerCount;
    private readonly List<TcpSocket> active = new List<TcpSocket>();
    private readonly List<TcpSocket> due = new List<TcpSocket>();
    private readonly Action<object?> timerFired;
    private byte[] scratch = new byte[2048];
    private uint ephemeralNext;
    private long armedDeadline = long.MaxValue;
    private long challengeWindowStart;
    private int challengeAcksInWindow;

    public TcpStack(IIpv4Output output, IClockDevice clock, IRandomDevice random, Scheduler? scheduler)
    {
        Output = output;
        this.clock = clock;
        Scheduler = scheduler;
        Span<byte> key = stackalloc byte[16];
        random.Fill(key);
        hash = new TcpKeyedHash(BitConverter.ToUInt64(key), BitConverter.ToUInt64(key.Slice(8)));
        if (KernelFeatures.TcpListen)
        {
            cookies = new TcpSynCookies(hash);
        }
        timerFired = new Action<object?>(TimerFired);
    }

    public byte Protocol => IpProtocol.Tcp;

    public IIpv4Output Output { get; }

    // The IPv6 side of the same output (NetStack is both); a test's IPv4-only output has none.
    public IIpv6Output Output6 => Output as IIpv6Output ?? NoIpv6.Instance;

    public Scheduler? Scheduler { get; }

    public long Now => clock.MonotonicNanoseconds;

    // NOTE: the default buffers: Linux's tcp_wmem and tcp_rmem defaults are 16 KiB and 128 KiB,
    // and Linux grows a receive buffer whose reader keeps up towards tcp_rmem's 6 MiB. The send
    // buffer is 256 KiB (its memory taken only as the user writes past 64 KiB, TcpSendBuffer): a
    // sender on a device that cuts 64 KB segments itself then keeps more than one of them in
    // flight (bench/tcp.sh, issue 11: the download about doubled against 64 KiB). A program that
    // closes a connection and ends at once loses none of it: exit_group waits for TCP to deliver
    // what it holds (DeliverAtExit). The receive buffer offers a window of 256 KiB from the start (a window
    // shift of 3), its memory taken only as data waits in it (TcpReceiveBuffer's ring starts at
    // 64 KiB). With 64 KiB a program that reads in bursts let the window fall under one segment
    // every 64 KiB, so the sender had at most one segment in flight, and the loss of the one ACK
    // that opened the window again cost it a whole retransmission timeout (200 ms or more; a
    // capture of a 20 MB upload through 1 % loss, issue 11, found every stall to be that).
    // 256 KiB and 512 KiB measured alike (bench/tcp.sh); 1 MiB made the upload without loss
    // slower than 64 KiB did, the ring then larger than the caches the copies run through.
    public int DefaultSendBufferSize { get; set; } = 1 << 18;

    public int DefaultReceiveBufferSize { get; set; } = 1 << 18;

    // NOTE: RFC 9293, 3.4.2 defines MSL "arbitrarily" as 2 minutes, a TIME-WAIT of 4; like Linux
    // (TCP_TIMEWAIT_LEN, 60 s) this stack waits 60 s, an MSL of 30 s. TIME-WAIT guards against a
    // late segment of an old connection; timestamps (PAWS) and RFC 6191 reuse cover the rest, and
    // a server closing thousands of connections holds a quarter of the 4-tuples it would.
    public long MaximumSegmentLifetime { get; set; } = 30_000_000_000;

    // NOTE: at most 500 ms (RFC 9293, 3.8.6.3, MUST-40); 200 ms is the classic BSD and Linux value.
    public long DelayedAckTimeout { get; set; } = 200_000_000;

    // NOTE: how long the program's exit waits for its connections to deliver what they hold
    // (DeliverAtExit): until the peer has stopped acknowledging anything for ExitStallTimeout, and
    // ExitDeliveryLimit at most in all. Linux's exit does not wait: its kernel goes on sending for
    // the closed sockets after the process is gone, retrying for minutes (tcp_orphan_retries); here
    // the stack ends with the process, so the exit waits, and a peer that is gone or stops reading
    // holds it up two seconds, never longer than half a minute however slowly data moves.
    public long ExitStallTimeout { get; set; } = 2_000_000_000;

    public long ExitDeliveryLimit { get; set; } = 30_000_000_000;

    // NOTE: Linux's tcp_fin_timeout.
    public long FinWait2Timeout { get; set; } = 60_000_000_000;

    // NOTE: Linux's tcp_syn_retries (6; a SYN-ACK gets one fewer, tcp_synack_retries is 5).
    public int SynRetries { get; set; } = 6;

    // NOTE: Linux's tcp_retries2.
    public int MaximumRetransmissions { get; set; } = 15;

    // NOTE: RFC 5961, 7 asks for a limit on challenge ACKs; Linux's tcp_challenge_ack_limit is
    // 1000 a second.
    public int ChallengeAckLimit { get; set; } = 1000;

    // The options an active open offers and a passive one accepts (RFC 7323, RFC 2018).
    public bool UseWindowScaling { get; set; } = true;

    public bool UseTimestamps { get; set; } = true;

    public bool UseSack { get; set; } = true;

    // SYN cookies (RFC 4987, 3.6) for a listener whose SYN queue is full; off, such a SYN is
    // dropped. On by default, as Linux's tcp_syncookies = 1.
    public bool UseSynCookies { get; set; } = true;

    // Counters, for tests and for a later /proc/net/snmp.
    public long SegmentsReceived { get; set; }

    public long SegmentsSent { get; set; }

    // Of SegmentsSent, those longer than the route carries, handed to the device to cut
    // (IIpv4Output.SendTcpOffloaded).
    public long SegmentOffloadsSent { get; set; }

    public long SegmentsDropped { get; set; }

    // Segments dropped for a bad checksum (Linux's InCsumErrors); SegmentsDropped counts them too.
    public long ChecksumErrors { get; set; }

    public long ResetsSent { get; set; }

    public long ChallengeAcksSent { get; set; }

    public long FastRetransmitsSent { get; set; }

    public long RetransmitTimeouts { get; set; }

    // Times a packet too big lowered a connection's MSS and what it had in flight went again at
    // once at the new size (TcpSocket.PathMtuLowered).
    public long PathMtuRetransmits { get; set; }

    // Tail loss probes sent (RFC 8985, 7).
    public long TailLossProbes { get; set; }

    // Retransmissions found lost by data sent after them arriving first (RFC 8985, 6.2).
    public long LostRetransmissions { get; set; }

    public long SackRetransmits { get; set; }

    public long WindowProbes { get; set; }

    // Keepalive probes sent (SO_KEEPALIVE).
    public long KeepaliveProbes { get; set; }

    // SYNs a listener dropped: its accept queue was full, or its SYN queue with cookies off.
    public long SynsDropped { get; set; }

    // SYN-ACKs sent with a cookie, ACKs whose cookie made a connection, and ACKs to a listener
    // that had sent cookies lately whose cookie was wrong or too old (answered with RST); as
    // Linux's SyncookiesSent, SyncookiesRecv, SyncookiesFailed.
    public long SynCookiesSent { get; set; }

    public long SynCookiesValidated { get; set; }

    public long SynCookiesRefused { get; set; }

    // Connections this stack holds (every state but LISTEN), and its listeners.
    public int ConnectionCount => connections.Count;

    public int ListenerCount => listenerCount;

    // The ports passt forwards from the host's loopback (the stack's, set by the socket layer),
    // or null: FindListener.
    public HostLoopbackForwards? HostLoopback { get; set; }

    public TcpSocket CreateSocket() => new TcpSocket(this);

    // An AF_INET6 socket's: named by IPv6 addresses, dual-stack unless made V6Only.
    public TcpSocket CreateSocket6()
    {
        TcpSocket socket = new TcpSocket(this);
        socket.MakeIpv6();
        return socket;
    }

    // ---- Exit ----

    // exit_group: the host's exit closes every descriptor, so every connection and listener the
    // program still has is closed as close(2) closes it (a FIN after the data, a reset where
    // unread data waits), and the caller waits until every connection has had its data and its
    // FIN acknowledged, or the peer stalls (ExitStallTimeout), or ExitDeliveryLimit passes. Returns
    // how many connections were left with data or a FIN unacknowledged.
    public int DeliverAtExit()
    {
        List<TcpSocket> open = new List<TcpSocket>(connections.Values);
        foreach (List<TcpSocket> portListeners in listeners.Values)
        {
            open.AddRange(portListeners);
        }
        for (int i = 0; i < open.Count; i++)
        {
            open[i].Close();
        }
        if (Scheduler == null)
        {
            return Undelivered(out _, out _);
        }
        ExitDelivery delivery = new ExitDelivery(this, Now);
        if (Scheduler.Host == null)
        {
            // Hosted: the caller runs the kernel's poll loop itself until the delivery is over, as
            // the kernel thread runs an asynchronous Main; the delivery looks again every 10 ms.
            delivery.Look(null);
            Scheduler.RunUntilCompleted(delivery.Over.Task);
        }
        else
        {
            // The simulator: the caller blocks as a thread of control while the world runs on, woken
            // when an ACK frees a connection's send buffer or ends it, or after 10 ms.
            while (!delivery.IsOver(out TcpSocket? first, out long lookAgain))
            {
                Scheduler.Block(first!.Waiters, lookAgain);
            }
        }
        return delivery.Left;
    }

    // One exit's wait for delivery: how much is still unacknowledged, and since when nothing was.
    private sealed class ExitDelivery
    {
        private readonly TcpStack stack;
        private readonly long start;
        private long lastProgress;
        private long outstandingLeast = long.MaxValue;

        public ExitDelivery(TcpStack stack, long now)
        {
            this.stack = stack;
            start = now;
            lastProgress = now;
        }

        // Completed when the delivery is over (hosted).
        public TaskCompletionSource Over { get; } = new TaskCompletionSource();

        // Connections left undelivered when it was over.
        public int Left { get; private set; }

        // True when every connection is delivered, or the stall timeout or the limit passed; else
        // a connection to wait on and when to look again.
        public bool IsOver(out TcpSocket? first, out long lookAgain)
        {
            int undelivered = stack.Undelivered(out long outstanding, out first);
            long now = stack.Now;
            lookAgain = now;
            if (outstanding < outstandingLeast)
            {
                outstandingLeast = outstanding;
                lastProgress = now;
            }
            long deadline = Math.Min(lastProgress + stack.ExitStallTimeout, start + stack.ExitDeliveryLimit);
            Left = undelivered;
            if (undelivered == 0 || now >= deadline)
            {
                return true;
            }
            // NOTE: an ACK of the FIN alone (FIN-WAIT-1 to FIN-WAIT-2) wakes no waiter, so the wait
            // ends every 10 ms to look again.
            lookAgain = Math.Min(deadline, now + 10_000_000);
            return false;
        }

        // A timer's callback on the poll loop (hosted).
        public void Look(object? state)
        {
            if (IsOver(out _, out long lookAgain))
            {
                Over.TrySetResult();
                return;
            }
            stack.Scheduler!.ArmTimer(lookAgain, Look, null);
        }
    }

    // Connections whose data or FIN the peer has not acknowledged yet; outstanding: their bytes
    // (a FIN counts one), which fall as the peer acknowledges.
    private int Undelivered(out long outstanding, out TcpSocket? first)
    {
        int count = 0;
        outstanding = 0;
        first = null;
        foreach (TcpSocket connection in connections.Values)
        {
            int unacknowledged = connection.Unacknowledged;
            if (unacknowledged > 0)
            {
                count++;
                outstanding += unacknowledged;
                first ??= connection;
            }
        }
        return count;
    }

    // ---- Arrivals ----

    // Always true: TCP answers a segment for no socket with its own RST (RFC 9293, 3.10.7.1), so
    // the IPv4 layer never sends ICMP port unreachable for it.
    public bool Receive(Ipv4Address source, Ipv4Address destination, ReadOnlySpan<byte> payload) =>
        Receive(source, destination, payload, false);

    public bool Receive(Ipv4Address source, Ipv4Address destination, ReadOnlySpan<byte> payload, bool checksumTrusted)
    {
        SegmentsReceived++;
        // NOTE: TCP never answers a segment to or from a broadcast or multicast address
        // (RFC 1122, 4.2.3.10).
        if (destination.IsBroadcast || destination.IsMulticast || source.IsBroadcast || source.IsMulticast || source.IsAny)
        {
            SegmentsDropped++;
            return true;
        }
        Arrive(Ipv6Address.MapIpv4(source), Ipv6Address.MapIpv4(destination), payload, checksumTrusted);
        return true;
    }

    // A segment over IPv6 (Ipv6Interface hands TCP here): the same connections, listeners and
    // state machine as IPv4's, its addresses as they are.
    public bool Receive6(Ipv6Address source, Ipv6Address destination, ReadOnlySpan<byte> payload, bool checksumTrusted)
    {
        SegmentsReceived++;
        // NOTE: as over IPv4, nothing to or from a group, nor from :: (RFC 9293, 3.10.7.2 asks a
        // listener to ignore a SYN to a non-unicast address); a mapped address never travels in
        // IPv6 (RFC 4291, 2.5.5.2; Linux's tcp_v6_rcv drops it too).
        if (destination.IsMulticast || source.IsMulticast || source.IsUnspecified || source.IsIpv4Mapped || destination.IsIpv4Mapped)
        {
            SegmentsDropped++;
            return true;
        }
        Arrive(source, destination, payload, checksumTrusted);
        return true;
    }

    // An ICMPv6 error about a segment a connection sent. Packet too big: the interface lowered the
    // path MTU already, and the connection takes the smaller MSS (RFC 8201, 5.2). The others, with
    // Linux's icmpv6_err_convert's errno, end a connection still opening and are soft for an
    // established one (TcpSocket.IcmpError; RFC 5461). The interface reports its own neighbor
    // resolution failing this way too (address unreachable, Ipv6Interface.DropUnreachable).
    public void ReceiveIcmpv6Error(byte type, byte code, uint restOfHeader, Ipv6Address local, Ipv6Address remote, ReadOnlySpan<byte> quotedTransport)
    {
        int error = ErrorOf6(type, code);
        if ((type != Icmpv6Type.PacketTooBig && error == 0) || quotedTransport.Length < 8)
        {
            return;
        }
        ushort localPort = System.Buffers.Binary.BinaryPrimitives.ReadUInt16BigEndian(quotedTransport);
        ushort remotePort = System.Buffers.Binary.BinaryPrimitives.ReadUInt16BigEndian(quotedTransport.Slice(2));
        uint sequence = System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(quotedTransport.Slice(4));
        if (connections.TryGetValue(new TcpEndpoints(local, localPort, remote, remotePort), out TcpSocket? connection))
        {
            if (type == Icmpv6Type.PacketTooBig)
            {
                connection.PathMtuLowered(sequence, Now);
            }
            else
            {
                connection.IcmpError(error, sequence);
            }
        }
    }

    // NOTE: Linux's icmpv6_err_convert: destination unreachable by code (no route ENETUNREACH,
    // administratively prohibited, source policy failed and reject route EACCES, address
    // unreachable EHOSTUNREACH, port unreachable ECONNREFUSED), time exceeded EHOSTUNREACH,
    // parameter problem EPROTO.
    private static int ErrorOf6(byte type, byte code)
    {
        switch (type)
        {
            case Icmpv6Type.DestinationUnreachable:
                switch (code)
                {
                    case Icmpv6Type.CodeNoRoute: return Errno.ENETUNREACH;
                    case Icmpv6Type.CodeAdministrativelyProhibited: return Errno.EACCES;
                    case Icmpv6Type.CodePortUnreachable: return Errno.ECONNREFUSED;
                    case Icmpv6Type.CodeSourcePolicyFailed: return Errno.EACCES;
                    case Icmpv6Type.CodeRejectRoute: return Errno.EACCES;
                    default: return Errno.EHOSTUNREACH;
                }
            case Icmpv6Type.TimeExceeded: return Errno.EHOSTUNREACH;
            case Icmpv6Type.ParameterProblem: return Errno.EPROTO;
            default: return 0;
        }
    }

    // A connection's progress vouches for its peer's next hop (RFC 4861, 7.3.1); IPv6 only (ARP
    // has no unreachability detection to feed).
    internal void ConfirmReachable(Ipv6Address remote)
    {
        if (KernelFeatures.Ipv6 && !remote.IsIpv4Mapped)
        {
            Output6.ConfirmReachable6(remote);
        }
    }

    // The checksum covers the whole segment whatever its header says, so it is checked first:
    // a segment damaged anywhere, its data offset included, counts as a checksum error. A
    // device that vouches for it (FrameOffload.ChecksumTrusted) saves the pass over its bytes.
    private void Arrive(Ipv6Address source, Ipv6Address destination, ReadOnlySpan<byte> payload, bool checksumTrusted)
    {
        if (!checksumTrusted && Checksum.Finish(Checksum.Add(PseudoHeader(source, destination, payload.Length), payload)) != 0)
        {
            SegmentsDropped++;
            ChecksumErrors++;
            return;
        }
        if (!TcpSegment.TryWrap(payload, out TcpSegment segment) || !TcpHeader.TryParseUnchecked(segment, out TcpHeader header))
        {
            SegmentsDropped++;
            return;
        }
        long now = Now;
        TcpEndpoints endpoints = new TcpEndpoints(destination, header.DestinationPort, source, header.SourcePort);
        // A kernel whose program never listens (KernelFeatures.TcpListen off) has no listeners,
        // and no listener's code.
        TcpSocket? listener = null;
        if (KernelFeatures.TcpListen)
        {
            listener = FindListener(source, destination, header.DestinationPort);
        }
        if (connections.TryGetValue(endpoints, out TcpSocket? connection) &&
            !(listener != null && connection.ReopenFromTimeWait(header)))
        {
            connection.Process(header, segment.Payload, now);
            return;
        }
        if (KernelFeatures.TcpListen)
        {
            if (listener != null)
            {
                ProcessListen(listener, endpoints, header, segment.Payload, now);
                return;
            }
        }
        ResetForNoSocket(destination, source, header, segment.Payload.Length);
    }

    // The listener of a port that takes a segment to destination: one bound to that address
    // before one bound to a wildcard (as Linux's compute_score prefers it).
    private static TcpSocket? ListenerFor(List<TcpSocket> bound, Ipv6Address destination)
    {
        TcpSocket? wildcard = null;
        for (int index = 0; index < bound.Count; index++)
        {
            TcpSocket candidate = bound[index];
            if (!ListensOn(candidate, destination))
            {
                continue;
            }
            if (candidate.LocalAddress6 == destination)
            {
                return candidate;
            }
            wildcard ??= candidate;
        }
        return wildcard;
    }

    // Whether a listener takes a segment to destination: one bound to an IPv4 address or 0.0.0.0
    // only IPv4, one bound to an IPv6 address only that, and one bound to :: every IPv6 address and,
    // unless V6Only, every IPv4 one (RFC 3493, 5.3; Linux's default bindv6only 0).
    private static bool ListensOn(TcpSocket listener, Ipv6Address destination)
    {
        Ipv6Address bound = listener.LocalAddress6;
        if (destination.IsIpv4Mapped)
        {
            return bound.IsIpv4Mapped ? bound.MappedIpv4.IsAny || bound == destination : bound.IsUnspecified && !listener.V6Only;
        }
        return !bound.IsIpv4Mapped && (bound.IsUnspecified || bound == destination);
    }

    // The sum of the pseudo-header of a segment between two addresses: IPv4's for mapped ones
    // (RFC 9293, 3.1), else IPv6's (RFC 8200, 8.1).
    private static uint PseudoHeader(Ipv6Address source, Ipv6Address destination, int length)
    {
        return source.IsIpv4Mapped
            ? Checksum.PseudoHeader(source.MappedIpv4, destination.MappedIpv4, IpProtocol.Tcp, length)
            : Checksum.PseudoHeader(source, destination, IpProtocol.Tcp, length);
    }

    // The listener a segment from source to destination:port is for (ListenerFor), or null.
    private TcpSocket? FindListener(Ipv6Address source, Ipv6Address destination, ushort port)
    {
        if (!listeners.TryGetValue(port, out List<TcpSocket>? bound))
        {
            return null;
        }
        TcpSocket? listener = ListenerFor(bound, destination);
        if (KernelFeatures.HostLoopbackForward)
        {
            // A connection passt forwards from the host's own loopback reaches a listener on the
            // kernel's loopback, as it would on the host (HostLoopbackForwards): 127.0.0.1's
            // first, else [::1]'s (Kestrel's "localhost" binds both).
            if (listener == null && source.IsIpv4Mapped && destination.IsIpv4Mapped && HostLoopback != null
                && HostLoopback.FromHostLoopback(source.MappedIpv4, destination.MappedIpv4, port))
            {
                for (int index = 0; index < bound.Count; index++)
                {
                    Ipv6Address local = bound[index].LocalAddress6;
                    if (local.IsIpv4Mapped && local.MappedIpv4.IsLoopback)
                    {
                        listener = bound[index];
                        break;
                    }
                    if (local.IsLoopback && listener == null)
                    {
                        listener = bound[index];
                    }
                }
            }
            if (listener == null && !source.IsIpv4Mapped)
            {
                listener = HostLoopbackListener6(bound, source, destination, port);
            }
        }
        return listener;
    }

    // Over IPv6, a connection passt forwards from the host's ::1 (or one of the host's own
    // addresses) reaches a listener on [::1] (HostLoopbackForwards.FromHostLoopback6); one on
    // 127.0.0.1 is IPv4's and cannot take it.
    private TcpSocket? HostLoopbackListener6(List<TcpSocket> bound, Ipv6Address source, Ipv6Address destination, ushort port)
    {
        if (!KernelFeatures.Ipv6)
        {
            return null;
        }
        if (HostLoopback == null || !HostLoopback.FromHostLoopback6(source, destination, port, Now))
        {
            return null;
        }
        for (int index = 0; index < bound.Count; index++)
        {
            if (bound[index].LocalAddress6.IsLoopback)
            {
                return bound[index];
            }
        }
        return null;
    }

    // RFC 9293, 3.10.7.2: a listener ignores RST, answers an ACK with RST, and makes a half-open
    // connection of a SYN while its SYN queue and accept queue have room. With its SYN queue full
    // it answers with a SYN cookie instead (RFC 4987, 3.6), and an ACK that brings a good cookie
    // back makes the connection; with its accept queue full it drops the SYN, as Linux does, and
    // the peer's retransmission tries again.
    private void ProcessListen(TcpSocket listener, TcpEndpoints endpoints, in TcpHeader header, ReadOnlySpan<byte> payload, long now)
    {
        if (header.HasFlag(TcpFlags.Rst))
        {
            return;
        }
        if (header.HasFlag(TcpFlags.Ack))
        {
            // NOTE: cookies are looked at only while the listener may have sent some (as Linux's
            // tcp_synq_no_recent_overflow), so a blind ACK at a quiet listener meets only RST.
            if (!header.HasFlag(TcpFlags.Syn) && listener.SentCookiesSince(now - CookieLifetime))
            {
                if (AcceptCookie(listener, endpoints, header, payload, now))
                {
                    return;
                }
            }
            SendReset(endpoints.LocalAddress6, endpoints.RemoteAddress6, endpoints.LocalPort, endpoints.RemotePort, header.AcknowledgmentNumber, 0, false);
            return;
        }
        if (!header.HasFlag(TcpFlags.Syn))
        {
            return;
        }
        if (!listener.CanTakeSyn)
        {
            if (UseSynCookies && listener.CanTakeCookie)
            {
                SendCookie(listener, endpoints, header, now);
                return;
            }
            SynsDropped++;
            return;
        }
        TcpSocket child = new TcpSocket(this);
        connections[endpoints] = child;
        active.Add(child);
        listener.SynTaken();
        child.AcceptSyn(listener, endpoints.LocalAddress6, endpoints.RemoteAddress6, header, now);
    }

    // NOTE: a cookie is good for MaximumAge ticks after the one it was made in.
    private const long CookieLifetime = (TcpSynCookies.MaximumAge + 1) * TcpSynCookies.Period;

    // The SYN-ACK a full SYN queue answers with: no state is kept, its sequence number is the
    // cookie, and its options are only those the ACK can bring back (RFC 4987, 3.6).
    private void SendCookie(TcpSocket listener, TcpEndpoints endpoints, in TcpHeader syn, long now)
    {
        int peerMss = syn.MaximumSegmentSize != 0 ? syn.MaximumSegmentSize : TcpSocket.DefaultMss;
        TcpHeader answer = new TcpHeader
        {
            SourcePort = endpoints.LocalPort,
            DestinationPort = endpoints.RemotePort,
            SequenceNumber = cookies!.Make(endpoints, syn.SequenceNumber, peerMss, now),
            AcknowledgmentNumber = syn.SequenceNumber + 1,
            Flags = (byte)(TcpFlags.Syn | TcpFlags.Ack),
            // NOTE: the window of a SYN is never scaled (RFC 7323, 2.2).
            Window = (ushort)Math.Min(listener.ReceiveBufferSize, 65535),
            MaximumSegmentSize = AdvertisedMss(endpoints.RemoteAddress6),
        };
        // Window scaling and SACK come back only in the timestamp's echo: without timestamps
        // they are not offered.
        if (syn.HasTimestamps && UseTimestamps)
        {
            // NOTE: a shift above 14 is taken as 14 (RFC 7323, 2.3), which also keeps 15 free
            // to mean "none" in the timestamp.
            int peerShift = syn.HasWindowScale && UseWindowScaling ? Math.Min((int)syn.WindowScale, 14) : -1;
            bool sack = syn.SackPermitted && UseSack;
            answer.HasTimestamps = true;
            answer.TimestampValue = TcpSynCookies.EncodeTimestamp(TimestampClock(endpoints, now), peerShift, sack);
            answer.TimestampEcho = syn.TimestampValue;
            if (peerShift >= 0)
            {
                answer.HasWindowScale = true;
                answer.WindowScale = (byte)TcpSocket.WindowShiftFor(listener.ReceiveBufferSize);
            }
            answer.SackPermitted = sack;
        }
        listener.CookieSent(now);
        SynCookiesSent++;
        Send(endpoints.LocalAddress6, endpoints.RemoteAddress6, answer, null, 0, 0);
    }

    // An ACK at a listener that sent cookies lately: true when its cookie was good and the
    // connection is made (the ACK, and any data with it, then processed by it), or when it was
    // good but the accept queue is full (the ACK dropped, as Linux drops it; the peer's
    // retransmission tries again). False sends the caller's RST.
    private bool AcceptCookie(TcpSocket listener, TcpEndpoints endpoints, in TcpHeader ack, ReadOnlySpan<byte> payload, long now)
    {
        uint peerSequence = ack.SequenceNumber - 1;
        uint cookie = ack.AcknowledgmentNumber - 1;
        int mss = cookies!.Check(endpoints, peerSequence, cookie, now);
        int peerShift = -1;
        bool sack = false;
        if (mss != 0 && ack.HasTimestamps && UseTimestamps)
        {
            // NOTE: an echo from the future was never sent (Linux's cookie_timestamp_decode).
            if (TcpSequence.GreaterThan(ack.TimestampEcho, TimestampClock(endpoints, now)))
            {
                mss = 0;
            }
            TcpSynCookies.DecodeTimestamp(ack.TimestampEcho, out peerShift, out sack);
        }
        if (mss == 0)
        {
            SynCookiesRefused++;
            return false;
        }
        if (!listener.CanTakeCookie)
        {
            SegmentsDropped++;
            return true;
        }
        SynCookiesValidated++;
        TcpSocket child = new TcpSocket(this);
        connections[endpoints] = child;
        active.Add(child);
        listener.SynTaken();
        child.AcceptCookie(listener, endpoints.LocalAddress6, endpoints.RemoteAddress6, ack, payload, cookie, mss, peerShift, sack, now);
        return true;
    }

    // The MSS a SYN offers: what the route to remote carries less the TCP header, at least
    // RFC 9293's default (over IPv6 the MTU less 60 bytes, 1440 on Ethernet: RFC 8200's 40-byte
    // header and TCP's 20).
    internal ushort AdvertisedMss(Ipv6Address remote)
    {
        return (ushort)Math.Clamp(MaximumPayloadTo(remote) - TcpSegment.HeaderLength, TcpSocket.DefaultMss, 65535);
    }

    // The largest segment (header included) one packet to remote carries: IIpv4Output's for an
    // IPv4 address, the route's MTU less the IPv6 header for an IPv6 one.
    internal int MaximumPayloadTo(Ipv6Address remote)
    {
        if (KernelFeatures.Ipv6)
        {
            if (!remote.IsIpv4Mapped)
            {
                return Output6.MaximumPayloadTo6(remote);
            }
        }
        return Output.MaximumPayloadTo(remote.MappedIpv4);
    }

    // The largest segment the route's device cuts itself (IIpv4Output.SegmentOffloadTo, or its
    // IPv6 twin); 0: none.
    internal int SegmentOffloadTo(Ipv6Address remote)
    {
        if (KernelFeatures.Ipv6)
        {
            if (!remote.IsIpv4Mapped)
            {
                return Output6.SegmentOffloadTo6(remote);
            }
        }
        return Output.SegmentOffloadTo(remote.MappedIpv4);
    }

    internal bool TrySelectSource6(Ipv6Address remote, out Ipv6Address source)
    {
        source = default;
        if (KernelFeatures.Ipv6)
        {
            return Output6.TrySelectSource6(remote, out source);
        }
        return false;
    }

    // One of this host's IPv6 addresses (::1 included); none in a kernel without IPv6.
    private bool IsLocal6(Ipv6Address address)
    {
        if (KernelFeatures.Ipv6)
        {
            return Output6.IsLocal6(address);
        }
        return false;
    }

    // RFC 9293, 3.10.7.1: a segment for no connection gets RST, unless it is one. With an ACK the
    // RST takes its sequence number from it; without, it acknowledges the segment.
    private void ResetForNoSocket(Ipv6Address local, Ipv6Address remote, in TcpHeader header, int payloadLength)
    {
        if (header.HasFlag(TcpFlags.Rst))
        {
            return;
        }
        if (header.HasFlag(TcpFlags.Ack))
        {
            SendReset(local, remote, header.DestinationPort, header.SourcePort, header.AcknowledgmentNumber, 0, false);
            return;
        }
        uint length = (uint)payloadLength + (header.HasFlag(TcpFlags.Syn) ? 1u : 0u) + (header.HasFlag(TcpFlags.Fin) ? 1u : 0u);
        SendReset(local, remote, header.DestinationPort, header.SourcePort, 0, header.SequenceNumber + length, true);
    }

    internal void SendReset(Ipv6Address local, Ipv6Address remote, ushort localPort, ushort remotePort, uint sequence, uint acknowledgment, bool withAck)
    {
        TcpHeader reset = new TcpHeader
        {
            SourcePort = localPort,
            DestinationPort = remotePort,
            SequenceNumber = sequence,
            AcknowledgmentNumber = withAck ? acknowledgment : 0,
            Flags = (byte)(TcpFlags.Rst | (withAck ? TcpFlags.Ack : 0)),
        };
        ResetsSent++;
        Send(local, remote, reset, null, 0, 0);
    }

    // ---- Departures ----

    // One segment of a connection: the header and length bytes of its send buffer from offset.
    // A segment longer than the route carries (the socket makes one only when SegmentOffloadTo
    // allows) goes to the device whole, to be cut into segments of segmentSize data bytes there.
    internal void Transmit(TcpSocket socket, in TcpHeader header, TcpSendBuffer? data, int offset, int length, int segmentSize)
    {
        Send(socket.LocalAddress6, socket.RemoteAddress6, header, data, offset, length, segmentSize);
    }

    // One segment between two addresses of one family: IPv4 for mapped ones, else IPv6.
    private void Send(Ipv6Address local, Ipv6Address remote, in TcpHeader header, TcpSendBuffer? data, int offset, int length,
        int segmentSize = 0)
    {
        // A kernel without IPv6 has only mapped addresses, and no IPv6 code.
        if (KernelFeatures.Ipv6)
        {
            if (!remote.IsIpv4Mapped)
            {
                Send6(local, remote, header, data, offset, length, segmentSize);
                return;
            }
        }
        Send(local.MappedIpv4, remote.MappedIpv4, header, data, offset, length, segmentSize);
    }

    // As the IPv4 Send below, with IPv6's pseudo-header and neighbor discovery (GSO_TCPV6).
    private void Send6(Ipv6Address local, Ipv6Address remote, in TcpHeader header, TcpSendBuffer? data, int offset, int length,
        int segmentSize)
    {
        int total = header.Length + length;
        Span<byte> segment = Scratch(total);
        if (data != null && length > 0)
        {
            data.CopyTo(offset, segment.Slice(header.Length));
        }
        if (segmentSize > 0 && total > Output6.MaximumPayloadTo6(remote))
        {
            header.EmitForChecksumOffload(segment, local, remote);
            if (Output6.SendTcpOffloaded6(local, remote, segment, segmentSize) != -Errno.EHOSTUNREACH)
            {
                SegmentsSent++;
                SegmentOffloadsSent++;
                return;
            }
            SendEach(local, remote, header, data, offset, length, segmentSize);
            return;
        }
        SegmentsSent++;
        header.Emit(segment, local, remote);
        // As over IPv4, a packet the layer below could not take is a loss retransmission covers.
        Output6.Send6(local, remote, IpProtocol.Tcp, segment);
    }

    private Span<byte> Scratch(int total)
    {
        if (scratch.Length < total)
        {
            scratch = new byte[Math.Max(total, scratch.Length * 2)];
        }
        return scratch.AsSpan(0, total);
    }

    private void Send(Ipv4Address local, Ipv4Address remote, in TcpHeader header, TcpSendBuffer? data, int offset, int length,
        int segmentSize)
    {
        int headerLength = header.Length;
        int total = headerLength + length;
        Span<byte> segment = Scratch(total);
        if (data != null && length > 0)
        {
            data.CopyTo(offset, segment.Slice(headerLength));
        }
        if (segmentSize > 0 && total > Output.MaximumPayloadTo(remote))
        {
            // The device completes the checksum of every segment it cuts this into.
            header.EmitForChecksumOffload(segment, local, remote);
            if (Output.SendTcpOffloaded(local, remote, segment, segmentSize) != -Errno.EHOSTUNREACH)
            {
                SegmentsSent++;
                SegmentOffloadsSent++;
                return;
            }
            // The next hop's hardware address is not known (its ARP entry expired, every minute):
            // the segments go one by one, the way that waits behind ARP, as without offload.
            SendEach(Ipv6Address.MapIpv4(local), Ipv6Address.MapIpv4(remote), header, data, offset, length, segmentSize);
            return;
        }
        SegmentsSent++;
        header.Emit(segment, local, remote);
        // A datagram the layer below could not take is a loss like any other: retransmission
        // covers it.
        Output.Send(local, remote, IpProtocol.Tcp, segment);
    }

    // The segments of segmentSize data bytes a device would have cut length bytes into, each
    // with the header's options, its sequence number advanced, PSH and FIN on the last only.
    private void SendEach(Ipv6Address local, Ipv6Address remote, in TcpHeader header, TcpSendBuffer? data, int offset, int length, int segmentSize)
    {
        for (int done = 0; done < length; done += segmentSize)
        {
            int piece = Math.Min(segmentSize, length - done);
            TcpHeader each = header;
            each.SequenceNumber = header.SequenceNumber + (uint)done;
            if (done + piece < length)
            {
                each.Flags = (byte)(header.Flags & ~(TcpFlags.Psh | TcpFlags.Fin));
            }
            Send(local, remote, each, data, offset + done, piece, 0);
        }
    }

    // ---- Numbers ----

    // RFC 6528, 3: ISN = M + F(localip, localport, remoteip, remoteport, secretkey), M a timer
    // that ticks every 4 microseconds.
    internal uint InitialSequence(TcpEndpoints endpoints, long now)
    {
        return (uint)(now / 4000) + (uint)hash.Hash(endpoints, 1);
    }

    internal uint TimestampOffset(TcpEndpoints endpoints)
    {
        return (uint)hash.Hash(endpoints, 2);
    }

    // A connection's timestamp clock (RFC 7323, 5.4: milliseconds, from an offset of its own).
    internal uint TimestampClock(TcpEndpoints endpoints, long now)
    {
        return (uint)(now / 1_000_000) + TimestampOffset(endpoints);
    }

    // RFC 5961, 7: at most ChallengeAckLimit challenge ACKs a second, across the stack.
    internal bool TakeChallengeAck(long now)
    {
        if (now - challengeWindowStart >= 1_000_000_000)
        {
            challengeWindowStart = now;
            challengeAcksInWindow = 0;
        }
        if (challengeAcksInWindow >= ChallengeAckLimit)
        {
            return false;
        }
        challengeAcksInWindow++;
        return true;
    }

    // ---- Ports and tables ----

    // bind(2)'s port: the given one if free, or an ephemeral one for 0. Returns it or -errno.
    // An IPv4 address comes mapped; :: is any address of both families.
    // IPv4 and IPv6 share one port space: sockets on one port must not overlap (Overlap).
    internal int BindPort(TcpSocket socket, Ipv6Address address, ushort port)
    {
        if (address.IsIpv4Mapped
            ? !address.MappedIpv4.IsAny && !Output.TrySelectSource(address.MappedIpv4, out Ipv4Address _)
            : !address.IsUnspecified && !IsLocal6(address))
        {
            return -Errno.EADDRNOTAVAIL;
        }
        if (port == 0)
        {
            int ephemeral = PickEphemeral(address.IsIpv4Mapped
                ? new TcpEndpoints(address.MappedIpv4, 0, default(Ipv4Address), 0)
                : new TcpEndpoints(address, 0, Ipv6Address.Unspecified, 0));
            if (ephemeral < 0)
            {
                return ephemeral;
            }
            port = (ushort)ephemeral;
        }
        else if (portUsers.TryGetValue(port, out List<TcpSocket>? users))
        {
            // NOTE: without SO_REUSEADDR a port in use, TIME-WAIT included, cannot be bound again
            // on an address that overlaps (bind(2), EADDRINUSE); other addresses can (Linux's
            // inet_bind_conflict).
            for (int index = 0; index < users.Count; index++)
            {
                if (Overlap(address, socket.V6Only, users[index].LocalAddress6, users[index].V6Only))
                {
                    return -Errno.EADDRINUSE;
                }
            }
        }
        HoldPort(socket, port);
        return port;
    }

    // Whether two sockets bound to one port would take the same segments: the same address, or a
    // wildcard and an address it covers (:: covers IPv6 and, unless v6-only, IPv4; 0.0.0.0 IPv4).
    private static bool Overlap(Ipv6Address first, bool firstV6Only, Ipv6Address second, bool secondV6Only)
    {
        if (first == second)
        {
            return true;
        }
        if (first.IsUnspecified)
        {
            return !second.IsIpv4Mapped || !firstV6Only;
        }
        if (second.IsUnspecified)
        {
            return !first.IsIpv4Mapped || !secondV6Only;
        }
        bool firstAny4 = first.IsIpv4Mapped && first.MappedIpv4.IsAny;
        bool secondAny4 = second.IsIpv4Mapped && second.MappedIpv4.IsAny;
        return (firstAny4 && second.IsIpv4Mapped) || (secondAny4 && first.IsIpv4Mapped);
    }

    internal int AddListener(TcpSocket socket)
    {
        if (!listeners.TryGetValue(socket.LocalPort, out List<TcpSocket>? portListeners))
        {
            portListeners = new List<TcpSocket>(1);
            listeners[socket.LocalPort] = portListeners;
        }
        if (portListeners.Contains(socket))
        {
            return -Errno.EADDRINUSE;
        }
        portListeners.Add(socket);
        listenerCount++;
        if (KernelFeatures.HostLoopbackForward)
        {
            // A port passt does not forward gets a line in the log (HostLoopbackForwards.Listening).
            HostLoopback?.Listening(socket.LocalPort);
        }
        return 0;
    }

    // connect(2) registers the connection's 4-tuple; an unbound socket gets an ephemeral port.
    // Returns the local port or -errno.
    internal int Connecting(TcpSocket socket, Ipv6Address source)
    {
        ushort port = socket.LocalPort;
        if (!socket.IsBound)
        {
            int ephemeral = PickEphemeral(new TcpEndpoints(source, 0, socket.RemoteAddress6, socket.RemotePort));
            if (ephemeral < 0)
            {
                return ephemeral;
            }
            port = (ushort)ephemeral;
            HoldPort(socket, port);
        }
        TcpEndpoints endpoints = new TcpEndpoints(source, port, socket.RemoteAddress6, socket.RemotePort);
        if (connections.ContainsKey(endpoints))
        {
            return -Errno.EADDRNOTAVAIL;
        }
        connections[endpoints] = socket;
        active.Add(socket);
        return port;
    }

    // RFC 6056, 3.3.3 (algorithm 3): the search starts at a keyed hash of the endpoints plus a
    // counter, so ports are hard to guess and reuse of one is spread out.
    private int PickEphemeral(TcpEndpoints endpoints)
    {
        const int count = EphemeralLast - EphemeralFirst + 1;
        uint start = (uint)hash.Hash(endpoints, 3);
        for (int step = 0; step < count; step++)
        {
            ushort port = (ushort)(EphemeralFirst + (int)((start + ephemeralNext + (uint)step) % count));
            if (!portUsers.ContainsKey(port))
            {
                ephemeralNext += (uint)step + 1;
                return port;
            }
        }
        return -Errno.EADDRNOTAVAIL;
    }

    private void HoldPort(TcpSocket socket, ushort port)
    {
        if (!portUsers.TryGetValue(port, out List<TcpSocket>? users))
        {
            users = new List<TcpSocket>(1);
            portUsers[port] = users;
        }
        users.Add(socket);
        heldPorts[socket] = port;
    }

    // The socket left every table: its connection is over, or a listener or unconnected socket
    // was closed.
    internal void Release(TcpSocket socket)
    {
        TcpEndpoints endpoints = socket.Endpoints;
        if (connections.TryGetValue(endpoints, out TcpSocket? mapped) && ReferenceEquals(mapped, socket))
        {
            connections.Remove(endpoints);
        }
        if (listeners.TryGetValue(socket.LocalPort, out List<TcpSocket>? portListeners) && portListeners.Remove(socket))
        {
            listenerCount--;
            if (portListeners.Count == 0)
            {
                listeners.Remove(socket.LocalPort);
            }
        }
        active.Remove(socket);
        if (heldPorts.Remove(socket, out ushort port) && portUsers.TryGetValue(port, out List<TcpSocket>? users))
        {
            users.Remove(socket);
            if (users.Count == 0)
            {
                portUsers.Remove(port);
            }
        }
    }

    // A listener closed: its half-open connections are reset.
    internal void AbortHalfOpen(TcpSocket listener)
    {
        due.Clear();
        for (int index = 0; index < active.Count; index++)
        {
            if (ReferenceEquals(active[index].Parent, listener) && active[index].State == TcpState.SynReceived)
            {
                due.Add(active[index]);
            }
        }
        for (int index = 0; index < due.Count; index++)
        {
            due[index].Abort();
        }
        due.Clear();
    }

    // ---- Timers ----

    // The earliest deadline of any connection, long.MaxValue for none.
    public long NextDeadline()
    {
        long next = long.MaxValue;
        for (int index = 0; index < active.Count; index++)
        {
            next = Math.Min(next, active[index].NextDeadline);
        }
        return next;
    }

    // Runs every timer that is due now.
    // NOTE: a scan of every connection; a timer wheel would take over at thousands of them.
    public void Poll()
    {
        long now = Now;
        due.Clear();
        for (int index = 0; index < active.Count; index++)
        {
            if (active[index].NextDeadline <= now)
            {
                due.Add(active[index]);
            }
        }
        for (int index = 0; index < due.Count; index++)
        {
            due[index].OnTimers(now);
        }
        due.Clear();
        if (Scheduler != null)
        {
            DeadlineChanged(NextDeadline());
        }
    }

    // A connection armed a deadline: with a scheduler, its timer fires at the earliest one.
    internal void DeadlineChanged(long deadline)
    {
        Scheduler? scheduler = Scheduler;
        if (scheduler == null || deadline == long.MaxValue || deadline >= armedDeadline)
        {
            return;
        }
        armedDeadline = deadline;
        scheduler.ArmTimer(deadline, timerFired, null);
    }

    private void TimerFired(object? state)
    {
        armedDeadline = long.MaxValue;
        Poll();
    }
}
