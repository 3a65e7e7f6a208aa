namespace Unikraft.Kernel.Tests.Net.Interface;

using System;
using Unikraft.Kernel;
using Unikraft.Kernel.Tests.Net.Wire;
using Xunit;

// Router discovery against what passt (Debian 0.0~git20230309) sent, captured on its socket: a
// router solicitation from host A's link-local address was answered with PasstAdvertisement, and
// `curl -6 http://[::1]:18080/` on the host (passt -t 18080) arrived as PasstHostLoopbackSyn.
public class RouterDiscoveryTests
{
    private const long Second = 1_000_000_000;

    // The router advertisement: from fe80::fc:ff:fe00:1 (MAC 02:fc:00:00:00:01), managed flag,
    // router lifetime 9000 s, prefix fd00::/64 on-link and autonomous (valid 3600 s), MTU 1500,
    // the router's link-layer address.
    public static readonly byte[] PasstAdvertisement = Convert.FromHexString(
        "a26b0204eb1102fc0000000186dd6000000000403afffe8000000000000000fc00fffe000001fe80000000000000a06b02fffe04eb11"
        + "8600619bff8023280000000000000000030440c000000e1000000e1000000000fd00000000000000000000000000000005010000000005dc010102fc00000001");

    // A SYN to port 18080 from passt's link-local address to host A's.
    public static readonly byte[] PasstHostLoopbackSyn = Convert.FromHexString(
        "a26b0204eb1102fc0000000186dd60000048001c06fffe8000000000000000fc00fffe000001fe80000000000000a06b02fffe04eb11"
        + "960446a08c2eddcc000000007002ffffb40b0000020405a001030308");

    internal static readonly Ipv6Address PasstRouter = new Ipv6Address(0xfe80_0000_0000_0000, 0x00fc_00ff_fe00_0001);

    internal static readonly MacAddress PasstMac = new MacAddress(0x02fc_0000_0001);

    private static readonly Ipv6Address Autoconfigured = new Ipv6Address(0xfd00_0000_0000_0000, 0xa06b_02ff_fe04_eb11);

    private static readonly Ipv6Address OffLink = new Ipv6Address(0x2001_0002_0000_0001, 1);

    [Fact]
    public void Solicit_SendsARouterSolicitation_FromTheLinkLocalAddress()
    {
        NetTestHost a = HostWithIpv6();

        a.Interface.Ipv6!.Routers.Solicit(autoconfigureAddress: true);

        byte[] frame = a.Device.TakeOnly();
        Assert.True(EthernetFrame.TryWrap(frame, out EthernetFrame ethernet));
        Assert.True(EthernetHeader.TryParse(ethernet, out EthernetHeader header));
        Assert.Equal(new MacAddress(0x3333_0000_0002), header.Destination);
        Assert.True(Ipv6Packet.TryWrap(ethernet.Payload, out Ipv6Packet packet));
        Assert.True(Ipv6Header.TryParse(packet, out Ipv6Header ip));
        Assert.Equal(CapturedFrames6.LinkLocalA, ip.Source);
        Assert.Equal(Ipv6Address.AllRouters, ip.Destination);
        Assert.Equal(255, ip.HopLimit);
        Assert.True(Icmpv6Message.TryWrap(packet.Payload, out Icmpv6Message message));
        Assert.True(message.ChecksumIsValid(ip.Source, ip.Destination));
        // Type 133, code 0, reserved, and no source link-layer address option: the link-local
        // address is optimistic this early (RFC 4861, 4.1; RFC 4429, 3.2).
        Assert.Equal(Convert.FromHexString("85000000" + "00000000"), ZeroChecksum(packet.Payload.ToArray()));
    }

