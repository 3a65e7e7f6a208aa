namespace Unikraft.Kernel;

using System;

// A network device: Ethernet frames in and out, never blocking. The platform provides the real
// one (a simulated NIC on sim; passt or a TAP interface on hosted); wrappers add tracing, capture
// and faults.
//
// Frames arrive when they like: the device reports them through the listener, its interrupt,
// so the kernel drains TryReceive on the vCPU instead of polling the device.
internal interface INetDevice
{
    NetDeviceInfo Info { get; }

    // Copies the next received frame into frame and returns true, or returns false when none
    // is waiting. A frame longer than the buffer is dropped and the next one is tried. offload
    // says what the device knows of the frame (FrameOffload.None from a device without offloads).
    bool TryReceive(Span<byte> frame, out int length, out FrameOffload offload);

    // Queues one frame for sending, with the offload work it asks of the device (only what
    // Info offers: FrameOffload.None, or on a device with SegmentOffload a checksum to complete
    // or a TCP segment to cut); false when the device cannot take it now (queue full, frame
    // longer than the MTU and its offloads allow, an offload it does not offer, link down).
    bool TryTransmit(ReadOnlySpan<byte> frame, in FrameOffload offload);

    // Where the device reports that frames arrived: arrived runs on the vCPU (a device that
    // reads on a host thread posts it through scheduler.Post, any thread's way in). One report
    // may stand for many frames, so the listener drains TryReceive until it answers false; a
    // frame that arrives after that drain reports again.
    void ListenForFrames(Scheduler scheduler, Action arrived);

    // Frames the device dropped on the receive side before the stack saw them (its receive
    // queue full, or a frame too long), since it started; any thread may read it.
    long ReceiveDropped { get; }

    // Times the device's receive queue was full and it stopped taking frames from where they
    // come from (a TAP fd, passt's socket) until the stack took one: the frames waited there, or
    // were dropped there, as a NIC's full receive ring leaves them on the wire. Any thread.
    long ReceiveHeldBack { get; }
}

// The frames of a device without offloads: these ask nothing of it and ignore what it says.
internal static class NetDeviceFrames
{
    public static bool TryReceive(this INetDevice device, Span<byte> frame, out int length)
    {
        return device.TryReceive(frame, out length, out _);
    }

    public static bool TryTransmit(this INetDevice device, ReadOnlySpan<byte> frame)
    {
        return device.TryTransmit(frame, FrameOffload.None);
    }
}

// What a device is: its hardware address, the largest payload of one frame (the MTU, without
// the 14-byte Ethernet header), and its offloads.
internal readonly struct NetDeviceInfo
{
    // NOTE: an Ethernet header is 14 bytes (IEEE 802.3: 6 destination, 6 source, 2 type).
    public const int EthernetHeaderLength = 14;

    // NOTE: the largest IPv4 datagram (RFC 791, 3.1: a 16-bit total length) in one frame: the
    // longest a device with segmentation offload takes or hands up.
    public const int MaximumOffloadFrameLength = EthernetHeaderLength + 65535;

    public NetDeviceInfo(MacAddress mac, int mtu)
        : this(mac, mtu, 0)
    {
    }

    // segmentOffload: the longest IPv4 datagram holding one TCP segment that the device cuts
    // into MTU-sized segments itself, completing every checksum (FrameOffload); 0: none, every
    // frame the device takes fits the MTU and carries its checksums.
    public NetDeviceInfo(MacAddress mac, int mtu, int segmentOffload)
    {
        Mac = mac;
        Mtu = mtu;
        SegmentOffload = segmentOffload;
    }

    public MacAddress Mac { get; }

    public int Mtu { get; }

    public int SegmentOffload { get; }

    public int MaximumFrameLength => Mtu + EthernetHeaderLength;

    // The longest frame the device hands up: a device that offers offloads may hand up TCP
    // segments that were never cut to the MTU (the host's own, or merged on their way).
    public int MaximumReceiveFrameLength => SegmentOffload == 0 ? MaximumFrameLength : Math.Max(MaximumFrameLength, MaximumOffloadFrameLength);

    // The longest frame the device takes.
    public int MaximumTransmitFrameLength => SegmentOffload == 0 ? MaximumFrameLength : Math.Max(MaximumFrameLength, EthernetHeaderLength + SegmentOffload);
}

// A 48-bit Ethernet address.
internal readonly struct MacAddress : IEquatable<MacAddress>
{
    public const int Length = 6;

    private readonly long value;

    public MacAddress(long value)
    {
        this.value = value & 0xFFFF_FFFF_FFFF;
    }

    public static MacAddress Broadcast => new MacAddress(0xFFFF_FFFF_FFFF);

    public long Value => value;

    public bool IsBroadcast => value == 0xFFFF_FFFF_FFFF;

    // The least significant bit of the first byte marks group (multicast and broadcast) addresses.
    public bool IsGroup => (value & 0x0100_0000_0000) != 0;

    public static MacAddress Read(ReadOnlySpan<byte> bytes)
    {
        long result = 0;
        for (int index = 0; index < Length; index++)
        {
            result = (result << 8) | bytes[index];
        }
        return new MacAddress(result);
    }

    public void Write(Span<byte> bytes)
    {
        for (int index = 0; index < Length; index++)
        {
            bytes[index] = (byte)(value >> (8 * (Length - 1 - index)));
        }
    }

    public bool Equals(MacAddress other) => value == other.value;

    public override bool Equals(object? obj) => obj is MacAddress other && Equals(other);

    public override int GetHashCode() => value.GetHashCode();

    public override string ToString()
    {
        char[] text = new char[17];
        for (int index = 0; index < Length; index++)
        {
            int octet = (int)(value >> (8 * (Length - 1 - index))) & 0xFF;
            text[index * 3] = HexDigit(octet >> 4);
            text[index * 3 + 1] = HexDigit(octet & 0xF);
            if (index < Length - 1)
            {
                text[index * 3 + 2] = ':';
            }
        }
        return new string(text);
    }

    private static char HexDigit(int digit) => (char)(digit < 10 ? '0' + digit : 'a' + digit - 10);
}
