namespace Unikraft.Kernel.Tests.Net.Tcp;

using System;
using System.Linq;
using Unikraft.Kernel;
using Xunit;

// SYN cookies (RFC 4987, 3.6): a listener whose SYN queue a flood filled still lets a real client
// in, promptly, and an ACK whose cookie is forged, for another connection or too old makes
// nothing and meets RST.
public class TcpSynCookieTests
{
    private const long Second = TcpPair.Second;

    private const int Backlog = 8;

    private static readonly Ipv4Address Attacker = new Ipv4Address(198, 18, 0, 9);

    [Fact]
    public void AfterASynFlood_ANewClientConnectsAtOnce_AndMovesData()
    {
        TcpPair pair = new TcpPair();
        TcpSocket listener = pair.Listen(backlog: Backlog);
        Flood(pair, 2000, 5);
        Assert.Equal(Backlog, listener.HalfOpenCount);
        Assert.Equal(2000 - Backlog, pair.Server.SynCookiesSent);
        Assert.Equal(0, pair.Server.SynsDropped);
        int halfOpen = pair.Server.ConnectionCount;

        TcpSocket client = pair.Client.CreateSocket();
        long started = pair.Network.Clock.MonotonicNanoseconds;
        Assert.Equal(-Errno.EINPROGRESS, client.Connect(TcpPair.ServerAddress, TcpPair.ServerPort));
        TcpSocket? server = null;
        // NOTE: without cookies the SYN is dropped until a half-open entry times out (a minute).
        Assert.True(pair.Network.RunUntil(() => client.State == TcpState.Established && listener.Accept(out server) == 0, Second / 10));
        Assert.True(pair.Network.Clock.MonotonicNanoseconds - started < Second / 10);
        Assert.Equal(1, pair.Server.SynCookiesValidated);
        Assert.Equal(0, pair.Server.SynCookiesRefused);
        Assert.Equal(halfOpen + 1, pair.Server.ConnectionCount);

        // What the SYN said came back with the ACK: the MSS from the cookie's table, window
        // scaling and SACK-permitted from the timestamp's echo.
        Assert.Equal(TcpSynCookies.TableMss(1460) - 12, server!.SendMss);
        Assert.Equal(client.ReceiveWindowShift, server.SendWindowShift);
        Assert.Equal(server.ReceiveWindowShift, client.SendWindowShift);
        Assert.True(server.ReceiveWindowShift > 0);
        Assert.True(server.TimestampsEnabled);
        Assert.True(server.SackPermitted);

        byte[] up = TcpPair.Pattern(300_000, 1);
        byte[] down = TcpPair.Pattern(300_000, 2);
        Assert.Equal(up, pair.Transfer(client, server, up));
        Assert.Equal(down, pair.Transfer(server, client, down));
    }

    [Fact]
    public void WithoutTimestamps_ACookieConnectionGoesWithoutScalingAndSack()
    {
        TcpPair pair = new TcpPair();
        pair.Client.UseTimestamps = false;
        TcpSocket listener = pair.Listen(backlog: Backlog);
        Flood(pair, 100, 6);

        (TcpSocket client, TcpSocket server) = pair.Connect();

        Assert.Equal(1, pair.Server.SynCookiesValidated);
        Assert.False(server.TimestampsEnabled);
        Assert.False(server.SackPermitted);
        Assert.Equal(0, server.SendWindowShift);
        Assert.Equal(0, client.SendWindowShift);
        Assert.Equal(TcpSynCookies.TableMss(1460), server.SendMss);
        byte[] data = TcpPair.Pattern(200_000, 3);
        Assert.Equal(data, pair.Transfer(client, server, data));
    }

    [Fact]
    public void GoodCookieAck_MakesTheConnection_ForgedWrongAndExpiredOnesAreRefused()
    {
        TcpPair pair = new TcpPair();
        TcpSocket listener = pair.Listen(backlog: Backlog);
        Flood(pair, Backlog, 7);

        // A forged ACK: a guessed cookie.
        int connections = pair.Server.ConnectionCount;
        uint cookie = SynForCookie(pair, 40001, 1000);
        AssertRefused(pair, Ack(pair, 40001, 1001, cookie + 12345), 1);
        Assert.Equal(connections, pair.Server.ConnectionCount);

        // A wrong one: a real cookie, but made for another port and for another sequence number.
        AssertRefused(pair, Ack(pair, 40002, 1001, cookie + 1), 2);
        AssertRefused(pair, Ack(pair, 40001, 5001, cookie + 1), 3);
        Assert.Equal(connections, pair.Server.ConnectionCount);

        // An expired one: more than three counter ticks old, while the listener still sends
        // cookies (the flood goes on).
        uint old = SynForCookie(pair, 40003, 2000);
        pair.Network.Clock.Advance(4 * TcpSynCookies.Period);
        pair.Network.RunFor(Second);
        Flood(pair, Backlog + 1, 8);
        connections = pair.Server.ConnectionCount;
        AssertRefused(pair, Ack(pair, 40003, 2001, old + 1), 4);
        Assert.Equal(connections, pair.Server.ConnectionCount);

        // The same ACK with a fresh cookie makes the connection, and takes the data it carries.
        uint fresh = SynForCookie(pair, 40003, 2000);
        int before = pair.Network.Sent.Count;
        pair.Network.Inject(Attacker, TcpPair.ServerAddress, Ack(pair, 40003, 2001, fresh + 1, new byte[] { 1, 2, 3 }));
        Assert.Equal(1, pair.Server.SynCookiesValidated);
        Assert.Equal(connections + 1, pair.Server.ConnectionCount);
        Assert.DoesNotContain(pair.Network.Sent.Skip(before), d => d.Has(TcpFlags.Rst));
        Assert.Equal(0, listener.Accept(out TcpSocket? accepted));
        Assert.Equal(TcpState.Established, accepted!.State);
        byte[] buffer = new byte[8];
        Assert.Equal(3, accepted.Receive(buffer));
        Assert.Equal(new byte[] { 1, 2, 3 }, buffer.Take(3).ToArray());
    }

