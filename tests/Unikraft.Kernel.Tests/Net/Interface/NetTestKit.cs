namespace Unikraft.Kernel.Tests.Net.Interface;

using System;
using System.Collections.Generic;
using Unikraft.Kernel;
using Unikraft.Kernel.Tests.Net.Wire;
using Xunit;

// A network device for tests: frames the test injects arrive through the listener at once (as
// the sim NIC's interrupt would run them), and every frame the stack transmits is kept.
internal sealed class CaptureDevice : INetDevice
{
    private readonly Queue<(byte[] Frame, FrameOffload Offload)> inbox = new Queue<(byte[], FrameOffload)>();
    private Action? arrived;

    // segmentOffload: as NetDeviceInfo's; the device then keeps what each frame asked of it.
    public CaptureDevice(MacAddress mac, int mtu = 1500, int segmentOffload = 0)
    {
        Info = new NetDeviceInfo(mac, mtu, segmentOffload);
    }

    public NetDeviceInfo Info { get; }

    public List<byte[]> Sent { get; } = new List<byte[]>();

    // What each frame in Sent asked of the device.
    public List<FrameOffload> SentOffloads { get; } = new List<FrameOffload>();

    public bool Refuse { get; set; }

    public bool TryReceive(Span<byte> frame, out int length, out FrameOffload offload)
    {
        if (!inbox.TryDequeue(out (byte[] Frame, FrameOffload Offload) next))
        {
            length = 0;
            offload = FrameOffload.None;
            return false;
        }
        length = next.Frame.Length;
        offload = next.Offload;
        next.Frame.CopyTo(frame);
        return true;
    }

    public long ReceiveDropped { get; set; }

    public long ReceiveHeldBack { get; set; }

    public bool TryTransmit(ReadOnlySpan<byte> frame, in FrameOffload offload)
    {
        if (Refuse || frame.Length > (offload.IsSegmented ? Info.MaximumTransmitFrameLength : Info.MaximumFrameLength) ||
            (!offload.IsNone && Info.SegmentOffload == 0))
        {
            return false;
        }
        Sent.Add(frame.ToArray());
        SentOffloads.Add(offload);
        return true;
    }

    public void ListenForFrames(Scheduler scheduler, Action arrived)
    {
        this.arrived = arrived;
    }

    public void Inject(byte[] frame) => Inject(frame, FrameOffload.None);

    public void Inject(byte[] frame, FrameOffload offload)
    {
        inbox.Enqueue(((byte[])frame.Clone(), offload));
        arrived?.Invoke();
    }

    public byte[] TakeOnly()
    {
        Assert.Single(Sent);
        byte[] frame = Sent[0];
        Sent.Clear();
        SentOffloads.Clear();
        return frame;
    }
}

// An ICMP transport that keeps every message the stack passes up (echo replies, errors).
internal sealed class IcmpRecorder : IIpv4Transport
{
    public byte Protocol => IpProtocol.Icmp;

    public List<(Ipv4Address Source, byte[] Message)> Messages { get; } = new List<(Ipv4Address, byte[])>();

    public bool Receive(Ipv4Address source, Ipv4Address destination, ReadOnlySpan<byte> payload, bool checksumTrusted)
    {
        Messages.Add((source, payload.ToArray()));
        return true;
    }
}

// One kernel with a stack on a capture device, as host A or host B of the captured frames.
internal sealed class NetTestHost
{
    public NetTestHost(bool hostB, Ipv4Address? gateway = null, int mtu = 1500, int segmentOffload = 0)
    {
        Kernel = TestKernel.Boot(out TestPlatform platform);
        Platform = platform;
        Device = new CaptureDevice(hostB ? CapturedFrames.MacB : CapturedFrames.MacA, mtu, segmentOffload);
        Stack = new NetStack(Kernel);
        Kernel.Net = Stack;
        Address = hostB ? CapturedFrames.AddressB : CapturedFrames.AddressA;
        Interface = Stack.AddInterface("eth0", Device, Address, 24, gateway ?? Ipv4Address.Any);
        Udp = new UdpLayer(Kernel, Stack);
        Stack.Register(Udp);
        Icmp = new IcmpRecorder();
        Stack.Register(Icmp);
    }

    public Kernel Kernel { get; }

    public TestPlatform Platform { get; }

    public CaptureDevice Device { get; }

    public NetStack Stack { get; }

    public NetInterface Interface { get; }

    public Ipv4Address Address { get; }

    public UdpLayer Udp { get; }

    public IcmpRecorder Icmp { get; }

    // Lets virtual time pass: timers fire, queued work (loopback) runs.
    public void Run(long nanoseconds)
    {
        Assert.Equal(0, Sys.Nanosleep(Kernel, new Timespec(nanoseconds / 1_000_000_000, nanoseconds % 1_000_000_000)));
    }

    public static byte[] Ipv4Payload(byte[] frame)
    {
        Assert.True(EthernetFrame.TryWrap(frame, out EthernetFrame ethernet));
        Assert.True(Ipv4Packet.TryWrap(ethernet.Payload, out Ipv4Packet packet));
        return packet.Payload.ToArray();
    }

    public static Ipv4Header Ipv4Of(byte[] frame)
    {
        Assert.True(EthernetFrame.TryWrap(frame, out EthernetFrame ethernet));
        Assert.Equal(EtherType.Ipv4, ethernet.EtherType);
        Assert.True(Ipv4Packet.TryWrap(ethernet.Payload, out Ipv4Packet packet));
        Assert.True(Ipv4Header.TryParse(packet, out Ipv4Header header));
        return header;
    }
}
