namespace Unikraft.Gen.EndToEnd.Tests;

using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Security.Cryptography.X509Certificates;
using Xunit;

// HTTPS and SslStream as a .NET developer writes them (HttpClient.GetStringAsync, SslStream over a
// TcpClient), unchanged, built as a user builds them and run as `dotnet run` runs them: the
// sockets on the kernel's own TCP/IP over a TAP device, the TLS in the host's OpenSSL, and the
// trusted roots from the host's trust store, which the plan mounts read-only at its host path
// (with the folder SSL_CERT_FILE names at boot). The server is Linux's `openssl s_server -www`
// inside a network namespace, with a throwaway CA and server certificate made in the test's own
// folder; nothing leaves the namespace. The same program serves HTTPS with Kestrel to curl there.
public sealed class TlsClientTests : IClassFixture<TlsClientTests.Build>
{
    internal const string Program = "tests/Unikraft.Gen.EndToEnd.Tests/Programs/TlsClient";

    private const string Url = "https://198.18.0.1:8443/";

    private readonly Build build;

    public TlsClientTests(Build build)
    {
        this.build = build;
    }

    // The user's way to trust a private CA on Linux: SSL_CERT_FILE. The BCL finds the file through
    // the kernel's VFS and OpenSSL reads it on the host, by the same path.
    [NetFact]
    public void HttpsGet_WithTheCaInSslCertFile_ReadsThePage()
    {
        (string output, string error, int status) = Run("get", Url, Trusting());

        Assert.True(status == 0, output + error);
        Assert.StartsWith("got ", output, StringComparison.Ordinal);
        Assert.Contains("chars: <HTML><BODY BGCOLOR=\"#ffffff\">", output, StringComparison.Ordinal);
        Assert.Contains("[uk] trust store: " + build.Certificates + " mounted read-only from the host", error, StringComparison.Ordinal);
    }

    [NetFact]
    public void SslStream_WithTheCaInSslCertFile_NegotiatesTls13_AndSpeaks()
    {
        (string output, string error, int status) = Run("ssl", Url, Trusting());

        Assert.True(status == 0, output + error);
        Assert.Matches("^tls Tls13 TLS_\\w+\nfirst line: HTTP/1\\.0 200 ok\n$", output);
    }

    // A chain to a CA nobody trusts fails as it fails on Linux: the normal AuthenticationException
    // inside HttpClient's HttpRequestException, which the program catches; no crash.
    [NetFact]
    public void HttpsGet_ToAnUntrustedChain_IsTheNormalAuthenticationException()
    {
        (string output, string error, int status) = Run("get", Url, null);

        Assert.True(status == 1, output + error);
        Assert.Equal(
            "error: System.Net.Http.HttpRequestException: The SSL connection could not be established, see inner exception.\n"
            + "  inner: System.Security.Authentication.AuthenticationException: The remote certificate is invalid because of errors in the certificate chain: PartialChain\n",
            output);
    }

    // The program's own validation callback, trusting the CA it was given, with no trust store.
    [NetFact]
    public void HttpsGet_WithItsOwnValidationCallback_TrustsTheCaItWasGiven()
    {
        (string output, string error, int status) = Run("callback", Url, null, File.ReadAllText(build.Authority));

        Assert.True(status == 0, output + error);
        Assert.Contains("chars: <HTML><BODY BGCOLOR=\"#ffffff\">", output, StringComparison.Ordinal);
    }

    // The machine's root store on the kernel holds what the same store holds in this (host) process.
    [NetFact]
    public void MachineRootStore_HoldsTheHostsRoots()
    {
        using var store = new X509Store(StoreName.Root, StoreLocation.LocalMachine);
        store.Open(OpenFlags.ReadOnly);
        int host = store.Certificates.Count;
        Assert.True(host > 0, "this host's trust store holds no roots");

        (string output, string error, int status) = Run("roots", "-", null);

        Assert.True(status == 0, output + error);
        Assert.Equal("roots " + host + "\n", output);
    }

