namespace Unikraft.Kernel.Tests.Net.Wire;

using System;
using System.Text;
using Unikraft.Kernel;
using Xunit;

public class Ipv4IcmpUdpTests
{
    [Fact]
    public void CapturedEchoRequest_ParsesIpAndIcmpFields()
    {
        byte[] bytes = (byte[])CapturedFrames.EchoRequest.Clone();
        Ipv4Packet packet = Ip(bytes);
        Assert.True(Ipv4Header.TryParse(packet, out Ipv4Header ip));
        Assert.Equal(new Ipv4Header(CapturedFrames.AddressA, CapturedFrames.AddressB, IpProtocol.Icmp, 32, 64, 44896, true, false, 0, 0), ip);
        Assert.Equal(20, packet.HeaderLength);
        Assert.Equal(0xf540, packet.HeaderChecksum);

        Assert.True(IcmpMessage.TryWrap(packet.Payload, out IcmpMessage icmp));
        Assert.True(IcmpHeader.TryParse(icmp, out IcmpHeader header));
        Assert.Equal(IcmpType.EchoRequest, header.Type);
        Assert.Equal(0, header.Code);
        Assert.Equal(0x4bdb, header.Identifier);
        Assert.Equal(1, header.SequenceNumber);
        Assert.Equal(24, icmp.Data.Length);
        Assert.Equal("abcdefgh", Encoding.ASCII.GetString(icmp.Data.Slice(16)));
    }

    [Theory]
    [InlineData(nameof(CapturedFrames.EchoRequest))]
    [InlineData(nameof(CapturedFrames.EchoReply))]
    [InlineData(nameof(CapturedFrames.PortUnreachable))]
    public void EmitOfTheParsedIcmp_WritesTheCapturedBytes(string name)
    {
        byte[] captured = EthernetArpTests.Frame(name);
        byte[] copy = (byte[])captured.Clone();
        Ipv4Packet parsed = Ip(copy);
        Assert.True(Ipv4Header.TryParse(parsed, out Ipv4Header ip));
        Assert.True(IcmpMessage.TryWrap(parsed.Payload, out IcmpMessage parsedIcmp));
        Assert.True(IcmpHeader.TryParse(parsedIcmp, out IcmpHeader icmp));

        // A fresh buffer: the Ethernet header and the ICMP data copied, every header field emitted.
        byte[] emitted = new byte[captured.Length];
        captured.AsSpan(0, EthernetFrame.HeaderLength).CopyTo(emitted);
        int dataStart = EthernetFrame.HeaderLength + Ipv4Packet.MinimumHeaderLength + IcmpMessage.HeaderLength;
        captured.AsSpan(dataStart).CopyTo(emitted.AsSpan(dataStart));
        Span<byte> ipBytes = emitted.AsSpan(EthernetFrame.HeaderLength);
        Assert.True(ip.TryEmit(ipBytes));
        Assert.True(Ipv4Packet.TryWrap(ipBytes, out Ipv4Packet packet));
        Assert.True(IcmpMessage.TryWrap(packet.Payload, out IcmpMessage message));
        icmp.Emit(message);

        Assert.Equal(captured, emitted);
    }

    [Fact]
    public void CapturedPortUnreachable_QuotesTheDatagramThatCausedIt()
    {
        byte[] bytes = (byte[])CapturedFrames.PortUnreachable.Clone();
        Ipv4Packet packet = Ip(bytes);
        Assert.True(Ipv4Header.TryParse(packet, out Ipv4Header ip));
        Assert.Equal(0xc0, ip.TypeOfService);
        Assert.False(ip.DontFragment);
        IcmpMessage.TryWrap(packet.Payload, out IcmpMessage icmp);
        Assert.True(IcmpHeader.TryParse(icmp, out IcmpHeader header));
        Assert.Equal(IcmpHeader.Unreachable(IcmpType.CodePortUnreachable), header);

        Assert.True(Ipv4Packet.TryWrap(icmp.Data, out Ipv4Packet quoted));
        Assert.Equal(CapturedFrames.AddressA, quoted.Source);
        Assert.Equal(IpProtocol.Udp, quoted.Protocol);
        Assert.True(UdpDatagram.TryWrap(quoted.Payload, out UdpDatagram udp));
        Assert.Equal(5999, udp.DestinationPort);
    }

    [Fact]
    public void CapturedUdp_ParsesWithItsChecksum()
    {
        byte[] bytes = (byte[])CapturedFrames.UdpHello.Clone();
        Ipv4Packet packet = Ip(bytes);
        Assert.True(Ipv4Header.TryParse(packet, out Ipv4Header ip));
        Assert.Equal(IpProtocol.Udp, ip.Protocol);
        Assert.True(UdpDatagram.TryWrap(packet.Payload, out UdpDatagram datagram));
        Assert.Equal(0x7605, datagram.DatagramChecksum);
        Assert.True(UdpHeader.TryParse(datagram, ip.Source, ip.Destination, out UdpHeader udp));
        Assert.Equal(new UdpHeader(40000, 5000), udp);
        Assert.Equal("hello\n", Encoding.ASCII.GetString(datagram.Payload));
    }

