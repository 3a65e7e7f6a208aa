namespace Unikraft.Kernel.Tests.Net.Tcp;

using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using Unikraft.Kernel;
using Unikraft.Kernel.Tests.Net.Interface;
using Unikraft.Kernel.Tests.Net.Wire;
using Xunit;

// TCP over IPv6 between two kernels on one Ethernet link (hosts A and B of CapturedFrames6, each
// with 2001:2::/64 and 198.18.0.0/24): every frame one sends is handed to the other, so neighbor
// discovery, ARP and the TCP of both sides run as they would on a wire.
public class Tcp6Tests
{
    private const ushort Port = 8080;

    [Fact]
    public void Handshake_DataBothWays_AndClose_OverIpv6()
    {
        Tcp6Link link = new Tcp6Link();
        TcpSocket listener = link.A.Tcp.CreateSocket6();
        Assert.Equal(0, listener.Bind6(Ipv6Address.Unspecified, Port));
        Assert.Equal(0, listener.Listen(4));
        TcpSocket client = link.B.Tcp.CreateSocket6();

        Assert.Equal(-Errno.EINPROGRESS, client.Connect6(CapturedFrames6.AddressA, Port));
        link.Pump();

        Assert.Equal(TcpState.Established, client.State);
        Assert.Equal(0, listener.Accept(out TcpSocket? server));
        Assert.NotNull(server);
        Assert.Equal(TcpState.Established, server.State);
        Assert.Equal(CapturedFrames6.AddressB, server.RemoteAddress6);
        Assert.Equal(client.LocalPort, server.RemotePort);
        Assert.Equal(CapturedFrames6.AddressA, server.LocalAddress6);
        Assert.Equal(CapturedFrames6.AddressB, client.LocalAddress6);
        // The SYN and SYN-ACK travelled in IPv6 (next header 6) and offered the MSS of a 1500-byte
        // MTU less 40 bytes of IPv6 header and 20 of TCP: 1440.
        TcpHeader syn = link.Segments.Find(s => s.Header.HasFlag(TcpFlags.Syn) && !s.Header.HasFlag(TcpFlags.Ack)).Header;
        TcpHeader synAck = link.Segments.Find(s => s.Header.HasFlag(TcpFlags.Syn) && s.Header.HasFlag(TcpFlags.Ack)).Header;
        Assert.Equal(1440, syn.MaximumSegmentSize);
        Assert.Equal(1440, synAck.MaximumSegmentSize);
        Assert.All(link.Segments, s => Assert.True(s.Ipv6, "a segment of this connection left in IPv4"));

        byte[] upload = Pattern(200_000, 3);
        byte[] download = Pattern(150_000, 5);
        byte[] uploaded = link.Move(client, server, upload);
        byte[] downloaded = link.Move(server, client, download);
        Assert.Equal(upload, uploaded);
        Assert.Equal(download, downloaded);
        // Every data segment fits the MSS less the timestamps option (1428 bytes) and one frame.
        Assert.All(link.Segments, s => Assert.True(s.DataLength <= 1428, "a segment of " + s.DataLength + " bytes"));
        Assert.Equal(0, link.A.Tcp.ChecksumErrors + link.B.Tcp.ChecksumErrors);

        client.Close();
        link.Pump();
        Assert.Equal(0, server.Receive(new byte[16], false));
        server.Close();
        link.Pump();
        Assert.Equal(TcpState.TimeWait, client.State);
        Assert.Equal(TcpState.Closed, server.State);
    }

    [Fact]
    public void ClosedPort_AnswersRstOverIpv6_AndTheConnectIsRefused()
    {
        Tcp6Link link = new Tcp6Link();
        TcpSocket client = link.B.Tcp.CreateSocket6();

        Assert.Equal(-Errno.EINPROGRESS, client.Connect6(CapturedFrames6.AddressA, 81));
        link.Pump();

        Assert.Equal(1, link.A.Tcp.ResetsSent);
        Assert.Equal(TcpState.Closed, client.State);
        Assert.Equal(Errno.ECONNREFUSED, client.TakeError());
        SentSegment reset = link.Segments.Find(s => s.Header.HasFlag(TcpFlags.Rst));
        Assert.True(reset.Ipv6);
        Assert.True(reset.ChecksumValid, "the RST's checksum over the IPv6 pseudo-header");
        Assert.Equal(81, reset.Header.SourcePort);
        Assert.Equal(client.LocalPort, reset.Header.DestinationPort);
    }

