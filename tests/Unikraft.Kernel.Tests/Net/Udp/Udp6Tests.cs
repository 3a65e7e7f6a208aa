namespace Unikraft.Kernel.Tests.Net.Udp;

using System;
using System.Text;
using Unikraft.Kernel;
using Unikraft.Kernel.Tests.Net.Interface;
using Unikraft.Kernel.Tests.Net.Wire;
using Xunit;

// UDP over IPv6 against the datagrams Linux sent and answered (CapturedFrames6): the kernel
// stands where host B stood, bytes compared both ways.
public class Udp6Tests
{
    private const int UdpStart = EthernetFrame.HeaderLength + Ipv6Packet.HeaderLength;

    [Fact]
    public void CapturedDatagram_ReachesTheBoundIpv6Endpoint()
    {
        NetTestHost b = HostWithIpv6(hostB: true);
        UdpEndpoint endpoint = b.Udp.Open6();
        Assert.Equal(0, endpoint.Bind6(Ipv6Address.Unspecified, 7));

        b.Device.Inject(CapturedFrames6.UdpEchoRequest);

        Assert.Empty(b.Device.Sent);
        byte[] buffer = new byte[64];
        long read = endpoint.ReceiveFrom6(buffer, true, long.MaxValue, out Ipv6Address from, out ushort port, out int length);
        Assert.Equal(7, read);
        Assert.Equal(7, length);
        Assert.Equal("hello6\n", Encoding.ASCII.GetString(buffer, 0, 7));
        Assert.Equal(CapturedFrames6.AddressA, from);
        Assert.Equal(40000, port);
        Assert.Equal(-Errno.EAGAIN, endpoint.ReceiveFrom6(buffer, true, long.MaxValue, out _, out _, out _));
    }

    [Fact]
    public void SendTo6_EmitsTheEchoLinuxSent()
    {
        NetTestHost b = HostWithIpv6(hostB: true);
        b.Device.Inject(CapturedFrames6.NeighborSolicitation);
        b.Device.Sent.Clear();
        UdpEndpoint endpoint = b.Udp.Open6();
        Assert.Equal(0, endpoint.Bind6(Ipv6Address.Unspecified, 7));

        Assert.Equal(7, endpoint.SendTo6(CapturedFrames6.AddressA, 40000, Encoding.ASCII.GetBytes("hello6\n")));

        byte[] frame = b.Device.TakeOnly();
        Assert.Equal(CapturedFrames6.UdpEchoReply.AsSpan(0, EthernetFrame.HeaderLength).ToArray(), frame.AsSpan(0, EthernetFrame.HeaderLength).ToArray());
        Assert.Equal(new Ipv6Header(CapturedFrames6.AddressB, CapturedFrames6.AddressA, IpProtocol.Udp, 15, 64, 0, 0), Ipv6Of(frame));
        // The UDP datagram, checksum over the IPv6 pseudo-header included, is Linux's byte for byte.
        Assert.Equal(CapturedFrames6.UdpEchoReply.AsSpan(UdpStart).ToArray(), frame.AsSpan(UdpStart).ToArray());
    }

    [Fact]
    public void ConnectedEndpoint_SendsWithSendAndTakesOnlyItsPeer()
    {
        NetTestHost b = HostWithIpv6(hostB: true);
        b.Device.Inject(CapturedFrames6.NeighborSolicitation);
        b.Device.Sent.Clear();
        UdpEndpoint endpoint = b.Udp.Open6();
        Assert.Equal(0, endpoint.Bind6(CapturedFrames6.AddressB, 7));
        Assert.Equal(0, endpoint.Connect6(CapturedFrames6.AddressA, 40001));

        // The captured datagram comes from port 40000, not the peer: a closed port for it.
        b.Device.Inject(CapturedFrames6.UdpEchoRequest);
        Assert.Equal(0, endpoint.QueuedDatagrams);
        Assert.Equal(1, b.Stack.Counters.Udp6NoPort);
        b.Device.Sent.Clear();

        Assert.Equal(0, endpoint.Connect6(CapturedFrames6.AddressA, 40000));
        b.Device.Inject(CapturedFrames6.UdpEchoRequest);
        Assert.Equal(1, endpoint.QueuedDatagrams);

        Assert.Equal(7, endpoint.Send(Encoding.ASCII.GetBytes("hello6\n")));
        Assert.Equal(CapturedFrames6.UdpEchoReply.AsSpan(UdpStart).ToArray(), b.Device.TakeOnly().AsSpan(UdpStart).ToArray());
    }

