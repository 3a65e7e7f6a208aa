namespace Unikraft.Kernel;

using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;

// UDP for one kernel (RFC 768, RFC 1122, 4.1): the transport the IPv4 layer hands datagrams of
// protocol 17 to, and the table of bound endpoints by port. Sends build the header in one
// scratch buffer of the layer (one vCPU: no two sends overlap) and hand it to IIpv4Output.
internal sealed class UdpLayer : IIpv4Transport, IIcmpErrorTransport, IIpv6Transport, IIcmpv6ErrorTransport
{
    // NOTE: Linux's default ephemeral range, net.ipv4.ip_local_port_range = 32768 60999.
    public const int EphemeralFirst = 32768;

    public const int EphemeralLast = 60999;

    // NOTE: 64 KiB per endpoint; Linux's default (net.core.rmem_default) is 208 KiB, but it
    // counts kernel overhead per packet, where this ring counts 8 bytes.
    public const int DefaultReceiveBufferSize = 65536;

    private readonly Kernel kernel;
    private readonly IIpv4Output output;
    private readonly Dictionary<ushort, List<UdpEndpoint>> ports = new Dictionary<ushort, List<UdpEndpoint>>();
    private readonly byte[] scratch = new byte[Ipv4Packet.MaximumLength];
    private int nextEphemeral;

    // The stack's UDP, made and registered on first use: by the socket layer when the program
    // makes UDP sockets, by the name resolver for its queries.
    public static UdpLayer For(Kernel kernel, NetStack stack)
    {
        if (stack.TransportFor(IpProtocol.Udp) is UdpLayer existing)
        {
            return existing;
        }
        UdpLayer udp = new UdpLayer(kernel, stack);
        stack.Register(udp);
        return udp;
    }

    public UdpLayer(Kernel kernel, IIpv4Output output)
    {
        this.kernel = kernel;
        this.output = output;
        // NOTE: RFC 6056, 3.3.1: a random start makes the next port hard to guess off-path.
        Span<byte> start = stackalloc byte[2];
        kernel.RandomDevice?.Fill(start);
        nextEphemeral = EphemeralFirst + ((start[0] << 8) | start[1]) % (EphemeralLast - EphemeralFirst + 1);
    }

    public byte Protocol => IpProtocol.Udp;

    public long Received { get; private set; }

    public long BadChecksums { get; private set; }

    public long NoPort { get; private set; }

    public long QueueFull { get; private set; }

    // ICMP errors reported to an endpoint.
    public long IcmpErrors { get; private set; }

    // A new unbound endpoint.
    public UdpEndpoint Open(int receiveBufferSize = DefaultReceiveBufferSize)
    {
        return new UdpEndpoint(this, kernel.Scheduler, receiveBufferSize);
    }

    // A new unbound IPv6 endpoint (an AF_INET6 socket's), dual-stack until made v6-only.
    public UdpEndpoint Open6(int receiveBufferSize = DefaultReceiveBufferSize)
    {
        return new UdpEndpoint(this, kernel.Scheduler, receiveBufferSize, true);
    }

    // bind(2) for UDP: -EINVAL when already bound, -EADDRNOTAVAIL for an address not of this
    // host, -EADDRINUSE when another endpoint holds the port on an overlapping address, and
    // -EAGAIN when no ephemeral port is free (as Linux's inet_csk_get_port answers).
    internal int Bind(UdpEndpoint endpoint, Ipv4Address address, ushort port)
    {
        if (endpoint.IsClosed)
        {
            return -Errno.EBADF;
        }
        if (endpoint.IsBound)
        {
            return -Errno.EINVAL;
        }
        if (!address.IsAny && !IsLocalAddress(address))
        {
            return -Errno.EADDRNOTAVAIL;
        }
        if (port == 0)
        {
            if (!TryFindEphemeral(out port))
            {
                return -Errno.EAGAIN;
            }
        }
        else if (Conflicts(true, address, false, default, port))
        {
            return -Errno.EADDRINUSE;
        }
        endpoint.LocalAddress = address;
        endpoint.LocalPort = port;
        Add(endpoint);
        return 0;
    }

