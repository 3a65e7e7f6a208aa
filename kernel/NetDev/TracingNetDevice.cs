namespace Unikraft.Kernel;

using System;
using System.Globalization;

// Writes one kernel-log line per frame that passes, in either direction: the addresses, the
// EtherType and the length, as tcpdump -e would summarize them.
internal sealed class TracingNetDevice : INetDevice
{
    private readonly INetDevice inner;
    private readonly KernelLog log;
    private readonly string name;

    public TracingNetDevice(INetDevice inner, KernelLog log, string name)
    {
        this.inner = inner;
        this.log = log;
        this.name = name;
    }

    public NetDeviceInfo Info => inner.Info;

    public long Received { get; private set; }

    public long Transmitted { get; private set; }

    public bool TryReceive(Span<byte> frame, out int length, out FrameOffload offload)
    {
        if (!inner.TryReceive(frame, out length, out offload))
        {
            return false;
        }
        Received++;
        log.Write(Describe("rx", frame.Slice(0, Math.Min(length, frame.Length)), length));
        return true;
    }

    public void ListenForFrames(Scheduler scheduler, Action arrived) => inner.ListenForFrames(scheduler, arrived);

    public long ReceiveDropped => inner.ReceiveDropped;

    public long ReceiveHeldBack => inner.ReceiveHeldBack;

    public bool TryTransmit(ReadOnlySpan<byte> frame, in FrameOffload offload)
    {
        bool sent = inner.TryTransmit(frame, offload);
        if (sent)
        {
            Transmitted++;
        }
        log.Write(Describe(sent ? "tx" : "tx refused", frame, frame.Length));
        return sent;
    }

    private string Describe(string direction, ReadOnlySpan<byte> frame, int length)
    {
        string text = "[uk] netdev " + name + " " + direction + " " + length.ToString(CultureInfo.InvariantCulture) + " bytes";
        if (frame.Length >= NetDeviceInfo.EthernetHeaderLength)
        {
            int type = (frame[12] << 8) | frame[13];
            text += " " + MacAddress.Read(frame.Slice(6)).ToString() + " > " + MacAddress.Read(frame).ToString() +
                " type 0x" + type.ToString("x4", CultureInfo.InvariantCulture);
        }
        return text;
    }
}
