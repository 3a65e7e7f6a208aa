namespace Unikraft.Kernel;

using System;
using System.Collections.Generic;

// The IPv6 side of one interface (RFC 8200 over Ethernet, RFC 2464): its addresses, the
// link-local one made from the MAC (RFC 4291, 2.5.6 and appendix A) first and then the configured
// ones, its neighbor cache, and the packets in and out. It takes the frames its NetInterface
// hands it (EtherType 0x86DD), answers neighbor solicitations for its addresses and ICMPv6 echo,
// learns neighbors, and answers a next header it does not speak with a parameter problem, as
// Linux does. On-link destinations (the link-local prefix, the configured prefixes and those a
// router advertisement marks on-link) are reached directly, the others through a default router:
// the configured one (Gateway6), else one a router advertisement announced (RFC 4861, 6.3.4).
// Extension headers are walked (RFC 8200, 4), fragments reassembled (Ipv6Reassembly) and
// packets longer than the path's MTU sent in fragments (4.5); ICMPv6 errors about packets this
// host sent reach their transport (IIcmpv6ErrorTransport), and packet too big lowers the path
// MTU to that destination (RFC 8201).
// NOTE: duplicate address detection (RFC 4862, 5.4) runs at boot (StartDuplicateAddressDetection)
// with optimistic addresses (RFC 4429): they are used at once, as the project's configuration and
// the MAC's are expected to be unique, and one found in use by another host is logged and no
// longer used.
// NOTE: no MLD (RFC 3810) reports are sent for the groups joined: a plain Ethernet link or a TAP
// device delivers multicast without them; a switch that snoops MLD would need them.
internal sealed class Ipv6Interface
{
    // NOTE: an ICMPv6 error quotes as much of the offending packet as keeps it within the minimum
    // IPv6 MTU, 1280 bytes (RFC 4443, 2.4 (c)).
    public const int ErrorLimit = Ipv6Packet.MinimumMtu;

    // NOTE: the offset of the next header field in the IPv6 header, what a parameter problem
    // about an unknown next header points at (RFC 4443, 3.4); Linux points there too.
    private const int NextHeaderOffset = 6;

    // NOTE: RFC 4861, 6.3.4 bounds nothing, Linux keeps every router it hears of; a host on one
    // link of a unikernel needs a few.
    public const int MaximumRouters = 4;

    // NOTE: as many on-link prefixes from advertisements, beyond the configured ones.
    public const int MaximumPrefixes = 8;

    // NOTE: as many destinations with a lowered path MTU; the oldest is forgotten first.
    public const int MaximumPathMtus = 16;

    // NOTE: a lowered path MTU is tried again after 10 minutes (RFC 8201, 4: "the recommended
    // setting ... is 10 minutes"; Linux's mtu_expires is 600 s).
    public const long PathMtuTimeout = 600_000_000_000;

    // NOTE: option numbers of RFC 4861, 4.6: source link-layer address, prefix information, MTU.
    private const byte OptionSourceLinkLayer = 1;
    private const byte OptionPrefixInformation = 3;
    private const byte OptionMtu = 5;

    // NOTE: RFC 4862, 5.1: one probe (DupAddrDetectTransmits) and RetransTimer's 1 s (RFC 4861,
    // 10) to hear an answer, Linux's defaults (dad_transmits, retrans_time_ms).
    public const long DuplicateDetectionTime = 1_000_000_000;

    // NOTE: RFC 4861, 10: MAX_RTR_SOLICITATIONS 3, RTR_SOLICITATION_INTERVAL 4 s.
    public const int MaximumRouterSolicitations = 3;

    public const long RouterSolicitationInterval = 4_000_000_000;

    // NOTE: a router solicitation is 8 bytes: type, code, checksum, 4 reserved (RFC 4861, 4.1).
    private const int RouterSolicitationLength = 8;

    // NOTE: a router advertisement is 16 bytes before its options (RFC 4861, 4.2).
    private const int RouterAdvertisementLength = 16;

    private readonly NetStack stack;
    private readonly NetInterface link;
    private readonly NeighborCache neighbors = new NeighborCache();
    private readonly RouterDiscovery routerDiscovery;
    private Ipv6Address[] addresses;
    private int[] prefixLengths;
    private readonly byte[] transmitBuffer;
    private readonly byte[] scratch;
    private readonly byte[] fragmentBuffer;
    private readonly Ipv6Reassembly reassembly;
    private WaitQueue? advertisementWaiters;
    private readonly Action<int> reassemblyExpired;
    private readonly Ipv6Address[] routers = new Ipv6Address[MaximumRouters];
    private readonly long[] routerExpires = new long[MaximumRouters];
    private readonly Ipv6Address[] prefixes = new Ipv6Address[MaximumPrefixes];
    private readonly int[] prefixLengthsLearned = new int[MaximumPrefixes];
    private readonly long[] prefixExpires = new long[MaximumPrefixes];
    private readonly Ipv6Address[] pathMtuDestinations = new Ipv6Address[MaximumPathMtus];
    private readonly int[] pathMtus = new int[MaximumPathMtus];
    private readonly long[] pathMtuExpires = new long[MaximumPathMtus];
    private bool[] tentative;
    private bool[] duplicate;
    private bool autoconfigure;
    private long tentativeUntil;
    private int routerSolicitations;
    private long nextRouterSolicitation;
    private Ipv6Address configuredRouter;
    private int linkMtu;
    private uint fragmentIdentification;

    // configured and prefixLengths: the project's addresses (Address6 of <UnikraftNet>), in order.
    public Ipv6Interface(NetStack stack, NetInterface link, Ipv6Address[] configured, int[] configuredPrefixLengths)
    {
        this.stack = stack;
        this.link = link;
        addresses = new Ipv6Address[configured.Length + 1];
        prefixLengths = new int[configured.Length + 1];
        // NOTE: the link-local prefix is fe80::/64 (RFC 4291, 2.5.6).
        addresses[0] = Ipv6Address.LinkLocalFromMac(link.Mac);
        prefixLengths[0] = 64;
        for (int index = 0; index < configured.Length; index++)
        {
            addresses[index + 1] = configured[index];
            prefixLengths[index + 1] = configuredPrefixLengths[index];
        }
        transmitBuffer = new byte[link.Device.Info.MaximumTransmitFrameLength];
        scratch = new byte[link.Mtu];
        fragmentBuffer = new byte[link.Mtu];
        linkMtu = link.Mtu;
        tentative = new bool[addresses.Length];
        duplicate = new bool[addresses.Length];
        reassembly = new Ipv6Reassembly(stack.Pool);
        reassemblyExpired = new Action<int>(ReassemblyExpired);
        // NOTE: RFC 7739, 5: fragment identifications should not be predictable; a counter from
        // a random start, as IPv4's identification.
        fragmentIdentification = stack.RandomUInt32();
        routerDiscovery = new RouterDiscovery(this);
    }

    // Router discovery as the boot and passt's rules see it (RouterDiscovery).
    public RouterDiscovery Routers => routerDiscovery;

    internal NetStack Stack => stack;

    // The address stateless autoconfiguration gave the interface (unspecified: none yet, or not
    // asked for: EnableAutoconfiguration).
    public Ipv6Address Autoconfigured { get; private set; }

