namespace Unikraft.Kernel.Tests.Net.Dns;

using System;
using System.Collections.Generic;
using System.Text;
using Unikraft.Kernel;
using Unikraft.Kernel.Tests.Net.Interface;
using Xunit;

// A name server for tests on the kernel's own loopback: it answers each query from its endpoint's
// delivery (on the vCPU, while the resolver waits on its own endpoint), as the answer function
// says, and records what it was asked and when.
internal sealed class TestNameServer : IUdpEndpointListener
{
    private readonly UdpEndpoint endpoint;
    private readonly Kernel kernel;
    private readonly Func<DnsMessage, byte[], byte[][]> answer;

    public TestNameServer(NetTestHost host, Ipv4Address address, Func<DnsMessage, byte[], byte[]?> answer)
        : this(host, address, (query, raw) => answer(query, raw) is byte[] reply ? new[] { reply } : Array.Empty<byte[]>())
    {
    }

    // Answers each query with several datagrams, in order.
    public TestNameServer(NetTestHost host, Ipv4Address address, Func<DnsMessage, byte[], byte[][]> answer)
    {
        kernel = host.Kernel;
        this.answer = answer;
        endpoint = host.Udp.Open();
        Assert.Equal(0, endpoint.Bind(address, DnsResolver.Port));
        endpoint.Listener = this;
    }

    public List<(DnsQuestion Question, ushort Id, ushort Port, long Time)> Queries { get; } = new List<(DnsQuestion, ushort, ushort, long)>();

    public void EndpointChanged(UdpEndpoint changed, int events)
    {
        byte[] buffer = new byte[UdpDatagram.MaximumPayloadLength];
        while (changed.QueuedDatagrams > 0)
        {
            long read = changed.ReceiveFrom(buffer, true, 0, out Ipv4Address from, out ushort port, out _);
            byte[] query = buffer.AsSpan(0, (int)read).ToArray();
            Assert.True(DnsMessage.TryParse(query, out DnsMessage? message));
            Queries.Add((Assert.Single(message!.Questions), message.Header.Id, port, kernel.Clock!.MonotonicNanoseconds));
            foreach (byte[] reply in answer(message, query))
            {
                endpoint.SendTo(from, port, reply);
            }
        }
    }

    // An answer to query: its ID and question, the flags, and the records given as
    // (owner, type, ttl, data) with data an address or a name.
    public static byte[] Answer(DnsMessage query, int responseCode, params (string Owner, ushort Type, uint Ttl, object Data)[] records)
    {
        List<byte> bytes = new List<byte>();
        byte[] header = new byte[DnsHeader.Length];
        new DnsHeader(query.Header.Id, (ushort)(0x8180 | responseCode), 1, (ushort)records.Length, 0, 0).Emit(header);
        bytes.AddRange(header);
        byte[] question = new byte[300];
        bytes.AddRange(question.AsSpan(0, query.Questions[0].Write(question)).ToArray());
        foreach ((string owner, ushort type, uint ttl, object data) in records)
        {
            byte[] name = new byte[300];
            bytes.AddRange(name.AsSpan(0, DnsName.Write(owner, name)).ToArray());
            byte[] rdata;
            if (data is string target)
            {
                byte[] encoded = new byte[300];
                rdata = encoded.AsSpan(0, DnsName.Write(target, encoded)).ToArray();
            }
            else
            {
                rdata = (byte[])data;
            }
            bytes.Add((byte)(type >> 8));
            bytes.Add((byte)type);
            bytes.Add(0);
            bytes.Add(1);
            bytes.Add((byte)(ttl >> 24));
            bytes.Add((byte)(ttl >> 16));
            bytes.Add((byte)(ttl >> 8));
            bytes.Add((byte)ttl);
            bytes.Add((byte)(rdata.Length >> 8));
            bytes.Add((byte)rdata.Length);
            bytes.AddRange(rdata);
        }
        return bytes.ToArray();
    }
}

public class DnsResolverTests
{
    private const long Second = 1_000_000_000;

    private static readonly Ipv4Address Silent = new Ipv4Address(127, 0, 0, 53);
    private static readonly Ipv4Address Server = new Ipv4Address(127, 0, 0, 54);
    private static readonly byte[] WebAddress = { 198, 18, 0, 1 };

