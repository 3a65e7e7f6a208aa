namespace Unikraft.Kernel.Tests.Net.Wire;

using System;
using System.Text;
using Unikraft.Kernel;
using Xunit;

public class Ipv6WireTests
{
    [Fact]
    public void CapturedEchoRequest_ParsesIpv6AndIcmpv6Fields()
    {
        byte[] bytes = (byte[])CapturedFrames6.EchoRequest.Clone();
        Assert.True(EthernetFrame.TryWrap(bytes, out EthernetFrame frame));
        Assert.Equal(EtherType.Ipv6, frame.EtherType);
        Assert.True(Ipv6Packet.TryWrap(frame.Payload, out Ipv6Packet packet));
        Assert.True(Ipv6Header.TryParse(packet, out Ipv6Header ip));
        Assert.Equal(new Ipv6Header(CapturedFrames6.AddressA, CapturedFrames6.AddressB, IpProtocol.Icmpv6, 32, 64, 0, 0x798c1), ip);

        Assert.True(Icmpv6Message.TryWrap(packet.Payload, out Icmpv6Message icmp));
        Assert.Equal(0x481e, icmp.MessageChecksum);
        Assert.True(Icmpv6Header.TryParse(icmp, ip.Source, ip.Destination, out Icmpv6Header header));
        Assert.Equal(Icmpv6Header.Echo(Icmpv6Type.EchoRequest, 0x5786, 1), header);
        Assert.Equal(24, icmp.Data.Length);
        Assert.Equal("abcdefgh", Encoding.ASCII.GetString(icmp.Data.Slice(16)));
    }

    [Fact]
    public void Icmpv6Checksum_CoversThePseudoHeader()
    {
        byte[] bytes = (byte[])CapturedFrames6.EchoRequest.Clone();
        Ipv6Packet packet = Ip(bytes);
        Ipv6Header.TryParse(packet, out Ipv6Header ip);
        Icmpv6Message.TryWrap(packet.Payload, out Icmpv6Message icmp);
        // The same message read as if it had come from another source fails its checksum: the
        // addresses are part of what it covers (RFC 4443, 2.3).
        Assert.False(Icmpv6Header.TryParse(icmp, CapturedFrames6.LinkLocalA, ip.Destination, out _));
        icmp.Data[0] ^= 1;
        Assert.False(Icmpv6Header.TryParse(icmp, ip.Source, ip.Destination, out _));
    }

    [Theory]
    [InlineData(nameof(CapturedFrames6.EchoRequest))]
    [InlineData(nameof(CapturedFrames6.EchoReply))]
    [InlineData(nameof(CapturedFrames6.ParameterProblem))]
    public void EmitOfTheParsedIcmpv6_WritesTheCapturedBytes(string name)
    {
        byte[] captured = Frame(name);
        byte[] copy = (byte[])captured.Clone();
        Ipv6Packet parsed = Ip(copy);
        Assert.True(Ipv6Header.TryParse(parsed, out Ipv6Header ip));
        Assert.True(Icmpv6Message.TryWrap(parsed.Payload, out Icmpv6Message parsedIcmp));
        Assert.True(Icmpv6Header.TryParse(parsedIcmp, ip.Source, ip.Destination, out Icmpv6Header icmp));

        // A fresh buffer: the Ethernet header and the ICMPv6 data copied, every header field emitted.
        byte[] emitted = new byte[captured.Length];
        captured.AsSpan(0, EthernetFrame.HeaderLength).CopyTo(emitted);
        int dataStart = EthernetFrame.HeaderLength + Ipv6Packet.HeaderLength + Icmpv6Message.HeaderLength;
        captured.AsSpan(dataStart).CopyTo(emitted.AsSpan(dataStart));
        Span<byte> ipBytes = emitted.AsSpan(EthernetFrame.HeaderLength);
        Assert.True(ip.TryEmit(ipBytes));
        Assert.True(Ipv6Packet.TryWrap(ipBytes, out Ipv6Packet packet));
        Assert.True(Icmpv6Message.TryWrap(packet.Payload, out Icmpv6Message message));
        icmp.Emit(message, ip.Source, ip.Destination);

        Assert.Equal(captured, emitted);
    }

