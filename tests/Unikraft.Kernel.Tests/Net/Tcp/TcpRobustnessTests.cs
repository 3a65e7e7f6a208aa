namespace Unikraft.Kernel.Tests.Net.Tcp;

using System;
using System.Linq;
using Unikraft.Kernel;
using Xunit;

// What a stack owes segments it did not ask for: resets for closed ports, challenge ACKs for
// blind in-window RST and SYN (RFC 5961), bounded memory under a SYN flood, and no exception
// from anything a peer can send.
public class TcpRobustnessTests
{
    private const long Second = TcpPair.Second;

    private static readonly Ipv4Address LinuxClient = new Ipv4Address(198, 18, 7, 1);
    private static readonly Ipv4Address LinuxServer = new Ipv4Address(198, 18, 7, 2);

    // Captured as TcpSegmentTests' segments: Linux's `nc 198.18.7.2 5002` to a port nobody
    // listens on. 198.18.7.1.34224 > 198.18.7.2.5002: Flags [S], seq 1978169631, win 64240,
    // options [mss 1460,sackOK,TS val 3313091871 ecr 0,nop,wscale 10]
    private static readonly byte[] LinuxSynToClosedPort =
    {
        0x85, 0xb0, 0x13, 0x8a, 0x75, 0xe8, 0x79, 0x1f, 0x00, 0x00, 0x00, 0x00,
        0xa0, 0x02, 0xfa, 0xf0, 0xa0, 0x08, 0x00, 0x00, 0x02, 0x04, 0x05, 0xb4,
        0x04, 0x02, 0x08, 0x0a, 0xc5, 0x79, 0xc5, 0x1f, 0x00, 0x00, 0x00, 0x00,
        0x01, 0x03, 0x03, 0x0a,
    };

    // Linux's answer: 198.18.7.2.5002 > 198.18.7.1.34224: Flags [R.], seq 0, ack 1978169632, win 0
    private static readonly byte[] LinuxResetAnswer =
    {
        0x13, 0x8a, 0x85, 0xb0, 0x00, 0x00, 0x00, 0x00, 0x75, 0xe8, 0x79, 0x20,
        0x50, 0x14, 0x00, 0x00, 0x8d, 0x65, 0x00, 0x00,
    };

    [Fact]
    public void LinuxSynToAClosedPort_GetsTheResetLinuxSends()
    {
        TcpTestNetwork network = new TcpTestNetwork();
        TcpStack stack = network.AddHost(LinuxServer, 1);
        network.Inject(LinuxClient, LinuxServer, LinuxSynToClosedPort);

        Datagram answer = Assert.Single(network.Sent);
        Assert.Equal(LinuxClient, answer.Destination);
        // NOTE: RFC 9293, 3.10.7.1: <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>, byte for byte as Linux.
        Assert.Equal(LinuxResetAnswer, answer.Bytes);
        Assert.Equal(1, stack.ResetsSent);
    }

    // 198.18.7.1.38494 > 198.18.7.2.5001: Flags [S], seq 2752461566, win 64240,
    // options [mss 1460,sackOK,TS val 1723738352 ecr 0,nop,wscale 10] (TcpSegmentTests' capture)
    private static readonly byte[] LinuxSyn =
    {
        0x96, 0x5e, 0x13, 0x89, 0xa4, 0x0f, 0x3a, 0xfe, 0x00, 0x00, 0x00, 0x00,
        0xa0, 0x02, 0xfa, 0xf0, 0x9a, 0x40, 0x00, 0x00, 0x02, 0x04, 0x05, 0xb4,
        0x04, 0x02, 0x08, 0x0a, 0x66, 0xbe, 0x28, 0xf0, 0x00, 0x00, 0x00, 0x00,
        0x01, 0x03, 0x03, 0x0a,
    };

