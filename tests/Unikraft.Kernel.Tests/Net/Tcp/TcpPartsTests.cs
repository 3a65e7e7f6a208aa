namespace Unikraft.Kernel.Tests.Net.Tcp;

using System;
using Unikraft.Kernel;
using Xunit;

// The pieces under the state machine, each against its specification.
public class TcpPartsTests
{
    [Fact]
    public void SequenceComparisons_WrapAround()
    {
        Assert.True(TcpSequence.LessThan(0xFFFF_FFF0u, 0x10u));
        Assert.True(TcpSequence.GreaterThan(0x10u, 0xFFFF_FFF0u));
        Assert.True(TcpSequence.LessOrEqual(7u, 7u));
        Assert.False(TcpSequence.LessThan(7u, 7u));
        Assert.True(TcpSequence.InWindow(0x5u, 0xFFFF_FFFEu, 10));
        Assert.False(TcpSequence.InWindow(0xFFFF_FFFDu, 0xFFFF_FFFEu, 10));
        Assert.Equal(0x3u, TcpSequence.Max(0xFFFF_FFFFu, 0x3u));
    }

    [Fact]
    public void SipHash_MatchesThePapersTestVector()
    {
        // NOTE: SipHash paper, appendix A: key 00..0f, message 00..0e, SipHash-2-4 = a129ca6149be45e5.
        TcpKeyedHash hash = new TcpKeyedHash(0x0706050403020100UL, 0x0f0e0d0c0b0a0908UL);
        byte[] message = new byte[15];
        for (int index = 0; index < message.Length; index++)
        {
            message[index] = (byte)index;
        }
        Assert.Equal(0xa129ca6149be45e5UL, hash.Hash(message));
    }

    [Fact]
    public void InitialSequenceNumbers_DifferPerConnection_AndAdvanceWithTheClock()
    {
        TcpTestNetwork network = new TcpTestNetwork();
        TcpStack stack = network.AddHost(TcpPair.ClientAddress, 5);
        TcpEndpoints first = new TcpEndpoints(TcpPair.ClientAddress, 50000, TcpPair.ServerAddress, 80);
        TcpEndpoints second = new TcpEndpoints(TcpPair.ClientAddress, 50001, TcpPair.ServerAddress, 80);
        Assert.NotEqual(stack.InitialSequence(first, 0), stack.InitialSequence(second, 0));
        // NOTE: M ticks every 4 microseconds (RFC 6528, 3).
        Assert.Equal(stack.InitialSequence(first, 0) + 250u, stack.InitialSequence(first, 1_000_000));
        TcpStack other = new TcpTestNetwork().AddHost(TcpPair.ClientAddress, 6);
        Assert.NotEqual(stack.InitialSequence(first, 0), other.InitialSequence(first, 0));
    }

    [Fact]
    public void RetransmitTimer_FollowsRfc6298()
    {
        TcpRetransmitTimer timer = new TcpRetransmitTimer();
        Assert.Equal(TcpRetransmitTimer.InitialTimeout, timer.Current);
        // First sample R: SRTT = R, RTTVAR = R/2, RTO = SRTT + 4 RTTVAR = 3R (2.2).
        timer.Sample(2_000_000_000);
        Assert.Equal(6_000_000_000, timer.Current);
        // Next: RTTVAR = 3/4 RTTVAR + 1/4 |SRTT - R'|, SRTT = 7/8 SRTT + 1/8 R' (2.3).
        timer.Sample(1_000_000_000);
        long variation = (3 * 1_000_000_000L + 1_000_000_000L) / 4;
        long smoothed = (7 * 2_000_000_000L + 1_000_000_000L) / 8;
        Assert.Equal(smoothed + 4 * variation, timer.Current);
        timer.Backoff();
        timer.Backoff();
        Assert.Equal(4 * (smoothed + 4 * variation), timer.Current);
        for (int index = 0; index < 10; index++)
        {
            timer.Backoff();
        }
        Assert.Equal(TcpRetransmitTimer.MaximumTimeout, timer.Current);
        // Small samples are held to the 1 s floor (2.4).
        timer.Sample(1000);
        timer.Sample(1000);
        Assert.True(timer.Current >= TcpRetransmitTimer.MinimumTimeout);
    }

    [Fact]
    public void Congestion_SlowStartThenAvoidance()
    {
        TcpCongestion congestion = new TcpCongestion(1000);
        // NOTE: IW = 4 * SMSS for an SMSS of at most 1095 (RFC 5681, 3.1).
        Assert.Equal(4000, congestion.Window);
        congestion.OnNewAck(5000, 1, 0);
        Assert.Equal(5000, congestion.Window);
        congestion.OnTimeout(8000, 100);
        Assert.Equal(1000, congestion.Window);
        Assert.Equal(4000, congestion.SlowStartThreshold);
        for (int index = 0; index < 3; index++)
        {
            congestion.OnNewAck(1000, 200 + (uint)index, 0);
        }
        Assert.Equal(4000, congestion.Window);
        congestion.OnNewAck(1000, 300, 0);
        Assert.Equal(4000 + 1000 * 1000 / 4000, congestion.Window);
    }

