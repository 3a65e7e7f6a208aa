namespace Unikraft.Kernel;

using System;
using System.Collections.Generic;

// The IPv4 host of one kernel: its interfaces, the transports registered by protocol number, and
// what lies between them: the checks every received datagram passes (RFC 1122, 3.2.1), routing
// (on-link subnet, else the interface's gateway), reassembly, ICMP echo and the errors RFC 1122,
// 3.2.2 allows, and loopback: 127.0.0.0/8 and the host's own addresses are delivered inside the
// kernel, through a queue the scheduler drains, as Linux's lo device does, so a send never runs
// the receiver inside the sender's call. All state is in this instance (several kernels share a
// process); time is the kernel's clock device, timers are the scheduler's.
internal sealed class NetStack : IIpv4Output, IIpv6Output
{
    // NOTE: Linux's lo has a 65536-byte MTU; no datagram (65535 bytes at most) needs fragments there.
    public const int LoopbackMtu = 65536;

    // NOTE: the loopback queue holds at most 1000 datagrams, Linux's netdev_max_backlog, and at
    // most 4 MiB of them, so 1000 datagrams of 64 KiB cannot pin 64 MiB.
    public const int LoopbackQueueLimit = 1000;

    public const int LoopbackQueueBytes = 4 * 1024 * 1024;

    // NOTE: an ICMP error quotes the offending header and as much of its data as keeps the error
    // within 576 bytes, the datagram every host must accept (RFC 1812, 4.3.2.3; RFC 792 asks for
    // at least 8 bytes).
    public const int IcmpErrorLimit = 576;

    // NOTE: ICMP errors are rate-limited (RFC 1122, 3.2.2 SHOULD): a bucket of 50 refilled at
    // 1000 a second, Linux's icmp_msgs_burst and icmp_msgs_per_sec.
    public const int IcmpErrorBurst = 50;

    public const long IcmpErrorsPerSecond = 1000;

    private readonly Kernel kernel;
    private readonly List<NetInterface> interfaces = new List<NetInterface>();
    private readonly IIpv4Transport?[] transports = new IIpv4Transport?[256];
    private readonly Ipv4Reassembly reassembly;
    private readonly Queue<LoopbackDatagram> loopback = new Queue<LoopbackDatagram>();
    private readonly byte[] scratch = new byte[Ipv4Packet.MaximumLength];
    private readonly Action<object?> tick;
    private readonly Action<object?> drainLoopback;
    private readonly Action<int> reassemblyExpired;
    private long tickDeadline = long.MaxValue;
    private bool loopbackScheduled;
    private int loopbackBytes;
    private ushort identification;
    private long icmpTokens = IcmpErrorBurst;
    private long icmpRefilled;

    public NetStack(Kernel kernel)
    {
        this.kernel = kernel;
        Pool = new PacketPool(8);
        reassembly = new Ipv4Reassembly(Pool);
        tick = new Action<object?>(Tick);
        drainLoopback = new Action<object?>(DrainLoopback);
        reassemblyExpired = new Action<int>(ReassemblyExpired);
        // NOTE: RFC 6864, 4.2: the identification need only be unique per source, destination
        // and protocol while a datagram lives; a counter from a random start serves.
        Span<byte> start = stackalloc byte[2];
        kernel.RandomDevice?.Fill(start);
        identification = (ushort)((start[0] << 8) | start[1]);
    }

    public NetCounters Counters { get; } = new NetCounters();

    internal KernelLog Log => kernel.Log;

    public PacketPool Pool { get; }

    public Ipv4Reassembly Reassembly => reassembly;

    public int InterfaceCount => interfaces.Count;

    public NetInterface InterfaceAt(int index) => interfaces[index];

    // The name servers the interfaces were configured with (the Dns of <UnikraftNet>), in order,
    // for the resolver.
    public List<Ipv4Address> NameServers { get; } = new List<Ipv4Address>();

    // The TCP ports passt interfaces forward from the host's loopback (NetBoot.ForwardHostLoopback).
    public HostLoopbackForwards HostLoopback { get; } = new HostLoopbackForwards();

    // The transport registered for an IP protocol, or null.
    public IIpv4Transport? TransportFor(byte protocol) => transports[protocol];

