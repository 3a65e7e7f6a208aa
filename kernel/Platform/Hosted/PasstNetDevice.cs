namespace Unikraft.Kernel;

using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Globalization;
using System.Threading;

// How to start passt. Every value has a default: new PasstNetDeviceOptions() starts "passt" from
// PATH with no ports forwarded, and passt hands the guest the host's own address and gateway.
internal sealed class PasstNetDeviceOptions
{
    // The program to start, looked up on PATH when it has no slash.
    public string Program { get; set; } = PasstNetDevice.DefaultProgram;

    // Host TCP ports passt listens on and forwards to the same port of the kernel (-t).
    public List<int> TcpPorts { get; } = new List<int>();

    // Host UDP ports forwarded the same way (-u).
    public List<int> UdpPorts { get; } = new List<int>();

    // The kernel's address, prefix length and gateway as passt hands them out by DHCP and
    // answers for (-a, -n, -g). Null: passt mirrors the host's interface with the default route.
    public Ipv4Address? Address { get; set; }

    public int? PrefixLength { get; set; }

    public Ipv4Address? Gateway { get; set; }

    // IPv6 through passt too (the kernel has IPv6 on the interface): passt then also listens on
    // the host's IPv6 addresses for the forwarded ports and answers router solicitations.
    public bool Ipv6 { get; set; }

    // The kernel's IPv6 address, as passt hands it out by DHCPv6 and expects it (-a). Null: the
    // kernel's autoconfigured one, which passt learns from the kernel's first packet from it.
    public Ipv6Address? Address6 { get; set; }

    // The kernel's own hardware address. Null: a random locally administered one.
    public MacAddress? Mac { get; set; }

    public int Mtu { get; set; } = PasstNetDevice.DefaultMtu;

    public int ReceiveQueueLength { get; set; } = PasstNetDevice.DefaultQueueLength;

    public int TransmitQueueLength { get; set; } = PasstNetDevice.DefaultQueueLength;
}

// The unprivileged user-mode network of passt (Debian package passt) as the kernel's network
// device on hosted: no root and no TAP, and ports on the host forwarded to the kernel.
//
// The device makes a connected pair of UNIX stream sockets, keeps one end and starts
// "passt -f -q -F FD" with the other as FD (passt(1): -F hands it a connected socket, -f keeps
// it in the foreground under its own pid). Frames cross the stream as QEMU's stream netdev sends
// them: a 4-byte big-endian length, then the Ethernet frame. passt answers ARP for every address
// but the guest's, offers DHCP (the address, prefix and gateway of the options, else the host's
// own), and translates the guest's TCP, UDP and ICMP to host sockets; run as root it switches to
// the user nobody.
//
// Two host threads of the device's own do the blocking: a reader that splits the stream into
// frames for the bounded receive queue and posts the interrupt (HostFrameInbox), reading nothing
// more while that queue is full, and a writer
// that sends the frames TryTransmit queued (a non-blocking write on a stream can send part of a
// frame, and the rest could not wait on the vCPU). No orphan is left: Dispose shuts the socket,
// then ends the process (SIGTERM, SIGKILL after a grace period) and reaps it; and passt itself
// exits when its socket closes (-F implies --one-off), which covers a kernel that ends without
// Dispose, since the host closes the kernel's end when the process ends.
[Device("netdev")]
internal sealed class PasstNetDevice : INetDevice, IDisposable
{
    public const string DefaultProgram = "passt";
    public const string DebianPackage = "passt";
    public const int DefaultMtu = 1500;
    public const int DefaultQueueLength = 256;

    // NOTE: QEMU's stream netdev (and passt's tap_handler_passt) put a 32-bit big-endian frame
    // length before every frame.
    private const int LengthPrefix = 4;
    private const int StreamBufferLength = 128 * 1024;
    private const int GraceMilliseconds = 2000;
    // The fd number passt finds its socket at.
    private const int ChildFd = 3;

    private readonly int socket;
    private readonly HostFrameInbox inbox;
    private readonly HostFrameRing outbox;
    private readonly AutoResetEvent wakeWriter = new AutoResetEvent(false);
    private readonly Thread reader;
    private readonly Thread writer;
    // 1 while the writer sleeps waiting for frames.
    private int writerSleeping;
    private volatile bool closing;
    private volatile bool ended;
    private long transmitBusy;
    private long receiveMalformed;
    private bool disposed;
    private bool reaped;

