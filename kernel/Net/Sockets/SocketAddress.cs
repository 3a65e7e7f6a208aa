namespace Unikraft.Kernel;

using System;
using System.Buffers.Binary;

// struct sockaddr_in as Linux lays it out (linux/in.h): sa_family in host order, the port and the
// address in network order, 8 bytes of zero padding; 16 bytes. struct sockaddr_in6 (linux/in6.h):
// sin6_family in host order, the port, sin6_flowinfo and the address in network order, then
// sin6_scope_id; 28 bytes.
internal static class SocketAddress
{
    public const int InetLength = 16;

    public const int Inet6Length = 28;

    // NOTE: SIN6_LEN_RFC2133, a sockaddr_in6 without sin6_scope_id: the shortest Linux takes.
    public const int Inet6MinimumLength = 24;

    // NOTE: sizeof(struct sockaddr_storage): move_addr_to_kernel refuses longer addresses with
    // EINVAL (net/socket.c).
    public const int StorageLength = 128;

    // The family of an address the caller passed; AF_UNSPEC for one too short to hold it.
    public static int Family(ReadOnlySpan<byte> address)
    {
        return address.Length < 2 ? SocketFamily.AF_UNSPEC : BinaryPrimitives.ReadUInt16LittleEndian(address);
    }

    // An AF_INET address as bind, connect and sendto read it, in the order Linux checks: a
    // length beyond sockaddr_storage or short of sockaddr_in is EINVAL (inet_bind,
    // tcp_v4_connect, ip4_datagram_connect, udp_sendmsg), another family EAFNOSUPPORT. 0 or -errno.
    public static int TryReadInet(ReadOnlySpan<byte> address, out Ipv4Address ip, out ushort port)
    {
        ip = default;
        port = 0;
        if (address.Length > StorageLength || address.Length < InetLength)
        {
            return -Errno.EINVAL;
        }
        if (Family(address) != SocketFamily.AF_INET)
        {
            return -Errno.EAFNOSUPPORT;
        }
        port = BinaryPrimitives.ReadUInt16BigEndian(address.Slice(2));
        ip = Ipv4Address.Read(address.Slice(4));
        return 0;
    }

    // Writes an AF_INET address for accept, getsockname, getpeername and recvfrom as
    // move_addr_to_user does: as much of the 16 bytes as the caller's length holds, and the
    // whole length in length (so a caller can see it was truncated). -EINVAL for a negative length.
    public static int WriteInet(Ipv4Address ip, ushort port, Span<byte> buffer, ref int length)
    {
        if (length < 0)
        {
            return -Errno.EINVAL;
        }
        Span<byte> whole = stackalloc byte[InetLength];
        whole.Clear();
        BinaryPrimitives.WriteUInt16LittleEndian(whole, SocketFamily.AF_INET);
        BinaryPrimitives.WriteUInt16BigEndian(whole.Slice(2), port);
        ip.Write(whole.Slice(4));
        int copied = Math.Min(Math.Min(length, InetLength), buffer.Length);
        whole.Slice(0, copied).CopyTo(buffer);
        length = InetLength;
        return 0;
    }

    // An AF_INET6 address as bind reads it (inet6_bind): a length beyond sockaddr_storage or short
    // of SIN6_LEN_RFC2133 is EINVAL, another family EAFNOSUPPORT. The flow label and the scope id
    // are not used: the kernel has one IPv6 interface at most that matters. 0 or -errno.
    public static int TryReadInet6(ReadOnlySpan<byte> address, out Ipv6Address ip, out ushort port)
    {
        ip = default;
        port = 0;
        if (address.Length > StorageLength || address.Length < Inet6MinimumLength)
        {
            return -Errno.EINVAL;
        }
        if (Family(address) != SocketFamily.AF_INET6)
        {
            return -Errno.EAFNOSUPPORT;
        }
        port = BinaryPrimitives.ReadUInt16BigEndian(address.Slice(2));
        ip = Ipv6Address.Read(address.Slice(8));
        return 0;
    }

    // A peer's address for connect and sendto on an AF_INET6 socket. A datagram socket also takes
    // a sockaddr_in, as its IPv4 peer mapped (udpv6_sendmsg and ip6_datagram_connect hand it to
    // IPv4). 0 or -errno.
    public static int TryReadPeer6(ReadOnlySpan<byte> address, bool datagram, out Ipv6Address ip, out ushort port)
    {
        if (datagram && Family(address) == SocketFamily.AF_INET)
        {
            int result = TryReadInet(address, out Ipv4Address ip4, out port);
            ip = Ipv6Address.MapIpv4(ip4);
            return result;
        }
        return TryReadInet6(address, out ip, out port);
    }

    // Writes an AF_INET6 address as WriteInet writes an AF_INET one: flow label and scope id 0.
    public static int WriteInet6(Ipv6Address ip, ushort port, Span<byte> buffer, ref int length)
    {
        if (length < 0)
        {
            return -Errno.EINVAL;
        }
        Span<byte> whole = stackalloc byte[Inet6Length];
        whole.Clear();
        BinaryPrimitives.WriteUInt16LittleEndian(whole, SocketFamily.AF_INET6);
        BinaryPrimitives.WriteUInt16BigEndian(whole.Slice(2), port);
        ip.Write(whole.Slice(8));
        int copied = Math.Min(Math.Min(length, Inet6Length), buffer.Length);
        whole.Slice(0, copied).CopyTo(buffer);
        length = Inet6Length;
        return 0;
    }
}