    [Fact]
    public void CapturedParameterProblem_PointsAtTheNextHeaderOfTheQuotedPacket()
    {
        byte[] bytes = (byte[])CapturedFrames6.ParameterProblem.Clone();
        Ipv6Packet packet = Ip(bytes);
        Ipv6Header.TryParse(packet, out Ipv6Header ip);
        Icmpv6Message.TryWrap(packet.Payload, out Icmpv6Message icmp);
        Assert.True(Icmpv6Header.TryParse(icmp, ip.Source, ip.Destination, out Icmpv6Header header));
        Assert.Equal(Icmpv6Header.ParameterProblem(Icmpv6Type.CodeUnrecognizedNextHeader, 6), header);
        Assert.True(Icmpv6Type.IsError(header.Type));

        // The quoted packet is the whole of UnknownNextHeader's.
        Assert.Equal(CapturedFrames6.UnknownNextHeader.AsSpan(EthernetFrame.HeaderLength).ToArray(), icmp.Data.ToArray());
        Assert.True(Ipv6Packet.TryWrap(icmp.Data, out Ipv6Packet quoted));
        Assert.Equal(253, quoted.NextHeader);
    }

    [Fact]
    public void CapturedSolicitation_ParsesTargetAndSourceLinkLayerAddress()
    {
        byte[] bytes = (byte[])CapturedFrames6.NeighborSolicitation.Clone();
        EthernetFrame.TryWrap(bytes, out EthernetFrame frame);
        Assert.Equal(CapturedFrames6.AddressB.SolicitedNode.MulticastMac, frame.Destination);
        Ipv6Packet packet = Ip(bytes);
        Assert.True(Ipv6Header.TryParse(packet, out Ipv6Header ip));
        Assert.Equal(new Ipv6Header(CapturedFrames6.AddressA, CapturedFrames6.AddressB.SolicitedNode, IpProtocol.Icmpv6, 32, 255, 0, 0), ip);
        Icmpv6Message.TryWrap(packet.Payload, out Icmpv6Message icmp);
        Assert.True(NdpNeighborMessage.TryParse(icmp, ip, out NdpNeighborMessage solicitation));
        Assert.Equal(NdpNeighborMessage.Solicitation(CapturedFrames6.AddressB, CapturedFrames6.MacA), solicitation);
    }

    [Fact]
    public void CapturedAdvertisements_ParseFlagsAndTheOptionWhenThere()
    {
        byte[] bytes = (byte[])CapturedFrames6.NeighborAdvertisement.Clone();
        Ipv6Packet packet = Ip(bytes);
        Ipv6Header.TryParse(packet, out Ipv6Header ip);
        Icmpv6Message.TryWrap(packet.Payload, out Icmpv6Message icmp);
        Assert.True(NdpNeighborMessage.TryParse(icmp, ip, out NdpNeighborMessage advertisement));
        Assert.Equal(NdpNeighborMessage.Advertisement(CapturedFrames6.AddressB, true, CapturedFrames6.MacB), advertisement);

        byte[] bare = (byte[])CapturedFrames6.AdvertisementWithoutOption.Clone();
        Ipv6Packet barePacket = Ip(bare);
        Ipv6Header.TryParse(barePacket, out Ipv6Header bareIp);
        Icmpv6Message.TryWrap(barePacket.Payload, out Icmpv6Message bareIcmp);
        Assert.True(NdpNeighborMessage.TryParse(bareIcmp, bareIp, out NdpNeighborMessage noOption));
        // Solicited and not override: Linux sets override only when it sends its address with it.
        Assert.Equal(new NdpNeighborMessage(Icmpv6Type.NeighborAdvertisement, CapturedFrames6.LinkLocalA, false, true, false, false, default), noOption);
        Assert.Equal(NdpNeighborMessage.FixedLength, noOption.Length);
    }

    [Theory]
    [InlineData(nameof(CapturedFrames6.NeighborSolicitation))]
    [InlineData(nameof(CapturedFrames6.NeighborAdvertisement))]
    [InlineData(nameof(CapturedFrames6.LinkLocalNeighborSolicitation))]
    [InlineData(nameof(CapturedFrames6.LinkLocalNeighborAdvertisement))]
    [InlineData(nameof(CapturedFrames6.UnicastNeighborSolicitation))]
    [InlineData(nameof(CapturedFrames6.AdvertisementWithoutOption))]
    public void EmitOfTheParsedNeighborMessage_WritesTheCapturedBytes(string name)
    {
        byte[] captured = Frame(name);
        byte[] copy = (byte[])captured.Clone();
        Ipv6Packet parsed = Ip(copy);
        Assert.True(Ipv6Header.TryParse(parsed, out Ipv6Header ip));
        Icmpv6Message.TryWrap(parsed.Payload, out Icmpv6Message parsedIcmp);
        Assert.True(NdpNeighborMessage.TryParse(parsedIcmp, ip, out NdpNeighborMessage neighbor));
        Assert.Equal(ip.PayloadLength, neighbor.Length);

        byte[] emitted = new byte[captured.Length];
        captured.AsSpan(0, EthernetFrame.HeaderLength).CopyTo(emitted);
        Span<byte> ipBytes = emitted.AsSpan(EthernetFrame.HeaderLength);
        Assert.True(ip.TryEmit(ipBytes));
        Assert.True(Ipv6Packet.TryWrap(ipBytes, out Ipv6Packet packet));
        Assert.True(Icmpv6Message.TryWrap(packet.Payload, out Icmpv6Message message));
        neighbor.Emit(message, ip.Source, ip.Destination);

        Assert.Equal(captured, emitted);
    }

