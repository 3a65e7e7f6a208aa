namespace Unikraft.Kernel;

using System;
using System.Collections.Generic;

// One IPv4 interface on one Ethernet device: its address, prefix and optional gateway, its ARP
// cache, and the frames in and out. The device's interrupt drains every waiting frame; ARP is
// answered and learned here, IPv4 goes up to the stack. Output resolves the next hop, queues
// behind ARP while it resolves, and fragments datagrams longer than the MTU (RFC 791, 3.2).
internal sealed class NetInterface
{
    private readonly NetStack stack;
    private readonly ArpCache arp = new ArpCache();
    private readonly byte[] receiveBuffer;
    private readonly byte[] transmitBuffer;
    private readonly Action drain;
    // The device's receive counts the stack's counters have taken, and those the last log line
    // about them covered.
    private long seenDropped;
    private long seenHeldBack;
    private long loggedDropped;
    private long loggedHeldBack;
    private bool troubleLogged;
    private long troubleLoggedAt;

    public NetInterface(NetStack stack, string name, INetDevice device, Ipv4Address address, int prefixLength, Ipv4Address gateway)
    {
        this.stack = stack;
        Name = name;
        Device = device;
        Address = address;
        PrefixLength = prefixLength;
        Gateway = gateway;
        receiveBuffer = new byte[device.Info.MaximumReceiveFrameLength];
        transmitBuffer = new byte[device.Info.MaximumTransmitFrameLength];
        drain = new Action(Drain);
    }

    public string Name { get; }

    public INetDevice Device { get; }

    public Ipv4Address Address { get; }

    public int PrefixLength { get; }

    // Any: no gateway, only the subnet is reachable.
    public Ipv4Address Gateway { get; }

    public MacAddress Mac => Device.Info.Mac;

    public int Mtu => Device.Info.Mtu;

    // The longest IPv4 datagram holding one TCP segment that the device cuts to the MTU itself
    // (NetDeviceInfo.SegmentOffload); 0 when it cannot.
    public int SegmentOffload => Device.Info.SegmentOffload;

    public ArpCache Arp => arp;

    // The interface's IPv6, when the project gave it an IPv6 address (EnableIpv6); null: IPv4 only.
    public Ipv6Interface? Ipv6 { get; private set; }

    // Turns IPv6 on: the link-local address from the MAC and the configured addresses.
    public Ipv6Interface EnableIpv6(Ipv6Address[] addresses, int[] prefixLengths)
    {
        Ipv6 = new Ipv6Interface(stack, this, addresses, prefixLengths);
        return Ipv6;
    }

    // The subnet's directed broadcast address (all host bits set); none for a /31 or /32.
    public Ipv4Address SubnetBroadcast => new Ipv4Address(Address.Value | ~Ipv4Address.Mask(PrefixLength).Value);

    public bool IsOnLink(Ipv4Address destination) => destination.IsInSubnet(Address, PrefixLength);

    // Whether a datagram to destination is this interface's to take: its address, the limited
    // broadcast, or its subnet's broadcast (RFC 1122, 3.3.6).
    public bool Accepts(Ipv4Address destination)
    {
        return destination == Address || destination.IsBroadcast || (PrefixLength < 31 && destination == SubnetBroadcast);
    }

    public bool IsBroadcastFor(Ipv4Address destination)
    {
        return destination.IsBroadcast || (PrefixLength < 31 && destination == SubnetBroadcast);
    }

    // Starts taking frames: from now on the device's interrupt drains it on the vCPU.
    public void Start(Scheduler scheduler)
    {
        Device.ListenForFrames(scheduler, drain);
    }

    // Tells the link this host's address and hardware address, once, as the boot brings the
    // interface up: a switch, or a user-mode network such as passt, learns the hardware address
    // from the first frame this host sends, and until then has nowhere to send a connection that
    // arrives first (passt sends it to 00:00:00:00:00:00, which is dropped here).
    // NOTE: RFC 5227, 2.3: an ARP Announcement is a broadcast request whose sender and target
    // addresses are both the address being announced; it also refreshes stale caches of peers.
    public void Announce()
    {
        ArpMessage announcement = new ArpMessage(ArpOperation.Request, Mac, Address, new MacAddress(0), Address);
        SendArp(announcement, MacAddress.Broadcast);
        stack.Counters.ArpAnnouncementsSent++;
    }