    [Fact]
    public void Congestion_ThirdDuplicateStartsRecovery_FullAckEndsIt()
    {
        TcpCongestion congestion = new TcpCongestion(1000);
        congestion.SetRecoverPoint(0);
        Assert.False(congestion.OnDuplicateAck(10, 20_000, 10_000));
        Assert.False(congestion.OnDuplicateAck(10, 20_000, 10_000));
        Assert.True(congestion.OnDuplicateAck(10, 20_000, 10_000));
        Assert.True(congestion.InRecovery);
        Assert.Equal(5000, congestion.SlowStartThreshold);
        Assert.Equal(5000 + 3000, congestion.Window);
        congestion.OnDuplicateAck(10, 20_000, 10_000);
        Assert.Equal(9000, congestion.Window);
        // A partial ACK keeps recovery going and asks for a retransmission.
        Assert.True(congestion.OnNewAck(2000, 2010, 8000));
        Assert.True(congestion.InRecovery);
        Assert.False(congestion.OnNewAck(8000, 20_000, 0));
        Assert.False(congestion.InRecovery);
        Assert.Equal(2000, congestion.Window);
    }

    [Fact]
    public void Congestion_LimitedTransmit_OneSegmentPerEarlyDuplicate_AndALossKnownFromAProbeStartsRecoveryAtOnce()
    {
        TcpCongestion congestion = new TcpCongestion(1000);
        congestion.SetRecoverPoint(0);
        Assert.Equal(0, congestion.LimitedTransmit);
        congestion.OnDuplicateAck(10, 20_000, 10_000);
        // NOTE: RFC 3042, 2: one new segment beyond cwnd on each of the first two duplicates.
        Assert.Equal(1000, congestion.LimitedTransmit);
        congestion.OnDuplicateAck(10, 20_000, 10_000);
        Assert.Equal(2000, congestion.LimitedTransmit);
        Assert.True(congestion.OnDuplicateAck(10, 20_000, 10_000));
        Assert.Equal(0, congestion.LimitedTransmit);

        TcpCongestion probed = new TcpCongestion(1000);
        probed.SetRecoverPoint(0);
        Assert.True(probed.OnDuplicateAck(10, 20_000, 10_000, lost: true));
        Assert.True(probed.InRecovery);
        Assert.Equal(5000, probed.SlowStartThreshold);
    }

    // The segment that starts right at the end of one recovery is lost too: its duplicates
    // acknowledge exactly the old recovery point, everything that recovery was about, and start
    // the next one (RFC 6582, 3.2, step 2: the ACK covers more than the highest sequence sent).
    // Before, this waited for the RTO.
    [Fact]
    public void Congestion_ALossJustAfterARecovery_StartsTheNextOne()
    {
        TcpCongestion congestion = new TcpCongestion(1000);
        congestion.SetRecoverPoint(0);
        congestion.OnDuplicateAck(10, 20_000, 10_000);
        congestion.OnDuplicateAck(10, 20_000, 10_000);
        Assert.True(congestion.OnDuplicateAck(10, 20_000, 10_000));
        Assert.False(congestion.OnNewAck(19_990, 20_000, 0));
        Assert.False(congestion.InRecovery);

        Assert.False(congestion.OnDuplicateAck(20_000, 30_000, 10_000));
        Assert.False(congestion.OnDuplicateAck(20_000, 30_000, 10_000));
        Assert.True(congestion.OnDuplicateAck(20_000, 30_000, 10_000));
        Assert.True(congestion.InRecovery);
        Assert.Equal(30_000u, congestion.Recover);
    }

    // After a timeout, duplicates below the data it sent again start no second repair.
    [Fact]
    public void Congestion_AfterATimeout_DuplicatesBelowItsRecoverPointStartNothing()
    {
        TcpCongestion congestion = new TcpCongestion(1000);
        congestion.SetRecoverPoint(0);
        congestion.OnTimeout(10_000, 20_000);
        for (int index = 0; index < 5; index++)
        {
            Assert.False(congestion.OnDuplicateAck(15_000, 20_000, 5_000));
        }
        Assert.False(congestion.InRecovery);
    }

