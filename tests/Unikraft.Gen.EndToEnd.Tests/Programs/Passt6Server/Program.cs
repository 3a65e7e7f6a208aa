// serve              answers HTTP requests on [::]:47110 (dual-stack) and [::1]:47111 with the
//                    listener's name and the client's address; GET /quit ends it.
// connect ADDR PORT  connects to [ADDR]:PORT, sends a line and prints the line that comes back.
using System.Net;
using System.Net.Sockets;
using System.Text;

if (args.Length == 3 && args[0] == "connect")
{
    using var client = new TcpClient(AddressFamily.InterNetworkV6);
    client.Connect(IPAddress.Parse(args[1]), int.Parse(args[2]));
    using NetworkStream stream = client.GetStream();
    stream.Write("hello from the kernel\n"u8);
    using var reader = new StreamReader(stream);
    Console.WriteLine("from " + client.Client.LocalEndPoint + " got: " + reader.ReadLine());
    return 0;
}

var any = new TcpListener(IPAddress.IPv6Any, 47110);
any.Server.DualMode = true;
any.Start();
var loopback = new TcpListener(IPAddress.IPv6Loopback, 47111);
loopback.Start();
Console.WriteLine("listening");

using var quit = new CancellationTokenSource();
Task Serve(TcpListener listener, string name) => Task.Run(async () =>
{
    while (!quit.IsCancellationRequested)
    {
        TcpClient client;
        try
        {
            client = await listener.AcceptTcpClientAsync(quit.Token);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        using (client)
        {
            NetworkStream stream = client.GetStream();
            var request = new StringBuilder();
            var buffer = new byte[1024];
            while (!request.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
            {
                int read = await stream.ReadAsync(buffer);
                if (read == 0)
                {
                    break;
                }
                request.Append(Encoding.ASCII.GetString(buffer, 0, read));
            }

            var remote = (IPEndPoint)client.Client.RemoteEndPoint!;
            string body = name + " from " + (remote.Address.IsIPv4MappedToIPv6 ? "ipv4 " + remote.Address.MapToIPv4() : "ipv6 " + remote.Address) + "\n";
            byte[] bytes = Encoding.ASCII.GetBytes(body);
            await stream.WriteAsync(Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " + bytes.Length + "\r\nConnection: close\r\n\r\n"));
            await stream.WriteAsync(bytes);
            Console.WriteLine("served: " + body.TrimEnd());
            if (request.ToString().StartsWith("GET /quit ", StringComparison.Ordinal))
            {
                quit.Cancel();
            }
        }
    }
});

await Task.WhenAll(Serve(any, "any"), Serve(loopback, "loopback"));
any.Stop();
loopback.Stop();
Console.WriteLine("done");
return 0;
