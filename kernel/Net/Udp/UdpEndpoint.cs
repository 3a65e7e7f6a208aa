namespace Unikraft.Kernel;

using System;
using System.Buffers.Binary;

// Hears that an endpoint's readiness may have changed (a datagram arrived, it was closed): the
// socket description built on the endpoint passes it on to its own watchers (poll, epoll).
internal interface IUdpEndpointListener
{
    void EndpointChanged(UdpEndpoint endpoint, int events);
}

// One UDP endpoint: a local address and port, optionally a remote one (connect), and the
// datagrams received for it, kept whole and in order in a ring of ReceiveBufferSize bytes.
// A datagram that does not fit is dropped, as a full socket buffer drops it on Linux (udp(7)).
internal sealed class UdpEndpoint
{
    // NOTE: each queued datagram carries 8 bytes of bookkeeping in the ring: the sender's
    // address (4), port (2) and the payload length (2); an IPv6 endpoint's carry 20, the address
    // being 16 (an IPv4 sender's as ::ffff:a.b.c.d).
    private const int RecordHeaderLength = 8;

    private const int RecordHeaderLength6 = 20;

    private readonly UdpLayer layer;
    private readonly byte[] ring;
    private readonly int recordHeaderLength;
    private int head;
    private int used;
    private int pendingError;

    public UdpEndpoint(UdpLayer layer, Scheduler scheduler, int receiveBufferSize) : this(layer, scheduler, receiveBufferSize, false)
    {
    }

    // ipv6: an endpoint of an AF_INET6 socket, named by IPv6 addresses.
    public UdpEndpoint(UdpLayer layer, Scheduler scheduler, int receiveBufferSize, bool ipv6)
    {
        this.layer = layer;
        IsIpv6 = ipv6;
        recordHeaderLength = ipv6 ? RecordHeaderLength6 : RecordHeaderLength;
        ring = new byte[receiveBufferSize];
        Waiters = new WaitQueue(scheduler);
    }

    // For an IPv6 endpoint: the IPv4 side of a dual-stack one (Any when bound to ::, the mapped
    // address when bound to ::ffff:a.b.c.d), what IPv4 datagrams are matched against.
    public Ipv4Address LocalAddress { get; internal set; }

    public bool IsIpv6 { get; }

    // IPV6_V6ONLY: an IPv6 endpoint that takes no IPv4 datagrams and sends none. Off by default,
    // as Linux's net.ipv6.bindv6only = 0; only changed before bind.
    public bool V6Only { get; set; }

    public Ipv6Address LocalAddress6 { get; internal set; }

    public Ipv6Address RemoteAddress6 { get; internal set; }

    // Whether this endpoint takes IPv4 datagrams: an IPv4 one, or an IPv6 one neither v6-only nor
    // bound to an IPv6 address of its own (RFC 3493, 5.3).
    public bool CoversIpv4 => !IsIpv6 || (!V6Only && (LocalAddress6.IsUnspecified || LocalAddress6.IsIpv4Mapped));

    // Whether this endpoint takes IPv6 datagrams: an IPv6 one not bound to a mapped address.
    public bool CoversIpv6 => IsIpv6 && !LocalAddress6.IsIpv4Mapped;

    public ushort LocalPort { get; internal set; }

    public Ipv4Address RemoteAddress { get; internal set; }

    public ushort RemotePort { get; internal set; }

    public bool IsBound => LocalPort != 0;

    public bool IsConnected => RemotePort != 0;

    public bool IsClosed { get; private set; }

    public int ReceiveBufferSize => ring.Length;

    // Datagrams waiting to be read.
    public int QueuedDatagrams { get; private set; }

    public long Dropped { get; private set; }

    // Callers blocked in a read wait here; every arrival and the close wake them.
    public WaitQueue Waiters { get; }

    public IUdpEndpointListener? Listener { get; set; }

    // Binds to address (Any: every local address) and port (0: an ephemeral one). 0 or -errno.
    public int Bind(Ipv4Address address, ushort port) => layer.Bind(this, address, port);

    // Sets the default destination and takes only its datagrams from now on (udp(7)); binds to
    // an ephemeral port first if unbound. 0 or -errno.
    public int Connect(Ipv4Address address, ushort port) => layer.Connect(this, address, port);