    // From now on an advertised 64-bit prefix with the autonomous flag gives the interface an
    // address: the prefix and the modified EUI-64 of the MAC, the link-local address's interface
    // identifier (RFC 4862, 5.5.3). passt's `Address6="auto"`.
    public void EnableAutoconfiguration()
    {
        autoconfigure = true;
    }

    // Adds an address (a stateless autoconfigured one), unless it is there: used at once, as the
    // configured ones are.
    public void AddAddress(Ipv6Address address, int prefixLength)
    {
        if (IsOwn(address))
        {
            return;
        }
        int count = addresses.Length;
        Array.Resize(ref addresses, count + 1);
        Array.Resize(ref prefixLengths, count + 1);
        Array.Resize(ref tentative, count + 1);
        Array.Resize(ref duplicate, count + 1);
        addresses[count] = address;
        prefixLengths[count] = prefixLength;
    }

    // The first advertised on-link prefix still valid at now; false for none.
    public bool TryAdvertisedPrefix(long now, out Ipv6Address prefix, out int length)
    {
        for (int index = 0; index < prefixes.Length; index++)
        {
            if (prefixExpires[index] > now)
            {
                prefix = prefixes[index];
                length = prefixLengthsLearned[index];
                return true;
            }
        }
        prefix = Ipv6Address.Unspecified;
        length = 0;
        return false;
    }

    public Ipv6Reassembly Reassembly => reassembly;

    // Who waits for a router advertisement (the boot's RouterDiscovery.WaitForRouter): woken after
    // each one is taken, whatever it gave.
    public WaitQueue AdvertisementWaiters(Scheduler scheduler) => advertisementWaiters ??= new WaitQueue(scheduler);

    // The default router given by the project (Gateway6); an advertised one is used only when
    // there is none.
    public void ConfigureRouter(Ipv6Address router)
    {
        configuredRouter = router;
    }

    // The next hop for a destination off the link: the configured router, else the first
    // advertised one whose lifetime has not run out; false for none.
    public bool TryDefaultRouter(long now, out Ipv6Address router)
    {
        router = configuredRouter;
        if (!router.IsUnspecified)
        {
            return true;
        }
        for (int index = 0; index < routers.Length; index++)
        {
            if (!routers[index].IsUnspecified && routerExpires[index] > now)
            {
                router = routers[index];
                return true;
            }
        }
        return false;
    }

    // The MTU for packets to destination: the link's (as a router advertisement may lower it),
    // or less when a packet too big said so for that destination (RFC 8201) and has not expired.
    public int PathMtuTo(Ipv6Address destination)
    {
        long now = stack.Now;
        for (int index = 0; index < pathMtuDestinations.Length; index++)
        {
            if (pathMtuExpires[index] > now && pathMtuDestinations[index] == destination)
            {
                return Math.Min(pathMtus[index], linkMtu);
            }
        }
        return linkMtu;
    }

    public NeighborCache Neighbors => neighbors;

    public Ipv6Address LinkLocal => addresses[0];

    // The link's MTU: the device's, or less when a router advertisement's MTU option says so.
    public int Mtu => linkMtu;

    // As NetInterface.SegmentOffload: the longest packet holding one TCP segment the device cuts.
    public int SegmentOffload => link.SegmentOffload;

    // The link-local address first, then the configured ones.
    public int AddressCount => addresses.Length;

    public Ipv6Address AddressAt(int index) => addresses[index];

    public int PrefixLengthAt(int index) => prefixLengths[index];

    // One of this interface's addresses, not found duplicate.
    public bool IsOwn(Ipv6Address address) => IndexOf(address) >= 0;

    // Whether the address at index was found in use by another host (and is not used).
    public bool IsDuplicateAt(int index) => duplicate[index];

    // Whether the address at index is still under duplicate address detection (optimistic).
    public bool IsTentativeAt(int index) => tentative[index];

    private int IndexOf(Ipv6Address address)
    {
        for (int index = 0; index < addresses.Length; index++)
        {
            if (addresses[index] == address && !duplicate[index])
            {
                return index;
            }
        }
        return -1;
    }

    // RFC 4862, 5.4 with RFC 4429's optimistic addresses: a probe for each address; an
    // advertisement for one of them, or another host's probe for it, within
    // DuplicateDetectionTime marks it duplicate.
    public void StartDuplicateAddressDetection()
    {
        long now = stack.Now;
        for (int index = 0; index < addresses.Length; index++)
        {
            tentative[index] = true;
            Ipv6Address group = addresses[index].SolicitedNode;
            SendNeighborMessage(NdpNeighborMessage.Probe(addresses[index]), Ipv6Address.Unspecified, group, group.MulticastMac);
            stack.Counters.DuplicateAddressProbesSent++;
        }
        tentativeUntil = now + DuplicateDetectionTime;
        stack.ScheduleTick(tentativeUntil);
    }

    // RFC 4861, 6.3.7: with no configured router, ask the link's routers to advertise now rather
    // than at their next periodic advertisement (minutes apart): up to 3 solicitations 4 s
    // apart, until one answers. NOTE: from the link-local address, which is optimistic this early,
    // so without a source link-layer address option (RFC 4429, 3.2); and the first at once, not
    // after RFC 4861's random delay of up to a second, which spreads the hosts of a link booting
    // together (a unikernel boots alone).
    public void SolicitRouters()
    {
        routerSolicitations = 0;
        SendRouterSolicitation(stack.Now);
    }

    private void SendRouterSolicitation(long now)
    {
        routerSolicitations++;
        nextRouterSolicitation = routerSolicitations < MaximumRouterSolicitations ? now + RouterSolicitationInterval : 0;
        if (nextRouterSolicitation != 0)
        {
            stack.ScheduleTick(nextRouterSolicitation);
        }
        Span<byte> message = scratch.AsSpan(0, RouterSolicitationLength);
        message.Clear();
        Icmpv6Message.TryWrap(message, out Icmpv6Message view);
        new Icmpv6Header(Icmpv6Type.RouterSolicitation, 0, 0).Emit(view, addresses[0], Ipv6Address.AllRouters);
        Transmit(Ipv6Address.AllRouters.MulticastMac, addresses[0], Ipv6Address.AllRouters, IpProtocol.Icmpv6, message,
            Ipv6Header.NeighborDiscoveryHopLimit);
        stack.Counters.RouterSolicitationsSent++;
    }

    // RFC 4862, 5.4.5: the address is not used; the log says so, as Linux's "duplicate address
    // detected!".
    private void FoundDuplicate(int index)
    {
        duplicate[index] = true;
        tentative[index] = false;
        stack.Counters.DuplicateAddresses++;
        stack.Log.Write("[uk] net " + link.Name + ": ipv6 " + addresses[index].ToString()
            + " is in use by another host on the link (duplicate address detection, RFC 4862): not used");
    }

    // The groups this interface listens to: all-nodes and the solicited-node group of each of its
    // addresses (RFC 4291, 2.8).
    public bool IsJoined(Ipv6Address group)
    {
        if (group == Ipv6Address.AllNodes)
        {
            return true;
        }
        for (int index = 0; index < addresses.Length; index++)
        {
            if (addresses[index].SolicitedNode == group)
            {
                return true;
            }
        }
        return false;
    }

