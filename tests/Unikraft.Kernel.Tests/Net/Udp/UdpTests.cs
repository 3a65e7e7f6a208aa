namespace Unikraft.Kernel.Tests.Net.Udp;

using System;
using System.Collections.Generic;
using System.Text;
using Unikraft.Kernel;
using Unikraft.Kernel.Tests.Net.Interface;
using Unikraft.Kernel.Tests.Net.Wire;
using Xunit;

public class UdpTests
{
    private const long Second = 1_000_000_000;

    [Fact]
    public void CapturedDatagram_ReachesTheBoundEndpoint()
    {
        NetTestHost b = new NetTestHost(hostB: true);
        UdpEndpoint endpoint = b.Udp.Open();
        Assert.Equal(0, endpoint.Bind(Ipv4Address.Any, 5000));

        b.Device.Inject(CapturedFrames.UdpHello);

        Assert.Empty(b.Device.Sent);
        byte[] buffer = new byte[64];
        long read = endpoint.ReceiveFrom(buffer, true, long.MaxValue, out Ipv4Address from, out ushort port, out int length);
        Assert.Equal(6, read);
        Assert.Equal(6, length);
        Assert.Equal("hello\n", Encoding.ASCII.GetString(buffer, 0, 6));
        Assert.Equal(CapturedFrames.AddressA, from);
        Assert.Equal(40000, port);
        Assert.Equal(-Errno.EAGAIN, endpoint.ReceiveFrom(buffer, true, long.MaxValue, out _, out _, out _));
    }

    [Fact]
    public void SendTo_EmitsTheDatagramLinuxSent()
    {
        NetTestHost a = new NetTestHost(hostB: false);
        a.Device.Inject(CapturedFrames.ArpReply);
        UdpEndpoint endpoint = a.Udp.Open();
        Assert.Equal(0, endpoint.Bind(Ipv4Address.Any, 40000));

        Assert.Equal(6, endpoint.SendTo(CapturedFrames.AddressB, 5000, Encoding.ASCII.GetBytes("hello\n")));

        byte[] frame = a.Device.TakeOnly();
        int udpStart = EthernetFrame.HeaderLength + Ipv4Packet.MinimumHeaderLength;
        // The UDP datagram, checksum included, is nc's byte for byte.
        Assert.Equal(CapturedFrames.UdpHello.AsSpan(udpStart).ToArray(), frame.AsSpan(udpStart).ToArray());
    }

    [Fact]
    public void Bind_RefusesOverlapsAndForeignAddresses()
    {
        NetTestHost a = new NetTestHost(hostB: false);
        UdpEndpoint first = a.Udp.Open();
        UdpEndpoint second = a.Udp.Open();
        UdpEndpoint third = a.Udp.Open();

        Assert.Equal(0, first.Bind(a.Address, 53));
        Assert.Equal(-Errno.EINVAL, first.Bind(a.Address, 54));
        Assert.Equal(-Errno.EADDRINUSE, second.Bind(Ipv4Address.Any, 53));
        Assert.Equal(-Errno.EADDRINUSE, second.Bind(a.Address, 53));
        Assert.Equal(0, second.Bind(Ipv4Address.Loopback, 53));
        Assert.Equal(-Errno.EADDRNOTAVAIL, third.Bind(CapturedFrames.AddressB, 53));
        first.Close();
        Assert.Equal(0, third.Bind(a.Address, 53));
    }

    [Fact]
    public void EphemeralPorts_AreDistinctAndInLinuxsRange()
    {
        NetTestHost a = new NetTestHost(hostB: false);
        HashSet<ushort> ports = new HashSet<ushort>();
        for (int index = 0; index < 200; index++)
        {
            UdpEndpoint endpoint = a.Udp.Open();
            Assert.Equal(0, endpoint.Bind(Ipv4Address.Any, 0));
            Assert.InRange(endpoint.LocalPort, UdpLayer.EphemeralFirst, UdpLayer.EphemeralLast);
            Assert.True(ports.Add(endpoint.LocalPort));
        }
    }