    // The device's interrupt: takes every waiting frame (a report may stand for many).
    public void Drain()
    {
        while (Device.TryReceive(receiveBuffer, out int length, out FrameOffload offload))
        {
            if (length > receiveBuffer.Length)
            {
                continue;
            }
            Receive(receiveBuffer.AsSpan(0, length), offload);
        }
        TakeDeviceCounts();
    }

    // NOTE: at most one log line about the device's receive side every 10 s (as the kernel log
    // lines of Linux's net_ratelimit, 10 per 5 s, are few): a kernel that falls behind a flood
    // should not also flood its log.
    private const long TroubleLogInterval = 10_000_000_000;

    // What the device dropped or held back since the last drain goes into the stack's counters,
    // and into a log line when the last one is old enough.
    private void TakeDeviceCounts()
    {
        long dropped = Device.ReceiveDropped;
        long heldBack = Device.ReceiveHeldBack;
        if (dropped == seenDropped && heldBack == seenHeldBack)
        {
            return;
        }
        stack.Counters.DeviceReceiveDropped += dropped - seenDropped;
        stack.Counters.DeviceReceiveHeldBack += heldBack - seenHeldBack;
        seenDropped = dropped;
        seenHeldBack = heldBack;
        long now = stack.Now;
        if (troubleLogged && now - troubleLoggedAt < TroubleLogInterval)
        {
            return;
        }
        troubleLogged = true;
        troubleLoggedAt = now;
        stack.Log.Write("[uk] net " + Name + ": the kernel did not keep up with received frames: the device dropped " +
            (dropped - loggedDropped).ToString(System.Globalization.CultureInfo.InvariantCulture) + " and held back its receive queue " +
            (heldBack - loggedHeldBack).ToString(System.Globalization.CultureInfo.InvariantCulture) + " times since the last report");
        loggedDropped = dropped;
        loggedHeldBack = heldBack;
    }

    // One frame from the device.
    public void Receive(Span<byte> bytes) => Receive(bytes, FrameOffload.None);

    // One frame from the device, with what the device said of it: a transport checksum it
    // vouches for is not checked again up the stack.
    public void Receive(Span<byte> bytes, in FrameOffload offload)
    {
        stack.Counters.FramesReceived++;
        if (!EthernetFrame.TryWrap(bytes, out EthernetFrame frame) || !EthernetHeader.TryParse(frame, out EthernetHeader header))
        {
            stack.Counters.FramesDropped++;
            return;
        }
        if (KernelFeatures.Ipv6)
        {
            // IPv6 filters its own destinations: its groups' 33:33 addresses besides this MAC.
            if (header.EtherType == EtherType.Ipv6 && Ipv6 != null)
            {
                Ipv6.Receive(frame.Payload, header, offload.ChecksumTrusted);
                return;
            }
        }
        if (!header.Destination.Equals(Mac) && !header.Destination.IsBroadcast)
        {
            // Another host's unicast, or a multicast group this host never joined.
            stack.Counters.FramesDropped++;
            return;
        }
        switch (header.EtherType)
        {
            case EtherType.Arp:
                ReceiveArp(frame.Payload);
                break;
            case EtherType.Ipv4:
                stack.ReceiveIpv4(this, frame.Payload, header.Destination.IsBroadcast, offload.ChecksumTrusted);
                break;
            default:
                stack.Counters.FramesDropped++;
                break;
        }
    }

    // RFC 826, "Packet Reception": update the sender's entry if there is one; if the packet is
    // for this host, add the sender if it was missing, and answer a request.
    private void ReceiveArp(Span<byte> bytes)
    {
        if (!ArpPacket.TryWrap(bytes, out ArpPacket packet) || !ArpMessage.TryParse(packet, out ArpMessage message) ||
            message.SenderMac.IsGroup || message.SenderAddress.IsBroadcast || message.SenderAddress.IsMulticast)
        {
            stack.Counters.ArpDropped++;
            return;
        }
        long now = stack.Now;
        bool forUs = message.TargetAddress == Address;
        // An ARP probe (sender 0.0.0.0, RFC 5227) teaches nothing about its sender.
        ArpEntry? entry = message.SenderAddress.IsAny || message.SenderAddress == Address
            ? null
            : arp.Learn(message.SenderAddress, message.SenderMac, now, forUs);
        if (entry != null)
        {
            SendQueued(entry);
        }
        if (forUs && message.Operation == ArpOperation.Request)
        {
            ArpMessage reply = new ArpMessage(ArpOperation.Reply, Mac, Address, message.SenderMac, message.SenderAddress);
            SendArp(reply, message.SenderMac);
            stack.Counters.ArpRepliesSent++;
        }
    }