    // Monotonic nanoseconds from the kernel's clock (virtual under sim); 0 with no clock.
    public long Now => kernel.Clock?.MonotonicNanoseconds ?? 0;

    // Brings up an interface on device and starts taking its frames. gateway Any: none.
    public NetInterface AddInterface(string name, INetDevice device, Ipv4Address address, int prefixLength, Ipv4Address gateway)
    {
        NetInterface netInterface = new NetInterface(this, name, device, address, prefixLength, gateway);
        interfaces.Add(netInterface);
        netInterface.Start(kernel.Scheduler);
        return netInterface;
    }

    // A transport takes every datagram of its protocol; one per protocol.
    public void Register(IIpv4Transport transport)
    {
        if (transports[transport.Protocol] != null)
        {
            throw new KernelException("net: a transport for IP protocol " + transport.Protocol + " is already registered");
        }
        transports[transport.Protocol] = transport;
    }

    public ushort NextIdentification() => identification++;

    // Four bytes of the kernel's random device (0 without one): IPv6's fragment identifications start there.
    public uint RandomUInt32()
    {
        Span<byte> bytes = stackalloc byte[4];
        kernel.RandomDevice?.Fill(bytes);
        return System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(bytes);
    }

    // One of this host's addresses (any interface's, or loopback's).
    public bool IsLocal(Ipv4Address address)
    {
        if (address.IsLoopback)
        {
            return true;
        }
        for (int index = 0; index < interfaces.Count; index++)
        {
            if (interfaces[index].Address == address)
            {
                return true;
            }
        }
        return false;
    }

    public int Send(Ipv4Address source, Ipv4Address destination, byte protocol, ReadOnlySpan<byte> payload)
    {
        if (payload.Length > Ipv4Packet.MaximumLength - Ipv4Packet.MinimumHeaderLength)
        {
            return -Errno.EMSGSIZE;
        }
        if (IsLocal(destination))
        {
            if (source.IsAny)
            {
                source = destination.IsLoopback ? Ipv4Address.Loopback : destination;
            }
            return EnqueueLoopback(source, destination, protocol, payload);
        }
        if (!TryRoute(destination, out NetInterface? route, out Ipv4Address nextHop))
        {
            return -Errno.ENETUNREACH;
        }
        if (source.IsAny)
        {
            source = route.Address;
        }
        return route.Output(source, destination, nextHop, protocol, payload);
    }

    // A packet to ::1 or to one of this host's IPv6 addresses goes through the loopback queue, as
    // IPv4's to 127.0.0.0/8 and its own addresses do (Linux's lo).
    public int Send6(Ipv6Address source, Ipv6Address destination, byte nextHeader, ReadOnlySpan<byte> payload)
    {
        if (IsLocal6(destination))
        {
            if (payload.Length > ushort.MaxValue)
            {
                return -Errno.EMSGSIZE;
            }
            return EnqueueLoopback6(source.IsUnspecified ? destination : source, destination, nextHeader, payload);
        }
        Ipv6Interface? route = Ipv6RouteTo(destination);
        if (route == null)
        {
            return -Errno.ENETUNREACH;
        }
        if (source.IsUnspecified)
        {
            source = route.SourceFor(destination);
        }
        return route.Output(source, destination, nextHeader, payload);
    }

    public bool TrySelectSource6(Ipv6Address destination, out Ipv6Address source)
    {
        if (IsLocal6(destination))
        {
            source = destination;
            return true;
        }
        Ipv6Interface? route = Ipv6RouteTo(destination);
        if (route == null)
        {
            source = default;
            return false;
        }
        source = route.SourceFor(destination);
        return true;
    }

    public int MaximumPayloadTo6(Ipv6Address destination)
    {
        if (IsLocal6(destination))
        {
            return LoopbackMtu - Ipv6Packet.HeaderLength;
        }
        Ipv6Interface? route = Ipv6RouteTo(destination);
        return route == null ? 0 : route.PathMtuTo(destination) - Ipv6Packet.HeaderLength;
    }

    public void ConfirmReachable6(Ipv6Address destination)
    {
        if (!IsLocal6(destination))
        {
            Ipv6RouteTo(destination)?.ConfirmReachable(destination);
        }
    }

    public int SegmentOffloadTo6(Ipv6Address destination)
    {
        if (IsLocal6(destination))
        {
            return 0;
        }
        Ipv6Interface? route = Ipv6RouteTo(destination);
        return route == null || route.SegmentOffload == 0 ? 0 : route.SegmentOffload - Ipv6Packet.HeaderLength;
    }

