namespace Unikraft.Kernel;

using System;

// The 4-tuple that names one connection (RFC 9293, 3.3.1), as seen from this host.
internal readonly struct TcpEndpoints : IEquatable<TcpEndpoints>
{
    public TcpEndpoints(Ipv4Address localAddress, ushort localPort, Ipv4Address remoteAddress, ushort remotePort)
    {
        LocalAddress = localAddress;
        LocalPort = localPort;
        RemoteAddress = remoteAddress;
        RemotePort = remotePort;
    }

    public Ipv4Address LocalAddress { get; }

    public ushort LocalPort { get; }

    public Ipv4Address RemoteAddress { get; }

    public ushort RemotePort { get; }

    public bool Equals(TcpEndpoints other) => LocalAddress == other.LocalAddress && RemoteAddress == other.RemoteAddress &&
        LocalPort == other.LocalPort && RemotePort == other.RemotePort;

    public override bool Equals(object? obj) => obj is TcpEndpoints other && Equals(other);

    public override int GetHashCode() => HashCode.Combine(LocalAddress.Value, RemoteAddress.Value, LocalPort, RemotePort);
}