    // Whether a frame sent to mac is this interface's: its own address, or the 33:33 group
    // address of a group it joined (RFC 2464, 7). The devices do not filter, so this does.
    public bool AcceptsMac(MacAddress mac)
    {
        if (mac.Equals(link.Mac) || mac.Equals(Ipv6Address.AllNodes.MulticastMac))
        {
            return true;
        }
        for (int index = 0; index < addresses.Length; index++)
        {
            if (mac.Equals(addresses[index].SolicitedNode.MulticastMac))
            {
                return true;
            }
        }
        return false;
    }

    // On this link: the link-local prefix, one of the configured prefixes, or one a router
    // advertisement marked on-link and whose lifetime has not run out (RFC 4861, 6.3.4).
    public bool IsOnLink(Ipv6Address destination)
    {
        for (int index = 0; index < addresses.Length; index++)
        {
            if (destination.IsInSubnet(addresses[index], prefixLengths[index]))
            {
                return true;
            }
        }
        long now = stack.Now;
        for (int index = 0; index < prefixes.Length; index++)
        {
            if (prefixExpires[index] > now && destination.IsInSubnet(prefixes[index], prefixLengthsLearned[index]))
            {
                return true;
            }
        }
        return false;
    }

    // The address a packet to destination leaves from (RFC 6724's first rules, as far as they
    // matter here): link-local for a link-local or multicast destination, else the configured
    // address whose prefix holds the destination, else the first configured one.
    public Ipv6Address SourceFor(Ipv6Address destination)
    {
        int firstConfigured = -1;
        for (int index = 1; index < addresses.Length; index++)
        {
            if (duplicate[index])
            {
                continue;
            }
            if (firstConfigured < 0)
            {
                firstConfigured = index;
            }
            if (!destination.IsLinkLocal && !destination.IsMulticast && destination.IsInSubnet(addresses[index], prefixLengths[index]))
            {
                return addresses[index];
            }
        }
        return destination.IsLinkLocal || destination.IsMulticast || firstConfigured < 0 ? addresses[0] : addresses[firstConfigured];
    }

    // One IPv6 frame from the device (after its Ethernet header).
    public void Receive(Span<byte> bytes, in EthernetHeader ethernet) => Receive(bytes, ethernet, false);

    // checksumTrusted: the device vouched for the transport checksum (FrameOffload.ChecksumTrusted:
    // a TAP device's frame from the host may carry only the pseudo-header's sum), so UDP does not
    // check it.
    public void Receive(Span<byte> bytes, in EthernetHeader ethernet, bool checksumTrusted)
    {
        NetCounters counters = stack.Counters;
        counters.Ipv6Received++;
        if (!AcceptsMac(ethernet.Destination))
        {
            // Another host's unicast, or a group this interface did not join.
            counters.Ipv6NotForUs++;
            return;
        }
        if (!Ipv6Packet.TryWrap(bytes, out Ipv6Packet packet) || !Ipv6Header.TryParse(packet, out Ipv6Header header))
        {
            counters.Ipv6BadHeader++;
            return;
        }
        // NOTE: a multicast address is never a source (RFC 4291, 2.7), nor is the loopback address
        // on a wire (2.5.3).
        if (header.Source.IsMulticast || header.Source.IsLoopback || header.Destination.IsLoopback)
        {
            counters.Ipv6BadAddress++;
            return;
        }
        bool multicast = header.Destination.IsMulticast;
        if (multicast ? !IsJoined(header.Destination) : !IsOwn(header.Destination))
        {
            // Not ours: forwarding is a router's work, and this host does none.
            counters.Ipv6NotForUs++;
            return;
        }
        counters.Ipv6Delivered++;
        Dispatch(header, packet, ethernet.Source, checksumTrusted, false);
    }

    // Walks the packet's extension headers (RFC 8200, 4.1's order, as far as a host reads them)
    // to its upper-layer header and hands that on. reassembled: the packet was put together from
    // fragments (it carries no second fragment header).
    private void Dispatch(in Ipv6Header header, Ipv6Packet packet, MacAddress linkSource, bool checksumTrusted, bool reassembled)
    {
        NetCounters counters = stack.Counters;
        Span<byte> bytes = packet.Bytes;
        byte nextHeader = header.NextHeader;
        // Where the field naming nextHeader is (for a parameter problem's pointer), and where the
        // header it names starts.
        int nextHeaderField = NextHeaderOffset;
        int offset = Ipv6Packet.HeaderLength;
        while (true)
        {
            Span<byte> rest = bytes.Slice(offset);
            switch (nextHeader)
            {
                case IpProtocol.Icmpv6:
                    ReceiveIcmpv6(header, rest, linkSource);
                    return;
                case IpProtocol.Udp:
                    ReceiveUdp(header, packet, rest, checksumTrusted);
                    return;
                case IpProtocol.Tcp when stack.TransportFor(IpProtocol.Tcp) is IIpv6Transport tcp:
                    // TCP answers what no socket takes with RST itself (RFC 9293, 3.10.7.1).
                    tcp.Receive6(header.Source, header.Destination, rest, checksumTrusted);
                    return;
                case Ipv6ExtensionHeader.HopByHop:
                case Ipv6ExtensionHeader.DestinationOptions:
                    // NOTE: hop-by-hop options come right after the fixed header or not at all
                    // (RFC 8200, 4.3); elsewhere its number is unrecognized, as Linux answers it.
                    if (nextHeader == Ipv6ExtensionHeader.HopByHop && offset != Ipv6Packet.HeaderLength)
                    {
                        counters.Ipv6UnknownNextHeader++;
                        SendError(header, bytes, Icmpv6Header.ParameterProblem(Icmpv6Type.CodeUnrecognizedNextHeader, (uint)nextHeaderField));
                        return;
                    }
                    int optionsLength = ExtensionLength(rest);
                    if (optionsLength < 0 || !WalkOptions(header, bytes, offset, optionsLength))
                    {
                        counters.Ipv6ExtensionDropped++;
                        return;
                    }
                    nextHeaderField = offset;
                    nextHeader = rest[0];
                    offset += optionsLength;
                    break;
                case Ipv6ExtensionHeader.Routing:
                    int routingLength = ExtensionLength(rest);
                    if (routingLength < 0)
                    {
                        counters.Ipv6ExtensionDropped++;
                        return;
                    }
                    // NOTE: RFC 8200, 4.4: with no segments left the header is ignored; with some
                    // left, a routing type the node does not recognize is a parameter problem at
                    // the type (code 0). This host forwards nothing, so it recognizes none
                    // (type 0 is deprecated, RFC 5095, and is answered as Linux answers it).
                    if (rest[3] != 0)
                    {
                        counters.Ipv6ExtensionDropped++;
                        SendError(header, bytes, Icmpv6Header.ParameterProblem(Icmpv6Type.CodeErroneousHeaderField, (uint)(offset + 2)));
                        return;
                    }
                    nextHeaderField = offset;
                    nextHeader = rest[0];
                    offset += routingLength;
                    break;
                case Ipv6ExtensionHeader.Fragment:
                    if (reassembled || rest.Length < Ipv6FragmentHeader.Length)
                    {
                        counters.Ipv6ExtensionDropped++;
                        return;
                    }
                    Ipv6FragmentHeader fragment = Ipv6FragmentHeader.Read(rest);
                    if (fragment.Offset == 0 && !fragment.More)
                    {
                        // An atomic fragment (RFC 6946): the packet is whole, read on.
                        nextHeaderField = offset;
                        nextHeader = fragment.NextHeader;
                        offset += Ipv6FragmentHeader.Length;
                        break;
                    }
                    Reassemble(header, packet, offset, fragment, linkSource);
                    return;
                case Ipv6ExtensionHeader.NoNextHeader:
                    // RFC 8200, 4.7: nothing follows; dropped.
                    counters.Ipv6ExtensionDropped++;
                    return;
                default:
                    // RFC 8200, 4: a next header the host does not recognize is answered with a
                    // parameter problem, code 1, pointing at the field; Linux does so too
                    // (ip6_protocol_deliver_rcu), and the captured exchange in the tests shows it.
                    counters.Ipv6UnknownNextHeader++;
                    SendError(header, bytes, Icmpv6Header.ParameterProblem(Icmpv6Type.CodeUnrecognizedNextHeader, (uint)nextHeaderField));
                    return;
            }
        }
    }

