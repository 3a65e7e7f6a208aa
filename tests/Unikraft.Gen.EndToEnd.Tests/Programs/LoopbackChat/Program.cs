using System.Net;
using System.Net.Sockets;
using System.Text;

// A server and a client in one program, over the loopback: the server answers each line with its
// length; then a UDP datagram goes to itself and back; then a connection to an address beyond
// the loopback shows there is no interface.
var listener = new TcpListener(IPAddress.Loopback, 0);
listener.Start();
int port = ((IPEndPoint)listener.LocalEndpoint).Port;
Console.WriteLine("listening on 127.0.0.1, port " + (port >= 1024 ? "ephemeral" : port.ToString()));

Task server = Task.Run(async () =>
{
    using TcpClient peer = await listener.AcceptTcpClientAsync();
    using var reader = new StreamReader(peer.GetStream());
    using var writer = new StreamWriter(peer.GetStream()) { AutoFlush = true };
    while (await reader.ReadLineAsync() is { } line)
    {
        await writer.WriteLineAsync(line + " has " + line.Length + " characters");
    }
});

using (var client = new TcpClient())
{
    await client.ConnectAsync(IPAddress.Loopback, port);
    using var reader = new StreamReader(client.GetStream());
    using var writer = new StreamWriter(client.GetStream()) { AutoFlush = true };
    foreach (string word in new[] { "hello", "loopback", new string('x', 5000) })
    {
        await writer.WriteLineAsync(word);
        string? answer = await reader.ReadLineAsync();
        Console.WriteLine(answer is null ? "no answer" : answer.Length > 40 ? "..." + answer.Substring(answer.Length - 25) : answer);
    }

    client.Client.Shutdown(SocketShutdown.Send);
}

await server;
listener.Stop();

using (var udp = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0)))
{
    var self = (IPEndPoint)udp.Client.LocalEndPoint!;
    byte[] datagram = Encoding.UTF8.GetBytes("datagram to myself");
    await udp.SendAsync(datagram, datagram.Length, self);
    UdpReceiveResult received = await udp.ReceiveAsync();
    Console.WriteLine("udp: " + Encoding.UTF8.GetString(received.Buffer) + " from " + received.RemoteEndPoint.Address);
}

try
{
    using var outside = new TcpClient();
    // UK0501 says this cannot work with no interface, and this checks that it fails so.
#pragma warning disable UK0501
    outside.Connect(IPAddress.Parse("198.18.0.1"), 80);
#pragma warning restore UK0501
    Console.WriteLine("connected beyond the loopback");
}
catch (SocketException exception)
{
    Console.WriteLine("beyond the loopback: " + exception.SocketErrorCode);
}
