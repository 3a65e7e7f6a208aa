namespace Unikraft.Kernel;

// The TCP ports a passt interface forwards from the host: passt listens on them on the host and
// hands each connection to the same port of the interface's address, and one that the host
// opened to its own loopback (`curl http://localhost:8080/`) arrives from the interface's
// gateway (passt shows the host as the gateway). A microvm's card on QEMU's user network does the
// same: its runner forwards the host's 127.0.0.1:PORT, and slirp shows such a connection as
// coming from its host address, the item's gateway. Such a connection reaches a listener bound to
// loopback, as `curl localhost` reaches a program on the host that listens on localhost: the
// common default of HttpListener ("http://localhost:8080/") and Kestrel. Connections from
// anywhere else (another of the host's addresses, which passt forwards too, or a TAP peer)
// still reach only listeners on the interface's address or on every address.
// Over IPv6 passt (2023-03-09, seen in captures) hands a connection the host opened to its own
// ::1, or to one of its own addresses, from its link-local address (the router it advertises) to
// the interface's link-local address: such a connection reaches a listener bound to [::1].
internal sealed class HostLoopbackForwards
{
    private Ipv4Address[] addresses = new Ipv4Address[0];
    private Ipv4Address[] gateways = new Ipv4Address[0];
    private ushort[][] ports = new ushort[0][];
    private NetInterface[] links = new NetInterface[0];
    private ushort[][] linkPorts = new ushort[0][];
    private string forwarder = "passt";

    private System.Collections.Generic.HashSet<ushort>? told;

    public int Count => addresses.Length;

    // Where Listening's notices go (the kernel's log, set by the boot); none in a test.
    public KernelLog? Log { get; set; }

    // A TCP listener was made on port: when no passt interface forwards it from the host, the
    // program's own connections are the only ones that reach it, which a developer who expects
    // `curl localhost:PORT` on the host to answer wants to hear (a published program listens on
    // Kestrel's 5000 or ASPNETCORE_URLS, not the launch profile's ports). Says so once a port, in
    // the log, and returns the line; null when the port is forwarded, told already, or ephemeral
    // (Linux's range, 32768-60999: a listener the program made for itself).
    public string? Listening(ushort port)
    {
        if (addresses.Length == 0 || (port >= 32768 && port <= 60999))
        {
            return null;
        }
        for (int index = 0; index < ports.Length; index++)
        {
            if (System.Array.IndexOf(ports[index], port) >= 0)
            {
                return null;
            }
        }
        told ??= new System.Collections.Generic.HashSet<ushort>();
        if (!told.Add(port))
        {
            return null;
        }
        var forwarded = new System.Text.StringBuilder();
        for (int index = 0; index < ports.Length; index++)
        {
            for (int at = 0; at < ports[index].Length; at++)
            {
                forwarded.Append(forwarded.Length > 0 ? "," : "").Append(ports[index][at].ToString(System.Globalization.CultureInfo.InvariantCulture));
            }
        }
        string line = "[uk] net: a listener on port " + port.ToString(System.Globalization.CultureInfo.InvariantCulture)
            + ", which " + forwarder + " does not forward from the host (Forward " + forwarded.ToString()
            + "): only the program itself reaches it; add the port to its <UnikraftNet> item's Forward";
        Log?.Write(line);
        return line;
    }

    // An interface at address whose host is seen as gateway forwards these TCP ports. by names
    // what forwards them, for Listening's line: "passt", or "the VM's runner" (QEMU's user
    // network, whose forwarded connections from the host's loopback come from the gateway too).
    public void Add(Ipv4Address address, Ipv4Address gateway, ushort[] tcpPorts, string by)
    {
        forwarder = by;
        int count = addresses.Length;
        System.Array.Resize(ref addresses, count + 1);
        System.Array.Resize(ref gateways, count + 1);
        System.Array.Resize(ref ports, count + 1);
        addresses[count] = address;
        gateways[count] = gateway;
        ports[count] = tcpPorts;
    }

    // The same interface for IPv6: its link-local address and its router are read when a
    // segment comes, since the router is learned after boot.
    public void AddLink(NetInterface link, ushort[] tcpPorts)
    {
        int count = links.Length;
        System.Array.Resize(ref links, count + 1);
        System.Array.Resize(ref linkPorts, count + 1);
        links[count] = link;
        linkPorts[count] = tcpPorts;
    }

    // True when a TCP segment from source to destination:port is one the host sent from its own
    // loopback through a forwarded port.
    public bool FromHostLoopback(Ipv4Address source, Ipv4Address destination, ushort port)
    {
        for (int index = 0; index < addresses.Length; index++)
        {
            if (addresses[index] == destination && gateways[index] == source && System.Array.IndexOf(ports[index], port) >= 0)
            {
                return true;
            }
        }
        return false;
    }

    // The IPv6 twin: from the interface's router to its link-local address, on a forwarded port.
    public bool FromHostLoopback6(Ipv6Address source, Ipv6Address destination, ushort port, long now)
    {
        for (int index = 0; index < links.Length; index++)
        {
            Ipv6Interface? ipv6 = links[index].Ipv6;
            if (ipv6 != null && destination.IsLinkLocal && ipv6.LinkLocal == destination && ipv6.Routers.Router(now) == source
                && System.Array.IndexOf(linkPorts[index], port) >= 0)
            {
                return true;
            }
        }
        return false;
    }
}
