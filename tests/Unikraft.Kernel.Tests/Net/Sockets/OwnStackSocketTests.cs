namespace Unikraft.Kernel.Tests;

using System;
using Xunit;
using static SocketTestKit;

// The socket syscalls on the kernel's own stack, as a program gets it on its first socket(2):
// TCP and UDP over loopback (127.0.0.0/8 inside the kernel), with no network device at all.
public class OwnStackSocketTests
{
    private const int Stream = SocketTypes.SOCK_STREAM;
    private const int Datagram = SocketTypes.SOCK_DGRAM;

    [Fact]
    public void FirstSocket_StandsOnTheKernelsOwnStack_WithLoopbackOnly()
    {
        Kernel kernel = TestKernel.Boot(out _);
        Assert.Null(kernel.Net);

        Open(kernel, Stream);

        Assert.IsType<StackSocketTransport>(kernel.SocketTransport);
        Assert.NotNull(kernel.Net);
        Assert.Equal(0, kernel.Net!.InterfaceCount);
    }

    [Fact]
    public void Tcp_ConnectAcceptEchoAndClose_OverLoopback()
    {
        Kernel kernel = TestKernel.Boot(out _);
        int listener = Listener(kernel, 7000);
        (int client, int server) = Connected(kernel, listener, 7000);

        byte[] peer = new byte[SocketAddress.InetLength];
        int peerLength = peer.Length;
        Assert.Equal(0, Sys.Getpeername(kernel, server, peer, ref peerLength));
        byte[] name = new byte[SocketAddress.InetLength];
        int nameLength = name.Length;
        Assert.Equal(0, Sys.Getsockname(kernel, client, name, ref nameLength));
        Assert.Equal(Read(name), Read(peer));
        Assert.Equal(Ipv4Address.Loopback, Read(peer).Address);

        Assert.Equal(5, Sys.Write(kernel, client, "hello"u8));
        byte[] buffer = new byte[16];
        Assert.Equal(5, Sys.Read(kernel, server, buffer));
        Assert.Equal("hello"u8.ToArray(), buffer.AsSpan(0, 5).ToArray());
        Assert.Equal(5, Sys.Write(kernel, server, buffer.AsSpan(0, 5)));
        Assert.Equal(5, Sys.Read(kernel, client, buffer));

        Assert.Equal(0, Sys.Close(kernel, client));
        Assert.Equal(0, Sys.Read(kernel, server, buffer));
        Assert.Equal(0, Sys.Close(kernel, server));
    }

    [Fact]
    public void Tcp_ConnectToAPortNoOneListensOn_IsRefused()
    {
        Kernel kernel = TestKernel.Boot(out _);
        int client = Open(kernel, Stream);

        Assert.Equal(-Errno.ECONNREFUSED, Sys.Connect(kernel, client, Inet(Ipv4Address.Loopback, 7001)));
    }

    [Fact]
    public void Tcp_OneMegabyte_ArrivesIntact_BothWays()
    {
        Kernel kernel = TestKernel.Boot(out _);
        int listener = Listener(kernel, 7002);
        (int client, int server) = Connected(kernel, listener, 7002);
        byte[] data = new byte[1 << 20];
        new Random(7).NextBytes(data);
        Assert.Equal(0, Sys.Fcntl(kernel, client, OpenFlags.F_SETFL, OpenFlags.O_NONBLOCK));
        Assert.Equal(0, Sys.Fcntl(kernel, server, OpenFlags.F_SETFL, OpenFlags.O_NONBLOCK));

        byte[] received = new byte[data.Length];
        int sent = 0;
        int got = 0;
        byte[] buffer = new byte[65536];
        long idle = 0;
        while (got < data.Length)
        {
            long wrote = sent < data.Length ? Sys.Write(kernel, client, data.AsSpan(sent)) : -Errno.EAGAIN;
            sent += wrote > 0 ? (int)wrote : 0;
            long read = Sys.Read(kernel, server, buffer);
            if (read > 0)
            {
                buffer.AsSpan(0, (int)read).CopyTo(received.AsSpan(got));
                got += (int)read;
            }
            if (wrote <= 0 && read <= 0)
            {
                // Nothing moved: let the loopback queue and the timers run.
                Assert.True(++idle < 100_000, "the stream stalled at " + got + " bytes");
                Sys.Nanosleep(kernel, new Timespec(0, 1_000_000));
            }
        }

        Assert.Equal(data, received);
    }

