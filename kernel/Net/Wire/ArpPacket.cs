namespace Unikraft.Kernel;

using System;
using System.Buffers.Binary;

// The ARP operations of RFC 826.
internal static class ArpOperation
{
    public const ushort Request = 1;

    public const ushort Reply = 2;
}

// A checked view over an ARP packet for Ethernet and IPv4 (RFC 826): the 8-byte fixed part and
// four addresses of 6 and 4 bytes. Other hardware or protocol address lengths are not wrapped.
internal readonly ref struct ArpPacket
{
    // NOTE: 8 fixed bytes + 2 * (6 + 4) address bytes (RFC 826, "Packet format").
    public const int Length = 28;

    // NOTE: hardware type 1 is Ethernet (IANA "Hardware Types", RFC 826).
    public const ushort HardwareTypeEthernet = 1;

    private readonly Span<byte> bytes;

    private ArpPacket(Span<byte> bytes)
    {
        this.bytes = bytes;
    }

    // False when the bytes are shorter than an Ethernet/IPv4 ARP packet; padding after it is
    // allowed (a frame is padded to 60 bytes).
    public static bool TryWrap(Span<byte> bytes, out ArpPacket packet)
    {
        packet = bytes.Length >= Length ? new ArpPacket(bytes.Slice(0, Length)) : default;
        return bytes.Length >= Length;
    }

    public Span<byte> Bytes => bytes;

    public ushort HardwareType => BinaryPrimitives.ReadUInt16BigEndian(bytes);

    public ushort ProtocolType => BinaryPrimitives.ReadUInt16BigEndian(bytes.Slice(2));

    public byte HardwareLength => bytes[4];

    public byte ProtocolLength => bytes[5];

    public ushort Operation => BinaryPrimitives.ReadUInt16BigEndian(bytes.Slice(6));

    public MacAddress SenderHardwareAddress => MacAddress.Read(bytes.Slice(8));

    public Ipv4Address SenderProtocolAddress => Ipv4Address.Read(bytes.Slice(14));

    public MacAddress TargetHardwareAddress => MacAddress.Read(bytes.Slice(18));

    public Ipv4Address TargetProtocolAddress => Ipv4Address.Read(bytes.Slice(24));

    public void SetHardwareType(ushort value) => BinaryPrimitives.WriteUInt16BigEndian(bytes, value);

    public void SetProtocolType(ushort value) => BinaryPrimitives.WriteUInt16BigEndian(bytes.Slice(2), value);

    public void SetHardwareLength(byte value) => bytes[4] = value;

    public void SetProtocolLength(byte value) => bytes[5] = value;

    public void SetOperation(ushort value) => BinaryPrimitives.WriteUInt16BigEndian(bytes.Slice(6), value);

    public void SetSenderHardwareAddress(MacAddress value) => value.Write(bytes.Slice(8));

    public void SetSenderProtocolAddress(Ipv4Address value) => value.Write(bytes.Slice(14));

    public void SetTargetHardwareAddress(MacAddress value) => value.Write(bytes.Slice(18));

    public void SetTargetProtocolAddress(Ipv4Address value) => value.Write(bytes.Slice(24));
}

// A parsed Ethernet/IPv4 ARP request or reply.
internal readonly record struct ArpMessage(ushort Operation, MacAddress SenderMac, Ipv4Address SenderAddress,
    MacAddress TargetMac, Ipv4Address TargetAddress)
{
    // False unless the packet is Ethernet/IPv4 with 6- and 4-byte addresses and a request or a
    // reply: RFC 826 has a receiver check hardware and protocol type and drop what it does not speak.
    public static bool TryParse(ArpPacket packet, out ArpMessage message)
    {
        message = default;
        if (packet.HardwareType != ArpPacket.HardwareTypeEthernet || packet.ProtocolType != EtherType.Ipv4 ||
            packet.HardwareLength != MacAddress.Length || packet.ProtocolLength != Ipv4Address.Length ||
            (packet.Operation != ArpOperation.Request && packet.Operation != ArpOperation.Reply))
        {
            return false;
        }
        message = new ArpMessage(packet.Operation, packet.SenderHardwareAddress, packet.SenderProtocolAddress,
            packet.TargetHardwareAddress, packet.TargetProtocolAddress);
        return true;
    }

    public void Emit(ArpPacket packet)
    {
        packet.SetHardwareType(ArpPacket.HardwareTypeEthernet);
        packet.SetProtocolType(EtherType.Ipv4);
        packet.SetHardwareLength(MacAddress.Length);
        packet.SetProtocolLength(Ipv4Address.Length);
        packet.SetOperation(Operation);
        packet.SetSenderHardwareAddress(SenderMac);
        packet.SetSenderProtocolAddress(SenderAddress);
        packet.SetTargetHardwareAddress(TargetMac);
        packet.SetTargetProtocolAddress(TargetAddress);
    }
}
