namespace Unikraft.Kernel.Tests.Net.Tcp;

using System;
using System.Linq;
using Unikraft.Kernel;
using Xunit;

// Two TcpStacks on an in-memory network: the handshake, data, and the ways a connection ends.
public class TcpConnectionTests
{
    private const long Second = TcpPair.Second;

    [Fact]
    public void Handshake_EstablishesBothSidesWithNegotiatedOptions()
    {
        TcpPair pair = new TcpPair();
        (TcpSocket client, TcpSocket server) = pair.Connect();

        Assert.Equal(TcpState.Established, client.State);
        Assert.Equal(TcpState.Established, server.State);
        Assert.Equal(TcpPair.ServerAddress, client.RemoteAddress);
        Assert.Equal(client.LocalPort, server.RemotePort);
        Assert.InRange(client.LocalPort, TcpStack.EphemeralFirst, TcpStack.EphemeralLast);
        // NOTE: MSS 1460 from a 1480-byte payload limit, less 12 bytes of timestamps (RFC 9293, 3.7.1).
        Assert.Equal(1448, client.SendMss);
        Assert.Equal(1448, server.SendMss);
        Assert.True(client.TimestampsEnabled && server.TimestampsEnabled);
        Assert.True(client.SackPermitted && server.SackPermitted);
        // A 256 KiB buffer needs a shift of 3 to be advertised (RFC 7323, 2.3).
        Assert.Equal(3, client.SendWindowShift);
        Assert.Equal(3, server.ReceiveWindowShift);

        Datagram[] handshake = pair.Network.Sent.Take(3).ToArray();
        Assert.Equal(TcpFlags.Syn, handshake[0].Header.Flags);
        Assert.Equal(TcpFlags.Syn | TcpFlags.Ack, handshake[1].Header.Flags);
        Assert.Equal(handshake[0].Header.SequenceNumber + 1, handshake[1].Header.AcknowledgmentNumber);
        Assert.Equal(TcpFlags.Ack, handshake[2].Header.Flags);
        Assert.Equal(handshake[1].Header.SequenceNumber + 1, handshake[2].Header.AcknowledgmentNumber);
    }

    [Fact]
    public void PeerWithoutOptions_GetsNoneBack()
    {
        TcpPair pair = new TcpPair();
        pair.Client.UseTimestamps = false;
        pair.Client.UseWindowScaling = false;
        pair.Client.UseSack = false;
        (TcpSocket client, TcpSocket server) = pair.Connect();

        TcpHeader synAck = pair.Network.Sent[1].Header;
        Assert.False(synAck.HasTimestamps);
        Assert.False(synAck.HasWindowScale);
        Assert.False(synAck.SackPermitted);
        Assert.Equal(1460, synAck.MaximumSegmentSize);
        Assert.False(server.TimestampsEnabled);
        Assert.Equal(0, server.ReceiveWindowShift);
        Assert.Equal(1460, client.SendMss);
    }

    [Fact]
    public void DataBothWays_ArrivesByteExact()
    {
        TcpPair pair = new TcpPair();
        (TcpSocket client, TcpSocket server) = pair.Connect();
        byte[] up = TcpPair.Pattern(1_000_000, 1);
        byte[] down = TcpPair.Pattern(300_001, 2);

        Assert.Equal(up, pair.Transfer(client, server, up));
        Assert.Equal(down, pair.Transfer(server, client, down));
        Assert.Equal(0, client.SendQueued);
    }