    [Fact]
    public void ClosedPort_IsAnsweredWithLinuxsPortUnreachable()
    {
        NetTestHost b = HostWithIpv6(hostB: true);
        b.Device.Inject(CapturedFrames6.NeighborSolicitation);
        b.Device.Sent.Clear();

        b.Device.Inject(CapturedFrames6.UdpToClosedPort);

        byte[] error = b.Device.TakeOnly();
        Assert.Equal(CapturedFrames6.PortUnreachable.AsSpan(0, EthernetFrame.HeaderLength).ToArray(), error.AsSpan(0, EthernetFrame.HeaderLength).ToArray());
        Assert.Equal(new Ipv6Header(CapturedFrames6.AddressB, CapturedFrames6.AddressA, IpProtocol.Icmpv6, 64, 64, 0, 0), Ipv6Of(error));
        // Type 1, code 4, checksum, the unused word and the whole offending packet, as Linux's.
        Assert.Equal(CapturedFrames6.PortUnreachable.AsSpan(UdpStart).ToArray(), error.AsSpan(UdpStart).ToArray());
        Assert.Equal(1, b.Stack.Counters.Udp6NoPort);
        Assert.Equal(1, b.Stack.Counters.Icmpv6ErrorsSent);
    }

    // A kernel whose program made no UDP socket has no UDP layer; a datagram still gets port
    // unreachable (Linux's UDP is always there), once its checksum is checked.
    [Fact]
    public void WithoutAUdpLayer_ClosedPortIsAnsweredAndZeroChecksumIsNot()
    {
        Kernel kernel = TestKernel.Boot(out _);
        CaptureDevice device = new CaptureDevice(CapturedFrames.MacB);
        NetStack stack = new NetStack(kernel);
        kernel.Net = stack;
        NetInterface link = stack.AddInterface("eth0", device, CapturedFrames.AddressB, 24, Ipv4Address.Any);
        link.EnableIpv6(new[] { CapturedFrames6.AddressB }, new[] { 64 });
        device.Inject(CapturedFrames6.NeighborSolicitation);
        device.Sent.Clear();
        byte[] closedZero = (byte[])CapturedFrames6.UdpToClosedPort.Clone();
        closedZero[UdpStart + 6] = 0;
        closedZero[UdpStart + 7] = 0;

        device.Inject(closedZero);
        Assert.Empty(device.Sent);
        device.Inject(CapturedFrames6.UdpToClosedPort);

        Assert.Equal(CapturedFrames6.PortUnreachable.AsSpan(UdpStart).ToArray(), device.TakeOnly().AsSpan(UdpStart).ToArray());
    }

    [Fact]
    public void ZeroOrBadChecksum_IsDroppedUnanswered()
    {
        NetTestHost b = HostWithIpv6(hostB: true);
        b.Device.Inject(CapturedFrames6.NeighborSolicitation);
        b.Device.Sent.Clear();
        UdpEndpoint endpoint = b.Udp.Open6();
        Assert.Equal(0, endpoint.Bind6(Ipv6Address.Unspecified, 7));

        // RFC 8200, 8.1: a zero checksum is no "none" over IPv6; the datagram is bad.
        byte[] zero = (byte[])CapturedFrames6.UdpEchoRequest.Clone();
        zero[UdpStart + 6] = 0;
        zero[UdpStart + 7] = 0;
        b.Device.Inject(zero);
        byte[] bad = (byte[])CapturedFrames6.UdpEchoRequest.Clone();
        bad[UdpStart + 7] ^= 1;
        b.Device.Inject(bad);
        // Nor is one to a closed port answered when its checksum is zero.
        byte[] closedZero = (byte[])CapturedFrames6.UdpToClosedPort.Clone();
        closedZero[UdpStart + 6] = 0;
        closedZero[UdpStart + 7] = 0;
        b.Device.Inject(closedZero);

        Assert.Equal(0, endpoint.QueuedDatagrams);
        Assert.Empty(b.Device.Sent);
        Assert.Equal(3, b.Udp.BadChecksums);
        Assert.Equal(0, b.Stack.Counters.Udp6NoPort);
    }

