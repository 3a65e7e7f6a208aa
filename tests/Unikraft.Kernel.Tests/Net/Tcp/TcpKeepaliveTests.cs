namespace Unikraft.Kernel.Tests.Net.Tcp;

using System.Linq;
using Unikraft.Kernel;
using Xunit;

// SO_KEEPALIVE (RFC 1122, 4.2.3.6): an idle connection is probed after its idle time, a peer
// that answers keeps it open, one that answers none of the probes gets it closed with ETIMEDOUT.
public class TcpKeepaliveTests
{
    private const long Second = TcpPair.Second;

    [Fact]
    public void IdleConnection_IsProbedAfterItsIdleTime_AndAnAnsweringPeerKeepsIt()
    {
        TcpPair pair = new TcpPair();
        (TcpSocket client, TcpSocket server) = pair.Connect();
        client.KeepAliveIdle = 60 * Second;
        client.KeepAliveInterval = 10 * Second;
        client.KeepAliveCount = 3;
        client.KeepAlive = true;
        int sentBefore = pair.Network.Sent.Count;

        pair.Network.RunFor(59 * Second);
        Assert.Equal(0, client.KeepaliveProbesSent);

        pair.Network.RunFor(2 * Second);
        Assert.Equal(1, client.KeepaliveProbesSent);
        // The probe: an ACK one below SND.NXT with no data, and the server's ACK answers it.
        Datagram probe = pair.Network.Sent.Skip(sentBefore).First(d => d.Source == TcpPair.ClientAddress);
        Assert.Equal(0, probe.PayloadLength);
        Assert.True(probe.Has(TcpFlags.Ack));
        Datagram answer = pair.Network.Sent.Skip(sentBefore).First(d => d.Source == TcpPair.ServerAddress);
        Assert.Equal(probe.Header.SequenceNumber + 1, answer.Header.AcknowledgmentNumber);

        // Answered every time: one probe per idle time, and the connection stays up for hours.
        pair.Network.RunFor(3600 * Second);
        Assert.Equal(TcpState.Established, client.State);
        Assert.Equal(TcpState.Established, server.State);
        Assert.InRange(client.KeepaliveProbesSent, 55, 62);
        Assert.Equal(0, client.TakeError());
    }

    [Fact]
    public void PeerThatAnswersNoProbe_EndsTheConnectionWithTimedOut()
    {
        TcpPair pair = new TcpPair();
        (TcpSocket client, TcpSocket _) = pair.Connect();
        client.KeepAliveIdle = 60 * Second;
        client.KeepAliveInterval = 10 * Second;
        client.KeepAliveCount = 3;
        client.KeepAlive = true;
        // The peer is gone: nothing it would send arrives.
        pair.Network.Drop = d => d.Source == TcpPair.ServerAddress;

        Assert.True(pair.Network.RunUntil(() => client.State == TcpState.Closed, 200 * Second));
        // Idle time, then three probes ten seconds apart, then ten seconds more for the last.
        Assert.InRange(pair.Network.Clock.MonotonicNanoseconds, 89 * Second, 92 * Second);
        Assert.Equal(3, client.KeepaliveProbesSent);
        Assert.Equal(-Errno.ETIMEDOUT, client.Receive(new byte[1]));
    }

    [Fact]
    public void WithoutKeepalive_AnIdleConnectionSendsNothing()
    {
        TcpPair pair = new TcpPair();
        (TcpSocket client, TcpSocket server) = pair.Connect();
        int sentBefore = pair.Network.Sent.Count;

        pair.Network.RunFor(3 * 7200 * Second);

        Assert.Equal(sentBefore, pair.Network.Sent.Count);
        Assert.Equal(TcpState.Established, client.State);
        Assert.Equal(TcpState.Established, server.State);
    }

    [Fact]
    public void AcceptedConnection_TakesItsListenersKeepaliveSettings()
    {
        TcpPair pair = new TcpPair();
        TcpSocket listener = pair.Listen();
        listener.KeepAliveIdle = 30 * Second;
        listener.KeepAlive = true;
        (TcpSocket _, TcpSocket server) = pair.Connect();

        Assert.True(server.KeepAlive);
        Assert.Equal(30 * Second, server.KeepAliveIdle);
        pair.Network.RunFor(31 * Second);
        Assert.Equal(1, server.KeepaliveProbesSent);
    }

    [Fact]
    public void TrafficPostponesTheProbe()
    {
        TcpPair pair = new TcpPair();
        (TcpSocket client, TcpSocket server) = pair.Connect();
        client.KeepAliveIdle = 60 * Second;
        client.KeepAlive = true;
        for (int minute = 0; minute < 10; minute++)
        {
            pair.Network.RunFor(40 * Second);
            Assert.Equal(5, server.Send(new byte[5]));
            pair.Network.RunFor(Second);
            Assert.Equal(5, client.Receive(new byte[16]));
        }

        Assert.Equal(0, client.KeepaliveProbesSent);
    }
}
