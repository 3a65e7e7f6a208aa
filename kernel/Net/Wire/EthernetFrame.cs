namespace Unikraft.Kernel;

using System;
using System.Buffers.Binary;

// A checked view over an Ethernet II frame: destination, source, EtherType, then the payload
// (which may carry padding up to the 60-byte minimum; the layer above knows its own length).
// The frame check sequence is the device's business and is never here.
internal readonly ref struct EthernetFrame
{
    // NOTE: IEEE 802.3: 6 destination, 6 source, 2 type.
    public const int HeaderLength = 14;

    private readonly Span<byte> bytes;

    private EthernetFrame(Span<byte> bytes)
    {
        this.bytes = bytes;
    }

    // False when the bytes cannot hold a header; every accessor is in bounds after true.
    public static bool TryWrap(Span<byte> bytes, out EthernetFrame frame)
    {
        frame = bytes.Length >= HeaderLength ? new EthernetFrame(bytes) : default;
        return bytes.Length >= HeaderLength;
    }

    public Span<byte> Bytes => bytes;

    public MacAddress Destination => MacAddress.Read(bytes);

    public MacAddress Source => MacAddress.Read(bytes.Slice(6));

    public ushort EtherType => BinaryPrimitives.ReadUInt16BigEndian(bytes.Slice(12));

    public Span<byte> Payload => bytes.Slice(HeaderLength);

    public void SetDestination(MacAddress value) => value.Write(bytes);

    public void SetSource(MacAddress value) => value.Write(bytes.Slice(6));

    public void SetEtherType(ushort value) => BinaryPrimitives.WriteUInt16BigEndian(bytes.Slice(12), value);
}

// The parsed header of an Ethernet II frame.
internal readonly record struct EthernetHeader(MacAddress Destination, MacAddress Source, ushort EtherType)
{
    // Any wrapped frame parses; a type below 0x0600 is an 802.3 length, not an EtherType, and is
    // refused (IEEE 802.3, 3.2.6), so nothing above mistakes a length for a protocol.
    public static bool TryParse(EthernetFrame frame, out EthernetHeader header)
    {
        header = new EthernetHeader(frame.Destination, frame.Source, frame.EtherType);
        // NOTE: 0x0600 (1536) is the smallest EtherType; 1500 and below are lengths (IEEE 802.3).
        return frame.EtherType >= 0x0600;
    }

    public void Emit(EthernetFrame frame)
    {
        frame.SetDestination(Destination);
        frame.SetSource(Source);
        frame.SetEtherType(EtherType);
    }
}
