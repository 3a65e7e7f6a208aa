// Serves `clients` connections on port 7777, one after the other, then exits:
//   lines  (synchronous) answers each line with "echo: " and the line;
//   copy   (asynchronous) sends back every byte it receives until the client shuts its side;
//   send N (synchronous) sends N bytes (byte i is i * 7 mod 256), closes and ends at once;
//   tls    (asynchronous) lines as lines does, over TLS (SslStream) with a self-signed ECDSA
//          certificate for CN=TcpEcho made at start, each answer naming the protocol.
// A mode with a 6 after it (copy6, lines6) listens on [::]:7777, dual-stack (Socket.DualMode), so
// IPv4 clients come as ::ffff:a.b.c.d.
//   connect6 ADDRESS PORT N: a client instead, on TcpClient(AddressFamily.InterNetworkV6): once a
//   line comes on stdin, connects to [ADDRESS]:PORT, sends N bytes (as send's) while it reads
//   until the peer shuts its side, shuts its own, then says how many bytes came and their SHA-256.
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

string mode = args.Length > 0 ? args[0] : "lines";
if (mode == "connect6")
{
    Console.ReadLine();
    byte[] data = new byte[int.Parse(args[3])];
    for (int i = 0; i < data.Length; i++)
    {
        data[i] = (byte)(i * 7);
    }
    using var client = new TcpClient(AddressFamily.InterNetworkV6);
    await client.ConnectAsync(IPAddress.Parse(args[1]), int.Parse(args[2]));
    Console.WriteLine("connected from " + client.Client.LocalEndPoint + " to " + client.Client.RemoteEndPoint);
    using NetworkStream stream = client.GetStream();
    Task sending = stream.WriteAsync(data).AsTask();
    var received = new MemoryStream();
    await stream.CopyToAsync(received);
    await sending;
    // NOTE: the send side is shut only after the peer's end: OpenBSD nc in listen mode (-l) ends
    // as soon as the connection's input has ended and its buffers are empty, with stdin unsent
    // (netcat.c's readwrite, "listen and net in gone"); shut first, 32 KB of 1 MB went missing.
    client.Client.Shutdown(SocketShutdown.Send);
    Console.WriteLine("received " + received.Length + " sha256 " + Convert.ToHexStringLower(SHA256.HashData(received.ToArray())));
    return;
}
bool ipv6 = mode.EndsWith('6');
mode = ipv6 ? mode.Substring(0, mode.Length - 1) : mode;
int clients = args.Length > 1 ? int.Parse(args[1]) : 1;
var listener = new TcpListener(ipv6 ? IPAddress.IPv6Any : IPAddress.Any, 7777);
if (ipv6)
{
    listener.Server.DualMode = true;
}
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
    else if (mode == "tls")
    {
        using ECDsa key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using X509Certificate2 certificate = new CertificateRequest("CN=TcpEcho", key, HashAlgorithmName.SHA256)
            .CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        using TcpClient client = await listener.AcceptTcpClientAsync();
        using var tls = new SslStream(client.GetStream());
        await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = certificate });
        var reader = new StreamReader(tls, new UTF8Encoding(false));
        var writer = new StreamWriter(tls, new UTF8Encoding(false)) { AutoFlush = true };
        while (await reader.ReadLineAsync() is string line)
        {
            await writer.WriteLineAsync("echo over " + tls.SslProtocol + ": " + line);
        }
        Console.WriteLine("tls lines from " + ((IPEndPoint)client.Client.RemoteEndPoint!).Address);
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
