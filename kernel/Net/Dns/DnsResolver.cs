namespace Unikraft.Kernel;

using System;
using System.Collections.Generic;
using System.Globalization;

// The outcome of a lookup, as getaddrinfo's callers tell them apart.
internal static class DnsStatus
{
    // Addresses found.
    public const int Found = 0;

    // The name does not exist, or has no address of the family asked for (EAI_NONAME).
    public const int NoName = 1;

    // No server answered in time, or each answered with a temporary failure (EAI_AGAIN).
    public const int TryAgain = 2;

    // A name that cannot be asked for, or servers that refused (EAI_FAIL).
    public const int Failed = 3;
}

// A stub resolver (RFC 1035, 7; RFC 1123, 6.1.3) over the kernel's own UDP: it answers numeric
// addresses, "localhost" (RFC 6761, 6.3), the kernel's host name and the image's /etc/hosts
// itself, then its cache, and only then asks the name servers of the <UnikraftNet> items (Dns):
// each in turn, Attempts rounds, waiting Timeout for each answer on the endpoint's wait queue
// (the caller parks as a thread of control, as a blocking socket read does). Every query has a
// fresh random ID and is sent from a fresh random port (RFC 5452, 9.2), and only an answer from
// the server asked, to that port, with that ID and the same question is taken; anything else is
// dropped and the wait goes on. CNAME chains are followed (RFC 1034, 5.3.3), in the answer and
// by asking again, up to MaximumChain names.
internal sealed class DnsResolver
{
    // NOTE: the name this kernel answers for itself (gethostname); a unikernel has no
    // /etc/hostname, and the host's name is not its own.
    public const string DefaultHostName = "unikraft";

    // NOTE: getdomainname(2) of a Linux host where none was set.
    public const string DomainName = "(none)";

    public const ushort Port = 53;

    // NOTE: glibc's resolver defaults are 5 s and 2 attempts (resolv.conf(5)); a unikernel that
    // talks to a server on its own link gives up sooner.
    public const long DefaultTimeout = 2_000_000_000;

    public const int DefaultAttempts = 2;

    // NOTE: how many CNAMEs a chain may hold before the lookup fails, as BIND's limit of 16
    // restarts bounds it; 8 is glibc's own limit on aliases followed in one answer.
    public const int MaximumChain = 8;

    // NOTE: random ports from Linux's ephemeral range; tries before taking the next free one.
    private const int PortTries = 8;

    private readonly Kernel kernel;
    private readonly UdpLayer? udp;
    private readonly List<Ipv4Address> servers;
    // One buffer for every query and answer: a lookup that waits for an answer (and lets another
    // thread's lookup run meanwhile) has its query sent already, and fills and parses the buffer
    // only after its wait, with no wait in between.
    private readonly byte[] buffer = new byte[UdpDatagram.MaximumPayloadLength];
    private bool warnedNoServers;

    public DnsResolver(Kernel kernel, UdpLayer? udp, IReadOnlyList<Ipv4Address> servers)
    {
        this.kernel = kernel;
        this.udp = udp;
        this.servers = new List<Ipv4Address>(servers);
    }

    // The kernel's resolver, made on first use over the UDP of the kernel's stack and the name
    // servers its interfaces were configured with.
    public static DnsResolver For(Kernel kernel)
    {
        if (kernel.Resolver != null)
        {
            return kernel.Resolver;
        }
        if (kernel.SocketTransport == null)
        {
            StackSocketTransport.Attach(kernel);
        }
        // A socket layer a test stands on its own transport has no stack: the hosts file alone.
        NetStack? stack = kernel.Net;
        DnsResolver resolver = stack != null
            ? new DnsResolver(kernel, UdpLayer.For(kernel, stack), stack.NameServers)
            : new DnsResolver(kernel, null, new List<Ipv4Address>());
        kernel.Resolver = resolver;
        return resolver;
    }

    public string HostName { get; set; } = DefaultHostName;

    public long Timeout { get; set; } = DefaultTimeout;

    public int Attempts { get; set; } = DefaultAttempts;

    public DnsCache Cache { get; } = new DnsCache();

    // Queries sent, answers taken, and datagrams dropped because they did not match a query.
    public long QueriesSent { get; private set; }

    public long AnswersTaken { get; private set; }

    public long Mismatched { get; private set; }

    // Looks name up for any family (getaddrinfo with AF_UNSPEC, what Dns.GetHostAddresses(name)
    // and HttpClient ask): A records, and AAAA records too when the kernel has an IPv6 address
    // beyond link-local to reach them from (as AI_ADDRCONFIG: a host without IPv6 asks for IPv4
    // alone). The IPv4 addresses come first, then the IPv6 ones. A DnsStatus.
    public int LookupAny(string name, List<byte[]> addresses, out string canonicalName)
    {
        return Lookup(name, true, HasRoutableIpv6(), addresses, out canonicalName);
    }