    [Fact]
    public void NeighborMessages_FromOffTheLinkOrMalformed_AreRefused()
    {
        // RFC 4861, 7.1.1: a hop limit other than 255 means a router forwarded it.
        Assert.False(ParseNeighbor(CapturedFrames6.NeighborSolicitation, bytes => bytes[EthernetFrame.HeaderLength + 7] = 64));
        // An option of length zero.
        Assert.False(ParseNeighbor(CapturedFrames6.NeighborSolicitation, bytes => bytes[bytes.Length - 7] = 0, refill: true));
        // A multicast target (the checksum is fixed up so that only the target is wrong).
        Assert.False(ParseNeighbor(CapturedFrames6.NeighborSolicitation, bytes => bytes[EthernetFrame.HeaderLength + 48] = 0xff, refill: true));
        // A solicited advertisement to a multicast group.
        Assert.False(ParseNeighbor(CapturedFrames6.NeighborAdvertisement, bytes => Ipv6Address.AllNodes.Write(bytes.AsSpan(EthernetFrame.HeaderLength + 24)), refill: true));
        // Duplicate address detection's solicitation (from ::) must not carry a link-layer address.
        Assert.False(ParseNeighbor(CapturedFrames6.NeighborSolicitation, bytes => Ipv6Address.Unspecified.Write(bytes.AsSpan(EthernetFrame.HeaderLength + 8)), refill: true));
        // The refill itself keeps a good message good.
        Assert.True(ParseNeighbor(CapturedFrames6.NeighborSolicitation, bytes => { }, refill: true));
    }

    [Fact]
    public void Header_WithAnotherVersionOrAShortPayload_IsRefused()
    {
        byte[] bytes = (byte[])CapturedFrames6.EchoRequest.Clone();
        Span<byte> ip = bytes.AsSpan(EthernetFrame.HeaderLength);
        ip[0] = 0x40;
        Assert.True(Ipv6Packet.TryWrap(ip, out Ipv6Packet packet));
        Assert.False(Ipv6Header.TryParse(packet, out _));
        // A payload length past the bytes.
        ip[0] = 0x60;
        ip[5] = 33;
        Assert.False(Ipv6Packet.TryWrap(ip, out _));
        Assert.False(Ipv6Packet.TryWrap(ip.Slice(0, 39), out _));
        // Ethernet padding after the payload is not part of the packet.
        ip[5] = 32;
        byte[] padded = new byte[ip.Length + 10];
        ip.CopyTo(padded);
        Assert.True(Ipv6Packet.TryWrap(padded, out Ipv6Packet trimmed));
        Assert.Equal(ip.Length, trimmed.Bytes.Length);
    }

    [Theory]
    [InlineData("2001:2::2", 0x2001_0002_0000_0000UL, 2UL)]
    [InlineData("::", 0UL, 0UL)]
    [InlineData("::1", 0UL, 1UL)]
    [InlineData("1::", 0x0001_0000_0000_0000UL, 0UL)]
    [InlineData("fe80::a06b:2ff:fe04:eb11", 0xfe80_0000_0000_0000UL, 0xa06b_02ff_fe04_eb11UL)]
    [InlineData("ff02::1:ff00:2", 0xff02_0000_0000_0000UL, 0x0000_0001_ff00_0002UL)]
    [InlineData("2001:db8:0:1:1:1:1:1", 0x2001_0db8_0000_0001UL, 0x0001_0001_0001_0001UL)]
    [InlineData("2001:db8::1:0:0:1", 0x2001_0db8_0000_0000UL, 0x0001_0000_0000_0001UL)]
    [InlineData("::ffff:198.18.0.2", 0UL, 0x0000_ffff_c612_0002UL)]
    public void CanonicalText_ParsesAndFormatsBack(string text, ulong high, ulong low)
    {
        Assert.True(Ipv6Address.TryParse(text, out Ipv6Address address));
        Assert.Equal(new Ipv6Address(high, low), address);
        Assert.Equal(text, address.ToString());
    }

