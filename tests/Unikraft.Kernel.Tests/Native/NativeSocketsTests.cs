namespace Unikraft.Kernel.Tests;

using System;
using System.Runtime.InteropServices;
using System.Text;
using Xunit;
using static SocketTestKit;

// The BCL's socket functions and event port as it calls them: through their unmanaged entry
// points, with the PAL's numbers, structs (MessageHeader, IOVector, LingerOption, SocketEvent) and
// Error codes. The native layer serves one kernel per process, so these tests take turns.
[Collection("native layer")]
public unsafe class NativeSocketsTests
{
    // NOTE: pal_networking.h and pal_error_common.h.
    private const int PalInet = 2;
    private const int PalInet6 = 23;
    private const int PalUnix = 1;
    private const int PalStream = 1;
    private const int PalDatagram = 2;
    private const int PalTcp = 6;
    private const int PalUdp = 17;
    private const int PalPeek = 0x2;
    private const int PalTrunc = 0x100;
    private const int PalLevelSocket = 0xFFFF;
    private const int PalLevelTcp = 6;
    private const int PalReuseAddress = 0x4;
    private const int PalType = 0x1008;
    private const int SaRead = 0x1;
    private const int SaWrite = 0x2;
    private const int ErrorEafnosupport = 0x10005;
    private const int ErrorEagain = 0x10006;
    private const int ErrorEconnrefused = 0x1000E;
    private const int ErrorEinval = 0x1001C;
    private const int ErrorEfault = 0x10015;
    private const int ErrorEnotsup = 0x1003D;