    // The length of a hop-by-hop, destination options or routing header: (its second byte + 1)
    // eight-byte units (RFC 8200, 4.3, 4.4, 4.6); -1 when the packet ends inside it.
    private static int ExtensionLength(ReadOnlySpan<byte> rest)
    {
        if (rest.Length < 8)
        {
            return -1;
        }
        int length = (rest[1] + 1) * 8;
        return length <= rest.Length ? length : -1;
    }

    // The options of a hop-by-hop or destination options header at offset: padding and the
    // options this host does not know are skipped or refused as each option type's two high bits
    // say (RFC 8200, 4.2): 00 skip, 01 discard, 10 discard and answer with a parameter problem
    // (code 2) at the option, 11 the same unless the destination was a group. This host knows no
    // option beyond padding, so every other one goes by its bits (a router alert, 00, is skipped).
    // False: the packet is to be discarded.
    private bool WalkOptions(in Ipv6Header header, Span<byte> bytes, int offset, int length)
    {
        int position = offset + 2;
        int end = offset + length;
        while (position < end)
        {
            byte type = bytes[position];
            // NOTE: Pad1 (0) is a single byte; every other option is type, length, data (RFC 8200, 4.2).
            if (type == 0)
            {
                position++;
                continue;
            }
            if (position + 2 > end || position + 2 + bytes[position + 1] > end)
            {
                return false;
            }
            // NOTE: PadN is 1.
            if (type != 1)
            {
                int action = type >> 6;
                if (action == 1)
                {
                    return false;
                }
                if (action == 2 || (action == 3 && !header.Destination.IsMulticast))
                {
                    SendError(header, bytes, Icmpv6Header.ParameterProblem(Icmpv6Type.CodeUnrecognizedOption, (uint)position), true);
                    return false;
                }
                if (action == 3)
                {
                    return false;
                }
            }
            position += 2 + bytes[position + 1];
        }
        return true;
    }

    // A fragment (its fragment header at offset): into the reassembly; a packet it completes is
    // dispatched as one, from its fragment header's next header.
    private void Reassemble(in Ipv6Header header, Ipv6Packet packet, int offset, in Ipv6FragmentHeader fragment, MacAddress linkSource)
    {
        NetCounters counters = stack.Counters;
        counters.Ipv6FragmentsReceived++;
        long now = stack.Now;
        Span<byte> data = packet.Bytes.Slice(offset + Ipv6FragmentHeader.Length);
        int slot = reassembly.Add(header, fragment.Identification, fragment.Offset, fragment.More, fragment.NextHeader, offset, data,
            packet.Bytes, now);
        stack.ScheduleTick(now + Ipv6Reassembly.Timeout);
        if (slot < 0)
        {
            return;
        }
        counters.Ipv6Reassembled++;
        Span<byte> whole = reassembly.Packet(slot);
        if (Ipv6Packet.TryWrap(whole, out Ipv6Packet reassembledPacket) && Ipv6Header.TryParse(reassembledPacket, out Ipv6Header reassembledHeader))
        {
            Dispatch(reassembledHeader, reassembledPacket, linkSource, false, true);
        }
        reassembly.Release(slot);
    }

    // RFC 8200, 4.5: a packet whose first fragment came but which did not complete in time is
    // answered with time exceeded, code 1, quoting that fragment.
    private void ReassemblyExpired(int slot)
    {
        stack.Counters.Ipv6ReassemblyTimeouts++;
        ReadOnlySpan<byte> quote = reassembly.Quote(slot);
        if (quote.Length < Ipv6Packet.HeaderLength)
        {
            return;
        }
        Ipv6Address source = Ipv6Address.Read(quote.Slice(8));
        Ipv6Address destination = Ipv6Address.Read(quote.Slice(24));
        Ipv6Header quoted = new Ipv6Header(source, destination, quote[6], quote.Length - Ipv6Packet.HeaderLength, quote[7], 0, 0);
        SendError(quoted, quote, new Icmpv6Header(Icmpv6Type.TimeExceeded, Icmpv6Type.CodeReassemblyTimeExceeded, 0));
    }

    // UDP goes to the stack's UDP layer; a datagram no endpoint takes, or one that comes while no
    // program made a UDP socket, is answered with port unreachable (RFC 4443, 3.1, code 4; Linux's
    // __udp6_lib_rcv), but only once its checksum is right: a bad or zero one is dropped.
    private void ReceiveUdp(in Ipv6Header header, Ipv6Packet packet, Span<byte> payload, bool checksumTrusted)
    {
        if (stack.TransportFor(IpProtocol.Udp) is IIpv6Transport udp)
        {
            if (udp.Receive6(header.Source, header.Destination, payload, checksumTrusted))
            {
                return;
            }
        }
        else if (!UdpDatagram.TryWrap(payload, out UdpDatagram datagram) ||
            !UdpHeader.TryParse(datagram, header.Source, header.Destination, checksumTrusted, out _))
        {
            return;
        }
        stack.Counters.Udp6NoPort++;
        SendError(header, packet.Bytes, Icmpv6Header.DestinationUnreachable(Icmpv6Type.CodePortUnreachable));
    }

    private void ReceiveIcmpv6(in Ipv6Header header, Span<byte> payload, MacAddress linkSource)
    {
        if (!Icmpv6Message.TryWrap(payload, out Icmpv6Message message) ||
            !Icmpv6Header.TryParse(message, header.Source, header.Destination, out Icmpv6Header icmp))
        {
            stack.Counters.Icmpv6Bad++;
            return;
        }
        switch (icmp.Type)
        {
            case Icmpv6Type.NeighborSolicitation:
                ReceiveSolicitation(header, message, linkSource);
                break;
            case Icmpv6Type.NeighborAdvertisement:
                ReceiveAdvertisement(header, message);
                break;
            case Icmpv6Type.RouterAdvertisement:
                ReceiveRouterAdvertisement(header, message, linkSource);
                advertisementWaiters?.WakeAll();
                break;
            case Icmpv6Type.DestinationUnreachable:
            case Icmpv6Type.PacketTooBig:
            case Icmpv6Type.TimeExceeded:
            case Icmpv6Type.ParameterProblem:
                ReceiveError(header, icmp, message.Data);
                break;
            case Icmpv6Type.EchoRequest:
                if (KernelFeatures.IcmpEcho)
                {
                    AnswerEcho(header, payload, icmp);
                    return;
                }
                // UnikraftIcmpEcho=false: dropped unanswered, as with IPv4.
                stack.Counters.IcmpEchoIgnored++;
                break;
        }
    }