    [Fact]
    public void ReceiveQueue_IsBoundedInBytes()
    {
        NetTestHost a = new NetTestHost(hostB: false);
        UdpEndpoint server = a.Udp.Open(receiveBufferSize: 1000);
        server.Bind(Ipv4Address.Loopback, 7);
        UdpEndpoint client = a.Udp.Open();
        byte[] payload = new byte[300];

        for (int index = 0; index < 5; index++)
        {
            payload[0] = (byte)index;
            Assert.Equal(300, client.SendTo(Ipv4Address.Loopback, 7, payload));
        }
        a.Run(1000);

        // 308 bytes each in the ring: three fit in 1000.
        Assert.Equal(3, server.QueuedDatagrams);
        Assert.Equal(2, server.Dropped);
        byte[] buffer = new byte[400];
        for (int index = 0; index < 3; index++)
        {
            Assert.Equal(300, server.ReceiveFrom(buffer, true, long.MaxValue, out _, out _, out _));
            Assert.Equal(index, buffer[0]);
        }
        // Room again, and the ring wraps around correctly.
        for (int round = 0; round < 10; round++)
        {
            payload[0] = (byte)(100 + round);
            client.SendTo(Ipv4Address.Loopback, 7, payload);
            a.Run(1000);
            Assert.Equal(300, server.ReceiveFrom(buffer, true, long.MaxValue, out _, out _, out _));
            Assert.Equal(100 + round, buffer[0]);
        }
    }

    [Fact]
    public void ShortBuffer_TruncatesAndDiscardsTheRest()
    {
        NetTestHost a = new NetTestHost(hostB: false);
        UdpEndpoint server = a.Udp.Open();
        server.Bind(Ipv4Address.Any, 9);
        UdpEndpoint client = a.Udp.Open();
        client.SendTo(Ipv4Address.Loopback, 9, Encoding.ASCII.GetBytes("0123456789"));
        client.SendTo(Ipv4Address.Loopback, 9, Encoding.ASCII.GetBytes("next"));
        a.Run(1000);

        byte[] buffer = new byte[4];
        Assert.Equal(4, server.ReceiveFrom(buffer, true, long.MaxValue, out Ipv4Address from, out ushort port, out int length));
        Assert.Equal(10, length);
        Assert.Equal("0123", Encoding.ASCII.GetString(buffer));
        Assert.Equal(Ipv4Address.Loopback, from);
        Assert.Equal(client.LocalPort, port);
        Assert.Equal(4, server.ReceiveFrom(buffer, true, long.MaxValue, out _, out _, out _));
        Assert.Equal("next", Encoding.ASCII.GetString(buffer));
    }

    [Fact]
    public void ConnectedEndpoint_TakesOnlyItsPeer_AndBeatsTheWildcard()
    {
        NetTestHost a = new NetTestHost(hostB: false);
        UdpEndpoint wildcard = a.Udp.Open();
        wildcard.Bind(Ipv4Address.Any, 4000);
        UdpEndpoint peer = a.Udp.Open();
        peer.Bind(Ipv4Address.Loopback, 4001);
        UdpEndpoint stranger = a.Udp.Open();
        stranger.Bind(Ipv4Address.Loopback, 4002);
        // A connected endpoint sharing the port needs its own address (no SO_REUSEADDR yet).
        UdpEndpoint connected = a.Udp.Open();
        Assert.Equal(-Errno.EADDRINUSE, connected.Bind(Ipv4Address.Loopback, 4000));
        wildcard.Close();
        wildcard = a.Udp.Open();
        Assert.Equal(0, wildcard.Bind(a.Address, 4000));
        Assert.Equal(0, connected.Bind(Ipv4Address.Loopback, 4000));
        Assert.Equal(0, connected.Connect(Ipv4Address.Loopback, 4001));

        peer.SendTo(Ipv4Address.Loopback, 4000, new byte[] { 1 });
        stranger.SendTo(Ipv4Address.Loopback, 4000, new byte[] { 2 });
        a.Run(1000);

        Assert.Equal(1, connected.QueuedDatagrams);
        Assert.Equal(0, wildcard.QueuedDatagrams);
        Assert.Equal(1, a.Udp.NoPort);
        // The stranger's datagram found no endpoint: port unreachable, delivered over loopback.
        Assert.Contains(a.Icmp.Messages, message => message.Message[0] == IcmpType.DestinationUnreachable &&
            message.Message[1] == IcmpType.CodePortUnreachable);
        Assert.Equal(1, connected.Send(new byte[] { 3 }));
        a.Run(1000);
        Assert.Equal(1, peer.QueuedDatagrams);
    }