    private static DnsResolver Resolver(NetTestHost host, params Ipv4Address[] servers) => new DnsResolver(host.Kernel, host.Udp, servers);

    private static byte[]? Ignore(DnsMessage query, byte[] raw) => null;

    private static byte[] AnswerWeb(DnsMessage query, byte[] raw)
    {
        DnsQuestion question = query.Questions[0];
        return question.Name == "web.test"
            ? TestNameServer.Answer(query, DnsResponseCode.NoError, ("web.test", DnsType.A, 300, WebAddress))
            : TestNameServer.Answer(query, DnsResponseCode.NameError);
    }

    [Fact]
    public void Lookup_AsksTheServer_AndReturnsItsAddress()
    {
        NetTestHost host = new NetTestHost(hostB: false);
        TestNameServer server = new TestNameServer(host, Server, AnswerWeb);
        DnsResolver resolver = Resolver(host, Server);
        List<byte[]> addresses = new List<byte[]>();

        Assert.Equal(DnsStatus.Found, resolver.Lookup("web.test", true, false, addresses, out string canonical));

        Assert.Equal(WebAddress, Assert.Single(addresses));
        Assert.Equal("web.test", canonical);
        var query = Assert.Single(server.Queries);
        Assert.Equal(new DnsQuestion("web.test", DnsType.A, DnsClass.Internet), query.Question);
        Assert.InRange(query.Port, UdpLayer.EphemeralFirst, UdpLayer.EphemeralLast);
    }

    [Fact]
    public void NoSuchName_IsNoName_AfterOneQuery()
    {
        NetTestHost host = new NetTestHost(hostB: false);
        TestNameServer server = new TestNameServer(host, Server, AnswerWeb);
        DnsResolver resolver = Resolver(host, Server);

        Assert.Equal(DnsStatus.NoName, resolver.Lookup("nothere.test", true, false, new List<byte[]>(), out _));
        Assert.Single(server.Queries);
    }

    [Fact]
    public void SilentFirstServer_TimesOut_ThenTheSecondAnswers()
    {
        NetTestHost host = new NetTestHost(hostB: false);
        TestNameServer silent = new TestNameServer(host, Silent, Ignore);
        TestNameServer server = new TestNameServer(host, Server, AnswerWeb);
        DnsResolver resolver = Resolver(host, Silent, Server);
        long start = host.Kernel.Clock!.MonotonicNanoseconds;
        List<byte[]> addresses = new List<byte[]>();

        Assert.Equal(DnsStatus.Found, resolver.Lookup("web.test", true, false, addresses, out _));

        Assert.Equal(WebAddress, Assert.Single(addresses));
        var first = Assert.Single(silent.Queries);
        var second = Assert.Single(server.Queries);
        // The second server is asked once the first one's wait ran out, with a fresh ID and port.
        Assert.Equal(start, first.Time);
        Assert.Equal(start + DnsResolver.DefaultTimeout, second.Time);
        Assert.NotEqual(first.Port, second.Port);
    }

    [Fact]
    public void NoAnswerAtAll_IsTryAgain_AfterEveryServerInEveryRound()
    {
        NetTestHost host = new NetTestHost(hostB: false);
        TestNameServer first = new TestNameServer(host, Silent, Ignore);
        TestNameServer second = new TestNameServer(host, Server, Ignore);
        DnsResolver resolver = Resolver(host, Silent, Server);
        long start = host.Kernel.Clock!.MonotonicNanoseconds;

        Assert.Equal(DnsStatus.TryAgain, resolver.Lookup("web.test", true, false, new List<byte[]>(), out _));

        Assert.Equal(DnsResolver.DefaultAttempts, first.Queries.Count);
        Assert.Equal(DnsResolver.DefaultAttempts, second.Queries.Count);
        Assert.Equal(start + 2 * DnsResolver.DefaultAttempts * DnsResolver.DefaultTimeout, host.Kernel.Clock.MonotonicNanoseconds);
        // Rounds go through the servers in turn: silent, server, silent, server.
        Assert.True(first.Queries[0].Time < second.Queries[0].Time && second.Queries[0].Time < first.Queries[1].Time);
    }

