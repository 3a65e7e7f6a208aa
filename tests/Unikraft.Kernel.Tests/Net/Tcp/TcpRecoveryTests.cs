namespace Unikraft.Kernel.Tests.Net.Tcp;

using System;
using System.Collections.Generic;
using System.Linq;
using Unikraft.Kernel;
using Xunit;

// Loss, reordering and flow control: what the retransmission timer, fast retransmit, the
// out-of-order queue and the persist timer are for.
public class TcpRecoveryTests
{
    private const long Second = TcpPair.Second;

    [Fact]
    public void SynRetransmittedAfterLoss()
    {
        TcpPair pair = new TcpPair();
        pair.Listen();
        bool dropped = false;
        pair.Network.Drop = d => d.Has(TcpFlags.Syn) && !d.Has(TcpFlags.Ack) && !dropped && (dropped = true);
        TcpSocket client = pair.Client.CreateSocket();
        client.Connect(TcpPair.ServerAddress, TcpPair.ServerPort);

        Assert.True(pair.Network.RunUntil(() => client.State == TcpState.Established, 10 * Second));
        Datagram[] syns = pair.Network.Sent.Where(d => d.Header.Flags == TcpFlags.Syn).ToArray();
        Assert.Equal(2, syns.Length);
        Assert.Equal(syns[0].Header.SequenceNumber, syns[1].Header.SequenceNumber);
        // NOTE: the initial RTO is one second (RFC 6298, 2.1).
        Assert.Equal(TcpRetransmitTimer.InitialTimeout, syns[1].SentAt - syns[0].SentAt);
        // NOTE: with no RTT measured, data starts with an RTO of 3 seconds (RFC 6298, 5.7).
        Assert.Equal(TcpRetransmitTimer.AfterSynLossTimeout, client.RetransmitTimeout);
    }

    [Fact]
    public void SynAckLost_ServerRetransmitsIt()
    {
        TcpPair pair = new TcpPair();
        pair.Listen();
        bool dropped = false;
        pair.Network.Drop = d => d.Header.Flags == (TcpFlags.Syn | TcpFlags.Ack) && !dropped && (dropped = true);
        TcpSocket client = pair.Client.CreateSocket();
        client.Connect(TcpPair.ServerAddress, TcpPair.ServerPort);
        Assert.True(pair.Network.RunUntil(() => client.State == TcpState.Established, 10 * Second));
        Assert.True(pair.Network.Sent.Count(d => d.Header.Flags == (TcpFlags.Syn | TcpFlags.Ack)) >= 2);
    }

    [Fact]
    public void ConnectWithNoAnswer_TimesOutAfterTheSynRetries()
    {
        TcpPair pair = new TcpPair();
        pair.Network.Drop = d => true;
        TcpSocket client = pair.Client.CreateSocket();
        client.Connect(TcpPair.ServerAddress, TcpPair.ServerPort);
        Assert.True(pair.Network.RunUntil(() => client.State == TcpState.Closed, 1000 * Second));

        Assert.Equal(-Errno.ETIMEDOUT, client.Send(new byte[1]));
        Assert.Equal(1 + pair.Client.SynRetries, pair.Network.Sent.Count(d => d.Has(TcpFlags.Syn)));
    }

    [Fact]
    public void RtoBackoff_DoublesTheWaitEachTime()
    {
        TcpPair pair = new TcpPair();
        (TcpSocket client, TcpSocket _) = pair.Connect();
        pair.Network.Drop = d => d.Source == TcpPair.ClientAddress;
        client.Send(new byte[100]);
        pair.Network.RunFor(40 * Second);

        long[] times = pair.Network.Sent.Where(d => d.Source == TcpPair.ClientAddress && d.PayloadLength == 100).Select(d => d.SentAt).ToArray();
        Assert.True(times.Length >= 6, "only " + times.Length + " transmissions");
        // First the tail loss probe, after PTO = 2 SRTT + 200 ms for a lone segment, capped by the
        // RTO (RFC 8985, 7.2); it arms the RTO again.
        Assert.Equal(1, pair.Client.TailLossProbes);
        Assert.Equal(TcpRetransmitTimer.MinimumTimeout, times[1] - times[0]);
        for (int index = 2; index < 6; index++)
        {
            // NOTE: the 200 ms floor, then doubling (RFC 6298, 5.5).
            Assert.Equal(TcpRetransmitTimer.MinimumTimeout << (index - 2), times[index] - times[index - 1]);
        }
    }