    [Fact]
    public void DualStackListener_AcceptsAnIpv4Client_AsAMappedAddress()
    {
        Tcp6Link link = new Tcp6Link();
        TcpSocket listener = link.A.Tcp.CreateSocket6();
        Assert.Equal(0, listener.Bind6(Ipv6Address.Unspecified, Port));
        Assert.Equal(0, listener.Listen(4));
        TcpSocket client4 = link.B.Tcp.CreateSocket();
        TcpSocket client6 = link.B.Tcp.CreateSocket6();

        Assert.Equal(-Errno.EINPROGRESS, client4.Connect(CapturedFrames.AddressA, Port));
        Assert.Equal(-Errno.EINPROGRESS, client6.Connect6(CapturedFrames6.AddressA, Port));
        link.Pump();

        Assert.Equal(0, listener.Accept(out TcpSocket? first));
        Assert.Equal(0, listener.Accept(out TcpSocket? second));
        Assert.Equal(Ipv6Address.MapIpv4(CapturedFrames.AddressB), first!.RemoteAddress6);
        Assert.Equal(Ipv6Address.MapIpv4(CapturedFrames.AddressA), first.LocalAddress6);
        Assert.Equal(CapturedFrames6.AddressB, second!.RemoteAddress6);
        Assert.Contains(link.Segments, s => !s.Ipv6 && s.Header.HasFlag(TcpFlags.Syn) && s.Header.HasFlag(TcpFlags.Ack));
        Assert.Equal(new byte[] { 1, 2, 3 }, link.Move(client4, first, new byte[] { 1, 2, 3 }));
        Assert.Equal(new byte[] { 4, 5 }, link.Move(second, client6, new byte[] { 4, 5 }));
    }

    [Fact]
    public void V6OnlyListener_RefusesIpv4_AndAnIpv4ListenerRefusesIpv6()
    {
        Tcp6Link link = new Tcp6Link();
        TcpSocket only6 = link.A.Tcp.CreateSocket6();
        only6.V6Only = true;
        Assert.Equal(-Errno.EINVAL, only6.Bind6(Ipv6Address.MapIpv4(CapturedFrames.AddressA), Port));
        Assert.Equal(0, only6.Bind6(Ipv6Address.Unspecified, Port));
        Assert.Equal(0, only6.Listen(4));
        TcpSocket only4 = link.A.Tcp.CreateSocket();
        Assert.Equal(0, only4.Bind(Ipv4Address.Any, Port + 1));
        Assert.Equal(0, only4.Listen(4));

        TcpSocket to6Only = link.B.Tcp.CreateSocket();
        TcpSocket to4Only = link.B.Tcp.CreateSocket6();
        Assert.Equal(-Errno.EINPROGRESS, to6Only.Connect(CapturedFrames.AddressA, Port));
        Assert.Equal(-Errno.EINPROGRESS, to4Only.Connect6(CapturedFrames6.AddressA, Port + 1));
        link.Pump();

        Assert.Equal(Errno.ECONNREFUSED, to6Only.TakeError());
        Assert.Equal(Errno.ECONNREFUSED, to4Only.TakeError());
        Assert.Equal(-Errno.EAGAIN, only6.Accept(out _));
        Assert.Equal(-Errno.EAGAIN, only4.Accept(out _));
        // A v6-only socket reaches no IPv4 address either (Linux's tcp_v6_connect).
        TcpSocket v6only = link.B.Tcp.CreateSocket6();
        v6only.V6Only = true;
        Assert.Equal(-Errno.ENETUNREACH, v6only.Connect6(Ipv6Address.MapIpv4(CapturedFrames.AddressA), Port));
    }

