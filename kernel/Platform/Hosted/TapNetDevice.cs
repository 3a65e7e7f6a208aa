namespace Unikraft.Kernel;

using System;
using System.Buffers.Binary;
using System.Text;
using System.Threading;

// How to open a TAP device. Every value has a default, so new TapNetDeviceOptions() opens a
// TAP interface named by the host kernel with a random locally administered MAC address.
internal sealed class TapNetDeviceOptions
{
    // The interface name, at most 15 bytes; a "%d" in it lets the host kernel pick the number
    // ("uktap%d" becomes uktap0, uktap1, ...). Null: the host kernel names it (tap0, ...).
    public string? Name { get; set; }

    // The kernel's own hardware address on this link. Null: a random locally administered one.
    public MacAddress? Mac { get; set; }

    public int Mtu { get; set; } = TapNetDevice.DefaultMtu;

    // How many received frames wait for the kernel; while they are all waiting the device stops
    // reading, and newer frames wait in the host's TAP queue (or the host drops them there).
    public int ReceiveQueueLength { get; set; } = TapNetDevice.DefaultReceiveQueueLength;

    // The clone device; a test points it elsewhere to see the error when it is missing.
    public string ControlPath { get; set; } = TapNetDevice.DefaultControlPath;

    // Checksum and TCP segmentation offload through a virtio_net_hdr before every frame
    // (IFF_VNET_HDR, TUNSETOFFLOAD): the kernel then sends TCP segments of up to 64 KB that the
    // host cuts to the MTU, and takes the host's segments uncut, their checksums unchecked. Off:
    // MTU-sized frames only, every checksum computed and checked by the kernel.
    public bool Offloads { get; set; } = true;
}

// A Linux TAP interface as the kernel's network device (hosted, needs CAP_NET_ADMIN unless the
// interface already exists and belongs to the caller). The fd from /dev/net/tun carries one
// Ethernet frame per read and per write (IFF_TAP | IFF_NO_PI: no packet-information prefix).
//
// Frames are read on a host thread of the device's own, which waits in poll(2) on the TAP fd
// and an eventfd (the way Dispose stops it), reads until EAGAIN into a bounded receive queue
// and posts the kernel's interrupt (HostFrameInbox); while that queue is full it reads nothing
// and the frames wait in the host's TAP queue. Transmit is one non-blocking write(2) on
// the vCPU; EAGAIN means the host's queue is full and answers false.
//
// With Offloads (the default) the fd is opened with IFF_VNET_HDR, so every frame read and written
// starts with a 10-byte virtio_net_hdr (TUNSETVNETHDRSZ), and TUNSETOFFLOAD tells the host that
// this side takes frames whose checksums are not computed (TUN_F_CSUM) and TCP segments over IPv4
// and IPv6 up to 64 KB (TUN_F_TSO4, TUN_F_TSO6): the host's stack then hands over its segments uncut, and takes the
// kernel's uncut (Info.SegmentOffload), completing the checksums and cutting them where they go on.
// Dispose sets the offloads back to none before it closes the fd, so an interface made persistent
// beforehand (ip tuntap add) does not keep sending 64 KB segments to its next user, which may not
// read virtio_net_hdr.
//
// The interface exists as long as the fd is open (it is not made persistent): Dispose closes
// it, and the host kernel removes the interface with every address and route on it. The fd
// stays valid when the interface is moved to another network namespace (ip link set NAME netns).
[Device("netdev")]
internal sealed class TapNetDevice : INetDevice, IDisposable
{
    public const int DefaultMtu = 1500;
    public const int DefaultReceiveQueueLength = 256;
    public const string DefaultControlPath = "/dev/net/tun";

    // NOTE: the longest IPv4 datagram (RFC 791, 3.1), the most a segment to be cut may hold.
    public const int SegmentOffloadLength = 65535;

    // NOTE: from linux/if_tun.h and linux/if.h: TUNSETIFF is _IOW('T', 202, int); a struct ifreq
    // is 40 bytes on x86-64, the name (IFNAMSIZ 16 bytes, NUL included) first, then a union that
    // holds the short ifr_flags or the int ifr_mtu. SIOCSIFMTU from linux/sockios.h.
    private const ulong TunSetInterface = 0x400454CA;
    private const ulong SetInterfaceMtu = 0x8922;
    private const short InterfaceTap = 0x0002;
    private const short InterfaceNoPacketInformation = 0x1000;