    // bind(2) for an IPv6 endpoint, with the errnos of Bind; a mapped address binds the IPv4
    // side only (-EINVAL on a v6-only endpoint, as Linux's __inet6_bind answers).
    internal int Bind6(UdpEndpoint endpoint, Ipv6Address address, ushort port)
    {
        if (endpoint.IsClosed)
        {
            return -Errno.EBADF;
        }
        if (endpoint.IsBound)
        {
            return -Errno.EINVAL;
        }
        bool mapped = address.IsIpv4Mapped;
        if (mapped && endpoint.V6Only)
        {
            return -Errno.EINVAL;
        }
        if (mapped ? !address.MappedIpv4.IsAny && !IsLocalAddress(address.MappedIpv4) :
            !address.IsUnspecified && !Ipv6.IsLocal6(address))
        {
            return -Errno.EADDRNOTAVAIL;
        }
        bool coversIpv4 = !endpoint.V6Only && (mapped || address.IsUnspecified);
        Ipv4Address address4 = mapped ? address.MappedIpv4 : Ipv4Address.Any;
        if (port == 0)
        {
            if (!TryFindEphemeral(out port))
            {
                return -Errno.EAGAIN;
            }
        }
        else if (Conflicts(coversIpv4, address4, !mapped, address, port))
        {
            return -Errno.EADDRINUSE;
        }
        endpoint.LocalAddress6 = address;
        endpoint.LocalAddress = address4;
        endpoint.LocalPort = port;
        Add(endpoint);
        return 0;
    }

    private void Add(UdpEndpoint endpoint)
    {
        if (!ports.TryGetValue(endpoint.LocalPort, out List<UdpEndpoint>? bound))
        {
            bound = new List<UdpEndpoint>();
            ports[endpoint.LocalPort] = bound;
        }
        bound.Add(endpoint);
    }

    // The stack's IPv6 side; only a NetStack has one (a test's IPv4-only output has none).
    private IIpv6Output Ipv6 => output as IIpv6Output ?? NoIpv6.Instance;

    internal int Connect6(UdpEndpoint endpoint, Ipv6Address address, ushort port)
    {
        if (endpoint.IsClosed)
        {
            return -Errno.EBADF;
        }
        if (port == 0 || address.IsUnspecified)
        {
            return -Errno.EINVAL;
        }
        if (address.IsIpv4Mapped)
        {
            if (endpoint.V6Only || !endpoint.CoversIpv4)
            {
                return -Errno.ENETUNREACH;
            }
            if (!output.TrySelectSource(address.MappedIpv4, out _))
            {
                return -Errno.ENETUNREACH;
            }
        }
        else if (!endpoint.CoversIpv6 || !Ipv6.TrySelectSource6(address, out _))
        {
            return -Errno.ENETUNREACH;
        }
        if (!endpoint.IsBound)
        {
            int bound = Bind6(endpoint, Ipv6Address.Unspecified, 0);
            if (bound < 0)
            {
                return bound;
            }
        }
        endpoint.RemoteAddress6 = address;
        endpoint.RemoteAddress = address.IsIpv4Mapped ? address.MappedIpv4 : Ipv4Address.Any;
        endpoint.RemotePort = port;
        return 0;
    }

