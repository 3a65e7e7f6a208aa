namespace Unikraft.Kernel.Tests.Net.Tcp;

using System;
using System.Collections.Generic;
using Unikraft.Kernel;
using Xunit;

// A client and a server stack on one test network, with helpers that move bytes the way a
// program would: write what the send buffer takes, read what arrived, let time run between.
internal sealed class TcpPair
{
    public static readonly Ipv4Address ClientAddress = new Ipv4Address(198, 18, 0, 1);
    public static readonly Ipv4Address ServerAddress = new Ipv4Address(198, 18, 0, 2);
    public const ushort ServerPort = 8080;

    // NOTE: one second of virtual time, the unit most tests wait in.
    public const long Second = 1_000_000_000;

    public TcpPair(int seed = 1)
    {
        Network = new TcpTestNetwork(seed);
        Client = Network.AddHost(ClientAddress, seed * 2 + 1);
        Server = Network.AddHost(ServerAddress, seed * 2 + 2);
    }

    public TcpTestNetwork Network { get; }

    public TcpStack Client { get; }

    public TcpStack Server { get; }

    public TcpSocket? Listener { get; private set; }

    public TcpSocket Listen(int backlog = 16)
    {
        TcpSocket listener = Server.CreateSocket();
        Assert.Equal(0, listener.Bind(Ipv4Address.Any, ServerPort));
        Assert.Equal(0, listener.Listen(backlog));
        Listener = listener;
        return listener;
    }

    // A connected pair: the client's socket and the one the server accepted.
    public (TcpSocket Client, TcpSocket Server) Connect()
    {
        TcpSocket listener = Listener ?? Listen();
        TcpSocket client = Client.CreateSocket();
        Assert.Equal(-Errno.EINPROGRESS, client.Connect(ServerAddress, ServerPort));
        TcpSocket? accepted = null;
        Assert.True(Network.RunUntil(() => client.State == TcpState.Established && listener.Accept(out accepted) == 0, 10 * Second));
        return (client, accepted!);
    }

    // Sends data from one socket and reads it at the other until all arrived (or time ran out);
    // returns what was read.
    public byte[] Transfer(TcpSocket from, TcpSocket to, byte[] data, long limit = 600 * Second)
    {
        int written = 0;
        List<byte> received = new List<byte>();
        byte[] buffer = new byte[8192];
        Network.RunUntil(() =>
        {
            while (written < data.Length)
            {
                long result = from.Send(data.AsSpan(written));
                if (result <= 0)
                {
                    break;
                }
                written += (int)result;
            }
            while (true)
            {
                long read = to.Receive(buffer);
                if (read <= 0)
                {
                    break;
                }
                for (int index = 0; index < read; index++)
                {
                    received.Add(buffer[index]);
                }
            }
            return received.Count >= data.Length;
        }, limit);
        return received.ToArray();
    }

    public static byte[] Pattern(int length, int seed)
    {
        byte[] data = new byte[length];
        new Random(seed).NextBytes(data);
        return data;
    }
}