    [Fact]
    public void SegmentWithThePseudoHeaderSumOnly_IsTakenWhenTheDeviceVouchesForIt()
    {
        Tcp6Link link = new Tcp6Link();
        TcpSocket listener = link.A.Tcp.CreateSocket6();
        Assert.Equal(0, listener.Bind6(Ipv6Address.Unspecified, Port));
        Assert.Equal(0, listener.Listen(4));
        TcpSocket client = link.B.Tcp.CreateSocket6();
        Assert.Equal(-Errno.EINPROGRESS, client.Connect6(CapturedFrames6.AddressA, Port));
        // Neighbor discovery first: B's solicitation, A's advertisement; the SYN then leaves.
        link.Pump(stopAtTcp: true);
        byte[] syn = link.B.Device.Sent.Find(IsTcp6)!;
        link.B.Device.Sent.Clear();
        int tcpStart = EthernetFrame.HeaderLength + Ipv6Packet.HeaderLength;
        // What a TAP device hands up from the host's stack with checksum offload: only the
        // pseudo-header's sum in the field, folded and not complemented (CHECKSUM_PARTIAL).
        uint pseudo = Checksum.PseudoHeader(CapturedFrames6.AddressB, CapturedFrames6.AddressA, IpProtocol.Tcp, syn.Length - tcpStart);
        BinaryPrimitives.WriteUInt16BigEndian(syn.AsSpan(tcpStart + TcpSegment.ChecksumOffset), (ushort)~Checksum.Finish(pseudo));

        link.A.Device.Inject(syn);
        Assert.Equal(1, link.A.Tcp.ChecksumErrors);
        Assert.Empty(link.A.Device.Sent.FindAll(IsTcp6));

        link.A.Device.Inject(syn, FrameOffload.Trusted);
        Assert.Equal(1, link.A.Tcp.ChecksumErrors);
        Assert.Single(link.A.Device.Sent.FindAll(IsTcp6));
        link.Pump();
        Assert.Equal(TcpState.Established, client.State);
        Assert.Equal(0, listener.Accept(out TcpSocket? server));
        Assert.Equal(CapturedFrames6.AddressB, server!.RemoteAddress6);
    }

    [Fact]
    public void IsnsAndPortsAreHashedOverTheWholeIpv6Addresses()
    {
        Tcp6Link link = new Tcp6Link();
        TcpEndpoints one = new TcpEndpoints(CapturedFrames6.AddressB, 50000, CapturedFrames6.AddressA, 80);
        TcpEndpoints other = new TcpEndpoints(new Ipv6Address(CapturedFrames6.AddressB.High ^ 1, CapturedFrames6.AddressB.Low), 50000,
            CapturedFrames6.AddressA, 80);
        Assert.False(one.IsIpv4);
        Assert.NotEqual(link.B.Tcp.InitialSequence(one, 0), link.B.Tcp.InitialSequence(other, 0));
        Assert.NotEqual(link.B.Tcp.TimestampOffset(one), link.B.Tcp.TimestampOffset(other));
        // An IPv4 4-tuple keeps the key it always had: its mapped form is IPv4.
        Assert.True(new TcpEndpoints(CapturedFrames.AddressB, 50000, CapturedFrames.AddressA, 80).IsIpv4);
    }

    [Fact]
    public void ConnectOffTheLink_IsNetworkUnreachable()
    {
        Tcp6Link link = new Tcp6Link();
        TcpSocket client = link.B.Tcp.CreateSocket6();
        Assert.Equal(-Errno.ENETUNREACH, client.Connect6(new Ipv6Address(0x2001_0db8_0000_0000, 1), Port));
        Assert.Equal(-Errno.EADDRNOTAVAIL, link.B.Tcp.CreateSocket6().Bind6(CapturedFrames6.AddressA, Port));
        Assert.Equal(0, link.B.Tcp.CreateSocket6().Bind6(CapturedFrames6.LinkLocalB, Port));
    }

