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
// The interface exists as long as the fd is open (it is not made persistent): Dispose closes
// it, and the host kernel removes the interface with every address and route on it. The fd
// stays valid when the interface is moved to another network namespace (ip link set NAME netns).
[Device("netdev")]
internal sealed class TapNetDevice : INetDevice, IDisposable
{
    public const int DefaultMtu = 1500;
    public const int DefaultReceiveQueueLength = 256;
    public const string DefaultControlPath = "/dev/net/tun";

    // NOTE: from linux/if_tun.h and linux/if.h: TUNSETIFF is _IOW('T', 202, int); a struct ifreq
    // is 40 bytes on x86-64, the name (IFNAMSIZ 16 bytes, NUL included) first, then a union that
    // holds the short ifr_flags or the int ifr_mtu. SIOCSIFMTU from linux/sockios.h.
    private const ulong TunSetInterface = 0x400454CA;
    private const ulong SetInterfaceMtu = 0x8922;
    private const short InterfaceTap = 0x0002;
    private const short InterfaceNoPacketInformation = 0x1000;
    private const int InterfaceNameLength = 16;
    private const int InterfaceRequestLength = 40;

    private readonly int fd;
    private readonly int stopFd;
    private readonly HostFrameInbox inbox;
    private readonly Thread reader;
    private long transmitBusy;
    private long transmitErrors;
    private long receiveError;
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
            BinaryPrimitives.WriteInt16LittleEndian(request.Slice(InterfaceNameLength, 2), InterfaceTap | InterfaceNoPacketInformation);
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
            Info = new NetDeviceInfo(mac, options.Mtu);
            // One byte more than the largest frame: a longer read means a frame too long for
            // this MTU, which is dropped rather than cut.
            inbox = new HostFrameInbox(options.ReceiveQueueLength, Info.MaximumFrameLength + 1);
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

    // Received frames dropped for being longer than the MTU allows.
    public long ReceiveDropped => inbox.Dropped;

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

    public bool TryReceive(Span<byte> frame, out int length) => inbox.TryReceive(frame, out length);

    public bool TryTransmit(ReadOnlySpan<byte> frame)
    {
        if (disposed || frame.Length < NetDeviceInfo.EthernetHeaderLength || frame.Length > Info.MaximumFrameLength)
        {
            return false;
        }
        long written = HostedNetCalls.Write(fd, frame);
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
