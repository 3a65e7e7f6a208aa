namespace Unikraft.Kernel.Tests.NetDev;

using System;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using Xunit;
using Xunit.Abstractions;

// The passt device against the real passt (Debian package passt), unprivileged. The kernel's
// addresses are given to passt (-a, -n, -g) from 198.18.0.0/15, so nothing here depends on the
// host's own network; every frame the test sends is one passt answers itself (ARP, DHCP), and
// the only host traffic is a connection to 127.0.0.1.
public class PasstNetDeviceTests
{
    private const string KernelAddress = "198.18.0.2";
    private const string GatewayAddress = "198.18.0.1";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(5);

    private readonly ITestOutputHelper output;

    public PasstNetDeviceTests(ITestOutputHelper output)
    {
        this.output = output;
    }

    [HostNetFact("passt")]
    public void ArpRequestForTheGateway_PasstAnswers()
    {
        HostNet.Require("passt");
        using PasstNetDevice passt = new PasstNetDevice(Configured());
        FrameCollector frames = new FrameCollector(passt);

        Assert.True(passt.TryTransmit(Frame.ArpRequest(passt.Info.Mac, KernelAddress, GatewayAddress)));
        byte[] reply = frames.WaitFor("ARP reply from passt", frame => Frame.IsArp(frame, 2, GatewayAddress, KernelAddress), Patience);

        Assert.Equal(Frame.Mac(passt.Info.Mac), Frame.Destination(reply));
        Assert.Equal(Frame.Mac(passt.Info.Mac), Frame.Arp(reply)!.Value.TargetMac);
        output.WriteLine("passt: " + string.Join(" ", passt.CommandLine) + "; gateway " + GatewayAddress + " is at " +
            Convert.ToHexString(Frame.Arp(reply)!.Value.SenderMac));
    }

    // As root, passt is told the user to drop to (it would otherwise say so on the program's
    // stderr, and try syslog); as anyone else it is not, since it could not change user.
    [HostNetFact("passt")]
    public void StartedAsRoot_PasstIsToldWhoToRunAs()
    {
        HostNet.Require("passt");
        using PasstNetDevice passt = new PasstNetDevice(Configured());

        bool root = HostedNetCalls.EffectiveUserId() == 0;
        var line = new System.Collections.Generic.List<string>(passt.CommandLine);
        Assert.Equal(root, line.Contains("--runas"));
        if (root)
        {
            Assert.Equal("65534:65534", line[line.IndexOf("--runas") + 1]);
        }
        Assert.False(passt.Ended);
    }

    [HostNetFact("passt")]
    public void DhcpDiscover_PasstOffersTheConfiguredAddress()
    {
        HostNet.Require("passt");
        using PasstNetDevice passt = new PasstNetDevice(Configured());
        FrameCollector frames = new FrameCollector(passt);

        Assert.True(passt.TryTransmit(Frame.DhcpDiscover(passt.Info.Mac, 0x5eed1234)));
        byte[] offer = frames.WaitFor("DHCPOFFER from passt", frame => Frame.DhcpReply(frame) is { TransactionId: 0x5eed1234 }, Patience);

        var dhcp = Frame.DhcpReply(offer)!.Value;
        // NOTE: RFC 2132: message type 2 is DHCPOFFER; option 1 the subnet mask, 3 the routers.
        Assert.Equal(2, dhcp.MessageType);
        Assert.Equal(KernelAddress, dhcp.YourAddress);
        Assert.Equal(new byte[] { 255, 255, 255, 0 }, dhcp.Options[1]);
        Assert.Equal(IPAddress.Parse(GatewayAddress).GetAddressBytes(), dhcp.Options[3]);
        output.WriteLine("passt offers " + dhcp.YourAddress + " mask " + new IPAddress(dhcp.Options[1]) + " router " + new IPAddress(dhcp.Options[3]) +
            (dhcp.Options.TryGetValue(6, out byte[]? dns) ? " dns " + new IPAddress(dns.AsSpan(0, 4)) : string.Empty) +
            (dhcp.Options.TryGetValue(26, out byte[]? mtu) ? " mtu " + (mtu[0] << 8 | mtu[1]) : string.Empty));
    }

