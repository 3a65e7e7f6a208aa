namespace Unikraft.Kernel;

using System;
using System.Buffers.Binary;

// The parsed, validated fields of a TCP header with the options this stack speaks: MSS
// (RFC 9293, 3.7.1), window scale and timestamps (RFC 7323), SACK-permitted and SACK blocks
// (RFC 2018). TryParse checks the data offset, the options' lengths and the checksum over the
// pseudo-header; Emit writes the header and options back in the order Linux writes them
// (tcp_options_write), so a segment parsed from Linux emits as the same bytes.
internal record struct TcpHeader
{
    // NOTE: option kinds from RFC 9293, 3.2 (0 end, 1 no-op, 2 MSS), RFC 7323, 2.2 and 3.2
    // (3 window scale, 8 timestamps) and RFC 2018, 2 and 3 (4 SACK-permitted, 5 SACK).
    public const byte OptionEnd = 0;
    public const byte OptionNoOperation = 1;
    public const byte OptionMaximumSegmentSize = 2;
    public const byte OptionWindowScale = 3;
    public const byte OptionSackPermitted = 4;
    public const byte OptionSack = 5;
    public const byte OptionTimestamps = 8;

    // NOTE: the 40 bytes of options a 60-byte header leaves (RFC 9293, 3.1).
    public const int MaximumOptionsLength = 40;

    public ushort SourcePort { get; set; }

    public ushort DestinationPort { get; set; }

    public uint SequenceNumber { get; set; }

    public uint AcknowledgmentNumber { get; set; }

    // TcpFlags bits.
    public byte Flags { get; set; }

    // The window field as sent, before any scaling.
    public ushort Window { get; set; }

    public ushort UrgentPointer { get; set; }

    // 0 when the option is absent.
    public ushort MaximumSegmentSize { get; set; }

    public bool HasWindowScale { get; set; }

    public byte WindowScale { get; set; }

    public bool SackPermitted { get; set; }

    public bool HasTimestamps { get; set; }

    public uint TimestampValue { get; set; }

    public uint TimestampEcho { get; set; }

    public TcpSackBlocks Sack { get; set; }

    public bool HasFlag(byte flag) => (Flags & flag) != 0;

    // The header's length in bytes once emitted: the fixed 20 and the options, padded to a word.
    public int Length => TcpSegment.HeaderLength + OptionsLength();

    // Reads a header from a checked view and verifies its checksum with the pseudo-header of
    // source and destination. False, never an exception, for anything malformed: an option
    // whose length runs past the header or is below 2, an MSS, window scale, SACK-permitted or
    // timestamps option of the wrong length, a SACK option that is not 2 + 8n bytes, or a
    // checksum that does not sum to zero.
    public static bool TryParse(TcpSegment segment, Ipv4Address source, Ipv4Address destination, out TcpHeader header)
    {
        header = default;
        if (segment.ComputeChecksum(source, destination) != 0)
        {
            return false;
        }
        return TryParseUnchecked(segment, out header);
    }

