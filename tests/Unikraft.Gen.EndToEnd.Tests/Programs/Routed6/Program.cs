// Echoes over IPv6 until a UDP datagram says "bye": UDP datagrams on port 7 of an AF_INET6 socket
// (sent back whole, however long: a long one leaves in fragments), and TCP lines on [::]:7777,
// answered with "echo: " and the line, one connection after another.
using System.Net;
using System.Net.Sockets;
using System.Text;

var listener = new TcpListener(IPAddress.IPv6Any, 7777);
listener.Start();
_ = Task.Run(async () =>
{
    while (true)
    {
        using TcpClient client = await listener.AcceptTcpClientAsync();
        using var reader = new StreamReader(client.GetStream());
        using var writer = new StreamWriter(client.GetStream()) { AutoFlush = true };
        while (await reader.ReadLineAsync() is string line)
        {
            await writer.WriteLineAsync("echo: " + line);
        }
        Console.WriteLine("tcp from " + client.Client.RemoteEndPoint);
    }
});

using var udp = new UdpClient(7, AddressFamily.InterNetworkV6);
Console.WriteLine("up");
while (true)
{
    IPEndPoint? from = null;
    byte[] data = udp.Receive(ref from);
    if (Encoding.ASCII.GetString(data).Trim() == "bye")
    {
        break;
    }
    udp.Send(data, data.Length, from);
    Console.WriteLine("echoed " + data.Length + " from " + from);
}
Console.WriteLine("down");
