namespace Unikraft.Kernel.Tests.Net.Tcp;

using System;
using System.Linq;
using Unikraft.Kernel;
using Xunit;

// TCP on a route whose device cuts segments itself (segmentation offload): the sender hands it
// as many whole MSS segments as the window and the data allow, in one, and nothing else changes:
// the bytes, the sizes the peer sees, recovery from loss. The test network cuts them as Linux's
// tcp_gso_segment does, after checking the checksum field the device is to complete.
public class TcpSegmentOffloadTests
{
    // NOTE: the limit a TAP device with TUN_F_TSO4 gives: the longest IPv4 datagram less its header.
    private const int Offload = 65535 - 20;

    [Theory]
    // No offload: one segment at a time.
    [InlineData(1448, 0, 100_000, 100_000L, 1)]
    // A limit too small for two segments is no offload.
    [InlineData(1448, 2000, 100_000, 100_000L, 1)]
    // As many as the device takes (65475 bytes of data past the longest header: 45 segments).
    [InlineData(1448, Offload - 60, 100_000, 100_000L, 45)]
    // As many as the window lets go.
    [InlineData(1448, Offload - 60, 100_000, 5000L, 3)]
    // As many whole ones as there are bytes: the rest is a partial segment, left to Nagle.
    [InlineData(1448, Offload - 60, 4000, 100_000L, 2)]
    // Less than two: one, as without offload.
    [InlineData(1448, Offload - 60, 2000, 100_000L, 1)]
    [InlineData(1448, Offload - 60, 100_000, 1448L, 1)]
    public void SegmentsToOffload_TakesWholeSegmentsWithinTheWindowTheDataAndTheDevice(int room, int offloadData, int unsent, long usable, int expected)
    {
        Assert.Equal(expected, TcpSocket.SegmentsToOffload(room, offloadData, unsent, usable));
    }

    [Fact]
    public void BulkTransfer_GoesInSegmentsTheDeviceCuts_ByteExact()
    {
        TcpPair pair = new TcpPair(seed: 3);
        pair.Network.SegmentOffload = Offload;
        pair.Network.Latency = 1_000_000;
        (TcpSocket client, TcpSocket server) = pair.Connect();
        byte[] data = TcpPair.Pattern(4 << 20, 5);

        Assert.Equal(data, pair.Transfer(client, server, data));

        Assert.NotEmpty(pair.Network.Offloaded);
        Assert.All(pair.Network.Offloaded, offloaded =>
        {
            Assert.Equal(client.SendMss, offloaded.SegmentSize);
            Assert.InRange(offloaded.Length, 2 * offloaded.SegmentSize, Offload);
        });
        // Most of the data left in segments of many MSS each, not one by one.
        long offloadedBytes = pair.Network.Offloaded.Sum(offloaded => (long)offloaded.Length);
        Assert.True(offloadedBytes > data.Length / 2, "only " + offloadedBytes + " of " + data.Length + " bytes went to be cut");
        Assert.Equal(pair.Network.Offloaded.Count, pair.Client.SegmentOffloadsSent);
        // What the peer saw never passed the MTU.
        Assert.All(pair.Network.Sent, datagram => Assert.InRange(datagram.Bytes.Length, 20, TcpTestNetwork.PayloadLimit));
    }

    [Fact]
    public void WithoutOffload_NothingGoesToBeCut()
    {
        TcpPair pair = new TcpPair(seed: 3);
        pair.Network.Latency = 1_000_000;
        (TcpSocket client, TcpSocket server) = pair.Connect();
        byte[] data = TcpPair.Pattern(1 << 20, 5);

        Assert.Equal(data, pair.Transfer(client, server, data));

        Assert.Empty(pair.Network.Offloaded);
        Assert.Equal(0, pair.Client.SegmentOffloadsSent);
    }

    // An interface refuses a segment to be cut while the next hop's ARP entry is being renewed
    // (it cannot wait behind ARP): its pieces go at once, one by one, and nothing waits for a
    // retransmission timeout.
    [Fact]
    public void SegmentTheDeviceRefuses_GoesInPiecesAtOnce()
    {
        TcpPair pair = new TcpPair(seed: 3);
        pair.Network.SegmentOffload = Offload;
        pair.Network.Latency = 1_000_000;
        (TcpSocket client, TcpSocket server) = pair.Connect();
        int refusals = 0;
        pair.Network.RefuseOffload = () => ++refusals <= 5;
        byte[] data = TcpPair.Pattern(2 << 20, 6);

        Assert.Equal(data, pair.Transfer(client, server, data));

        Assert.True(refusals > 5, "the device refused " + refusals + " segments");
        Assert.NotEmpty(pair.Network.Offloaded);
        Assert.Equal(0, pair.Client.RetransmitTimeouts);
        Assert.Equal(0, pair.Client.FastRetransmitsSent);
    }