    [Fact]
    public void PasstsAdvertisement_GivesTheRouter_ThePrefix_AndAnAddressFromIt()
    {
        NetTestHost a = HostWithIpv6();
        Ipv6Interface ipv6 = a.Interface.Ipv6!;
        ipv6.Routers.Solicit(autoconfigureAddress: true);
        a.Device.Sent.Clear();

        a.Device.Inject(PasstAdvertisement);

        Assert.Equal(PasstRouter, ipv6.Routers.Router(a.Stack.Now));
        Assert.Equal(new Ipv6Address(0xfd00_0000_0000_0000, 0), ipv6.Routers.Prefix);
        Assert.Equal(64, ipv6.Routers.PrefixLength);
        // The prefix and the modified EUI-64 of the MAC, the link-local address's identifier.
        Assert.Equal(Autoconfigured, ipv6.Routers.Autoconfigured);
        Assert.True(ipv6.IsOwn(Autoconfigured));
        Assert.True(a.Stack.IsLocal6(Autoconfigured));
        Assert.Equal(Autoconfigured, ipv6.SourceFor(OffLink));
        Assert.True(ipv6.Neighbors.TryLookup(PasstRouter, a.Stack.Now, out MacAddress mac));
        Assert.Equal(PasstMac, mac);
        Assert.Equal(1, a.Stack.Counters.RouterAdvertisementsReceived);
        Assert.Empty(a.Device.Sent);
    }

    [Fact]
    public void BootWait_BlocksUntilTheAdvertisement_NotTheWholeBound()
    {
        NetTestHost a = HostWithIpv6();
        Ipv6Interface ipv6 = a.Interface.Ipv6!;
        long start = a.Stack.Now;
        // passt answers 200 ms later, from the device's interrupt while the boot is blocked.
        a.Kernel.Scheduler.ArmTimer(start + Second / 5, _ => a.Device.Inject(PasstAdvertisement), null);

        NetBoot.SolicitRouters(a.Kernel, "eth0", true, Second);

        Assert.Equal(PasstRouter, ipv6.Routers.Router(a.Stack.Now));
        Assert.Equal(Autoconfigured, ipv6.Routers.Autoconfigured);
        // The virtual clock moves only while the scheduler waits: the boot waited, and was woken
        // by the advertisement, not by its one-second bound.
        Assert.Equal(start + Second / 5, a.Stack.Now);
    }

    [Fact]
    public void BootWait_WithoutAnAdvertisement_EndsAtItsBound()
    {
        NetTestHost a = HostWithIpv6();
        long start = a.Stack.Now;

        NetBoot.SolicitRouters(a.Kernel, "eth0", true, Second);

        Assert.True(a.Interface.Ipv6!.Routers.Router(a.Stack.Now).IsUnspecified);
        Assert.Equal(start + Second, a.Stack.Now);
    }

    [Fact]
    public void OffLinkDestination_GoesToTheRouter_AndTheAdvertisedPrefixIsOnLink()
    {
        NetTestHost a = Advertised(autoconfigure: true);
        byte[] payload = new byte[8];

        Assert.Equal(0, a.Stack.Send6(Ipv6Address.Unspecified, OffLink, IpProtocol.Icmpv6, payload));
        byte[] frame = a.Device.TakeOnly();
        Assert.Equal(PasstMac, DestinationMac(frame));
        Assert.Equal(OffLink, Ipv6Of(frame).Destination);
        Assert.Equal(Autoconfigured, Ipv6Of(frame).Source);

        // On the advertised prefix: asked for with a neighbor solicitation, not sent to the router.
        Ipv6Address onLink = new Ipv6Address(0xfd00_0000_0000_0000, 2);
        Assert.Equal(0, a.Stack.Send6(Ipv6Address.Unspecified, onLink, IpProtocol.Icmpv6, payload));
        byte[] solicitation = a.Device.TakeOnly();
        Assert.Equal(onLink.SolicitedNode.MulticastMac, DestinationMac(solicitation));
    }

    [Fact]
    public void WithoutAutoconfiguration_TheRouterIsTaken_ButNoAddress()
    {
        NetTestHost a = Advertised(autoconfigure: false);
        Ipv6Interface ipv6 = a.Interface.Ipv6!;

        Assert.Equal(PasstRouter, ipv6.Routers.Router(a.Stack.Now));
        Assert.True(ipv6.Routers.Autoconfigured.IsUnspecified);
        Assert.Equal(1, ipv6.AddressCount);
    }

