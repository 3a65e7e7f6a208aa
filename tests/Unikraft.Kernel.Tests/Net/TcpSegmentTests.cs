namespace Unikraft.Kernel.Tests.Net;

using System;
using Unikraft.Kernel;
using Xunit;

// Real segments from Linux 6.x: two network namespaces joined by a veth pair (198.18.7.1 in one,
// 198.18.7.2 in the other, transmit checksum offload turned off with ETHTOOL_STXCSUM so the
// checksums are final), `nc -l -p 5001` in one and `printf 'hello from tcpa\n' | nc -q 1
// 198.18.7.2 5001` in the other, then `nc 198.18.7.2 5002` to a closed port, captured with
// `tcpdump -i vtcpb -xx -n -s 0 tcp`. Each array is the TCP segment (the IPv4 header cut off).
public class TcpSegmentTests
{
    private static readonly Ipv4Address Client = new Ipv4Address(198, 18, 7, 1);
    private static readonly Ipv4Address Server = new Ipv4Address(198, 18, 7, 2);

    // 198.18.7.1.38494 > 198.18.7.2.5001: Flags [S], seq 2752461566, win 64240,
    // options [mss 1460,sackOK,TS val 1723738352 ecr 0,nop,wscale 10], length 0
    private static readonly byte[] LinuxSyn =
    {
        0x96, 0x5e, 0x13, 0x89, 0xa4, 0x0f, 0x3a, 0xfe, 0x00, 0x00, 0x00, 0x00,
        0xa0, 0x02, 0xfa, 0xf0, 0x9a, 0x40, 0x00, 0x00, 0x02, 0x04, 0x05, 0xb4,
        0x04, 0x02, 0x08, 0x0a, 0x66, 0xbe, 0x28, 0xf0, 0x00, 0x00, 0x00, 0x00,
        0x01, 0x03, 0x03, 0x0a,
    };

    // 198.18.7.2.5001 > 198.18.7.1.38494: Flags [S.], seq 2773790236, ack 2752461567, win 65160,
    // options [mss 1460,sackOK,TS val 1824917778 ecr 1723738352,nop,wscale 10], length 0
    private static readonly byte[] LinuxSynAck =
    {
        0x13, 0x89, 0x96, 0x5e, 0xa5, 0x54, 0xae, 0x1c, 0xa4, 0x0f, 0x3a, 0xff,
        0xa0, 0x12, 0xfe, 0x88, 0xcd, 0x4d, 0x00, 0x00, 0x02, 0x04, 0x05, 0xb4,
        0x04, 0x02, 0x08, 0x0a, 0x6c, 0xc6, 0x09, 0x12, 0x66, 0xbe, 0x28, 0xf0,
        0x01, 0x03, 0x03, 0x0a,
    };

    // 198.18.7.1.38494 > 198.18.7.2.5001: Flags [P.], seq 1:17, ack 1, win 63,
    // options [nop,nop,TS val 1723738353 ecr 1824917778], length 16
    private static readonly byte[] LinuxData =
    {
        0x96, 0x5e, 0x13, 0x89, 0xa4, 0x0f, 0x3a, 0xff, 0xa5, 0x54, 0xae, 0x1d,
        0x80, 0x18, 0x00, 0x3f, 0xfb, 0x8c, 0x00, 0x00, 0x01, 0x01, 0x08, 0x0a,
        0x66, 0xbe, 0x28, 0xf1, 0x6c, 0xc6, 0x09, 0x12, 0x68, 0x65, 0x6c, 0x6c,
        0x6f, 0x20, 0x66, 0x72, 0x6f, 0x6d, 0x20, 0x74, 0x63, 0x70, 0x61, 0x0a,
    };

    // 198.18.7.1.38494 > 198.18.7.2.5001: Flags [F.], seq 17, ack 1, win 63,
    // options [nop,nop,TS val 1723738353 ecr 1824917779], length 0
    private static readonly byte[] LinuxFin =
    {
        0x96, 0x5e, 0x13, 0x89, 0xa4, 0x0f, 0x3b, 0x0f, 0xa5, 0x54, 0xae, 0x1d,
        0x80, 0x11, 0x00, 0x3f, 0xfa, 0x53, 0x00, 0x00, 0x01, 0x01, 0x08, 0x0a,
        0x66, 0xbe, 0x28, 0xf1, 0x6c, 0xc6, 0x09, 0x13,
    };

    // 198.18.7.2.5002 > 198.18.7.1.34224: Flags [R.], seq 0, ack 1978169632, win 0, length 0
    // (the answer of a closed port to a SYN)
    private static readonly byte[] LinuxRst =
    {
        0x13, 0x8a, 0x85, 0xb0, 0x00, 0x00, 0x00, 0x00, 0x75, 0xe8, 0x79, 0x20,
        0x50, 0x14, 0x00, 0x00, 0x8d, 0x65, 0x00, 0x00,
    };