    [Fact]
    public void Udp_RoundTrip_OverLoopback_NamesTheSender()
    {
        Kernel kernel = TestKernel.Boot(out _);
        int server = Open(kernel, Datagram);
        int client = Open(kernel, Datagram);
        Assert.Equal(0, Sys.Bind(kernel, server, Inet(Ipv4Address.Loopback, 5353)));

        Assert.Equal(4, Sys.Sendto(kernel, client, "ping"u8, 0, Inet(Ipv4Address.Loopback, 5353)));
        byte[] buffer = new byte[16];
        byte[] from = new byte[SocketAddress.InetLength];
        int fromLength = from.Length;
        Assert.Equal(4, Sys.Recvfrom(kernel, server, buffer, 0, from, ref fromLength));
        Assert.Equal("ping"u8.ToArray(), buffer.AsSpan(0, 4).ToArray());
        byte[] clientName = new byte[SocketAddress.InetLength];
        int clientLength = clientName.Length;
        Assert.Equal(0, Sys.Getsockname(kernel, client, clientName, ref clientLength));
        Assert.Equal(Read(clientName).Port, Read(from).Port);

        Assert.Equal(4, Sys.Sendto(kernel, server, "pong"u8, 0, from));
        Assert.Equal(4, Sys.Recvfrom(kernel, client, buffer, MessageFlags.MSG_PEEK, Span<byte>.Empty, ref fromLength));
        Assert.Equal(4, Sys.Recvfrom(kernel, client, buffer, 0, Span<byte>.Empty, ref fromLength));
        Assert.Equal("pong"u8.ToArray(), buffer.AsSpan(0, 4).ToArray());
    }

    [Fact]
    public void Udp_ConnectedToAClosedLoopbackPort_NextReceiveIsRefused_AndSoErrorClearsIt()
    {
        Kernel kernel = TestKernel.Boot(out _);
        int client = Open(kernel, Datagram);
        Assert.Equal(0, Sys.Connect(kernel, client, Inet(Ipv4Address.Loopback, 5999)));

        // Nothing listens on 5999: the stack answers itself with ICMP port unreachable over
        // loopback, and the connected socket hears it, as on Linux.
        Assert.Equal(5, Sys.Sendto(kernel, client, "probe"u8, 0, Span<byte>.Empty));
        byte[] buffer = new byte[16];
        int fromLength = 0;
        Assert.Equal(-Errno.ECONNREFUSED, Sys.Recvfrom(kernel, client, buffer, 0, Span<byte>.Empty, ref fromLength));
        Assert.Equal(-Errno.EAGAIN, Sys.Recvfrom(kernel, client, buffer, MessageFlags.MSG_DONTWAIT, Span<byte>.Empty, ref fromLength));

        // Again, seen by poll as POLLERR and read through SO_ERROR this time: once, then cleared.
        Assert.Equal(5, Sys.Sendto(kernel, client, "probe"u8, 0, Span<byte>.Empty));
        PollFd[] fds = { new PollFd(client, (short)PollEvents.POLLIN) };
        Assert.Equal(1, Sys.Poll(kernel, fds, 1000));
        Assert.Equal(PollEvents.POLLERR, fds[0].ReturnedEvents & PollEvents.POLLERR);
        Assert.Equal(Errno.ECONNREFUSED, GetInt(kernel, client, SocketOptions.SOL_SOCKET, SocketOptions.SO_ERROR));
        Assert.Equal(0, GetInt(kernel, client, SocketOptions.SOL_SOCKET, SocketOptions.SO_ERROR));
    }
}
