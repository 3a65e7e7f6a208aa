namespace Unikraft.Kernel;

using System;
using System.Buffers.Binary;

// The header that goes before every frame on a device that speaks virtio-net's offloads: a TAP
// device opened with IFF_VNET_HDR, and later a virtio-net device. It carries a frame's
// FrameOffload: whether its transport checksum is to be completed (and where) or is already
// valid, and whether it is a TCP segment to be cut (and into what size).
//
// NOTE: struct virtio_net_hdr of linux/virtio_net.h, 10 bytes: flags (u8), gso_type (u8), then
// hdr_len, gso_size, csum_start, csum_offset (16 bits each). A TAP device reads and writes them
// little-endian on a little-endian host (TUN_VNET_LE unset: virtio's legacy byte order, the host's).
internal readonly record struct VirtioNetHeader(byte Flags, byte SegmentType, ushort HeaderLength, ushort SegmentSize,
    ushort ChecksumStart, ushort ChecksumOffset)
{
    public const int Length = 10;

    // NOTE: VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_F_DATA_VALID (linux/virtio_net.h).
    public const byte FlagNeedsChecksum = 0x01;
    public const byte FlagDataValid = 0x02;

    // NOTE: VIRTIO_NET_HDR_GSO_NONE, _TCPV4, _UDP, _TCPV6, and the _ECN bit (linux/virtio_net.h).
    public const byte SegmentNone = 0;
    public const byte SegmentTcpIpv4 = 1;
    public const byte SegmentUdp = 3;
    public const byte SegmentTcpIpv6 = 4;
    public const byte SegmentEcn = 0x80;

    // The header bytes at the start of bytes; false when there are fewer than Length of them.
    public static bool TryRead(ReadOnlySpan<byte> bytes, out VirtioNetHeader header)
    {
        if (bytes.Length < Length)
        {
            header = default;
            return false;
        }
        header = new VirtioNetHeader(bytes[0], bytes[1], BinaryPrimitives.ReadUInt16LittleEndian(bytes.Slice(2)),
            BinaryPrimitives.ReadUInt16LittleEndian(bytes.Slice(4)), BinaryPrimitives.ReadUInt16LittleEndian(bytes.Slice(6)),
            BinaryPrimitives.ReadUInt16LittleEndian(bytes.Slice(8)));
        return true;
    }

    // Writes the header into the first Length bytes of bytes.
    public void Write(Span<byte> bytes)
    {
        bytes[0] = Flags;
        bytes[1] = SegmentType;
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.Slice(2), HeaderLength);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.Slice(4), SegmentSize);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.Slice(6), ChecksumStart);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.Slice(8), ChecksumOffset);
    }

    // The header that asks a device for what offload asks.
    public static VirtioNetHeader For(in FrameOffload offload)
    {
        byte flags = offload.NeedsChecksum ? FlagNeedsChecksum : (byte)0;
        if (!offload.IsSegmented)
        {
            return new VirtioNetHeader(flags, SegmentNone, 0, 0, (ushort)offload.ChecksumStart, (ushort)offload.ChecksumOffset);
        }
        return new VirtioNetHeader(flags, offload.Ipv6 ? SegmentTcpIpv6 : SegmentTcpIpv4, (ushort)offload.HeaderLength, (ushort)offload.SegmentSize,
            (ushort)offload.ChecksumStart, (ushort)offload.ChecksumOffset);
    }

    // What a received frame's header says to the stack: only whether its checksum can be trusted
    // (a segment the host did not cut arrives whole, its length in its IPv4 header; the stack has
    // no use for gso_size). False for a header no receiver should get: an unknown segment type,
    // or a checksum to complete that lies outside the frame.
    public bool TryDescribe(int frameLength, out FrameOffload offload)
    {
        offload = FrameOffload.None;
        int type = SegmentType & ~SegmentEcn;
        if (type != SegmentNone && type != SegmentTcpIpv4 && type != SegmentTcpIpv6 && type != SegmentUdp)
        {
            return false;
        }
        if ((Flags & FlagNeedsChecksum) != 0 && ChecksumStart + ChecksumOffset + 2 > frameLength)
        {
            return false;
        }
        if ((Flags & (FlagNeedsChecksum | FlagDataValid)) != 0)
        {
            offload = FrameOffload.Trusted;
        }
        return true;
    }
}
