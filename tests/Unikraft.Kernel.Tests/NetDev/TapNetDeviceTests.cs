namespace Unikraft.Kernel.Tests.NetDev;

using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using System.Threading;
using Xunit;

// The TAP device against the Linux kernel's own stack: the test creates the interface through
// the device, moves it into a network namespace it creates (198.18.0.0/15 inside, no route out)
// and removes both afterwards, failed or not.
public class TapNetDeviceTests
{
    private const string LinuxAddress = "198.18.0.1";
    private const string KernelAddress = "198.18.0.2";
    private const string AbsentAddress = "198.18.0.3";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(5);

    [HostNetFact(HostNet.Root, HostNet.Tun, "ip")]
    public void ArpRequestFromTheKernel_LinuxReplies()
    {
        HostNet.Require(HostNet.Root, HostNet.Tun, "ip");
        using TapNetDevice tap = new TapNetDevice(new TapNetDeviceOptions { Name = "uktap%d" });
        using NetNamespace space = LinkInNamespace(tap);
        FrameCollector frames = new FrameCollector(tap);

        Assert.True(tap.TryTransmit(Frame.ArpRequest(tap.Info.Mac, KernelAddress, LinuxAddress)));
        byte[] reply = frames.WaitFor("ARP reply from Linux", frame => Frame.IsArp(frame, 2, LinuxAddress, KernelAddress), Patience);

        byte[] linuxMac = space.MacOf(tap.Name);
        Assert.Equal(Frame.Mac(tap.Info.Mac), Frame.Destination(reply));
        Assert.Equal(linuxMac, Frame.Source(reply));
        Assert.Equal(linuxMac, Frame.Arp(reply)!.Value.SenderMac);
        Assert.Equal(Frame.Mac(tap.Info.Mac), Frame.Arp(reply)!.Value.TargetMac);
        Assert.Equal(0, tap.ReceiveDropped);
    }

    [HostNetFact(HostNet.Root, HostNet.Tun, "ip", "ping")]
    public void PingFromLinux_ArrivesAsArpRequest()
    {
        HostNet.Require(HostNet.Root, HostNet.Tun, "ip", "ping");
        using TapNetDevice tap = new TapNetDevice(new TapNetDeviceOptions { Name = "uktap%d" });
        using NetNamespace space = LinkInNamespace(tap);
        FrameCollector frames = new FrameCollector(tap);

        using Process ping = space.Start("ping", "-c1", "-W1", AbsentAddress);
        try
        {
            byte[] request = frames.WaitFor("ARP request from Linux for " + AbsentAddress,
                frame => Frame.IsArp(frame, 1, LinuxAddress, AbsentAddress), Patience);

            Assert.Equal(Frame.Broadcast, Frame.Destination(request));
            Assert.Equal(space.MacOf(tap.Name), Frame.Source(request));
        }
        finally
        {
            if (!ping.WaitForExit(5000))
            {
                ping.Kill(true);
            }
        }
    }

    // The kernel takes nothing while Linux sends 200 echo requests: the receive queue fills, the
    // reader stops reading, and the rest wait in the host's TAP queue instead of being dropped;
    // once the kernel drains, every one arrives.
    [HostNetFact(HostNet.Root, HostNet.Tun, "ip", "ping")]
    public void FullReceiveQueue_HoldsTheReaderBack_AndNoFrameIsLost()
    {
        HostNet.Require(HostNet.Root, HostNet.Tun, "ip", "ping");
        const int Count = 200;
        using TapNetDevice tap = new TapNetDevice(new TapNetDeviceOptions { Name = "uktap%d", ReceiveQueueLength = 4 });
        using NetNamespace space = LinkInNamespace(tap);
        // Linux knows the kernel's hardware address, so its echo requests go out at once.
        space.Ip("neigh", "replace", KernelAddress, "lladdr", string.Join(":", Frame.Mac(tap.Info.Mac).Select(octet => octet.ToString("x2"))),
            "dev", tap.Name, "nud", "permanent");

        using (Process ping = space.Start("ping", "-q", "-c", Count.ToString(), "-i", "0.002", "-W", "0.1", KernelAddress))
        {
            Assert.True(ping.WaitForExit(30_000), "ping did not end");
        }
        for (int waited = 0; waited < 50 && tap.ReceiveHeldBack == 0; waited++)
        {
            Thread.Sleep(20);
        }
        Assert.True(tap.ReceiveHeldBack >= 1, "the reader never found the queue full");

        FrameCollector frames = new FrameCollector(tap);
        frames.WaitFor("the last echo request", frame => EchoSequence(frame) == Count, Patience);
        frames.RunFor(TimeSpan.FromMilliseconds(100));
        int[] sequences = frames.Frames.Select(EchoSequence).Where(sequence => sequence > 0).ToArray();
        Assert.Equal(Enumerable.Range(1, Count), sequences);
        Assert.Equal(0, tap.ReceiveDropped);
    }