    // The ACK of a flight's tail is lost while every segment arrived: nothing else would come
    // back, so without a probe the sender waits for its RTO and then collapses its window. The
    // probe (the last segment again, after about two round trips) draws an ACK that covers it all.
    [Fact]
    public void LostAckOfTheTail_IsRepairedByATailLossProbe_WithoutATimeout()
    {
        (TcpPair pair, TcpSocket client, TcpSocket server) = Warmed(100_000, 31);
        long window = client.CongestionWindow;

        byte[] data = TcpPair.Pattern(4 * client.SendMss, 32);
        bool dropped = false;
        // Every ACK from the server until the one lost has acknowledged the whole burst.
        pair.Network.Drop = d => d.Source == TcpPair.ServerAddress && d.PayloadLength == 0 && !dropped &&
            server.ReceivedCount == data.Length && (dropped = true);
        Assert.Equal(data.Length, client.Send(data));
        long start = pair.Network.Clock.MonotonicNanoseconds;
        Assert.True(pair.Network.RunUntil(() => client.SendQueued == 0, 10 * Second));
        long elapsed = pair.Network.Clock.MonotonicNanoseconds - start;

        Assert.True(dropped, "no ACK of the whole burst was dropped");
        Assert.Equal(1, pair.Client.TailLossProbes);
        Assert.Equal(0, pair.Client.RetransmitTimeouts);
        Assert.True(elapsed < TcpRetransmitTimer.MinimumTimeout, "all acknowledged after " + elapsed + " ns");
        Assert.True(client.CongestionWindow >= window, "the window fell from " + window + " to " + client.CongestionWindow);
        byte[] read = new byte[data.Length];
        Assert.Equal(data.Length, server.Receive(read));
        Assert.Equal(data, read);
    }

    // The segment before a flight's last one is lost: one duplicate ACK comes back, too few for
    // fast retransmit, and nothing more is to be sent. The probe (the last segment again) is
    // SACKed while SND.UNA stays: the segment before it is lost, and is sent again at once.
    [Fact]
    public void LostSegmentBeforeTheTail_IsFoundByTheProbesSack_WithoutATimeout()
    {
        (TcpPair pair, TcpSocket client, TcpSocket server) = Warmed(100_000, 35);

        byte[] data = TcpPair.Pattern(4 * client.SendMss, 36);
        int dataSegments = 0;
        pair.Network.Drop = d => d.Source == TcpPair.ClientAddress && d.PayloadLength > 0 && ++dataSegments == 3;
        Assert.Equal(data.Length, client.Send(data));
        long start = pair.Network.Clock.MonotonicNanoseconds;
        Assert.True(pair.Network.RunUntil(() => client.SendQueued == 0, 10 * Second));
        long elapsed = pair.Network.Clock.MonotonicNanoseconds - start;

        Assert.Equal(1, pair.Client.TailLossProbes);
        Assert.Equal(0, pair.Client.RetransmitTimeouts);
        Assert.Equal(1, client.FastRetransmits);
        Assert.True(elapsed < TcpRetransmitTimer.MinimumTimeout, "all acknowledged after " + elapsed + " ns");
        byte[] read = new byte[data.Length];
        Assert.Equal(data.Length, server.Receive(read));
        Assert.Equal(data, read);
    }

