namespace Unikraft.Kernel.Tests.NetDev;

using System;
using Unikraft.Kernel;
using Xunit;

// The virtio_net_hdr a TAP device opened with IFF_VNET_HDR puts before every frame: its bytes
// (little-endian, struct virtio_net_hdr of linux/virtio_net.h), what the kernel asks with it and
// what it makes of the host's.
public class VirtioNetHeaderTests
{
    // A TCP segment over IPv4 to be cut into pieces of 1448 data bytes after 66 bytes of headers
    // (Ethernet 14, IPv4 20, TCP 32 with timestamps), its checksum completed from byte 34 into
    // the TCP checksum field (offset 16 there): as Linux's tun driver writes one it hands over.
    private static readonly byte[] SegmentToCut = { 0x01, 0x01, 0x42, 0x00, 0xa8, 0x05, 0x22, 0x00, 0x10, 0x00 };

    [Fact]
    public void Read_TakesEachFieldLittleEndian()
    {
        Assert.True(VirtioNetHeader.TryRead(SegmentToCut, out VirtioNetHeader header));

        Assert.Equal(VirtioNetHeader.FlagNeedsChecksum, header.Flags);
        Assert.Equal(VirtioNetHeader.SegmentTcpIpv4, header.SegmentType);
        Assert.Equal(66, header.HeaderLength);
        Assert.Equal(1448, header.SegmentSize);
        Assert.Equal(34, header.ChecksumStart);
        Assert.Equal(16, header.ChecksumOffset);
    }

    [Fact]
    public void Read_NeedsTenBytes()
    {
        Assert.False(VirtioNetHeader.TryRead(SegmentToCut.AsSpan(0, 9), out _));
    }

    [Fact]
    public void SegmentToCut_WritesTheSameBytesItReads()
    {
        byte[] written = new byte[VirtioNetHeader.Length];

        VirtioNetHeader.For(FrameOffload.SegmentTcp(34, 16, 66, 1448)).Write(written);

        Assert.Equal(SegmentToCut, written);
    }

    [Fact]
    public void ChecksumToComplete_AsksNoSegmentation()
    {
        byte[] written = new byte[VirtioNetHeader.Length];

        VirtioNetHeader.For(FrameOffload.CompleteChecksum(34, 16)).Write(written);

        Assert.Equal(new byte[] { 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x22, 0x00, 0x10, 0x00 }, written);
    }

    [Fact]
    public void NoOffload_IsAllZeros()
    {
        byte[] written = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

        VirtioNetHeader.For(FrameOffload.None).Write(written);

        Assert.Equal(new byte[VirtioNetHeader.Length], written);
    }

    [Theory]
    [InlineData(VirtioNetHeader.FlagNeedsChecksum, true)]
    [InlineData(VirtioNetHeader.FlagDataValid, true)]
    [InlineData(0, false)]
    public void ReceivedHeader_TrustsTheChecksumOnlyWhenTheHostVouches(byte flags, bool trusted)
    {
        VirtioNetHeader header = new VirtioNetHeader(flags, VirtioNetHeader.SegmentNone, 0, 0, 34, 16);

        Assert.True(header.TryDescribe(1514, out FrameOffload offload));

        Assert.Equal(trusted, offload.ChecksumTrusted);
        Assert.False(offload.NeedsChecksum);
        Assert.False(offload.IsSegmented);
    }

    [Fact]
    public void ReceivedSegmentNotCut_IsTakenWhole()
    {
        Assert.True(VirtioNetHeader.TryRead(SegmentToCut, out VirtioNetHeader header));

        Assert.True(header.TryDescribe(14 + 65535, out FrameOffload offload));

        Assert.True(offload.ChecksumTrusted);
    }

    [Fact]
    public void ReceivedHeader_WithAnUnknownSegmentType_IsRefused()
    {
        VirtioNetHeader header = new VirtioNetHeader(0, 2, 0, 0, 0, 0);

        Assert.False(header.TryDescribe(1514, out _));
    }

    [Fact]
    public void ReceivedHeader_WithAChecksumPastTheFrame_IsRefused()
    {
        VirtioNetHeader header = new VirtioNetHeader(VirtioNetHeader.FlagNeedsChecksum, 0, 0, 0, 34, 16);

        Assert.False(header.TryDescribe(51, out _));
        Assert.True(header.TryDescribe(52, out _));
    }
}