    [Theory]
    [InlineData(nameof(CapturedFrames.UdpHello))]
    [InlineData(nameof(CapturedFrames.UdpToClosedPort))]
    public void EmitOfTheParsedUdp_WritesTheCapturedBytes(string name)
    {
        byte[] captured = EthernetArpTests.Frame(name);
        byte[] copy = (byte[])captured.Clone();
        Ipv4Packet parsed = Ip(copy);
        Ipv4Header.TryParse(parsed, out Ipv4Header ip);
        UdpDatagram.TryWrap(parsed.Payload, out UdpDatagram parsedUdp);
        Assert.True(UdpHeader.TryParse(parsedUdp, ip.Source, ip.Destination, out UdpHeader udp));

        byte[] emitted = new byte[captured.Length];
        captured.AsSpan(0, EthernetFrame.HeaderLength).CopyTo(emitted);
        int payloadStart = EthernetFrame.HeaderLength + Ipv4Packet.MinimumHeaderLength + UdpDatagram.HeaderLength;
        captured.AsSpan(payloadStart).CopyTo(emitted.AsSpan(payloadStart));
        Span<byte> ipBytes = emitted.AsSpan(EthernetFrame.HeaderLength);
        Assert.True(ip.TryEmit(ipBytes));
        Assert.True(udp.TryEmit(ipBytes.Slice(Ipv4Packet.MinimumHeaderLength), ip.Source, ip.Destination,
            captured.Length - payloadStart));

        Assert.Equal(captured, emitted);
    }

    [Fact]
    public void UdpWithZeroChecksum_MeansNone()
    {
        byte[] bytes = (byte[])CapturedFrames.UdpHello.Clone();
        Ipv4Packet packet = Ip(bytes);
        UdpDatagram.TryWrap(packet.Payload, out UdpDatagram datagram);
        datagram.Payload[0] ^= 0x20;
        Assert.False(UdpHeader.TryParse(datagram, packet.Source, packet.Destination, out _));
        datagram.SetChecksum(0);
        Assert.True(UdpHeader.TryParse(datagram, packet.Source, packet.Destination, out _));
    }

    [Fact]
    public void UdpChecksumThatComputesToZero_IsSentAsAllOnes()
    {
        // Search for a payload word that makes the sum come out zero, then check the field.
        byte[] datagram = new byte[UdpDatagram.HeaderLength + 2];
        Ipv4Address source = CapturedFrames.AddressA;
        Ipv4Address destination = CapturedFrames.AddressB;
        for (int word = 0; word <= 0xFFFF; word++)
        {
            datagram[8] = (byte)(word >> 8);
            datagram[9] = (byte)word;
            new UdpHeader(1, 2).TryEmit(datagram, source, destination, 2);
            UdpDatagram.TryWrap(datagram, out UdpDatagram view);
            if (view.DatagramChecksum == 0xFFFF)
            {
                Assert.True(UdpHeader.TryParse(view, source, destination, out _));
                return;
            }
            Assert.NotEqual(0, view.DatagramChecksum);
        }
        Assert.Fail("no payload made the checksum all ones");
    }

    [Fact]
    public void CapturedFragments_CarryTheirOffsetsAndFlags()
    {
        Ipv4Packet first = Ip((byte[])CapturedFrames.FragmentedEchoFirst.Clone());
        Assert.True(Ipv4Header.TryParse(first, out Ipv4Header head));
        Assert.True(head.MoreFragments);
        Assert.Equal(0, head.FragmentOffset);
        Assert.Equal(1480, head.PayloadLength);
        Assert.True(head.IsFragment);

        Ipv4Packet last = Ip((byte[])CapturedFrames.FragmentedEchoLast.Clone());
        Assert.True(Ipv4Header.TryParse(last, out Ipv4Header tail));
        Assert.False(tail.MoreFragments);
        Assert.Equal(1480, tail.FragmentOffset);
        Assert.Equal(28, tail.PayloadLength);
        Assert.Equal(head.Identification, tail.Identification);
        Assert.True(tail.IsFragment);

        byte[] emitted = new byte[Ipv4Packet.MinimumHeaderLength + 28];
        Assert.True(tail.TryEmit(emitted));
        Assert.Equal(CapturedFrames.FragmentedEchoLast.AsSpan(EthernetFrame.HeaderLength, Ipv4Packet.MinimumHeaderLength).ToArray(),
            emitted.AsSpan(0, Ipv4Packet.MinimumHeaderLength).ToArray());
    }