    [HostNetFact(HostNet.Root, HostNet.Tun, "ip")]
    public void Dispose_RemovesTheInterface()
    {
        HostNet.Require(HostNet.Root, HostNet.Tun, "ip");
        TapNetDevice tap = new TapNetDevice(new TapNetDeviceOptions { Name = "uktap%d" });
        string name = tap.Name;
        try
        {
            Assert.StartsWith("uktap", name);
            Assert.Equal(0, HostNet.Run("ip", new[] { "link", "show", name }, mustSucceed: false).ExitCode);
        }
        finally
        {
            tap.Dispose();
        }

        Assert.NotEqual(0, HostNet.Run("ip", new[] { "link", "show", name }, mustSucceed: false).ExitCode);
        Assert.False(tap.TryTransmit(new byte[60]));
    }

    // Deleting the namespace deletes the TAP interface in it while the device still holds the
    // fd: the reader thread stops with an error instead of spinning, transmit answers false, and
    // Dispose still returns.
    [HostNetFact(HostNet.Root, HostNet.Tun, "ip")]
    public void InterfaceDeletedUnderTheDevice_ReaderStopsAndTransmitRefuses()
    {
        HostNet.Require(HostNet.Root, HostNet.Tun, "ip");
        using TapNetDevice tap = new TapNetDevice(new TapNetDeviceOptions { Name = "uktap%d" });
        NetNamespace space = LinkInNamespace(tap);
        space.Dispose();

        Stopwatch waited = Stopwatch.StartNew();
        while (tap.ReceiveError == 0 && waited.Elapsed < Patience)
        {
            Thread.Sleep(10);
        }

        Assert.NotEqual(0, tap.ReceiveError);
        Assert.False(tap.TryTransmit(Frame.ArpRequest(tap.Info.Mac, KernelAddress, LinuxAddress)));
        Assert.Equal(1, tap.TransmitErrors);
    }

    [HostNetFact(HostNet.Root, HostNet.Tun)]
    public void Options_SetTheMacAndTheMtu()
    {
        HostNet.Require(HostNet.Root, HostNet.Tun);
        MacAddress mac = new MacAddress(0x02_00_5E_10_20_30);
        using TapNetDevice tap = new TapNetDevice(new TapNetDeviceOptions { Name = "uktap%d", Mac = mac, Mtu = 9000 });

        Assert.Equal(mac, tap.Info.Mac);
        Assert.Equal(9000, tap.Info.Mtu);
        Assert.Equal("9000", File.ReadAllText("/sys/class/net/" + tap.Name + "/mtu").Trim());
    }

    [Fact]
    public void RandomMac_IsLocallyAdministeredUnicast()
    {
        MacAddress mac = HostedMac.RandomLocal("test");
        byte first = Frame.Mac(mac)[0];

        Assert.Equal(0x02, first & 0x03);
    }

    [Fact]
    public void MissingControlDevice_NamesItAndTheDriver()
    {
        KernelException error = Assert.Throws<KernelException>(
            () => new TapNetDevice(new TapNetDeviceOptions { Name = "uktap%d", ControlPath = "/dev/net/uk-no-such-tun" }));

        Assert.Equal(Errno.ENOENT, error.Errno);
        Assert.Contains("/dev/net/uk-no-such-tun is missing", error.Message);
        Assert.Contains("TUN/TAP driver", error.Message);
    }

    // Capabilities belong to each thread in Linux: the test drops CAP_NET_ADMIN from its own
    // thread's effective set (capset(2)) and opens the device there, as an unprivileged user would.
    [HostNetFact(HostNet.Tun)]
    public void WithoutNetAdmin_ErrorNamesTheCapability()
    {
        HostNet.Require(HostNet.Tun);
        Exception? failure = null;
        Thread unprivileged = new Thread(() =>
        {
            try
            {
                DropNetAdminOnThisThread();
                using TapNetDevice tap = new TapNetDevice(new TapNetDeviceOptions { Name = "uktap%d" });
            }
            catch (Exception exception)
            {
                failure = exception;
            }
        });
        unprivileged.Start();
        unprivileged.Join();

        KernelException error = Assert.IsType<KernelException>(failure);
        Assert.Equal(Errno.EPERM, error.Errno);
        Assert.Contains("netdev tap 'uktap%d'", error.Message);
        Assert.Contains("CAP_NET_ADMIN", error.Message);
    }