    [StructLayout(LayoutKind.Sequential)]
    private struct PalMessageHeader
    {
        public nint SocketAddress;
        public nint IOVectors;
        public nint ControlBuffer;
        public int SocketAddressLen;
        public int IOVectorCount;
        public int ControlBufferLen;
        public int Flags;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct PalIOVector
    {
        public nint Base;
        public nuint Count;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct PalSocketEvent
    {
        public nuint Data;
        public int Events;
        public uint Padding;
    }

    private static Kernel Attach(out TestPlatform platform)
    {
        Kernel kernel = Boot(out platform, out _);
        NativeLayer.Attach(kernel);
        return kernel;
    }

    private static int NewSocket(int family, int type, int protocol)
    {
        nint fd = 99;
        Assert.Equal(0, ((delegate* unmanaged<int, int, int, nint, int>)&NativeSockets.Socket)(family, type, protocol, (nint)(&fd)));
        return (int)fd;
    }

    [Fact]
    public void StreamFunctions_ConnectAcceptSendReceive_WithThePalsStructsAndCodes()
    {
        Kernel kernel = Attach(out _);
        int listener = NewSocket(PalInet, PalStream, PalTcp);
        byte[] address = Inet(Ipv4Address.Any, 8180);
        fixed (byte* name = address)
        {
            Assert.Equal(0, ((delegate* unmanaged<nint, int, nint, int, int>)&NativeSockets.Bind)(listener, PalTcp, (nint)name, address.Length));
        }
        // The PAL sets SO_REUSEADDR on every TCP socket it binds.
        Assert.Equal(1, GetInt(kernel, listener, SocketOptions.SOL_SOCKET, SocketOptions.SO_REUSEADDR));
        Assert.Equal(0, ((delegate* unmanaged<nint, int, int>)&NativeSockets.Listen)(listener, 16));

        int client = NewSocket(PalInet, PalStream, PalTcp);
        Assert.Equal(OpenFlags.FD_CLOEXEC, Sys.Fcntl(kernel, client, OpenFlags.F_GETFD, 0));
        byte[] target = Inet(Ipv4Address.Loopback, 8180);
        fixed (byte* name = target)
        {
            Assert.Equal(0, ((delegate* unmanaged<nint, nint, int, int>)&NativeSockets.Connect)(client, (nint)name, target.Length));
        }
        byte[] peer = new byte[28];
        int peerLength = peer.Length;
        nint accepted = -1;
        fixed (byte* name = peer)
        {
            Assert.Equal(0, ((delegate* unmanaged<nint, nint, nint, nint, int>)&NativeSockets.Accept)(listener, (nint)name, (nint)(&peerLength), (nint)(&accepted)));
        }
        Assert.Equal(SocketAddress.InetLength, peerLength);
        Assert.True(accepted > 2);
        Assert.Equal(OpenFlags.FD_CLOEXEC, Sys.Fcntl(kernel, (int)accepted, OpenFlags.F_GETFD, 0));

        byte[] text = Encoding.ASCII.GetBytes("hello");
        int sent = 0;
        fixed (byte* bytes = text)
        {
            Assert.Equal(0, ((delegate* unmanaged<nint, nint, int, int, nint, int>)&NativeSockets.Send)(client, (nint)bytes, text.Length, 0, (nint)(&sent)));
        }
        Assert.Equal(5, sent);
        int available = 0;
        Assert.Equal(0, ((delegate* unmanaged<nint, nint, int>)&NativeSockets.GetBytesAvailable)(accepted, (nint)(&available)));
        Assert.Equal(5, available);

        // The BCL's zero-byte read: a one-byte peek that leaves the byte there.
        byte[] buffer = new byte[16];
        int received = 0;
        fixed (byte* bytes = buffer)
        {
            Assert.Equal(0, ((delegate* unmanaged<nint, nint, int, int, nint, int>)&NativeSockets.Receive)(accepted, (nint)bytes, 1, PalPeek, (nint)(&received)));
            Assert.Equal(1, received);
            Assert.Equal(0, ((delegate* unmanaged<nint, nint, int, int, nint, int>)&NativeSockets.Receive)(accepted, (nint)bytes, buffer.Length, 0, (nint)(&received)));
        }
        Assert.Equal("hello", Encoding.ASCII.GetString(buffer, 0, received));

        int family = 0, type = 0, protocol = 0, listening = 0;
        Assert.Equal(0, ((delegate* unmanaged<nint, nint, nint, nint, nint, int>)&NativeSockets.GetSocketType)(listener, (nint)(&family), (nint)(&type), (nint)(&protocol), (nint)(&listening)));
        Assert.Equal((PalInet, PalStream, PalTcp, 1), (family, type, protocol, listening));
        Assert.Equal(0, ((delegate* unmanaged<nint, nint, nint, nint, nint, int>)&NativeSockets.GetSocketType)(0, (nint)(&family), (nint)(&type), (nint)(&protocol), (nint)(&listening)));
        Assert.Equal((-1, -1, -1, 0), (family, type, protocol, listening));
    }

    [Fact]
    public void Connectx_ConnectsAsConnectDoes_AndSendsNothingWithTheHandshake()
    {
        Kernel kernel = Attach(out _);
        int listener = NewSocket(PalInet, PalStream, PalTcp);
        byte[] address = Inet(Ipv4Address.Any, 8181);
        fixed (byte* name = address)
        {
            Assert.Equal(0, ((delegate* unmanaged<nint, int, nint, int, int>)&NativeSockets.Bind)(listener, PalTcp, (nint)name, address.Length));
        }
        Assert.Equal(0, ((delegate* unmanaged<nint, int, int>)&NativeSockets.Listen)(listener, 4));
        int client = NewSocket(PalInet, PalStream, PalTcp);
        byte[] target = Inet(Ipv4Address.Loopback, 8181);
        byte[] data = Encoding.ASCII.GetBytes("early");
        int sent = 99;
        delegate* unmanaged<nint, nint, int, nint, int, int, nint, int> connectx = &NativeSockets.Connectx;
        fixed (byte* name = target)
        fixed (byte* bytes = data)
        {
            Assert.Equal(0, connectx(client, (nint)name, target.Length, (nint)bytes, data.Length, 1, (nint)(&sent)));
            Assert.Equal(ErrorEfault, connectx(client, (nint)name, target.Length, (nint)bytes, data.Length, 1, 0));
        }
        Assert.Equal(0, sent);
        nint accepted = -1;
        byte[] peer = new byte[28];
        int peerLength = peer.Length;
        fixed (byte* name = peer)
        {
            Assert.Equal(0, ((delegate* unmanaged<nint, nint, nint, nint, int>)&NativeSockets.Accept)(listener, (nint)name, (nint)(&peerLength), (nint)(&accepted)));
        }
        int available = -1;
        Assert.Equal(0, ((delegate* unmanaged<nint, nint, int>)&NativeSockets.GetBytesAvailable)(accepted, (nint)(&available)));
        Assert.Equal(0, available);
    }

    [Fact]
    public void Errors_ComeBackAsPalCodes_NotAsErrno()
    {
        Kernel kernel = Attach(out TestPlatform platform);
        delegate* unmanaged<int, int, int, nint, int> socket = &NativeSockets.Socket;
        nint created = 5;
        // The BCL's start-up probes: IPv6 and Unix domain sockets are refused, and it copes.
        Assert.Equal(ErrorEafnosupport, socket(PalInet6, PalDatagram, 0, (nint)(&created)));
        Assert.Equal(-1, created);
        Assert.Equal(ErrorEafnosupport, socket(PalUnix, PalStream, 0, (nint)(&created)));

        int stream = NewSocket(PalInet, PalStream, PalTcp);
        byte[] target = Inet(Ipv4Address.Loopback, 9);
        fixed (byte* name = target)
        {
            Assert.Equal(ErrorEinval, ((delegate* unmanaged<nint, int, nint, int, int>)&NativeSockets.Bind)(stream, PalTcp, (nint)name, 8));
            Assert.Equal(ErrorEconnrefused, ((delegate* unmanaged<nint, nint, int, int>)&NativeSockets.Connect)(stream, (nint)name, target.Length));
        }

        int nonBlocking = NewSocket(PalInet, PalStream, PalTcp);
        PipeTestKit.SetNonBlocking(kernel, nonBlocking);
        fixed (byte* name = target)
        {
            Assert.Equal(0x1001A, ((delegate* unmanaged<nint, nint, int, int>)&NativeSockets.Connect)(nonBlocking, (nint)name, target.Length));
        }
        PollFd[] fds = { new PollFd(nonBlocking, (short)PollEvents.POLLOUT) };
        Assert.Equal(1, Sys.Poll(kernel, fds, -1));
        int error = 0;
        Assert.Equal(0, ((delegate* unmanaged<nint, nint, int>)&NativeSockets.GetSocketErrorOption)(nonBlocking, (nint)(&error)));
        Assert.Equal(ErrorEconnrefused, error);

        byte[] buffer = new byte[4];
        int received = 7;
        int datagram = NewSocket(PalInet, PalDatagram, PalUdp);
        PipeTestKit.SetNonBlocking(kernel, datagram);
        fixed (byte* bytes = buffer)
        {
            Assert.Equal(ErrorEnotsup, ((delegate* unmanaged<nint, nint, int, int, nint, int>)&NativeSockets.Receive)(datagram, (nint)bytes, 4, 0x8000, (nint)(&received)));
            Assert.Equal(ErrorEagain, ((delegate* unmanaged<nint, nint, int, int, nint, int>)&NativeSockets.Receive)(datagram, (nint)bytes, 4, 0, (nint)(&received)));
        }
        Assert.Equal(0, received);
        Assert.Equal(ErrorEinval, ((delegate* unmanaged<nint, int, int>)&NativeSockets.SetReceiveTimeout)(datagram, -1));
        int* linger = stackalloc int[] { 1, 70000 };
        Assert.Equal(ErrorEinval, ((delegate* unmanaged<nint, nint, int>)&NativeSockets.SetLingerOption)(stream, (nint)linger));
    }

    [Fact]
    public void DatagramMessages_GatherScatter_NameTheSender_AndReportTruncation()
    {
        Kernel kernel = Attach(out _);
        int server = NewSocket(PalInet, PalDatagram, PalUdp);
        Assert.Equal(0, Sys.Bind(kernel, server, Inet(Ipv4Address.Loopback, 5400)));
        int client = NewSocket(PalInet, PalDatagram, PalUdp);
        delegate* unmanaged<nint, nint, int, nint, int> sendMessage = &NativeSockets.SendMessage;
        delegate* unmanaged<nint, nint, int, nint, int> receiveMessage = &NativeSockets.ReceiveMessage;

        byte[] first = Encoding.ASCII.GetBytes("abc");
        byte[] second = Encoding.ASCII.GetBytes("defg");
        byte[] destination = Inet(Ipv4Address.Loopback, 5400);
        long sent = 0;
        fixed (byte* a = first, b = second, name = destination)
        {
            PalIOVector* vectors = stackalloc PalIOVector[2];
            vectors[0] = new PalIOVector { Base = (nint)a, Count = 3 };
            vectors[1] = new PalIOVector { Base = (nint)b, Count = 4 };
            PalMessageHeader header = new PalMessageHeader { SocketAddress = (nint)name, SocketAddressLen = 16, IOVectors = (nint)vectors, IOVectorCount = 2 };
            Assert.Equal(0, sendMessage(client, (nint)(&header), 0, (nint)(&sent)));
            Assert.Equal(0, sendMessage(client, (nint)(&header), 0, (nint)(&sent)));
        }
        Assert.Equal(7, sent);

        byte[] front = new byte[2];
        byte[] back = new byte[8];
        byte[] from = new byte[32];
        long received = 0;
        fixed (byte* a = front, b = back, name = from)
        {
            PalIOVector* vectors = stackalloc PalIOVector[2];
            vectors[0] = new PalIOVector { Base = (nint)a, Count = 2 };
            vectors[1] = new PalIOVector { Base = (nint)b, Count = 8 };
            PalMessageHeader header = new PalMessageHeader { SocketAddress = (nint)name, SocketAddressLen = 32, IOVectors = (nint)vectors, IOVectorCount = 2, ControlBufferLen = 5 };
            Assert.Equal(0, receiveMessage(server, (nint)(&header), 0, (nint)(&received)));
            Assert.Equal(7, received);
            Assert.Equal(SocketAddress.InetLength, header.SocketAddressLen);
            Assert.Equal(0, header.ControlBufferLen);
            Assert.Equal(0, header.Flags);

            // The second one does not fit in 2 + 1 bytes: Flags says it was cut.
            vectors[1].Count = 1;
            Assert.Equal(0, receiveMessage(server, (nint)(&header), 0, (nint)(&received)));
            Assert.Equal(3, received);
            Assert.Equal(PalTrunc, header.Flags);
        }
        Assert.Equal("ab", Encoding.ASCII.GetString(front));
        Assert.Equal("cdefg", Encoding.ASCII.GetString(back, 0, 5));
        byte[] clientName = new byte[16];
        int clientNameLength = 16;
        Assert.Equal(0, Sys.Getsockname(kernel, client, clientName, ref clientNameLength));
        Assert.Equal(Read(clientName).Port, Read(from).Port);
    }

    [Fact]
    public void Options_TranslateThePalsNames_AndTheReceiveTimeoutHolds()
    {
        Kernel kernel = Attach(out TestPlatform platform);
        int listener = Listener(kernel, 8181);
        (int client, _) = Connected(kernel, listener, 8181);
        delegate* unmanaged<nint, int, int, nint, nint, int> getOption = &NativeSockets.GetSockOpt;
        delegate* unmanaged<nint, int, int, nint, int, int> setOption = &NativeSockets.SetSockOpt;

        int value = 0;
        int length = 4;
        Assert.Equal(0, getOption(client, PalLevelSocket, PalType, (nint)(&value), (nint)(&length)));
        Assert.Equal(PalStream, value);
        value = 1;
        Assert.Equal(0, setOption(client, PalLevelTcp, 1, (nint)(&value), 4));
        Assert.Equal(1, GetInt(kernel, client, SocketProtocols.IPPROTO_TCP, SocketOptions.TCP_NODELAY));
        // Socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveTime, 45) and
        // the interval and retry count: TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT.
        value = 45;
        Assert.Equal(0, setOption(client, PalLevelTcp, 3, (nint)(&value), 4));
        Assert.Equal(45, GetInt(kernel, client, SocketProtocols.IPPROTO_TCP, SocketOptions.TCP_KEEPIDLE));
        value = 7;
        Assert.Equal(0, setOption(client, PalLevelTcp, 17, (nint)(&value), 4));
        Assert.Equal(7, GetInt(kernel, client, SocketProtocols.IPPROTO_TCP, SocketOptions.TCP_KEEPINTVL));
        value = 2;
        Assert.Equal(0, setOption(client, PalLevelTcp, 16, (nint)(&value), 4));
        Assert.Equal(2, GetInt(kernel, client, SocketProtocols.IPPROTO_TCP, SocketOptions.TCP_KEEPCNT));
        // SO_EXCLUSIVEADDRUSE is SO_REUSEADDR inverted; both take exactly an int32.
        value = 1;
        Assert.Equal(0, setOption(client, PalLevelSocket, ~PalReuseAddress, (nint)(&value), 4));
        Assert.Equal(0, GetInt(kernel, client, SocketOptions.SOL_SOCKET, SocketOptions.SO_REUSEADDR));
        Assert.Equal(ErrorEinval, setOption(client, PalLevelSocket, PalReuseAddress, (nint)(&value), 2));
        Assert.Equal(ErrorEnotsup, getOption(client, PalLevelSocket, 0x1234, (nint)(&value), (nint)(&length)));

        int* linger = stackalloc int[] { 1, 5 };
        Assert.Equal(0, ((delegate* unmanaged<nint, nint, int>)&NativeSockets.SetLingerOption)(client, (nint)linger));
        int* readBack = stackalloc int[2];
        Assert.Equal(0, ((delegate* unmanaged<nint, nint, int>)&NativeSockets.GetLingerOption)(client, (nint)readBack));
        Assert.Equal((1, 5), (readBack[0], readBack[1]));

        Assert.Equal(0, ((delegate* unmanaged<nint, int, int>)&NativeSockets.SetReceiveTimeout)(client, 1500));
        byte[] buffer = new byte[4];
        int received = 0;
        long start = platform.Clock.MonotonicNanoseconds;
        fixed (byte* bytes = buffer)
        {
            Assert.Equal(ErrorEagain, ((delegate* unmanaged<nint, nint, int, int, nint, int>)&NativeSockets.Receive)(client, (nint)bytes, 4, 0, (nint)(&received)));
        }
        Assert.Equal(Second * 3 / 2, platform.Clock.MonotonicNanoseconds - start);
    }

    [Fact]
    public void EventPort_ReportsReadAndWriteEdges_ForARegisteredSocket()
    {
        Kernel kernel = Attach(out TestPlatform platform);
        int listener = Listener(kernel, 8182);
        (int client, int server) = Connected(kernel, listener, 8182);
        nint port = -1;
        Assert.Equal(0, ((delegate* unmanaged<nint, int>)&NativeSocketEvents.CreateSocketEventPort)((nint)(&port)));
        Assert.IsType<EpollFile>(kernel.Files.Get((int)port));
        Assert.Equal(OpenFlags.FD_CLOEXEC, Sys.Fcntl(kernel, (int)port, OpenFlags.F_GETFD, 0));
        nint buffer = 0;
        Assert.Equal(0, ((delegate* unmanaged<int, nint, int>)&NativeSocketEvents.CreateSocketEventBuffer)(8, (nint)(&buffer)));
        delegate* unmanaged<nint, nint, int, int, nuint, int> change = &NativeSocketEvents.TryChangeSocketEventRegistration;
        delegate* unmanaged<nint, nint, nint, int> wait = &NativeSocketEvents.WaitForSocketEvents;
        PalSocketEvent* events = (PalSocketEvent*)buffer;

        Assert.Equal(0, change(port, client, 0, SaRead | SaWrite, 0x1234));
        int count = 8;
        Assert.Equal(0, wait(port, buffer, (nint)(&count)));
        Assert.Equal(1, count);
        Assert.Equal((nuint)0x1234, events[0].Data);
        Assert.Equal(SaWrite, events[0].Events);
        // Edge-triggered: nothing more until something changes.
        Assert.Equal(0, Sys.EpollWait(kernel, (int)port, new EpollEvent[4], 0));

        // Data from the peer a second from now: the wait blocks until then and reports SA_READ.
        Sys.UkTimerArm(kernel, Second, _ => Sys.Write(kernel, server, "x"u8), null);
        long start = platform.Clock.MonotonicNanoseconds;
        count = 8;
        Assert.Equal(0, wait(port, buffer, (nint)(&count)));
        Assert.Equal(Second, platform.Clock.MonotonicNanoseconds - start);
        Assert.Equal(1, count);
        Assert.Equal((nuint)0x1234, events[0].Data);
        Assert.Equal(SaRead, events[0].Events & SaRead);

        Assert.Equal(0x1001C, change(port, client, SaRead | SaWrite, 0x40, 0x1234));
        Assert.Equal(0, change(port, client, SaRead | SaWrite, 0, 0x1234));
        Assert.Equal(0, ((EpollFile)kernel.Files.Get((int)port)!).InterestCount);
        Assert.Equal(0, ((delegate* unmanaged<nint, int>)&NativeSocketEvents.FreeSocketEventBuffer)(buffer));
        Assert.Equal(0, ((delegate* unmanaged<nint, int>)&NativeSocketEvents.CloseSocketEventPort)(port));
        Assert.Null(kernel.Files.Get((int)port));
    }

    // What the Socket class's link imports and the socket layer has no answer for yet is still
    // the kernel's answer, never the host's: Disconnect is ENOTSUP, multicast options ENOPROTOOPT.
    [Fact]
    public void DisconnectAndMulticastOptions_AreRefusedByTheKernel()
    {
        Kernel kernel = Boot(out _, out _);
        NativeLayer.Attach(kernel);
        int socket = Open(kernel, SocketTypes.SOCK_DGRAM);
        (int pipe, _) = PipeTestKit.Open(kernel);
        byte* option = stackalloc byte[32];

        Assert.Equal(ErrorEnotsup, ((delegate* unmanaged<nint, int>)&NativeSockets.Disconnect)(socket));
        Assert.Equal(0x10033, ((delegate* unmanaged<nint, int, nint, int>)&NativeSockets.SetIPv4MulticastOption)(socket, 0, (nint)option));
        Assert.Equal(0x10033, ((delegate* unmanaged<nint, int, nint, int>)&NativeSockets.GetIPv6MulticastOption)(socket, 0, (nint)option));
        Assert.Equal(0x1003C, ((delegate* unmanaged<nint, int>)&NativeSockets.Disconnect)(pipe));
        Assert.Equal(0x10008, ((delegate* unmanaged<nint, int, nint, int>)&NativeSockets.GetIPv4MulticastOption)(900, 0, (nint)option));
    }
}
