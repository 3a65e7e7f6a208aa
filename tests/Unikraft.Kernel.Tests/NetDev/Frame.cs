namespace Unikraft.Kernel.Tests.NetDev;

using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Net;

// Hand-built frames for the device tests, and the few fields the tests read back. Written here
// from the RFCs, byte by byte: the device tests stand below the kernel's own wire formats.
internal static class Frame
{
    // NOTE: EtherTypes (IEEE 802): 0x0800 IPv4, 0x0806 ARP. ARP (RFC 826) for Ethernet and IPv4:
    // hardware type 1, protocol 0x0800, lengths 6 and 4, operation 1 request, 2 reply.
    public const ushort TypeIpv4 = 0x0800;
    public const ushort TypeArp = 0x0806;
    public const int EthernetHeader = 14;
    public static readonly byte[] Broadcast = { 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF };

    public static byte[] Mac(MacAddress mac)
    {
        byte[] bytes = new byte[6];
        mac.Write(bytes);
        return bytes;
    }

    public static byte[] ArpRequest(MacAddress sender, string senderIp, string targetIp)
    {
        byte[] frame = new byte[EthernetHeader + 28];
        Ethernet(frame, Broadcast, Mac(sender), TypeArp);
        Span<byte> arp = frame.AsSpan(EthernetHeader);
        BinaryPrimitives.WriteUInt16BigEndian(arp.Slice(0, 2), 1);
        BinaryPrimitives.WriteUInt16BigEndian(arp.Slice(2, 2), TypeIpv4);
        arp[4] = 6;
        arp[5] = 4;
        BinaryPrimitives.WriteUInt16BigEndian(arp.Slice(6, 2), 1);
        Mac(sender).CopyTo(arp.Slice(8));
        IPAddress.Parse(senderIp).GetAddressBytes().CopyTo(arp.Slice(14));
        IPAddress.Parse(targetIp).GetAddressBytes().CopyTo(arp.Slice(24));
        return frame;
    }