    // Linux's receiver opens its window a little with each segment it queues out of order, so its
    // duplicate ACKs carry different windows; RFC 5681's definition would not count them, RFC
    // 6675's (2: an ACK that SACKs bytes not SACKed before) does, and fast retransmit starts at
    // the third as it would with equal windows.
    [Fact]
    public void DuplicateAcksWhoseWindowGrows_StillStartFastRetransmit_WhenTheySackNewData()
    {
        (TcpPair pair, TcpSocket client, TcpSocket server) = Warmed(100_000, 37);

        var held = new List<Datagram>();
        int dataSegments = 0;
        pair.Network.Drop = d =>
        {
            if (d.Source == TcpPair.ClientAddress)
            {
                return d.PayloadLength > 0 && ++dataSegments == 1;
            }
            if (d.PayloadLength == 0 && d.Header.Sack.Count > 0)
            {
                held.Add(d);
                return true;
            }
            return false;
        };
        byte[] data = TcpPair.Pattern(6 * client.SendMss, 38);
        Assert.Equal(data.Length, client.Send(data));
        // The data arrives after 1 ms; the duplicate ACKs are held before a probe could go.
        pair.Network.RunFor(1_500_000);
        Assert.True(held.Count >= 3, "duplicate ACKs held: " + held.Count);
        pair.Network.Drop = null;

        long sent = pair.Client.FastRetransmitsSent;
        for (int index = 0; index < 3; index++)
        {
            TcpHeader header = held[index].Header;
            header.Window = (ushort)(header.Window + 3 * (index + 1));
            byte[] bytes = new byte[header.Length];
            header.Emit(bytes, TcpPair.ServerAddress, TcpPair.ClientAddress);
            pair.Network.Inject(TcpPair.ServerAddress, TcpPair.ClientAddress, bytes);
        }

        Assert.Equal(1, client.FastRetransmits);
        Assert.Equal(sent + 1, pair.Client.FastRetransmitsSent);
        Assert.Equal(0, pair.Client.TailLossProbes);
        Assert.True(pair.Network.RunUntil(() => client.SendQueued == 0, 10 * Second));
        Assert.Equal(0, pair.Client.RetransmitTimeouts);
    }

    // The fast retransmission is lost as well. Segments first sent after it are SACKed while
    // SND.UNA stays: it is sent again then, not at the RTO (which would also collapse the window).
    [Fact]
    public void LostFastRetransmission_IsSentAgainWhenLaterDataIsSacked_WithoutATimeout()
    {
        // A short warm-up: the congestion window stays below the peer's window, so new data can
        // still leave while SND.UNA waits for the repair.
        (TcpPair pair, TcpSocket client, TcpSocket server) = Warmed(20_000, 39);

        uint first = 0;
        int sends = 0;
        pair.Network.Drop = d =>
        {
            if (d.Source != TcpPair.ClientAddress || d.PayloadLength == 0)
            {
                return false;
            }
            if (sends == 0)
            {
                first = d.Header.SequenceNumber;
            }
            // The first data segment of the burst, and its first retransmission.
            return d.Header.SequenceNumber == first && ++sends <= 2;
        };
        byte[] data = TcpPair.Pattern(400 * client.SendMss, 40);
        Assert.Equal(data, pair.Transfer(client, server, data));

        // Sent three times: lost, lost again, then delivered.
        Assert.Equal(3, sends);
        Assert.True(pair.Client.LostRetransmissions == 1, "lost retransmissions " + pair.Client.LostRetransmissions + ", timeouts " + pair.Client.RetransmitTimeouts +
            ", probes " + pair.Client.TailLossProbes + ", fast " + pair.Client.FastRetransmitsSent + ", sack " + pair.Client.SackRetransmits);
        Assert.Equal(0, pair.Client.RetransmitTimeouts);
    }