    // As TryParse, without the checksum: for a segment whose checksum a device already checked.
    public static bool TryParseUnchecked(TcpSegment segment, out TcpHeader header)
    {
        header = new TcpHeader
        {
            SourcePort = segment.SourcePort,
            DestinationPort = segment.DestinationPort,
            SequenceNumber = segment.SequenceNumber,
            AcknowledgmentNumber = segment.AcknowledgmentNumber,
            Flags = segment.Flags,
            Window = segment.Window,
            UrgentPointer = segment.UrgentPointer,
        };
        ReadOnlySpan<byte> options = segment.Options;
        int index = 0;
        while (index < options.Length)
        {
            byte kind = options[index];
            if (kind == OptionEnd)
            {
                break;
            }
            if (kind == OptionNoOperation)
            {
                index++;
                continue;
            }
            if (index + 1 >= options.Length)
            {
                return false;
            }
            int length = options[index + 1];
            if (length < 2 || index + length > options.Length)
            {
                return false;
            }
            ReadOnlySpan<byte> value = options.Slice(index + 2, length - 2);
            switch (kind)
            {
                case OptionMaximumSegmentSize:
                    if (length != 4)
                    {
                        return false;
                    }
                    header.MaximumSegmentSize = BinaryPrimitives.ReadUInt16BigEndian(value);
                    break;
                case OptionWindowScale:
                    if (length != 3)
                    {
                        return false;
                    }
                    header.HasWindowScale = true;
                    header.WindowScale = value[0];
                    break;
                case OptionSackPermitted:
                    if (length != 2)
                    {
                        return false;
                    }
                    header.SackPermitted = true;
                    break;
                case OptionTimestamps:
                    if (length != 10)
                    {
                        return false;
                    }
                    header.HasTimestamps = true;
                    header.TimestampValue = BinaryPrimitives.ReadUInt32BigEndian(value);
                    header.TimestampEcho = BinaryPrimitives.ReadUInt32BigEndian(value.Slice(4));
                    break;
                case OptionSack:
                    if ((length - 2) % 8 != 0 || length == 2)
                    {
                        return false;
                    }
                    TcpSackBlocks blocks = default;
                    for (int offset = 0; offset < value.Length; offset += 8)
                    {
                        blocks.TryAdd(BinaryPrimitives.ReadUInt32BigEndian(value.Slice(offset)), BinaryPrimitives.ReadUInt32BigEndian(value.Slice(offset + 4)));
                    }
                    header.Sack = blocks;
                    break;
                default:
                    // NOTE: an unknown option is skipped by its length (RFC 9293, 3.1, MUST-6).
                    break;
            }
            index += length;
        }
        return true;
    }

    // The options' length as Emit lays them out, padded to a 32-bit word.
    private int OptionsLength()
    {
        int length = 0;
        if (MaximumSegmentSize != 0)
        {
            length += 4;
        }
        if (HasTimestamps || SackPermitted)
        {
            // SACK-permitted rides in the two bytes before the timestamps (else NOP NOP pads
            // them), or alone after NOP NOP.
            length += HasTimestamps ? 12 : 4;
        }
        if (HasWindowScale)
        {
            length += 4;
        }
        int blocks = SackBlocksThatFit(length);
        if (blocks > 0)
        {
            length += 4 + 8 * blocks;
        }
        return length;
    }

    private int SackBlocksThatFit(int before)
    {
        int blocks = Sack.Count;
        while (blocks > 0 && before + 4 + 8 * blocks > MaximumOptionsLength)
        {
            blocks--;
        }
        return blocks;
    }

    // Writes the header into segment (its bytes hold at least Length bytes, the payload already
    // in place after them) and the checksum over the pseudo-header and the whole segment. The
    // options go in Linux's order: MSS; SACK-permitted then timestamps (or NOP NOP timestamps,
    // or NOP NOP SACK-permitted); NOP window scale; NOP NOP SACK blocks, as many as fit.
    public void Emit(Span<byte> segment, Ipv4Address source, Ipv4Address destination)
    {
        if (EmitFields(segment))
        {
            BinaryPrimitives.WriteUInt16BigEndian(segment.Slice(TcpSegment.ChecksumOffset), Unikraft.Kernel.Checksum.Finish(
                Unikraft.Kernel.Checksum.Add(Unikraft.Kernel.Checksum.PseudoHeader(source, destination, IpProtocol.Tcp, segment.Length), segment)));
        }
    }

    // As Emit, over IPv6: the checksum covers IPv6's pseudo-header (RFC 8200, 8.1).
    public void Emit(Span<byte> segment, Ipv6Address source, Ipv6Address destination)
    {
        if (EmitFields(segment))
        {
            BinaryPrimitives.WriteUInt16BigEndian(segment.Slice(TcpSegment.ChecksumOffset), Unikraft.Kernel.Checksum.Finish(
                Unikraft.Kernel.Checksum.Add(Unikraft.Kernel.Checksum.PseudoHeader(source, destination, IpProtocol.Tcp, segment.Length), segment)));
        }
    }

