namespace Unikraft.Kernel;

using System;
using System.Threading;

// A virtio network device (virtio 1.2, 5.1) on a virtio-mmio transport, driven by the kernel
// itself: the receive queue (0) holds buffers the device fills with frames, the transmit queue (1)
// takes the frames the stack sends. Features: VIRTIO_F_VERSION_1 (required: the modern
// transport and its 12-byte header) and VIRTIO_NET_F_MAC (the device's address); no offloads, so
// every frame carries complete checksums, as the stack computes them, and fits one 2 KiB buffer.
//
// Each buffer is a 12-byte struct virtio_net_hdr and then the frame. A frame sent carries a header
// of zeros (no checksum or segmentation to do); a received one's header is skipped.
//
// The device's interrupt is taken on a thread of the device's own, which sleeps in the machine's
// WaitForInterrupt (the shim blocks it until the transport's IO-APIC line fires), acknowledges the
// device and posts the kernel's interrupt to the scheduler, once per batch, as the TAP device's
// reader does (HostFrameInbox). The rings themselves are touched only on the vCPU: TryReceive
// takes frames from the used ring and gives the buffers straight back, TryTransmit takes back the
// transmit buffers the device is done with before it queues another, so the device never
// interrupts for those (VIRTQ_AVAIL_F_NO_INTERRUPT on the transmit queue).
[Device("netdev")]
internal sealed unsafe class VirtioNetDevice : INetDevice
{
    // NOTE: device ID 1 is a network card (virtio 1.2, 5); feature bits VIRTIO_NET_F_MAC 5 (5.1.3)
    // and VIRTIO_F_VERSION_1 32 (6).
    public const uint NetDeviceId = 1;
    public const ulong FeatureMac = 1UL << 5;
    public const ulong FeatureVersion1 = 1UL << 32;

    // NOTE: struct virtio_net_hdr is 12 bytes with VIRTIO_F_VERSION_1 (5.1.6: num_buffers is
    // always there).
    public const int HeaderLength = 12;
    public const int Mtu = 1500;
    public const int QueueSize = 128;

    // NOTE: 5.1.6.3.1: without VIRTIO_NET_F_MRG_RXBUF or the GUEST_TSO/UFO features a receive
    // buffer must hold a whole frame and its header: 1514 + 12 bytes. 2 KiB buffers hold that.
    public const int BufferLength = 2048;

    private const int ReceiveQueue = 0;
    private const int TransmitQueue = 1;

    private readonly IVirtioMachine machine;
    private readonly VirtioMmio transport;
    private readonly VirtQueue receive;
    private readonly VirtQueue transmit;
    private readonly byte* receiveBuffers;
    private readonly ulong receiveBuffersPhysical;
    private readonly byte* transmitBuffers;
    private readonly ulong transmitBuffersPhysical;
    private readonly SendOrPostCallback deliver;
    private readonly Thread interrupts;
    private Scheduler? scheduler;
    private Action? arrived;
    // 1 while a report is posted and not yet taken by the vCPU.
    private int reportPending;
    private long receiveDropped;
    private long transmitBusy;
    private long interruptError;
    private long interruptCount;

