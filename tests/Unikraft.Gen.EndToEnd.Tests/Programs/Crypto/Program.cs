using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

// Known answers first (the digests of "abc" from FIPS 180-4's examples and RFC 1321, HMAC from
// RFC 4231 test case 2), then the random generator, AES, and a TLS session over the loopback.
byte[] abc = Encoding.ASCII.GetBytes("abc");
Console.WriteLine("sha256 " + Convert.ToHexStringLower(SHA256.HashData(abc)));
Console.WriteLine("sha1 " + Convert.ToHexStringLower(SHA1.HashData(abc)));
Console.WriteLine("md5 " + Convert.ToHexStringLower(MD5.HashData(abc)));
Console.WriteLine("hmac-sha256 " + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.ASCII.GetBytes("Jefe"), Encoding.ASCII.GetBytes("what do ya want for nothing?"))));

using (var incremental = IncrementalHash.CreateHash(HashAlgorithmName.SHA512))
{
    incremental.AppendData(Encoding.ASCII.GetBytes("a"));
    incremental.AppendData(Encoding.ASCII.GetBytes("bc"));
    Console.WriteLine("sha512 " + Convert.ToHexStringLower(incremental.GetHashAndReset())[..32] + "...");
}

byte[] first = RandomNumberGenerator.GetBytes(32);
byte[] second = RandomNumberGenerator.GetBytes(32);
Console.WriteLine("random: 32 bytes twice, " + (first.AsSpan().SequenceEqual(second) ? "the same" : "different"));

using (Aes aes = Aes.Create())
{
    aes.Key = SHA256.HashData(abc);
    byte[] plain = Encoding.ASCII.GetBytes("a secret of thirty-two bytes....");
    byte[] sealedBytes = aes.EncryptCbc(plain, new byte[16]);
    Console.WriteLine("aes-cbc " + Convert.ToHexStringLower(sealedBytes)[..32] + "..., round trip " + (aes.DecryptCbc(sealedBytes, new byte[16]).AsSpan().SequenceEqual(plain) ? "equal" : "different"));
}

// A certificate of the program's own (ECDSA P-256), a server and a client over 127.0.0.1 that
// trusts exactly that certificate.
using ECDsa key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256);
using X509Certificate2 certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
Console.WriteLine("certificate " + certificate.Subject + ", has private key " + certificate.HasPrivateKey);

// The server takes two connections: an echo of one message, then one HTTP/1.1 request.
var listener = new TcpListener(IPAddress.Loopback, 8443);
listener.Start();
Task server = Task.Run(async () =>
{
    using (TcpClient accepted = await listener.AcceptTcpClientAsync())
    using (var tls = new SslStream(accepted.GetStream()))
    {
        await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = certificate });
        var buffer = new byte[64];
        int count = await tls.ReadAsync(buffer);
        await tls.WriteAsync(Encoding.ASCII.GetBytes("echo: " + Encoding.ASCII.GetString(buffer, 0, count)));
        await tls.ShutdownAsync();
    }

    using (TcpClient accepted = await listener.AcceptTcpClientAsync())
    using (var tls = new SslStream(accepted.GetStream()))
    {
        await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = certificate });
        var request = new StringBuilder();
        var buffer = new byte[1024];
        while (!request.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
        {
            int count = await tls.ReadAsync(buffer);
            if (count == 0)
            {
                break;
            }
            request.Append(Encoding.ASCII.GetString(buffer, 0, count));
        }

        string body = "hello over https, you asked " + request.ToString().Split("\r\n")[0];
        await tls.WriteAsync(Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " + body.Length + "\r\nConnection: close\r\n\r\n" + body));
        await tls.ShutdownAsync();
    }
});

using (var connection = new TcpClient())
{
    await connection.ConnectAsync(IPAddress.Loopback, 8443);
    using var tls = new SslStream(connection.GetStream(), false,
        (_, presented, _, _) => presented is not null && presented.GetCertHashString() == certificate.GetCertHashString());
    await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = "localhost", EnabledSslProtocols = SslProtocols.Tls13 });
    Console.WriteLine("tls: " + tls.SslProtocol + ", cipher " + tls.NegotiatedCipherSuite);
    await tls.WriteAsync(Encoding.ASCII.GetBytes("hello over tls"));
    var reply = new byte[64];
    int read = await tls.ReadAsync(reply);
    Console.WriteLine("tls: " + Encoding.ASCII.GetString(reply, 0, read));
}

// HttpClient over TLS to the same server, trusting exactly its certificate (the VM has no trust
// store to find a root in).
using (var handler = new SocketsHttpHandler())
{
    handler.SslOptions.RemoteCertificateValidationCallback = (_, presented, _, _) => presented is not null && presented.GetCertHashString() == certificate.GetCertHashString();
    using var client = new HttpClient(handler);
    using HttpResponseMessage response = await client.GetAsync("https://127.0.0.1:8443/page");
    Console.WriteLine("https: " + (int)response.StatusCode + ", " + await response.Content.ReadAsStringAsync());
}

await server;
listener.Stop();