    private static TcpHeader Parse(byte[] bytes, Ipv4Address source, Ipv4Address destination)
    {
        Assert.True(TcpSegment.TryWrap((ReadOnlySpan<byte>)bytes, out TcpSegment segment));
        Assert.True(TcpHeader.TryParse(segment, source, destination, out TcpHeader header));
        return header;
    }

    private static byte[] Emit(TcpHeader header, ReadOnlySpan<byte> payload, Ipv4Address source, Ipv4Address destination)
    {
        byte[] bytes = new byte[header.Length + payload.Length];
        payload.CopyTo(bytes.AsSpan(header.Length));
        header.Emit(bytes, source, destination);
        return bytes;
    }

    [Fact]
    public void LinuxSyn_ParsesItsFieldsAndOptions()
    {
        TcpHeader syn = Parse(LinuxSyn, Client, Server);
        Assert.Equal(38494, syn.SourcePort);
        Assert.Equal(5001, syn.DestinationPort);
        Assert.Equal(2752461566u, syn.SequenceNumber);
        Assert.Equal(TcpFlags.Syn, syn.Flags);
        Assert.Equal(64240, syn.Window);
        Assert.Equal(1460, syn.MaximumSegmentSize);
        Assert.True(syn.SackPermitted);
        Assert.True(syn.HasTimestamps);
        Assert.Equal(1723738352u, syn.TimestampValue);
        Assert.Equal(0u, syn.TimestampEcho);
        Assert.True(syn.HasWindowScale);
        Assert.Equal(10, syn.WindowScale);
        Assert.Equal(40, syn.Length);
    }

    [Fact]
    public void LinuxSynAck_ParsesItsFieldsAndOptions()
    {
        TcpHeader synAck = Parse(LinuxSynAck, Server, Client);
        Assert.Equal(2773790236u, synAck.SequenceNumber);
        Assert.Equal(2752461567u, synAck.AcknowledgmentNumber);
        Assert.Equal(TcpFlags.Syn | TcpFlags.Ack, synAck.Flags);
        Assert.Equal(65160, synAck.Window);
        Assert.Equal(1824917778u, synAck.TimestampValue);
        Assert.Equal(1723738352u, synAck.TimestampEcho);
        Assert.Equal(10, synAck.WindowScale);
    }

    [Fact]
    public void LinuxDataSegment_ParsesHeaderAndPayload()
    {
        Assert.True(TcpSegment.TryWrap((ReadOnlySpan<byte>)LinuxData, out TcpSegment segment));
        Assert.True(TcpHeader.TryParse(segment, Client, Server, out TcpHeader data));
        Assert.Equal(TcpFlags.Psh | TcpFlags.Ack, data.Flags);
        Assert.Equal(63, data.Window);
        Assert.Equal(0, data.MaximumSegmentSize);
        Assert.False(data.HasWindowScale);
        Assert.True(data.HasTimestamps);
        Assert.Equal(32, segment.DataOffset);
        Assert.Equal("hello from tcpa\n", System.Text.Encoding.ASCII.GetString(segment.Payload));
    }

    [Fact]
    public void LinuxFinAndRst_ParseTheirFlags()
    {
        TcpHeader fin = Parse(LinuxFin, Client, Server);
        Assert.Equal(TcpFlags.Fin | TcpFlags.Ack, fin.Flags);
        Assert.Equal(2752461583u, fin.SequenceNumber);
        TcpHeader rst = Parse(LinuxRst, Server, Client);
        Assert.Equal(TcpFlags.Rst | TcpFlags.Ack, rst.Flags);
        Assert.Equal(0u, rst.SequenceNumber);
        Assert.Equal(1978169632u, rst.AcknowledgmentNumber);
        Assert.Equal(20, rst.Length);
    }

    [Fact]
    public void EveryCapturedSegment_EmitsAsTheSameBytes()
    {
        Assert.Equal(LinuxSyn, Emit(Parse(LinuxSyn, Client, Server), default, Client, Server));
        Assert.Equal(LinuxSynAck, Emit(Parse(LinuxSynAck, Server, Client), default, Server, Client));
        Assert.Equal(LinuxData, Emit(Parse(LinuxData, Client, Server), LinuxData.AsSpan(32), Client, Server));
        Assert.Equal(LinuxFin, Emit(Parse(LinuxFin, Client, Server), default, Client, Server));
        Assert.Equal(LinuxRst, Emit(Parse(LinuxRst, Server, Client), default, Server, Client));
    }

    [Fact]
    public void SynBuiltFromFields_EmitsLinuxsBytes()
    {
        TcpHeader syn = new TcpHeader
        {
            SourcePort = 38494, DestinationPort = 5001, SequenceNumber = 2752461566, Flags = TcpFlags.Syn, Window = 64240,
            MaximumSegmentSize = 1460, SackPermitted = true, HasTimestamps = true, TimestampValue = 1723738352,
            HasWindowScale = true, WindowScale = 10,
        };
        Assert.Equal(LinuxSyn, Emit(syn, default, Client, Server));
    }

