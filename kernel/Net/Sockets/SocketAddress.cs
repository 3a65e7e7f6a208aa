namespace Unikraft.Kernel;

using System;
using System.Buffers.Binary;

// struct sockaddr_in as Linux lays it out (linux/in.h): sa_family in host order, the port and the
// address in network order, 8 bytes of zero padding; 16 bytes.
internal static class SocketAddress
{
    public const int InetLength = 16;

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
}