    // Without SACK no probe is scheduled (RFC 8985, 7.2): the RTO repairs the same loss.
    [Fact]
    public void LostAckOfTheTail_WithoutSack_WaitsForTheRto()
    {
        (TcpPair pair, TcpSocket client, TcpSocket server) = Warmed(100_000, 33, sack: false);

        byte[] data = TcpPair.Pattern(4 * client.SendMss, 34);
        bool dropped = false;
        pair.Network.Drop = d => d.Source == TcpPair.ServerAddress && d.PayloadLength == 0 && !dropped &&
            server.ReceivedCount == data.Length && (dropped = true);
        Assert.Equal(data.Length, client.Send(data));
        Assert.True(pair.Network.RunUntil(() => client.SendQueued == 0, 10 * Second));

        Assert.True(dropped);
        Assert.Equal(0, pair.Client.TailLossProbes);
        Assert.Equal(1, pair.Client.RetransmitTimeouts);
    }

    // A connection over 1 ms each way that has moved warmupBytes and sat idle for a second: the
    // round trip measured, the congestion window grown with the warm-up.
    private static (TcpPair Pair, TcpSocket Client, TcpSocket Server) Warmed(int warmupBytes, int seed, bool sack = true)
    {
        TcpPair pair = new TcpPair();
        pair.Client.UseSack = sack;
        pair.Network.Latency = 1_000_000;
        (TcpSocket client, TcpSocket server) = pair.Connect();
        byte[] warmup = TcpPair.Pattern(warmupBytes, seed);
        Assert.Equal(warmup, pair.Transfer(client, server, warmup));
        pair.Network.RunFor(Second);
        return (pair, client, server);
    }

    [Fact]
    public void UnansweredData_GivesUpWithTimedOut()
    {
        TcpPair pair = new TcpPair();
        (TcpSocket client, TcpSocket _) = pair.Connect();
        pair.Client.MaximumRetransmissions = 4;
        pair.Network.Drop = d => d.Source == TcpPair.ClientAddress;
        client.Send(new byte[100]);
        Assert.True(pair.Network.RunUntil(() => client.State == TcpState.Closed, 1000 * Second));
        Assert.Equal(-Errno.ETIMEDOUT, client.Receive(new byte[1]));
    }

    [Fact]
    public void KarnsRule_NoRttSampleFromARetransmittedSegment()
    {
        TcpPair pair = new TcpPair();
        // Without timestamps the only RTT source is timing one segment, which Karn forbids for
        // a retransmitted one (RFC 6298, 3).
        pair.Client.UseTimestamps = false;
        (TcpSocket client, TcpSocket _) = pair.Connect();
        bool dropped = false;
        pair.Network.Drop = d => d.Source == TcpPair.ClientAddress && d.PayloadLength > 0 && !dropped && (dropped = true);
        client.Send(new byte[100]);
        Assert.True(pair.Network.RunUntil(() => client.SendQueued == 0, 10 * Second));

        Assert.Equal(1, pair.Client.RetransmitTimeouts);
        // Had the retransmission been timed from the first send, one second would be in SRTT.
        Assert.True(client.SmoothedRoundTrip < Second / 20, "SRTT " + client.SmoothedRoundTrip);
        Assert.Equal(TcpRetransmitTimer.MinimumTimeout, client.RetransmitTimeout);
    }

    [Fact]
    public void FastRetransmit_AfterThreeDuplicateAcks()
    {
        TcpPair pair = new TcpPair();
        (TcpSocket client, TcpSocket server) = pair.Connect();
        byte[] warmup = TcpPair.Pattern(100_000, 5);
        Assert.Equal(warmup, pair.Transfer(client, server, warmup));

        // Lose the second data segment of the next burst once.
        int dataSegments = 0;
        pair.Network.Drop = d => d.Source == TcpPair.ClientAddress && d.PayloadLength > 0 && ++dataSegments == 2;
        byte[] data = TcpPair.Pattern(60_000, 6);
        long started = pair.Network.Clock.MonotonicNanoseconds;
        Assert.Equal(data, pair.Transfer(client, server, data));

        Assert.Equal(1, client.FastRetransmits);
        Assert.Equal(0, pair.Client.RetransmitTimeouts);
        // Recovered well before a retransmission timeout could have fired.
        Assert.True(pair.Network.Clock.MonotonicNanoseconds - started < client.RetransmitTimeout);
        // NOTE: ssthresh fell to half the flight (RFC 5681, 3.2, equation 4).
        Assert.True(client.SlowStartThreshold < int.MaxValue);
    }