    // A TAP device's frame from the host carries only the pseudo-header's sum in the field
    // (virtio_net_hdr NEEDS_CSUM, FrameOffload.Trusted): UDP over IPv6 takes it unchecked, as
    // over IPv4; the same bytes without the device's word are dropped.
    [Fact]
    public void DatagramTheDeviceVouchesFor_IsTakenUnchecked()
    {
        NetTestHost b = HostWithIpv6(hostB: true);
        UdpEndpoint endpoint = b.Udp.Open6();
        Assert.Equal(0, endpoint.Bind6(Ipv6Address.Unspecified, 7));
        byte[] partial = (byte[])CapturedFrames6.UdpEchoRequest.Clone();
        partial[UdpStart + 6] = 0x40;
        partial[UdpStart + 7] = 0x29;

        b.Device.Inject(partial);
        Assert.Equal(0, endpoint.QueuedDatagrams);
        b.Device.Inject(partial, FrameOffload.Trusted);

        Assert.Equal(1, endpoint.QueuedDatagrams);
    }

    [Fact]
    public void PortUnreachable_TakesTheIcmpTokenBucket()
    {
        NetTestHost b = HostWithIpv6(hostB: true);
        b.Device.Inject(CapturedFrames6.NeighborSolicitation);
        b.Device.Sent.Clear();

        for (int index = 0; index < NetStack.IcmpErrorBurst + 10; index++)
        {
            b.Device.Inject(CapturedFrames6.UdpToClosedPort);
        }

        // The clock stands still here: the burst is answered, the rest is not.
        Assert.Equal(NetStack.IcmpErrorBurst, b.Device.Sent.Count);
        Assert.Equal(10, b.Stack.Counters.IcmpRateLimited);
        Assert.Equal(NetStack.IcmpErrorBurst + 10, b.Stack.Counters.Udp6NoPort);
    }

    [Fact]
    public void DualStackEndpoint_TakesIpv4AsMappedAddresses()
    {
        NetTestHost b = HostWithIpv6(hostB: true);
        UdpEndpoint endpoint = b.Udp.Open6();
        Assert.Equal(0, endpoint.Bind6(Ipv6Address.Unspecified, 5000));

        b.Device.Inject(CapturedFrames.UdpHello);

        byte[] buffer = new byte[64];
        Assert.Equal(6, endpoint.ReceiveFrom6(buffer, true, long.MaxValue, out Ipv6Address from, out ushort port, out _));
        Assert.Equal(Ipv6Address.MapIpv4(CapturedFrames.AddressA), from);
        Assert.Equal(40000, port);
        Assert.Equal("hello\n", Encoding.ASCII.GetString(buffer, 0, 6));
        // The dual-stack [::]:5000 holds 0.0.0.0:5000 too, as on Linux.
        Assert.Equal(-Errno.EADDRINUSE, b.Udp.Open().Bind(Ipv4Address.Any, 5000));
    }

    [Fact]
    public void DualStackEndpoint_SendsToAMappedAddressOverIpv4()
    {
        NetTestHost a = HostWithIpv6(hostB: false);
        a.Device.Inject(CapturedFrames.ArpReply);
        UdpEndpoint endpoint = a.Udp.Open6();
        Assert.Equal(0, endpoint.Bind6(Ipv6Address.Unspecified, 40000));

        Assert.Equal(6, endpoint.SendTo6(Ipv6Address.MapIpv4(CapturedFrames.AddressB), 5000, Encoding.ASCII.GetBytes("hello\n")));

        byte[] frame = a.Device.TakeOnly();
        int udpStart = EthernetFrame.HeaderLength + Ipv4Packet.MinimumHeaderLength;
        Assert.Equal(CapturedFrames.UdpHello.AsSpan(udpStart).ToArray(), frame.AsSpan(udpStart).ToArray());
    }

