namespace Unikraft.Kernel;

using System;

// A socket's datagram endpoint on the kernel's own UDP. UDP keeps no send state, so shutdown
// only records which way is shut, as Linux's udp_disconnect-less shutdown does.
internal sealed class UdpDatagramEndpoint : IDatagramEndpoint6, IUdpEndpointListener
{
    private readonly UdpEndpoint endpoint;
    private bool writeShut;

    public UdpDatagramEndpoint(UdpEndpoint endpoint)
    {
        this.endpoint = endpoint;
        endpoint.Listener = this;
    }

    public Ipv4Address LocalAddress => endpoint.LocalAddress;

    public ushort LocalPort => endpoint.LocalPort;

    public Ipv4Address RemoteAddress => endpoint.RemoteAddress;

    public ushort RemotePort => endpoint.RemotePort;

    public Ipv6Address LocalAddress6 => endpoint.LocalAddress6;

    public Ipv6Address RemoteAddress6 => endpoint.RemoteAddress6;

    public bool V6Only
    {
        get => endpoint.V6Only;
        set => endpoint.V6Only = value;
    }

    public Action<int>? ReadinessChanged { get; set; }

    public int NextDatagramLength => endpoint.NextDatagramLength;

    // Held for getsockopt: two UDP sockets on one port are not supported yet.
    public bool ReuseAddress { get; set; }

    public void EndpointChanged(UdpEndpoint changed, int events) => ReadinessChanged?.Invoke(events);

    public int Bind(Ipv4Address address, ushort port) => endpoint.Bind(address, port);

    public int Connect(Ipv4Address address, ushort port) => endpoint.Connect(address, port);

    public long SendTo(Ipv4Address destination, ushort port, ReadOnlySpan<byte> payload)
    {
        return writeShut ? -Errno.EPIPE : endpoint.SendTo(destination, port, payload);
    }

    public int Bind6(Ipv6Address address, ushort port) => endpoint.Bind6(address, port);

    public int Connect6(Ipv6Address address, ushort port) => endpoint.Connect6(address, port);

    public long SendTo6(Ipv6Address destination, ushort port, ReadOnlySpan<byte> payload)
    {
        return writeShut ? -Errno.EPIPE : endpoint.SendTo6(destination, port, payload);
    }

    public long ReceiveFrom6(Span<byte> buffer, bool peek, out Ipv6Address from, out ushort fromPort, out int datagramLength)
    {
        return peek
            ? endpoint.Peek6(buffer, out from, out fromPort, out datagramLength)
            : endpoint.ReceiveFrom6(buffer, true, 0, out from, out fromPort, out datagramLength);
    }

    public long ReceiveFrom(Span<byte> buffer, bool peek, out Ipv4Address from, out ushort fromPort, out int datagramLength)
    {
        return peek
            ? endpoint.Peek(buffer, out from, out fromPort, out datagramLength)
            : endpoint.ReceiveFrom(buffer, true, 0, out from, out fromPort, out datagramLength);
    }

    // NOTE: shutdown(2) on an unconnected datagram socket is ENOTCONN (Linux's inet_shutdown).
    public int Shutdown(int how)
    {
        if (!endpoint.IsConnected)
        {
            return -Errno.ENOTCONN;
        }
        writeShut |= how != 0;
        return 0;
    }

    public int Poll() => endpoint.Poll();

    // The ICMP error the endpoint heard (ECONNREFUSED from a closed port at the connected peer).
    public int TakeError() => endpoint.TakeError();

    // The receive queue's size is fixed when the endpoint opens (UdpLayer.Open).
    public int SetBufferSizes(int sendSize, int receiveSize) => 0;

    public void Close() => endpoint.Close();

    public void Abort() => endpoint.Close();
}