    // RFC 5952, 4: leading zeros go, hex is lower case, "::" takes the longest run of zeros (the
    // first of two equal ones) and never a single zero group.
    [Theory]
    [InlineData("2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1")]
    [InlineData("2001:DB8::0001", "2001:db8::1")]
    [InlineData("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1")]
    [InlineData("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1")]
    [InlineData("2001:0:0:1:0:0:0:1", "2001:0:0:1::1")]
    [InlineData("0:0:0:0:0:0:0:0", "::")]
    [InlineData("2001:2:0:0:0:0:0:2", "2001:2::2")]
    [InlineData("::198.18.0.2", "::c612:2")]
    public void Text_IsFormattedCanonically(string text, string canonical)
    {
        Assert.True(Ipv6Address.TryParse(text, out Ipv6Address address));
        Assert.Equal(canonical, address.ToString());
    }

    [Theory]
    [InlineData("")]
    [InlineData(":")]
    [InlineData(":::")]
    [InlineData("1:2:3:4:5:6:7")]
    [InlineData("1:2:3:4:5:6:7:8:9")]
    [InlineData("1::2::3")]
    [InlineData("12345::1")]
    [InlineData("1:2:3:4:5:6:7:8::")]
    [InlineData("2001:2::2/64")]
    [InlineData("fe80::1%eth0")]
    [InlineData("2001:2::g")]
    [InlineData(":1::2")]
    [InlineData("1::2:")]
    [InlineData("::1.2.3")]
    [InlineData("198.18.0.2")]
    public void BadText_IsRefused(string text)
    {
        Assert.False(Ipv6Address.TryParse(text, out _));
    }

    [Fact]
    public void LinkLocalFromMac_IsTheModifiedEui64_LinuxMakes()
    {
        Assert.Equal(CapturedFrames6.LinkLocalA, Ipv6Address.LinkLocalFromMac(CapturedFrames6.MacA));
        Assert.Equal(CapturedFrames6.LinkLocalB, Ipv6Address.LinkLocalFromMac(CapturedFrames6.MacB));
        Assert.True(CapturedFrames6.LinkLocalA.IsLinkLocal);
        Assert.False(CapturedFrames6.AddressA.IsLinkLocal);
        Assert.True(Ipv6Address.AllNodes.IsMulticast);
        Assert.Equal(new MacAddress(0x3333_0000_0001), Ipv6Address.AllNodes.MulticastMac);
        Assert.Equal("ff02::1:ff72:841e", CapturedFrames6.LinkLocalB.SolicitedNode.ToString());
        Assert.True(CapturedFrames6.AddressB.IsInSubnet(CapturedFrames6.AddressA, 64));
        Assert.True(CapturedFrames6.AddressB.IsInSubnet(CapturedFrames6.AddressA, 126));
        Assert.False(CapturedFrames6.AddressB.IsInSubnet(CapturedFrames6.AddressA, 127));
        Assert.False(CapturedFrames6.LinkLocalB.IsInSubnet(CapturedFrames6.AddressA, 48));
    }

    // The payload of a captured frame as an IPv6 packet.
    private static Ipv6Packet Ip(byte[] frame)
    {
        Assert.True(Ipv6Packet.TryWrap(frame.AsSpan(EthernetFrame.HeaderLength), out Ipv6Packet packet));
        return packet;
    }

    private static byte[] Frame(string name)
    {
        return (byte[])typeof(CapturedFrames6).GetField(name)!.GetValue(null)!;
    }

    // Parses a captured neighbor message after change; refill writes a correct checksum after it.
    private static bool ParseNeighbor(byte[] captured, Action<byte[]> change, bool refill = false)
    {
        byte[] bytes = (byte[])captured.Clone();
        change(bytes);
        Ipv6Packet packet = Ip(bytes);
        Ipv6Header.TryParse(packet, out Ipv6Header ip);
        Icmpv6Message.TryWrap(packet.Payload, out Icmpv6Message icmp);
        if (refill)
        {
            icmp.FillChecksum(ip.Source, ip.Destination);
        }
        return NdpNeighborMessage.TryParse(icmp, ip, out _);
    }
}