    [Fact]
    public void StreamAcrossTheSequenceNumberWrap_ArrivesIntact()
    {
        TcpPair pair = new TcpPair();
        TcpSocket listener = pair.Listen();
        TcpSocket client = pair.Client.CreateSocket();
        Assert.Equal(0, client.Bind(Ipv4Address.Any, 40000));
        TcpEndpoints endpoints = new TcpEndpoints(TcpPair.ClientAddress, 40000, TcpPair.ServerAddress, TcpPair.ServerPort);
        // ISN = M + F, M ticking every 4 microseconds (RFC 6528, 3): move the clock on until the
        // client's ISN lands 100,000 bytes before 2^32, so the stream crosses the wrap.
        uint isn = pair.Client.InitialSequence(endpoints, pair.Network.Clock.MonotonicNanoseconds);
        uint ticks = unchecked(0u - 100_000u - isn);
        pair.Network.Clock.Advance((long)ticks * 4000);
        Assert.Equal(-Errno.EINPROGRESS, client.Connect(TcpPair.ServerAddress, TcpPair.ServerPort));
        TcpSocket? server = null;
        Assert.True(pair.Network.RunUntil(() => listener.Accept(out server) == 0, 10 * Second));
        Assert.Equal(unchecked(0u - 100_000u), pair.Network.Sent[0].Header.SequenceNumber);

        byte[] data = TcpPair.Pattern(1_000_000, 14);
        Assert.Equal(data, pair.Transfer(client, server!, data));
        Assert.Contains(pair.Network.Sent, d => d.Source == TcpPair.ClientAddress && d.PayloadLength > 0 && d.Header.SequenceNumber < 1_000_000);
    }

    [Fact]
    public void HalfClose_ReaderSeesEndWhileItStillSends()
    {
        TcpPair pair = new TcpPair();
        (TcpSocket client, TcpSocket server) = pair.Connect();
        Assert.Equal(0, client.Shutdown(1));
        pair.Network.RunFor(Second);

        Assert.Equal(TcpState.FinWait2, client.State);
        Assert.Equal(TcpState.CloseWait, server.State);
        Assert.Equal(0, server.Receive(new byte[10]));
        Assert.NotEqual(0, server.Poll() & PollEvents.POLLRDHUP);
        Assert.Equal(-Errno.EPIPE, client.Send(new byte[1]));

        byte[] reply = TcpPair.Pattern(50_000, 3);
        Assert.Equal(reply, pair.Transfer(server, client, reply));
        server.Close();
        pair.Network.RunFor(Second);

        Assert.Equal(TcpState.TimeWait, client.State);
        Assert.Equal(TcpState.Closed, server.State);
        Assert.Equal(0, client.Receive(new byte[10]));
    }

    [Fact]
    public void SimultaneousOpen_Establishes()
    {
        TcpPair pair = new TcpPair();
        TcpSocket a = pair.Client.CreateSocket();
        TcpSocket b = pair.Server.CreateSocket();
        Assert.Equal(0, a.Bind(Ipv4Address.Any, 5000));
        Assert.Equal(0, b.Bind(Ipv4Address.Any, 6000));
        Assert.Equal(-Errno.EINPROGRESS, a.Connect(TcpPair.ServerAddress, 6000));
        Assert.Equal(-Errno.EINPROGRESS, b.Connect(TcpPair.ClientAddress, 5000));
        Assert.True(pair.Network.RunUntil(() => a.State == TcpState.Established && b.State == TcpState.Established, 10 * Second));

        // Both SYNs crossed, and each side answered with a SYN-ACK (RFC 9293, 3.5, figure 7).
        Assert.Equal(2, pair.Network.Sent.Count(d => d.Header.Flags == TcpFlags.Syn));
        Assert.Equal(2, pair.Network.Sent.Count(d => d.Header.Flags == (TcpFlags.Syn | TcpFlags.Ack)));
        byte[] data = TcpPair.Pattern(10_000, 4);
        Assert.Equal(data, pair.Transfer(a, b, data));
    }

    [Fact]
    public void SimultaneousClose_BothPassThroughClosingToTimeWait()
    {
        TcpPair pair = new TcpPair();
        (TcpSocket client, TcpSocket server) = pair.Connect();
        client.Close();
        server.Close();
        Assert.Equal(TcpState.FinWait1, client.State);
        Assert.Equal(TcpState.FinWait1, server.State);
        // The FINs cross: each side sees the other's FIN before the ACK of its own.
        pair.Network.Deliver();

        Assert.Equal(TcpState.TimeWait, client.State);
        Assert.Equal(TcpState.TimeWait, server.State);
        Assert.Contains(pair.Network.Sent, d => d.Has(TcpFlags.Fin));
    }

