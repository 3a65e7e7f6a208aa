namespace Unikraft.Kernel.Tests.Net.Interface;

using System;
using System.Buffers.Binary;
using Unikraft.Kernel;
using Unikraft.Kernel.Tests.Net.Wire;
using Xunit;

// The interface on a device with checksum and segmentation offload (a TAP device with
// virtio_net_hdr): what it hands the device for a TCP segment longer than the MTU, and what it
// makes of frames whose transport checksum the device vouches for, the uncut ones included.
public class OffloadTests
{
    private const int UdpStart = EthernetFrame.HeaderLength + Ipv4Packet.MinimumHeaderLength;

    // A datagram to a closed port gets ICMP port unreachable only when its checksum passed
    // (RFC 1122, 4.1.3.4: a bad one is dropped silently): so whether an error comes back says
    // whether UDP took the datagram.
    [Fact]
    public void ChecksumTheDeviceVouchesFor_IsNotCheckedAgain()
    {
        NetTestHost b = new NetTestHost(hostB: true, segmentOffload: 65535);
        b.Device.Inject(CapturedFrames.ArpRequest);
        b.Device.Sent.Clear();
        b.Device.SentOffloads.Clear();
        byte[] frame = WithPartialChecksum(CapturedFrames.UdpHello);

        b.Device.Inject(frame, FrameOffload.Trusted);

        byte[] error = b.Device.TakeOnly();
        Assert.Equal(IcmpType.DestinationUnreachable, error[UdpStart]);
        Assert.Equal(0, b.Udp.BadChecksums);
    }

    [Fact]
    public void ChecksumNobodyVouchesFor_IsChecked()
    {
        NetTestHost b = new NetTestHost(hostB: true, segmentOffload: 65535);
        b.Device.Inject(CapturedFrames.ArpRequest);
        b.Device.Sent.Clear();
        b.Device.SentOffloads.Clear();
        byte[] frame = WithPartialChecksum(CapturedFrames.UdpHello);

        b.Device.Inject(frame, FrameOffload.None);

        Assert.Empty(b.Device.Sent);
        Assert.Equal(1, b.Udp.BadChecksums);
    }

    // The host's stack hands over what it did not cut: an IPv4 datagram longer than the MTU,
    // in one frame, is taken whole (the header checksum still checked).
    [Fact]
    public void FrameLongerThanTheMtu_FromAnOffloadDevice_IsTakenWhole()
    {
        NetTestHost b = new NetTestHost(hostB: true, segmentOffload: 65535);
        b.Device.Inject(CapturedFrames.ArpRequest);
        b.Device.Sent.Clear();
        b.Device.SentOffloads.Clear();
        byte[] frame = UdpFrame(CapturedFrames.UdpHello, 20000);

        b.Device.Inject(frame, FrameOffload.Trusted);

        byte[] error = b.Device.TakeOnly();
        Assert.Equal(IcmpType.DestinationUnreachable, error[UdpStart]);
        Assert.Equal(IcmpType.CodePortUnreachable, error[UdpStart + 1]);
        Assert.Equal(0, b.Stack.Counters.Ipv4BadHeader);
    }

    [Fact]
    public void LongTcpSegment_GoesWholeWithWhatTheDeviceNeedsToCutIt()
    {
        NetTestHost b = new NetTestHost(hostB: true, segmentOffload: 65535);
        b.Device.Inject(CapturedFrames.ArpRequest);
        b.Device.Sent.Clear();
        b.Device.SentOffloads.Clear();
        byte[] segment = TcpSegmentBytes(b.Address, CapturedFrames.AddressA, 32, 10 * 1448);

        Assert.Equal(65535 - 20, b.Stack.SegmentOffloadTo(CapturedFrames.AddressA));
        Assert.Equal(0, b.Stack.SendTcpOffloaded(b.Address, CapturedFrames.AddressA, segment, 1448));

        byte[] frame = Assert.Single(b.Device.Sent);
        Assert.Equal(FrameOffload.SegmentTcp(34, 16, 34 + 32, 1448), Assert.Single(b.Device.SentOffloads));
        Assert.Equal(EthernetFrame.HeaderLength + 20 + segment.Length, frame.Length);
        Ipv4Header ip = NetTestHost.Ipv4Of(frame);
        Assert.Equal(segment.Length, ip.PayloadLength);
        Assert.False(ip.MoreFragments);
        Assert.Equal(0, ip.FragmentOffset);
        Assert.Equal(segment, frame.AsSpan(34).ToArray());
        Assert.Equal(1, b.Stack.Counters.SegmentOffloadsSent);
    }

    [Fact]
    public void TcpSegmentWithinTheMtu_AsksOnlyForItsChecksum()
    {
        NetTestHost b = new NetTestHost(hostB: true, segmentOffload: 65535);
        b.Device.Inject(CapturedFrames.ArpRequest);
        b.Device.Sent.Clear();
        b.Device.SentOffloads.Clear();
        byte[] segment = TcpSegmentBytes(b.Address, CapturedFrames.AddressA, 20, 1000);

        Assert.Equal(0, b.Stack.SendTcpOffloaded(b.Address, CapturedFrames.AddressA, segment, 1460));

        Assert.Equal(FrameOffload.CompleteChecksum(34, 16), Assert.Single(b.Device.SentOffloads));
        Assert.Equal(0, b.Stack.Counters.SegmentOffloadsSent);
    }

