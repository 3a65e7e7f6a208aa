namespace Unikraft.Kernel;

using System;

// What one frame asks of its device, or what the device says of one it hands up, beyond its
// bytes: the work a NIC (or the host behind a TAP device) does for the stack, in the terms of
// Linux's virtio_net_hdr. FrameOffload.None asks nothing and says nothing: the frame is complete,
// its checksums computed, no longer than the MTU allows.
//
// Sending, a device whose NetDeviceInfo.SegmentOffload is not 0 takes a frame holding one TCP
// segment over IPv4 longer than the MTU allows and cuts it into segments of SegmentSize data
// bytes each (the headers of the first repeated, the sequence numbers, IPv4 identification and
// lengths advanced, PSH and FIN left on the last), and completes the checksum of each: the TCP
// checksum field holds the sum of the pseudo-header (RFC 9293, 3.1), folded and not complemented,
// and the device sums the bytes from ChecksumStart on into it and writes the result at
// ChecksumStart + ChecksumOffset. The same checksum completion serves a frame of MTU size.
//
// Receiving, ChecksumTrusted says the transport checksum needs no check: the host computed it
// and found it valid, or left it to be computed because the frame never crossed a wire (it came
// from the host's own stack); such a frame may also be longer than the MTU, a segment the host's
// stack did not cut (up to NetDeviceInfo.MaximumReceiveFrameLength).
internal readonly struct FrameOffload : IEquatable<FrameOffload>
{
    private FrameOffload(int checksumStart, int checksumOffset, int segmentSize, int headerLength, bool checksumTrusted, bool ipv6 = false)
    {
        Ipv6 = ipv6;
        ChecksumStart = checksumStart;
        ChecksumOffset = checksumOffset;
        SegmentSize = segmentSize;
        HeaderLength = headerLength;
        ChecksumTrusted = checksumTrusted;
    }

    public static FrameOffload None => default;

    // Where the checksummed bytes start in the frame, counted from its first byte (the Ethernet
    // header's), and where the checksum goes, counted from there; ChecksumStart 0: nothing to
    // complete.
    public int ChecksumStart { get; }

    public int ChecksumOffset { get; }

    // The data bytes of each TCP segment the device cuts the frame into; 0: not to be cut.
    public int SegmentSize { get; }

    // The length of the Ethernet, IPv4 and TCP headers every cut segment starts with.
    public int HeaderLength { get; }

    // Received: the transport checksum is not to be checked.
    public bool ChecksumTrusted { get; }

    // A segment to be cut holds TCP over IPv6 (virtio's GSO_TCPV6), not over IPv4.
    public bool Ipv6 { get; }

    public bool IsNone => ChecksumStart == 0 && SegmentSize == 0 && !ChecksumTrusted;

    public bool NeedsChecksum => ChecksumStart != 0;

    public bool IsSegmented => SegmentSize != 0;

    // A frame whose transport checksum the device completes (no segmentation).
    public static FrameOffload CompleteChecksum(int checksumStart, int checksumOffset)
    {
        return new FrameOffload(checksumStart, checksumOffset, 0, 0, false);
    }

    // A frame holding one TCP segment over IPv4 for the device to cut into segments of
    // segmentSize data bytes after headerLength bytes of headers, each with its checksum
    // completed (checksumStart is where the TCP header starts, checksumOffset the checksum
    // field's place in it).
    public static FrameOffload SegmentTcp(int checksumStart, int checksumOffset, int headerLength, int segmentSize)
    {
        return new FrameOffload(checksumStart, checksumOffset, segmentSize, headerLength, false);
    }

    // As SegmentTcp, for a TCP segment over IPv6: the device advances no identification (IPv6 has
    // none in its header) and sets each piece's payload length.
    public static FrameOffload SegmentTcp6(int checksumStart, int checksumOffset, int headerLength, int segmentSize)
    {
        return new FrameOffload(checksumStart, checksumOffset, segmentSize, headerLength, false, true);
    }

    // A received frame whose transport checksum the device vouches for.
    public static FrameOffload Trusted => new FrameOffload(0, 0, 0, 0, true);

    public bool Equals(FrameOffload other)
    {
        return ChecksumStart == other.ChecksumStart && ChecksumOffset == other.ChecksumOffset && SegmentSize == other.SegmentSize &&
            HeaderLength == other.HeaderLength && ChecksumTrusted == other.ChecksumTrusted && Ipv6 == other.Ipv6;
    }

    public override bool Equals(object? obj) => obj is FrameOffload other && Equals(other);

    public override int GetHashCode() => HashCode.Combine(ChecksumStart, ChecksumOffset, SegmentSize, HeaderLength, ChecksumTrusted, Ipv6);
}