    internal long SendTo6(UdpEndpoint endpoint, Ipv6Address destination, ushort port, ReadOnlySpan<byte> payload)
    {
        if (destination.IsIpv4Mapped)
        {
            // NOTE: a dual-stack endpoint reaches an IPv4 peer named ::ffff:a.b.c.d over IPv4; a
            // v6-only one, or one bound to an IPv6 address, cannot (Linux: ENETUNREACH).
            if (endpoint.V6Only || (endpoint.IsBound && !endpoint.CoversIpv4))
            {
                return -Errno.ENETUNREACH;
            }
            if (!endpoint.IsBound)
            {
                int bound = Bind6(endpoint, Ipv6Address.Unspecified, 0);
                if (bound < 0)
                {
                    return bound;
                }
            }
            return SendTo(endpoint, destination.MappedIpv4, port, payload);
        }
        if (endpoint.IsClosed)
        {
            return -Errno.EBADF;
        }
        int pending = endpoint.TakeError();
        if (pending != 0)
        {
            return -pending;
        }
        if (port == 0 || destination.IsUnspecified)
        {
            return -Errno.EDESTADDRREQ;
        }
        if (endpoint.IsBound && !endpoint.CoversIpv6)
        {
            return -Errno.ENETUNREACH;
        }
        // NOTE: without jumbograms (RFC 2675) the UDP length field bounds the payload.
        if (payload.Length > ushort.MaxValue - UdpDatagram.HeaderLength)
        {
            return -Errno.EMSGSIZE;
        }
        Ipv6Address source = endpoint.LocalAddress6;
        if (source.IsUnspecified && !Ipv6.TrySelectSource6(destination, out source))
        {
            return -Errno.ENETUNREACH;
        }
        if (!endpoint.IsBound)
        {
            int bound = Bind6(endpoint, Ipv6Address.Unspecified, 0);
            if (bound < 0)
            {
                return bound;
            }
        }
        int length = UdpDatagram.HeaderLength + payload.Length;
        if (length > scratch.Length)
        {
            return -Errno.EMSGSIZE;
        }
        Span<byte> datagram = scratch.AsSpan(0, length);
        payload.CopyTo(datagram.Slice(UdpDatagram.HeaderLength));
        new UdpHeader(endpoint.LocalPort, port).TryEmit(datagram, source, destination, payload.Length);
        int sent = Ipv6.Send6(source, destination, IpProtocol.Udp, datagram);
        return sent < 0 ? sent : payload.Length;
    }

    // From the IPv6 side (Ipv6Interface): a bad or zero checksum is dropped and counts as taken;
    // false only when no IPv6 endpoint holds the port.
    public bool Receive6(Ipv6Address source, Ipv6Address destination, ReadOnlySpan<byte> payload, bool checksumTrusted)
    {
        Received++;
        Span<byte> bytes = MemoryMarshal.CreateSpan(ref MemoryMarshal.GetReference(payload), payload.Length);
        if (!UdpDatagram.TryWrap(bytes, out UdpDatagram datagram) ||
            !UdpHeader.TryParse(datagram, source, destination, checksumTrusted, out UdpHeader header))
        {
            BadChecksums++;
            return true;
        }
        UdpEndpoint? target = Lookup6(destination, header.DestinationPort, source, header.SourcePort);
        if (target == null)
        {
            NoPort++;
            return false;
        }
        if (!target.Deliver6(source, header.SourcePort, datagram.Payload))
        {
            QueueFull++;
        }
        return true;
    }

    // As Lookup, among the endpoints that take IPv6.
    private UdpEndpoint? Lookup6(Ipv6Address destination, ushort port, Ipv6Address source, ushort sourcePort)
    {
        if (!ports.TryGetValue(port, out List<UdpEndpoint>? bound))
        {
            return null;
        }
        UdpEndpoint? best = null;
        int bestScore = -1;
        for (int index = 0; index < bound.Count; index++)
        {
            UdpEndpoint candidate = bound[index];
            if (!candidate.CoversIpv6)
            {
                continue;
            }
            int score = 0;
            if (!candidate.LocalAddress6.IsUnspecified)
            {
                if (candidate.LocalAddress6 != destination)
                {
                    continue;
                }
                score += 2;
            }
            if (candidate.IsConnected)
            {
                if (candidate.RemoteAddress6 != source || candidate.RemotePort != sourcePort)
                {
                    continue;
                }
                score += 4;
            }
            if (score > bestScore)
            {
                best = candidate;
                bestScore = score;
            }
        }
        return best;
    }