    [Fact]
    public void AnswersThatDoNotMatch_AreDropped_AndTheRightOneIsTaken()
    {
        NetTestHost host = new NetTestHost(hostB: false);
        TestNameServer server = new TestNameServer(host, Server, (DnsMessage query, byte[] raw) =>
        {
            // A wrong ID, then a wrong question, then a message that is no DNS at all, all before
            // the answer itself, each from the server to the querying port.
            byte[] wrongId = TestNameServer.Answer(query, DnsResponseCode.NoError, ("web.test", DnsType.A, 300, new byte[] { 6, 6, 6, 6 }));
            wrongId[0] ^= 0xFF;
            byte[] wrongName = TestNameServer.Answer(query, DnsResponseCode.NoError, ("wex.test", DnsType.A, 300, new byte[] { 6, 6, 6, 6 }));
            wrongName[DnsHeader.Length + 3] = (byte)'x';
            return new[] { wrongId, wrongName, new byte[] { 1, 2, 3 }, AnswerWeb(query, raw) };
        });
        DnsResolver resolver = Resolver(host, Server);
        List<byte[]> addresses = new List<byte[]>();

        Assert.Equal(DnsStatus.Found, resolver.Lookup("web.test", true, false, addresses, out _));

        Assert.Equal(WebAddress, Assert.Single(addresses));
        Assert.Equal(3, resolver.Mismatched);
        Assert.Single(server.Queries);
    }

    [Fact]
    public void CnameChain_IsFollowed_InTheAnswerAndByAskingAgain()
    {
        NetTestHost host = new NetTestHost(hostB: false);
        TestNameServer server = new TestNameServer(host, Server, (query, raw) =>
        {
            string name = query.Questions[0].Name;
            if (name == "alias.test")
            {
                // alias -> www -> host, and nothing about host here.
                return TestNameServer.Answer(query, DnsResponseCode.NoError,
                    ("alias.test", DnsType.Cname, 300, "www.test"), ("www.test", DnsType.Cname, 300, "host.test"));
            }
            return name == "host.test"
                ? TestNameServer.Answer(query, DnsResponseCode.NoError, ("host.test", DnsType.A, 300, new byte[] { 198, 18, 0, 7 }))
                : TestNameServer.Answer(query, DnsResponseCode.NameError);
        });
        DnsResolver resolver = Resolver(host, Server);
        List<byte[]> addresses = new List<byte[]>();

        Assert.Equal(DnsStatus.Found, resolver.Lookup("alias.test", true, false, addresses, out string canonical));

        Assert.Equal(new byte[] { 198, 18, 0, 7 }, Assert.Single(addresses));
        Assert.Equal("host.test", canonical);
        Assert.Equal(new[] { "alias.test", "host.test" }, server.Queries.ConvertAll(query => query.Question.Name));
    }

    [Fact]
    public void CnameLoop_Fails_WithoutAskingForEver()
    {
        NetTestHost host = new NetTestHost(hostB: false);
        TestNameServer server = new TestNameServer(host, Server, (query, raw) => TestNameServer.Answer(query, DnsResponseCode.NoError,
            ("a.test", DnsType.Cname, 300, "b.test"), ("b.test", DnsType.Cname, 300, "a.test")));
        DnsResolver resolver = Resolver(host, Server);

        Assert.Equal(DnsStatus.Failed, resolver.Lookup("a.test", true, false, new List<byte[]>(), out _));
        Assert.Single(server.Queries);
    }

    [Fact]
    public void Answers_AreCachedForTheirTtl_AndAskedAgainAfter()
    {
        NetTestHost host = new NetTestHost(hostB: false);
        TestNameServer server = new TestNameServer(host, Server, AnswerWeb);
        DnsResolver resolver = Resolver(host, Server);
        TestPlatform platform = host.Platform;

        Assert.Equal(DnsStatus.Found, resolver.Lookup("web.test", true, false, new List<byte[]>(), out _));
        platform.Clock.Advance(299 * Second);
        List<byte[]> cached = new List<byte[]>();
        Assert.Equal(DnsStatus.Found, resolver.Lookup("WEB.test.", true, false, cached, out _));
        Assert.Equal(WebAddress, Assert.Single(cached));
        Assert.Single(server.Queries);

        platform.Clock.Advance(2 * Second);
        Assert.Equal(DnsStatus.Found, resolver.Lookup("web.test", true, false, new List<byte[]>(), out _));
        Assert.Equal(2, server.Queries.Count);
    }