    // Sends the datagrams that waited for an entry now resolved.
    private void SendQueued(ArpEntry entry)
    {
        while (arp.TryDequeue(entry, out PendingDatagram datagram))
        {
            Transmit(entry.Mac, datagram.Source, datagram.Destination, datagram.Protocol,
                datagram.Buffer.AsSpan(0, datagram.Length), stack.NextIdentification());
            stack.Pool.Return(datagram.Buffer);
        }
    }

    // Sends one datagram whose next hop on this link is nextHop: at once when its hardware
    // address is known, else behind an ARP request. 0, or -errno.
    public int Output(Ipv4Address source, Ipv4Address destination, Ipv4Address nextHop, byte protocol, ReadOnlySpan<byte> payload)
    {
        if (IsBroadcastFor(destination))
        {
            return Transmit(MacAddress.Broadcast, source, destination, protocol, payload, stack.NextIdentification());
        }
        long now = stack.Now;
        if (arp.TryLookup(nextHop, now, out MacAddress mac))
        {
            return Transmit(mac, source, destination, protocol, payload, stack.NextIdentification());
        }
        ArpEntry? entry = arp.Resolving(nextHop, now);
        if (entry == null)
        {
            return -Errno.ENOBUFS;
        }
        if (entry.FailedUntil != 0)
        {
            if (entry.FailedUntil > now)
            {
                return -Errno.EHOSTUNREACH;
            }
            entry.FailedUntil = 0;
            entry.Requests = 0;
        }
        byte[] buffer = stack.Pool.Rent(payload.Length);
        payload.CopyTo(buffer);
        if (!arp.Enqueue(entry, new PendingDatagram(buffer, payload.Length, source, destination, protocol), stack.Pool, out bool droppedOne))
        {
            stack.Pool.Return(buffer);
            return -Errno.ENOBUFS;
        }
        if (droppedOne)
        {
            stack.Counters.ArpQueueDropped++;
        }
        if (entry.Requests == 0)
        {
            // The first request goes out now; the rate limit spaces the retries (ArpTick).
            SendRequest(entry, now);
        }
        return 0;
    }

    // Retries due requests, gives up on addresses that never answered; returns the next deadline.
    public long ArpTick(long now)
    {
        List<ArpEntry> due = arp.Due(now, out long next);
        for (int index = 0; index < due.Count; index++)
        {
            ArpEntry entry = due[index];
            if (entry.Requests >= ArpCache.MaximumRequests)
            {
                stack.Counters.ArpGaveUp++;
                stack.Counters.ArpQueueDropped += arp.DropQueue(entry, stack.Pool);
                entry.FailedUntil = now + ArpCache.FailedHold;
                continue;
            }
            SendRequest(entry, now);
            if (entry.NextRequest < next)
            {
                next = entry.NextRequest;
            }
        }
        return next;
    }

    private void SendRequest(ArpEntry entry, long now)
    {
        entry.Requests++;
        entry.NextRequest = now + ArpCache.RequestInterval;
        stack.ScheduleTick(entry.NextRequest);
        ArpMessage request = new ArpMessage(ArpOperation.Request, Mac, Address, new MacAddress(0), entry.Address);
        SendArp(request, MacAddress.Broadcast);
        stack.Counters.ArpRequestsSent++;
    }

    private void SendArp(ArpMessage message, MacAddress destination)
    {
        // NOTE: Ethernet's minimum frame is 60 bytes without the FCS (IEEE 802.3); an ARP frame
        // is 42, so it goes out padded with zeros as Linux pads it.
        const int minimumFrame = 60;
        Span<byte> frame = transmitBuffer.AsSpan(0, minimumFrame);
        frame.Clear();
        EthernetFrame.TryWrap(frame, out EthernetFrame ethernet);
        new EthernetHeader(destination, Mac, EtherType.Arp).Emit(ethernet);
        ArpPacket.TryWrap(ethernet.Payload, out ArpPacket packet);
        message.Emit(packet);
        if (!Device.TryTransmit(frame))
        {
            stack.Counters.TransmitRefused++;
        }
    }

