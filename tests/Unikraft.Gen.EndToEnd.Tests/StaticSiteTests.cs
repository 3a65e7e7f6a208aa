namespace Unikraft.Gen.EndToEnd.Tests;

using System;
using System.IO;
using System.Security.Cryptography;
using Xunit;

// samples/StaticSite, the files of an initrd folder served by ASP.NET Core's static file
// middleware on the kernel's own TCP, built as `dotnet build` builds it and started from its build
// output, as `dotnet run` starts it: through passt with curl on the host (unprivileged), and on a
// TAP device with curl inside a network namespace (the kernel is 198.18.0.2 there). Every body is
// compared byte for byte (sha256) with the file in the repository.
public sealed class StaticSiteTests : IClassFixture<StaticSiteTests.Build>
{
    private readonly Build build;

    public StaticSiteTests(Build build)
    {
        this.build = build;
    }

    private static int Port => int.TryParse(Environment.GetEnvironmentVariable("UNIKRAFT_E2E_STATICSITE_PORT"), out int port) ? port : 18082;

    [PasstFact]
    public void Files_AnswerCurlOnTheHost_ThroughPasst()
    {
        using KestrelServer server = KestrelServer.Start(build.KeptFile("passt", "StaticSite"), Port);
        server.WaitUntilListening();
        KestrelServer.WaitForHostPort(Port);

        StaticSiteChecks.Files(server, arguments => Curl.OnHost(arguments), "http://localhost:" + Port, build.Folder);

        Assert.Equal(0, server.Stop());
    }

    [NetFact]
    public void Files_AnswerCurlInsideTheNamespace_OnTap()
    {
        using NetNamespace space = NetNamespace.Create("site");
        using KestrelServer server = KestrelServer.StartIn(space, build.OutputFile("StaticSite"));
        space.ConfigureTap("uk0");
        server.WaitUntilListening();

        StaticSiteChecks.Files(server, arguments => Curl.In(space, arguments), "http://198.18.0.2:8080", build.Folder);

        Assert.Equal(0, server.Stop());
    }

    // One cold build for both: the passt build is kept aside, then the TAP build compiles only
    // the program again.
    public sealed class Build : SampleBuild
    {
        public Build()
            : base("StaticSite", "net", "build", "-p:StaticSitePort=" + Port)
        {
            BuildAgain("passt", "-p:StaticSiteNetwork=tap");
        }
    }
}

// What the site must answer, whatever carries it.
internal static class StaticSiteChecks
{
    private static string Site => Path.Combine(Repository.Sample("StaticSite"), "rootfs", "wwwroot");

    // The checks, with the server's own output added to a failure's message. Bodies go to files
    // under scratch (curl inside a namespace sees the same file system).
    public static void Files(KestrelServer server, Func<string[], CommandResult> curl, string root, string scratch)
    {
        try
        {
            Files(curl, root, Path.Combine(scratch, "bodies-" + Guid.NewGuid().ToString("N").Substring(0, 8)), Site);
        }
        catch (Exception exception) when (exception is Xunit.Sdk.XunitException)
        {
            throw new Xunit.Sdk.XunitException(exception.Message + "\n--- StaticSite's output ---\n" + server.Output);
        }
    }