    public PasstNetDevice(PasstNetDeviceOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        List<string> arguments = Arguments(options);
        MacAddress mac = options.Mac ?? HostedMac.RandomLocal("netdev passt");
        Info = new NetDeviceInfo(mac, options.Mtu);
        inbox = new HostFrameInbox(options.ReceiveQueueLength, Info.MaximumFrameLength);
        outbox = new HostFrameRing(options.TransmitQueueLength, Info.MaximumFrameLength + LengthPrefix);

        int result = HostedNetCalls.SocketPair(HostedNetCalls.AddressFamilyUnix, HostedNetCalls.SocketStream | HostedNetCalls.SocketCloseOnExec, out int ours, out int theirs);
        if (result < 0)
        {
            throw KernelException.Failed("netdev passt: socketpair", result);
        }
        // dup2 onto the same number would keep FD_CLOEXEC, and the child would lose the socket.
        int childFd = theirs == ChildFd ? ChildFd + 1 : ChildFd;
        arguments.Add("-F");
        arguments.Add(childFd.ToString(CultureInfo.InvariantCulture));
        int pid = HostedNetCalls.Spawn(arguments.ToArray(), theirs, childFd);
        HostedNetCalls.Close(theirs);
        if (pid < 0)
        {
            HostedNetCalls.Close(ours);
            throw StartFailed(options.Program, pid);
        }
        socket = ours;
        ProcessId = pid;
        reader = new Thread(ReadFrames) { IsBackground = true, Name = "uk passt reader" };
        writer = new Thread(WriteFrames) { IsBackground = true, Name = "uk passt writer" };
        reader.Start();
        writer.Start();
    }

    public NetDeviceInfo Info { get; }

    // passt's process id on the host.
    public int ProcessId { get; }

    // The command line passt was started with (without the fd).
    public IReadOnlyList<string> CommandLine { get; private set; } = Array.Empty<string>();

    // passt closed its end: it exited (or failed at start, having said why on stderr).
    public bool Ended => ended;

    // Received frames dropped by the receive queue (none: a full queue holds passt back instead).
    public long ReceiveDropped => inbox.Dropped;

    // Times the kernel's receive queue was full and the device stopped reading passt's socket
    // until the kernel took a frame: passt then stops reading the host's sockets, so their peers
    // slow down and nothing is lost.
    public long ReceiveHeldBack => inbox.HeldBack;

    // The last signal Dispose had to send passt (SIGTERM 15, SIGKILL 9), or 0 when it exited by
    // itself once its socket was shut.
    public int StopSignal { get; private set; }

    // Frames from passt dropped for their length: longer than this device's MTU allows, or
    // shorter than an Ethernet header.
    public long ReceiveMalformed => Volatile.Read(ref receiveMalformed);

    // Transmits refused because the transmit queue was full.
    public long TransmitBusy => transmitBusy;

    public void ListenForFrames(Scheduler scheduler, Action arrived) => inbox.Listen(scheduler, arrived);

    public bool TryReceive(Span<byte> frame, out int length, out FrameOffload offload)
    {
        offload = FrameOffload.None;
        return inbox.TryReceive(frame, out length);
    }

    // passt's stream carries whole frames and no offload header: a frame that asks for an
    // offload is refused.
    public bool TryTransmit(ReadOnlySpan<byte> frame, in FrameOffload offload)
    {
        if (!offload.IsNone || disposed || ended || frame.Length < NetDeviceInfo.EthernetHeaderLength || frame.Length > Info.MaximumFrameLength)
        {
            return false;
        }
        if (!outbox.TryBeginWrite(out Span<byte> slot))
        {
            transmitBusy++;
            return false;
        }
        BinaryPrimitives.WriteUInt32BigEndian(slot.Slice(0, LengthPrefix), (uint)frame.Length);
        frame.CopyTo(slot.Slice(LengthPrefix));
        outbox.CommitWrite(LengthPrefix + frame.Length);
        // A full fence, ordered after the frame's publication: a writer that went to sleep
        // before seeing the frame is woken (see WriteFrames).
        if (Interlocked.CompareExchange(ref writerSleeping, 0, 1) == 1)
        {
            wakeWriter.Set();
        }
        return true;
    }