    // A host takes an advertisement it did not ask for (RFC 4861, 6.3.4): the router, but no
    // address without autoconfiguration.
    [Fact]
    public void WithoutSolicit_AnAdvertisementGivesTheRouter_ButNoAddress()
    {
        NetTestHost a = HostWithIpv6();

        a.Device.Inject(PasstAdvertisement);

        Assert.Equal(PasstRouter, a.Interface.Ipv6!.Routers.Router(a.Stack.Now));
        Assert.True(a.Interface.Ipv6.Routers.Autoconfigured.IsUnspecified);
        Assert.Equal(1, a.Interface.Ipv6.AddressCount);
    }

    [Fact]
    public void AdvertisementNotFromTheLink_IsDiscarded()
    {
        NetTestHost a = HostWithIpv6();
        a.Interface.Ipv6!.Routers.Solicit(autoconfigureAddress: true);
        byte[] forwarded = (byte[])PasstAdvertisement.Clone();
        // A hop limit below 255: it crossed a router (RFC 4861, 6.1.2).
        forwarded[EthernetFrame.HeaderLength + 7] = 254;

        a.Device.Inject(forwarded);

        Assert.True(a.Interface.Ipv6.Routers.Router(a.Stack.Now).IsUnspecified);
        Assert.True(a.Interface.Ipv6.Routers.Autoconfigured.IsUnspecified);
    }

    [Fact]
    public void RouterLifetimeZero_RemovesTheRouter()
    {
        NetTestHost a = Advertised(autoconfigure: true);
        byte[] leaving = (byte[])PasstAdvertisement.Clone();
        int icmp = EthernetFrame.HeaderLength + Ipv6Packet.HeaderLength;
        leaving[icmp + 6] = 0;
        leaving[icmp + 7] = 0;
        Ipv6Packet.TryWrap(leaving.AsSpan(EthernetFrame.HeaderLength), out Ipv6Packet packet);
        Icmpv6Message.TryWrap(packet.Payload, out Icmpv6Message message);
        message.FillChecksum(PasstRouter, CapturedFrames6.LinkLocalA);

        a.Device.Inject(leaving);

        Assert.True(a.Interface.Ipv6!.Routers.Router(a.Stack.Now).IsUnspecified);
        Assert.Equal(-Errno.ENETUNREACH, a.Stack.Send6(Ipv6Address.Unspecified, OffLink, IpProtocol.Icmpv6, new byte[8]));
    }

    [Fact]
    public void UnansweredSolicitations_AreRepeatedTwice_FourSecondsApart()
    {
        NetTestHost a = HostWithIpv6();
        a.Interface.Ipv6!.Routers.Solicit(autoconfigureAddress: true);

        a.Run(3 * Second);
        Assert.Equal(1, a.Stack.Counters.RouterSolicitationsSent);
        a.Run(2 * Second);
        Assert.Equal(2, a.Stack.Counters.RouterSolicitationsSent);
        a.Run(20 * Second);
        Assert.Equal(3, a.Stack.Counters.RouterSolicitationsSent);
    }

    [Fact]
    public void HostLoopbackSyn_ReachesTheListenerOnIpv6Loopback_OnAForwardedPort()
    {
        (NetTestHost a, TcpStack tcp) = PasstWithTcp();
        a.Stack.HostLoopback.AddLink(a.Interface, new ushort[] { 18080 });
        TcpSocket listener = tcp.CreateSocket6();
        Assert.Equal(0, listener.Bind6(new Ipv6Address(0, 1), 18080));
        Assert.Equal(0, listener.Listen(4));

        a.Device.Inject(PasstHostLoopbackSyn);

        TcpHeader answer = TcpOf(a.Device.TakeOnly(), out Ipv6Header ip);
        Assert.True(answer.HasFlag(TcpFlags.Syn) && answer.HasFlag(TcpFlags.Ack) && !answer.HasFlag(TcpFlags.Rst));
        Assert.Equal(CapturedFrames6.LinkLocalA, ip.Source);
        Assert.Equal(PasstRouter, ip.Destination);
    }