    [Fact]
    public void V6OnlyEndpoint_LeavesIpv4Alone()
    {
        NetTestHost b = HostWithIpv6(hostB: true);
        UdpEndpoint six = b.Udp.Open6();
        six.V6Only = true;
        Assert.Equal(0, six.Bind6(Ipv6Address.Unspecified, 5000));
        UdpEndpoint four = b.Udp.Open();
        Assert.Equal(0, four.Bind(Ipv4Address.Any, 5000));

        b.Device.Inject(CapturedFrames.UdpHello);

        Assert.Equal(0, six.QueuedDatagrams);
        Assert.Equal(1, four.QueuedDatagrams);
        Assert.Equal(-Errno.ENETUNREACH, six.SendTo6(Ipv6Address.MapIpv4(CapturedFrames.AddressA), 40000, new byte[1]));
        UdpEndpoint mapped = b.Udp.Open6();
        mapped.V6Only = true;
        Assert.Equal(-Errno.EINVAL, mapped.Bind6(Ipv6Address.MapIpv4(CapturedFrames.AddressB), 5001));
    }

    [Fact]
    public void Bind6_RefusesOverlapsAndForeignAddresses()
    {
        NetTestHost b = HostWithIpv6(hostB: true);
        UdpEndpoint first = b.Udp.Open6();
        Assert.Equal(0, first.Bind6(CapturedFrames6.AddressB, 53));
        Assert.Equal(-Errno.EINVAL, first.Bind6(CapturedFrames6.AddressB, 54));
        Assert.Equal(-Errno.EADDRINUSE, b.Udp.Open6().Bind6(Ipv6Address.Unspecified, 53));
        Assert.Equal(-Errno.EADDRINUSE, b.Udp.Open6().Bind6(CapturedFrames6.AddressB, 53));
        // Bound to an IPv6 address of its own, it leaves the IPv4 side of the port free.
        Assert.Equal(0, b.Udp.Open().Bind(Ipv4Address.Any, 53));
        Assert.Equal(0, b.Udp.Open6().Bind6(CapturedFrames6.LinkLocalB, 53));
        Assert.Equal(-Errno.EADDRNOTAVAIL, b.Udp.Open6().Bind6(CapturedFrames6.AddressA, 53));
        Assert.Equal(-Errno.EADDRNOTAVAIL, b.Udp.Open6().Bind6(Ipv6Address.MapIpv4(CapturedFrames.AddressA), 53));
    }

    [Fact]
    public void SendTo6_OffTheLinkOrWithoutIpv6_IsNetworkUnreachable()
    {
        NetTestHost b = HostWithIpv6(hostB: true);
        Ipv6Address offLink = new Ipv6Address(0x2001_0002_0000_0001, 1);
        Assert.Equal(-Errno.ENETUNREACH, b.Udp.Open6().SendTo6(offLink, 7, new byte[1]));
        NetTestHost plain = new NetTestHost(hostB: true);
        Assert.Equal(-Errno.ENETUNREACH, plain.Udp.Open6().SendTo6(CapturedFrames6.AddressA, 7, new byte[1]));
        Assert.Empty(b.Device.Sent);
        Assert.Empty(plain.Device.Sent);
    }

    private static NetTestHost HostWithIpv6(bool hostB)
    {
        NetTestHost host = new NetTestHost(hostB);
        host.Interface.EnableIpv6(new[] { hostB ? CapturedFrames6.AddressB : CapturedFrames6.AddressA }, new[] { 64 });
        return host;
    }

    private static Ipv6Header Ipv6Of(byte[] frame)
    {
        Assert.True(EthernetFrame.TryWrap(frame, out EthernetFrame ethernet));
        Assert.Equal(EtherType.Ipv6, ethernet.EtherType);
        Assert.True(Ipv6Packet.TryWrap(ethernet.Payload, out Ipv6Packet packet));
        Assert.True(Ipv6Header.TryParse(packet, out Ipv6Header header));
        return header;
    }
}
