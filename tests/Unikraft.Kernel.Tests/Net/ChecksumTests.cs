namespace Unikraft.Kernel.Tests.Net;

using System;
using Unikraft.Kernel;
using Xunit;

public class ChecksumTests
{
    // The textbook worked example of the IPv4 header checksum: a UDP datagram from 192.168.0.1
    // to 192.168.0.199, don't-fragment, TTL 64, its checksum field 0xb861.
    private static readonly byte[] ExampleIpv4Header =
    {
        0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11, 0xb8, 0x61,
        0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7,
    };

    [Fact]
    public void HeaderWithItsChecksum_SumsToZero()
    {
        Assert.Equal(0, Checksum.Compute(ExampleIpv4Header));
    }

    [Fact]
    public void ZeroedField_ComputesTheCapturedValue()
    {
        byte[] header = (byte[])ExampleIpv4Header.Clone();
        header[10] = 0;
        header[11] = 0;
        Assert.Equal(0xb861, Checksum.Compute(header));
    }

    [Fact]
    public void Rfc1071Example_SumsAsTheRfcShows()
    {
        // NOTE: RFC 1071, 3: the words 0001 f203 f4f5 f6f7 sum to ddf2 (end-around carries).
        byte[] words = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7 };
        Assert.Equal(0xddf2 ^ 0xFFFF, (int)Checksum.Compute(words));
    }

    [Fact]
    public void OddLength_PadsTheLastByteWithZero()
    {
        Assert.Equal(Checksum.Compute(new byte[] { 0x12, 0x34, 0x56, 0x00 }), Checksum.Compute(new byte[] { 0x12, 0x34, 0x56 }));
    }

    [Fact]
    public void PiecesInOrder_SumAsTheWhole()
    {
        byte[] data = new byte[37];
        for (int index = 0; index < data.Length; index++)
        {
            data[index] = (byte)(index * 31 + 7);
        }
        uint pieces = Checksum.Add(Checksum.Add(0, data.AsSpan(0, 16)), data.AsSpan(16));
        Assert.Equal(Checksum.Compute(data), Checksum.Finish(pieces));
    }

    [Theory]
    [InlineData("198.18.0.2", 0xC6120002u)]
    [InlineData("0.0.0.0", 0u)]
    [InlineData("255.255.255.255", 0xFFFFFFFFu)]
    public void Ipv4Address_ParsesDottedQuads(string text, uint expected)
    {
        Assert.True(Ipv4Address.TryParse(text, out Ipv4Address address));
        Assert.Equal(expected, address.Value);
        Assert.Equal(text, address.ToString());
    }

    [Theory]
    [InlineData("198.18.0")]
    [InlineData("198.18.0.256")]
    [InlineData("198.018.0.2")]
    [InlineData("198.18.0.2.")]
    [InlineData("")]
    [InlineData("a.b.c.d")]
    public void Ipv4Address_RefusesWhatIsNotADottedQuad(string text)
    {
        Assert.False(Ipv4Address.TryParse(text, out _));
    }

    [Fact]
    public void Ipv4Address_MasksByPrefix()
    {
        Ipv4Address.TryParse("198.18.0.2", out Ipv4Address host);
        Ipv4Address.TryParse("198.18.0.0", out Ipv4Address network);
        Ipv4Address.TryParse("198.19.0.1", out Ipv4Address other);
        Assert.True(host.IsInSubnet(network, 24));
        Assert.False(other.IsInSubnet(network, 24));
        Assert.True(other.IsInSubnet(network, 15));
        Assert.Equal(0xFFFFFF00u, Ipv4Address.Mask(24).Value);
        Assert.Equal(0u, Ipv4Address.Mask(0).Value);
    }
}