    internal int Connect(UdpEndpoint endpoint, Ipv4Address address, ushort port)
    {
        if (endpoint.IsClosed)
        {
            return -Errno.EBADF;
        }
        if (port == 0 || address.IsAny)
        {
            return -Errno.EINVAL;
        }
        if (!output.TrySelectSource(address, out _))
        {
            return -Errno.ENETUNREACH;
        }
        if (!endpoint.IsBound)
        {
            int bound = Bind(endpoint, Ipv4Address.Any, 0);
            if (bound < 0)
            {
                return bound;
            }
        }
        endpoint.RemoteAddress = address;
        endpoint.RemotePort = port;
        return 0;
    }

    internal void Unbind(UdpEndpoint endpoint)
    {
        if (endpoint.IsBound && ports.TryGetValue(endpoint.LocalPort, out List<UdpEndpoint>? bound))
        {
            bound.Remove(endpoint);
            if (bound.Count == 0)
            {
                ports.Remove(endpoint.LocalPort);
            }
        }
    }

    internal long SendTo(UdpEndpoint endpoint, Ipv4Address destination, ushort port, ReadOnlySpan<byte> payload)
    {
        if (endpoint.IsClosed)
        {
            return -Errno.EBADF;
        }
        int pending = endpoint.TakeError();
        if (pending != 0)
        {
            // NOTE: a pending error fails the next send too, once (Linux's sock_alloc_send_skb).
            return -pending;
        }
        if (port == 0 || destination.IsAny)
        {
            return -Errno.EDESTADDRREQ;
        }
        if (payload.Length > UdpDatagram.MaximumPayloadLength)
        {
            return -Errno.EMSGSIZE;
        }
        Ipv4Address source = endpoint.LocalAddress;
        if (source.IsAny && !output.TrySelectSource(destination, out source))
        {
            return -Errno.ENETUNREACH;
        }
        if (!endpoint.IsBound)
        {
            int bound = Bind(endpoint, Ipv4Address.Any, 0);
            if (bound < 0)
            {
                return bound;
            }
        }
        int length = UdpDatagram.HeaderLength + payload.Length;
        Span<byte> datagram = scratch.AsSpan(0, length);
        payload.CopyTo(datagram.Slice(UdpDatagram.HeaderLength));
        new UdpHeader(endpoint.LocalPort, port).TryEmit(datagram, source, destination, payload.Length);
        int sent = output.Send(source, destination, IpProtocol.Udp, datagram);
        return sent < 0 ? sent : payload.Length;
    }

    // From the IPv4 layer. A bad checksum is dropped silently (RFC 1122, 4.1.3.4) and counts as
    // taken, so no ICMP answers it; false only when no endpoint is bound to the port.
    public bool Receive(Ipv4Address source, Ipv4Address destination, ReadOnlySpan<byte> payload) =>
        Receive(source, destination, payload, false);

    public bool Receive(Ipv4Address source, Ipv4Address destination, ReadOnlySpan<byte> payload, bool checksumTrusted)
    {
        Received++;
        // The view is over a Span so that it can also write; receiving only reads through it.
        Span<byte> bytes = MemoryMarshal.CreateSpan(ref MemoryMarshal.GetReference(payload), payload.Length);
        if (!UdpDatagram.TryWrap(bytes, out UdpDatagram datagram) ||
            !UdpHeader.TryParse(datagram, source, destination, checksumTrusted, out UdpHeader header))
        {
            BadChecksums++;
            return true;
        }
        UdpEndpoint? target = Lookup(destination, header.DestinationPort, source, header.SourcePort);
        if (target == null)
        {
            NoPort++;
            return false;
        }
        if (!target.Deliver(source, header.SourcePort, datagram.Payload))
        {
            QueueFull++;
        }
        return true;
    }