    // RFC 4861, 7.2.3 and 7.2.4: a solicitation for one of this interface's addresses teaches the
    // sender's link-layer address and is answered with an advertisement, to the sender (solicited)
    // or, for duplicate address detection from ::, to all nodes (unsolicited).
    private void ReceiveSolicitation(in Ipv6Header header, Icmpv6Message message, MacAddress linkSource)
    {
        if (!NdpNeighborMessage.TryParse(message, header, out NdpNeighborMessage solicitation))
        {
            stack.Counters.NeighborDropped++;
            return;
        }
        int own = IndexOf(solicitation.Target);
        if (own < 0)
        {
            return;
        }
        if (tentative[own] && header.Source.IsUnspecified)
        {
            // RFC 4862, 5.4.3: another host probes for the address this one is probing for.
            FoundDuplicate(own);
            return;
        }
        long now = stack.Now;
        MacAddress answerTo = linkSource;
        if (!header.Source.IsUnspecified && solicitation.HasLinkLayerAddress)
        {
            NeighborEntry? entry = neighbors.Learn(header.Source, solicitation.LinkLayerAddress, now, true);
            if (entry != null)
            {
                SendQueued(entry);
            }
            answerTo = solicitation.LinkLayerAddress;
        }
        bool fromUnspecified = header.Source.IsUnspecified;
        Ipv6Address destination = fromUnspecified ? Ipv6Address.AllNodes : header.Source;
        NdpNeighborMessage advertisement = NdpNeighborMessage.Advertisement(solicitation.Target, !fromUnspecified, !tentative[own], link.Mac);
        SendNeighborMessage(advertisement, solicitation.Target, destination, fromUnspecified ? destination.MulticastMac : answerTo);
        stack.Counters.NeighborAdvertisementsSent++;
    }

    // RFC 4861, 7.2.5: an advertisement updates an entry that exists (none is made for it).
    private void ReceiveAdvertisement(in Ipv6Header header, Icmpv6Message message)
    {
        if (!NdpNeighborMessage.TryParse(message, header, out NdpNeighborMessage advertisement))
        {
            stack.Counters.NeighborDropped++;
            return;
        }
        int own = IndexOf(advertisement.Target);
        if (own >= 0)
        {
            // RFC 4862, 5.4.4: another host answers for an address still under detection.
            if (tentative[own])
            {
                FoundDuplicate(own);
                return;
            }
            stack.Counters.NeighborDropped++;
            return;
        }
        long now = stack.Now;
        if (!advertisement.HasLinkLayerAddress)
        {
            if (advertisement.Solicited)
            {
                neighbors.Confirm(advertisement.Target, now);
            }
            return;
        }
        NeighborEntry? entry = neighbors.Learn(advertisement.Target, advertisement.LinkLayerAddress, now, false, advertisement.Solicited,
            advertisement.Override);
        if (entry != null)
        {
            SendQueued(entry);
        }
    }

    // RFC 4861, 6.1.2 and 6.3.4: an advertisement from a router on this link (a link-local source,
    // hop limit 255) makes it a default router for its lifetime (0: no longer one), teaches its
    // link-layer address, marks the prefixes it flags on-link for their valid lifetimes, and may
    // lower the link's MTU. Addresses are not made from its prefixes (no SLAAC, RFC 4862): the
    // project gives them.
    private void ReceiveRouterAdvertisement(in Ipv6Header header, Icmpv6Message message, MacAddress linkSource)
    {
        Span<byte> bytes = message.Bytes;
        if (!header.Source.IsLinkLocal || header.HopLimit != Ipv6Header.NeighborDiscoveryHopLimit || message.Code != 0 ||
            bytes.Length < RouterAdvertisementLength)
        {
            stack.Counters.RouterAdvertisementsDropped++;
            return;
        }
        // Options first: a malformed one (length 0, or past the end) refuses the whole message.
        int position = RouterAdvertisementLength;
        while (position < bytes.Length)
        {
            if (position + 2 > bytes.Length || bytes[position + 1] == 0 || position + bytes[position + 1] * 8 > bytes.Length)
            {
                stack.Counters.RouterAdvertisementsDropped++;
                return;
            }
            position += bytes[position + 1] * 8;
        }
        stack.Counters.RouterAdvertisementsReceived++;
        long now = stack.Now;
        // NOTE: the router lifetime is in seconds, at offset 6 (RFC 4861, 4.2).
        int lifetime = System.Buffers.Binary.BinaryPrimitives.ReadUInt16BigEndian(bytes.Slice(6));
        LearnRouter(header.Source, lifetime == 0 ? 0 : now + lifetime * 1_000_000_000L);
        for (position = RouterAdvertisementLength; position < bytes.Length; position += bytes[position + 1] * 8)
        {
            Span<byte> option = bytes.Slice(position, bytes[position + 1] * 8);
            switch (option[0])
            {
                case OptionSourceLinkLayer:
                    NeighborEntry? entry = neighbors.Learn(header.Source, MacAddress.Read(option.Slice(2)), now, true);
                    if (entry != null)
                    {
                        SendQueued(entry);
                    }
                    break;
                case OptionMtu:
                    // NOTE: RFC 4861, 6.3.4: an MTU below the minimum (1280, RFC 8200, 5) or above
                    // what the link can carry is ignored.
                    long mtu = System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(option.Slice(4));
                    if (option.Length == 8 && mtu >= Ipv6Packet.MinimumMtu && mtu <= link.Mtu)
                    {
                        linkMtu = (int)mtu;
                    }
                    break;
                case OptionPrefixInformation:
                    // NOTE: RFC 4861, 4.6.2: 32 bytes; prefix length at 2, the on-link flag (L) the
                    // high bit of 3, the valid lifetime (seconds, all ones: forever) at 4, the
                    // prefix at 16. The link-local prefix is ignored (6.3.4).
                    if (option.Length != 32 || (option[3] & 0x80) == 0 || option[2] > 128)
                    {
                        break;
                    }
                    Ipv6Address prefix = Ipv6Address.Read(option.Slice(16));
                    if (prefix.IsLinkLocal)
                    {
                        break;
                    }
                    uint valid = System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(option.Slice(4));
                    LearnPrefix(prefix, option[2], valid == uint.MaxValue ? long.MaxValue : valid == 0 ? 0 : now + valid * 1_000_000_000L);
                    // NOTE: the autonomous flag (A) is the next bit of 3; an address is made only
                    // from a 64-bit prefix, the length of an Ethernet interface identifier (RFC
                    // 4862, 5.5.3 (d); RFC 2464, 4).
                    if (autoconfigure && (option[3] & 0x40) != 0 && option[2] == 64 && valid != 0 && Autoconfigured.IsUnspecified)
                    {
                        Autoconfigured = new Ipv6Address(prefix.High, addresses[0].Low);
                        AddAddress(Autoconfigured, 64);
                        stack.Counters.AddressesAutoconfigured++;
                    }
                    break;
            }
        }
    }

