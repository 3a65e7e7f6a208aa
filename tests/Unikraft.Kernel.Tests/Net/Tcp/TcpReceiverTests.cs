namespace Unikraft.Kernel.Tests.Net.Tcp;

using System;
using System.Linq;
using Unikraft.Kernel;
using Xunit;

// The receiving side as a sender sees it: the ACKs it sends for the segments it gets, their SACK
// blocks, timestamps and window. Segments are forged from the client's connection so that each
// arrives exactly when and where the test says.
public sealed class TcpReceiverTests
{
    private const long Second = TcpPair.Second;

    [Fact]
    public void SackBlocks_NameTheRunThatTookTheLatestSegmentFirst()
    {
        TcpPair pair = new TcpPair();
        (TcpSocket client, TcpSocket server) = pair.Connect();
        // The server's answers go nowhere: the client's own stack never sees them.
        pair.Network.Drop = d => d.Destination == TcpPair.ClientAddress;
        uint start = NextSequence(pair, TcpPair.ClientAddress);
        uint stamp = LastTimestamp(pair);
        // Four runs past a hole at the front, arriving lowest first.
        for (int run = 1; run <= 7; run += 2)
        {
            Inject(pair, client, start + (uint)run * 1000, 1000, ++stamp);
        }
        Assert.Equal(0, server.ReceivedCount);
        TcpHeader ack = LastAck(pair);
        // NOTE: with timestamps three blocks fit (RFC 2018, 3); the first MUST hold the segment
        // that made the ACK, the others are the most recently reported (RFC 2018, 4).
        Assert.Equal(3, ack.Sack.Count);
        Assert.Equal((start + 7000, start + 8000), (ack.Sack.Left(0), ack.Sack.Right(0)));
        Assert.Equal((start + 5000, start + 6000), (ack.Sack.Left(1), ack.Sack.Right(1)));
        Assert.Equal((start + 3000, start + 4000), (ack.Sack.Left(2), ack.Sack.Right(2)));

        // A segment between the first two runs joins them: that run comes first now.
        Inject(pair, client, start + 2000, 1000, ++stamp);
        ack = LastAck(pair);
        Assert.Equal(start + 1000, ack.Sack.Left(0));
        Assert.Equal(start + 4000, ack.Sack.Right(0));
        Assert.Equal((start + 7000, start + 8000), (ack.Sack.Left(1), ack.Sack.Right(1)));
        Assert.Equal((start + 5000, start + 6000), (ack.Sack.Left(2), ack.Sack.Right(2)));

        // The hole at the front filled: all up to the last run is readable, the rest still held.
        Inject(pair, client, start, 1000, ++stamp);
        Assert.Equal(4000, server.ReceivedCount);
        ack = LastAck(pair);
        Assert.Equal(start + 4000, ack.AcknowledgmentNumber);
        Assert.Equal(2, ack.Sack.Count);
        Assert.Equal((start + 7000, start + 8000), (ack.Sack.Left(0), ack.Sack.Right(0)));
    }

    [Fact]
    public void DelayedAck_EchoesTheTimestampOfTheEarliestSegmentItAcknowledges()
    {
        TcpPair pair = new TcpPair();
        (TcpSocket client, TcpSocket server) = pair.Connect();
        // The server's answers go nowhere: the client's own stack never sees them.
        pair.Network.Drop = d => d.Destination == TcpPair.ClientAddress;
        uint start = NextSequence(pair, TcpPair.ClientAddress);
        uint stamp = LastTimestamp(pair);
        int acksBefore = AckCount(pair);
        // Two small segments in order: neither is acknowledged at once.
        Inject(pair, client, start, 100, stamp + 10);
        Inject(pair, client, start + 100, 100, stamp + 20);
        Assert.Equal(acksBefore, AckCount(pair));
        pair.Network.RunFor(Second);
        TcpHeader ack = LastAck(pair);
        Assert.Equal(start + 200, ack.AcknowledgmentNumber);
        // NOTE: RFC 7323, 4.3: TS.Recent is taken only from a segment at or below Last.ACK.sent,
        // so a delayed ACK echoes the first segment's timestamp (its case A) and the sender's
        // RTT measurement includes the delay.
        Assert.Equal(stamp + 10, ack.TimestampEcho);

        // An out-of-order segment does not move the echo; the one that fills the hole does.
        Inject(pair, client, start + 300, 100, stamp + 30);
        Assert.Equal(stamp + 10, LastAck(pair).TimestampEcho);
        Inject(pair, client, start + 200, 100, stamp + 40);
        ack = LastAck(pair);
        Assert.Equal(start + 400, ack.AcknowledgmentNumber);
        Assert.Equal(stamp + 40, ack.TimestampEcho);
    }

    // A device with offloads hands up segments the host never cut: one that holds two full
    // segments or more is acknowledged at once, as two full-sized segments are (RFC 9293,
    // 3.8.6.3), while one full segment still waits for its delayed ACK.
    [Fact]
    public void UncutSegmentOfSeveralMss_IsAcknowledgedAtOnce()
    {
        TcpPair pair = new TcpPair();
        (TcpSocket client, TcpSocket server) = pair.Connect();
        pair.Network.Drop = d => d.Destination == TcpPair.ClientAddress;
        uint start = NextSequence(pair, TcpPair.ClientAddress);
        uint stamp = LastTimestamp(pair);
        int mss = server.SendMss;
        int acksBefore = AckCount(pair);

        Inject(pair, client, start, mss, stamp + 1);
        Assert.Equal(acksBefore, AckCount(pair));
        pair.Network.RunFor(Second);
        Assert.Equal(start + (uint)mss, LastAck(pair).AcknowledgmentNumber);
        int acksAfterDelay = AckCount(pair);

        Inject(pair, client, start + (uint)mss, 20 * mss, stamp + 2);

        Assert.Equal(acksAfterDelay + 1, AckCount(pair));
        Assert.Equal(start + (uint)(21 * mss), LastAck(pair).AcknowledgmentNumber);
    }