    // Shuts the socket, ends passt and reaps it.
    public void Dispose()
    {
        if (disposed)
        {
            return;
        }
        disposed = true;
        closing = true;
        HostedNetCalls.Shutdown(socket);
        inbox.Close();
        wakeWriter.Set();
        reader.Join();
        writer.Join();
        HostedNetCalls.Close(socket);
        Stop();
        wakeWriter.Dispose();
    }

    // Ends the process: passt exits by itself once its socket is shut; SIGTERM if it has not
    // within the grace period, SIGKILL after another.
    private void Stop()
    {
        if (reaped)
        {
            return;
        }
        if (WaitForExit(GraceMilliseconds))
        {
            return;
        }
        StopSignal = HostedNetCalls.SignalTerminate;
        HostedNetCalls.Kill(ProcessId, HostedNetCalls.SignalTerminate);
        if (WaitForExit(GraceMilliseconds))
        {
            return;
        }
        StopSignal = HostedNetCalls.SignalKill;
        HostedNetCalls.Kill(ProcessId, HostedNetCalls.SignalKill);
        HostedNetCalls.WaitPid(ProcessId, 0);
        reaped = true;
    }

    private bool WaitForExit(int milliseconds)
    {
        for (int waited = 0; waited <= milliseconds; waited += 10)
        {
            int result = HostedNetCalls.WaitPid(ProcessId, HostedNetCalls.WaitNoHang);
            // The pid: it ended and is reaped. -ECHILD: someone else reaped it.
            if (result == ProcessId || result < 0)
            {
                reaped = true;
                return true;
            }
            Thread.Sleep(10);
        }
        return false;
    }

    // The reader thread: splits the stream into frames.
    private void ReadFrames()
    {
        byte[] buffer = new byte[StreamBufferLength];
        int start = 0;
        int end = 0;
        // Bytes still to skip of a frame too long to keep.
        long skip = 0;
        while (true)
        {
            long read = HostedCalls.Read(socket, buffer.AsSpan(end));
            if (read <= 0)
            {
                ended = true;
                return;
            }
            end += (int)read;
            while (true)
            {
                if (skip > 0)
                {
                    int skipped = (int)Math.Min(skip, end - start);
                    start += skipped;
                    skip -= skipped;
                    if (skip > 0)
                    {
                        break;
                    }
                }
                if (end - start < LengthPrefix)
                {
                    break;
                }
                long length = BinaryPrimitives.ReadUInt32BigEndian(buffer.AsSpan(start, LengthPrefix));
                if (length > inbox.SlotLength || length < NetDeviceInfo.EthernetHeaderLength)
                {
                    // Not a frame the kernel can take: skipped, and counted as malformed and as
                    // dropped (ReceiveDropped counts every frame read and not queued).
                    Interlocked.Increment(ref receiveMalformed);
                    inbox.CountDropped();
                    start += LengthPrefix;
                    skip = length;
                    continue;
                }
                if (end - start < LengthPrefix + length)
                {
                    break;
                }
                ReadOnlySpan<byte> frame = buffer.AsSpan(start + LengthPrefix, (int)length);
                Span<byte> slot;
                // The kernel's queue is full: no more is read until it takes a frame, so passt's
                // writes wait in the socket (see HostFrameInbox).
                while (!inbox.TryBeginWrite(out slot))
                {
                    if (!inbox.WaitForRoom())
                    {
                        return;
                    }
                }
                frame.CopyTo(slot);
                inbox.CommitWrite(frame.Length);
                start += LengthPrefix + (int)length;
            }
            // Moves the partial frame to the front so the next read has room.
            if (start > 0)
            {
                buffer.AsSpan(start, end - start).CopyTo(buffer);
                end -= start;
                start = 0;
            }
        }
    }