    // Whether one of the kernel's interfaces has an IPv6 address other than its link-local one.
    public bool HasRoutableIpv6()
    {
        if (!KernelFeatures.Ipv6)
        {
            return false;
        }
        NetStack? stack = kernel.Net;
        for (int index = 0; stack != null && index < stack.InterfaceCount; index++)
        {
            Ipv6Interface? ipv6 = stack.InterfaceAt(index).Ipv6;
            for (int address = 1; ipv6 != null && address < ipv6.AddressCount; address++)
            {
                if (!ipv6.AddressAt(address).IsLinkLocal)
                {
                    return true;
                }
            }
        }
        return false;
    }

    // Looks name up: its addresses (4 octets each for IPv4, 16 for IPv6, as asked with ipv4 and
    // ipv6) into addresses, and its canonical name. A DnsStatus.
    public int Lookup(string name, bool ipv4, bool ipv6, List<byte[]> addresses, out string canonicalName)
    {
        canonicalName = name;
        if (Ipv4Address.TryParse(name, out Ipv4Address numeric))
        {
            if (!ipv4)
            {
                return DnsStatus.NoName;
            }
            addresses.Add(Bytes(numeric));
            return DnsStatus.Found;
        }
        string trimmed = DnsName.Trim(name);
        // An IPv6 literal is not a name to ask for (the BCL parses literals before it calls down;
        // the kernel has no IPv6 to answer one with).
        if (!DnsName.IsValid(trimmed) || trimmed.IndexOf(':') >= 0)
        {
            return DnsStatus.NoName;
        }
        // NOTE: RFC 6761, 6.3: localhost and every name under it are the loopback address, and
        // are never sent to a name server.
        if (string.Equals(trimmed, "localhost", StringComparison.OrdinalIgnoreCase)
            || trimmed.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase))
        {
            if (ipv4)
            {
                addresses.Add(Bytes(Ipv4Address.Loopback));
            }
            if (ipv6)
            {
                byte[] loopback = new byte[16];
                loopback[15] = 1;
                addresses.Add(loopback);
            }
            return DnsStatus.Found;
        }
        if (ipv4)
        {
            string? fromHosts = HostsFile.Read(kernel).Find(trimmed, addresses);
            if (fromHosts != null)
            {
                canonicalName = fromHosts;
                return DnsStatus.Found;
            }
            if (DnsName.Same(trimmed, HostName))
            {
                // As getaddrinfo of the host's own name: its interfaces' addresses, loopback when
                // it has none.
                LocalAddresses(addresses);
                canonicalName = HostName;
                return DnsStatus.Found;
            }
        }
        int status = DnsStatus.NoName;
        bool any = false;
        if (ipv4)
        {
            status = Resolve(trimmed, DnsType.A, addresses, out canonicalName);
            any = status == DnsStatus.Found;
        }
        if (ipv6)
        {
            int six = Resolve(trimmed, DnsType.Aaaa, addresses, out string sixName);
            if (six == DnsStatus.Found)
            {
                canonicalName = any ? canonicalName : sixName;
                status = DnsStatus.Found;
            }
            else if (!ipv4 || status == DnsStatus.NoName)
            {
                status = any ? DnsStatus.Found : six;
            }
        }
        return status;
    }

    // The name of an IPv4 address (getnameinfo with NI_NAMEREQD): loopback is localhost, the
    // kernel's own addresses its host name, then /etc/hosts, then a PTR query for
    // d.c.b.a.in-addr.arpa (RFC 1035, 3.5). A DnsStatus.
    public int ReverseLookup(Ipv4Address address, out string name)
    {
        name = "";
        if (address.IsLoopback)
        {
            name = "localhost";
            return DnsStatus.Found;
        }
        string? fromHosts = HostsFile.Read(kernel).NameOf(address);
        if (fromHosts != null)
        {
            name = fromHosts;
            return DnsStatus.Found;
        }
        NetStack? stack = kernel.Net;
        for (int index = 0; stack != null && index < stack.InterfaceCount; index++)
        {
            if (stack.InterfaceAt(index).Address == address)
            {
                name = HostName;
                return DnsStatus.Found;
            }
        }
        byte[] octets = Bytes(address);
        string question = octets[3].ToString(CultureInfo.InvariantCulture) + "." + octets[2].ToString(CultureInfo.InvariantCulture) + "."
            + octets[1].ToString(CultureInfo.InvariantCulture) + "." + octets[0].ToString(CultureInfo.InvariantCulture) + ".in-addr.arpa";
        int status = Ask(question, DnsType.Ptr, out DnsMessage? answer);
        if (status != DnsStatus.Found || answer == null)
        {
            return status;
        }
        for (int index = 0; index < answer.Answers.Count; index++)
        {
            DnsRecord record = answer.Answers[index];
            if (record.Type == DnsType.Ptr && record.Target != null && DnsName.Same(record.Name, question))
            {
                name = record.Target;
                return DnsStatus.Found;
            }
        }
        return DnsStatus.NoName;
    }

    // One name and type through the cache and the servers, with its CNAME chain.
    private int Resolve(string name, ushort type, List<byte[]> addresses, out string canonicalName)
    {
        long now = Now;
        canonicalName = name;
        if (Cache.TryGet(name, type, now, out int cached, out string cachedName, out List<byte[]>? cachedAddresses))
        {
            canonicalName = cachedName;
            if (cachedAddresses != null)
            {
                addresses.AddRange(cachedAddresses);
            }
            return cached;
        }
        List<byte[]> found = new List<byte[]>();
        string current = name;
        uint ttl = uint.MaxValue;
        int hops = 0;
        while (true)
        {
            int status = Ask(current, type, out DnsMessage? answer);
            if (status != DnsStatus.Found || answer == null)
            {
                if (status == DnsStatus.NoName && answer != null)
                {
                    Cache.Add(name, type, DnsStatus.NoName, name, found, Math.Min(ttl, NegativeTtl(answer)), Now);
                }
                return status;
            }
            // Walk the chain inside this answer: CNAMEs from the name asked, then its records.
            bool moved = true;
            while (moved)
            {
                moved = false;
                for (int index = 0; index < answer.Answers.Count; index++)
                {
                    DnsRecord record = answer.Answers[index];
                    if (record.Type == DnsType.Cname && record.Target != null && DnsName.Same(record.Name, current))
                    {
                        if (++hops > MaximumChain)
                        {
                            return DnsStatus.Failed;
                        }
                        current = DnsName.Trim(record.Target);
                        ttl = Math.Min(ttl, record.EffectiveTtl);
                        moved = true;
                        break;
                    }
                }
            }
            for (int index = 0; index < answer.Answers.Count; index++)
            {
                DnsRecord record = answer.Answers[index];
                if (record.Type == type && record.Address != null && DnsName.Same(record.Name, current))
                {
                    found.Add(record.Address);
                    ttl = Math.Min(ttl, record.EffectiveTtl);
                }
            }
            if (found.Count > 0)
            {
                canonicalName = current;
                addresses.AddRange(found);
                Cache.Add(name, type, DnsStatus.Found, current, found, ttl, Now);
                return DnsStatus.Found;
            }
            if (hops == 0 || DnsName.Same(current, name) || answer.Authorities.Count > 0)
            {
                // The name exists but has no record of this type (NODATA, RFC 2308, 2.2).
                Cache.Add(name, type, DnsStatus.NoName, current, found, Math.Min(ttl, NegativeTtl(answer)), Now);
                return DnsStatus.NoName;
            }
            // The chain ends in a name this answer says nothing more of (no records, no SOA that
            // would say it has none): ask for that name.
            if (hops >= MaximumChain)
            {
                return DnsStatus.Failed;
            }
        }
    }

    // NOTE: RFC 2308, 5: a negative answer lives for the smaller of the SOA record's TTL and its
    // MINIMUM field; with no SOA it is not cached.
    private static uint NegativeTtl(DnsMessage answer)
    {
        for (int index = 0; index < answer.Authorities.Count; index++)
        {
            DnsRecord record = answer.Authorities[index];
            if (record.Type == DnsType.Soa)
            {
                return Math.Min(record.EffectiveTtl, record.Minimum);
            }
        }
        return 0;
    }

    // Asks each server in turn, Attempts rounds, until one answers the question. Found with a
    // usable answer (NOERROR), NoName for NXDOMAIN, TryAgain when none answered in time or all
    // failed for now, Failed when a server refused or the name cannot be asked.
    private int Ask(string name, ushort type, out DnsMessage? answer)
    {
        answer = null;
        if (udp == null || servers.Count == 0)
        {
            if (!warnedNoServers)
            {
                warnedNoServers = true;
                kernel.Log.Write("[uk] dns: no name server to ask for " + name + " (give a <UnikraftNet> item Dns=\"address\")");
            }
            return DnsStatus.NoName;
        }
        int outcome = DnsStatus.TryAgain;
        for (int attempt = 0; attempt < Attempts; attempt++)
        {
            for (int index = 0; index < servers.Count; index++)
            {
                int status = AskOne(servers[index], name, type, out DnsMessage? message);
                if (status == DnsStatus.Found || status == DnsStatus.NoName)
                {
                    answer = message;
                    return status;
                }
                if (status == DnsStatus.Failed)
                {
                    outcome = DnsStatus.Failed;
                }
            }
        }
        return outcome;
    }

    // One query to one server and the wait for its answer.
    private int AskOne(Ipv4Address server, string name, ushort type, out DnsMessage? answer)
    {
        answer = null;
        Span<byte> random = stackalloc byte[2];
        kernel.RandomDevice?.Fill(random);
        ushort id = (ushort)((random[0] << 8) | random[1]);
        int length = DnsMessage.WriteQuery(buffer, id, name, type);
        if (length < 0)
        {
            return DnsStatus.Failed;
        }
        UdpEndpoint endpoint = udp!.Open(UdpLayer.DefaultReceiveBufferSize);
        try
        {
            if (BindRandomPort(endpoint) < 0)
            {
                return DnsStatus.TryAgain;
            }
            if (endpoint.SendTo(server, Port, buffer.AsSpan(0, length)) < 0)
            {
                return DnsStatus.TryAgain;
            }
            QueriesSent++;
            long deadline = Now + Timeout;
            while (true)
            {
                long received = endpoint.ReceiveFrom(buffer, false, deadline, out Ipv4Address from, out ushort fromPort, out int datagramLength);
                if (received < 0)
                {
                    return DnsStatus.TryAgain;
                }
                if (from != server || fromPort != Port || datagramLength != received
                    || !DnsMessage.TryParse(buffer.AsSpan(0, (int)received), out DnsMessage? message) || message == null
                    || !Matches(message, id, name, type))
                {
                    Mismatched++;
                    continue;
                }
                AnswersTaken++;
                switch (message.Header.ResponseCode)
                {
                    case DnsResponseCode.NoError:
                        answer = message;
                        // A truncated answer with nothing usable would need TCP, which this
                        // resolver does not speak: a temporary failure.
                        return message.Header.IsTruncated && message.Answers.Count == 0 ? DnsStatus.TryAgain : DnsStatus.Found;
                    case DnsResponseCode.NameError:
                        answer = message;
                        return DnsStatus.NoName;
                    case DnsResponseCode.ServerFailure:
                        return DnsStatus.TryAgain;
                    default:
                        return DnsStatus.Failed;
                }
            }
        }
        finally
        {
            endpoint.Close();
        }
    }

    // An answer to the query: a response with its ID, a standard query's opcode and exactly the
    // question asked (names compared without case: RFC 4343).
    private static bool Matches(DnsMessage message, ushort id, string name, ushort type)
    {
        DnsHeader header = message.Header;
        if (!header.IsResponse || header.Id != id || header.Opcode != 0 || message.Questions.Count != 1)
        {
            return false;
        }
        DnsQuestion question = message.Questions[0];
        return question.Type == type && question.Class == DnsClass.Internet && DnsName.Same(question.Name, name);
    }

    // A random ephemeral port (RFC 6056, 3.3.1), or the layer's next free one.
    private int BindRandomPort(UdpEndpoint endpoint)
    {
        Span<byte> random = stackalloc byte[2];
        for (int attempt = 0; attempt < PortTries; attempt++)
        {
            kernel.RandomDevice?.Fill(random);
            int port = UdpLayer.EphemeralFirst + ((random[0] << 8) | random[1]) % (UdpLayer.EphemeralLast - UdpLayer.EphemeralFirst + 1);
            if (endpoint.Bind(Ipv4Address.Any, (ushort)port) == 0)
            {
                return 0;
            }
        }
        return endpoint.Bind(Ipv4Address.Any, 0);
    }

    private void LocalAddresses(List<byte[]> addresses)
    {
        NetStack? stack = kernel.Net;
        int before = addresses.Count;
        for (int index = 0; stack != null && index < stack.InterfaceCount; index++)
        {
            addresses.Add(Bytes(stack.InterfaceAt(index).Address));
        }
        if (addresses.Count == before)
        {
            addresses.Add(Bytes(Ipv4Address.Loopback));
        }
    }

    private long Now => kernel.Clock?.MonotonicNanoseconds ?? 0;

    private static byte[] Bytes(Ipv4Address address)
    {
        byte[] bytes = new byte[Ipv4Address.Length];
        address.Write(bytes);
        return bytes;
    }
}