    [Fact]
    public void LinuxSyn_IsAnsweredWithEveryOptionItOffered()
    {
        TcpTestNetwork network = new TcpTestNetwork();
        TcpStack stack = network.AddHost(LinuxServer, 1);
        TcpSocket listener = stack.CreateSocket();
        Assert.Equal(0, listener.Bind(Ipv4Address.Any, 5001));
        Assert.Equal(0, listener.Listen(8));
        network.Inject(LinuxClient, LinuxServer, LinuxSyn);

        TcpHeader synAck = Assert.Single(network.Sent).Header;
        Assert.Equal(TcpFlags.Syn | TcpFlags.Ack, synAck.Flags);
        Assert.Equal(38494, synAck.DestinationPort);
        Assert.Equal(2752461567u, synAck.AcknowledgmentNumber);
        Assert.Equal(1460, synAck.MaximumSegmentSize);
        Assert.True(synAck.SackPermitted);
        Assert.True(synAck.HasWindowScale);
        Assert.True(synAck.HasTimestamps);
        // NOTE: TSecr echoes the SYN's TSval (RFC 7323, 3.2).
        Assert.Equal(1723738352u, synAck.TimestampEcho);

        // Linux's ACK completes the handshake; its window is then scaled by its shift of 10.
        TcpHeader ack = new TcpHeader
        {
            SourcePort = 38494, DestinationPort = 5001, SequenceNumber = 2752461567, AcknowledgmentNumber = synAck.SequenceNumber + 1,
            Flags = TcpFlags.Ack, Window = 63, HasTimestamps = true, TimestampValue = 1723738353, TimestampEcho = synAck.TimestampValue,
        };
        byte[] bytes = new byte[ack.Length];
        ack.Emit(bytes, LinuxClient, LinuxServer);
        network.Inject(LinuxClient, LinuxServer, bytes);
        Assert.Equal(0, listener.Accept(out TcpSocket? connection));
        Assert.Equal(10, connection!.SendWindowShift);
        Assert.Equal(63L << 10, connection.PeerWindow);
        Assert.Equal(1460 - 12, connection.SendMss);
    }

    [Fact]
    public void AckToAClosedPort_GetsAResetAtItsAckNumber()
    {
        TcpTestNetwork network = new TcpTestNetwork();
        network.AddHost(LinuxServer, 1);
        byte[] ack = Segment(LinuxClient, LinuxServer, new TcpHeader
        {
            SourcePort = 40000, DestinationPort = 9, SequenceNumber = 5, AcknowledgmentNumber = 77777, Flags = TcpFlags.Ack, Window = 100,
        });
        network.Inject(LinuxClient, LinuxServer, ack);
        TcpHeader reset = Assert.Single(network.Sent).Header;
        Assert.Equal(TcpFlags.Rst, reset.Flags);
        Assert.Equal(77777u, reset.SequenceNumber);
    }

    [Fact]
    public void ResetToAClosedPort_IsNotAnswered()
    {
        TcpTestNetwork network = new TcpTestNetwork();
        network.AddHost(LinuxServer, 1);
        network.Inject(LinuxClient, LinuxServer, Segment(LinuxClient, LinuxServer, new TcpHeader
        {
            SourcePort = 40000, DestinationPort = 9, SequenceNumber = 5, Flags = TcpFlags.Rst,
        }));
        Assert.Empty(network.Sent);
    }

    [Fact]
    public void ConnectToAClosedPort_IsRefused()
    {
        TcpPair pair = new TcpPair();
        TcpSocket client = pair.Client.CreateSocket();
        Assert.Equal(-Errno.EINPROGRESS, client.Connect(TcpPair.ServerAddress, 9));
        pair.Network.RunFor(Second);

        Assert.Equal(TcpState.Closed, client.State);
        Assert.NotEqual(0, client.Poll() & PollEvents.POLLERR);
        Assert.Equal(-Errno.ECONNREFUSED, client.Send(new byte[1]));
        Assert.Equal(0, pair.Client.ConnectionCount);
    }