    private VirtioNetDevice(IVirtioMachine machine, VirtioMmio transport)
    {
        this.machine = machine;
        this.transport = transport;
        deliver = new SendOrPostCallback(Deliver);

        // The initialization of virtio 1.2, 3.1.1: reset, ACKNOWLEDGE, DRIVER, the features,
        // FEATURES_OK (read back: the device may refuse), the queues, the configuration, DRIVER_OK.
        transport.Write(VirtioMmio.Status, 0);
        transport.Write(VirtioMmio.Status, VirtioMmio.StatusAcknowledge);
        transport.Write(VirtioMmio.Status, VirtioMmio.StatusAcknowledge | VirtioMmio.StatusDriver);
        ulong offered = transport.ReadDeviceFeatures();
        if ((offered & FeatureVersion1) == 0)
        {
            Fail("the device does not offer VIRTIO_F_VERSION_1");
        }
        Features = offered & (FeatureVersion1 | FeatureMac);
        transport.WriteDriverFeatures(Features);
        uint status = VirtioMmio.StatusAcknowledge | VirtioMmio.StatusDriver | VirtioMmio.StatusFeaturesOk;
        transport.Write(VirtioMmio.Status, status);
        if ((transport.Read(VirtioMmio.Status) & VirtioMmio.StatusFeaturesOk) == 0)
        {
            Fail("the device refused the features 0x" + Features.ToString("X", System.Globalization.CultureInfo.InvariantCulture)
                + " (it offered 0x" + offered.ToString("X", System.Globalization.CultureInfo.InvariantCulture) + ")");
        }

        receive = MakeQueue(ReceiveQueue, out receiveBuffers, out receiveBuffersPhysical);
        transmit = MakeQueue(TransmitQueue, out transmitBuffers, out transmitBuffersPhysical);
        transmit.SuppressInterrupts();

        MacAddress mac;
        if ((Features & FeatureMac) != 0)
        {
            Span<byte> bytes = stackalloc byte[MacAddress.Length];
            // NOTE: a configuration read is consistent when the generation is the same after it (4.2.2).
            uint generation;
            do
            {
                generation = transport.Read(VirtioMmio.ConfigGeneration);
                for (int index = 0; index < bytes.Length; index++)
                {
                    bytes[index] = transport.ReadConfigByte(index);
                }
            }
            while (generation != transport.Read(VirtioMmio.ConfigGeneration));
            mac = MacAddress.Read(bytes);
        }
        else
        {
            // NOTE: a locally administered address (the second-lowest bit of the first byte), as
            // QEMU's default 52:54:00:12:34:56 is.
            mac = new MacAddress(0x52_54_00_12_34_57);
        }
        Info = new NetDeviceInfo(mac, Mtu);

        // Every receive buffer goes to the device before it starts.
        while (receive.TryTakeFree(out int descriptor))
        {
            receive.Add(descriptor, receiveBuffersPhysical + (ulong)(descriptor * BufferLength), BufferLength, deviceWrites: true);
        }
        receive.Publish();
        transport.Write(VirtioMmio.Status, status | VirtioMmio.StatusDriverOk);
        transport.Write(VirtioMmio.QueueNotify, ReceiveQueue);

        interrupts = new Thread(TakeInterrupts) { IsBackground = true, Name = "uk virtio-net" };
        interrupts.Start();
    }

    public NetDeviceInfo Info { get; }

    // The features both sides agreed on.
    public ulong Features { get; }

    // The transport's registers, physical.
    public ulong TransportAddress => transport.Physical;

    public int Line => transport.Line;

    // Received frames dropped: shorter than an Ethernet header, or longer than the caller's buffer.
    public long ReceiveDropped => Volatile.Read(ref receiveDropped);

    // The device's receive ring holds the frames the kernel has not taken; when it is empty the
    // device (QEMU) stops taking frames from its backend, which holds them. That is not counted.
    public long ReceiveHeldBack => 0;

    // Transmits refused because every transmit buffer was the device's.
    public long TransmitBusy => transmitBusy;

    // Interrupts the device's thread took.
    public long InterruptCount => Volatile.Read(ref interruptCount);

    // The error that stopped the interrupt thread (-errno), or 0 while it runs.
    public long InterruptError => Volatile.Read(ref interruptError);

    // The index-th virtio network device among the machine's transports (0: the first), or null.
    public static VirtioNetDevice? Probe(IVirtioMachine machine, int index)
    {
        ArgumentNullException.ThrowIfNull(machine);
        int found = 0;
        for (int transportIndex = 0; transportIndex < machine.TransportCount; transportIndex++)
        {
            ulong physical = machine.TransportAddress(transportIndex);
            byte* registers = machine.MapRegisters(physical, VirtioMmio.WindowLength);
            if (registers == null)
            {
                throw new KernelException("virtio: the machine refused to map the transport at 0x" + physical.ToString("X", System.Globalization.CultureInfo.InvariantCulture));
            }
            var transport = new VirtioMmio(registers, physical, machine.TransportLine(transportIndex));
            if (transport.Read(VirtioMmio.MagicValue) != VirtioMmio.Magic || transport.Read(VirtioMmio.DeviceId) != NetDeviceId)
            {
                continue;
            }
            if (found++ < index)
            {
                continue;
            }
            if (transport.Read(VirtioMmio.Version) != VirtioMmio.ModernVersion)
            {
                throw new KernelException("virtio-net at 0x" + physical.ToString("X", System.Globalization.CultureInfo.InvariantCulture)
                    + ": legacy virtio-mmio (version " + transport.Read(VirtioMmio.Version) + "); QEMU gives version 2 with -global virtio-mmio.force-legacy=false");
            }
            return new VirtioNetDevice(machine, transport);
        }
        return null;
    }

    public void ListenForFrames(Scheduler scheduler, Action arrived)
    {
        this.arrived = arrived;
        Interlocked.Exchange(ref this.scheduler, scheduler);
        // Frames that came before anyone listened are reported now.
        Report();
    }

