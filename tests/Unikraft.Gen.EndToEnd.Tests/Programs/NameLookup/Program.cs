// Says "ready", waits for a line on standard input (the test starts the name server first), then:
//   lookup        looks names up with Dns and prints what it got, or the SocketException;
//   connect PORT  connects to web.test:PORT with TcpClient.Connect(host, port) and sends a line.
using System.Net;
using System.Net.Sockets;

string mode = args.Length > 0 ? args[0] : "lookup";
Console.WriteLine("ready");
Console.ReadLine();
if (mode == "connect")
{
    using var client = new TcpClient();
    client.Connect("web.test", int.Parse(args[1]));
    using NetworkStream stream = client.GetStream();
    stream.Write("hello by name\n"u8);
    Console.WriteLine("connected to " + client.Client.RemoteEndPoint);
    return;
}

Console.WriteLine("web.test: " + string.Join(", ", (object[])Dns.GetHostAddresses("web.test")));
IPHostEntry entry = Dns.GetHostEntry("alias.test");
Console.WriteLine("alias.test: " + entry.HostName + " " + string.Join(", ", (object[])entry.AddressList));
IPAddress[] later = await Dns.GetHostAddressesAsync("web.test");
Console.WriteLine("async web.test: " + string.Join(", ", (object[])later));
Console.WriteLine("localhost: " + string.Join(", ", (object[])Dns.GetHostAddresses("localhost")));
Console.WriteLine("host name: " + Dns.GetHostName());
try
{
    Dns.GetHostAddresses("nothere.test");
    Console.WriteLine("nothere.test: found");
}
catch (SocketException exception)
{
    Console.WriteLine("nothere.test: " + exception.SocketErrorCode + "|" + exception.ErrorCode + "|" + exception.Message);
}
