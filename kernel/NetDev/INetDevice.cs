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
    // is waiting. A frame longer than the buffer is dropped and the next one is tried.
    bool TryReceive(Span<byte> frame, out int length);

    // Queues one frame for sending; false when the device cannot take it now (queue full,
    // frame longer than the MTU allows, link down).
    bool TryTransmit(ReadOnlySpan<byte> frame);

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

// What a device is: its hardware address and the largest payload of one frame (the MTU,
// without the 14-byte Ethernet header).
internal readonly struct NetDeviceInfo
{
    // NOTE: an Ethernet header is 14 bytes (IEEE 802.3: 6 destination, 6 source, 2 type).
    public const int EthernetHeaderLength = 14;

    public NetDeviceInfo(MacAddress mac, int mtu)
    {
        Mac = mac;
        Mtu = mtu;
    }

    public MacAddress Mac { get; }

    public int Mtu { get; }

    public int MaximumFrameLength => Mtu + EthernetHeaderLength;
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