    [Fact]
    public void WrongAddresses_FailTheChecksum()
    {
        Assert.True(TcpSegment.TryWrap((ReadOnlySpan<byte>)LinuxSyn, out TcpSegment segment));
        Assert.False(TcpHeader.TryParse(segment, Client, new Ipv4Address(198, 18, 7, 3), out TcpHeader _));
    }

    [Fact]
    public void FlippedPayloadBit_FailsTheChecksum()
    {
        byte[] bytes = (byte[])LinuxData.Clone();
        bytes[40] ^= 0x01;
        Assert.True(TcpSegment.TryWrap((ReadOnlySpan<byte>)bytes, out TcpSegment segment));
        Assert.False(TcpHeader.TryParse(segment, Client, Server, out TcpHeader _));
    }

    [Theory]
    [InlineData(19)]
    [InlineData(0)]
    public void ShortBytes_DoNotWrap(int length)
    {
        Assert.False(TcpSegment.TryWrap((ReadOnlySpan<byte>)LinuxSyn.AsSpan(0, length), out TcpSegment _));
    }

    [Fact]
    public void DataOffsetPastTheEnd_OrBelowFive_DoesNotWrap()
    {
        byte[] bytes = (byte[])LinuxRst.Clone();
        bytes[12] = 0x60;
        Assert.False(TcpSegment.TryWrap((ReadOnlySpan<byte>)bytes, out TcpSegment _));
        bytes[12] = 0x40;
        Assert.False(TcpSegment.TryWrap((ReadOnlySpan<byte>)bytes, out TcpSegment _));
    }

    [Fact]
    public void SackBlocks_RoundTripAfterTimestamps()
    {
        TcpSackBlocks blocks = default;
        blocks.TryAdd(1000, 2000);
        blocks.TryAdd(3000, 4000);
        blocks.TryAdd(5000, 6000);
        blocks.TryAdd(7000, 8000);
        TcpHeader ack = new TcpHeader
        {
            SourcePort = 1, DestinationPort = 2, SequenceNumber = 5, AcknowledgmentNumber = 900, Flags = TcpFlags.Ack,
            Window = 100, HasTimestamps = true, TimestampValue = 7, TimestampEcho = 8, Sack = blocks,
        };
        byte[] bytes = Emit(ack, default, Client, Server);
        // NOTE: with timestamps only three blocks fit in the 40 bytes (RFC 2018, 3).
        Assert.Equal(20 + 12 + 4 + 24, bytes.Length);
        TcpHeader parsed = Parse(bytes, Client, Server);
        Assert.Equal(ack with { Sack = blocks.Take(3) }, parsed);
        Assert.Equal(5000u, parsed.Sack.Left(2));
        Assert.Equal(6000u, parsed.Sack.Right(2));
    }

    // Garbled options: a parse says false, never throws.
    [Theory]
    [InlineData(new byte[] { 0x02, 0x05, 0x05, 0xb4 })]       // MSS claiming 5 bytes
    [InlineData(new byte[] { 0x03, 0x02, 0x01, 0x00 })]       // window scale of length 2
    [InlineData(new byte[] { 0x01, 0x01, 0x01, 0x08 })]       // a kind with no length byte
    [InlineData(new byte[] { 0x05, 0x06, 0x00, 0x00 })]       // SACK not 2 + 8n
    [InlineData(new byte[] { 0x22, 0x00, 0x00, 0x00 })]       // length 0 would loop forever
    [InlineData(new byte[] { 0x08, 0x0a, 0x00, 0x00 })]       // timestamps running past the header
    public void GarbledOptions_AreRejected(byte[] options)
    {
        byte[] bytes = new byte[24];
        LinuxRst.AsSpan(0, 20).CopyTo(bytes);
        bytes[12] = 0x60;
        options.CopyTo(bytes, 20);
        Assert.True(TcpSegment.TryWrap((ReadOnlySpan<byte>)bytes, out TcpSegment segment));
        Assert.False(TcpHeader.TryParseUnchecked(segment, out TcpHeader _));
    }

    [Fact]
    public void RandomAndMutatedBytes_NeverThrow()
    {
        Random random = new Random(11);
        byte[][] seeds = { LinuxSyn, LinuxSynAck, LinuxData, LinuxFin, LinuxRst };
        int parsed = 0;
        for (int round = 0; round < 20000; round++)
        {
            byte[] bytes;
            if (round % 2 == 0)
            {
                bytes = new byte[random.Next(0, 80)];
                random.NextBytes(bytes);
            }
            else
            {
                bytes = (byte[])seeds[random.Next(seeds.Length)].Clone();
                for (int flips = random.Next(1, 4); flips > 0; flips--)
                {
                    bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
                }
            }
            if (TcpSegment.TryWrap((ReadOnlySpan<byte>)bytes, out TcpSegment segment) && TcpHeader.TryParseUnchecked(segment, out TcpHeader header))
            {
                parsed++;
                byte[] again = new byte[header.Length + segment.Payload.Length];
                header.Emit(again, Client, Server);
            }
        }
        Assert.True(parsed > 1000, "only " + parsed + " parsed");
    }
}
