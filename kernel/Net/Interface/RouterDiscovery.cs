namespace Unikraft.Kernel;

// Router discovery of one IPv6 interface as the boot (NetBoot.SolicitRouters) and passt's
// host-loopback rule (HostLoopbackForwards) ask for it. The work is the interface's (RFC 4861,
// 6.3: solicitations at most three, four seconds apart; advertisements from a link-local source
// with hop limit 255 give the default router for its lifetime, its link-layer address, the
// on-link prefixes and the MTU): this says what it found, and asks for an address from the
// prefix (passt's `Address6="auto"`).
// NOTE: the managed flag (DHCPv6, RFC 8415) is not followed: passt's DHCPv6 offers the host's
// own address, which the kernel would then share with the host, so the kernel keeps its EUI-64
// address, which passt accepts (it answers every neighbor solicitation and replies to the address
// it last saw).
internal sealed class RouterDiscovery
{
    private readonly Ipv6Interface owner;

    public RouterDiscovery(Ipv6Interface owner)
    {
        this.owner = owner;
    }

    // The address autoconfiguration gave the interface (unspecified: none yet, or not asked for).
    public Ipv6Address Autoconfigured => owner.Autoconfigured;

    // The default router at now (unspecified: none).
    public Ipv6Address Router(long now) => owner.TryDefaultRouter(now, out Ipv6Address router) ? router : Ipv6Address.Unspecified;

    // The first advertised on-link prefix (unspecified with length 0: none).
    public Ipv6Address Prefix => owner.TryAdvertisedPrefix(owner.Stack.Now, out Ipv6Address prefix, out _) ? prefix : Ipv6Address.Unspecified;

    public int PrefixLength => owner.TryAdvertisedPrefix(owner.Stack.Now, out _, out int length) ? length : 0;

    // Blocks the caller on the scheduler until an advertisement gives a default router or the
    // monotonic deadline passes: the kernel's other work runs meanwhile, the device's frames are
    // taken by its interrupt, and no CPU is spent waiting. Returns the router (unspecified: none).
    public Ipv6Address WaitForRouter(Scheduler scheduler, long deadline)
    {
        NetStack stack = owner.Stack;
        while (Router(stack.Now).IsUnspecified && stack.Now < deadline)
        {
            owner.AdvertisementWaiters(scheduler).Wait(deadline);
        }
        return Router(stack.Now);
    }

    // Solicits routers now; autoconfigureAddress: also take an address from an autonomous prefix.
    public void Solicit(bool autoconfigureAddress)
    {
        if (autoconfigureAddress)
        {
            owner.EnableAutoconfiguration();
        }
        owner.SolicitRouters();
    }
}