    public int SendTcpOffloaded6(Ipv6Address source, Ipv6Address destination, ReadOnlySpan<byte> segment, int segmentSize)
    {
        Ipv6Interface? route = IsLocal6(destination) ? null : Ipv6RouteTo(destination);
        if (route == null)
        {
            return -Errno.ENETUNREACH;
        }
        return route.OutputTcpOffloaded(source.IsUnspecified ? route.SourceFor(destination) : source, destination, segment, segmentSize);
    }

    // ::1 (a kernel with IPv6 has it, as Linux's lo) or one of the interfaces' IPv6 addresses.
    public bool IsLocal6(Ipv6Address address)
    {
        if (!KernelFeatures.Ipv6)
        {
            return false;
        }
        if (address.IsLoopback)
        {
            return true;
        }
        for (int index = 0; index < interfaces.Count; index++)
        {
            Ipv6Interface? ipv6 = interfaces[index].Ipv6;
            if (ipv6 != null && ipv6.IsOwn(address))
            {
                return true;
            }
        }
        return false;
    }

    // The first interface whose link holds destination (a group: the first with IPv6), else the
    // first with a default router.
    private Ipv6Interface? Ipv6RouteTo(Ipv6Address destination)
    {
        if (!KernelFeatures.Ipv6)
        {
            return null;
        }
        for (int index = 0; index < interfaces.Count; index++)
        {
            Ipv6Interface? ipv6 = interfaces[index].Ipv6;
            if (ipv6 != null && (destination.IsMulticast || ipv6.IsOnLink(destination)))
            {
                return ipv6;
            }
        }
        for (int index = 0; index < interfaces.Count; index++)
        {
            Ipv6Interface? ipv6 = interfaces[index].Ipv6;
            if (ipv6 != null && !destination.IsLinkLocal && ipv6.TryDefaultRouter(Now, out _))
            {
                return ipv6;
            }
        }
        return null;
    }

    public bool TrySelectSource(Ipv4Address destination, out Ipv4Address source)
    {
        if (IsLocal(destination))
        {
            source = destination.IsLoopback ? Ipv4Address.Loopback : destination;
            return true;
        }
        if (TryRoute(destination, out NetInterface? route, out _))
        {
            source = route.Address;
            return true;
        }
        source = default;
        return false;
    }

    public int MaximumPayloadTo(Ipv4Address destination)
    {
        if (IsLocal(destination))
        {
            return Math.Min(LoopbackMtu, Ipv4Packet.MaximumLength) - Ipv4Packet.MinimumHeaderLength;
        }
        if (TryRoute(destination, out NetInterface? route, out _))
        {
            return route.Mtu - Ipv4Packet.MinimumHeaderLength;
        }
        return 0;
    }

    public int SegmentOffloadTo(Ipv4Address destination)
    {
        if (IsLocal(destination) || !TryRoute(destination, out NetInterface? route, out _))
        {
            return 0;
        }
        return route.SegmentOffload == 0 ? 0 : route.SegmentOffload - Ipv4Packet.MinimumHeaderLength;
    }

    public int SendTcpOffloaded(Ipv4Address source, Ipv4Address destination, ReadOnlySpan<byte> segment, int segmentSize)
    {
        if (IsLocal(destination) || !TryRoute(destination, out NetInterface? route, out Ipv4Address nextHop))
        {
            return -Errno.ENETUNREACH;
        }
        if (source.IsAny)
        {
            source = route.Address;
        }
        return route.OutputTcpOffloaded(source, destination, nextHop, segment, segmentSize);
    }

    // The interface and next hop for a destination: the first interface whose subnet holds it
    // (or any, for the limited broadcast), else the first with a gateway.
    public bool TryRoute(Ipv4Address destination, out NetInterface route, out Ipv4Address nextHop)
    {
        for (int index = 0; index < interfaces.Count; index++)
        {
            NetInterface candidate = interfaces[index];
            if (candidate.IsOnLink(destination) || destination.IsBroadcast)
            {
                route = candidate;
                nextHop = destination;
                return true;
            }
        }
        for (int index = 0; index < interfaces.Count; index++)
        {
            NetInterface candidate = interfaces[index];
            if (!candidate.Gateway.IsAny)
            {
                route = candidate;
                nextHop = candidate.Gateway;
                return true;
            }
        }
        route = null!;
        nextHop = default;
        return false;
    }

