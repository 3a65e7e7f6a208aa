namespace Unikraft.Kernel.Tests;

using System;
using System.Buffers.Binary;
using System.Text;
using Unikraft.Kernel.Tests.Net.Interface;
using Unikraft.Kernel.Tests.Net.Wire;
using Xunit;
using static SocketTestKit;

// AF_INET6 sockets on the kernel's own stack with an IPv6 interface: the kernel stands where host
// B of CapturedFrames6 stood, and what its sockets send is compared with what Linux sent.
public class Socket6Tests
{
    private const int Stream = SocketTypes.SOCK_STREAM;
    private const int Datagram = SocketTypes.SOCK_DGRAM;
    private const int UdpStart6 = EthernetFrame.HeaderLength + Ipv6Packet.HeaderLength;
    private const int UdpStart4 = EthernetFrame.HeaderLength + Ipv4Packet.MinimumHeaderLength;

    [Fact]
    public void Datagram_BindRecvfromSendto_WithSockaddrIn6()
    {
        NetTestHost b = HostB();
        int fd = Open6(b.Kernel, Datagram);
        Assert.Equal(0, Sys.Bind(b.Kernel, fd, Inet6(Ipv6Address.Unspecified, 7)));
        Assert.Equal((Ipv6Address.Unspecified, (ushort)7), Name(b.Kernel, fd));

        b.Device.Inject(CapturedFrames6.UdpEchoRequest);
        byte[] buffer = new byte[64];
        byte[] from = new byte[SocketAddress.Inet6Length];
        int fromLength = from.Length;
        Assert.Equal(7, Sys.Recvfrom(b.Kernel, fd, buffer, 0, from, ref fromLength));
        Assert.Equal("hello6\n", Encoding.ASCII.GetString(buffer, 0, 7));
        // sockaddr_in6 byte for byte: family 10, port 40000, flow label 0, 2001:2::1, scope id 0.
        Assert.Equal(SocketAddress.Inet6Length, fromLength);
        Assert.Equal(Inet6(CapturedFrames6.AddressA, 40000), from);

        Assert.Equal(7, Sys.Sendto(b.Kernel, fd, buffer.AsSpan(0, 7), 0, from));
        byte[] frame = b.Device.TakeOnly();
        Assert.Equal(CapturedFrames6.UdpEchoReply.AsSpan(UdpStart6).ToArray(), frame.AsSpan(UdpStart6).ToArray());
    }

    [Fact]
    public void Datagram_ConnectGetpeernameSend()
    {
        NetTestHost b = HostB();
        int fd = Open6(b.Kernel, Datagram);
        Assert.Equal(-Errno.ENOTCONN, Sys.Getpeername(b.Kernel, fd, new byte[28], ref Unused()));
        Assert.Equal(0, Sys.Bind(b.Kernel, fd, Inet6(CapturedFrames6.AddressB, 7)));
        Assert.Equal(0, Sys.Connect(b.Kernel, fd, Inet6(CapturedFrames6.AddressA, 40000)));

        Assert.Equal((CapturedFrames6.AddressB, (ushort)7), Name(b.Kernel, fd));
        byte[] peer = new byte[SocketAddress.Inet6Length];
        int peerLength = peer.Length;
        Assert.Equal(0, Sys.Getpeername(b.Kernel, fd, peer, ref peerLength));
        Assert.Equal(Inet6(CapturedFrames6.AddressA, 40000), peer);

        Assert.Equal(7, Sys.Write(b.Kernel, fd, "hello6\n"u8));
        Assert.Equal(CapturedFrames6.UdpEchoReply.AsSpan(UdpStart6).ToArray(), b.Device.TakeOnly().AsSpan(UdpStart6).ToArray());
        b.Device.Inject(CapturedFrames6.UdpEchoRequest);
        byte[] buffer = new byte[16];
        Assert.Equal(7, Sys.Read(b.Kernel, fd, buffer));
    }