    private static void Files(Func<string[], CommandResult> curl, string root, string scratch, string site)
    {
        Directory.CreateDirectory(scratch);
        byte[] page = File.ReadAllBytes(Path.Combine(site, "index.html"));
        byte[] large = File.ReadAllBytes(Path.Combine(site, "files", "64k.bin"));
        // NOTE: the sizes the benchmark (bench/web.sh) compares with nginx: its default page is
        // 612 bytes, and the large file 64 KiB.
        Assert.Equal(612, page.Length);
        Assert.Equal(65536, large.Length);

        // The default document: / answers index.html.
        string headers = Get(curl, root + "/", scratch, "index", out byte[] body);
        Assert.StartsWith("HTTP/1.1 200 OK", headers, StringComparison.Ordinal);
        Assert.Contains("Content-Type: text/html", headers, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("Content-Length: 612", headers, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(Convert.ToHexString(SHA256.HashData(page)), Convert.ToHexString(SHA256.HashData(body)));

        headers = Get(curl, root + "/files/64k.bin", scratch, "large", out body);
        Assert.StartsWith("HTTP/1.1 200 OK", headers, StringComparison.Ordinal);
        Assert.Contains("Content-Type: application/octet-stream", headers, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("Accept-Ranges: bytes", headers, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("Last-Modified: ", headers, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(Convert.ToHexString(SHA256.HashData(large)), Convert.ToHexString(SHA256.HashData(body)));

        // The validator it gave answers 304 with no body; another ETag gets the file again.
        string etag = Header(headers, "ETag");
        string conditional = Path.Combine(scratch, "conditional");
        CommandResult notModified = curl(["-sS", "--max-time", "30", "-o", conditional, "-w", "%{http_code} %{size_download}", "-H", "If-None-Match: " + etag, root + "/files/64k.bin"]);
        Assert.Equal("304 0", notModified.StandardOutput);
        CommandResult changed = curl(["-sS", "--max-time", "30", "-o", conditional, "-w", "%{http_code}", "-H", "If-None-Match: \"other\"", root + "/files/64k.bin"]);
        Assert.Equal("200", changed.StandardOutput);
        Assert.Equal(large, File.ReadAllBytes(conditional));

        // A byte range: 206 with exactly those bytes.
        headers = Get(curl, root + "/files/64k.bin", scratch, "range", out body, "-r", "1000-4999");
        Assert.StartsWith("HTTP/1.1 206 Partial Content", headers, StringComparison.Ordinal);
        Assert.Contains("Content-Range: bytes 1000-4999/65536", headers, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(large.AsSpan(1000, 4000).ToArray(), body);

        // HEAD: the headers of a GET, no body.
        CommandResult head = curl(["-sS", "--max-time", "30", "-I", root + "/files/64k.bin"]);
        Assert.StartsWith("HTTP/1.1 200 OK", head.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("Content-Length: 65536", head.StandardOutput, StringComparison.OrdinalIgnoreCase);

        // A file that is not there.
        CommandResult missing = curl(["-sS", "--max-time", "30", "-o", "/dev/null", "-w", "%{http_code}", root + "/missing.html"]);
        Assert.Equal("404", missing.StandardOutput);

        // Three requests on one kept-alive connection (curl opens one, then reuses it), each body
        // whole: the kernel's TCP carries one response after another on the same stream.
        string first = Path.Combine(scratch, "first");
        string second = Path.Combine(scratch, "second");
        string third = Path.Combine(scratch, "third");
        CommandResult reused = curl(["-sS", "--fail", "--max-time", "30", "-w", "%{num_connects} ",
            "-o", first, root + "/files/64k.bin", "-o", second, root + "/", "-o", third, root + "/files/64k.bin"]);
        Assert.Equal("1 0 0 ", reused.StandardOutput);
        Assert.Equal(large, File.ReadAllBytes(first));
        Assert.Equal(page, File.ReadAllBytes(second));
        Assert.Equal(large, File.ReadAllBytes(third));
    }

    // A GET whose response headers come back as text and body as bytes.
    private static string Get(Func<string[], CommandResult> curl, string url, string scratch, string name, out byte[] body, params string[] options)
    {
        string headerFile = Path.Combine(scratch, name + ".headers");
        string bodyFile = Path.Combine(scratch, name + ".body");
        curl(["-sS", "--max-time", "30", "-D", headerFile, "-o", bodyFile, .. options, url]);
        body = File.ReadAllBytes(bodyFile);
        return File.ReadAllText(headerFile);
    }

    private static string Header(string headers, string name)
    {
        foreach (string line in headers.Split('\n'))
        {
            if (line.StartsWith(name + ":", StringComparison.OrdinalIgnoreCase))
            {
                return line.Substring(name.Length + 1).Trim();
            }
        }
        Assert.Fail("no " + name + " header in:\n" + headers);
        return "";
    }
}