    // Adds, refreshes or (expires 0) removes an advertised router.
    private void LearnRouter(Ipv6Address router, long expires)
    {
        long now = stack.Now;
        int free = -1;
        for (int index = 0; index < routers.Length; index++)
        {
            if (routers[index] == router)
            {
                routerExpires[index] = expires;
                return;
            }
            if (free < 0 && (routers[index].IsUnspecified || routerExpires[index] <= now))
            {
                free = index;
            }
        }
        if (expires != 0 && free >= 0)
        {
            routers[free] = router;
            routerExpires[free] = expires;
        }
    }

    private void LearnPrefix(Ipv6Address prefix, int length, long expires)
    {
        long now = stack.Now;
        int free = -1;
        for (int index = 0; index < prefixes.Length; index++)
        {
            if (prefixExpires[index] > now && prefixLengthsLearned[index] == length && prefixes[index].IsInSubnet(prefix, length))
            {
                prefixExpires[index] = expires;
                return;
            }
            if (free < 0 && prefixExpires[index] <= now)
            {
                free = index;
            }
        }
        if (expires != 0 && free >= 0)
        {
            prefixes[free] = prefix;
            prefixLengthsLearned[free] = length;
            prefixExpires[free] = expires;
        }
    }

    // An ICMPv6 error (RFC 4443, 3) quotes as much of the packet it is about as fits; when that
    // packet left from this host's address the error came back to, its transport hears of it
    // (RFC 4443, 2.4 (a)), and a packet too big lowers the path MTU to its destination first
    // (RFC 8201, 4). The quoted packet's extension headers are walked to its transport header.
    private void ReceiveError(in Ipv6Header header, in Icmpv6Header icmp, ReadOnlySpan<byte> quoted)
    {
        if (quoted.Length < Ipv6Packet.HeaderLength || (quoted[0] >> 4) != 6)
        {
            return;
        }
        stack.Counters.Icmpv6ErrorsReceived++;
        Ipv6Address local = Ipv6Address.Read(quoted.Slice(8));
        Ipv6Address remote = Ipv6Address.Read(quoted.Slice(24));
        if (local != header.Destination)
        {
            return;
        }
        if (icmp.Type == Icmpv6Type.PacketTooBig)
        {
            LowerPathMtu(remote, icmp.RestOfHeader);
        }
        byte nextHeader = quoted[NextHeaderOffset];
        int offset = Ipv6Packet.HeaderLength;
        while (nextHeader == Ipv6ExtensionHeader.HopByHop || nextHeader == Ipv6ExtensionHeader.DestinationOptions ||
            nextHeader == Ipv6ExtensionHeader.Routing || nextHeader == Ipv6ExtensionHeader.Fragment)
        {
            if (quoted.Length < offset + 8)
            {
                return;
            }
            if (nextHeader == Ipv6ExtensionHeader.Fragment)
            {
                // NOTE: only the first fragment carries the transport header (offset 0).
                if ((System.Buffers.Binary.BinaryPrimitives.ReadUInt16BigEndian(quoted.Slice(offset + 2)) & 0xFFF8) != 0)
                {
                    return;
                }
                nextHeader = quoted[offset];
                offset += Ipv6FragmentHeader.Length;
                continue;
            }
            nextHeader = quoted[offset];
            offset += (quoted[offset + 1] + 1) * 8;
        }
        if (offset + 8 > quoted.Length)
        {
            return;
        }
        if (stack.TransportFor(nextHeader) is IIcmpv6ErrorTransport transport)
        {
            transport.ReceiveIcmpv6Error(icmp.Type, icmp.Code, icmp.RestOfHeader, local, remote, quoted.Slice(offset));
        }
    }

    // RFC 8201, 4 and 5.1: a path MTU is never raised by a packet too big, never set below 1280
    // (a smaller one is taken as 1280), and forgotten after PathMtuTimeout.
    private void LowerPathMtu(Ipv6Address destination, uint mtu)
    {
        int value = (int)Math.Max(Math.Min(mtu, (uint)linkMtu), (uint)Ipv6Packet.MinimumMtu);
        long now = stack.Now;
        int slot = -1;
        long oldest = long.MaxValue;
        for (int index = 0; index < pathMtuDestinations.Length; index++)
        {
            if (pathMtuExpires[index] > now && pathMtuDestinations[index] == destination)
            {
                if (value < pathMtus[index])
                {
                    pathMtus[index] = value;
                    pathMtuExpires[index] = now + PathMtuTimeout;
                    stack.Counters.Ipv6PathMtuLowered++;
                }
                return;
            }
            long expires = pathMtuExpires[index] > now ? pathMtuExpires[index] : 0;
            if (expires < oldest)
            {
                oldest = expires;
                slot = index;
            }
        }
        if (value >= linkMtu)
        {
            return;
        }
        pathMtuDestinations[slot] = destination;
        pathMtus[slot] = value;
        pathMtuExpires[slot] = now + PathMtuTimeout;
        stack.Counters.Ipv6PathMtuLowered++;
    }

    // RFC 4443, 4.2: the reply carries the request's identifier, sequence number and data; it
    // leaves from the address the request went to, or for a request to a group, from this
    // interface's link-local address.
    private void AnswerEcho(in Ipv6Header header, Span<byte> payload, in Icmpv6Header icmp)
    {
        if (icmp.Code != 0 || header.Source.IsUnspecified)
        {
            return;
        }
        Ipv6Address source = header.Destination.IsMulticast ? SourceFor(header.Source) : header.Destination;
        // A request that came in fragments may be longer than the MTU; its reply leaves in
        // fragments too, built in a pooled buffer.
        byte[]? rented = payload.Length > scratch.Length ? stack.Pool.Rent(payload.Length) : null;
        Span<byte> reply = rented != null ? rented.AsSpan(0, payload.Length) : scratch.AsSpan(0, payload.Length);
        payload.CopyTo(reply);
        Icmpv6Message.TryWrap(reply, out Icmpv6Message replyMessage);
        new Icmpv6Header(Icmpv6Type.EchoReply, 0, icmp.RestOfHeader).Emit(replyMessage, source, header.Source);
        if (Output(source, header.Source, IpProtocol.Icmpv6, reply) == 0)
        {
            stack.Counters.Icmpv6EchoReplies++;
        }
        if (rented != null)
        {
            stack.Pool.Return(rented);
        }
    }

    // Sends an ICMPv6 error about a received packet, unless RFC 4443, 2.4 (e) forbids one: never
    // about an ICMPv6 error, a packet sent to a group, or one whose source is not one host. Errors
    // share the stack's rate limit (2.4 (f)).
    private void SendError(in Ipv6Header header, ReadOnlySpan<byte> offending, in Icmpv6Header error) =>
        SendError(header, offending, error, false);