    // No offloads are negotiated (VERSION_1 and MAC only): every frame is a plain one.
    public bool TryReceive(Span<byte> frame, out int length, out FrameOffload offload)
    {
        offload = FrameOffload.None;
        while (receive.TryTakeUsed(out int descriptor, out int written))
        {
            int frameLength = written - HeaderLength;
            bool fits = frameLength >= NetDeviceInfo.EthernetHeaderLength && frameLength <= frame.Length && written <= BufferLength;
            if (fits)
            {
                new ReadOnlySpan<byte>(receiveBuffers + descriptor * BufferLength + HeaderLength, frameLength).CopyTo(frame);
            }
            else
            {
                Interlocked.Increment(ref receiveDropped);
            }
            // The buffer goes straight back to the device.
            receive.Add(descriptor, receiveBuffersPhysical + (ulong)(descriptor * BufferLength), BufferLength, deviceWrites: true);
            receive.Publish();
            if (receive.DeviceWantsNotification())
            {
                transport.Write(VirtioMmio.QueueNotify, ReceiveQueue);
            }
            if (fits)
            {
                length = frameLength;
                return true;
            }
        }
        length = 0;
        return false;
    }

    public bool TryTransmit(ReadOnlySpan<byte> frame, in FrameOffload offload)
    {
        if (frame.Length < NetDeviceInfo.EthernetHeaderLength || frame.Length > Info.MaximumFrameLength)
        {
            return false;
        }
        // The buffers the device has sent are the driver's again.
        while (transmit.TryTakeUsed(out int done, out _))
        {
            transmit.Free(done);
        }
        if (!transmit.TryTakeFree(out int descriptor))
        {
            transmitBusy++;
            return false;
        }
        byte* buffer = transmitBuffers + descriptor * BufferLength;
        new Span<byte>(buffer, HeaderLength).Clear();
        frame.CopyTo(new Span<byte>(buffer + HeaderLength, frame.Length));
        transmit.Add(descriptor, transmitBuffersPhysical + (ulong)(descriptor * BufferLength), HeaderLength + frame.Length, deviceWrites: false);
        transmit.Publish();
        if (transmit.DeviceWantsNotification())
        {
            transport.Write(VirtioMmio.QueueNotify, TransmitQueue);
        }
        return true;
    }

    private VirtQueue MakeQueue(int index, out byte* buffers, out ulong buffersPhysical)
    {
        int maximum = transport.QueueMaximum(index);
        if (maximum < QueueSize)
        {
            Fail("queue " + index + " takes at most " + maximum + " buffers, fewer than " + QueueSize);
        }
        int ringLength = VirtQueue.MemoryLength(QueueSize);
        byte* rings = machine.AllocateDma(ringLength, out ulong ringsPhysical);
        buffers = machine.AllocateDma(QueueSize * BufferLength, out buffersPhysical);
        if (rings == null || buffers == null)
        {
            Fail("no DMA memory for queue " + index);
        }
        var queue = new VirtQueue(rings, ringsPhysical, QueueSize);
        transport.EnableQueue(index, queue);
        return queue;
    }

    // The device's thread: sleeps until the line fires, acknowledges the device (which lowers the
    // line; a buffer used after this raises it again), then reports to the kernel.
    private void TakeInterrupts()
    {
        while (true)
        {
            int result = machine.WaitForInterrupt(transport.Line);
            if (result < 0)
            {
                Volatile.Write(ref interruptError, result);
                return;
            }
            Interlocked.Increment(ref interruptCount);
            uint status = transport.Read(VirtioMmio.InterruptStatus);
            transport.Write(VirtioMmio.InterruptAcknowledge, status);
            if ((status & VirtioMmio.InterruptUsedBuffer) != 0)
            {
                Report();
            }
        }
    }

    private void Report()
    {
        Interlocked.MemoryBarrier();
        Scheduler? target = Volatile.Read(ref scheduler);
        if (target != null && Interlocked.Exchange(ref reportPending, 1) == 0)
        {
            target.Post(deliver, null);
        }
    }

    // On the vCPU: the interrupt. Taken before the drain, so a frame used after the drain's last
    // look raises the line, and its report is posted again.
    private void Deliver(object? state)
    {
        Interlocked.Exchange(ref reportPending, 0);
        arrived?.Invoke();
    }

    private void Fail(string reason)
    {
        transport.Write(VirtioMmio.Status, transport.Read(VirtioMmio.Status) | VirtioMmio.StatusFailed);
        throw new KernelException("virtio-net at 0x" + transport.Physical.ToString("X", System.Globalization.CultureInfo.InvariantCulture) + ": " + reason);
    }
}
