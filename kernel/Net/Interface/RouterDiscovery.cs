namespace Unikraft.Kernel;

using System;

// Router discovery for one IPv6 interface (RFC 4861, 6.3): once Solicit is called, router
// solicitations go out (at most three, four seconds apart, 6.3.7) until a router advertises; an
// advertisement from a link-local address makes its source the default router for its lifetime
// (6.3.4; a lifetime of zero removes it), teaches its link-layer address, and makes its prefix
// on-link. With autoconfiguration on, a 64-bit prefix with the autonomous flag also gives the
// interface an address, the prefix and the modified EUI-64 of the MAC (RFC 4862, 5.5.3; the
// link-local address's interface identifier). Without Solicit, advertisements are ignored, as
// on an interface whose IPv6 is all configured by hand.
// NOTE: one router and one prefix are kept (the last advertised), enough for passt, which is the
// only router on its link; the prefix's and the address's lifetimes are not counted down, and the
// managed flag (DHCPv6, RFC 8415) is not followed: passt's DHCPv6 offers the host's own address,
// which the kernel would then share with the host, so the kernel keeps its EUI-64 address, which
// passt accepts (it answers every neighbor solicitation and replies to the address it last saw).
internal sealed class RouterDiscovery
{
    // NOTE: MAX_RTR_SOLICITATIONS 3, RTR_SOLICITATION_INTERVAL 4 s (RFC 4861, 10).
    public const int MaximumSolicitations = 3;

    public const long SolicitationInterval = 4_000_000_000;

    private const long NanosecondsPerSecond = 1_000_000_000;

    private readonly Ipv6Interface owner;
    private bool soliciting;
    private bool autoconfigure;
    private int solicitations;
    private long nextSolicitation = long.MaxValue;
    private Ipv6Address router;
    private long routerExpires;
    private Ipv6Address prefix;
    private int prefixLength;

    public RouterDiscovery(Ipv6Interface owner)
    {
        this.owner = owner;
    }

    // Whether Solicit was called: the interface takes its router from advertisements.
    public bool Enabled => soliciting;

    // The address autoconfiguration gave the interface (unspecified: none yet, or not asked for).
    public Ipv6Address Autoconfigured { get; private set; }

    // The default router at now (unspecified: none).
    public Ipv6Address Router(long now) => !router.IsUnspecified && routerExpires > now ? router : Ipv6Address.Unspecified;

    // The advertised on-link prefix (unspecified with length 0: none).
    public Ipv6Address Prefix => prefix;

    public int PrefixLength => prefixLength;

    public bool IsOnLinkPrefix(Ipv6Address destination) =>
        prefixLength > 0 && destination.IsInSubnet(prefix, prefixLength);

    // Starts router discovery; autoconfigure: also take an address from an autonomous prefix.
    public void Solicit(bool autoconfigureAddress)
    {
        soliciting = true;
        autoconfigure = autoconfigureAddress;
        solicitations = 0;
        SendSolicitation(owner.Stack.Now);
    }

    public void Receive(in Ipv6Header header, Icmpv6Message message)
    {
        if (!soliciting)
        {
            return;
        }
        NetStack stack = owner.Stack;
        if (!NdpRouterAdvertisement.TryParse(message, header, out NdpRouterAdvertisement advertisement))
        {
            stack.Counters.NeighborDropped++;
            return;
        }
        stack.Counters.RouterAdvertisementsReceived++;
        long now = stack.Now;
        if (advertisement.HasLinkLayerAddress)
        {
            owner.LearnRouter(header.Source, advertisement.LinkLayerAddress);
        }
        if (advertisement.RouterLifetimeSeconds == 0)
        {
            if (router == header.Source)
            {
                router = Ipv6Address.Unspecified;
            }
        }
        else
        {
            router = header.Source;
            routerExpires = now + advertisement.RouterLifetimeSeconds * NanosecondsPerSecond;
            nextSolicitation = long.MaxValue;
        }
        // NOTE: a prefix with a valid lifetime of zero is removed, and the link-local prefix is
        // never taken from an advertisement (RFC 4861, 6.3.4; RFC 4862, 5.5.3 (b)).
        if (!advertisement.HasPrefix || advertisement.Prefix.IsLinkLocal)
        {
            return;
        }
        if (advertisement.ValidLifetimeSeconds == 0)
        {
            if (advertisement.Prefix == prefix && advertisement.PrefixLength == prefixLength)
            {
                prefixLength = 0;
                prefix = Ipv6Address.Unspecified;
            }
            return;
        }
        if (advertisement.OnLink)
        {
            prefix = advertisement.Prefix;
            prefixLength = advertisement.PrefixLength;
        }
        // NOTE: an autonomous prefix makes an address only with a 64-bit prefix, the length of
        // an Ethernet interface identifier (RFC 4862, 5.5.3 (d); RFC 2464, 4).
        if (autoconfigure && advertisement.Autonomous && advertisement.PrefixLength == 64 && Autoconfigured.IsUnspecified)
        {
            Ipv6Address address = new Ipv6Address(advertisement.Prefix.High, owner.LinkLocal.Low);
            owner.AddAddress(address, 64);
            Autoconfigured = address;
            stack.Counters.AddressesAutoconfigured++;
        }
    }

    // Sends the next solicitation when one is due; returns the next deadline.
    public long Tick(long now)
    {
        if (soliciting && now >= nextSolicitation && Router(now).IsUnspecified)
        {
            SendSolicitation(now);
        }
        return soliciting && Router(now).IsUnspecified ? nextSolicitation : long.MaxValue;
    }

    private void SendSolicitation(long now)
    {
        if (solicitations >= MaximumSolicitations)
        {
            nextSolicitation = long.MaxValue;
            return;
        }
        solicitations++;
        owner.SendRouterSolicitation();
        nextSolicitation = now + SolicitationInterval;
        owner.Stack.ScheduleTick(nextSolicitation);
    }
}