    // Loss of the pieces: recovery (SACK, fast retransmit, timeouts) repairs them one MSS at a
    // time, and the bytes arrive exact.
    [Fact]
    public void PiecesLost_AreRepaired_ByteExact()
    {
        TcpPair pair = new TcpPair(seed: 11);
        pair.Network.SegmentOffload = Offload;
        pair.Network.Latency = 2_000_000;
        (TcpSocket client, TcpSocket server) = pair.Connect();
        pair.Network.LossRate = 0.02;
        byte[] data = TcpPair.Pattern(2 << 20, 7);

        Assert.Equal(data, pair.Transfer(client, server, data));

        Assert.NotEmpty(pair.Network.Offloaded);
        Assert.True(pair.Client.FastRetransmitsSent + pair.Client.RetransmitTimeouts > 0, "no loss was repaired");
    }

    // SACK blocks in the sender's own header make each piece's room smaller: the device is asked
    // to cut at that room, so no piece passes the MTU with the blocks (the test network refuses
    // pieces that would).
    [Fact]
    public void BothWaysUnderLoss_PiecesFitTheMtuWithSackBlocks()
    {
        TcpPair pair = new TcpPair(seed: 5);
        pair.Network.SegmentOffload = Offload;
        pair.Network.Latency = 2_000_000;
        (TcpSocket client, TcpSocket server) = pair.Connect();
        pair.Network.LossRate = 0.03;
        byte[] up = TcpPair.Pattern(1 << 20, 8);
        byte[] down = TcpPair.Pattern(1 << 20, 9);
        int written = 0;
        int sent = 0;
        byte[] fromServer = new byte[down.Length];
        byte[] fromClient = new byte[up.Length];
        int readByClient = 0;
        int readByServer = 0;
        byte[] buffer = new byte[16384];

        Assert.True(pair.Network.RunUntil(() =>
        {
            while (written < up.Length && client.Send(up.AsSpan(written)) is long result && result > 0)
            {
                written += (int)result;
            }
            while (sent < down.Length && server.Send(down.AsSpan(sent)) is long result && result > 0)
            {
                sent += (int)result;
            }
            for (long read; (read = server.Receive(buffer)) > 0; readByServer += (int)read)
            {
                buffer.AsSpan(0, (int)read).CopyTo(fromClient.AsSpan(readByServer));
            }
            for (long read; (read = client.Receive(buffer)) > 0; readByClient += (int)read)
            {
                buffer.AsSpan(0, (int)read).CopyTo(fromServer.AsSpan(readByClient));
            }
            return readByServer == up.Length && readByClient == down.Length;
        }, 3000 * TcpPair.Second));

        Assert.Equal(up, fromClient);
        Assert.Equal(down, fromServer);
        Assert.NotEmpty(pair.Network.Offloaded);
    }

    // A segment for no socket is answered with RST once its checksum passes: with a checksum
    // field holding only the pseudo-header's sum it passes only when the device vouched for it.
    [Theory]
    [InlineData(true, 1, 0)]
    [InlineData(false, 0, 1)]
    public void ChecksumTheDeviceVouchesFor_IsNotCheckedAgain(bool trusted, int resets, int checksumErrors)
    {
        TcpPair pair = new TcpPair();
        TcpHeader header = new TcpHeader { SourcePort = 40000, DestinationPort = 9, SequenceNumber = 1, Flags = TcpFlags.Ack, AcknowledgmentNumber = 5, Window = 100 };
        byte[] segment = new byte[header.Length + 100];
        header.EmitForChecksumOffload(segment, TcpPair.ClientAddress, TcpPair.ServerAddress);

        pair.Server.Receive(TcpPair.ClientAddress, TcpPair.ServerAddress, segment, trusted);

        Assert.Equal(resets, pair.Server.ResetsSent);
        Assert.Equal(checksumErrors, pair.Server.ChecksumErrors);
    }
}