    // The writer thread: sends queued frames, sleeping while there are none.
    private void WriteFrames()
    {
        while (true)
        {
            while (outbox.TryPeek(out ReadOnlySpan<byte> frame))
            {
                long sent = HostedNetCalls.SendAll(socket, frame);
                outbox.Release();
                if (sent < 0)
                {
                    // passt is gone (EPIPE) or the socket was shut: nothing more can be sent.
                    ended = true;
                    return;
                }
            }
            if (closing)
            {
                return;
            }
            // A full fence before the last look at the queue: a frame queued after it finds
            // writerSleeping set and wakes this thread.
            Interlocked.Exchange(ref writerSleeping, 1);
            if (!outbox.IsEmpty || closing)
            {
                Interlocked.Exchange(ref writerSleeping, 0);
                continue;
            }
            wakeWriter.WaitOne();
        }
    }

    private List<string> Arguments(PasstNetDeviceOptions options)
    {
        if (string.IsNullOrEmpty(options.Program))
        {
            throw new KernelException("netdev passt: no program to start (the option Program is empty)");
        }
        if (options.Mtu < 68 || options.Mtu > 65520)
        {
            // NOTE: 68 is IPv4's smallest MTU (RFC 791); 65520 is passt's largest (passt(1), -m).
            throw new KernelException("netdev passt: MTU " + options.Mtu + " is outside 68..65520");
        }
        if (options.ReceiveQueueLength < 1 || options.TransmitQueueLength < 1)
        {
            throw new KernelException("netdev passt: the receive and transmit queues need at least one frame each");
        }
        if (options.PrefixLength is int prefix && (prefix < 1 || prefix > 31))
        {
            throw new KernelException("netdev passt: prefix length /" + prefix + " is outside 1..31");
        }
        // -4 for an interface without IPv6. Without it passt also listens on the host's IPv6
        // addresses and forwards a connection to [::1] as IPv6, which such a kernel never answers:
        // a browser that tries localhost's ::1 first waits, then sees the connection reset.
        List<string> arguments = new List<string> { options.Program, "-f", "-q" };
        if (HostedNetCalls.EffectiveUserId() == 0)
        {
            // Started as root (a container, CI), passt drops to nobody itself, but first says
            // "Don't run as root" on the program's stderr and tries syslog ("Failed to send ...
            // bytes to syslog"). Naming the user it would take keeps the program's output its own.
            // Not otherwise: a user who is not root cannot change to nobody, and passt would exit.
            arguments.Add("--runas");
            arguments.Add("65534:65534");
        }
        if (!options.Ipv6)
        {
            arguments.Add("-4");
        }
        arguments.Add("-m");
        arguments.Add(options.Mtu.ToString(CultureInfo.InvariantCulture));
        if (options.Ipv6 && options.Address6 is Ipv6Address address6)
        {
            arguments.Add("-a");
            arguments.Add(address6.ToString());
        }
        if (options.Address is Ipv4Address address)
        {
            arguments.Add("-a");
            arguments.Add(address.ToString());
        }
        if (options.PrefixLength is int length)
        {
            arguments.Add("-n");
            arguments.Add(length.ToString(CultureInfo.InvariantCulture));
        }
        if (options.Gateway is Ipv4Address gateway)
        {
            arguments.Add("-g");
            arguments.Add(gateway.ToString());
        }
        AddPorts(arguments, "-t", "TCP", options.TcpPorts);
        AddPorts(arguments, "-u", "UDP", options.UdpPorts);
        CommandLine = arguments.ToArray();
        return arguments;
    }

    private static void AddPorts(List<string> arguments, string option, string protocol, List<int> ports)
    {
        if (ports.Count == 0)
        {
            return;
        }
        string list = string.Empty;
        foreach (int port in ports)
        {
            if (port < 1 || port > 65535)
            {
                throw new KernelException("netdev passt: forwarded " + protocol + " port " + port + " is outside 1..65535");
            }
            list += (list.Length == 0 ? string.Empty : ",") + port.ToString(CultureInfo.InvariantCulture);
        }
        arguments.Add(option);
        arguments.Add(list);
    }

    private static KernelException StartFailed(string program, int result)
    {
        int errno = -result;
        if (errno == Errno.ENOENT)
        {
            return new KernelException(
                "netdev passt: the program '" + program + "' was not found" + (program.Contains('/') ? string.Empty : " on PATH") +
                ": install the Debian package '" + DebianPackage + "' (apt-get install " + DebianPackage + ")", errno);
        }
        return new KernelException("netdev passt: starting '" + program + "' failed: " + Errno.Name(errno), errno);
    }
}
