// A TLS client on the BCL's own classes, unchanged, on the kernel's TCP/IP and VFS: says "ready",
// waits for a line on standard input (the test's server is up), then
//   get URL            HttpClient.GetStringAsync, trusting what the system's store and SSL_CERT_FILE trust
//   callback URL PEM   the same with its own ServerCertificateCustomValidationCallback, trusting the CA in PEM
//   ssl URL            TcpClient and SslStream.AuthenticateAsClientAsync, then a plain GET
//   roots              how many certificates the machine's root store holds
// and prints what it got, or the exception and its inner ones (status 1). And a server:
//   serve              ASP.NET Core's Kestrel on https://0.0.0.0:8443 with the certificate and key
//                      in CERT_PEM and KEY_PEM; says "listening", and stops at a line on standard input.
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

string mode = args.Length > 0 ? args[0] : "get";
string url = args.Length > 1 ? args[1] : "https://198.18.0.1:8443/";
if (mode == "serve")
{
    using X509Certificate2 certificate = X509Certificate2.CreateFromPem(Environment.GetEnvironmentVariable("CERT_PEM"), Environment.GetEnvironmentVariable("KEY_PEM"));
    WebApplicationBuilder builder = WebApplication.CreateSlimBuilder(args);
    builder.Logging.ClearProviders();
    builder.WebHost.ConfigureKestrel(options => options.ListenAnyIP(8443, listen => listen.UseHttps(certificate)));
    WebApplication app = builder.Build();
    app.MapGet("/", (HttpContext context) => "hello over " + context.Request.Protocol + "\n");
    await app.StartAsync();
    Console.WriteLine("listening");
    Console.ReadLine();
    await app.StopAsync();
    return 0;
}

Console.WriteLine("ready");
Console.ReadLine();
try
{
    if (mode == "get")
    {
        using var client = new HttpClient();
        string body = await client.GetStringAsync(url);
        Console.WriteLine("got " + body.Length + " chars: " + body.Split('\n')[0]);
    }
    else if (mode == "roots")
    {
        using var store = new X509Store(StoreName.Root, StoreLocation.LocalMachine);
        store.Open(OpenFlags.ReadOnly);
        Console.WriteLine("roots " + store.Certificates.Count);
    }
    else if (mode == "callback")
    {
        using X509Certificate2 authority = X509Certificate2.CreateFromPem(args[2]);
        using var handler = new HttpClientHandler();
        handler.ServerCertificateCustomValidationCallback = (_, certificate, _, _) =>
        {
            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.Add(authority);
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            return chain.Build(certificate!);
        };
        using var client = new HttpClient(handler);
        string body = await client.GetStringAsync(url);
        Console.WriteLine("got " + body.Length + " chars: " + body.Split('\n')[0]);
    }
    else if (mode == "ssl")
    {
        var uri = new Uri(url);
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(uri.Host, uri.Port);
        using var ssl = new SslStream(tcp.GetStream());
        await ssl.AuthenticateAsClientAsync(uri.Host);
        Console.WriteLine("tls " + ssl.SslProtocol + " " + ssl.NegotiatedCipherSuite);
        await ssl.WriteAsync(Encoding.ASCII.GetBytes("GET / HTTP/1.0\r\n\r\n"));
        var reader = new StreamReader(ssl);
        Console.WriteLine("first line: " + await reader.ReadLineAsync());
    }
}
catch (Exception e)
{
    Console.WriteLine("error: " + e.GetType().FullName + ": " + e.Message);
    for (Exception? inner = e.InnerException; inner != null; inner = inner.InnerException)
    {
        Console.WriteLine("  inner: " + inner.GetType().FullName + ": " + inner.Message);
    }
    return 1;
}
return 0;