    [Fact]
    public void ChallengeAck_ForAnInWindowReset()
    {
        TcpPair pair = new TcpPair();
        (TcpSocket client, TcpSocket server) = pair.Connect();
        uint next = NextSequence(pair, TcpPair.ClientAddress);
        int before = pair.Network.Sent.Count;

        // A blind attacker's RST: in the window, not at RCV.NXT (RFC 5961, 3.2).
        pair.Network.Inject(TcpPair.ClientAddress, TcpPair.ServerAddress, Forged(pair, client, next + 1000, TcpFlags.Rst));
        Assert.Equal(TcpState.Established, server.State);
        Assert.Equal(1, pair.Server.ChallengeAcksSent);
        Datagram challenge = Assert.Single(pair.Network.Sent.Skip(before));
        Assert.Equal(TcpFlags.Ack, challenge.Header.Flags);
        Assert.Equal(next, challenge.Header.AcknowledgmentNumber);

        // The real peer answers the challenge with nothing odd: the connection goes on.
        byte[] data = TcpPair.Pattern(5000, 12);
        Assert.Equal(data, pair.Transfer(client, server, data));

        // An RST exactly at RCV.NXT resets.
        pair.Network.Inject(TcpPair.ClientAddress, TcpPair.ServerAddress, Forged(pair, client, NextSequence(pair, TcpPair.ClientAddress), TcpFlags.Rst));
        Assert.Equal(TcpState.Closed, server.State);
        Assert.Equal(Errno.ECONNRESET, server.TakeError());
    }

    [Fact]
    public void ResetOutsideTheWindow_IsDroppedSilently()
    {
        TcpPair pair = new TcpPair();
        (TcpSocket client, TcpSocket server) = pair.Connect();
        uint next = NextSequence(pair, TcpPair.ClientAddress);
        int before = pair.Network.Sent.Count;
        pair.Network.Inject(TcpPair.ClientAddress, TcpPair.ServerAddress, Forged(pair, client, next + 10_000_000, TcpFlags.Rst));
        Assert.Equal(TcpState.Established, server.State);
        Assert.Equal(before, pair.Network.Sent.Count);
    }

    [Fact]
    public void ChallengeAck_ForASynOnAnEstablishedConnection()
    {
        TcpPair pair = new TcpPair();
        (TcpSocket client, TcpSocket server) = pair.Connect();
        uint next = NextSequence(pair, TcpPair.ClientAddress);
        int before = pair.Network.Sent.Count;
        pair.Network.Inject(TcpPair.ClientAddress, TcpPair.ServerAddress, Forged(pair, client, next + 5, TcpFlags.Syn));

        Assert.Equal(TcpState.Established, server.State);
        Assert.Equal(1, pair.Server.ChallengeAcksSent);
        Assert.Equal(next, Assert.Single(pair.Network.Sent.Skip(before)).Header.AcknowledgmentNumber);
    }

    [Fact]
    public void ChallengeAcks_AreRateLimited()
    {
        TcpPair pair = new TcpPair();
        (TcpSocket client, TcpSocket server) = pair.Connect();
        pair.Server.ChallengeAckLimit = 10;
        uint next = NextSequence(pair, TcpPair.ClientAddress);
        for (int index = 0; index < 100; index++)
        {
            pair.Network.Inject(TcpPair.ClientAddress, TcpPair.ServerAddress, Forged(pair, client, next + 1 + (uint)index, TcpFlags.Rst));
        }
        Assert.Equal(10, pair.Server.ChallengeAcksSent);
        Assert.Equal(TcpState.Established, server.State);
    }

    [Fact]
    public void SynFlood_KeepsHalfOpenConnectionsBounded_AndServesTheEstablished()
    {
        TcpPair pair = new TcpPair();
        pair.Listen(backlog: 64);
        (TcpSocket client, TcpSocket server) = pair.Connect();
        Random random = new Random(3);
        int flooded = 20_000;
        for (int index = 0; index < flooded; index++)
        {
            Ipv4Address spoofed = new Ipv4Address(198, 19, (byte)random.Next(256), (byte)random.Next(1, 255));
            pair.Network.Inject(spoofed, TcpPair.ServerAddress, Segment(spoofed, TcpPair.ServerAddress, new TcpHeader
            {
                SourcePort = (ushort)random.Next(1024, 65536), DestinationPort = TcpPair.ServerPort,
                SequenceNumber = (uint)random.Next(), Flags = TcpFlags.Syn, Window = 1000, MaximumSegmentSize = 1460,
            }));
        }
        // NOTE: half-open connections are bounded by the backlog, the rest of the SYNs answered
        // with cookies that keep nothing.
        Assert.InRange(pair.Server.ConnectionCount, 1, 1 + 64);
        Assert.True(pair.Server.SynCookiesSent >= flooded - 64);

        byte[] data = TcpPair.Pattern(100_000, 13);
        Assert.Equal(data, pair.Transfer(client, server, data));
        // The half-open ones time out and leave.
        pair.Network.RunFor(200 * Second);
        Assert.Equal(1, pair.Server.ConnectionCount);
    }