    [Fact]
    public void ReceiveBuffer_FillsHolesAndMergesRuns()
    {
        TcpReceiveBuffer buffer = new TcpReceiveBuffer(100);
        byte[] data = new byte[60];
        for (int index = 0; index < data.Length; index++)
        {
            data[index] = (byte)index;
        }
        Assert.Equal(0, buffer.Write(40, data.AsSpan(40, 10)));
        Assert.Equal(0, buffer.Write(20, data.AsSpan(20, 10)));
        Assert.Equal(2, buffer.RangeCount);
        Assert.Equal(0, buffer.Write(30, data.AsSpan(30, 10)));
        Assert.Equal(1, buffer.RangeCount);
        Assert.Equal(20, buffer.RangeStart(0));
        Assert.Equal(50, buffer.RangeEnd(0));
        // The hole at the front is filled: everything up to 50 becomes readable.
        Assert.Equal(50, buffer.Write(0, data.AsSpan(0, 25)));
        Assert.Equal(0, buffer.RangeCount);
        // Bytes already received are skipped.
        Assert.Equal(10, buffer.Write(-10, data.AsSpan(40, 20)));
        byte[] read = new byte[100];
        Assert.Equal(60, buffer.Read(read));
        Assert.Equal(data, read.AsSpan(0, 60).ToArray());
    }

    [Fact]
    public void ReceiveBuffer_NeverTakesMoreThanItsRoom()
    {
        TcpReceiveBuffer buffer = new TcpReceiveBuffer(10);
        Assert.Equal(10, buffer.Write(0, new byte[25]));
        Assert.Equal(0, buffer.Free);
        Assert.Equal(0, buffer.Write(0, new byte[5]));
        Assert.Equal(0, buffer.Write(3, new byte[5]));
    }

    [Fact]
    public void ReceiveBuffer_GrowsItsRingOnlyAsDataWaits_KeepingWhatItHeld()
    {
        TcpReceiveBuffer buffer = new TcpReceiveBuffer(1 << 20);
        byte[] data = TcpPair.Pattern(400_000, 5);
        Assert.Equal(0, buffer.Allocated);
        Assert.Equal(60_000, buffer.Write(0, data.AsSpan(0, 60_000)));
        Assert.Equal(TcpReceiveBuffer.InitialRingSize, buffer.Allocated);
        byte[] read = new byte[data.Length];
        Assert.Equal(50_000, buffer.Read(read.AsSpan(0, 50_000)));
        // The ring wraps: 10,000 bytes wait at its end, the next ones go to its front.
        Assert.Equal(50_000, buffer.Write(0, data.AsSpan(60_000, 50_000)));
        Assert.Equal(TcpReceiveBuffer.InitialRingSize, buffer.Allocated);
        // More than the ring holds: it doubles, the waiting bytes in order at its front.
        Assert.Equal(0, buffer.Write(50_000, data.AsSpan(160_000, 40_000)));
        Assert.Equal(4 * TcpReceiveBuffer.InitialRingSize, buffer.Allocated);
        Assert.Equal(1, buffer.RangeCount);
        Assert.Equal(90_000, buffer.Write(0, data.AsSpan(110_000, 50_000)));
        Assert.Equal(150_000, buffer.Read(read.AsSpan(50_000)));
        Assert.Equal(data.AsSpan(0, 200_000).ToArray(), read.AsSpan(0, 200_000).ToArray());
        Assert.Equal(1 << 20, buffer.Free);
    }

    [Fact]
    public void SendBuffer_IsBoundedAndWrapsAround()
    {
        TcpSendBuffer buffer = new TcpSendBuffer(8);
        Assert.Equal(8, buffer.Write(new byte[] { 1, 2, 3, 4, 5, 6, 7, 8, 9 }));
        buffer.Consume(5);
        Assert.Equal(5, buffer.Write(new byte[] { 10, 11, 12, 13, 14 }));
        byte[] copy = new byte[6];
        buffer.CopyTo(2, copy);
        Assert.Equal(new byte[] { 8, 10, 11, 12, 13, 14 }, copy);
    }

    // The ring starts at 64 KiB and doubles only when the user writes more than it holds: the
    // bytes stay in order across a growth that finds them wrapped around the old ring's end.
    [Fact]
    public void SendBuffer_GrowsFromItsInitialRingOnlyWhenWrittenPast_KeepingTheBytesInOrder()
    {
        TcpSendBuffer buffer = new TcpSendBuffer(1 << 18);
        byte[] data = TcpPair.Pattern(300_000, 3);
        Assert.Equal(0, buffer.RingLength);
        Assert.Equal(60_000, buffer.Write(data.AsSpan(0, 60_000)));
        Assert.Equal(TcpSendBuffer.InitialRing, buffer.RingLength);
        buffer.Consume(50_000);
        // 10,000 bytes held; 40,000 more wrap around the end of the 64 KiB ring, still no growth.
        Assert.Equal(40_000, buffer.Write(data.AsSpan(60_000, 40_000)));
        Assert.Equal(TcpSendBuffer.InitialRing, buffer.RingLength);

        Assert.Equal(200_000, buffer.Write(data.AsSpan(100_000, 200_000)));

        Assert.Equal(1 << 18, buffer.RingLength);
        Assert.Equal(250_000, buffer.Count);
        byte[] copy = new byte[250_000];
        buffer.CopyTo(0, copy);
        Assert.Equal(data.AsSpan(50_000, 250_000).ToArray(), copy);
        Assert.Equal((1 << 18) - 250_000, buffer.Write(data));
    }
}
