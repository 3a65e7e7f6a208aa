namespace Unikraft.Kernel.Tests;

using System;
using System.Buffers.Binary;
using Xunit;

// Short helpers over the socket syscalls: a kernel on the loopback transport, sockaddr_in bytes,
// a listener, a connected pair.
internal static class SocketTestKit
{
    public const long Second = PipeTestKit.Second;

    public static Kernel Boot(out TestPlatform platform, out LoopbackTransport transport)
    {
        Kernel kernel = TestKernel.Boot(out platform);
        transport = new LoopbackTransport(kernel);
        kernel.SocketTransport = transport;
        return kernel;
    }

    public static byte[] Inet(Ipv4Address address, ushort port, int family = SocketFamily.AF_INET)
    {
        byte[] bytes = new byte[SocketAddress.InetLength];
        BinaryPrimitives.WriteUInt16LittleEndian(bytes, (ushort)family);
        BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(2), port);
        address.Write(bytes.AsSpan(4));
        return bytes;
    }

    public static (Ipv4Address Address, ushort Port) Read(ReadOnlySpan<byte> bytes)
    {
        Assert.Equal(SocketFamily.AF_INET, BinaryPrimitives.ReadUInt16LittleEndian(bytes));
        return (Ipv4Address.Read(bytes.Slice(4)), BinaryPrimitives.ReadUInt16BigEndian(bytes.Slice(2)));
    }

    public static int Open(Kernel kernel, int type)
    {
        long fd = Sys.Socket(kernel, SocketFamily.AF_INET, type, 0);
        Assert.True(fd >= 0, "socket = " + fd);
        return (int)fd;
    }

    public static int Listener(Kernel kernel, ushort port, int backlog = 8)
    {
        int fd = Open(kernel, SocketTypes.SOCK_STREAM);
        Assert.Equal(0, Sys.Bind(kernel, fd, Inet(Ipv4Address.Any, port)));
        Assert.Equal(0, Sys.Listen(kernel, fd, backlog));
        return fd;
    }

    // A blocking connect to port and the listener's accept of it.
    public static (int Client, int Server) Connected(Kernel kernel, int listener, ushort port)
    {
        int client = Open(kernel, SocketTypes.SOCK_STREAM);
        Assert.Equal(0, Sys.Connect(kernel, client, Inet(Ipv4Address.Loopback, port)));
        int length = SocketAddress.InetLength;
        long server = Sys.Accept4(kernel, listener, new byte[length], ref length, 0);
        Assert.True(server >= 0, "accept4 = " + server);
        return (client, (int)server);
    }

    public static int GetInt(Kernel kernel, int fd, int level, int name)
    {
        byte[] value = new byte[4];
        int length = 4;
        Assert.Equal(0, Sys.Getsockopt(kernel, fd, level, name, value, ref length));
        Assert.Equal(4, length);
        return BinaryPrimitives.ReadInt32LittleEndian(value);
    }

    public static long SetTimeval(Kernel kernel, int fd, int name, long seconds, long microseconds)
    {
        byte[] value = new byte[16];
        BinaryPrimitives.WriteInt64LittleEndian(value, seconds);
        BinaryPrimitives.WriteInt64LittleEndian(value.AsSpan(8), microseconds);
        return Sys.Setsockopt(kernel, fd, SocketOptions.SOL_SOCKET, name, value);
    }
}