    [Fact]
    public void HostLoopbackSyn_WithoutTheForward_IsRefused()
    {
        (NetTestHost a, TcpStack tcp) = PasstWithTcp();
        TcpSocket listener = tcp.CreateSocket6();
        Assert.Equal(0, listener.Bind6(new Ipv6Address(0, 1), 18080));
        Assert.Equal(0, listener.Listen(4));

        a.Device.Inject(PasstHostLoopbackSyn);

        TcpHeader answer = TcpOf(a.Device.TakeOnly(), out _);
        Assert.True(answer.HasFlag(TcpFlags.Rst));
    }

    [Fact]
    public void HostLoopbackSyn_DoesNotReachAnIpv4LoopbackListener()
    {
        (NetTestHost a, TcpStack tcp) = PasstWithTcp();
        a.Stack.HostLoopback.AddLink(a.Interface, new ushort[] { 18080 });
        TcpSocket listener = tcp.CreateSocket();
        Assert.Equal(0, listener.Bind(Ipv4Address.Loopback, 18080));
        Assert.Equal(0, listener.Listen(4));

        a.Device.Inject(PasstHostLoopbackSyn);

        TcpHeader answer = TcpOf(a.Device.TakeOnly(), out _);
        Assert.True(answer.HasFlag(TcpFlags.Rst));
    }

    private static (NetTestHost Host, TcpStack Tcp) PasstWithTcp()
    {
        NetTestHost a = Advertised(autoconfigure: true);
        TcpStack tcp = new TcpStack(a.Stack, a.Kernel.Clock!, a.Kernel.RandomDevice!, a.Kernel.Scheduler);
        a.Stack.Register(tcp);
        tcp.HostLoopback = a.Stack.HostLoopback;
        return (a, tcp);
    }

    private static NetTestHost HostWithIpv6()
    {
        NetTestHost host = new NetTestHost(hostB: false);
        host.Interface.EnableIpv6(Array.Empty<Ipv6Address>(), Array.Empty<int>());
        return host;
    }

    private static NetTestHost Advertised(bool autoconfigure)
    {
        NetTestHost host = HostWithIpv6();
        host.Interface.Ipv6!.Routers.Solicit(autoconfigure);
        host.Device.Inject(PasstAdvertisement);
        host.Device.Sent.Clear();
        return host;
    }

    private static byte[] ZeroChecksum(byte[] message)
    {
        message[2] = 0;
        message[3] = 0;
        return message;
    }

    private static MacAddress DestinationMac(byte[] frame)
    {
        Assert.True(EthernetFrame.TryWrap(frame, out EthernetFrame ethernet));
        Assert.True(EthernetHeader.TryParse(ethernet, out EthernetHeader header));
        return header.Destination;
    }

    private static Ipv6Header Ipv6Of(byte[] frame)
    {
        Assert.True(EthernetFrame.TryWrap(frame, out EthernetFrame ethernet));
        Assert.True(Ipv6Packet.TryWrap(ethernet.Payload, out Ipv6Packet packet));
        Assert.True(Ipv6Header.TryParse(packet, out Ipv6Header header));
        return header;
    }

    private static TcpHeader TcpOf(byte[] frame, out Ipv6Header ip)
    {
        ip = Ipv6Of(frame);
        Assert.Equal(IpProtocol.Tcp, ip.NextHeader);
        Assert.True(EthernetFrame.TryWrap(frame, out EthernetFrame ethernet));
        Assert.True(Ipv6Packet.TryWrap(ethernet.Payload, out Ipv6Packet packet));
        Assert.True(TcpSegment.TryWrap(packet.Payload, out TcpSegment segment));
        Assert.True(TcpHeader.TryParseUnchecked(segment, out TcpHeader header));
        return header;
    }
}