    // One IPv4 datagram from an interface (or from the loopback queue, netInterface null).
    // linkBroadcast: it came in a frame sent to the Ethernet broadcast address. checksumTrusted:
    // the device vouches for the transport checksum (FrameOffload.ChecksumTrusted), which the
    // transport then does not check; the header checksum is checked whatever the device says.
    public void ReceiveIpv4(NetInterface? netInterface, Span<byte> bytes, bool linkBroadcast, bool checksumTrusted = false)
    {
        Counters.Ipv4Received++;
        if (!Ipv4Packet.TryWrap(bytes, out Ipv4Packet packet) || !Ipv4Header.TryParse(packet, out Ipv4Header header))
        {
            Counters.Ipv4BadHeader++;
            if (!packet.Bytes.IsEmpty && !packet.ChecksumIsValid)
            {
                Counters.Ipv4BadChecksum++;
            }
            return;
        }
        // NOTE: a host silently discards a datagram from a broadcast or multicast source
        // (RFC 1122, 3.2.1.3) and one with a loopback address arriving from outside (3.2.1.3 (g)).
        if (header.Source.IsBroadcast || header.Source.IsMulticast ||
            (netInterface != null && (header.Source.IsLoopback || header.Destination.IsLoopback)))
        {
            Counters.Ipv4BadAddress++;
            return;
        }
        bool broadcast;
        if (netInterface == null)
        {
            broadcast = false;
        }
        else if (netInterface.Accepts(header.Destination) || IsLocal(header.Destination))
        {
            broadcast = netInterface.IsBroadcastFor(header.Destination);
        }
        else
        {
            // Not ours: forwarding is a router's work (RFC 1812), and this host does none.
            Counters.Ipv4NotForUs++;
            return;
        }
        // RFC 1122, 3.3.6: a unicast datagram that came in a link-layer broadcast is dropped.
        if (linkBroadcast && !broadcast)
        {
            Counters.Ipv4NotForUs++;
            return;
        }
        if (header.IsFragment)
        {
            Counters.FragmentsReceived++;
            int slot = reassembly.Add(header, packet.Header, packet.Payload, Now);
            ScheduleTick(Now + Ipv4Reassembly.Timeout);
            if (slot < 0)
            {
                return;
            }
            Counters.Reassembled++;
            Span<byte> whole = reassembly.Payload(slot);
            Ipv4Header reassembled = header with { MoreFragments = false, FragmentOffset = 0, PayloadLength = whole.Length };
            // A datagram of fragments is checked whole: the device's word was about one of them.
            Deliver(reassembled, reassembly.Header(slot), whole, broadcast, false);
            reassembly.Release(slot);
            return;
        }
        Deliver(header, packet.Header, packet.Payload, broadcast, checksumTrusted);
    }

    // A whole datagram for this host: ICMP here, the rest to its transport.
    private void Deliver(in Ipv4Header header, ReadOnlySpan<byte> ipHeader, Span<byte> payload, bool broadcast, bool checksumTrusted)
    {
        Counters.Ipv4Delivered++;
        if (header.Protocol == IpProtocol.Icmp && ReceiveIcmp(header, payload, broadcast))
        {
            return;
        }
        IIpv4Transport? transport = transports[header.Protocol];
        if (transport == null)
        {
            Counters.NoTransport++;
            if (header.Protocol != IpProtocol.Icmp)
            {
                SendIcmpError(header.Source, header.Destination, header.Protocol, header.FragmentOffset, ipHeader, payload,
                    IcmpType.DestinationUnreachable, IcmpType.CodeProtocolUnreachable, broadcast);
            }
            return;
        }
        if (!transport.Receive(header.Source, header.Destination, payload, checksumTrusted))
        {
            Counters.NoEndpoint++;
            SendIcmpError(header.Source, header.Destination, header.Protocol, header.FragmentOffset, ipHeader, payload,
                IcmpType.DestinationUnreachable, IcmpType.CodePortUnreachable, broadcast);
        }
    }