    // An ICMP error about a datagram an endpoint sent. As Linux's __udp4_lib_err does without
    // IP_RECVERR, only a hard error (RFC 1122, 4.1.3.3; Linux's icmp_err_convert marks which are
    // fatal) reaches an endpoint, and only one connected to the quoted destination: an unconnected
    // socket cannot tell which of its peers refused. The endpoint reports it on its next call.
    public void ReceiveIcmpError(byte type, byte code, Ipv4Address local, Ipv4Address remote, ReadOnlySpan<byte> quotedTransport)
    {
        if (type != IcmpType.DestinationUnreachable || quotedTransport.Length < UdpDatagram.HeaderLength)
        {
            return;
        }
        int error = HardError(code);
        if (error == 0)
        {
            return;
        }
        ushort localPort = System.Buffers.Binary.BinaryPrimitives.ReadUInt16BigEndian(quotedTransport);
        ushort remotePort = System.Buffers.Binary.BinaryPrimitives.ReadUInt16BigEndian(quotedTransport.Slice(2));
        if (!ports.TryGetValue(localPort, out List<UdpEndpoint>? bound))
        {
            return;
        }
        for (int index = 0; index < bound.Count; index++)
        {
            UdpEndpoint candidate = bound[index];
            if (candidate.IsConnected && candidate.RemoteAddress == remote && candidate.RemotePort == remotePort &&
                (candidate.LocalAddress.IsAny || candidate.LocalAddress == local))
            {
                IcmpErrors++;
                candidate.ReportError(error);
                return;
            }
        }
    }

    // An ICMPv6 error about a packet an endpoint sent, as ReceiveIcmpError over IPv4 (Linux's
    // __udp6_lib_err without IPV6_RECVERR): only a hard error, and only to an endpoint connected
    // to the quoted destination.
    public void ReceiveIcmpv6Error(byte type, byte code, uint restOfHeader, Ipv6Address local, Ipv6Address remote, ReadOnlySpan<byte> quotedTransport)
    {
        if (quotedTransport.Length < UdpDatagram.HeaderLength)
        {
            return;
        }
        int error = HardError6(type, code);
        if (error == 0)
        {
            return;
        }
        ushort localPort = System.Buffers.Binary.BinaryPrimitives.ReadUInt16BigEndian(quotedTransport);
        ushort remotePort = System.Buffers.Binary.BinaryPrimitives.ReadUInt16BigEndian(quotedTransport.Slice(2));
        if (!ports.TryGetValue(localPort, out List<UdpEndpoint>? bound))
        {
            return;
        }
        for (int index = 0; index < bound.Count; index++)
        {
            UdpEndpoint candidate = bound[index];
            if (candidate.IsIpv6 && candidate.IsConnected && candidate.RemoteAddress6 == remote && candidate.RemotePort == remotePort &&
                (candidate.LocalAddress6.IsUnspecified || candidate.LocalAddress6 == local))
            {
                IcmpErrors++;
                candidate.ReportError(error);
                return;
            }
        }
    }

    // NOTE: the ICMPv6 errors Linux's icmpv6_err_convert marks fatal, with its errnos: destination
    // unreachable's administratively prohibited, port unreachable, source policy failed and reject
    // route, and parameter problem; no route, address unreachable, packet too big and time
    // exceeded are soft.
    private static int HardError6(byte type, byte code)
    {
        if (type == Icmpv6Type.ParameterProblem)
        {
            return Errno.EPROTO;
        }
        if (type != Icmpv6Type.DestinationUnreachable)
        {
            return 0;
        }
        switch (code)
        {
            case Icmpv6Type.CodeAdministrativelyProhibited: return Errno.EACCES;
            case Icmpv6Type.CodePortUnreachable: return Errno.ECONNREFUSED;
            case Icmpv6Type.CodeSourcePolicyFailed: return Errno.EACCES;
            case Icmpv6Type.CodeRejectRoute: return Errno.EACCES;
            default: return 0;
        }
    }