    // Kestrel's HTTPS as a user configures it (UseHttps with a certificate), on the kernel's TCP:
    // curl in the namespace trusts the test CA and speaks HTTP/2 over TLS 1.3 (ALPN), and without
    // the CA refuses the chain.
    [NetFact]
    public void Kestrel_ServesHttps_ToCurl()
    {
        using NetNamespace space = NetNamespace.Create("tlss");
        var environment = new Dictionary<string, string>
        {
            ["CERT_PEM"] = File.ReadAllText(build.KestrelCertificate),
            ["KEY_PEM"] = File.ReadAllText(build.KestrelKey),
        };
        using Process server = space.Start(environment, build.OutputFile("TlsClient"), "serve");
        try
        {
            space.ConfigureTap("uk0");
            var listening = server.StandardOutput.ReadLineAsync();
            Assert.True(listening.Wait(TimeSpan.FromSeconds(60)), "Kestrel did not say it listens");
            Assert.Equal("listening", listening.Result);

            CommandResult trusted = space.Try("curl", "-sS", "--max-time", "20", "--cacert", build.Authority, "-w", "%{http_version} %{ssl_verify_result}\n",
                "https://198.18.0.2:8443/");
            CommandResult untrusted = space.Try("curl", "-sS", "--max-time", "20", "https://198.18.0.2:8443/");

            Assert.True(trusted.ExitCode == 0, trusted.Describe());
            Assert.Equal("hello over HTTP/2\n2 0\n", trusted.StandardOutput);
            Assert.Equal(60, untrusted.ExitCode); // CURLE_PEER_FAILED_VERIFICATION
            server.StandardInput.WriteLine("stop");
            server.StandardInput.Flush();
            Assert.True(server.WaitForExit(TimeSpan.FromSeconds(30)), "Kestrel did not stop");
            Assert.True(server.ExitCode == 0, server.StandardError.ReadToEnd());
        }
        finally
        {
            Stop(server);
        }
    }

    private Dictionary<string, string> Trusting() => new() { ["SSL_CERT_FILE"] = build.Authority };

    private (string Output, string Error, int Status) Run(string mode, string url, Dictionary<string, string>? environment, string? extra = null) =>
        RunClient(build, build.OutputFile("TlsClient"), mode, url, environment, extra);

    // Starts the program (a build's or a NativeAOT image) in a namespace of its own, the server once
    // the program's TAP device is up, tells the program to go, and returns what it wrote and its status.
    internal static (string Output, string Error, int Status) RunClient(Build certificates, string executable, string mode, string url, Dictionary<string, string>? environment,
        string? extra = null)
    {
        using NetNamespace space = NetNamespace.Create("tls");
        string[] arguments = extra is null ? [mode, url] : [mode, url, extra];
        using Process program = space.Start(environment, executable, arguments);
        Process? server = null;
        try
        {
            space.ConfigureTap("uk0");
            server = space.Start("openssl", "s_server", "-accept", "198.18.0.1:8443", "-cert", certificates.ServerCertificate, "-key", certificates.ServerKey, "-www", "-quiet");
            Assert.True(WaitForListener(space, "198.18.0.1:8443"), "openssl s_server did not listen on 198.18.0.1:8443");

            var ready = program.StandardOutput.ReadLineAsync();
            Assert.True(ready.Wait(TimeSpan.FromSeconds(60)), "the program did not say it is ready");
            Assert.Equal("ready", ready.Result);
            program.StandardInput.WriteLine("go");
            program.StandardInput.Flush();

            if (!program.WaitForExit(TimeSpan.FromSeconds(60)))
            {
                program.Kill(entireProcessTree: true);
                program.WaitForExit();
                Assert.Fail("the program did not end within 60 s; it wrote:\n" + program.StandardOutput.ReadToEnd() + program.StandardError.ReadToEnd());
            }
            return (program.StandardOutput.ReadToEnd(), program.StandardError.ReadToEnd(), program.ExitCode);
        }
        finally
        {
            Stop(program);
            if (server != null)
            {
                Stop(server);
                server.Dispose();
            }
        }
    }

    private static bool WaitForListener(NetNamespace space, string address)
    {
        DateTime end = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (DateTime.UtcNow < end)
        {
            if (space.Try("ss", "-ltn").StandardOutput.Contains(address, StringComparison.Ordinal))
            {
                return true;
            }
            System.Threading.Thread.Sleep(50);
        }
        return false;
    }