    // A connection to a forwarded port on the host's loopback reaches the kernel as a SYN to its
    // own address and the same port.
    [HostNetFact("passt")]
    public void ConnectToForwardedPort_ArrivesAsSyn()
    {
        HostNet.Require("passt");
        int port = FreeTcpPort();
        PasstNetDeviceOptions options = Configured();
        options.TcpPorts.Add(port);
        using PasstNetDevice passt = new PasstNetDevice(options);
        FrameCollector frames = new FrameCollector(passt);
        // Any frame teaches passt the kernel's MAC address before it has to send to it.
        Assert.True(passt.TryTransmit(Frame.ArpRequest(passt.Info.Mac, KernelAddress, GatewayAddress)));
        frames.WaitFor("ARP reply from passt", frame => Frame.IsArp(frame, 2, GatewayAddress, KernelAddress), Patience);

        using CancellationTokenSource stop = new CancellationTokenSource();
        Task client = Task.Run(() => ConnectUntil(port, stop.Token));
        try
        {
            byte[] syn = frames.WaitFor("SYN for port " + port,
                frame => Frame.Tcp(frame) is { } tcp && tcp.DestinationPort == port && (tcp.Flags & 0x12) == 0x02, Patience);

            var segment = Frame.Tcp(syn)!.Value;
            Assert.Equal(KernelAddress, segment.Destination);
            Assert.Equal(Frame.Mac(passt.Info.Mac), Frame.Destination(syn));
            output.WriteLine("SYN " + segment.Source + ":" + segment.SourcePort + " > " + segment.Destination + ":" + segment.DestinationPort);
        }
        finally
        {
            stop.Cancel();
            client.Wait(5000);
        }
    }

    // The kernel takes nothing while the host sends 200 datagrams to a forwarded UDP port: the
    // receive queue (two frames) fills, the reader stops reading, and passt's frames wait in the
    // socket; once the kernel drains, every one arrives, in order.
    [HostNetFact("passt")]
    public void FullReceiveQueue_HoldsTheReaderBack_AndNoFrameIsLost()
    {
        HostNet.Require("passt");
        const int Count = 200;
        int port = FreeUdpPort();
        PasstNetDeviceOptions options = Configured();
        options.UdpPorts.Add(port);
        options.ReceiveQueueLength = 2;
        using PasstNetDevice passt = new PasstNetDevice(options);
        FrameCollector frames = new FrameCollector(passt);
        Assert.True(passt.TryTransmit(Frame.ArpRequest(passt.Info.Mac, KernelAddress, GatewayAddress)));
        frames.WaitFor("ARP reply from passt", frame => Frame.IsArp(frame, 2, GatewayAddress, KernelAddress), Patience);

        using (Socket sender = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp))
        {
            for (int index = 1; index <= Count; index++)
            {
                sender.SendTo(BitConverter.GetBytes(index), new IPEndPoint(IPAddress.Loopback, port));
            }
        }
        for (int waited = 0; waited < 100 && passt.ReceiveHeldBack == 0; waited++)
        {
            Thread.Sleep(20);
        }
        Assert.True(passt.ReceiveHeldBack >= 1, "the reader never found the queue full");

