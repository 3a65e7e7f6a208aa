using System.Net;
using System.Net.Sockets;
using System.Text;

// Echoes each datagram back in capitals to whoever sent it, until one says "quit".
using var server = new UdpClient(new IPEndPoint(IPAddress.Any, 47009));
Console.WriteLine("listening on udp 47009");
while (true)
{
    UdpReceiveResult received = await server.ReceiveAsync();
    string text = Encoding.UTF8.GetString(received.Buffer).Trim();
    if (text == "quit")
    {
        Console.WriteLine("quit from the host");
        break;
    }

    byte[] reply = Encoding.UTF8.GetBytes(text.ToUpperInvariant() + "\n");
    await server.SendAsync(reply, reply.Length, received.RemoteEndPoint);
}
