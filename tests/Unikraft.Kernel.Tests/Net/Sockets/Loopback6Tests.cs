namespace Unikraft.Kernel.Tests;

using System;
using System.Buffers.Binary;
using Unikraft.Kernel.Tests.Net.Interface;
using Unikraft.Kernel.Tests.Net.Wire;
using Xunit;
using static SocketTestKit;

// IPv6 loopback inside the kernel, as 127.0.0.0/8 is: ::1 and the host's own IPv6 addresses are
// delivered through the stack's loopback queue, for TCP and UDP, and never reach the device.
public class Loopback6Tests
{
    private const int Stream = SocketTypes.SOCK_STREAM;
    private const int Datagram = SocketTypes.SOCK_DGRAM;

    [Fact]
    public void Tcp_ConnectAcceptEchoAndClose_OverTheIpv6Loopback()
    {
        Kernel kernel = TestKernel.Boot(out _);
        int listener = Open6(kernel, Stream);
        Assert.Equal(0, Sys.Bind(kernel, listener, Inet6(Ipv6Address.Unspecified, 7000)));
        Assert.Equal(0, Sys.Listen(kernel, listener, 4));
        int client = Open6(kernel, Stream);

        Assert.Equal(0, Sys.Connect(kernel, client, Inet6(Loopback, 7000)));
        byte[] peer = new byte[SocketAddress.Inet6Length];
        int peerLength = peer.Length;
        long server = Sys.Accept4(kernel, listener, peer, ref peerLength, 0);
        Assert.True(server >= 0, "accept4 = " + server);
        (Ipv6Address clientAddress, ushort clientPort) = Name(kernel, client);
        Assert.Equal(Loopback, clientAddress);
        Assert.Equal(Inet6(Loopback, clientPort), peer);
        Assert.Equal((Loopback, (ushort)7000), Name(kernel, (int)server));

        byte[] data = new byte[300_000];
        new Random(9).NextBytes(data);
        Assert.Equal(0, Sys.Fcntl(kernel, client, OpenFlags.F_SETFL, OpenFlags.O_NONBLOCK));
        byte[] received = new byte[data.Length];
        int sent = 0;
        int got = 0;
        for (int round = 0; round < 100_000 && got < data.Length; round++)
        {
            long wrote = sent < data.Length ? Sys.Write(kernel, client, data.AsSpan(sent)) : 0;
            sent += wrote > 0 ? (int)wrote : 0;
            long read = Sys.Read(kernel, (int)server, received.AsSpan(got));
            Assert.True(read > 0, "read = " + read);
            got += (int)read;
        }
        Assert.Equal(data, received);

        Assert.Equal(0, Sys.Close(kernel, client));
        Assert.Equal(0, Sys.Read(kernel, (int)server, received));
        Assert.Equal(0, Sys.Close(kernel, (int)server));
    }

    [Fact]
    public void Tcp_ConnectToTheIpv6LoopbackWhereNoOneListens_IsRefused()
    {
        Kernel kernel = TestKernel.Boot(out _);
        Assert.Equal(-Errno.ECONNREFUSED, Sys.Connect(kernel, Open6(kernel, Stream), Inet6(Loopback, 7001)));
    }

