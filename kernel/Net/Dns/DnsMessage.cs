namespace Unikraft.Kernel;

using System;
using System.Buffers.Binary;
using System.Collections.Generic;

// The fixed 12-octet header of every DNS message (RFC 1035, 4.1.1).
internal readonly record struct DnsHeader(ushort Id, ushort Flags, ushort QuestionCount, ushort AnswerCount, ushort AuthorityCount, ushort AdditionalCount)
{
    public const int Length = 12;

    public bool IsResponse => (Flags & DnsFlags.Response) != 0;

    public bool IsTruncated => (Flags & DnsFlags.Truncated) != 0;

    public int ResponseCode => Flags & DnsFlags.ResponseCodeMask;

    public int Opcode => (Flags & DnsFlags.OpcodeMask) >> 11;

    public static bool TryParse(ReadOnlySpan<byte> message, out DnsHeader header)
    {
        if (message.Length < Length)
        {
            header = default;
            return false;
        }
        header = new DnsHeader(
            BinaryPrimitives.ReadUInt16BigEndian(message),
            BinaryPrimitives.ReadUInt16BigEndian(message.Slice(2)),
            BinaryPrimitives.ReadUInt16BigEndian(message.Slice(4)),
            BinaryPrimitives.ReadUInt16BigEndian(message.Slice(6)),
            BinaryPrimitives.ReadUInt16BigEndian(message.Slice(8)),
            BinaryPrimitives.ReadUInt16BigEndian(message.Slice(10)));
        return true;
    }

    // Writes the header into the first 12 octets of message (which must hold them).
    public void Emit(Span<byte> message)
    {
        BinaryPrimitives.WriteUInt16BigEndian(message, Id);
        BinaryPrimitives.WriteUInt16BigEndian(message.Slice(2), Flags);
        BinaryPrimitives.WriteUInt16BigEndian(message.Slice(4), QuestionCount);
        BinaryPrimitives.WriteUInt16BigEndian(message.Slice(6), AnswerCount);
        BinaryPrimitives.WriteUInt16BigEndian(message.Slice(8), AuthorityCount);
        BinaryPrimitives.WriteUInt16BigEndian(message.Slice(10), AdditionalCount);
    }
}

// One entry of the question section (RFC 1035, 4.1.2).
internal readonly record struct DnsQuestion(string Name, ushort Type, ushort Class)
{
    public static bool TryRead(ReadOnlySpan<byte> message, ref int offset, out DnsQuestion question)
    {
        question = default;
        int position = offset;
        if (!DnsName.TryRead(message, ref position, out string name) || position + 4 > message.Length)
        {
            return false;
        }
        question = new DnsQuestion(name, BinaryPrimitives.ReadUInt16BigEndian(message.Slice(position)), BinaryPrimitives.ReadUInt16BigEndian(message.Slice(position + 2)));
        offset = position + 4;
        return true;
    }

    // The question's octets, or -1 when they do not fit or the name cannot be written.
    public int Write(Span<byte> destination)
    {
        int length = DnsName.Write(Name, destination);
        if (length < 0 || length + 4 > destination.Length)
        {
            return -1;
        }
        BinaryPrimitives.WriteUInt16BigEndian(destination.Slice(length), Type);
        BinaryPrimitives.WriteUInt16BigEndian(destination.Slice(length + 2), Class);
        return length + 4;
    }
}