    // Answers echo requests; true when the message was consumed here. Everything else with a good
    // checksum goes on to the ICMP transport, if one is registered (a ping socket).
    private bool ReceiveIcmp(in Ipv4Header header, Span<byte> payload, bool broadcast)
    {
        if (!IcmpMessage.TryWrap(payload, out IcmpMessage message) || !IcmpHeader.TryParse(message, out IcmpHeader icmp))
        {
            Counters.IcmpBad++;
            return true;
        }
        if (icmp.Type == IcmpType.DestinationUnreachable || icmp.Type == IcmpType.TimeExceeded)
        {
            PassIcmpError(header, icmp, message.Data);
            return false;
        }
        if (icmp.Type != IcmpType.EchoRequest)
        {
            return false;
        }
        if (KernelFeatures.IcmpEcho)
        {
            return AnswerEcho(header, payload, icmp, broadcast);
        }
        // UnikraftIcmpEcho=false: echo requests are dropped unanswered, as Linux's
        // icmp_echo_ignore_all drops them.
        Counters.IcmpEchoIgnored++;
        return true;
    }

    private bool AnswerEcho(in Ipv4Header header, Span<byte> payload, in IcmpHeader icmp, bool broadcast)
    {
        // NOTE: an echo request to a broadcast address MAY be silently discarded (RFC 1122,
        // 3.2.2.6); Linux does so by default (icmp_echo_ignore_broadcasts), and so does this host.
        if (broadcast || icmp.Code != 0)
        {
            return true;
        }
        // RFC 792: the reply is the request with the type changed; its source is the address
        // the request was sent to (RFC 1122, 3.2.2.6).
        Span<byte> reply = scratch.AsSpan(0, payload.Length);
        payload.CopyTo(reply);
        IcmpMessage.TryWrap(reply, out IcmpMessage replyMessage);
        new IcmpHeader(IcmpType.EchoReply, 0, icmp.RestOfHeader).Emit(replyMessage);
        if (Send(header.Destination, header.Source, IpProtocol.Icmp, reply) == 0)
        {
            Counters.IcmpEchoReplies++;
        }
        return true;
    }

    // An ICMP error quotes the IPv4 header and at least the first 8 bytes of the datagram it is
    // about (RFC 792); the transport of that datagram hears it when it asked to, provided the
    // quoted datagram left from the address the error came back to.
    private void PassIcmpError(in Ipv4Header header, in IcmpHeader icmp, ReadOnlySpan<byte> quoted)
    {
        if (quoted.Length < Ipv4Packet.MinimumHeaderLength)
        {
            return;
        }
        int quotedHeaderLength = (quoted[0] & 0x0F) * 4;
        if ((quoted[0] >> 4) != 4 || quotedHeaderLength < Ipv4Packet.MinimumHeaderLength || quoted.Length < quotedHeaderLength + 8)
        {
            return;
        }
        // NOTE: the protocol at byte 9, the source at 12 and the destination at 16 (RFC 791, 3.1).
        byte protocol = quoted[9];
        Ipv4Address local = Ipv4Address.Read(quoted.Slice(12));
        Ipv4Address remote = Ipv4Address.Read(quoted.Slice(16));
        if (local != header.Destination)
        {
            return;
        }
        if (transports[protocol] is IIcmpErrorTransport transport)
        {
            Counters.IcmpErrorsReceived++;
            transport.ReceiveIcmpError(icmp.Type, icmp.Code, local, remote, quoted.Slice(quotedHeaderLength));
        }
    }

