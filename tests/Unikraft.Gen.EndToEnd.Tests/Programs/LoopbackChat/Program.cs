using System.Net;
using System.Net.Sockets;
using System.Text;

// A server and a client in one program, over the loopback: the server answers each line with its
// length; then a UDP datagram goes to itself and back; an HttpListener answers a request, a
// WebClient and a WebRequest; then a connection to an address beyond the loopback shows there is
// no interface.
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

// The BCL's HttpListener (managed code over Socket on Linux) answers a raw request, then the
// older clients people still write (WebClient, WebRequest; WebSocketEcho has ClientWebSocket).
var http = new HttpListener();
http.Prefixes.Add("http://127.0.0.1:8089/");
http.Start();
Task responder = Task.Run(async () =>
{
    for (int served = 0; served < 3; served++)
    {
        HttpListenerContext context = await http.GetContextAsync();
        byte[] body = Encoding.UTF8.GetBytes("hello from HttpListener at " + context.Request.Url!.AbsolutePath);
        context.Response.ContentType = "text/plain";
        context.Response.ContentLength64 = body.Length;
        await context.Response.OutputStream.WriteAsync(body);
        context.Response.Close();
    }
});
using (var raw = new TcpClient())
{
    await raw.ConnectAsync(IPAddress.Loopback, 8089);
    NetworkStream stream = raw.GetStream();
    await stream.WriteAsync(Encoding.ASCII.GetBytes("GET /page HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"));
    string response = await new StreamReader(stream).ReadToEndAsync();
    Console.WriteLine("http: " + response.Split("\r\n")[0] + ", " + response.Substring(response.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4));
}

#pragma warning disable SYSLIB0014 // obsolete, and still in many programs
using (var web = new WebClient())
{
    Console.WriteLine("WebClient: " + web.DownloadString("http://127.0.0.1:8089/web-client"));
}

using (var response = (HttpWebResponse)WebRequest.Create("http://127.0.0.1:8089/web-request").GetResponse())
using (var reader = new StreamReader(response.GetResponseStream()))
{
    Console.WriteLine("WebRequest: " + (int)response.StatusCode + ", " + reader.ReadToEnd());
}
#pragma warning restore SYSLIB0014

await responder;
http.Stop();

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