    private static void Stop(Process process)
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
        }
    }

    // The program's build, and a throwaway CA with a server certificate for 198.18.0.1 that it
    // signed, made with the openssl command in the build's own folder.
    public class Build : SampleBuild
    {
        public Build()
            : this("tap", "build")
        {
        }

        protected Build(string label, string verb, params string[] options)
            : base(Program, label, verb, options)
        {
            Certificates = Path.Combine(Folder, "certificates");
            Directory.CreateDirectory(Certificates);
            Authority = Path.Combine(Certificates, "ca.pem");
            ServerCertificate = Path.Combine(Certificates, "server.pem");
            ServerKey = Path.Combine(Certificates, "server.key");
            string authorityKey = Path.Combine(Certificates, "ca.key");
            string request = Path.Combine(Certificates, "server.csr");
            string extensions = Path.Combine(Certificates, "server.ext");
            File.WriteAllText(extensions, "subjectAltName=IP:198.18.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n");
            OpenSsl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", authorityKey, "-out", Authority,
                "-days", "2", "-subj", "/CN=Unikraft.Gen test CA");
            OpenSsl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", ServerKey, "-out", request, "-subj", "/CN=198.18.0.1");
            OpenSsl("x509", "-req", "-in", request, "-CA", Authority, "-CAkey", authorityKey, "-CAcreateserial", "-out", ServerCertificate,
                "-days", "2", "-extfile", extensions);

            // Kestrel's, for the kernel's own address.
            KestrelCertificate = Path.Combine(Certificates, "kestrel.pem");
            KestrelKey = Path.Combine(Certificates, "kestrel.key");
            File.WriteAllText(extensions, "subjectAltName=IP:198.18.0.2\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n");
            OpenSsl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", KestrelKey, "-out", request, "-subj", "/CN=198.18.0.2");
            OpenSsl("x509", "-req", "-in", request, "-CA", Authority, "-CAkey", authorityKey, "-CAcreateserial", "-out", KestrelCertificate,
                "-days", "2", "-extfile", extensions);
        }

        public string KestrelCertificate { get; }

        public string KestrelKey { get; }

        // The folder of the CA's certificate, which SSL_CERT_FILE names; the kernel mounts it.
        public string Certificates { get; }

        public string Authority { get; }

        public string ServerCertificate { get; }

        public string ServerKey { get; }

        private void OpenSsl(params string[] arguments)
        {
            Assert.True(File.Exists("/usr/bin/openssl"), "no openssl command: install the Debian package openssl");
            CommandResult result = Command.Run("openssl", arguments, Folder, TimeSpan.FromMinutes(1));
            Assert.True(result.ExitCode == 0, result.Describe());
        }
    }
}

// The same HTTPS client as a NativeAOT image, as a user ships it: the link sends the BCL's native
// layer to the kernel and keeps OpenSSL's shim, which the confinement lets load libssl at boot; the
// trust store and SSL_CERT_FILE's folder are mounted as under the JIT.
public sealed class TlsClientAotTests : IClassFixture<TlsClientAotTests.AotBuild>
{
    private const string Url = "https://198.18.0.1:8443/";

    private readonly AotBuild build;

    public TlsClientAotTests(AotBuild build)
    {
        this.build = build;
    }

    [NetFact]
    public void HttpsGet_WithTheCaInSslCertFile_ReadsThePage()
    {
        (string output, string error, int status) = TlsClientTests.RunClient(build, build.Image, "get", Url,
            new Dictionary<string, string> { ["SSL_CERT_FILE"] = build.Authority });

        Assert.True(status == 0, output + error);
        Assert.Contains("chars: <HTML><BODY BGCOLOR=\"#ffffff\">", output, StringComparison.Ordinal);
        Assert.DoesNotContain("confinement: refused", error, StringComparison.Ordinal);
    }

    [NetFact]
    public void SslStream_NegotiatesTls13()
    {
        (string output, string error, int status) = TlsClientTests.RunClient(build, build.Image, "ssl", Url,
            new Dictionary<string, string> { ["SSL_CERT_FILE"] = build.Authority });

        Assert.True(status == 0, output + error);
        Assert.Matches("^tls Tls13 TLS_\\w+\nfirst line: HTTP/1\\.0 200 ok\n$", output);
    }

    [NetFact]
    public void HttpsGet_ToAnUntrustedChain_IsTheNormalAuthenticationException()
    {
        (string output, string error, int status) = TlsClientTests.RunClient(build, build.Image, "get", Url, null);

        Assert.True(status == 1, output + error);
        Assert.Contains("AuthenticationException: The remote certificate is invalid because of errors in the certificate chain: PartialChain", output,
            StringComparison.Ordinal);
    }

    public sealed class AotBuild : TlsClientTests.Build
    {
        public AotBuild()
            : base("aot", "publish", "-c", "Release", "-r", "linux-x64", "-p:PublishAot=true", "-o", "{publish}")
        {
        }

        public string Image
        {
            get
            {
                EnsureSucceeded();
                return Path.Combine(PublishPath, "TlsClient");
            }
        }
    }
}