    [Fact]
    public void SimultaneousClose_EntersClosingWhenFinsCross()
    {
        TcpPair pair = new TcpPair();
        (TcpSocket client, TcpSocket server) = pair.Connect();
        // Hold the ACKs of the FINs back: only the two FINs go across.
        pair.Network.Drop = d => !d.Has(TcpFlags.Fin);
        client.Close();
        server.Close();
        pair.Network.Deliver();
        Assert.Equal(TcpState.Closing, client.State);
        Assert.Equal(TcpState.Closing, server.State);

        pair.Network.Drop = null;
        Assert.True(pair.Network.RunUntil(() => client.State == TcpState.TimeWait && server.State == TcpState.TimeWait, 10 * Second));
    }

    [Fact]
    public void TimeWait_LastsTwoMsl()
    {
        TcpPair pair = new TcpPair();
        (TcpSocket client, TcpSocket server) = pair.Connect();
        client.Close();
        Assert.True(pair.Network.RunUntil(() => server.State == TcpState.CloseWait, Second));
        server.Close();
        Assert.True(pair.Network.RunUntil(() => client.State == TcpState.TimeWait, Second));
        long entered = pair.Network.Clock.MonotonicNanoseconds;
        Assert.Equal(TcpState.Closed, server.State);

        long twoMsl = 2 * pair.Client.MaximumSegmentLifetime;
        // NOTE: 60 s, Linux's TCP_TIMEWAIT_LEN (RFC 9293's 2 minutes of MSL would make it 4).
        Assert.Equal(60 * Second, twoMsl);
        pair.Network.RunFor(twoMsl - Second);
        Assert.Equal(TcpState.TimeWait, client.State);
        Assert.Equal(1, pair.Client.ConnectionCount);

        Assert.True(pair.Network.RunUntil(() => client.State == TcpState.Closed, 2 * Second));
        Assert.InRange(pair.Network.Clock.MonotonicNanoseconds - entered, twoMsl, twoMsl + Second / 1000);
        Assert.Equal(0, pair.Client.ConnectionCount);
    }

    [Fact]
    public void TimeWait_AcknowledgesARetransmittedFin()
    {
        TcpPair pair = new TcpPair();
        (TcpSocket client, TcpSocket server) = pair.Connect();
        client.Close();
        pair.Network.RunUntil(() => server.State == TcpState.CloseWait, Second);
        // The client's last ACK is lost: the server's FIN comes again and is acknowledged again.
        bool lostOnce = false;
        pair.Network.Drop = d => d.Source == TcpPair.ClientAddress && !lostOnce && (lostOnce = true);
        server.Close();
        Assert.True(pair.Network.RunUntil(() => server.State == TcpState.Closed, 10 * Second));
        Assert.Equal(TcpState.TimeWait, client.State);
        Assert.Equal(2, pair.Network.Sent.Count(d => d.Source == TcpPair.ServerAddress && d.Has(TcpFlags.Fin)));
    }

    [Fact]
    public void TimeWait_NewSynWithANewerTimestamp_OpensANewConnectionAtOnce()
    {
        TcpPair pair = new TcpPair();
        (TcpSocket client, TcpSocket server) = pair.Connect();
        ushort clientPort = client.LocalPort;
        // The server closes first, so its side of this 4-tuple waits in TIME-WAIT.
        server.Close();
        Assert.True(pair.Network.RunUntil(() => client.State == TcpState.CloseWait, Second));
        client.Close();
        Assert.True(pair.Network.RunUntil(() => server.State == TcpState.TimeWait && client.State == TcpState.Closed, Second));
        pair.Network.RunFor(Second);
        int sentBefore = pair.Network.Sent.Count;

        // The client reuses its port, as Linux's port choice does for a busy client.
        TcpSocket again = pair.Client.CreateSocket();
        Assert.Equal(0, again.Bind(Ipv4Address.Any, clientPort));
        Assert.Equal(-Errno.EINPROGRESS, again.Connect(TcpPair.ServerAddress, TcpPair.ServerPort));
        TcpSocket? accepted = null;
        Assert.True(pair.Network.RunUntil(() => again.State == TcpState.Established && pair.Listener!.Accept(out accepted) == 0, Second / 10));

        // Three segments, no challenge ACK for the old connection and no RST: SYN, SYN-ACK, ACK.
        Assert.Equal([TcpFlags.Syn, (byte)(TcpFlags.Syn | TcpFlags.Ack), TcpFlags.Ack],
            pair.Network.Sent.Skip(sentBefore).Select(d => d.Header.Flags).ToArray());
        Assert.Equal(TcpState.Closed, server.State);
        Assert.Equal(clientPort, accepted!.RemotePort);
        byte[] data = TcpPair.Pattern(5000, 7);
        Assert.Equal(data, pair.Transfer(again, accepted, data));
    }