    // The socket calls of an AF_INET6 stream socket with a peer across the link: accept4 and
    // getpeername give sockaddr_in6 with the IPv6 peer, and with an IPv4 peer of a dual-stack
    // listener, ::ffff:a.b.c.d; getsockname the address the connection came to.
    [Fact]
    public void Inet6StreamSockets_AcceptBothFamilies_AndNameThemWithSockaddrIn6()
    {
        Tcp6Link link = new Tcp6Link(socketsOnA: true);
        Kernel a = link.A.Kernel;
        long listener = Sys.Socket(a, SocketFamily.AF_INET6, SocketTypes.SOCK_STREAM | SocketTypes.SOCK_NONBLOCK, 0);
        Assert.True(listener >= 0, "socket = " + listener);
        Assert.Equal(0, Sys.Bind(a, (int)listener, Inet6(Ipv6Address.Unspecified, Port)));
        Assert.Equal(0, Sys.Listen(a, (int)listener, 8));
        TcpSocket client6 = link.B.Tcp.CreateSocket6();
        TcpSocket client4 = link.B.Tcp.CreateSocket();
        Assert.Equal(-Errno.EINPROGRESS, client6.Connect6(CapturedFrames6.AddressA, Port));
        link.Pump();
        Assert.Equal(-Errno.EINPROGRESS, client4.Connect(CapturedFrames.AddressA, Port));
        link.Pump();

        byte[] peer = new byte[SocketAddress.Inet6Length];
        int peerLength = peer.Length;
        long server6 = Sys.Accept4(a, (int)listener, peer, ref peerLength, SocketTypes.SOCK_NONBLOCK);
        Assert.True(server6 >= 0, "accept4 = " + server6);
        Assert.Equal(SocketAddress.Inet6Length, peerLength);
        Assert.Equal(Inet6(CapturedFrames6.AddressB, client6.LocalPort), peer);
        Assert.Equal(Inet6(CapturedFrames6.AddressA, Port), SockName(a, (int)server6));

        peerLength = peer.Length;
        long server4 = Sys.Accept4(a, (int)listener, peer, ref peerLength, SocketTypes.SOCK_NONBLOCK);
        Assert.True(server4 >= 0, "accept4 = " + server4);
        Assert.Equal(Inet6(Ipv6Address.MapIpv4(CapturedFrames.AddressB), client4.LocalPort), peer);
        Assert.Equal(Inet6(Ipv6Address.MapIpv4(CapturedFrames.AddressA), Port), SockName(a, (int)server4));
        Assert.Equal(-Errno.EAGAIN, Sys.Accept4(a, (int)listener, peer, ref peerLength, 0));

        Assert.Equal(5, Sys.Write(a, (int)server6, "hello"u8));
        link.Pump();
        byte[] buffer = new byte[16];
        Assert.Equal(5, client6.Receive(buffer, false));
        Assert.Equal("hello"u8.ToArray(), buffer.AsSpan(0, 5).ToArray());

        // connect(2) from an AF_INET6 socket of A to B's listener, non-blocking.
        TcpSocket listenerB = link.B.Tcp.CreateSocket6();
        Assert.Equal(0, listenerB.Bind6(Ipv6Address.Unspecified, 9090));
        Assert.Equal(0, listenerB.Listen(4));
        long outgoing = Sys.Socket(a, SocketFamily.AF_INET6, SocketTypes.SOCK_STREAM | SocketTypes.SOCK_NONBLOCK, 0);
        Assert.Equal(-Errno.EINPROGRESS, Sys.Connect(a, (int)outgoing, Inet6(CapturedFrames6.AddressB, 9090)));
        link.Pump();
        Assert.Equal(0, listenerB.Accept(out TcpSocket? accepted));
        Assert.Equal(CapturedFrames6.AddressA, accepted!.RemoteAddress6);
        byte[] name = new byte[SocketAddress.Inet6Length];
        int nameLength = name.Length;
        Assert.Equal(0, Sys.Getpeername(a, (int)outgoing, name, ref nameLength));
        Assert.Equal(Inet6(CapturedFrames6.AddressB, 9090), name);
    }