    // evenToGroup: the error is one RFC 4443, 2.4 (e.3) lets answer a packet sent to a group (a
    // parameter problem about an option whose type's high bits are 10); it leaves from this
    // interface's unicast address then.
    private void SendError(in Ipv6Header header, ReadOnlySpan<byte> offending, in Icmpv6Header error, bool evenToGroup)
    {
        if ((header.Destination.IsMulticast && !evenToGroup) || header.Source.IsUnspecified || header.Source.IsMulticast)
        {
            return;
        }
        if (!stack.TakeIcmpToken())
        {
            stack.Counters.IcmpRateLimited++;
            return;
        }
        int quoted = Math.Min(offending.Length, Math.Min(ErrorLimit, scratch.Length) - Ipv6Packet.HeaderLength - Icmpv6Message.HeaderLength);
        Span<byte> message = scratch.AsSpan(0, Icmpv6Message.HeaderLength + quoted);
        offending.Slice(0, quoted).CopyTo(message.Slice(Icmpv6Message.HeaderLength));
        Icmpv6Message.TryWrap(message, out Icmpv6Message view);
        Ipv6Address source = header.Destination.IsMulticast ? SourceFor(header.Source) : header.Destination;
        error.Emit(view, source, header.Source);
        if (Output(source, header.Source, IpProtocol.Icmpv6, message) == 0)
        {
            stack.Counters.Icmpv6ErrorsSent++;
        }
    }

    // Sends one packet: to an on-link destination, or through the default router to one off the
    // link; at once when the next hop's link-layer address is known (or the destination is a
    // group), else behind a neighbor solicitation; in fragments when it is longer than the path's
    // MTU (RFC 8200, 4.5). 0, or -errno: -ENETUNREACH (not on this link and no router),
    // -EMSGSIZE (longer than an IPv6 payload can be), -EHOSTUNREACH (resolution gave up), -ENOBUFS.
    public int Output(Ipv6Address source, Ipv6Address destination, byte nextHeader, ReadOnlySpan<byte> payload)
    {
        if (payload.Length > Ipv6Packet.MaximumPayloadLength)
        {
            return -Errno.EMSGSIZE;
        }
        int mtu = destination.IsMulticast ? linkMtu : PathMtuTo(destination);
        if (Ipv6Packet.HeaderLength + payload.Length <= mtu)
        {
            return OutputOne(source, destination, nextHeader, payload);
        }
        return OutputFragments(source, destination, nextHeader, payload, mtu);
    }

    // RFC 8200, 4.5: the payload (this host adds no extension headers, so all of it is the
    // fragmentable part) cut into pieces of a multiple of 8 bytes that fit the MTU behind the
    // fixed header and a fragment header, all with one identification.
    private int OutputFragments(Ipv6Address source, Ipv6Address destination, byte nextHeader, ReadOnlySpan<byte> payload, int mtu)
    {
        int piece = (mtu - Ipv6Packet.HeaderLength - Ipv6FragmentHeader.Length) & ~(Ipv6Reassembly.FragmentUnit - 1);
        uint identification = fragmentIdentification++;
        for (int offset = 0; offset < payload.Length; offset += piece)
        {
            int length = Math.Min(piece, payload.Length - offset);
            Span<byte> fragment = fragmentBuffer.AsSpan(0, Ipv6FragmentHeader.Length + length);
            new Ipv6FragmentHeader(nextHeader, offset, offset + length < payload.Length, identification).Write(fragment);
            payload.Slice(offset, length).CopyTo(fragment.Slice(Ipv6FragmentHeader.Length));
            int sent = OutputOne(source, destination, Ipv6ExtensionHeader.Fragment, fragment);
            if (sent < 0)
            {
                return sent;
            }
            stack.Counters.Ipv6FragmentsSent++;
        }
        return 0;
    }

    // The neighbor a packet to destination goes to: itself on the link, else the default router.
    private bool TryNextHop(Ipv6Address destination, long now, out Ipv6Address nextHop)
    {
        nextHop = destination;
        return IsOnLink(destination) || TryDefaultRouter(now, out nextHop);
    }

    private int OutputOne(Ipv6Address source, Ipv6Address destination, byte nextHeader, ReadOnlySpan<byte> payload)
    {
        if (destination.IsMulticast)
        {
            return Transmit(destination.MulticastMac, source, destination, nextHeader, payload, Ipv6Header.DefaultHopLimit);
        }
        long now = stack.Now;
        if (!TryNextHop(destination, now, out Ipv6Address nextHop))
        {
            return -Errno.ENETUNREACH;
        }
        if (neighbors.TryUse(nextHop, now, out MacAddress mac, out long probeDue))
        {
            if (probeDue != long.MaxValue)
            {
                stack.ScheduleTick(probeDue);
            }
            return Transmit(mac, source, destination, nextHeader, payload, Ipv6Header.DefaultHopLimit);
        }
        NeighborEntry? entry = neighbors.Resolving(nextHop, now);
        if (entry == null)
        {
            return -Errno.ENOBUFS;
        }
        if (entry.FailedUntil != 0)
        {
            if (entry.FailedUntil > now)
            {
                return -Errno.EHOSTUNREACH;
            }
            entry.FailedUntil = 0;
            entry.Requests = 0;
        }
        byte[] buffer = stack.Pool.Rent(payload.Length);
        payload.CopyTo(buffer);
        if (!neighbors.Enqueue(entry, new PendingPacket6(buffer, payload.Length, source, destination, nextHeader), stack.Pool, out bool droppedOne))
        {
            stack.Pool.Return(buffer);
            return -Errno.ENOBUFS;
        }
        if (droppedOne)
        {
            stack.Counters.NeighborQueueDropped++;
        }
        if (entry.Requests == 0)
        {
            SendSolicitation(entry, now);
        }
        return 0;
    }

    // As NetInterface.OutputTcpOffloaded, over IPv6: one TCP segment (its checksum field holding
    // the pseudo-header's sum) for the device to complete and, longer than the MTU allows, to cut
    // into segments of segmentSize data bytes; only to a neighbor whose link-layer address is known
    // (-EHOSTUNREACH otherwise, and TCP sends the pieces one by one, behind neighbor discovery).
    public int OutputTcpOffloaded(Ipv6Address source, Ipv6Address destination, ReadOnlySpan<byte> segment, int segmentSize)
    {
        int packetLength = Ipv6Packet.HeaderLength + segment.Length;
        if (SegmentOffload == 0 || packetLength > SegmentOffload || segment.Length < TcpSegment.HeaderLength || destination.IsMulticast)
        {
            return -Errno.EMSGSIZE;
        }
        long now = stack.Now;
        if (!TryNextHop(destination, now, out Ipv6Address nextHop) || !neighbors.TryUse(nextHop, now, out MacAddress mac, out long probeDue))
        {
            return -Errno.EHOSTUNREACH;
        }
        if (probeDue != long.MaxValue)
        {
            stack.ScheduleTick(probeDue);
        }
        int frameLength = EthernetFrame.HeaderLength + packetLength;
        Span<byte> frame = transmitBuffer.AsSpan(0, frameLength);
        EthernetFrame.TryWrap(frame, out EthernetFrame ethernet);
        new EthernetHeader(mac, link.Mac, EtherType.Ipv6).Emit(ethernet);
        new Ipv6Header(source, destination, IpProtocol.Tcp, segment.Length, Ipv6Header.DefaultHopLimit, 0, 0).TryEmit(ethernet.Payload);
        segment.CopyTo(ethernet.Payload.Slice(Ipv6Packet.HeaderLength));
        const int checksumStart = EthernetFrame.HeaderLength + Ipv6Packet.HeaderLength;
        FrameOffload offload = packetLength > PathMtuTo(destination)
            ? FrameOffload.SegmentTcp6(checksumStart, TcpSegment.ChecksumOffset, checksumStart + TcpSegment.HeaderLengthOf(segment), segmentSize)
            : FrameOffload.CompleteChecksum(checksumStart, TcpSegment.ChecksumOffset);
        if (!link.Device.TryTransmit(frame, offload))
        {
            stack.Counters.TransmitRefused++;
            return -Errno.ENOBUFS;
        }
        stack.Counters.FramesSent++;
        if (offload.IsSegmented)
        {
            stack.Counters.SegmentOffloadsSent++;
        }
        return 0;
    }