    // A server listening on "localhost" (Kestrel's default) binds 127.0.0.1:p and [::1]:p, each
    // socket its own; a wildcard overlapping another's address is refused, a v6-only one is not.
    [Fact]
    public void Tcp_OnePort_ListensOnBothLoopbacks_AndEachTakesItsOwn()
    {
        Kernel kernel = TestKernel.Boot(out _);
        int four = Open(kernel, Stream);
        Assert.Equal(0, Sys.Bind(kernel, four, Inet(Ipv4Address.Loopback, 7002)));
        Assert.Equal(0, Sys.Listen(kernel, four, 4));
        int six = Open6(kernel, Stream);
        Assert.Equal(0, Sys.Setsockopt(kernel, six, SocketProtocols.IPPROTO_IPV6, SocketOptions.IPV6_V6ONLY, Int(1)));
        Assert.Equal(0, Sys.Bind(kernel, six, Inet6(Loopback, 7002)));
        Assert.Equal(0, Sys.Listen(kernel, six, 4));
        Assert.Equal(-Errno.EADDRINUSE, Sys.Bind(kernel, Open6(kernel, Stream), Inet6(Ipv6Address.Unspecified, 7002)));
        Assert.Equal(-Errno.EADDRINUSE, Sys.Bind(kernel, Open(kernel, Stream), Inet(Ipv4Address.Any, 7002)));
        int only6 = Open6(kernel, Stream);
        Assert.Equal(0, Sys.Setsockopt(kernel, only6, SocketProtocols.IPPROTO_IPV6, SocketOptions.IPV6_V6ONLY, Int(1)));
        Assert.Equal(-Errno.EADDRINUSE, Sys.Bind(kernel, only6, Inet6(Ipv6Address.Unspecified, 7002)));
        Assert.Equal(0, Sys.Bind(kernel, Open(kernel, Stream), Inet(Ipv4Address.Any, 7003)));
        Assert.Equal(0, Sys.Bind(kernel, only6, Inet6(Ipv6Address.Unspecified, 7003)));

        int client4 = Open(kernel, Stream);
        Assert.Equal(0, Sys.Connect(kernel, client4, Inet(Ipv4Address.Loopback, 7002)));
        int client6 = Open6(kernel, Stream);
        Assert.Equal(0, Sys.Connect(kernel, client6, Inet6(Loopback, 7002)));

        byte[] peer4 = new byte[SocketAddress.InetLength];
        int length4 = peer4.Length;
        Assert.True(Sys.Accept4(kernel, four, peer4, ref length4, 0) >= 0);
        Assert.Equal(Ipv4Address.Loopback, Read(peer4).Address);
        byte[] peer6 = new byte[SocketAddress.Inet6Length];
        int length6 = peer6.Length;
        Assert.True(Sys.Accept4(kernel, six, peer6, ref length6, 0) >= 0);
        Assert.Equal(Loopback, Ipv6Address.Read(peer6.AsSpan(8)));
        Assert.Equal(0, Sys.Fcntl(kernel, four, OpenFlags.F_SETFL, OpenFlags.O_NONBLOCK));
        Assert.Equal(0, Sys.Fcntl(kernel, six, OpenFlags.F_SETFL, OpenFlags.O_NONBLOCK));
        Assert.Equal(-Errno.EAGAIN, Sys.Accept4(kernel, four, peer4, ref length4, 0));
        Assert.Equal(-Errno.EAGAIN, Sys.Accept4(kernel, six, peer6, ref length6, 0));
    }

    [Fact]
    public void Udp_SendtoAndRecvfrom_OverTheIpv6Loopback()
    {
        Kernel kernel = TestKernel.Boot(out _);
        int receiver = Open6(kernel, Datagram);
        Assert.Equal(0, Sys.Bind(kernel, receiver, Inet6(Loopback, 5353)));
        int sender = Open6(kernel, Datagram);

        Assert.Equal(5, Sys.Sendto(kernel, sender, "hello"u8, 0, Inet6(Loopback, 5353)));

        byte[] buffer = new byte[16];
        byte[] from = new byte[SocketAddress.Inet6Length];
        int fromLength = from.Length;
        Assert.Equal(5, Sys.Recvfrom(kernel, receiver, buffer, 0, from, ref fromLength));
        Assert.Equal("hello"u8.ToArray(), buffer.AsSpan(0, 5).ToArray());
        (Ipv6Address senderAddress, ushort senderPort) = Name(kernel, sender);
        Assert.Equal(Inet6(Loopback, senderPort), from);
        Assert.Equal(Ipv6Address.Unspecified, senderAddress);
    }

    // The host's own IPv6 address is local too: TCP to it never reaches the device.
    [Fact]
    public void Tcp_ToTheHostsOwnIpv6Address_StaysInTheKernel()
    {
        NetTestHost host = new NetTestHost(hostB: true);
        host.Interface.EnableIpv6(new[] { CapturedFrames6.AddressB }, new[] { 64 });
        host.Device.Sent.Clear();
        int listener = Open6(host.Kernel, Stream);
        Assert.Equal(0, Sys.Bind(host.Kernel, listener, Inet6(CapturedFrames6.AddressB, 7004)));
        Assert.Equal(0, Sys.Listen(host.Kernel, listener, 4));
        int client = Open6(host.Kernel, Stream);

        Assert.Equal(0, Sys.Connect(host.Kernel, client, Inet6(CapturedFrames6.AddressB, 7004)));

        Assert.Equal((CapturedFrames6.AddressB, Name(host.Kernel, client).Port), Name(host.Kernel, client));
        int length = SocketAddress.Inet6Length;
        Assert.True(Sys.Accept4(host.Kernel, listener, new byte[length], ref length, 0) >= 0);
        Assert.Empty(host.Device.Sent);
        Assert.Equal(-Errno.ECONNREFUSED, Sys.Connect(host.Kernel, Open6(host.Kernel, Stream), Inet6(CapturedFrames6.AddressB, 7005)));
    }

    private static Ipv6Address Loopback => new Ipv6Address(0, 1);

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
        return (Ipv6Address.Read(name.AsSpan(8)), BinaryPrimitives.ReadUInt16BigEndian(name.AsSpan(2)));
    }

    private static byte[] Int(int value)
    {
        byte[] bytes = new byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(bytes, value);
        return bytes;
    }
}