    // Sends one TCP segment (header and data, its checksum field holding the pseudo-header's sum)
    // for the device to complete its checksum and, when it is longer than the MTU allows, to cut
    // into segments of segmentSize data bytes. Only to a next hop whose hardware address is
    // known: a segment that would wait for ARP answers -EHOSTUNREACH at once (the ARP queue
    // holds datagrams it may send in fragments), and TCP sends its pieces one by one instead,
    // by the ordinary path, which waits there. 0, or -errno.
    public int OutputTcpOffloaded(Ipv4Address source, Ipv4Address destination, Ipv4Address nextHop, ReadOnlySpan<byte> segment, int segmentSize)
    {
        int datagramLength = Ipv4Packet.MinimumHeaderLength + segment.Length;
        if (SegmentOffload == 0 || datagramLength > SegmentOffload || segment.Length < TcpSegment.HeaderLength)
        {
            return -Errno.EMSGSIZE;
        }
        if (!arp.TryLookup(nextHop, stack.Now, out MacAddress mac))
        {
            return -Errno.EHOSTUNREACH;
        }
        int frameLength = EthernetFrame.HeaderLength + datagramLength;
        Span<byte> frame = transmitBuffer.AsSpan(0, frameLength);
        EthernetFrame.TryWrap(frame, out EthernetFrame ethernet);
        new EthernetHeader(mac, Mac, EtherType.Ipv4).Emit(ethernet);
        new Ipv4Header(source, destination, IpProtocol.Tcp, segment.Length, Ipv4Header.DefaultTimeToLive, stack.NextIdentification(),
            false, false, 0, 0).TryEmit(ethernet.Payload);
        segment.CopyTo(ethernet.Payload.Slice(Ipv4Packet.MinimumHeaderLength));
        const int checksumStart = EthernetFrame.HeaderLength + Ipv4Packet.MinimumHeaderLength;
        FrameOffload offload = datagramLength > Mtu
            ? FrameOffload.SegmentTcp(checksumStart, TcpSegment.ChecksumOffset, checksumStart + TcpSegment.HeaderLengthOf(segment), segmentSize)
            : FrameOffload.CompleteChecksum(checksumStart, TcpSegment.ChecksumOffset);
        if (!Device.TryTransmit(frame, offload))
        {
            stack.Counters.TransmitRefused++;
            return -Errno.ENOBUFS;
        }
        stack.Counters.FramesSent++;
        if (offload.IsSegmented)
        {
            stack.Counters.SegmentOffloadsSent++;
        }
        return 0;
    }

    // Builds and sends the frames of one datagram, in fragments when it is longer than the MTU.
    private int Transmit(MacAddress destinationMac, Ipv4Address source, Ipv4Address destination, byte protocol,
        ReadOnlySpan<byte> payload, ushort identification)
    {
        // NOTE: each fragment but the last carries a multiple of 8 bytes (RFC 791, 3.2).
        int room = (Mtu - Ipv4Packet.MinimumHeaderLength) & ~(Ipv4Packet.FragmentUnit - 1);
        if (room <= 0)
        {
            return -Errno.EMSGSIZE;
        }
        bool fragmented = payload.Length + Ipv4Packet.MinimumHeaderLength > Mtu;
        int offset = 0;
        do
        {
            // A datagram that fits the MTU goes whole: only fragments need the 8-byte multiple.
            int length = fragmented ? Math.Min(room, payload.Length - offset) : payload.Length;
            bool more = offset + length < payload.Length;
            int frameLength = EthernetFrame.HeaderLength + Ipv4Packet.MinimumHeaderLength + length;
            Span<byte> frame = transmitBuffer.AsSpan(0, frameLength);
            EthernetFrame.TryWrap(frame, out EthernetFrame ethernet);
            new EthernetHeader(destinationMac, Mac, EtherType.Ipv4).Emit(ethernet);
            Ipv4Header header = new Ipv4Header(source, destination, protocol, length, Ipv4Header.DefaultTimeToLive, identification,
                false, more, offset, 0);
            header.TryEmit(ethernet.Payload);
            payload.Slice(offset, length).CopyTo(ethernet.Payload.Slice(Ipv4Packet.MinimumHeaderLength));
            if (!Device.TryTransmit(frame))
            {
                stack.Counters.TransmitRefused++;
                return -Errno.ENOBUFS;
            }
            stack.Counters.FramesSent++;
            if (fragmented)
            {
                stack.Counters.FragmentsSent++;
            }
            offset += length;
        }
        while (offset < payload.Length);
        return 0;
    }
}
