namespace Unikraft.Kernel;

// The network's part of the boot: one call per <UnikraftNet> item, after the mounts and before
// the program runs. The stack and the device table are made by the first call; each item's name
// servers (its Dns) join the stack's list, in order, for the resolver.
internal static class NetBoot
{
    public static NetInterface Attach(Kernel kernel, string name, INetDevice device, Ipv4Address address, int prefixLength, Ipv4Address gateway,
        Ipv4Address[] nameServers)
    {
        // The stack keeps its timers on the kernel's clock and draws IP identifications (and
        // TCP's initial sequence numbers) from the kernel's random device. Their boot steps run
        // before this one; naming them here keeps them in every image with a network.
        if (kernel.Clock == null)
        {
            ClockBoot.AttachClock(kernel);
        }
        if (kernel.RandomDevice == null)
        {
            RandomBoot.AttachRandom(kernel);
        }
        kernel.NetDevices ??= new NetDeviceTable();
        kernel.NetDevices.Attach(name, device);
        kernel.Net ??= new NetStack(kernel);
        NetInterface netInterface = kernel.Net.AddInterface(name, device, address, prefixLength, gateway);
        for (int index = 0; index < nameServers.Length; index++)
        {
            if (!kernel.Net.NameServers.Contains(nameServers[index]))
            {
                kernel.Net.NameServers.Add(nameServers[index]);
            }
        }
        netInterface.Announce();
        kernel.Log.Write("[uk] net " + name + ": " + address.ToString() + "/" + prefixLength.ToString(System.Globalization.CultureInfo.InvariantCulture)
            + (gateway.IsAny ? "" : " via " + gateway.ToString()) + ", " + device.Info.Mac.ToString() + ", mtu "
            + device.Info.Mtu.ToString(System.Globalization.CultureInfo.InvariantCulture)
            + (nameServers.Length > 0 ? ", dns " + string.Join(",", Names(nameServers)) : ""));
        return netInterface;
    }

    // The boot's call for an item that gives IPv6 addresses (Address6), after its Attach: turns
    // IPv6 on for the interface named name, with its link-local address from the MAC and these;
    // gateway (Gateway6) is its default router, or :: for none (a router advertisement may give one).
    // passtLink: the device is passt, which answers every neighbor solicitation itself (the
    // kernel's duplicate address probes too, so none are sent) and is the link's router, which the
    // boot solicits next (SolicitRouters) and waits for.
    public static Ipv6Interface AttachIpv6(Kernel kernel, string name, Ipv6Address[] addresses, int[] prefixLengths, Ipv6Address gateway,
        bool passtLink)
    {
        NetStack stack = kernel.Net ?? throw new KernelException("net: AttachIpv6 before Attach for " + name);
        NetInterface? found = null;
        for (int index = 0; index < stack.InterfaceCount; index++)
        {
            if (stack.InterfaceAt(index).Name == name)
            {
                found = stack.InterfaceAt(index);
            }
        }
        if (found == null)
        {
            throw new KernelException("net: AttachIpv6 for " + name + ", which is not attached");
        }
        Ipv6Interface ipv6 = found.EnableIpv6(addresses, prefixLengths);
        if (!passtLink)
        {
            ipv6.StartDuplicateAddressDetection();
        }
        if (!gateway.IsUnspecified)
        {
            ipv6.ConfigureRouter(gateway);
        }
        else if (!passtLink)
        {
            ipv6.SolicitRouters();
        }
        string[] names = new string[ipv6.AddressCount];
        for (int index = 0; index < names.Length; index++)
        {
            names[index] = ipv6.AddressAt(index).ToString() + "/" + ipv6.PrefixLengthAt(index).ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        kernel.Log.Write("[uk] net " + name + ": ipv6 " + string.Join(", ", names) + (gateway.IsUnspecified ? "" : " via " + gateway.ToString()));
        return ipv6;
    }

    // The boot's call for an item whose IPv6 comes from its link's router (passt's router
    // advertisements), after its AttachIpv6: solicits a router and, with autoconfigure, an address
    // from its prefix (Ipv6Interface's router discovery). It blocks on the scheduler up to
    // waitNanoseconds for the answer (the device's interrupt takes the frames meanwhile), so that a
    // program that connects first thing finds the route there.
    public static void SolicitRouters(Kernel kernel, string name, bool autoconfigure, long waitNanoseconds)
    {
        NetStack stack = kernel.Net ?? throw new KernelException("net: SolicitRouters before Attach for " + name);
        NetInterface? found = null;
        for (int index = 0; index < stack.InterfaceCount; index++)
        {
            if (stack.InterfaceAt(index).Name == name)
            {
                found = stack.InterfaceAt(index);
            }
        }
        Ipv6Interface ipv6 = found?.Ipv6 ?? throw new KernelException("net: SolicitRouters for " + name + ", which has no IPv6");
        ipv6.Routers.Solicit(autoconfigure);
        Ipv6Address router = ipv6.Routers.WaitForRouter(kernel.Scheduler, stack.Now + waitNanoseconds);
        kernel.Log.Write("[uk] net " + name + ": ipv6 " + (router.IsUnspecified
            ? "no router answered yet"
            : "router " + router.ToString()
                + (ipv6.Routers.PrefixLength > 0 ? ", prefix " + ipv6.Routers.Prefix.ToString() + "/"
                    + ipv6.Routers.PrefixLength.ToString(System.Globalization.CultureInfo.InvariantCulture) : "")
                + (ipv6.Routers.Autoconfigured.IsUnspecified ? "" : ", address " + ipv6.Routers.Autoconfigured.ToString())));
    }

    // The boot's call for a passt item (or a microvm's card, whose runner forwards) that forwards
    // TCP ports, after its Attach: a connection the host opens to its own loopback on one of
    // those ports reaches a listener bound to the kernel's loopback too (HostLoopbackForwards), as
    // it reaches one on the host; over IPv6 too when the interface has IPv6. by names what
    // forwards them ("passt", "the VM's runner"), for the log.
    public static void ForwardHostLoopback(Kernel kernel, string name, string by, int[] tcpPorts)
    {
        NetStack stack = kernel.Net ?? throw new KernelException("net: ForwardHostLoopback before Attach for " + name);
        for (int index = 0; index < stack.InterfaceCount; index++)
        {
            NetInterface candidate = stack.InterfaceAt(index);
            if (candidate.Name == name)
            {
                ushort[] ports = new ushort[tcpPorts.Length];
                for (int port = 0; port < ports.Length; port++)
                {
                    ports[port] = checked((ushort)tcpPorts[port]);
                }
                stack.HostLoopback.Add(candidate.Address, candidate.Gateway, ports, by);
                stack.HostLoopback.AddLink(candidate, ports);
                stack.HostLoopback.Log = kernel.Log;
                return;
            }
        }
        throw new KernelException("net: ForwardHostLoopback for " + name + ", which is not attached");
    }

    private static string[] Names(Ipv4Address[] addresses)
    {
        string[] names = new string[addresses.Length];
        for (int index = 0; index < addresses.Length; index++)
        {
            names[index] = addresses[index].ToString();
        }
        return names;
    }
}