    [Fact]
    public void UnreadData_IsTakenUpTo256KiB_WhileTheBufferHoldsOnlyWhatWaits()
    {
        TcpPair pair = new TcpPair();
        (TcpSocket client, TcpSocket server) = pair.Connect();
        // A connection that got a short request holds no more memory than a small buffer would.
        Assert.Equal(100, client.Send(new byte[100]));
        Assert.True(pair.Network.RunUntil(() => server.ReceivedCount == 100, Second));
        Assert.True(server.ReceiveMemory <= 65536, "memory " + server.ReceiveMemory);
        Assert.Equal(100, server.Receive(new byte[100]));

        // A program that reads in bursts: the sender may send 256 KiB before the reader runs, so
        // the window stays open (a 64 KiB window fell under a segment every 64 KiB and left the
        // sender one lost ACK away from a retransmission timeout).
        Assert.Equal(3, server.ReceiveWindowShift);
        byte[] data = TcpPair.Pattern(250_000, 11);
        int written = 0;
        pair.Network.RunUntil(() =>
        {
            while (written < data.Length)
            {
                long sent = client.Send(data.AsSpan(written));
                if (sent <= 0)
                {
                    break;
                }
                written += (int)sent;
            }
            return server.ReceivedCount == data.Length;
        }, 60 * Second);
        Assert.Equal(data.Length, server.ReceivedCount);
        Assert.InRange(server.ReceiveMemory, data.Length, 1 << 18);
        byte[] read = new byte[data.Length];
        Assert.Equal(data.Length, server.Receive(read));
        Assert.Equal(data, read);
    }

    [Fact]
    public void RightEdgeOfTheWindow_NeverMovesLeft_AsAnUnreadBufferFills()
    {
        TcpPair pair = new TcpPair();
        (TcpSocket client, TcpSocket server) = pair.Connect();
        client.NoDelay = true;
        // NOTE: 1001-byte segments: what an ACK acknowledges is then rarely a whole number of the
        // window's units (8 bytes with a shift of 3).
        byte[] chunk = new byte[1001];
        pair.Network.RunUntil(() =>
        {
            if (client.SendQueued == 0)
            {
                client.Send(chunk);
            }
            return server.ReceivedCount >= 100_000;
        }, 600 * Second);
        Assert.True(server.ReceivedCount >= 100_000, "received " + server.ReceivedCount);
        // NOTE: RFC 9293, 3.8.6.2.2 and RFC 7323, 2.4: the receiver does not shrink its window.
        uint edge = 0;
        int acks = 0;
        foreach (Datagram datagram in pair.Network.Sent.Where(d => d.Source == TcpPair.ServerAddress && !d.Has(TcpFlags.Syn)))
        {
            TcpHeader ack = datagram.Header;
            uint right = ack.AcknowledgmentNumber + ((uint)ack.Window << server.ReceiveWindowShift);
            Assert.True(acks == 0 || TcpSequence.GreaterOrEqual(right, edge), "ACK " + acks + ": edge " + right + " after " + edge);
            edge = right;
            acks++;
        }
        Assert.True(acks > 50, "ACKs " + acks);
    }

    // The sequence number after the last byte (or SYN, or FIN) a host sent.
    private static uint NextSequence(TcpPair pair, Ipv4Address host)
    {
        Datagram last = pair.Network.Sent.Last(d => d.Source == host);
        TcpHeader header = last.Header;
        return header.SequenceNumber + (uint)last.PayloadLength + (header.HasFlag(TcpFlags.Syn) ? 1u : 0u) + (header.HasFlag(TcpFlags.Fin) ? 1u : 0u);
    }

    private static uint LastTimestamp(TcpPair pair) => pair.Network.Sent.Last(d => d.Source == TcpPair.ClientAddress).Header.TimestampValue;

    private static TcpHeader LastAck(TcpPair pair) => pair.Network.Sent.Last(d => d.Source == TcpPair.ServerAddress).Header;

    private static int AckCount(TcpPair pair) => pair.Network.Sent.Count(d => d.Source == TcpPair.ServerAddress);

    // A data segment of the client's connection, handed to the server.
    private static void Inject(TcpPair pair, TcpSocket client, uint sequence, int length, uint timestamp)
    {
        TcpHeader header = new TcpHeader
        {
            SourcePort = client.LocalPort,
            DestinationPort = TcpPair.ServerPort,
            SequenceNumber = sequence,
            AcknowledgmentNumber = NextSequence(pair, TcpPair.ServerAddress),
            Flags = TcpFlags.Ack | TcpFlags.Psh,
            Window = 1000,
            HasTimestamps = true,
            TimestampValue = timestamp,
        };
        byte[] bytes = new byte[header.Length + length];
        new Random((int)sequence).NextBytes(bytes.AsSpan(header.Length));
        header.Emit(bytes, TcpPair.ClientAddress, TcpPair.ServerAddress);
        pair.Network.Inject(TcpPair.ClientAddress, TcpPair.ServerAddress, bytes);
        pair.Network.Deliver();
    }
}