    [Fact]
    public void NewReno_RecoversTwoLossesInOneWindowWithoutATimeout()
    {
        TcpPair pair = new TcpPair();
        (TcpSocket client, TcpSocket server) = pair.Connect();
        byte[] warmup = TcpPair.Pattern(200_000, 7);
        Assert.Equal(warmup, pair.Transfer(client, server, warmup));

        int dataSegments = 0;
        pair.Network.Drop = d => d.Source == TcpPair.ClientAddress && d.PayloadLength > 0 && (++dataSegments == 2 || dataSegments == 5);
        byte[] data = TcpPair.Pattern(60_000, 8);
        Assert.Equal(data, pair.Transfer(client, server, data));

        // The second loss is repaired by a partial ACK's retransmission (RFC 6582, 3.2, step 5).
        Assert.Equal(1, client.FastRetransmits);
        Assert.Equal(0, pair.Client.RetransmitTimeouts);
        Assert.True(pair.Client.FastRetransmitsSent >= 2);
    }

    [Fact]
    public void SackRecovery_RepairsThreeLossesInOneRoundTrip_WhereNewRenoTakesThree()
    {
        long withSack = TimeToRepairThreeLosses(true, out TcpPair sack);
        long withoutSack = TimeToRepairThreeLosses(false, out TcpPair reno);
        const long roundTrip = 2 * 10_000_000;

        Assert.Equal(0, sack.Client.RetransmitTimeouts);
        Assert.Equal(0, reno.Client.RetransmitTimeouts);
        Assert.True(sack.Client.SackRetransmits >= 2, "SACK retransmissions: " + sack.Client.SackRetransmits);
        Assert.Equal(0, reno.Client.SackRetransmits);
        // NewReno repairs one hole per round trip (RFC 6582, 3.2, step 5); SACK all three in the
        // round trip after the third duplicate ACK (RFC 6675).
        Assert.True(withoutSack - withSack >= roundTrip, "with SACK " + withSack + " ns, without " + withoutSack + " ns");
    }

    // Warms a connection with 10 ms each way, loses data segments 2, 4 and 6 of a burst, and
    // measures how long until the receiver holds everything up to the sixth.
    private static long TimeToRepairThreeLosses(bool sack, out TcpPair pair)
    {
        pair = new TcpPair(3);
        pair.Client.UseSack = sack;
        pair.Network.Latency = 10_000_000;
        (TcpSocket client, TcpSocket server) = pair.Connect();
        byte[] warmup = TcpPair.Pattern(300_000, 20);
        Assert.Equal(warmup, pair.Transfer(client, server, warmup));
        pair.Network.RunFor(Second);

        int dataSegments = 0;
        pair.Network.Drop = d => d.Source == TcpPair.ClientAddress && d.PayloadLength > 0 && ++dataSegments is 2 or 4 or 6;
        byte[] data = TcpPair.Pattern(20 * client.SendMss, 21);
        Assert.Equal(data.Length, client.Send(data));
        long start = pair.Network.Clock.MonotonicNanoseconds;
        int need = 7 * client.SendMss;
        Assert.True(pair.Network.RunUntil(() => server.ReceivedCount >= need, 60 * Second));
        long elapsed = pair.Network.Clock.MonotonicNanoseconds - start;
        byte[] read = new byte[data.Length];
        Assert.True(pair.Network.RunUntil(() => server.ReceivedCount == data.Length, 60 * Second));
        Assert.Equal(data.Length, server.Receive(read));
        Assert.Equal(data, read);
        return elapsed;
    }