    // With offloads (the default) the host learns that the device takes frames whose checksums
    // are left to it and TCP segments of up to 64 KB (TUNSETOFFLOAD: the interface's
    // tx-checksumming and tcp-segmentation-offload are on); without, both are off.
    [HostNetFact(HostNet.Root, HostNet.Tun, "ethtool")]
    public void Offloads_AreWhatTheHostSeesOnTheInterface()
    {
        HostNet.Require(HostNet.Root, HostNet.Tun, "ethtool");
        using (TapNetDevice tap = new TapNetDevice(new TapNetDeviceOptions { Name = "uktap%d" }))
        {
            Assert.True(tap.Offloads);
            Assert.Equal(TapNetDevice.SegmentOffloadLength, tap.Info.SegmentOffload);
            string features = HostNet.Run("ethtool", new[] { "-k", tap.Name }).Output;
            Assert.Contains("tcp-segmentation-offload: on", features);
            Assert.Contains("tx-checksumming: on", features);
        }
        using (TapNetDevice plain = new TapNetDevice(new TapNetDeviceOptions { Name = "uktap%d", Offloads = false }))
        {
            Assert.False(plain.Offloads);
            Assert.Equal(0, plain.Info.SegmentOffload);
            string features = HostNet.Run("ethtool", new[] { "-k", plain.Name }).Output;
            Assert.Contains("tcp-segmentation-offload: off", features);
            Assert.Contains("tx-checksumming: off", features);
        }
    }

    // An interface made persistent beforehand outlives the device: Dispose sets its offloads back
    // to none, so its next user, which may not read virtio_net_hdr, gets no 64 KB segments.
    [HostNetFact(HostNet.Root, HostNet.Tun, "ip", "ethtool")]
    public void Dispose_SetsTheOffloadsOfAPersistentInterfaceBack()
    {
        HostNet.Require(HostNet.Root, HostNet.Tun, "ip", "ethtool");
        string name = "uktapkeep" + (Environment.ProcessId % 100000);
        HostNet.Ip("tuntap", "add", "dev", name, "mode", "tap");
        try
        {
            using (TapNetDevice tap = new TapNetDevice(new TapNetDeviceOptions { Name = name }))
            {
                Assert.Contains("tcp-segmentation-offload: on", HostNet.Run("ethtool", new[] { "-k", name }).Output);
            }

            Assert.Equal(0, HostNet.Run("ip", new[] { "link", "show", name }, mustSucceed: false).ExitCode);
            Assert.Contains("tcp-segmentation-offload: off", HostNet.Run("ethtool", new[] { "-k", name }).Output);
        }
        finally
        {
            HostNet.Run("ip", new[] { "tuntap", "del", "dev", name, "mode", "tap" }, mustSucceed: false);
        }
    }

    // Linux's own TCP leaves its checksums to a device that offers to complete them: the SYN of a
    // connection from Linux arrives with a virtio_net_hdr that vouches for it, which the device
    // hands up as a checksum the stack need not check.
    [HostNetFact(HostNet.Root, HostNet.Tun, "ip", "nc")]
    public void TcpFromLinux_ArrivesWithAChecksumTheHostVouchesFor()
    {
        HostNet.Require(HostNet.Root, HostNet.Tun, "ip", "nc");
        using TapNetDevice tap = new TapNetDevice(new TapNetDeviceOptions { Name = "uktap%d" });
        using NetNamespace space = LinkInNamespace(tap);
        space.Ip("neigh", "replace", KernelAddress, "lladdr", string.Join(":", Frame.Mac(tap.Info.Mac).Select(octet => octet.ToString("x2"))),
            "dev", tap.Name, "nud", "permanent");
        FrameCollector frames = new FrameCollector(tap);

        using Process connect = space.Start("nc", "-w", "1", KernelAddress, "9");
        try
        {
            // NOTE: IPv4 protocol at 14 + 9 (6, TCP); flags at 14 + 20 + 13 (0x02, SYN alone).
            byte[] syn = frames.WaitFor("a SYN from Linux", frame => frame.Length >= 54 && frame[23] == 6 && frame[47] == 0x02, Patience);

            int index = frames.Frames.ToList().IndexOf(syn);
            Assert.True(frames.Offloads[index].ChecksumTrusted);
            Assert.Equal(0, tap.ReceiveDropped);
        }
        finally
        {
            if (!connect.WaitForExit(5000))
            {
                connect.Kill(true);
            }
        }
    }