// One resource record (RFC 1035, 4.1.3), with the data this resolver reads decoded: the address
// of an A (4 octets) or AAAA (16 octets) record, the target name of a CNAME or PTR record, the
// minimum TTL of an SOA record (RFC 2308, 4). Other types keep only their header.
internal readonly record struct DnsRecord(string Name, ushort Type, ushort Class, uint Ttl, byte[]? Address, string? Target, uint Minimum)
{
    // NOTE: RFC 2181, 8: a TTL with the top bit set is to be taken as zero.
    public uint EffectiveTtl => Ttl > int.MaxValue ? 0 : Ttl;

    public static bool TryRead(ReadOnlySpan<byte> message, ref int offset, out DnsRecord record)
    {
        record = default;
        int position = offset;
        if (!DnsName.TryRead(message, ref position, out string name) || position + 10 > message.Length)
        {
            return false;
        }
        ushort type = BinaryPrimitives.ReadUInt16BigEndian(message.Slice(position));
        ushort recordClass = BinaryPrimitives.ReadUInt16BigEndian(message.Slice(position + 2));
        uint ttl = BinaryPrimitives.ReadUInt32BigEndian(message.Slice(position + 4));
        int dataLength = BinaryPrimitives.ReadUInt16BigEndian(message.Slice(position + 8));
        int data = position + 10;
        if (data + dataLength > message.Length)
        {
            return false;
        }
        byte[]? address = null;
        string? target = null;
        uint minimum = 0;
        if (recordClass == DnsClass.Internet)
        {
            switch (type)
            {
                case DnsType.A:
                case DnsType.Aaaa:
                    if (dataLength != (type == DnsType.A ? 4 : 16))
                    {
                        return false;
                    }
                    address = message.Slice(data, dataLength).ToArray();
                    break;
                case DnsType.Cname:
                case DnsType.Ptr:
                    // The name may point anywhere earlier in the message, but it must end
                    // exactly where the record's data does.
                    int nameEnd = data;
                    if (!DnsName.TryRead(message.Slice(0, data + dataLength), ref nameEnd, out string read) || nameEnd != data + dataLength)
                    {
                        return false;
                    }
                    target = read;
                    break;
                case DnsType.Soa:
                    int fields = data;
                    ReadOnlySpan<byte> soa = message.Slice(0, data + dataLength);
                    if (!DnsName.TrySkip(soa, ref fields) || !DnsName.TrySkip(soa, ref fields) || fields + 20 != data + dataLength)
                    {
                        return false;
                    }
                    minimum = BinaryPrimitives.ReadUInt32BigEndian(message.Slice(fields + 16));
                    break;
            }
        }
        record = new DnsRecord(name, type, recordClass, ttl, address, target, minimum);
        offset = data + dataLength;
        return true;
    }
}

// A whole message, parsed and checked: header, questions, answers and authority records (the
// additional section is walked, so a message whose counts overrun its bytes is refused, but not
// kept). Parsing never throws: anything malformed is false.
internal sealed class DnsMessage
{
    // NOTE: RFC 1035, 4.2.1: a UDP message is at most 512 octets without EDNS(0); the resolver
    // sends none, but accepts what a server sends anyway up to UDP's limit.
    public const int MaximumUdpLength = 512;

    private DnsMessage(DnsHeader header)
    {
        Header = header;
    }

    public DnsHeader Header { get; }

    public List<DnsQuestion> Questions { get; } = new List<DnsQuestion>();

    public List<DnsRecord> Answers { get; } = new List<DnsRecord>();

    public List<DnsRecord> Authorities { get; } = new List<DnsRecord>();

    public static bool TryParse(ReadOnlySpan<byte> bytes, out DnsMessage? message)
    {
        message = null;
        if (!DnsHeader.TryParse(bytes, out DnsHeader header))
        {
            return false;
        }
        DnsMessage parsed = new DnsMessage(header);
        int offset = DnsHeader.Length;
        for (int index = 0; index < header.QuestionCount; index++)
        {
            if (!DnsQuestion.TryRead(bytes, ref offset, out DnsQuestion question))
            {
                return false;
            }
            parsed.Questions.Add(question);
        }
        if (!TryReadRecords(bytes, ref offset, header.AnswerCount, parsed.Answers)
            || !TryReadRecords(bytes, ref offset, header.AuthorityCount, parsed.Authorities)
            || !TryReadRecords(bytes, ref offset, header.AdditionalCount, null))
        {
            return false;
        }
        message = parsed;
        return true;
    }

    // A standard query for one name and type with recursion desired, as a stub resolver sends it
    // (glibc's res_mkquery: no EDNS, no other flags). The length written, or -1 when the name
    // cannot be asked for or the buffer is too small.
    public static int WriteQuery(Span<byte> destination, ushort id, string name, ushort type)
    {
        if (destination.Length < DnsHeader.Length)
        {
            return -1;
        }
        int question = new DnsQuestion(name, type, DnsClass.Internet).Write(destination.Slice(DnsHeader.Length));
        if (question < 0)
        {
            return -1;
        }
        new DnsHeader(id, DnsFlags.RecursionDesired, 1, 0, 0, 0).Emit(destination);
        return DnsHeader.Length + question;
    }

    private static bool TryReadRecords(ReadOnlySpan<byte> bytes, ref int offset, int count, List<DnsRecord>? records)
    {
        for (int index = 0; index < count; index++)
        {
            if (!DnsRecord.TryRead(bytes, ref offset, out DnsRecord record))
            {
                return false;
            }
            records?.Add(record);
        }
        return true;
    }
}