    // Sends an ICMP error about a received datagram, unless RFC 1122, 3.2.2 forbids one: never
    // about an ICMP error, a datagram sent to a broadcast or multicast address, a datagram whose
    // source is not one host, or a fragment other than the first.
    private void SendIcmpError(Ipv4Address source, Ipv4Address destination, byte protocol, int fragmentOffset,
        ReadOnlySpan<byte> ipHeader, ReadOnlySpan<byte> payload, byte type, byte code, bool broadcast)
    {
        if (broadcast || destination.IsMulticast || destination.IsBroadcast || source.IsAny || source.IsBroadcast ||
            source.IsMulticast || fragmentOffset != 0 || ipHeader.Length < Ipv4Packet.MinimumHeaderLength)
        {
            return;
        }
        if (protocol == IpProtocol.Icmp && (payload.Length < 1 || IcmpType.IsError(payload[0])))
        {
            return;
        }
        if (!TakeIcmpToken())
        {
            Counters.IcmpRateLimited++;
            return;
        }
        int quoted = Math.Min(ipHeader.Length + payload.Length, IcmpErrorLimit - Ipv4Packet.MinimumHeaderLength - IcmpMessage.HeaderLength);
        Span<byte> message = scratch.AsSpan(0, IcmpMessage.HeaderLength + quoted);
        int fromHeader = Math.Min(ipHeader.Length, quoted);
        ipHeader.Slice(0, fromHeader).CopyTo(message.Slice(IcmpMessage.HeaderLength));
        payload.Slice(0, quoted - fromHeader).CopyTo(message.Slice(IcmpMessage.HeaderLength + fromHeader));
        IcmpMessage.TryWrap(message, out IcmpMessage view);
        new IcmpHeader(type, code, 0).Emit(view);
        if (Send(destination, source, IpProtocol.Icmp, message) == 0)
        {
            Counters.IcmpErrorsSent++;
        }
    }

    // A token of the ICMP error rate limit (IPv4's and IPv6's errors share it); false: none left.
    public bool TakeIcmpToken()
    {
        long now = Now;
        long refill = (now - icmpRefilled) * IcmpErrorsPerSecond / 1_000_000_000;
        if (refill > 0)
        {
            icmpTokens = Math.Min(IcmpErrorBurst, icmpTokens + refill);
            icmpRefilled = now;
        }
        if (icmpTokens <= 0)
        {
            return false;
        }
        icmpTokens--;
        return true;
    }

    // A datagram for this host itself: into the loopback queue, taken on a later turn of the
    // scheduler as if it had arrived on a device.
    private int EnqueueLoopback(Ipv4Address source, Ipv4Address destination, byte protocol, ReadOnlySpan<byte> payload)
    {
        int length = Ipv4Packet.MinimumHeaderLength + payload.Length;
        if (loopback.Count >= LoopbackQueueLimit || loopbackBytes + length > LoopbackQueueBytes)
        {
            Counters.LoopbackDropped++;
            return -Errno.ENOBUFS;
        }
        byte[] buffer = Pool.Rent(length);
        new Ipv4Header(source, destination, protocol, payload.Length, Ipv4Header.DefaultTimeToLive, NextIdentification(), false, false, 0, 0)
            .TryEmit(buffer);
        payload.CopyTo(buffer.AsSpan(Ipv4Packet.MinimumHeaderLength));
        loopback.Enqueue(new LoopbackDatagram(buffer, length));
        loopbackBytes += length;
        Counters.LoopbackSent++;
        if (!loopbackScheduled)
        {
            loopbackScheduled = true;
            kernel.Scheduler.Spawn(drainLoopback, null);
        }
        return 0;
    }

    // An IPv6 packet for this host itself, queued as EnqueueLoopback queues IPv4's (the version in
    // its first byte tells the drain which it is).
    private int EnqueueLoopback6(Ipv6Address source, Ipv6Address destination, byte nextHeader, ReadOnlySpan<byte> payload)
    {
        int length = Ipv6Packet.HeaderLength + payload.Length;
        if (loopback.Count >= LoopbackQueueLimit || loopbackBytes + length > LoopbackQueueBytes)
        {
            Counters.LoopbackDropped++;
            return -Errno.ENOBUFS;
        }
        byte[] buffer = Pool.Rent(length);
        new Ipv6Header(source, destination, nextHeader, payload.Length, Ipv6Header.DefaultHopLimit, 0, 0).TryEmit(buffer);
        payload.CopyTo(buffer.AsSpan(Ipv6Packet.HeaderLength));
        loopback.Enqueue(new LoopbackDatagram(buffer, length));
        loopbackBytes += length;
        Counters.LoopbackSent++;
        if (!loopbackScheduled)
        {
            loopbackScheduled = true;
            kernel.Scheduler.Spawn(drainLoopback, null);
        }
        return 0;
    }

