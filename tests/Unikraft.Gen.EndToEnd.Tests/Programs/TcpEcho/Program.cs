// Serves `clients` connections on port 7777, one after the other, then exits:
//   lines  (synchronous) answers each line with "echo: " and the line;
//   copy   (asynchronous) sends back every byte it receives until the client shuts its side;
//   send N (synchronous) sends N bytes (byte i is i * 7 mod 256), closes and ends at once.
using System.Net;
using System.Net.Sockets;
using System.Text;

string mode = args.Length > 0 ? args[0] : "lines";
int clients = args.Length > 1 ? int.Parse(args[1]) : 1;
var listener = new TcpListener(IPAddress.Any, 7777);
listener.Start();
Console.WriteLine("listening on " + listener.LocalEndpoint);
for (int served = 0; served < clients; served++)
{
    if (mode == "send")
    {
        byte[] data = new byte[int.Parse(args[2])];
        for (int i = 0; i < data.Length; i++)
        {
            data[i] = (byte)(i * 7);
        }
        using TcpClient client = listener.AcceptTcpClient();
        client.GetStream().Write(data);
        Console.WriteLine("sent " + data.Length);
    }
    else if (mode == "copy")
    {
        using TcpClient client = await listener.AcceptTcpClientAsync();
        using NetworkStream stream = client.GetStream();
        await stream.CopyToAsync(stream);
        Console.WriteLine("copied for " + ((IPEndPoint)client.Client.RemoteEndPoint!).Address);
    }
    else
    {
        using TcpClient client = listener.AcceptTcpClient();
        using NetworkStream stream = client.GetStream();
        var reader = new StreamReader(stream, new UTF8Encoding(false));
        var writer = new StreamWriter(stream, new UTF8Encoding(false)) { AutoFlush = true };
        while (reader.ReadLine() is string line)
        {
            writer.WriteLine("echo: " + line);
        }
        Console.WriteLine("lines from " + ((IPEndPoint)client.Client.RemoteEndPoint!).Address);
    }
}
listener.Stop();