    [Fact]
    public void CookieAck_WhileTheAcceptQueueIsFull_IsDropped_AndTheClientsDataGetsInLater()
    {
        TcpPair pair = new TcpPair();
        TcpSocket listener = pair.Listen(backlog: 2);
        TcpSocket[] clients = new TcpSocket[5];
        for (int index = 0; index < clients.Length; index++)
        {
            clients[index] = pair.Client.CreateSocket();
            clients[index].Connect(TcpPair.ServerAddress, TcpPair.ServerPort);
        }
        pair.Network.RunFor(Second / 2);

        // Two took the SYN queue and fill the accept queue; three got cookies whose ACKs found it
        // full and were dropped, so the server holds nothing for them.
        Assert.Equal(2, listener.AcceptQueueLength);
        Assert.Equal(3, pair.Server.SynCookiesSent);
        Assert.Equal(0, pair.Server.SynCookiesValidated);
        Assert.Equal(2, pair.Server.ConnectionCount);
        Assert.All(clients, client => Assert.Equal(TcpState.Established, client.State));

        // Each client's data carries the cookie again: once there is room, it makes the connection.
        for (int index = 0; index < clients.Length; index++)
        {
            Assert.Equal(1, clients[index].Send(new byte[] { (byte)index }));
        }
        byte[] buffer = new byte[4];
        bool[] heard = new bool[clients.Length];
        Assert.True(pair.Network.RunUntil(() =>
        {
            while (listener.Accept(out TcpSocket? accepted) == 0)
            {
                Assert.Equal(1, accepted!.Receive(buffer));
                heard[buffer[0]] = true;
            }
            return heard.All(h => h);
        }, 20 * Second));
        Assert.Equal(3, pair.Server.SynCookiesValidated);
    }

    [Fact]
    public void CookiesOff_AFullSynQueueDropsTheSyn()
    {
        TcpPair pair = new TcpPair();
        pair.Server.UseSynCookies = false;
        pair.Listen(backlog: Backlog);
        Flood(pair, 100, 9);

        Assert.Equal(100 - Backlog, pair.Server.SynsDropped);
        Assert.Equal(0, pair.Server.SynCookiesSent);
    }

    // An ACK the listener must refuse: RST in answer, nothing made, counted.
    private static void AssertRefused(TcpPair pair, byte[] ack, int refused)
    {
        int before = pair.Network.Sent.Count;
        pair.Network.Inject(Attacker, TcpPair.ServerAddress, ack);
        Datagram answer = Assert.Single(pair.Network.Sent.Skip(before));
        Assert.True(answer.Has(TcpFlags.Rst));
        Assert.Equal(refused, pair.Server.SynCookiesRefused);
        Assert.Equal(0, pair.Server.SynCookiesValidated);
    }

    // SYNs from spoofed addresses that never answer: they fill the SYN queue.
    private static void Flood(TcpPair pair, int count, int seed)
    {
        Random random = new Random(seed);
        for (int index = 0; index < count; index++)
        {
            Ipv4Address spoofed = new Ipv4Address(198, 19, (byte)random.Next(256), (byte)random.Next(1, 255));
            pair.Network.Inject(spoofed, TcpPair.ServerAddress, Segment(spoofed, new TcpHeader
            {
                SourcePort = (ushort)random.Next(1024, 65536), DestinationPort = TcpPair.ServerPort,
                SequenceNumber = (uint)random.Next(), Flags = TcpFlags.Syn, Window = 1000, MaximumSegmentSize = 1460,
            }));
        }
    }

    // The attacker's SYN from port with sequence number sequence, while the SYN queue is full:
    // the cookie of the SYN-ACK.
    private static uint SynForCookie(TcpPair pair, ushort port, uint sequence)
    {
        int before = pair.Network.Sent.Count;
        pair.Network.Inject(Attacker, TcpPair.ServerAddress, Segment(Attacker, new TcpHeader
        {
            SourcePort = port, DestinationPort = TcpPair.ServerPort, SequenceNumber = sequence, Flags = TcpFlags.Syn,
            Window = 1000, MaximumSegmentSize = 1460,
        }));
        Datagram synAck = Assert.Single(pair.Network.Sent.Skip(before));
        Assert.True(synAck.Has(TcpFlags.Syn) && synAck.Has(TcpFlags.Ack));
        Assert.Equal(sequence + 1, synAck.Header.AcknowledgmentNumber);
        return synAck.Header.SequenceNumber;
    }

    private static byte[] Ack(TcpPair pair, ushort port, uint sequence, uint acknowledgment, byte[]? data = null)
    {
        TcpHeader header = new TcpHeader
        {
            SourcePort = port, DestinationPort = TcpPair.ServerPort, SequenceNumber = sequence,
            AcknowledgmentNumber = acknowledgment, Flags = (byte)(TcpFlags.Ack | (data != null ? TcpFlags.Psh : 0)), Window = 1000,
        };
        data ??= Array.Empty<byte>();
        byte[] bytes = new byte[header.Length + data.Length];
        data.CopyTo(bytes, header.Length);
        header.Emit(bytes, Attacker, TcpPair.ServerAddress);
        return bytes;
    }

    private static byte[] Segment(Ipv4Address source, TcpHeader header)
    {
        byte[] bytes = new byte[header.Length];
        header.Emit(bytes, source, TcpPair.ServerAddress);
        return bytes;
    }
}