    public static ushort EtherType(byte[] frame) => frame.Length < EthernetHeader ? (ushort)0 : BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(12, 2));

    public static byte[] Destination(byte[] frame) => frame[0..6];

    public static byte[] Source(byte[] frame) => frame[6..12];

    // An ARP packet's operation, sender and target, or null when frame is no ARP over Ethernet.
    public static (int Operation, byte[] SenderMac, string SenderIp, byte[] TargetMac, string TargetIp)? Arp(byte[] frame)
    {
        if (EtherType(frame) != TypeArp || frame.Length < EthernetHeader + 28)
        {
            return null;
        }
        ReadOnlySpan<byte> arp = frame.AsSpan(EthernetHeader);
        return (BinaryPrimitives.ReadUInt16BigEndian(arp.Slice(6, 2)), arp.Slice(8, 6).ToArray(), new IPAddress(arp.Slice(14, 4)).ToString(),
            arp.Slice(18, 6).ToArray(), new IPAddress(arp.Slice(24, 4)).ToString());
    }

    public static bool IsArp(byte[] frame, int operation, string senderIp, string targetIp) =>
        Arp(frame) is { } arp && arp.Operation == operation && arp.SenderIp == senderIp && arp.TargetIp == targetIp;

    // A DHCPDISCOVER (RFC 2131, options RFC 2132) from mac, broadcast from 0.0.0.0:68 to
    // 255.255.255.255:67.
    public static byte[] DhcpDiscover(MacAddress mac, uint transactionId)
    {
        // NOTE: the fixed BOOTP part is 236 bytes, then the magic cookie 99.130.83.99 and the
        // options: 53 (message type) = 1 DISCOVER, 55 (parameter list) = 1 mask, 3 router,
        // 6 DNS, 255 end; padded to BOOTP's minimum of 300 bytes (RFC 951).
        byte[] bootp = new byte[300];
        bootp[0] = 1;
        bootp[1] = 1;
        bootp[2] = 6;
        BinaryPrimitives.WriteUInt32BigEndian(bootp.AsSpan(4, 4), transactionId);
        BinaryPrimitives.WriteUInt16BigEndian(bootp.AsSpan(10, 2), 0x8000);
        Mac(mac).CopyTo(bootp.AsSpan(28));
        byte[] options = { 99, 130, 83, 99, 53, 1, 1, 55, 3, 1, 3, 6, 255 };
        options.CopyTo(bootp.AsSpan(236));
        return Udp(mac, Broadcast, "0.0.0.0", "255.255.255.255", 68, 67, bootp);
    }

    // A DHCP reply's message type, offered address and options, or null when frame is none.
    public static (uint TransactionId, int MessageType, string YourAddress, Dictionary<int, byte[]> Options)? DhcpReply(byte[] frame)
    {
        if (Udp(frame) is not { } udp || udp.SourcePort != 67 || udp.DestinationPort != 68 || udp.Payload.Length < 240 || udp.Payload[0] != 2)
        {
            return null;
        }
        byte[] bootp = udp.Payload;
        Dictionary<int, byte[]> options = new Dictionary<int, byte[]>();
        for (int index = 240; index < bootp.Length && bootp[index] != 255;)
        {
            if (bootp[index] == 0)
            {
                index++;
                continue;
            }
            int length = bootp[index + 1];
            options[bootp[index]] = bootp.AsSpan(index + 2, length).ToArray();
            index += 2 + length;
        }
        int type = options.TryGetValue(53, out byte[]? kind) ? kind[0] : 0;
        return (BinaryPrimitives.ReadUInt32BigEndian(bootp.AsSpan(4, 4)), type, new IPAddress(bootp.AsSpan(16, 4)).ToString(), options);
    }

    public static byte[] Udp(MacAddress source, byte[] destinationMac, string sourceIp, string destinationIp, int sourcePort, int destinationPort, byte[] payload)
    {
        // NOTE: IPv4 header (RFC 791): version 4, IHL 5, total length, TTL 64, protocol 17;
        // UDP (RFC 768) with checksum 0, "no checksum", which IPv4 allows.
        byte[] frame = new byte[EthernetHeader + 20 + 8 + payload.Length];
        Ethernet(frame, destinationMac, Mac(source), TypeIpv4);
        Span<byte> ip = frame.AsSpan(EthernetHeader, 20);
        ip[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(ip.Slice(2, 2), (ushort)(20 + 8 + payload.Length));
        ip[8] = 64;
        ip[9] = 17;
        IPAddress.Parse(sourceIp).GetAddressBytes().CopyTo(ip.Slice(12));
        IPAddress.Parse(destinationIp).GetAddressBytes().CopyTo(ip.Slice(16));
        BinaryPrimitives.WriteUInt16BigEndian(ip.Slice(10, 2), HeaderChecksum(ip));
        Span<byte> udp = frame.AsSpan(EthernetHeader + 20);
        BinaryPrimitives.WriteUInt16BigEndian(udp.Slice(0, 2), (ushort)sourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(udp.Slice(2, 2), (ushort)destinationPort);
        BinaryPrimitives.WriteUInt16BigEndian(udp.Slice(4, 2), (ushort)(8 + payload.Length));
        payload.CopyTo(udp.Slice(8));
        return frame;
    }

    // An IPv4 packet's addresses, protocol and payload, or null.
    public static (string Source, string Destination, int Protocol, byte[] Payload)? Ipv4(byte[] frame)
    {
        if (EtherType(frame) != TypeIpv4 || frame.Length < EthernetHeader + 20)
        {
            return null;
        }
        ReadOnlySpan<byte> ip = frame.AsSpan(EthernetHeader);
        int headerLength = (ip[0] & 0xF) * 4;
        int total = BinaryPrimitives.ReadUInt16BigEndian(ip.Slice(2, 2));
        if (headerLength < 20 || total < headerLength || total > ip.Length)
        {
            return null;
        }
        return (new IPAddress(ip.Slice(12, 4)).ToString(), new IPAddress(ip.Slice(16, 4)).ToString(), ip[9], ip.Slice(headerLength, total - headerLength).ToArray());
    }

    public static (int SourcePort, int DestinationPort, byte[] Payload)? Udp(byte[] frame)
    {
        if (Ipv4(frame) is not { Protocol: 17 } ip || ip.Payload.Length < 8)
        {
            return null;
        }
        return (BinaryPrimitives.ReadUInt16BigEndian(ip.Payload.AsSpan(0, 2)), BinaryPrimitives.ReadUInt16BigEndian(ip.Payload.AsSpan(2, 2)), ip.Payload[8..]);
    }

    // A TCP segment's addresses, ports and flags (RFC 9293: SYN 0x02, ACK 0x10), or null.
    public static (string Source, string Destination, int SourcePort, int DestinationPort, int Flags)? Tcp(byte[] frame)
    {
        if (Ipv4(frame) is not { Protocol: 6 } ip || ip.Payload.Length < 20)
        {
            return null;
        }
        return (ip.Source, ip.Destination, BinaryPrimitives.ReadUInt16BigEndian(ip.Payload.AsSpan(0, 2)),
            BinaryPrimitives.ReadUInt16BigEndian(ip.Payload.AsSpan(2, 2)), ip.Payload[13]);
    }

    // One line per frame for failure messages, as tcpdump would summarize it.
    public static string Describe(byte[] frame)
    {
        if (Arp(frame) is { } arp)
        {
            return (arp.Operation == 1 ? "ARP who-has " + arp.TargetIp + " tell " + arp.SenderIp : "ARP " + arp.SenderIp + " is-at " + Convert.ToHexString(arp.SenderMac));
        }
        if (Ipv4(frame) is { } ip)
        {
            return "IPv4 " + ip.Source + " > " + ip.Destination + " proto " + ip.Protocol + " length " + ip.Payload.Length;
        }
        return "type 0x" + EtherType(frame).ToString("x4") + " length " + frame.Length;
    }

    private static void Ethernet(Span<byte> frame, byte[] destination, byte[] source, ushort type)
    {
        destination.CopyTo(frame);
        source.CopyTo(frame.Slice(6));
        BinaryPrimitives.WriteUInt16BigEndian(frame.Slice(12, 2), type);
    }

    // The Internet checksum (RFC 1071) of a header whose checksum field is zero.
    private static ushort HeaderChecksum(ReadOnlySpan<byte> header)
    {
        uint sum = 0;
        for (int index = 0; index < header.Length; index += 2)
        {
            sum += BinaryPrimitives.ReadUInt16BigEndian(header.Slice(index, 2));
        }
        while (sum > 0xFFFF)
        {
            sum = (sum & 0xFFFF) + (sum >> 16);
        }
        return (ushort)~sum;
    }
}