    [Fact]
    public void OutOfOrderSegments_AreReassembled()
    {
        TcpPair pair = new TcpPair();
        (TcpSocket client, TcpSocket server) = pair.Connect();
        client.NoDelay = true;
        // Hold the first segment back until the later ones arrived.
        List<Datagram> held = new List<Datagram>();
        pair.Network.Drop = d =>
        {
            if (d.Source == TcpPair.ClientAddress && d.PayloadLength > 0 && held.Count == 0)
            {
                held.Add(d);
                return true;
            }
            return false;
        };
        // NOTE: three segments, the initial window of RFC 5681, 3.1 for this MSS.
        byte[] data = TcpPair.Pattern(3 * 1448, 9);
        Assert.Equal(data.Length, client.Send(data));
        pair.Network.Deliver();
        Assert.Equal(0, server.ReceivedCount);
        // The receiver acknowledged each out-of-order segment at once, with a SACK block for
        // what it holds (RFC 5681, 4.2; RFC 2018, 4).
        Datagram lastAck = pair.Network.Sent.Last(d => d.Source == TcpPair.ServerAddress);
        Assert.Equal(1, lastAck.Header.Sack.Count);
        Assert.Equal(held[0].Header.SequenceNumber + 1448, lastAck.Header.Sack.Left(0));
        Assert.Equal(held[0].Header.SequenceNumber + (uint)data.Length, lastAck.Header.Sack.Right(0));

        pair.Network.Inject(held[0].Source, held[0].Destination, held[0].Bytes);
        Assert.Equal(data.Length, server.ReceivedCount);
        byte[] read = new byte[data.Length];
        Assert.Equal(data.Length, server.Receive(read));
        Assert.Equal(data, read);
    }

    [Fact]
    public void ZeroWindow_ThenProbe_ThenTheRest()
    {
        TcpPair pair = new TcpPair();
        pair.Server.DefaultReceiveBufferSize = 4096;
        (TcpSocket client, TcpSocket server) = pair.Connect();
        byte[] data = TcpPair.Pattern(20_000, 10);
        int written = (int)client.Send(data);
        pair.Network.RunFor(5 * Second);
        Assert.Equal(4096, server.ReceivedCount);
        Assert.Equal(0, client.PeerWindow);

        // The receiver's application sleeps; the sender probes with backoff and does not give up.
        pair.Network.RunFor(120 * Second);
        Assert.True(pair.Client.WindowProbes >= 4, "probes: " + pair.Client.WindowProbes);
        Assert.Equal(TcpState.Established, client.State);
        Assert.Equal(4096, server.ReceivedCount);

        // The application reads: the window reopens and every byte arrives in order.
        List<byte> received = new List<byte>();
        byte[] buffer = new byte[1000];
        Assert.True(pair.Network.RunUntil(() =>
        {
            while (written < data.Length && client.Send(data.AsSpan(written)) is long sent && sent > 0)
            {
                written += (int)sent;
            }
            long read;
            while ((read = server.Receive(buffer)) > 0)
            {
                received.AddRange(buffer.Take((int)read));
            }
            return received.Count == data.Length;
        }, 600 * Second));
        Assert.Equal(data, received.ToArray());
    }

    [Fact]
    public void LostWindowUpdate_IsRecoveredByTheProbe()
    {
        TcpPair pair = new TcpPair();
        pair.Server.DefaultReceiveBufferSize = 4096;
        (TcpSocket client, TcpSocket server) = pair.Connect();
        client.Send(new byte[8192]);
        pair.Network.RunFor(5 * Second);
        Assert.Equal(0, client.PeerWindow);
        // The window update the read causes is lost; only the persist timer can find out.
        pair.Network.Drop = d => d.Source == TcpPair.ServerAddress;
        Assert.Equal(4096, server.Receive(new byte[4096]));
        pair.Network.Deliver();
        pair.Network.Drop = null;
        Assert.True(pair.Network.RunUntil(() => server.ReceivedCount == 4096, 200 * Second));
    }