    // Sends one datagram; the endpoint binds to an ephemeral port first if it is unbound. The
    // payload length, or -errno (-EDESTADDRREQ with no destination, -EMSGSIZE, the IP layer's).
    public long SendTo(Ipv4Address destination, ushort port, ReadOnlySpan<byte> payload) => layer.SendTo(this, destination, port, payload);

    // The IPv6 forms of Bind, Connect and SendTo, for an IPv6 endpoint; a mapped address
    // (::ffff:a.b.c.d) means IPv4, unless the endpoint is v6-only.
    public int Bind6(Ipv6Address address, ushort port) => layer.Bind6(this, address, port);

    public int Connect6(Ipv6Address address, ushort port) => layer.Connect6(this, address, port);

    public long SendTo6(Ipv6Address destination, ushort port, ReadOnlySpan<byte> payload) => layer.SendTo6(this, destination, port, payload);

    public long Send(ReadOnlySpan<byte> payload)
    {
        if (!IsConnected)
        {
            return -Errno.EDESTADDRREQ;
        }
        if (IsIpv6)
        {
            return layer.SendTo6(this, RemoteAddress6, RemotePort, payload);
        }
        return layer.SendTo(this, RemoteAddress, RemotePort, payload);
    }

    // Takes the next datagram into buffer: the bytes copied (the rest of a longer datagram is
    // discarded, as recvfrom without MSG_PEEK does), its full length in datagramLength, and
    // the sender. With none queued: -EAGAIN when nonBlocking or once the monotonic deadline
    // passes, else waits. -EBADF once closed.
    public long ReceiveFrom(Span<byte> buffer, bool nonBlocking, long deadline, out Ipv4Address from, out ushort fromPort,
        out int datagramLength)
    {
        long result = ReceiveFrom6(buffer, nonBlocking, deadline, out Ipv6Address from6, out fromPort, out datagramLength);
        from = from6.MappedIpv4;
        return result;
    }

    // As ReceiveFrom, the sender as an IPv6 address (an IPv4 one mapped, ::ffff:a.b.c.d).
    public long ReceiveFrom6(Span<byte> buffer, bool nonBlocking, long deadline, out Ipv6Address from, out ushort fromPort,
        out int datagramLength)
    {
        while (true)
        {
            if (IsClosed)
            {
                from = default;
                fromPort = 0;
                datagramLength = 0;
                return -Errno.EBADF;
            }
            int error = TakeError();
            if (error != 0)
            {
                // NOTE: a pending error comes before queued datagrams (Linux's
                // __skb_try_recv_datagram checks sock_error first).
                from = default;
                fromPort = 0;
                datagramLength = 0;
                return -error;
            }
            if (QueuedDatagrams > 0)
            {
                return Take(buffer, out from, out fromPort, out datagramLength);
            }
            if (nonBlocking || (!Waiters.Wait(deadline) && QueuedDatagrams == 0))
            {
                from = default;
                fromPort = 0;
                datagramLength = 0;
                return -Errno.EAGAIN;
            }
        }
    }

    // POLLIN with a datagram queued; always writable, since a send hands its datagram to the IP
    // layer at once and nothing here fills up (Linux reports UDP writable while its send
    // buffer has room).
    public int Poll()
    {
        int mask = PollEvents.POLLOUT | PollEvents.POLLWRNORM;
        if (pendingError != 0)
        {
            mask |= PollEvents.POLLERR;
        }
        if (QueuedDatagrams > 0)
        {
            mask |= PollEvents.POLLIN | PollEvents.POLLRDNORM;
        }
        return mask;
    }

    // SO_ERROR: the error an ICMP message reported (ECONNREFUSED for a closed port at the
    // connected peer), cleared by reading it; 0 for none.
    public int TakeError()
    {
        int error = pendingError;
        pendingError = 0;
        return error;
    }

    // From the layer: an ICMP error about a datagram this endpoint sent. Readers wake and the
    // next receive or send fails with it (udp(7), "Error handling").
    internal void ReportError(int error)
    {
        pendingError = error;
        Waiters.WakeAll();
        Listener?.EndpointChanged(this, PollEvents.POLLERR);
    }

    // Unbinds and drops what was queued; blocked readers wake and see -EBADF.
    public void Close()
    {
        if (IsClosed)
        {
            return;
        }
        layer.Unbind(this);
        IsClosed = true;
        QueuedDatagrams = 0;
        used = 0;
        Waiters.WakeAll();
        Listener?.EndpointChanged(this, PollEvents.POLLIN | PollEvents.POLLHUP);
    }