    // Retries due solicitations, gives up on neighbors that never answered, probes neighbors in
    // DELAY and PROBE and removes those that stopped answering (RFC 4861, 7.3.3); returns the next
    // deadline.
    public long Tick(long now)
    {
        long expiring = reassembly.Expire(now, reassemblyExpired);
        if (nextRouterSolicitation != 0)
        {
            if (TryDefaultRouter(now, out _))
            {
                nextRouterSolicitation = 0;
            }
            else if (nextRouterSolicitation <= now)
            {
                SendRouterSolicitation(now);
            }
            if (nextRouterSolicitation != 0)
            {
                expiring = Math.Min(expiring, nextRouterSolicitation);
            }
        }
        if (tentativeUntil != 0)
        {
            if (tentativeUntil <= now)
            {
                tentativeUntil = 0;
                Array.Clear(tentative);
            }
            else
            {
                expiring = Math.Min(expiring, tentativeUntil);
            }
        }
        List<NeighborEntry> due = neighbors.Due(now, out long next);
        next = Math.Min(next, expiring);
        for (int index = 0; index < due.Count; index++)
        {
            NeighborEntry entry = due[index];
            if (entry.State == NeighborState.Delay)
            {
                // NOTE: no confirmation in DELAY_FIRST_PROBE_TIME: probe by unicast (7.3.3).
                entry.State = NeighborState.Probe;
                entry.Requests = 0;
            }
            if (entry.State == NeighborState.Probe)
            {
                if (entry.Requests >= NeighborCache.MaximumProbes)
                {
                    // NOTE: RFC 4861, 7.3.3: the entry is deleted; the next packet resolves the
                    // address again from scratch, by multicast.
                    stack.Counters.NeighborUnreachable++;
                    neighbors.Remove(entry);
                    DropUnreachable(entry);
                    continue;
                }
                SendSolicitation(entry, now, true);
            }
            else
            {
                if (entry.Requests >= NeighborCache.MaximumRequests)
                {
                    stack.Counters.NeighborGaveUp++;
                    entry.FailedUntil = now + NeighborCache.FailedHold;
                    DropUnreachable(entry);
                    continue;
                }
                SendSolicitation(entry, now);
            }
            if (entry.NextRequest < next)
            {
                next = entry.NextRequest;
            }
        }
        return next;
    }

    private void SendQueued(NeighborEntry entry)
    {
        while (neighbors.TryDequeue(entry, out PendingPacket6 packet))
        {
            Transmit(entry.Mac, packet.Source, packet.Destination, packet.NextHeader, packet.Buffer.AsSpan(0, packet.Length),
                Ipv6Header.DefaultHopLimit);
            stack.Pool.Return(packet.Buffer);
        }
    }

    // RFC 4861, 7.2.2: a multicast solicitation to the target's solicited-node group, with this
    // host's link-layer address, from the address the waiting packets will leave from; a probe
    // (7.3.3, unicast) goes to the neighbor itself at the link-layer address the entry has.
    private void SendSolicitation(NeighborEntry entry, long now, bool unicast = false)
    {
        entry.Requests++;
        entry.NextRequest = now + NeighborCache.RequestInterval;
        stack.ScheduleTick(entry.NextRequest);
        NdpNeighborMessage solicitation = NdpNeighborMessage.Solicitation(entry.Address, link.Mac);
        if (unicast)
        {
            SendNeighborMessage(solicitation, SourceFor(entry.Address), entry.Address, entry.Mac);
            stack.Counters.NeighborProbesSent++;
        }
        else
        {
            Ipv6Address group = entry.Address.SolicitedNode;
            SendNeighborMessage(solicitation, SourceFor(entry.Address), group, group.MulticastMac);
        }
        stack.Counters.NeighborSolicitationsSent++;
    }

    // The packets that waited for a neighbor found unreachable are dropped, and each one's
    // transport hears of it as of an ICMPv6 address unreachable about it (RFC 4861, 7.2.2: "the
    // sender MUST return ICMP destination unreachable indications with code 3"; Linux's
    // ndisc_error_report sends it to the packet's own source, this host, so TCP's connect fails
    // with EHOSTUNREACH). A fragment's transport header may be in another fragment: only whole
    // packets are reported.
    private void DropUnreachable(NeighborEntry entry)
    {
        while (neighbors.TryDequeue(entry, out PendingPacket6 packet))
        {
            stack.Counters.NeighborQueueDropped++;
            if (packet.Length >= 8 && stack.TransportFor(packet.NextHeader) is IIcmpv6ErrorTransport transport)
            {
                transport.ReceiveIcmpv6Error(Icmpv6Type.DestinationUnreachable, Icmpv6Type.CodeAddressUnreachable, 0, packet.Source,
                    packet.Destination, packet.Buffer.AsSpan(0, packet.Length));
            }
            stack.Pool.Return(packet.Buffer);
        }
    }

    // An upper layer's confirmation that destination's next hop is reachable (RFC 4861, 7.3.1:
    // a connection's forward progress, Linux's dst_confirm), so it is not probed.
    public void ConfirmReachable(Ipv6Address destination)
    {
        long now = stack.Now;
        if (!destination.IsMulticast && TryNextHop(destination, now, out Ipv6Address nextHop))
        {
            neighbors.Confirm(nextHop, now);
        }
    }

    private void SendNeighborMessage(in NdpNeighborMessage neighbor, Ipv6Address source, Ipv6Address destination, MacAddress mac)
    {
        Span<byte> message = scratch.AsSpan(0, neighbor.Length);
        message.Clear();
        Icmpv6Message.TryWrap(message, out Icmpv6Message view);
        neighbor.Emit(view, source, destination);
        Transmit(mac, source, destination, IpProtocol.Icmpv6, message, Ipv6Header.NeighborDiscoveryHopLimit);
    }

    private int Transmit(MacAddress mac, Ipv6Address source, Ipv6Address destination, byte nextHeader, ReadOnlySpan<byte> payload,
        byte hopLimit)
    {
        int frameLength = EthernetFrame.HeaderLength + Ipv6Packet.HeaderLength + payload.Length;
        Span<byte> frame = transmitBuffer.AsSpan(0, frameLength);
        EthernetFrame.TryWrap(frame, out EthernetFrame ethernet);
        new EthernetHeader(mac, link.Mac, EtherType.Ipv6).Emit(ethernet);
        new Ipv6Header(source, destination, nextHeader, payload.Length, hopLimit, 0, 0).TryEmit(ethernet.Payload);
        payload.CopyTo(ethernet.Payload.Slice(Ipv6Packet.HeaderLength));
        if (!link.Device.TryTransmit(frame))
        {
            stack.Counters.TransmitRefused++;
            return -Errno.ENOBUFS;
        }
        stack.Counters.FramesSent++;
        return 0;
    }
}