    [Fact]
    public void PeerThatStopsReading_CannotMakeEitherSideBufferWithoutBound()
    {
        TcpPair pair = new TcpPair();
        (TcpSocket client, TcpSocket server) = pair.Connect();
        byte[] chunk = new byte[1024];
        long accepted = 0;
        bool refused = false;
        for (int round = 0; round < 200; round++)
        {
            long result;
            while ((result = client.Send(chunk)) > 0)
            {
                accepted += result;
            }
            refused |= result == -Errno.EAGAIN;
            pair.Network.RunFor(Second);
        }

        Assert.True(refused);
        Assert.True(accepted <= client.SendBufferSize + server.ReceiveBufferSize, "accepted " + accepted);
        // The receiver holds what its window allowed: all of its buffer but what the window
        // shift cannot express (RFC 7323, 2.3).
        Assert.InRange(server.ReceivedCount, server.ReceiveBufferSize - (1 << server.ReceiveWindowShift), server.ReceiveBufferSize);
        Assert.Equal(client.SendBufferSize, client.SendQueued);
        Assert.Equal(0, client.Poll() & PollEvents.POLLOUT);
        Assert.Equal(TcpState.Established, client.State);
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void RandomLossReorderAndDuplication_KeepBothStreamsIntact(int seed)
    {
        TcpPair pair = new TcpPair(seed);
        pair.Network.LossRate = 0.05;
        pair.Network.DuplicateRate = 0.05;
        pair.Network.ReorderRate = 0.2;
        // Some seeds run with a delay of 0, 5 or 10 ms each way, so timers and data interleave.
        pair.Network.Latency = seed % 3 * 5_000_000;
        TcpSocket listener = pair.Listen();
        TcpSocket client = pair.Client.CreateSocket();
        client.Connect(TcpPair.ServerAddress, TcpPair.ServerPort);
        TcpSocket? server = null;
        Assert.True(pair.Network.RunUntil(() => listener.Accept(out server) == 0, 120 * Second));

        byte[] up = TcpPair.Pattern(150_000 + seed, seed);
        byte[] down = TcpPair.Pattern(90_000 - seed, seed + 1000);
        Assert.Equal(up, pair.Transfer(client, server!, up, 3000 * Second));
        Assert.Equal(down, pair.Transfer(server!, client, down, 3000 * Second));

        client.Close();
        Assert.True(pair.Network.RunUntil(() => server!.Receive(new byte[1]) == 0, 600 * Second));
        server!.Close();
        Assert.True(pair.Network.RunUntil(() => server.State == TcpState.Closed &&
            (client.State == TcpState.TimeWait || client.State == TcpState.Closed), 600 * Second),
            "client " + TcpState.Name(client.State) + ", server " + TcpState.Name(server.State));
    }

    public static IEnumerable<object[]> Seeds()
    {
        for (int seed = 1; seed <= 48; seed++)
        {
            yield return new object[] { seed };
        }
    }

    // Found by the simulator (TcpScenarios.Bulk_FivePercentLoss, seed 300): both ends had the
    // other's data but neither had its own acknowledged, both timed out and went back to SND.UNA.
    // Their ACKs then carried that old SND.NXT, below what the peer had received, so each peer
    // took them for old duplicates and dropped them unread, ACK field included: neither SND.UNA
    // ever moved and both gave up with ETIMEDOUT. An ACK carries SND.MAX, and the peer takes it.
    [Fact]
    public void BothEndsTimedOut_TheirAcksStillAcknowledge()
    {
        TcpPair pair = new TcpPair();
        (TcpSocket client, TcpSocket server) = pair.Connect();
        // Every segment without data is lost for the first 5 s: the data gets through, the ACKs
        // of it do not, and both retransmission timers fire.
        long until = pair.Network.Clock.MonotonicNanoseconds + 5 * Second;
        pair.Network.Drop = d => d.PayloadLength == 0 && pair.Network.Clock.MonotonicNanoseconds < until;
        byte[] up = TcpPair.Pattern(3000, 11);
        byte[] down = TcpPair.Pattern(3000, 12);
        Assert.Equal(3000, client.Send(up));
        Assert.Equal(3000, server.Send(down));
        byte[] buffer = new byte[8192];
        int upReceived = 0;
        int downReceived = 0;

        bool acknowledged = pair.Network.RunUntil(() =>
        {
            long read;
            while ((read = server.Receive(buffer)) > 0)
            {
                upReceived += (int)read;
            }
            while ((read = client.Receive(buffer)) > 0)
            {
                downReceived += (int)read;
            }
            return client.SendQueued == 0 && server.SendQueued == 0;
        }, 60 * Second);

        Assert.True(pair.Client.RetransmitTimeouts > 0 && pair.Server.RetransmitTimeouts > 0, "a timer did not fire");
        Assert.True(acknowledged, "still unacknowledged after a minute: client " + client.SendQueued + ", server " + server.SendQueued +
            " bytes; states " + TcpState.Name(client.State) + ", " + TcpState.Name(server.State));
        Assert.Equal(3000, upReceived);
        Assert.Equal(3000, downReceived);
        // Acknowledged within a few round trips of the ACKs getting through again.
        Assert.True(pair.Network.Clock.MonotonicNanoseconds < until + 10 * Second);
    }

    // Found by the simulator (TcpScenarios.Bulk_Corruption, seed 600, by the frame audit): an end
    // that held out-of-order data put SACK blocks on its own full-sized data segments without
    // taking their room off the data, so each such segment was up to 28 bytes longer than the
    // MSS allowed and left the interface in two IPv4 fragments. The data of a segment shrinks by
    // the SACK option it carries, as Linux's tcp_current_mss takes the options off.
    [Fact]
    public void SegmentsCarryingSackBlocks_StayWithinTheMss()
    {
        TcpPair pair = new TcpPair();
        (TcpSocket client, TcpSocket server) = pair.Connect();
        // One client data segment is lost, so the server holds out-of-order data (and reports it
        // in SACK blocks) while it sends a bulk of its own.
        int clientSegments = 0;
        pair.Network.Drop = d => d.Source == TcpPair.ClientAddress && d.PayloadLength > 0 && ++clientSegments == 2;
        byte[] up = TcpPair.Pattern(20_000, 21);
        byte[] down = TcpPair.Pattern(200_000, 22);
        int upSent = 0;
        int downSent = 0;
        int upReceived = 0;
        int downReceived = 0;
        byte[] buffer = new byte[65536];
        Assert.True(pair.Network.RunUntil(() =>
        {
            long result;
            while (upSent < up.Length && (result = client.Send(up.AsSpan(upSent))) > 0)
            {
                upSent += (int)result;
            }
            while (downSent < down.Length && (result = server.Send(down.AsSpan(downSent))) > 0)
            {
                downSent += (int)result;
            }
            while ((result = server.Receive(buffer)) > 0)
            {
                upReceived += (int)result;
            }
            while ((result = client.Receive(buffer)) > 0)
            {
                downReceived += (int)result;
            }
            return upReceived == up.Length && downReceived == down.Length;
        }, 60 * Second));

        Datagram[] sackCarriers = pair.Network.Sent.Where(d => d.Source == TcpPair.ServerAddress && d.PayloadLength > 0 && d.Header.Sack.Count > 0).ToArray();
        Assert.NotEmpty(sackCarriers);
        Assert.All(pair.Network.Sent, d => Assert.True(d.Bytes.Length <= TcpTestNetwork.PayloadLimit,
            "a " + d.Bytes.Length + "-byte segment for a " + TcpTestNetwork.PayloadLimit + "-byte path: " + d));
        // Full segments with SACK blocks still carry as much as fits.
        Assert.Contains(sackCarriers, d => d.Bytes.Length == TcpTestNetwork.PayloadLimit);
    }
}