    // NOTE: from linux/if_tun.h: IFF_VNET_HDR; TUNSETOFFLOAD is _IOW('T', 208, unsigned int)
    // and takes the flags by value; TUNSETVNETHDRSZ is _IOW('T', 216, int) and takes a pointer;
    // TUN_F_CSUM, TUN_F_TSO4 and TUN_F_TSO6.
    private const short InterfaceVirtioNetHeader = 0x4000;
    private const ulong TunSetOffload = 0x400454D0;
    private const ulong TunSetVirtioNetHeaderSize = 0x400454D8;
    private const uint TunOffloadChecksum = 0x01;
    private const uint TunOffloadTcpIpv4 = 0x02;
    private const uint TunOffloadTcpIpv6 = 0x04;
    private const int InterfaceNameLength = 16;
    private const int InterfaceRequestLength = 40;

    private readonly int fd;
    private readonly int stopFd;
    private readonly HostFrameInbox inbox;
    private readonly Thread reader;
    // With offloads: the virtio_net_hdr and the frame of one write, and of one read's header.
    private readonly byte[]? transmitBuffer;
    private readonly byte[] receiveHeader = new byte[VirtioNetHeader.Length];
    private readonly int headerLength;
    private long transmitBusy;
    private long transmitErrors;
    private long receiveError;
    private long badHeaders;
    private bool disposed;

    public TapNetDevice(TapNetDeviceOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        string requested = options.Name ?? string.Empty;
        if (Encoding.UTF8.GetByteCount(requested) >= InterfaceNameLength)
        {
            throw new KernelException("netdev tap: the interface name '" + requested + "' is longer than 15 bytes");
        }
        if (options.Mtu < 68 || options.Mtu > 65535 - NetDeviceInfo.EthernetHeaderLength)
        {
            // NOTE: 68 is the smallest MTU IPv4 allows (RFC 791).
            throw new KernelException("netdev tap: MTU " + options.Mtu + " is outside 68..65521");
        }
        if (options.ReceiveQueueLength < 1)
        {
            throw new KernelException("netdev tap: the receive queue needs at least one frame");
        }

        int opened = HostedNetCalls.Open(options.ControlPath, HostedNetCalls.ReadWrite | HostedNetCalls.NonBlocking | HostedNetCalls.CloseOnExec);
        if (opened < 0)
        {
            throw OpenFailed(options.ControlPath, requested, opened);
        }
        fd = opened;
        try
        {
            Span<byte> request = stackalloc byte[InterfaceRequestLength];
            request.Clear();
            Encoding.UTF8.GetBytes(requested, request.Slice(0, InterfaceNameLength - 1));
            short interfaceFlags = InterfaceTap | InterfaceNoPacketInformation;
            if (options.Offloads)
            {
                interfaceFlags |= InterfaceVirtioNetHeader;
            }
            BinaryPrimitives.WriteInt16LittleEndian(request.Slice(InterfaceNameLength, 2), interfaceFlags);
            int result = HostedNetCalls.Control(fd, TunSetInterface, request);
            if (result < 0)
            {
                throw CreateFailed(requested, result);
            }
            Span<byte> name = request.Slice(0, InterfaceNameLength);
            int end = name.IndexOf((byte)0);
            Name = Encoding.UTF8.GetString(end < 0 ? name : name.Slice(0, end));
            if (options.Mtu != DefaultMtu)
            {
                SetMtu(Name, options.Mtu);
            }
            MacAddress mac = options.Mac ?? HostedMac.RandomLocal("netdev tap " + Name);
            if (options.Offloads)
            {
                SetOffloads(fd, Name);
                headerLength = VirtioNetHeader.Length;
                Info = new NetDeviceInfo(mac, options.Mtu, SegmentOffloadLength);
                transmitBuffer = new byte[headerLength + Info.MaximumTransmitFrameLength];
            }
            else
            {
                Info = new NetDeviceInfo(mac, options.Mtu);
            }
            // One byte more than the largest frame: a longer read means a frame too long for
            // this MTU, which is dropped rather than cut.
            inbox = new HostFrameInbox(options.ReceiveQueueLength, headerLength + Info.MaximumReceiveFrameLength + 1);
            int eventFd = HostedNetCalls.EventFd(HostedNetCalls.EventCloseOnExec | HostedNetCalls.EventNonBlocking);
            if (eventFd < 0)
            {
                throw KernelException.Failed("netdev tap " + Name + ": eventfd", eventFd);
            }
            stopFd = eventFd;
        }
        catch
        {
            HostedNetCalls.Close(fd);
            throw;
        }
        reader = new Thread(ReadFrames) { IsBackground = true, Name = "uk tap " + Name };
        reader.Start();
    }

