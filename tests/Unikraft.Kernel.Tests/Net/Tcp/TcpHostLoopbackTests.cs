namespace Unikraft.Kernel.Tests.Net.Tcp;

using Unikraft.Kernel;
using Xunit;

// A passt interface's forwarded TCP ports: a connection the host opened to its own loopback
// arrives at the interface's address from its gateway, and reaches a listener bound to the
// kernel's loopback (HttpListener's "http://localhost:8080/", Kestrel's localhost), as it would
// reach one on the host; from anywhere else, or on a port not forwarded, it is refused.
public class TcpHostLoopbackTests
{
    private const long Second = TcpPair.Second;

    // The server's interface, its "gateway" the client (where passt shows the host), forwarding 8080.
    private static TcpPair ForwardingPair()
    {
        TcpPair pair = new TcpPair();
        HostLoopbackForwards forwards = new HostLoopbackForwards();
        forwards.Add(TcpPair.ServerAddress, TcpPair.ClientAddress, new ushort[] { TcpPair.ServerPort }, "passt");
        pair.Server.HostLoopback = forwards;
        return pair;
    }

    private static TcpSocket ListenOnLoopback(TcpPair pair, ushort port)
    {
        TcpSocket listener = pair.Server.CreateSocket();
        Assert.Equal(0, listener.Bind(Ipv4Address.Loopback, port));
        Assert.Equal(0, listener.Listen(16));
        return listener;
    }

    [Fact]
    public void FromTheGateway_OnAForwardedPort_ReachesTheLoopbackListener()
    {
        TcpPair pair = ForwardingPair();
        TcpSocket listener = ListenOnLoopback(pair, TcpPair.ServerPort);
        TcpSocket client = pair.Client.CreateSocket();
        Assert.Equal(-Errno.EINPROGRESS, client.Connect(TcpPair.ServerAddress, TcpPair.ServerPort));
        TcpSocket? accepted = null;
        Assert.True(pair.Network.RunUntil(() => client.State == TcpState.Established && listener.Accept(out accepted) == 0, 10 * Second));

        Assert.Equal(TcpPair.ServerAddress, accepted!.LocalAddress);
        Assert.Equal(TcpPair.ClientAddress, accepted.RemoteAddress);
        byte[] data = TcpPair.Pattern(100_000, 3);
        Assert.Equal(data, pair.Transfer(client, accepted, data));
        Assert.Equal(data, pair.Transfer(accepted, client, data));
    }

    [Fact]
    public void WithoutTheForward_TheLoopbackListenerIsNotReached()
    {
        TcpPair pair = new TcpPair();
        ListenOnLoopback(pair, TcpPair.ServerPort);
        AssertRefused(pair, pair.Client, TcpPair.ServerPort);
    }

    [Fact]
    public void OnAPortNotForwarded_TheLoopbackListenerIsNotReached()
    {
        TcpPair pair = ForwardingPair();
        ListenOnLoopback(pair, 9090);
        AssertRefused(pair, pair.Client, 9090);
    }

    // A listener on a port passt does not forward is reached only by the program: the log says so,
    // once a port, naming the ports that are forwarded; a forwarded or ephemeral port says nothing.
    [Fact]
    public void AListenerOnAPortNotForwarded_IsNamedOnce()
    {
        HostLoopbackForwards forwards = new HostLoopbackForwards();
        forwards.Add(TcpPair.ServerAddress, TcpPair.ClientAddress, new ushort[] { 8080, 8443 }, "passt");

        Assert.Equal("[uk] net: a listener on port 5000, which passt does not forward from the host (Forward 8080,8443): only the program itself reaches it; "
            + "add the port to its <UnikraftNet> item's Forward", forwards.Listening(5000));
        Assert.Null(forwards.Listening(5000));
        Assert.Null(forwards.Listening(8080));
        Assert.Null(forwards.Listening(40000));
        Assert.Null(new HostLoopbackForwards().Listening(5000));

        HostLoopbackForwards vm = new HostLoopbackForwards();
        vm.Add(TcpPair.ServerAddress, TcpPair.ClientAddress, new ushort[] { 8080 }, "the VM's runner");
        Assert.StartsWith("[uk] net: a listener on port 5000, which the VM's runner does not forward from the host (Forward 8080)", vm.Listening(5000), System.StringComparison.Ordinal);
    }

    [Fact]
    public void FromAnotherAddress_TheLoopbackListenerIsNotReached()
    {
        // passt forwards the port on every address of the host; a connection to another of
        // them (or from another machine) keeps its own source, and localhost is not for it.
        TcpPair pair = ForwardingPair();
        ListenOnLoopback(pair, TcpPair.ServerPort);
        TcpStack other = pair.Network.AddHost(new Ipv4Address(198, 18, 0, 3), 7);
        AssertRefused(pair, other, TcpPair.ServerPort);
    }

    private static void AssertRefused(TcpPair pair, TcpStack from, ushort port)
    {
        TcpSocket client = from.CreateSocket();
        Assert.Equal(-Errno.EINPROGRESS, client.Connect(TcpPair.ServerAddress, port));
        pair.Network.RunFor(Second);
        Assert.Equal(TcpState.Closed, client.State);
        Assert.Equal(-Errno.ECONNREFUSED, client.Send(new byte[1]));
        Assert.Equal(0, pair.Server.ConnectionCount);
    }
}