    [Fact]
    public void DualStackDatagram_NamesIpv4PeersMapped_AndReachesThemOverIpv4()
    {
        NetTestHost b = HostB();
        b.Device.Inject(CapturedFrames.ArpRequest);
        b.Device.Sent.Clear();
        int fd = Open6(b.Kernel, Datagram);
        Assert.Equal(0, GetInt(b.Kernel, fd, SocketProtocols.IPPROTO_IPV6, SocketOptions.IPV6_V6ONLY));
        Assert.Equal(SocketFamily.AF_INET6, GetInt(b.Kernel, fd, SocketOptions.SOL_SOCKET, SocketOptions.SO_DOMAIN));
        Assert.Equal(0, Sys.Bind(b.Kernel, fd, Inet6(Ipv6Address.Unspecified, 5000)));

        b.Device.Inject(CapturedFrames.UdpHello);
        byte[] buffer = new byte[64];
        byte[] from = new byte[SocketAddress.Inet6Length];
        int fromLength = from.Length;
        Assert.Equal(6, Sys.Recvfrom(b.Kernel, fd, buffer, 0, from, ref fromLength));
        Assert.Equal(Inet6(Ipv6Address.MapIpv4(CapturedFrames.AddressA), 40000), from);

        // Back to the mapped address, and to the same peer named by a sockaddr_in: both over IPv4.
        Assert.Equal(6, Sys.Sendto(b.Kernel, fd, buffer.AsSpan(0, 6), 0, from));
        Assert.Equal(6, Sys.Sendto(b.Kernel, fd, buffer.AsSpan(0, 6), 0, Inet(CapturedFrames.AddressA, 40000)));
        Assert.Equal(2, b.Device.Sent.Count);
        foreach (byte[] frame in b.Device.Sent)
        {
            Assert.True(EthernetFrame.TryWrap(frame, out EthernetFrame ethernet));
            Assert.Equal(EtherType.Ipv4, ethernet.EtherType);
            Assert.Equal(CapturedFrames.AddressA, NetTestHost.Ipv4Of(frame).Destination);
            Assert.Equal((ushort)5000, BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(UdpStart4)));
        }
    }

    [Fact]
    public void V6Only_TakesNoIpv4_AndIsSetOnlyBeforeBind()
    {
        NetTestHost b = HostB();
        int fd = Open6(b.Kernel, Datagram);
        Assert.Equal(-Errno.EINVAL, Sys.Setsockopt(b.Kernel, fd, SocketProtocols.IPPROTO_IPV6, SocketOptions.IPV6_V6ONLY, new byte[2]));
        Assert.Equal(-Errno.ENOPROTOOPT, Sys.Setsockopt(b.Kernel, fd, SocketProtocols.IPPROTO_IPV6, 67, Int(1)));
        Assert.Equal(0, Sys.Setsockopt(b.Kernel, fd, SocketProtocols.IPPROTO_IPV6, SocketOptions.IPV6_V6ONLY, Int(1)));
        Assert.Equal(1, GetInt(b.Kernel, fd, SocketProtocols.IPPROTO_IPV6, SocketOptions.IPV6_V6ONLY));
        Assert.Equal(0, Sys.Bind(b.Kernel, fd, Inet6(Ipv6Address.Unspecified, 5000)));
        Assert.Equal(-Errno.EINVAL, Sys.Setsockopt(b.Kernel, fd, SocketProtocols.IPPROTO_IPV6, SocketOptions.IPV6_V6ONLY, Int(0)));
        // An IPv4 socket may take the port's IPv4 side, and gets the IPv4 datagram.
        int four = Open(b.Kernel, Datagram);
        Assert.Equal(0, Sys.Bind(b.Kernel, four, Inet(Ipv4Address.Any, 5000)));

        b.Device.Inject(CapturedFrames.UdpHello);

        byte[] buffer = new byte[16];
        Assert.Equal(-Errno.EAGAIN, Sys.Recvfrom(b.Kernel, fd, buffer, MessageFlags.MSG_DONTWAIT, Span<byte>.Empty, ref Unused()));
        Assert.Equal(6, Sys.Recvfrom(b.Kernel, four, buffer, MessageFlags.MSG_DONTWAIT, Span<byte>.Empty, ref Unused()));
        // The IPv6 level is no AF_INET socket's.
        Assert.Equal(-Errno.ENOPROTOOPT, Sys.Setsockopt(b.Kernel, four, SocketProtocols.IPPROTO_IPV6, SocketOptions.IPV6_V6ONLY, Int(1)));
        byte[] value = new byte[4];
        int valueLength = 4;
        Assert.Equal(-Errno.ENOPROTOOPT, Sys.Getsockopt(b.Kernel, four, SocketProtocols.IPPROTO_IPV6, SocketOptions.IPV6_V6ONLY, value, ref valueLength));
    }

    [Fact]
    public void DualStackBind_HoldsTheIpv4Port()
    {
        NetTestHost b = HostB();
        int six = Open6(b.Kernel, Datagram);
        Assert.Equal(0, Sys.Bind(b.Kernel, six, Inet6(Ipv6Address.Unspecified, 5000)));
        Assert.Equal(-Errno.EADDRINUSE, Sys.Bind(b.Kernel, Open(b.Kernel, Datagram), Inet(Ipv4Address.Any, 5000)));
        Assert.Equal(-Errno.EADDRINUSE, Sys.Bind(b.Kernel, Open6(b.Kernel, Datagram), Inet6(CapturedFrames6.AddressB, 5000)));
    }

    [Fact]
    public void Inet6Addresses_AreCheckedInLinuxsOrder()
    {
        NetTestHost b = HostB();
        int fd = Open6(b.Kernel, Datagram);
        byte[] good = Inet6(CapturedFrames6.AddressB, 7);

        Assert.Equal(-Errno.EINVAL, Sys.Bind(b.Kernel, fd, good.AsSpan(0, 23)));
        // inet6_bind checks the length first: a sockaddr_in is too short, then the family.
        Assert.Equal(-Errno.EINVAL, Sys.Bind(b.Kernel, fd, Inet(CapturedFrames.AddressB, 7)));
        byte[] otherFamily = Inet6(CapturedFrames6.AddressB, 7);
        otherFamily[0] = SocketFamily.AF_INET;
        Assert.Equal(-Errno.EAFNOSUPPORT, Sys.Bind(b.Kernel, fd, otherFamily));
        Assert.Equal(-Errno.EADDRNOTAVAIL, Sys.Bind(b.Kernel, fd, Inet6(CapturedFrames6.AddressA, 7)));
        Assert.Equal(-Errno.EINVAL, Sys.Sendto(b.Kernel, fd, "x"u8, 0, good.AsSpan(0, 20)));
        // 24 bytes, sockaddr_in6 without the scope id (SIN6_LEN_RFC2133), are enough.
        Assert.Equal(0, Sys.Bind(b.Kernel, fd, good.AsSpan(0, SocketAddress.Inet6MinimumLength)));

        // A short buffer gets the address's first bytes and the whole length.
        byte[] half = new byte[8];
        int halfLength = half.Length;
        Assert.Equal(0, Sys.Getsockname(b.Kernel, fd, half, ref halfLength));
        Assert.Equal(SocketAddress.Inet6Length, halfLength);
        Assert.Equal(good.AsSpan(0, 8).ToArray(), half);
    }

    // A dual-stack AF_INET6 stream socket reaches IPv4 through mapped addresses (loopback here),
    // as the BCL's dual-mode TcpClient and TcpListener use it, and IPv6 addresses as they are.
    [Fact]
    public void Stream_ServesIpv4ThroughMappedAddresses_AndBindsIpv6Addresses()
    {
        NetTestHost b = HostB();
        int listener = Open6(b.Kernel, Stream);
        Assert.Equal(0, Sys.Bind(b.Kernel, listener, Inet6(Ipv6Address.Unspecified, 7000)));
        Assert.Equal(0, Sys.Listen(b.Kernel, listener, 4));
        int client = Open6(b.Kernel, Stream);
        Ipv6Address loopback = Ipv6Address.MapIpv4(Ipv4Address.Loopback);

        Assert.Equal(0, Sys.Connect(b.Kernel, client, Inet6(loopback, 7000)));
        byte[] peer = new byte[SocketAddress.Inet6Length];
        int peerLength = peer.Length;
        long server = Sys.Accept4(b.Kernel, listener, peer, ref peerLength, 0);
        Assert.True(server >= 0, "accept4 = " + server);
        (Ipv6Address clientAddress, ushort clientPort) = Name(b.Kernel, client);
        Assert.Equal(loopback, clientAddress);
        Assert.Equal(Inet6(loopback, clientPort), peer);
        Assert.Equal((Ipv6Address.Unspecified, (ushort)7000), Name(b.Kernel, listener));

        Assert.Equal(5, Sys.Write(b.Kernel, client, "hello"u8));
        byte[] buffer = new byte[16];
        Assert.Equal(5, Sys.Read(b.Kernel, (int)server, buffer));

        int other = Open6(b.Kernel, Stream);
        Assert.Equal(0, Sys.Bind(b.Kernel, other, Inet6(CapturedFrames6.AddressB, 7001)));
        Assert.Equal((CapturedFrames6.AddressB, (ushort)7001), Name(b.Kernel, other));
        Assert.Equal(-Errno.EADDRNOTAVAIL, Sys.Bind(b.Kernel, Open6(b.Kernel, Stream), Inet6(CapturedFrames6.AddressA, 7002)));
        int only6 = Open6(b.Kernel, Stream);
        Assert.Equal(0, Sys.Setsockopt(b.Kernel, only6, SocketProtocols.IPPROTO_IPV6, SocketOptions.IPV6_V6ONLY, Int(1)));
        Assert.Equal(1, GetInt(b.Kernel, only6, SocketProtocols.IPPROTO_IPV6, SocketOptions.IPV6_V6ONLY));
        Assert.Equal(-Errno.ENETUNREACH, Sys.Connect(b.Kernel, only6, Inet6(loopback, 7000)));
        Assert.Equal(0, Sys.Bind(b.Kernel, only6, Inet6(Ipv6Address.Unspecified, 7003)));
    }

    private static NetTestHost HostB()
    {
        NetTestHost host = new NetTestHost(hostB: true);
        host.Interface.EnableIpv6(new[] { CapturedFrames6.AddressB }, new[] { 64 });
        host.Device.Inject(CapturedFrames6.NeighborSolicitation);
        host.Device.Sent.Clear();
        return host;
    }

    private static int Open6(Kernel kernel, int type)
    {
        long fd = Sys.Socket(kernel, SocketFamily.AF_INET6, type, 0);
        Assert.True(fd >= 0, "socket = " + fd);
        return (int)fd;
    }

    private static byte[] Inet6(Ipv6Address address, ushort port)
    {
        byte[] bytes = new byte[SocketAddress.Inet6Length];
        BinaryPrimitives.WriteUInt16LittleEndian(bytes, SocketFamily.AF_INET6);
        BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(2), port);
        address.Write(bytes.AsSpan(8));
        return bytes;
    }

    private static (Ipv6Address Address, ushort Port) Name(Kernel kernel, int fd)
    {
        byte[] name = new byte[SocketAddress.Inet6Length];
        int length = name.Length;
        Assert.Equal(0, Sys.Getsockname(kernel, fd, name, ref length));
        Assert.Equal(SocketAddress.Inet6Length, length);
        Assert.Equal(SocketFamily.AF_INET6, BinaryPrimitives.ReadUInt16LittleEndian(name));
        return (Ipv6Address.Read(name.AsSpan(8)), BinaryPrimitives.ReadUInt16BigEndian(name.AsSpan(2)));
    }

    private static byte[] Int(int value)
    {
        byte[] bytes = new byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(bytes, value);
        return bytes;
    }

    private static int unused;

    private static ref int Unused()
    {
        unused = 0;
        return ref unused;
    }
}