    // The interface's name on the host, as the host kernel gave it.
    public string Name { get; }

    public NetDeviceInfo Info { get; }

    // Received frames dropped for being longer than the MTU (and the offloads) allow, or for a
    // virtio_net_hdr no receiver should get.
    public long ReceiveDropped => inbox.Dropped + Volatile.Read(ref badHeaders);

    // Whether frames carry a virtio_net_hdr and the host takes and gives uncut TCP segments.
    public bool Offloads => headerLength != 0;

    // Times the kernel's receive queue was full and the device stopped reading until the kernel
    // took a frame: meanwhile frames waited in the host's TAP queue, which drops beyond its
    // length (the host counts those as the interface's transmit drops).
    public long ReceiveHeldBack => inbox.HeldBack;

    // Transmits refused because the host's queue was full (EAGAIN).
    public long TransmitBusy => transmitBusy;

    // Transmits the host refused for another reason (EIO: the interface is down).
    public long TransmitErrors => transmitErrors;

    // The error that stopped the reader thread (-errno), or 0 while it runs.
    public long ReceiveError => Volatile.Read(ref receiveError);

    public void ListenForFrames(Scheduler scheduler, Action arrived) => inbox.Listen(scheduler, arrived);

    public bool TryReceive(Span<byte> frame, out int length, out FrameOffload offload)
    {
        offload = FrameOffload.None;
        if (headerLength == 0)
        {
            return inbox.TryReceive(frame, out length);
        }
        while (inbox.TryReceive(receiveHeader, frame, out length))
        {
            VirtioNetHeader.TryRead(receiveHeader, out VirtioNetHeader header);
            if (header.TryDescribe(length, out offload))
            {
                return true;
            }
            badHeaders++;
        }
        return false;
    }

    public bool TryTransmit(ReadOnlySpan<byte> frame, in FrameOffload offload)
    {
        if (disposed || frame.Length < NetDeviceInfo.EthernetHeaderLength)
        {
            return false;
        }
        long written;
        if (transmitBuffer == null)
        {
            if (!offload.IsNone || frame.Length > Info.MaximumFrameLength)
            {
                return false;
            }
            written = HostedNetCalls.Write(fd, frame);
        }
        else
        {
            if (frame.Length > (offload.IsSegmented ? Info.MaximumTransmitFrameLength : Info.MaximumFrameLength))
            {
                return false;
            }
            // One write carries the header and the frame: a TAP fd takes one frame per write.
            VirtioNetHeader.For(offload).Write(transmitBuffer);
            frame.CopyTo(transmitBuffer.AsSpan(headerLength));
            written = HostedNetCalls.Write(fd, transmitBuffer.AsSpan(0, headerLength + frame.Length));
            if (written >= headerLength)
            {
                written -= headerLength;
            }
        }
        if (written == frame.Length)
        {
            return true;
        }
        if (written == -Errno.EAGAIN)
        {
            transmitBusy++;
        }
        else
        {
            transmitErrors++;
        }
        return false;
    }

    // Stops the reader thread and closes the fd, which removes the interface from the host.
    public void Dispose()
    {
        if (disposed)
        {
            return;
        }
        disposed = true;
        HostedNetCalls.Signal(stopFd);
        inbox.Close();
        reader.Join();
        HostedNetCalls.Close(stopFd);
        if (headerLength != 0)
        {
            // Best effort: the interface usually goes with the fd anyway.
            HostedNetCalls.ControlValue(fd, TunSetOffload, 0);
        }
        HostedNetCalls.Close(fd);
    }