    private static byte[] Inet6(Ipv6Address address, ushort port)
    {
        byte[] bytes = new byte[SocketAddress.Inet6Length];
        BinaryPrimitives.WriteUInt16LittleEndian(bytes, SocketFamily.AF_INET6);
        BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(2), port);
        address.Write(bytes.AsSpan(8));
        return bytes;
    }

    private static byte[] SockName(Kernel kernel, int fd)
    {
        byte[] name = new byte[SocketAddress.Inet6Length];
        int length = name.Length;
        Assert.Equal(0, Sys.Getsockname(kernel, fd, name, ref length));
        Assert.Equal(SocketAddress.Inet6Length, length);
        return name;
    }

    // On devices that cut segments themselves (a TAP device with TUN_F_TSO6), an IPv6 connection
    // hands them segments of many MSS at once, asking for virtio's GSO_TCPV6 with the MSS as the
    // size, its checksum field holding the IPv6 pseudo-header's sum of the whole segment.
    [Fact]
    public void SegmentOffload_SendsWholeIpv6Segments_ForTheDeviceToCut()
    {
        Tcp6Link link = new Tcp6Link(segmentOffload: 65535);
        (TcpSocket client, TcpSocket server) = link.Connect(Port);

        byte[] upload = Pattern(300_000, 7);
        Assert.Equal(upload, link.Move(client, server, upload));

        Assert.True(link.B.Tcp.SegmentOffloadsSent > 0, "no segment was handed to the device whole");
        (byte[] Frame, FrameOffload Offload) big = link.Frames.Find(f => f.Offload.IsSegmented);
        Assert.True(big.Offload.Ipv6);
        Assert.Equal(1428, big.Offload.SegmentSize);
        Assert.Equal(VirtioNetHeader.SegmentTcpIpv6, VirtioNetHeader.For(big.Offload).SegmentType);
        int tcpStart = EthernetFrame.HeaderLength + Ipv6Packet.HeaderLength;
        Assert.Equal(tcpStart, big.Offload.ChecksumStart);
        Assert.True(big.Frame.Length > 1514, "a frame of " + big.Frame.Length + " bytes");
        uint pseudo = Checksum.PseudoHeader(CapturedFrames6.AddressB, CapturedFrames6.AddressA, IpProtocol.Tcp, big.Frame.Length - tcpStart);
        Assert.Equal((ushort)~Checksum.Finish(pseudo), BinaryPrimitives.ReadUInt16BigEndian(big.Frame.AsSpan(tcpStart + TcpSegment.ChecksumOffset)));
    }

    private static bool IsTcp6(byte[] frame)
    {
        return EthernetFrame.TryWrap(frame, out EthernetFrame ethernet) && ethernet.EtherType == EtherType.Ipv6 &&
            Ipv6Packet.TryWrap(ethernet.Payload, out Ipv6Packet packet) && Ipv6Header.TryParse(packet, out Ipv6Header header) &&
            header.NextHeader == IpProtocol.Tcp;
    }

    // RFC 8201, 5.2: packet too big about a segment in flight lowers the connection's MSS to what
    // the new path MTU carries (1280 - 40 - 20 - 12 bytes of timestamps: 1208); one quoting a
    // sequence number the connection never sent (RFC 5927, 4.1) leaves it as it was.
    [Fact]
    public void PacketTooBig_LowersTheMss_OnlyForASegmentInFlight()
    {
        Tcp6Link link = new Tcp6Link();
        (TcpSocket client, TcpSocket server) = link.Connect(Port);
        Assert.Equal(1428, client.SendMss);

        long taken = client.Send(Pattern(20_000, 7));
        Assert.True(taken > 0);
        byte[] dataFrame = link.B.Device.Sent.Find(frame => frame.Length > 1000)!;
        Assert.NotNull(dataFrame);
        byte[] stale = (byte[])dataFrame.Clone();
        int sequenceAt = EthernetFrame.HeaderLength + Ipv6Packet.HeaderLength + 4;
        BinaryPrimitives.WriteUInt32BigEndian(stale.AsSpan(sequenceAt), BinaryPrimitives.ReadUInt32BigEndian(stale.AsSpan(sequenceAt)) - 1_000_000);
        link.B.Device.Inject(PacketTooBig(stale, 1280));
        Assert.Equal(1428, client.SendMss);
        link.B.Device.Inject(PacketTooBig(dataFrame, 1280));
        Assert.Equal(1208, client.SendMss);

        // What was sent before arrives (the segments already cut at 1428 go as they are).
        byte[] first = new byte[taken];
        int got = 0;
        for (int round = 0; round < 1000 && got < first.Length; round++)
        {
            link.Pump();
            long read = server.Receive(first.AsSpan(got), false);
            got += read > 0 ? (int)read : 0;
        }
        Assert.Equal(Pattern(20_000, 7).AsSpan(0, (int)taken).ToArray(), first);
        link.Segments.Clear();
        byte[] more = Pattern(30_000, 9);
        Assert.Equal(more, link.Move(client, server, more));
        Assert.Contains(link.Segments, segment => segment.DataLength == 1208);
        Assert.All(link.Segments, segment => Assert.True(segment.DataLength <= 1208, "a segment of " + segment.DataLength + " bytes"));
    }

    [Fact]
    public void PacketTooBig_ResendsWhatWasLostAtOnce_WithoutTheRetransmissionTimer()
    {
        Tcp6Link link = new Tcp6Link();
        (TcpSocket client, TcpSocket server) = link.Connect(Port);
        long started = link.B.Kernel.Clock!.MonotonicNanoseconds;

        // A link on the path carries 1280 bytes: every full-size segment B sends is lost there,
        // and the first one lost is answered with packet too big. Time never passes.
        byte[] data = Pattern(40_000, 11);
        byte[] received = new byte[data.Length];
        int sent = 0;
        int got = 0;
        int lost = 0;
        for (int round = 0; round < 1000 && got < data.Length; round++)
        {
            if (sent < data.Length)
            {
                long taken = client.Send(data.AsSpan(sent));
                sent += taken > 0 ? (int)taken : 0;
            }
            byte[][] fromB = link.B.Device.Sent.ToArray();
            link.B.Device.Sent.Clear();
            byte[][] fromA = link.A.Device.Sent.ToArray();
            link.A.Device.Sent.Clear();
            foreach (byte[] frame in fromB)
            {
                if (frame.Length - EthernetFrame.HeaderLength > Ipv6Packet.MinimumMtu)
                {
                    if (lost++ == 0)
                    {
                        link.B.Device.Inject(PacketTooBig(frame, Ipv6Packet.MinimumMtu));
                    }
                    continue;
                }
                link.A.Device.Inject(frame);
            }
            foreach (byte[] frame in fromA)
            {
                link.B.Device.Inject(frame);
            }
            long read = server.Receive(received.AsSpan(got), false);
            got += read > 0 ? (int)read : 0;
        }

        Assert.True(lost > 1, "only " + lost + " segments were lost to the small link");
        Assert.Equal(data, received);
        Assert.Equal(1, link.B.Tcp.PathMtuRetransmits);
        Assert.Equal(0, link.B.Tcp.RetransmitTimeouts);
        Assert.Equal(started, link.B.Kernel.Clock!.MonotonicNanoseconds);
        Assert.Equal(Ipv6Packet.MinimumMtu - Ipv6Packet.HeaderLength - TcpSegment.HeaderLength - 12, client.SendMss);
    }

    // A packet too big from A (as a router on the path would send it) quoting the start of frame.
    private static byte[] PacketTooBig(byte[] frame, int mtu)
    {
        int quoted = Math.Min(frame.Length - EthernetFrame.HeaderLength, Ipv6Packet.MinimumMtu - Ipv6Packet.HeaderLength - Icmpv6Message.HeaderLength);
        byte[] message = new byte[Icmpv6Message.HeaderLength + quoted];
        frame.AsSpan(EthernetFrame.HeaderLength, quoted).CopyTo(message.AsSpan(Icmpv6Message.HeaderLength));
        Icmpv6Message.TryWrap(message, out Icmpv6Message view);
        new Icmpv6Header(Icmpv6Type.PacketTooBig, 0, (uint)mtu).Emit(view, CapturedFrames6.AddressA, CapturedFrames6.AddressB);
        byte[] error = new byte[EthernetFrame.HeaderLength + Ipv6Packet.HeaderLength + message.Length];
        EthernetFrame.TryWrap(error, out EthernetFrame ethernet);
        new EthernetHeader(CapturedFrames6.MacB, CapturedFrames6.MacA, EtherType.Ipv6).Emit(ethernet);
        new Ipv6Header(CapturedFrames6.AddressA, CapturedFrames6.AddressB, IpProtocol.Icmpv6, message.Length, 64, 0, 0).TryEmit(ethernet.Payload);
        message.CopyTo(error, EthernetFrame.HeaderLength + Ipv6Packet.HeaderLength);
        return error;
    }

    private static byte[] Pattern(int length, int seed)
    {
        byte[] data = new byte[length];
        new Random(seed).NextBytes(data);
        return data;
    }

    internal readonly record struct SentSegment(bool Ipv6, TcpHeader Header, int DataLength, bool ChecksumValid);

    // One kernel of the link: its stack, IPv6 on its interface, and its TCP.
    internal sealed class Tcp6Host
    {
        // sockets: the kernel's socket layer makes its TCP on the first socket(2), as a program's.
        public Tcp6Host(bool hostB, bool sockets = false, int segmentOffload = 0)
        {
            Host = new NetTestHost(hostB, segmentOffload: segmentOffload);
            Host.Interface.EnableIpv6(new[] { hostB ? CapturedFrames6.AddressB : CapturedFrames6.AddressA }, new[] { 64 });
            if (!sockets)
            {
                tcp = new TcpStack(Host.Stack, Host.Kernel.Clock!, Host.Kernel.RandomDevice!, Host.Kernel.Scheduler);
                Host.Stack.Register(tcp);
            }
        }

        private readonly TcpStack? tcp;

        public NetTestHost Host { get; }

        public Kernel Kernel => Host.Kernel;

        public TcpStack Tcp => tcp ?? ((StackSocketTransport)Host.Kernel.SocketTransport!).Tcp;

        public CaptureDevice Device => Host.Device;
    }

    // Two kernels whose devices are wired together by Pump, which also keeps every TCP segment
    // that crossed, parsed.
    internal sealed class Tcp6Link
    {
        // socketsOnA: host A's TCP is its socket layer's. segmentOffload: both devices cut TCP
        // segments up to that length themselves (as a TAP device with TSO), and a frame whose
        // checksum a device was asked to complete arrives at the other side vouched for.
        public Tcp6Link(bool socketsOnA = false, int segmentOffload = 0)
        {
            A = new Tcp6Host(hostB: false, socketsOnA, segmentOffload);
            B = new Tcp6Host(hostB: true, segmentOffload: segmentOffload);
        }

        public Tcp6Host A { get; }

        public Tcp6Host B { get; }

        // Every frame that crossed with what it asked of its device.
        public List<(byte[] Frame, FrameOffload Offload)> Frames { get; } = new List<(byte[], FrameOffload)>();

        public List<SentSegment> Segments { get; } = new List<SentSegment>();

        // Hands each side's frames to the other until neither sends any more. stopAtTcp: leaves
        // the first TCP segment in its sender's list.
        public void Pump(bool stopAtTcp = false)
        {
            for (int round = 0; round < 100_000; round++)
            {
                if (stopAtTcp && (A.Device.Sent.Exists(IsTcp6) || B.Device.Sent.Exists(IsTcp6)))
                {
                    return;
                }
                if (A.Device.Sent.Count == 0 && B.Device.Sent.Count == 0)
                {
                    return;
                }
                byte[][] fromA = A.Device.Sent.ToArray();
                FrameOffload[] offloadsA = A.Device.SentOffloads.ToArray();
                byte[][] fromB = B.Device.Sent.ToArray();
                FrameOffload[] offloadsB = B.Device.SentOffloads.ToArray();
                A.Device.Sent.Clear();
                A.Device.SentOffloads.Clear();
                B.Device.Sent.Clear();
                B.Device.SentOffloads.Clear();
                for (int index = 0; index < fromA.Length; index++)
                {
                    Cross(fromA[index], offloadsA[index], B);
                }
                for (int index = 0; index < fromB.Length; index++)
                {
                    Cross(fromB[index], offloadsB[index], A);
                }
            }
            throw new InvalidOperationException("the link never fell quiet");
        }

        private void Cross(byte[] frame, FrameOffload offload, Tcp6Host to)
        {
            Frames.Add((frame, offload));
            if (!offload.NeedsChecksum)
            {
                Record(frame);
            }
            to.Device.Inject(frame, offload.NeedsChecksum ? FrameOffload.Trusted : FrameOffload.None);
        }

        // A connection from B to a listener of A's on port (over IPv6, to A's address), opened with
        // the link pumped: B's client and A's accepted socket.
        public (TcpSocket Client, TcpSocket Server) Connect(ushort port)
        {
            TcpSocket listener = A.Tcp.CreateSocket6();
            Assert.Equal(0, listener.Bind6(Ipv6Address.Unspecified, port));
            Assert.Equal(0, listener.Listen(4));
            TcpSocket client = B.Tcp.CreateSocket6();
            Assert.Equal(-Errno.EINPROGRESS, client.Connect6(CapturedFrames6.AddressA, port));
            Pump();
            Assert.Equal(0, listener.Accept(out TcpSocket? server));
            return (client, server!);
        }

        // Sends data from one socket and reads it at the other, pumping between.
        public byte[] Move(TcpSocket from, TcpSocket to, byte[] data)
        {
            byte[] received = new byte[data.Length];
            int sent = 0;
            int got = 0;
            for (int round = 0; round < 10_000 && got < data.Length; round++)
            {
                if (sent < data.Length)
                {
                    long taken = from.Send(data.AsSpan(sent));
                    if (taken > 0)
                    {
                        sent += (int)taken;
                    }
                }
                Pump();
                long read = to.Receive(received.AsSpan(got), false);
                if (read > 0)
                {
                    got += (int)read;
                }
            }
            Pump();
            return received.AsSpan(0, got).ToArray();
        }

        private void Record(byte[] frame)
        {
            if (!EthernetFrame.TryWrap(frame, out EthernetFrame ethernet))
            {
                return;
            }
            ReadOnlySpan<byte> segment;
            bool ipv6;
            bool valid;
            if (ethernet.EtherType == EtherType.Ipv6 && Ipv6Packet.TryWrap(ethernet.Payload, out Ipv6Packet packet) &&
                Ipv6Header.TryParse(packet, out Ipv6Header header6) && header6.NextHeader == IpProtocol.Tcp)
            {
                segment = packet.Payload;
                ipv6 = true;
                valid = Checksum.Finish(Checksum.Add(Checksum.PseudoHeader(header6.Source, header6.Destination, IpProtocol.Tcp, segment.Length), segment)) == 0;
            }
            else if (ethernet.EtherType == EtherType.Ipv4 && Ipv4Packet.TryWrap(ethernet.Payload, out Ipv4Packet packet4) &&
                Ipv4Header.TryParse(packet4, out Ipv4Header header4) && header4.Protocol == IpProtocol.Tcp)
            {
                segment = packet4.Payload;
                ipv6 = false;
                valid = Checksum.Finish(Checksum.Add(Checksum.PseudoHeader(header4.Source, header4.Destination, IpProtocol.Tcp, segment.Length), segment)) == 0;
            }
            else
            {
                return;
            }
            Span<byte> copy = segment.ToArray();
            Assert.True(TcpSegment.TryWrap(copy, out TcpSegment view));
            Assert.True(TcpHeader.TryParseUnchecked(view, out TcpHeader tcp));
            Segments.Add(new SentSegment(ipv6, tcp, view.Payload.Length, valid));
        }
    }
}