    [Fact]
    public void Send_Errors()
    {
        NetTestHost a = new NetTestHost(hostB: false);
        UdpEndpoint endpoint = a.Udp.Open();

        Assert.Equal(-Errno.EDESTADDRREQ, endpoint.Send(new byte[1]));
        Assert.Equal(-Errno.EDESTADDRREQ, endpoint.SendTo(CapturedFrames.AddressB, 0, new byte[1]));
        Assert.Equal(-Errno.EMSGSIZE, endpoint.SendTo(CapturedFrames.AddressB, 9, new byte[UdpDatagram.MaximumPayloadLength + 1]));
        Assert.Equal(-Errno.ENETUNREACH, endpoint.SendTo(new Ipv4Address(198, 19, 1, 1), 9, new byte[1]));
        Assert.False(endpoint.IsBound);
        endpoint.Close();
        Assert.Equal(-Errno.EBADF, endpoint.SendTo(CapturedFrames.AddressB, 9, new byte[1]));
    }

    [Fact]
    public void SendBeforeArpGivesUp_ThenEHOSTUNREACH()
    {
        NetTestHost a = new NetTestHost(hostB: false);
        UdpEndpoint endpoint = a.Udp.Open();

        Assert.Equal(1, endpoint.SendTo(CapturedFrames.AddressB, 9, new byte[1]));
        a.Run(ArpCache.MaximumRequests * ArpCache.RequestInterval + Second / 2);

        Assert.Equal(-Errno.EHOSTUNREACH, endpoint.SendTo(CapturedFrames.AddressB, 9, new byte[1]));
    }

    [Fact]
    public void Readiness_PollMaskAndListenerFollowTheQueue()
    {
        NetTestHost a = new NetTestHost(hostB: false);
        UdpEndpoint server = a.Udp.Open();
        server.Bind(Ipv4Address.Loopback, 11);
        RecordingListener listener = new RecordingListener();
        server.Listener = listener;

        Assert.Equal(PollEvents.POLLOUT | PollEvents.POLLWRNORM, server.Poll());
        a.Udp.Open().SendTo(Ipv4Address.Loopback, 11, new byte[] { 1 });
        a.Run(1000);

        Assert.Equal(PollEvents.POLLIN | PollEvents.POLLRDNORM | PollEvents.POLLOUT | PollEvents.POLLWRNORM, server.Poll());
        Assert.Equal(new[] { PollEvents.POLLIN | PollEvents.POLLRDNORM }, listener.Events);
        server.ReceiveFrom(new byte[4], true, long.MaxValue, out _, out _, out _);
        Assert.Equal(PollEvents.POLLOUT | PollEvents.POLLWRNORM, server.Poll());
    }