    // PcapNetDevice wraps the TAP device unchanged: the capture holds the request the kernel sent
    // and the reply Linux sent, byte for byte.
    [HostNetFact(HostNet.Root, HostNet.Tun, "ip")]
    public void PcapAroundTap_CapturesBothDirections()
    {
        HostNet.Require(HostNet.Root, HostNet.Tun, "ip");
        using TapNetDevice tap = new TapNetDevice(new TapNetDeviceOptions { Name = "uktap%d" });
        using NetNamespace space = LinkInNamespace(tap);
        MemoryStream capture = new MemoryStream();
        PcapNetDevice pcap = new PcapNetDevice(tap, capture, new HostedClock());
        FrameCollector frames = new FrameCollector(pcap);
        byte[] request = Frame.ArpRequest(tap.Info.Mac, KernelAddress, LinuxAddress);

        Assert.True(pcap.TryTransmit(request));
        byte[] reply = frames.WaitFor("ARP reply from Linux", frame => Frame.IsArp(frame, 2, LinuxAddress, KernelAddress), Patience);

        Assert.Equal(frames.Frames.Count + 1, pcap.Frames);
        byte[] bytes = capture.ToArray();
        Assert.Equal(0xa1b2c3d4u, BitConverter.ToUInt32(bytes, 0));
        int offset = PcapNetDevice.GlobalHeaderLength;
        Assert.Equal(request, Record(bytes, ref offset));
        byte[]? captured = null;
        while (offset < bytes.Length && (captured == null || !Frame.IsArp(captured, 2, LinuxAddress, KernelAddress)))
        {
            captured = Record(bytes, ref offset);
        }
        Assert.Equal(reply, captured);
    }

    private static byte[] Record(byte[] capture, ref int offset)
    {
        int length = BitConverter.ToInt32(capture, offset + 8);
        byte[] frame = capture.AsSpan(offset + PcapNetDevice.RecordHeaderLength, length).ToArray();
        offset += PcapNetDevice.RecordHeaderLength + length;
        return frame;
    }

    // A namespace with the TAP interface in it, addressed and up; removed when disposed.
    // The sequence number of an ICMP echo request in an Ethernet frame, 0 for any other frame.
    private static int EchoSequence(byte[] frame)
    {
        // NOTE: Ethernet type at 12 (0x0800 IPv4), IPv4 protocol at 14 + 9 (1 ICMP), a 20-byte
        // IPv4 header as ping sends, then ICMP type (8 echo request) and its sequence at 4.
        if (frame.Length < 42 || frame[12] != 0x08 || frame[13] != 0x00 || frame[23] != 1 || frame[34] != 8)
        {
            return 0;
        }
        return (frame[40] << 8) | frame[41];
    }

    private static NetNamespace LinkInNamespace(TapNetDevice tap)
    {
        NetNamespace space = NetNamespace.Create();
        try
        {
            space.MoveIn(tap.Name);
            space.Ip("addr", "add", LinuxAddress + "/24", "dev", tap.Name);
            space.Ip("link", "set", tap.Name, "up");
            return space;
        }
        catch
        {
            space.Dispose();
            throw;
        }
    }

    private static void DropNetAdminOnThisThread()
    {
        // NOTE: linux/capability.h: _LINUX_CAPABILITY_VERSION_3 (0x20080522) takes two data
        // structs of effective, permitted and inheritable masks; pid 0 is the calling thread.
        // capget is syscall 125 and capset 126 on x86-64.
        int[] header = { 0x20080522, 0 };
        uint[] data = new uint[6];
        Assert.Equal(0, syscall(125, ref header[0], ref data[0]));
        data[0] &= ~(1u << (int)HostCapability.NetAdmin);
        Assert.Equal(0, syscall(126, ref header[0], ref data[0]));
    }

    [DllImport("libc", SetLastError = true)]
    private static extern long syscall(long number, ref int header, ref uint data);
}