    [Fact]
    public void RandomSegments_NeverThrow_AndLeaveTheStackWorking()
    {
        TcpPair pair = new TcpPair();
        (TcpSocket client, TcpSocket server) = pair.Connect();
        Random random = new Random(17);
        uint next = NextSequence(pair, TcpPair.ClientAddress);
        for (int index = 0; index < 20_000; index++)
        {
            byte[] payload = new byte[random.Next(0, 64)];
            random.NextBytes(payload);
            TcpHeader header = new TcpHeader
            {
                SourcePort = random.Next(4) == 0 ? (ushort)random.Next(65536) : client.LocalPort,
                DestinationPort = random.Next(4) == 0 ? (ushort)random.Next(65536) : TcpPair.ServerPort,
                SequenceNumber = random.Next(2) == 0 ? (uint)random.Next() : next + (uint)random.Next(-70000, 70000),
                AcknowledgmentNumber = (uint)random.Next(),
                Flags = (byte)(random.Next(256) & ~TcpFlags.Rst),
                Window = (ushort)random.Next(65536),
                MaximumSegmentSize = (ushort)(random.Next(3) == 0 ? random.Next(65536) : 0),
                HasWindowScale = random.Next(3) == 0,
                WindowScale = (byte)random.Next(256),
                HasTimestamps = random.Next(2) == 0,
                TimestampValue = (uint)random.Next(),
            };
            byte[] bytes = new byte[header.Length + payload.Length];
            payload.CopyTo(bytes, header.Length);
            header.Emit(bytes, TcpPair.ClientAddress, TcpPair.ServerAddress);
            if (random.Next(10) == 0)
            {
                bytes[random.Next(bytes.Length)] ^= (byte)(1 + random.Next(255));
            }
            pair.Network.Inject(TcpPair.ClientAddress, TcpPair.ServerAddress, bytes);
            pair.Network.Drop = d => d.Destination == TcpPair.ClientAddress;
            pair.Network.Deliver();
            pair.Network.Drop = null;
        }
        Assert.True(pair.Server.SegmentsDropped > 0);
        Assert.True(pair.Server.ConnectionCount <= 1 + 16);
    }

    // The sequence number after the last byte (or SYN, or FIN) a host sent.
    private static uint NextSequence(TcpPair pair, Ipv4Address host)
    {
        Datagram last = pair.Network.Sent.Last(d => d.Source == host);
        TcpHeader header = last.Header;
        return header.SequenceNumber + (uint)last.PayloadLength + (header.HasFlag(TcpFlags.Syn) ? 1u : 0u) + (header.HasFlag(TcpFlags.Fin) ? 1u : 0u);
    }

    // A segment that claims to come from the client's connection.
    private static byte[] Forged(TcpPair pair, TcpSocket client, uint sequence, byte flags)
    {
        return Segment(TcpPair.ClientAddress, TcpPair.ServerAddress, new TcpHeader
        {
            SourcePort = client.LocalPort, DestinationPort = TcpPair.ServerPort, SequenceNumber = sequence, Flags = flags, Window = 1000,
        });
    }

    private static byte[] Segment(Ipv4Address source, Ipv4Address destination, TcpHeader header)
    {
        byte[] bytes = new byte[header.Length];
        header.Emit(bytes, source, destination);
        return bytes;
    }
}