    [Fact]
    public void BlockingReceive_WaitsForTheDatagram_OrTimesOut()
    {
        NetTestHost a = new NetTestHost(hostB: false);
        UdpEndpoint server = a.Udp.Open();
        server.Bind(Ipv4Address.Loopback, 12);
        UdpEndpoint client = a.Udp.Open();
        byte[] buffer = new byte[8];
        long start = a.Platform.Clock.MonotonicNanoseconds;

        // Nothing comes: the deadline ends the wait with EAGAIN, as SO_RCVTIMEO does.
        Assert.Equal(-Errno.EAGAIN, server.ReceiveFrom(buffer, false, start + Second, out _, out _, out _));
        Assert.True(a.Platform.Clock.MonotonicNanoseconds >= start + Second);

        // A timer sends while the reader waits; the reader wakes with it.
        Sys.UkTimerArm(a.Kernel, Second / 2, _ => client.SendTo(Ipv4Address.Loopback, 12, new byte[] { 42 }), null);
        long read = server.ReceiveFrom(buffer, false, long.MaxValue, out _, out ushort port, out _);

        Assert.Equal(1, read);
        Assert.Equal(42, buffer[0]);
        Assert.Equal(client.LocalPort, port);
    }

    [Fact]
    public void PortUnreachable_FailsTheConnectedEndpointsNextReceive_WithECONNREFUSED()
    {
        NetTestHost a = new NetTestHost(hostB: false);
        UdpEndpoint endpoint = a.Udp.Open();
        // The endpoint that sent UdpToClosedPort: 40001 connected to B's port 5999.
        Assert.Equal(0, endpoint.Bind(Ipv4Address.Any, 40001));
        Assert.Equal(0, endpoint.Connect(CapturedFrames.AddressB, 5999));
        RecordingListener listener = new RecordingListener();
        endpoint.Listener = listener;

        // Linux's answer, as captured.
        a.Device.Inject(CapturedFrames.PortUnreachable);

        Assert.Equal(PollEvents.POLLERR, endpoint.Poll() & PollEvents.POLLERR);
        Assert.Equal(new[] { PollEvents.POLLERR }, listener.Events);
        byte[] buffer = new byte[8];
        Assert.Equal(-Errno.ECONNREFUSED, endpoint.ReceiveFrom(buffer, false, long.MaxValue, out _, out _, out _));
        // Reported once (udp(7)): the next call waits for datagrams again.
        Assert.Equal(0, endpoint.Poll() & PollEvents.POLLERR);
        Assert.Equal(-Errno.EAGAIN, endpoint.ReceiveFrom(buffer, true, long.MaxValue, out _, out _, out _));
        Assert.Equal(1, a.Stack.Counters.IcmpErrorsReceived);
    }

    [Fact]
    public void PortUnreachable_ReachesNoUnconnectedEndpoint_NorOneConnectedElsewhere()
    {
        NetTestHost a = new NetTestHost(hostB: false);
        UdpEndpoint unconnected = a.Udp.Open();
        Assert.Equal(0, unconnected.Bind(Ipv4Address.Any, 40001));
        UdpEndpoint other = a.Udp.Open();
        Assert.Equal(0, other.Bind(Ipv4Address.Any, 40002));
        Assert.Equal(0, other.Connect(CapturedFrames.AddressB, 5999));

        a.Device.Inject(CapturedFrames.PortUnreachable);

        // Without IP_RECVERR an unconnected socket cannot tell which peer refused (Linux's
        // __udp4_lib_err), and the error quotes port 40001, not 40002.
        Assert.Equal(0, unconnected.Poll() & PollEvents.POLLERR);
        Assert.Equal(0, other.Poll() & PollEvents.POLLERR);
        Assert.Equal(-Errno.EAGAIN, unconnected.ReceiveFrom(new byte[8], true, long.MaxValue, out _, out _, out _));
        Assert.Equal(0, a.Udp.IcmpErrors);
    }

    private sealed class RecordingListener : IUdpEndpointListener
    {
        public List<int> Events { get; } = new List<int>();

        public void EndpointChanged(UdpEndpoint endpoint, int events)
        {
            Events.Add(events);
        }
    }
}