    // An IPv6 packet from the loopback queue: to its transport, its checksum checked as any
    // other's. NOTE: a UDP datagram no endpoint takes is dropped, not answered with ICMPv6 port
    // unreachable: IPv6 endpoints take no ICMPv6 errors yet, so the answer would reach no one.
    private void ReceiveLoopback6(Span<byte> bytes)
    {
        if (bytes.IsEmpty)
        {
            return;
        }
        if (!Ipv6Packet.TryWrap(bytes, out Ipv6Packet packet) || !Ipv6Header.TryParse(packet, out Ipv6Header header))
        {
            Counters.Ipv6BadHeader++;
            return;
        }
        Counters.Ipv6Delivered++;
        if (transports[header.NextHeader] is IIpv6Transport transport)
        {
            transport.Receive6(header.Source, header.Destination, packet.Payload, false);
        }
    }

    // Takes the datagrams queued when the drain began; later ones wait for the next turn, so a
    // loopback ping-pong cannot keep the scheduler from other work.
    private void DrainLoopback(object? state)
    {
        loopbackScheduled = false;
        int count = loopback.Count;
        for (int index = 0; index < count; index++)
        {
            LoopbackDatagram datagram = loopback.Dequeue();
            loopbackBytes -= datagram.Length;
            // NOTE: the version is the first byte's high nibble in both headers (RFC 791, RFC 8200).
            bool ipv6 = false;
            if (KernelFeatures.Ipv6)
            {
                ipv6 = (datagram.Buffer[0] >> 4) == 6;
                ReceiveLoopback6(datagram.Buffer.AsSpan(0, ipv6 ? datagram.Length : 0));
            }
            if (!ipv6)
            {
                ReceiveIpv4(null, datagram.Buffer.AsSpan(0, datagram.Length), false);
            }
            Pool.Return(datagram.Buffer);
        }
    }

    // Asks for a tick at deadline (ARP retries, reassembly timeouts). The scheduler cannot cancel
    // a timer, so only an earlier deadline arms a new one; a tick that fires before the deadline
    // now wanted does nothing.
    public void ScheduleTick(long deadline)
    {
        if (deadline >= tickDeadline || kernel.Clock == null)
        {
            return;
        }
        tickDeadline = deadline;
        kernel.Scheduler.ArmTimer(deadline, tick, null);
    }

    private void Tick(object? state)
    {
        long now = Now;
        if (now < tickDeadline)
        {
            return;
        }
        tickDeadline = long.MaxValue;
        long next = reassembly.Expire(now, reassemblyExpired);
        for (int index = 0; index < interfaces.Count; index++)
        {
            next = Math.Min(next, interfaces[index].ArpTick(now));
        }
        if (KernelFeatures.Ipv6)
        {
            for (int index = 0; index < interfaces.Count; index++)
            {
                Ipv6Interface? ipv6 = interfaces[index].Ipv6;
                if (ipv6 != null)
                {
                    next = Math.Min(next, ipv6.Tick(now));
                }
            }
        }
        if (next != long.MaxValue)
        {
            ScheduleTick(next);
        }
    }

    // RFC 1122, 3.3.2: a host that gives up a datagram whose first fragment came SHOULD send
    // time exceeded (code 1), quoting that fragment's header and first 8 bytes.
    private void ReassemblyExpired(int slot)
    {
        Counters.ReassemblyTimeouts++;
        ReadOnlySpan<byte> ipHeader = reassembly.Header(slot);
        Ipv4Address source = Ipv4Address.Read(ipHeader.Slice(12));
        Ipv4Address destination = Ipv4Address.Read(ipHeader.Slice(16));
        SendIcmpError(source, destination, ipHeader[9], 0, ipHeader, reassembly.Start(slot, 8), IcmpType.TimeExceeded,
            IcmpType.CodeReassemblyTimeExceeded, false);
    }

    private readonly struct LoopbackDatagram
    {
        public LoopbackDatagram(byte[] buffer, int length)
        {
            Buffer = buffer;
            Length = length;
        }

        public byte[] Buffer { get; }

        public int Length { get; }
    }
}

// What the stack did, counted: tests and a later /proc/net/snmp read these.
internal sealed class NetCounters
{
    public long FramesReceived { get; set; }

    public long FramesDropped { get; set; }

    // Frames the interfaces' devices dropped before the stack saw them, and the times a device's
    // receive queue was full and it held frames back where they came from (INetDevice).
    public long DeviceReceiveDropped { get; set; }

    public long DeviceReceiveHeldBack { get; set; }

    public long FramesSent { get; set; }

    // Of FramesSent, those holding a TCP segment the device was to cut to the MTU (FrameOffload).
    public long SegmentOffloadsSent { get; set; }