    [Fact]
    public void BadHeaderChecksumOrVersion_DoesNotParse()
    {
        byte[] bytes = (byte[])CapturedFrames.EchoRequest.Clone();
        bytes[EthernetFrame.HeaderLength + 8] = 63; // TTL changed, checksum not
        Assert.False(Ipv4Header.TryParse(Ip(bytes), out _));

        byte[] version = (byte[])CapturedFrames.EchoRequest.Clone();
        version[EthernetFrame.HeaderLength] = 0x65;
        Assert.True(Ipv4Packet.TryWrap(version.AsSpan(EthernetFrame.HeaderLength), out Ipv4Packet packet));
        packet.FillChecksum();
        Assert.False(Ipv4Header.TryParse(packet, out _));
    }

    [Fact]
    public void Ipv4WithOptions_ParsesAndSkipsThem()
    {
        // The captured echo request with 4 bytes of options (NOP NOP NOP EOL) inserted.
        byte[] captured = CapturedFrames.EchoRequest.AsSpan(EthernetFrame.HeaderLength).ToArray();
        byte[] bytes = new byte[captured.Length + 4];
        captured.AsSpan(0, 20).CopyTo(bytes);
        bytes[20] = 1;
        bytes[21] = 1;
        bytes[22] = 1;
        bytes[23] = 0;
        captured.AsSpan(20).CopyTo(bytes.AsSpan(24));
        bytes[0] = 0x46;
        bytes[3] = (byte)(bytes[3] + 4);
        Assert.True(Ipv4Packet.TryWrap(bytes, out Ipv4Packet packet));
        packet.FillChecksum();
        Assert.True(Ipv4Header.TryParse(packet, out Ipv4Header header));
        Assert.Equal(24, packet.HeaderLength);
        Assert.Equal(4, packet.Options.Length);
        Assert.Equal(32, header.PayloadLength);
        Assert.True(IcmpMessage.TryWrap(packet.Payload, out IcmpMessage icmp));
        Assert.True(IcmpHeader.TryParse(icmp, out _));
    }

    [Fact]
    public void TruncatedDatagrams_DoNotWrap()
    {
        byte[] ip = CapturedFrames.UdpHello.AsSpan(EthernetFrame.HeaderLength).ToArray();
        for (int length = 0; length < ip.Length; length++)
        {
            Assert.False(Ipv4Packet.TryWrap(ip.AsSpan(0, length), out _));
        }
        byte[] udp = ip.AsSpan(Ipv4Packet.MinimumHeaderLength).ToArray();
        for (int length = 0; length < udp.Length; length++)
        {
            Assert.False(UdpDatagram.TryWrap(udp.AsSpan(0, length), out _));
        }
        Assert.False(IcmpMessage.TryWrap(new byte[7], out _));
    }

    [Theory]
    [InlineData(0, 0x44)] // IHL 4: shorter than the fixed header
    [InlineData(0, 0x4F)] // IHL 15: 60 bytes, longer than the datagram
    [InlineData(2, 0x01)] // total length 0x0122: longer than the bytes
    [InlineData(3, 0x10)] // total length 0x0010: shorter than the header
    public void GarbledIpLengths_DoNotWrap(int offset, byte value)
    {
        byte[] bytes = CapturedFrames.UdpHello.AsSpan(EthernetFrame.HeaderLength).ToArray();
        bytes[offset] = value;
        if (offset == 3)
        {
            bytes[2] = 0;
        }
        Assert.False(Ipv4Packet.TryWrap(bytes, out _));
    }

    [Fact]
    public void RandomGarbage_NeverThrows()
    {
        Random random = new Random(11);
        byte[] bytes = new byte[96];
        for (int round = 0; round < 20000; round++)
        {
            int length = random.Next(bytes.Length + 1);
            random.NextBytes(bytes);
            if (round % 2 == 0)
            {
                bytes[0] = 0x45;
            }
            Span<byte> span = bytes.AsSpan(0, length);
            if (Ipv4Packet.TryWrap(span, out Ipv4Packet packet))
            {
                Ipv4Header.TryParse(packet, out _);
                Assert.True(packet.Payload.Length == packet.TotalLength - packet.HeaderLength);
                if (UdpDatagram.TryWrap(packet.Payload, out UdpDatagram udp))
                {
                    UdpHeader.TryParse(udp, packet.Source, packet.Destination, out _);
                    Assert.Equal(udp.Length - 8, udp.Payload.Length);
                }
                if (IcmpMessage.TryWrap(packet.Payload, out IcmpMessage icmp))
                {
                    IcmpHeader.TryParse(icmp, out _);
                }
            }
            if (ArpPacket.TryWrap(span, out ArpPacket arp))
            {
                ArpMessage.TryParse(arp, out _);
            }
        }
    }

    private static Ipv4Packet Ip(byte[] frame)
    {
        Assert.True(EthernetFrame.TryWrap(frame, out EthernetFrame ethernet));
        Assert.Equal(EtherType.Ipv4, ethernet.EtherType);
        Assert.True(Ipv4Packet.TryWrap(ethernet.Payload, out Ipv4Packet packet));
        return packet;
    }
}