    [Fact]
    public void TimeWait_SynWithAnOlderTimestamp_IsAnOldDuplicate()
    {
        TcpPair pair = new TcpPair();
        (TcpSocket client, TcpSocket server) = pair.Connect();
        server.Close();
        Assert.True(pair.Network.RunUntil(() => client.State == TcpState.CloseWait, Second));
        client.Close();
        Assert.True(pair.Network.RunUntil(() => server.State == TcpState.TimeWait, Second));
        TcpHeader first = pair.Network.Sent.First(d => d.Header.Flags == TcpFlags.Syn).Header;

        // The first connection's own SYN, delayed in the network, arrives again.
        byte[] duplicate = new byte[first.Length];
        first.Emit(duplicate, TcpPair.ClientAddress, TcpPair.ServerAddress);
        pair.Network.Inject(TcpPair.ClientAddress, TcpPair.ServerAddress, duplicate);

        Assert.Equal(TcpState.TimeWait, server.State);
        Assert.Equal(1, pair.Server.ConnectionCount);
    }

    [Fact]
    public void CloseWithUnreadData_SendsReset()
    {
        TcpPair pair = new TcpPair();
        (TcpSocket client, TcpSocket server) = pair.Connect();
        Assert.Equal(5, client.Send(new byte[5]));
        pair.Network.RunFor(Second);
        server.Close();
        pair.Network.RunFor(Second);

        Assert.Equal(TcpState.Closed, client.State);
        Assert.Equal(-Errno.ECONNRESET, client.Receive(new byte[10]));
        Assert.Equal(-Errno.EPIPE, client.Send(new byte[1]));
    }

    [Fact]
    public void Abort_ResetsThePeer()
    {
        TcpPair pair = new TcpPair();
        (TcpSocket client, TcpSocket server) = pair.Connect();
        client.Abort();
        pair.Network.Deliver();
        Assert.Equal(TcpState.Closed, server.State);
        Assert.Equal(PollEvents.POLLERR | PollEvents.POLLHUP | PollEvents.POLLIN, server.Poll() & (PollEvents.POLLERR | PollEvents.POLLHUP | PollEvents.POLLIN));
        Assert.Equal(Errno.ECONNRESET, server.TakeError());
        Assert.Equal(0, pair.Server.ConnectionCount);
    }

    [Fact]
    public void Nagle_HoldsASmallSegmentWhileDataIsUnacknowledged()
    {
        TcpPair pair = new TcpPair();
        (TcpSocket client, TcpSocket _) = pair.Connect();
        int before = pair.Network.Sent.Count;
        client.Send(new byte[10]);
        client.Send(new byte[10]);
        client.Send(new byte[10]);
        Assert.Equal(1, pair.Network.Sent.Skip(before).Count(d => d.PayloadLength > 0));

        TcpPair other = new TcpPair();
        (TcpSocket quick, TcpSocket _) = other.Connect();
        quick.NoDelay = true;
        before = other.Network.Sent.Count;
        quick.Send(new byte[10]);
        quick.Send(new byte[10]);
        quick.Send(new byte[10]);
        Assert.Equal(3, other.Network.Sent.Skip(before).Count(d => d.PayloadLength > 0));
    }