    public long TransmitRefused { get; set; }

    public long ArpRequestsSent { get; set; }

    public long ArpRepliesSent { get; set; }

    public long ArpAnnouncementsSent { get; set; }

    public long ArpDropped { get; set; }

    public long ArpGaveUp { get; set; }

    public long ArpQueueDropped { get; set; }

    public long Ipv4Received { get; set; }

    public long Ipv4BadHeader { get; set; }

    // Of Ipv4BadHeader, those whose header checksum was wrong (Linux's InCsumErrors).
    public long Ipv4BadChecksum { get; set; }

    public long Ipv4BadAddress { get; set; }

    public long Ipv4NotForUs { get; set; }

    public long Ipv4Delivered { get; set; }

    public long FragmentsReceived { get; set; }

    public long FragmentsSent { get; set; }

    public long Reassembled { get; set; }

    public long ReassemblyTimeouts { get; set; }

    public long NoTransport { get; set; }

    public long NoEndpoint { get; set; }

    public long IcmpBad { get; set; }

    public long IcmpEchoReplies { get; set; }

    // Echo requests dropped because the kernel does not answer them (UnikraftIcmpEcho=false).
    public long IcmpEchoIgnored { get; set; }

    public long IcmpErrorsSent { get; set; }

    public long IcmpErrorsReceived { get; set; }

    public long IcmpRateLimited { get; set; }

    public long LoopbackSent { get; set; }

    // IPv6 (Ipv6Interface): frames of EtherType 0x86DD taken, refused (a bad header, a bad
    // source or destination, another host's or a group not joined), handed on, and dropped for a
    // malformed or refused extension header or answered with a parameter problem (unknown next header).
    public long Ipv6Received { get; set; }

    public long Ipv6BadHeader { get; set; }

    public long Ipv6BadAddress { get; set; }

    public long Ipv6NotForUs { get; set; }

    public long Ipv6Delivered { get; set; }

    public long Ipv6ExtensionDropped { get; set; }

    public long Ipv6UnknownNextHeader { get; set; }

    public long Icmpv6Bad { get; set; }

    public long Icmpv6EchoReplies { get; set; }

    public long Icmpv6ErrorsSent { get; set; }

    // ICMPv6 errors received that quote a packet of this host's (Ipv6Interface.ReceiveError).
    public long Icmpv6ErrorsReceived { get; set; }

    // Fragments (Ipv6Reassembly): received, packets they completed, packets timed out; fragments
    // sent; path MTUs lowered by packet too big.
    public long Ipv6FragmentsReceived { get; set; }

    public long Ipv6Reassembled { get; set; }

    public long Ipv6ReassemblyTimeouts { get; set; }

    public long Ipv6FragmentsSent { get; set; }

    public long Ipv6PathMtuLowered { get; set; }

    // Router advertisements taken, and refused (not from a link-local source with hop limit 255,
    // or malformed).
    public long RouterAdvertisementsReceived { get; set; }

    public long RouterAdvertisementsDropped { get; set; }

    public long RouterSolicitationsSent { get; set; }

    // Duplicate address detection: probes sent, addresses found in use by another host.
    public long DuplicateAddressProbesSent { get; set; }

    public long DuplicateAddresses { get; set; }

    // UDP over IPv6 for a port no endpoint holds (answered with port unreachable, rate allowing).
    public long Udp6NoPort { get; set; }

    // Neighbor Discovery (NeighborCache): solicitations sent, advertisements sent, messages that
    // failed RFC 4861's checks, neighbors given up, packets dropped from their queues.
    public long NeighborSolicitationsSent { get; set; }

    public long NeighborAdvertisementsSent { get; set; }

    public long NeighborDropped { get; set; }

    public long NeighborGaveUp { get; set; }

    // Neighbor unreachability detection (RFC 4861, 7.3): unicast probes sent (NeighborSolicitationsSent
    // counts them too), and entries removed when the probes went unanswered.
    public long NeighborProbesSent { get; set; }

    public long NeighborUnreachable { get; set; }

    public long NeighborQueueDropped { get; set; }

    // Addresses made from an advertised prefix (passt's Address6="auto").
    public long AddressesAutoconfigured { get; set; }

    public long LoopbackDropped { get; set; }
}