    [Fact]
    public void ZeroTtl_IsNotCached()
    {
        NetTestHost host = new NetTestHost(hostB: false);
        TestNameServer server = new TestNameServer(host, Server, (query, raw) =>
            TestNameServer.Answer(query, DnsResponseCode.NoError, ("web.test", DnsType.A, 0, WebAddress)));
        DnsResolver resolver = Resolver(host, Server);

        resolver.Lookup("web.test", true, false, new List<byte[]>(), out _);
        resolver.Lookup("web.test", true, false, new List<byte[]>(), out _);

        Assert.Equal(2, server.Queries.Count);
        Assert.Equal(0, resolver.Cache.Count);
    }

    [Fact]
    public void LocalhostNumericAndOwnName_AreAnsweredWithoutAQuery()
    {
        NetTestHost host = new NetTestHost(hostB: false);
        TestNameServer server = new TestNameServer(host, Server, AnswerWeb);
        DnsResolver resolver = Resolver(host, Server);
        List<byte[]> addresses = new List<byte[]>();

        Assert.Equal(DnsStatus.Found, resolver.Lookup("localhost", true, false, addresses, out _));
        Assert.Equal(DnsStatus.Found, resolver.Lookup("api.LOCALHOST", true, false, addresses, out _));
        Assert.Equal(DnsStatus.Found, resolver.Lookup("198.18.0.9", true, false, addresses, out _));
        Assert.Equal(DnsStatus.Found, resolver.Lookup(DnsResolver.DefaultHostName, true, false, addresses, out _));

        Assert.Equal(new[] { "127.0.0.1", "127.0.0.1", "198.18.0.9", host.Address.ToString() }, addresses.ConvertAll(bytes => Ipv4Address.Read(bytes).ToString()));
        Assert.Empty(server.Queries);
    }

    [Fact]
    public void HostsFile_InTheKernelsVfs_IsAnsweredBeforeTheNetwork()
    {
        NetTestHost host = new NetTestHost(hostB: false);
        VfsMounts.Mount(host.Kernel, "/", new RamFileSystem(1 << 20), false);
        Assert.Equal(0, Sys.Mkdirat(host.Kernel, OpenFlags.AT_FDCWD, "/etc", 0x1ED));
        long fd = Sys.Openat(host.Kernel, OpenFlags.AT_FDCWD, "/etc/hosts", OpenFlags.O_WRONLY | OpenFlags.O_CREAT, 0x1A4);
        byte[] text = Encoding.ASCII.GetBytes("# static names\n198.18.0.20 db.internal db\t# the database\n::1 ip6-localhost\n198.18.0.21 cache\n");
        Assert.Equal(text.Length, Sys.Write(host.Kernel, (int)fd, text));
        Assert.Equal(0, Sys.Close(host.Kernel, (int)fd));
        TestNameServer server = new TestNameServer(host, Server, AnswerWeb);
        DnsResolver resolver = Resolver(host, Server);
        List<byte[]> addresses = new List<byte[]>();

        Assert.Equal(DnsStatus.Found, resolver.Lookup("DB", true, false, addresses, out string canonical));
        Assert.Equal("db.internal", canonical);
        Assert.Equal(new byte[] { 198, 18, 0, 20 }, Assert.Single(addresses));
        Assert.Equal(DnsStatus.Found, resolver.ReverseLookup(new Ipv4Address(198, 18, 0, 21), out string name));
        Assert.Equal("cache", name);
        Assert.Empty(server.Queries);
        // What the file does not list goes to the server.
        Assert.Equal(DnsStatus.Found, resolver.Lookup("web.test", true, false, new List<byte[]>(), out _));
        Assert.Single(server.Queries);
    }

    [Fact]
    public void ReverseLookup_AsksForThePtrRecord()
    {
        NetTestHost host = new NetTestHost(hostB: false);
        TestNameServer server = new TestNameServer(host, Server, (query, raw) =>
            TestNameServer.Answer(query, DnsResponseCode.NoError, (query.Questions[0].Name, DnsType.Ptr, 300, "web.test")));
        DnsResolver resolver = Resolver(host, Server);

        Assert.Equal(DnsStatus.Found, resolver.ReverseLookup(new Ipv4Address(198, 18, 0, 1), out string name));

        Assert.Equal("web.test", name);
        Assert.Equal(new DnsQuestion("1.0.18.198.in-addr.arpa", DnsType.Ptr, DnsClass.Internet), Assert.Single(server.Queries).Question);
    }