        frames.WaitFor("datagram " + Count, frame => Datagram(frame, port) == Count, Patience);
        int[] received = frames.Frames.Select(frame => Datagram(frame, port)).Where(index => index > 0).ToArray();
        Assert.Equal(Enumerable.Range(1, Count), received);
        Assert.Equal(0, passt.ReceiveDropped);
    }

    // Dispose shuts the socket; passt (-F implies --one-off) exits by itself, and the device
    // reaps it: no process is left, and no signal was needed. The same holds when the kernel's
    // process ends without Dispose, since the host then closes the socket.
    [HostNetFact("passt")]
    public void Dispose_EndsTheProcess()
    {
        HostNet.Require("passt");
        PasstNetDevice passt = new PasstNetDevice(Configured());
        int pid = passt.ProcessId;
        try
        {
            Assert.True(pid > 0);
            // passt runs itself again as passt.avx2 where the CPU has AVX2, under the same pid.
            Assert.True(WaitUntil(() => ProgramOf(pid)?.StartsWith("passt", StringComparison.Ordinal) == true), "process " + pid + " is not passt: " + ProgramOf(pid));
        }
        finally
        {
            passt.Dispose();
        }

        Assert.False(Directory.Exists("/proc/" + pid), "passt (pid " + pid + ") is still there after Dispose");
        Assert.Equal(0, passt.StopSignal);
        Assert.True(passt.Ended);
        Assert.False(passt.TryTransmit(new byte[60]));
    }

    // passt killed from outside: the device sees its socket close, says so, refuses to transmit,
    // and Dispose still reaps the process.
    [HostNetFact("passt")]
    public void PasstKilled_DeviceEndsAndDisposeReaps()
    {
        HostNet.Require("passt");
        PasstNetDevice passt = new PasstNetDevice(Configured());
        int pid = passt.ProcessId;
        try
        {
            Assert.Equal(0, HostedNetCalls.Kill(pid, HostedNetCalls.SignalKill));
            Assert.True(WaitUntil(() => passt.Ended), "the device did not notice that passt ended");
            Assert.False(passt.TryTransmit(Frame.ArpRequest(passt.Info.Mac, KernelAddress, GatewayAddress)));
        }
        finally
        {
            passt.Dispose();
        }

        Assert.False(Directory.Exists("/proc/" + pid), "passt (pid " + pid + ") was not reaped");
    }

    [Fact]
    public void MissingProgram_NamesTheDebianPackage()
    {
        KernelException error = Assert.Throws<KernelException>(
            () => new PasstNetDevice(new PasstNetDeviceOptions { Program = "uk-no-such-passt" }));

        Assert.Equal(Errno.ENOENT, error.Errno);
        Assert.Equal("netdev passt: the program 'uk-no-such-passt' was not found on PATH: install the Debian package 'passt' (apt-get install passt)", error.Message);
    }

    [Fact]
    public void BadForwardedPort_IsRefusedBeforeStarting()
    {
        PasstNetDeviceOptions options = new PasstNetDeviceOptions { Program = "uk-no-such-passt" };
        options.TcpPorts.Add(70000);

        KernelException error = Assert.Throws<KernelException>(() => new PasstNetDevice(options));

        Assert.Equal("netdev passt: forwarded TCP port 70000 is outside 1..65535", error.Message);
    }

    private static PasstNetDeviceOptions Configured()
    {
        Assert.True(Ipv4Address.TryParse(KernelAddress, out Ipv4Address address));
        Assert.True(Ipv4Address.TryParse(GatewayAddress, out Ipv4Address gateway));
        return new PasstNetDeviceOptions { Address = address, PrefixLength = 24, Gateway = gateway };
    }

    // The number a test datagram to port carries, 0 for any other frame.
    private static int Datagram(byte[] frame, int port) =>
        Frame.Udp(frame) is { } udp && udp.DestinationPort == port && udp.Payload.Length == 4 ? BitConverter.ToInt32(udp.Payload) : 0;

    private static int FreeUdpPort()
    {
        using Socket socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }

    private static int FreeTcpPort()
    {
        TcpListener listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    // passt binds the forwarded port once it has started: connect until it is there.
    private static void ConnectUntil(int port, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            using Socket socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), stop).AsTask().Wait(1000);
                // Connected (or still connecting): hold it until the test is done.
                stop.WaitHandle.WaitOne();
                return;
            }
            catch (AggregateException)
            {
                stop.WaitHandle.WaitOne(50);
            }
        }
    }

    private static string? ProgramOf(int pid)
    {
        try
        {
            return File.ReadAllText("/proc/" + pid + "/comm").Trim();
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static bool WaitUntil(Func<bool> condition)
    {
        for (int attempt = 0; attempt < 100; attempt++)
        {
            if (condition())
            {
                return true;
            }
            Thread.Sleep(20);
        }
        return false;
    }
}
