// Echoes UDP datagrams on port 7 of an AF_INET6 socket (dual-stack, as Linux's default) until one
// says "bye".
using System.Net;
using System.Net.Sockets;
using System.Text;

using var udp = new UdpClient(7, AddressFamily.InterNetworkV6);
Console.WriteLine("up " + udp.Client.LocalEndPoint);
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