    // NOTE: the destination-unreachable codes Linux's icmp_err_convert marks fatal, with its errnos;
    // network and host unreachable (0, 1), fragmentation needed (4) and the TOS codes are soft.
    private static int HardError(byte code)
    {
        switch (code)
        {
            case IcmpType.CodeProtocolUnreachable: return Errno.ENOPROTOOPT;
            case IcmpType.CodePortUnreachable: return Errno.ECONNREFUSED;
            case 6: return Errno.ENETUNREACH; // destination network unknown
            case 9: return Errno.ENETUNREACH; // network administratively prohibited
            case 10: return Errno.EHOSTUNREACH; // host administratively prohibited
            case 13: return Errno.EHOSTUNREACH; // communication administratively prohibited
            default: return 0;
        }
    }

    // The best endpoint for a datagram: the one bound to its destination address beats one
    // bound to any, and one connected to its sender beats an unconnected one, as Linux's
    // compute_score ranks them.
    private UdpEndpoint? Lookup(Ipv4Address destination, ushort port, Ipv4Address source, ushort sourcePort)
    {
        if (!ports.TryGetValue(port, out List<UdpEndpoint>? bound))
        {
            return null;
        }
        UdpEndpoint? best = null;
        int bestScore = -1;
        for (int index = 0; index < bound.Count; index++)
        {
            UdpEndpoint candidate = bound[index];
            if (!candidate.CoversIpv4 || (candidate.IsIpv6 && candidate.IsConnected && !candidate.RemoteAddress6.IsIpv4Mapped))
            {
                continue;
            }
            int score = 0;
            if (!candidate.LocalAddress.IsAny)
            {
                if (candidate.LocalAddress != destination)
                {
                    continue;
                }
                score += 2;
            }
            if (candidate.IsConnected)
            {
                if (candidate.RemoteAddress != source || candidate.RemotePort != sourcePort)
                {
                    continue;
                }
                score += 4;
            }
            if (score > bestScore)
            {
                best = candidate;
                bestScore = score;
            }
        }
        return best;
    }

    // Whether a new binding to port overlaps one held: on the IPv4 side (coversIpv4, address4) or
    // the IPv6 side (coversIpv6, address6), any overlapping any and equal addresses. IPv4 and IPv6
    // share the port space, so a dual-stack [::]:p conflicts with 0.0.0.0:p and a v6-only one does
    // not, as on Linux.
    private bool Conflicts(bool coversIpv4, Ipv4Address address4, bool coversIpv6, Ipv6Address address6, ushort port)
    {
        if (!ports.TryGetValue(port, out List<UdpEndpoint>? bound))
        {
            return false;
        }
        for (int index = 0; index < bound.Count; index++)
        {
            UdpEndpoint other = bound[index];
            if (coversIpv4 && other.CoversIpv4 && (other.LocalAddress.IsAny || address4.IsAny || other.LocalAddress == address4))
            {
                return true;
            }
            if (coversIpv6 && other.CoversIpv6 &&
                (other.LocalAddress6.IsUnspecified || address6.IsUnspecified || other.LocalAddress6 == address6))
            {
                return true;
            }
        }
        return false;
    }

    private bool TryFindEphemeral(out ushort port)
    {
        int range = EphemeralLast - EphemeralFirst + 1;
        for (int tried = 0; tried < range; tried++)
        {
            int candidate = nextEphemeral;
            nextEphemeral = candidate == EphemeralLast ? EphemeralFirst : candidate + 1;
            if (!ports.ContainsKey((ushort)candidate))
            {
                port = (ushort)candidate;
                return true;
            }
        }
        port = 0;
        return false;
    }

    // An address of this host: the IP layer would send to it from itself.
    private bool IsLocalAddress(Ipv4Address address)
    {
        if (address.IsLoopback)
        {
            return true;
        }
        return output.TrySelectSource(address, out Ipv4Address source) && source == address;
    }
}
