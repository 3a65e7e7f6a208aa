namespace Unikraft.Kernel;

using System;

// The 4-tuple that names one connection (RFC 9293, 3.3.1), as seen from this host. Addresses of
// both families are held in IPv6's form, an IPv4 address mapped into ::ffff:0:0/96 (RFC 4291,
// 2.5.5.2), as Linux keeps a dual-stack socket's: one table, one key and one state machine for
// both, and a connection's family is whether its remote address is mapped (IsIpv4).
internal readonly struct TcpEndpoints : IEquatable<TcpEndpoints>
{
    public TcpEndpoints(Ipv4Address localAddress, ushort localPort, Ipv4Address remoteAddress, ushort remotePort)
        : this(Ipv6Address.MapIpv4(localAddress), localPort, Ipv6Address.MapIpv4(remoteAddress), remotePort)
    {
    }

    public TcpEndpoints(Ipv6Address localAddress, ushort localPort, Ipv6Address remoteAddress, ushort remotePort)
    {
        LocalAddress6 = localAddress;
        LocalPort = localPort;
        RemoteAddress6 = remoteAddress;
        RemotePort = remotePort;
    }

    public Ipv6Address LocalAddress6 { get; }

    public Ipv6Address RemoteAddress6 { get; }

    // The IPv4 addresses of an IPv4 4-tuple (IsIpv4).
    public Ipv4Address LocalAddress => LocalAddress6.MappedIpv4;

    public Ipv4Address RemoteAddress => RemoteAddress6.MappedIpv4;

    public ushort LocalPort { get; }

    public ushort RemotePort { get; }

    // An IPv4 connection: its segments travel in IPv4 datagrams.
    public bool IsIpv4 => RemoteAddress6.IsIpv4Mapped;

    public bool Equals(TcpEndpoints other) => LocalAddress6 == other.LocalAddress6 && RemoteAddress6 == other.RemoteAddress6 &&
        LocalPort == other.LocalPort && RemotePort == other.RemotePort;

    public override bool Equals(object? obj) => obj is TcpEndpoints other && Equals(other);

    public override int GetHashCode() => HashCode.Combine(LocalAddress6.Low, RemoteAddress6.Low, LocalAddress6.High ^ RemoteAddress6.High,
        LocalPort, RemotePort);
}