    // As Emit, for a device that completes the checksum (FrameOffload): the checksum field holds
    // the sum of the pseudo-header for the whole segment, folded and not complemented, which the
    // device adds the segment's bytes to (and, cutting the segment, corrects for each piece's
    // length, as Linux's tcp_gso_segment does).
    public void EmitForChecksumOffload(Span<byte> segment, Ipv4Address source, Ipv4Address destination)
    {
        if (EmitFields(segment))
        {
            BinaryPrimitives.WriteUInt16BigEndian(segment.Slice(TcpSegment.ChecksumOffset), (ushort)~Unikraft.Kernel.Checksum.Finish(
                Unikraft.Kernel.Checksum.PseudoHeader(source, destination, IpProtocol.Tcp, segment.Length)));
        }
    }

    // As EmitForChecksumOffload, over IPv6.
    public void EmitForChecksumOffload(Span<byte> segment, Ipv6Address source, Ipv6Address destination)
    {
        if (EmitFields(segment))
        {
            BinaryPrimitives.WriteUInt16BigEndian(segment.Slice(TcpSegment.ChecksumOffset), (ushort)~Unikraft.Kernel.Checksum.Finish(
                Unikraft.Kernel.Checksum.PseudoHeader(source, destination, IpProtocol.Tcp, segment.Length)));
        }
    }

    // Every field and option, the checksum field 0; false when segment is too short.
    private bool EmitFields(Span<byte> segment)
    {
        int length = Length;
        if (segment.Length < length || !TcpSegment.TryWrapForEmit(segment, out TcpSegment view))
        {
            return false;
        }
        view.SetSourcePort(SourcePort);
        view.SetDestinationPort(DestinationPort);
        view.SetSequenceNumber(SequenceNumber);
        view.SetAcknowledgmentNumber(AcknowledgmentNumber);
        view.SetDataOffset(length);
        view.SetFlags(Flags);
        view.SetWindow(Window);
        view.SetChecksum(0);
        view.SetUrgentPointer(UrgentPointer);
        Span<byte> options = segment.Slice(TcpSegment.HeaderLength, length - TcpSegment.HeaderLength);
        int index = 0;
        if (MaximumSegmentSize != 0)
        {
            options[index] = OptionMaximumSegmentSize;
            options[index + 1] = 4;
            BinaryPrimitives.WriteUInt16BigEndian(options.Slice(index + 2), MaximumSegmentSize);
            index += 4;
        }
        if (HasTimestamps)
        {
            if (SackPermitted)
            {
                options[index] = OptionSackPermitted;
                options[index + 1] = 2;
            }
            else
            {
                options[index] = OptionNoOperation;
                options[index + 1] = OptionNoOperation;
            }
            options[index + 2] = OptionTimestamps;
            options[index + 3] = 10;
            BinaryPrimitives.WriteUInt32BigEndian(options.Slice(index + 4), TimestampValue);
            BinaryPrimitives.WriteUInt32BigEndian(options.Slice(index + 8), TimestampEcho);
            index += 12;
        }
        if (HasWindowScale)
        {
            options[index] = OptionNoOperation;
            options[index + 1] = OptionWindowScale;
            options[index + 2] = 3;
            options[index + 3] = WindowScale;
            index += 4;
        }
        if (SackPermitted && !HasTimestamps)
        {
            options[index] = OptionNoOperation;
            options[index + 1] = OptionNoOperation;
            options[index + 2] = OptionSackPermitted;
            options[index + 3] = 2;
            index += 4;
        }
        int blocks = SackBlocksThatFit(index);
        if (blocks > 0)
        {
            options[index] = OptionNoOperation;
            options[index + 1] = OptionNoOperation;
            options[index + 2] = OptionSack;
            options[index + 3] = (byte)(2 + 8 * blocks);
            index += 4;
            for (int block = 0; block < blocks; block++)
            {
                BinaryPrimitives.WriteUInt32BigEndian(options.Slice(index), Sack.Left(block));
                BinaryPrimitives.WriteUInt32BigEndian(options.Slice(index + 4), Sack.Right(block));
                index += 8;
            }
        }
        options.Slice(index).Clear();
        return true;
    }
}