    // The reader thread: waits for the fd to become readable, then reads until EAGAIN.
    private void ReadFrames()
    {
        Span<HostPollFd> waitFor = stackalloc HostPollFd[2];
        waitFor[0].Fd = fd;
        waitFor[0].Requested = HostedNetCalls.PollIn;
        waitFor[1].Fd = stopFd;
        waitFor[1].Requested = HostedNetCalls.PollIn;
        int slotLength = inbox.SlotLength;
        while (true)
        {
            int ready = HostedNetCalls.Poll(waitFor, -1);
            if (ready < 0)
            {
                Volatile.Write(ref receiveError, ready);
                return;
            }
            if (waitFor[1].Returned != 0)
            {
                return;
            }
            short events = waitFor[0].Returned;
            bool readAny = false;
            while (true)
            {
                if (!inbox.TryBeginWrite(out Span<byte> slot))
                {
                    // The kernel's queue is full: no more is read until it takes a frame, so the
                    // frames wait in the host's TAP queue, as a full receive ring leaves them on
                    // the wire (see HostFrameInbox).
                    if (!inbox.WaitForRoom())
                    {
                        return;
                    }
                    continue;
                }
                long read = HostedCalls.Read(fd, slot);
                if (read == -Errno.EAGAIN)
                {
                    // An fd that reports an error or a hang-up but has nothing to read would
                    // wake poll again at once, forever: the interface is gone.
                    if (!readAny && (events & (HostedNetCalls.PollError | HostedNetCalls.PollHangUp | HostedNetCalls.PollInvalid)) != 0)
                    {
                        Volatile.Write(ref receiveError, -Errno.EIO);
                        return;
                    }
                    break;
                }
                readAny = true;
                if (read < 0)
                {
                    Volatile.Write(ref receiveError, read);
                    return;
                }
                if (read == slotLength)
                {
                    // The frame is longer than the MTU allows.
                    inbox.CountDropped();
                    continue;
                }
                inbox.CommitWrite((int)read);
            }
        }
    }

    // Frames with a 10-byte virtio_net_hdr, and the offloads this side takes.
    private static void SetOffloads(int fd, string name)
    {
        Span<byte> size = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(size, VirtioNetHeader.Length);
        int result = HostedNetCalls.Control(fd, TunSetVirtioNetHeaderSize, size);
        if (result < 0)
        {
            throw KernelException.Failed("netdev tap " + name + ": TUNSETVNETHDRSZ", result);
        }
        result = HostedNetCalls.ControlValue(fd, TunSetOffload, TunOffloadChecksum | TunOffloadTcpIpv4 | TunOffloadTcpIpv6);
        if (result < 0)
        {
            throw KernelException.Failed("netdev tap " + name + ": TUNSETOFFLOAD", result);
        }
    }

    private static void SetMtu(string name, int mtu)
    {
        int socket = HostedNetCalls.Socket(HostedNetCalls.AddressFamilyInet, HostedNetCalls.SocketDatagram | HostedNetCalls.SocketCloseOnExec);
        if (socket < 0)
        {
            throw KernelException.Failed("netdev tap " + name + ": socket for SIOCSIFMTU", socket);
        }
        try
        {
            Span<byte> request = stackalloc byte[InterfaceRequestLength];
            request.Clear();
            Encoding.UTF8.GetBytes(name, request.Slice(0, InterfaceNameLength - 1));
            BinaryPrimitives.WriteInt32LittleEndian(request.Slice(InterfaceNameLength, 4), mtu);
            int result = HostedNetCalls.Control(socket, SetInterfaceMtu, request);
            if (result < 0)
            {
                throw KernelException.Failed("netdev tap " + name + ": setting MTU " + mtu + " (SIOCSIFMTU)", result);
            }
        }
        finally
        {
            HostedNetCalls.Close(socket);
        }
    }

    private static KernelException OpenFailed(string path, string name, int result)
    {
        string device = "netdev tap" + (name.Length == 0 ? string.Empty : " '" + name + "'");
        int errno = -result;
        string message = errno switch
        {
            Errno.ENOENT or Errno.ENODEV or Errno.ENXIO =>
                device + ": " + path + " is missing: the host has no TUN/TAP driver (load the tun module; in a container, pass the device in, e.g. --device /dev/net/tun)",
            Errno.EACCES or Errno.EPERM =>
                device + ": " + path + " cannot be opened (" + Errno.Name(errno) + "): the process may not use the TUN/TAP driver",
            _ => device + ": opening " + path + " failed: " + Errno.Name(errno),
        };
        return new KernelException(message, errno);
    }

    private static KernelException CreateFailed(string name, int result)
    {
        string device = "netdev tap" + (name.Length == 0 ? string.Empty : " '" + name + "'");
        int errno = -result;
        string message = errno switch
        {
            Errno.EPERM or Errno.EACCES =>
                device + ": creating a TAP interface needs CAP_NET_ADMIN (" + Errno.Name(errno) + "): run as root, or create it beforehand for this user with 'ip tuntap add NAME mode tap user USER'",
            Errno.EBUSY =>
                device + ": the interface is in use by another process, or exists and is not a TAP interface (EBUSY)",
            Errno.EINVAL =>
                device + ": the host refused the interface (EINVAL): the name exists as another kind of interface, or is not valid",
            _ => device + ": TUNSETIFF failed: " + Errno.Name(errno),
        };
        return new KernelException(message, errno);
    }
}
