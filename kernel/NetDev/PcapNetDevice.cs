namespace Unikraft.Kernel;

using System;
using System.Buffers.Binary;
using System.IO;

// Writes every frame that passes, in either direction, to a classic libpcap capture file, so a
// run (a simulated one included) can be read with tcpdump -r or Wireshark. Timestamps come
// from the clock device: on the sim platform they are virtual time, so a capture replays too.
internal sealed class PcapNetDevice : INetDevice
{
    // NOTE: the classic pcap format (pcap-savefile(5)): a 24-byte global header with magic
    // 0xa1b2c3d4 (microsecond timestamps), version 2.4, snaplen, and link type 1
    // (LINKTYPE_ETHERNET); then per frame a 16-byte header: seconds, microseconds, captured
    // length, original length. Written little-endian; readers detect the order by the magic.
    public const uint Magic = 0xa1b2c3d4;
    public const int LinkTypeEthernet = 1;
    public const int GlobalHeaderLength = 24;
    public const int RecordHeaderLength = 16;
    public const int SnapshotLength = 65535;

    private readonly INetDevice inner;
    private readonly Stream output;
    private readonly IClockDevice clock;
    private readonly byte[] header = new byte[GlobalHeaderLength];

    public PcapNetDevice(INetDevice inner, Stream output, IClockDevice clock)
    {
        this.inner = inner;
        this.output = output;
        this.clock = clock;
        Span<byte> global = header;
        BinaryPrimitives.WriteUInt32LittleEndian(global.Slice(0, 4), Magic);
        BinaryPrimitives.WriteUInt16LittleEndian(global.Slice(4, 2), 2);
        BinaryPrimitives.WriteUInt16LittleEndian(global.Slice(6, 2), 4);
        BinaryPrimitives.WriteInt32LittleEndian(global.Slice(8, 4), 0);
        BinaryPrimitives.WriteUInt32LittleEndian(global.Slice(12, 4), 0);
        BinaryPrimitives.WriteInt32LittleEndian(global.Slice(16, 4), SnapshotLength);
        BinaryPrimitives.WriteInt32LittleEndian(global.Slice(20, 4), LinkTypeEthernet);
        output.Write(global);
    }

    public NetDeviceInfo Info => inner.Info;

    public long Frames { get; private set; }

    public bool TryReceive(Span<byte> frame, out int length, out FrameOffload offload)
    {
        if (!inner.TryReceive(frame, out length, out offload))
        {
            return false;
        }
        if (length <= frame.Length)
        {
            Capture(frame.Slice(0, length));
        }
        return true;
    }

    public void ListenForFrames(Scheduler scheduler, Action arrived) => inner.ListenForFrames(scheduler, arrived);

    public long ReceiveDropped => inner.ReceiveDropped;

    public long ReceiveHeldBack => inner.ReceiveHeldBack;

    // A frame the device is to cut into segments is captured whole, as tcpdump on a Linux
    // interface with TSO captures it before it is cut, its TCP checksum not yet complete.
    public bool TryTransmit(ReadOnlySpan<byte> frame, in FrameOffload offload)
    {
        bool sent = inner.TryTransmit(frame, offload);
        if (sent)
        {
            Capture(frame);
        }
        return sent;
    }

    public void Flush()
    {
        output.Flush();
    }

    private void Capture(ReadOnlySpan<byte> frame)
    {
        long nanoseconds = clock.RealtimeNanoseconds;
        int captured = Math.Min(frame.Length, SnapshotLength);
        Span<byte> record = stackalloc byte[RecordHeaderLength];
        BinaryPrimitives.WriteUInt32LittleEndian(record.Slice(0, 4), (uint)(nanoseconds / 1_000_000_000));
        BinaryPrimitives.WriteUInt32LittleEndian(record.Slice(4, 4), (uint)(nanoseconds % 1_000_000_000 / 1000));
        BinaryPrimitives.WriteInt32LittleEndian(record.Slice(8, 4), captured);
        BinaryPrimitives.WriteInt32LittleEndian(record.Slice(12, 4), frame.Length);
        output.Write(record);
        output.Write(frame.Slice(0, captured));
        Frames++;
    }
}