    private static readonly byte[] WebAddress6 = { 0x20, 0x01, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 };

    // web.test has an A and an AAAA record.
    private static byte[] AnswerWebBoth(DnsMessage query, byte[] raw)
    {
        DnsQuestion question = query.Questions[0];
        return question.Name != "web.test"
            ? TestNameServer.Answer(query, DnsResponseCode.NameError)
            : question.Type == DnsType.Aaaa
                ? TestNameServer.Answer(query, DnsResponseCode.NoError, ("web.test", DnsType.Aaaa, 300, WebAddress6))
                : TestNameServer.Answer(query, DnsResponseCode.NoError, ("web.test", DnsType.A, 300, WebAddress));
    }

    [Fact]
    public void LookupAny_WithoutIpv6_AsksForARecordsAlone()
    {
        NetTestHost host = new NetTestHost(hostB: false);
        TestNameServer server = new TestNameServer(host, Server, AnswerWebBoth);
        DnsResolver resolver = Resolver(host, Server);
        List<byte[]> addresses = new List<byte[]>();

        Assert.Equal(DnsStatus.Found, resolver.LookupAny("web.test", addresses, out _));

        Assert.Equal(WebAddress, Assert.Single(addresses));
        Assert.Equal(DnsType.A, Assert.Single(server.Queries).Question.Type);
    }

    [Fact]
    public void LookupAny_WithOnlyALinkLocalIpv6Address_AsksForARecordsAlone()
    {
        NetTestHost host = new NetTestHost(hostB: false);
        host.Interface.EnableIpv6(Array.Empty<Ipv6Address>(), Array.Empty<int>());
        TestNameServer server = new TestNameServer(host, Server, AnswerWebBoth);
        DnsResolver resolver = Resolver(host, Server);
        List<byte[]> addresses = new List<byte[]>();

        Assert.Equal(DnsStatus.Found, resolver.LookupAny("web.test", addresses, out _));

        Assert.Equal(WebAddress, Assert.Single(addresses));
        Assert.Equal(DnsType.A, Assert.Single(server.Queries).Question.Type);
    }

    [Fact]
    public void LookupAny_WithAGlobalIpv6Address_AsksForAAndAaaa_AndReturnsBoth()
    {
        NetTestHost host = new NetTestHost(hostB: false);
        host.Interface.EnableIpv6(new[] { new Ipv6Address(0x2001_0002_0000_0000, 2) }, new[] { 64 });
        TestNameServer server = new TestNameServer(host, Server, AnswerWebBoth);
        DnsResolver resolver = Resolver(host, Server);
        List<byte[]> addresses = new List<byte[]>();

        Assert.Equal(DnsStatus.Found, resolver.LookupAny("web.test", addresses, out string canonical));

        Assert.Equal("web.test", canonical);
        Assert.Equal(2, addresses.Count);
        Assert.Equal(WebAddress, addresses[0]);
        Assert.Equal(WebAddress6, addresses[1]);
        Assert.Equal(2, server.Queries.Count);
        Assert.Equal(DnsType.A, server.Queries[0].Question.Type);
        Assert.Equal(DnsType.Aaaa, server.Queries[1].Question.Type);
    }

    [Fact]
    public void LookupAny_WithIpv6_NameWithOnlyAnARecord_GivesItsIpv4Address()
    {
        NetTestHost host = new NetTestHost(hostB: false);
        host.Interface.EnableIpv6(new[] { new Ipv6Address(0x2001_0002_0000_0000, 2) }, new[] { 64 });
        TestNameServer server = new TestNameServer(host, Server, AnswerWeb);
        DnsResolver resolver = Resolver(host, Server);
        List<byte[]> addresses = new List<byte[]>();

        Assert.Equal(DnsStatus.Found, resolver.LookupAny("web.test", addresses, out _));

        Assert.Equal(WebAddress, Assert.Single(addresses));
    }
}