    // A segment to be cut cannot wait behind ARP (the queue sends datagrams in fragments): it is
    // refused, and TCP sends its pieces by the ordinary path (TcpSegmentOffloadTests).
    [Fact]
    public void LongTcpSegment_ToAnUnresolvedAddress_IsRefusedAndNothingLeaves()
    {
        NetTestHost b = new NetTestHost(hostB: true, segmentOffload: 65535);
        byte[] segment = TcpSegmentBytes(b.Address, CapturedFrames.AddressA, 20, 5000);

        Assert.Equal(-Errno.EHOSTUNREACH, b.Stack.SendTcpOffloaded(b.Address, CapturedFrames.AddressA, segment, 1460));

        Assert.Empty(b.Device.Sent);
    }

    [Fact]
    public void DeviceWithoutOffloads_OffersNone()
    {
        NetTestHost b = new NetTestHost(hostB: true);
        b.Device.Inject(CapturedFrames.ArpRequest);

        Assert.Equal(0, b.Stack.SegmentOffloadTo(CapturedFrames.AddressA));
        Assert.Equal(-Errno.EMSGSIZE, b.Stack.SendTcpOffloaded(b.Address, CapturedFrames.AddressA, TcpSegmentBytes(b.Address, CapturedFrames.AddressA, 20, 5000), 1460));
        Assert.Equal(NetDeviceInfo.EthernetHeaderLength + 1500, b.Device.Info.MaximumReceiveFrameLength);
    }

    [Fact]
    public void LoopbackDestination_OffersNone()
    {
        NetTestHost b = new NetTestHost(hostB: true, segmentOffload: 65535);

        Assert.Equal(0, b.Stack.SegmentOffloadTo(Ipv4Address.Loopback));
        Assert.Equal(0, b.Stack.SegmentOffloadTo(b.Address));
    }

    // The captured datagram with its UDP checksum replaced by the pseudo-header's sum alone, as
    // a host that left the checksum to the device sends it (Linux's CHECKSUM_PARTIAL).
    private static byte[] WithPartialChecksum(byte[] captured)
    {
        byte[] frame = (byte[])captured.Clone();
        Assert.True(Ipv4Packet.TryWrap(frame.AsSpan(EthernetFrame.HeaderLength), out Ipv4Packet packet));
        ushort partial = (ushort)~Checksum.Finish(Checksum.PseudoHeader(packet.Source, packet.Destination, IpProtocol.Udp, packet.Payload.Length));
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(UdpStart + 6), partial);
        return frame;
    }

    // The captured datagram's headers with payloadLength bytes of data, lengths and header
    // checksum set, its UDP checksum partial.
    private static byte[] UdpFrame(byte[] captured, int payloadLength)
    {
        byte[] frame = new byte[UdpStart + UdpDatagram.HeaderLength + payloadLength];
        captured.AsSpan(0, UdpStart + UdpDatagram.HeaderLength).CopyTo(frame);
        for (int index = UdpStart + UdpDatagram.HeaderLength; index < frame.Length; index++)
        {
            frame[index] = (byte)index;
        }
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(EthernetFrame.HeaderLength + 2), (ushort)(frame.Length - EthernetFrame.HeaderLength));
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(UdpStart + 4), (ushort)(UdpDatagram.HeaderLength + payloadLength));
        Assert.True(Ipv4Packet.TryWrap(frame.AsSpan(EthernetFrame.HeaderLength), out Ipv4Packet packet));
        packet.FillChecksum();
        return WithPartialChecksum(frame);
    }

    // A TCP segment with a header of headerLength bytes and dataLength bytes of data, its
    // checksum field the pseudo-header's sum, as TcpHeader.EmitForChecksumOffload leaves it.
    private static byte[] TcpSegmentBytes(Ipv4Address source, Ipv4Address destination, int headerLength, int dataLength)
    {
        TcpHeader header = new TcpHeader
        {
            SourcePort = 8080,
            DestinationPort = 40000,
            SequenceNumber = 1000,
            AcknowledgmentNumber = 2000,
            Flags = TcpFlags.Ack,
            Window = 512,
            HasTimestamps = headerLength == 32,
            TimestampValue = 7,
            TimestampEcho = 9,
        };
        Assert.Equal(headerLength, header.Length);
        byte[] segment = new byte[headerLength + dataLength];
        for (int index = headerLength; index < segment.Length; index++)
        {
            segment[index] = (byte)(index * 7);
        }
        header.EmitForChecksumOffload(segment, source, destination);
        ushort partial = (ushort)~Checksum.Finish(Checksum.PseudoHeader(source, destination, IpProtocol.Tcp, segment.Length));
        Assert.Equal(partial, BinaryPrimitives.ReadUInt16BigEndian(segment.AsSpan(TcpSegment.ChecksumOffset)));
        return segment;
    }
}