    // From the layer: one datagram for this endpoint. False when the ring has no room (dropped).
    internal bool Deliver(Ipv4Address source, ushort sourcePort, ReadOnlySpan<byte> payload) =>
        Deliver6(Ipv6Address.MapIpv4(source), sourcePort, payload);

    // source: an IPv6 sender, or an IPv4 one mapped; an IPv4 endpoint keeps the low 32 bits.
    internal bool Deliver6(Ipv6Address source, ushort sourcePort, ReadOnlySpan<byte> payload)
    {
        int needed = recordHeaderLength + payload.Length;
        if (needed > ring.Length - used)
        {
            Dropped++;
            return false;
        }
        Span<byte> record = stackalloc byte[recordHeaderLength];
        int addressLength = recordHeaderLength - 4;
        if (IsIpv6)
        {
            source.Write(record);
        }
        else
        {
            source.MappedIpv4.Write(record);
        }
        BinaryPrimitives.WriteUInt16BigEndian(record.Slice(addressLength), sourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(record.Slice(addressLength + 2), (ushort)payload.Length);
        Write(record);
        Write(payload);
        QueuedDatagrams++;
        Waiters.WakeAll();
        Listener?.EndpointChanged(this, PollEvents.POLLIN | PollEvents.POLLRDNORM);
        return true;
    }

    // recvfrom(2) with MSG_PEEK, non-blocking: the next datagram's bytes, length and sender,
    // left queued; -EAGAIN with none queued.
    public long Peek(Span<byte> buffer, out Ipv4Address from, out ushort fromPort, out int datagramLength)
    {
        long result = Peek6(buffer, out Ipv6Address from6, out fromPort, out datagramLength);
        from = from6.MappedIpv4;
        return result;
    }

    public long Peek6(Span<byte> buffer, out Ipv6Address from, out ushort fromPort, out int datagramLength)
    {
        int error = TakeError();
        if (error != 0)
        {
            from = default;
            fromPort = 0;
            datagramLength = 0;
            return -error;
        }
        if (QueuedDatagrams == 0)
        {
            from = default;
            fromPort = 0;
            datagramLength = 0;
            return IsClosed ? -Errno.EBADF : -Errno.EAGAIN;
        }
        int savedHead = head;
        int savedUsed = used;
        long copied = Take(buffer, out from, out fromPort, out datagramLength);
        head = savedHead;
        used = savedUsed;
        QueuedDatagrams++;
        return copied;
    }

    // The payload length of the next queued datagram, 0 with none (FIONREAD on a UDP socket).
    public int NextDatagramLength
    {
        get
        {
            if (QueuedDatagrams == 0)
            {
                return 0;
            }
            int at = (head + recordHeaderLength - 2) % ring.Length;
            return (ring[at] << 8) | ring[(at + 1) % ring.Length];
        }
    }

    private long Take(Span<byte> buffer, out Ipv6Address from, out ushort fromPort, out int datagramLength)
    {
        Span<byte> record = stackalloc byte[recordHeaderLength];
        Read(record);
        int addressLength = recordHeaderLength - 4;
        from = IsIpv6 ? Ipv6Address.Read(record) : Ipv6Address.MapIpv4(Ipv4Address.Read(record));
        fromPort = BinaryPrimitives.ReadUInt16BigEndian(record.Slice(addressLength));
        datagramLength = BinaryPrimitives.ReadUInt16BigEndian(record.Slice(addressLength + 2));
        int copied = Math.Min(datagramLength, buffer.Length);
        Read(buffer.Slice(0, copied));
        Skip(datagramLength - copied);
        QueuedDatagrams--;
        return copied;
    }

    private void Write(ReadOnlySpan<byte> bytes)
    {
        int tail = (head + used) % ring.Length;
        int first = Math.Min(bytes.Length, ring.Length - tail);
        bytes.Slice(0, first).CopyTo(ring.AsSpan(tail));
        bytes.Slice(first).CopyTo(ring);
        used += bytes.Length;
    }

    private void Read(Span<byte> bytes)
    {
        int first = Math.Min(bytes.Length, ring.Length - head);
        ring.AsSpan(head, first).CopyTo(bytes);
        ring.AsSpan(0, bytes.Length - first).CopyTo(bytes.Slice(first));
        Skip(bytes.Length);
    }

    private void Skip(int length)
    {
        head = (head + length) % ring.Length;
        used -= length;
    }
}