    [Fact]
    public void DelayedAck_WaitsForASecondSegmentOrTheTimer()
    {
        TcpPair pair = new TcpPair();
        (TcpSocket client, TcpSocket server) = pair.Connect();
        int before = pair.Network.Sent.Count;
        long sentAt = pair.Network.Clock.MonotonicNanoseconds;
        client.Send(new byte[100]);
        pair.Network.Deliver();
        Assert.DoesNotContain(pair.Network.Sent.Skip(before), d => d.Source == TcpPair.ServerAddress);

        pair.Network.RunUntil(() => pair.Network.Sent.Skip(before).Any(d => d.Source == TcpPair.ServerAddress), Second);
        Datagram ack = pair.Network.Sent.Last(d => d.Source == TcpPair.ServerAddress);
        Assert.Equal(pair.Server.DelayedAckTimeout, ack.SentAt - sentAt);

        // Two full-sized segments are acknowledged at once (RFC 9293, 3.8.6.3).
        before = pair.Network.Sent.Count;
        client.NoDelay = true;
        client.Send(new byte[2 * client.SendMss]);
        pair.Network.Deliver();
        Assert.Contains(pair.Network.Sent.Skip(before), d => d.Source == TcpPair.ServerAddress && d.PayloadLength == 0);
    }

    [Fact]
    public void Backlog_BoundsHalfOpenAndUnacceptedConnections()
    {
        TcpPair pair = new TcpPair();
        // Without SYN cookies a full SYN queue drops the SYN (TcpSynCookieTests has them on).
        pair.Server.UseSynCookies = false;
        TcpSocket listener = pair.Listen(backlog: 2);
        TcpSocket[] clients = new TcpSocket[5];
        for (int index = 0; index < clients.Length; index++)
        {
            clients[index] = pair.Client.CreateSocket();
            clients[index].Connect(TcpPair.ServerAddress, TcpPair.ServerPort);
        }
        pair.Network.RunFor(Second / 2);

        Assert.Equal(2, listener.AcceptQueueLength);
        Assert.True(pair.Server.SynsDropped >= 3);
        Assert.True(pair.Server.ConnectionCount <= 4);
        // Once accepted, the queue has room and the retransmitted SYNs get in.
        Assert.Equal(0, listener.Accept(out TcpSocket? first));
        Assert.Equal(0, listener.Accept(out TcpSocket? second));
        Assert.True(pair.Network.RunUntil(() => listener.AcceptQueueLength == 2, 10 * Second));
    }

    [Fact]
    public void ListenerClose_ResetsItsUnacceptedConnections()
    {
        TcpPair pair = new TcpPair();
        TcpSocket listener = pair.Listen();
        TcpSocket client = pair.Client.CreateSocket();
        client.Connect(TcpPair.ServerAddress, TcpPair.ServerPort);
        pair.Network.RunUntil(() => listener.AcceptQueueLength == 1, Second);
        listener.Close();
        pair.Network.Deliver();

        Assert.Equal(TcpState.Closed, client.State);
        Assert.Equal(0, pair.Server.ConnectionCount);
        Assert.Equal(0, pair.Server.ListenerCount);
    }

    [Fact]
    public void BindToAPortInUse_IsRefused()
    {
        TcpPair pair = new TcpPair();
        pair.Listen();
        TcpSocket other = pair.Server.CreateSocket();
        Assert.Equal(-Errno.EADDRINUSE, other.Bind(Ipv4Address.Any, TcpPair.ServerPort));
    }

    [Fact]
    public void ReadinessFollowsTheConnection()
    {
        TcpPair pair = new TcpPair();
        TcpSocket listener = pair.Listen();
        TcpSocket client = pair.Client.CreateSocket();
        int heard = 0;
        client.ReadinessChanged = events => heard |= events;
        client.Connect(TcpPair.ServerAddress, TcpPair.ServerPort);
        Assert.Equal(0, client.Poll() & PollEvents.POLLOUT);
        Assert.Equal(0, listener.Poll());

        pair.Network.Deliver();
        Assert.NotEqual(0, client.Poll() & PollEvents.POLLOUT);
        Assert.NotEqual(0, heard & PollEvents.POLLOUT);
        Assert.NotEqual(0, listener.Poll() & PollEvents.POLLIN);
        Assert.Equal(0, listener.Accept(out TcpSocket? server));
        Assert.Equal(0, server!.Poll() & PollEvents.POLLIN);
        Assert.Equal(-Errno.EAGAIN, server.Receive(new byte[1]));

        client.Send(new byte[3]);
        pair.Network.Deliver();
        Assert.NotEqual(0, server.Poll() & PollEvents.POLLIN);
    }
}
