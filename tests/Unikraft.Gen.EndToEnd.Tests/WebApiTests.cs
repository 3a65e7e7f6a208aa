namespace Unikraft.Gen.EndToEnd.Tests;

using System;
using System.Diagnostics;
using System.IO;
using System.Text.Json;
using Xunit;

// samples/WebApi, an ordinary ASP.NET Core minimal API (WebApplication.CreateBuilder, a JSON
// endpoint with a source-generated context, static files from the kernel's initrd, appsettings.json
// watched for changes through the kernel's inotify), built as `dotnet build` builds it and started
// from its build output, as `dotnet run` starts it. Kestrel listens on the kernel's own TCP.
//
// Through passt, unprivileged: curl on the host reaches http://localhost:<port>/, which passt
// forwards to the kernel; the sample's build property WebApiPort picks the port (18080 here, or
// UNIKRAFT_E2E_WEBAPI_PORT), so a developer's own 8080 is left alone.
public sealed class WebApiPasstTests : IClassFixture<WebApiPasstTests.Build>
{
    private readonly Build build;

    public WebApiPasstTests(Build build)
    {
        this.build = build;
    }

    internal static int Port => int.TryParse(Environment.GetEnvironmentVariable("UNIKRAFT_E2E_WEBAPI_PORT"), out int port) ? port : 18080;

    [PasstFact]
    public void PageAndJson_AnswerCurlOnTheHost_ThroughPasst_AndSigtermEndsItCleanly()
    {
        using KestrelServer server = KestrelServer.Start(build.OutputFile("WebApi"), Port);
        server.WaitUntilListening();

        WebApiChecks.PageAndTodos(server, arguments => Curl.OnHost(arguments), "http://localhost:" + Port);

        int status = server.Stop();
        Assert.True(status == 0, "status " + status + ":\n" + server.Output);
        Assert.Contains("[uk] net eth0: 10.0.2.15/24 via 10.0.2.2", server.Output, StringComparison.Ordinal);
        Assert.Contains("Application is shutting down...", server.Output, StringComparison.Ordinal);
        // passt was the kernel's child: it ends with the program, and the port is free again.
        Assert.False(Curl.Answers("http://localhost:" + Port + "/"), "something still answers on port " + Port + " after the program ended");
    }

    // Kestrel's usual address, localhost (a `dotnet new web` app's launch profile): it listens
    // on the kernel's loopback, and curl on the host's localhost still reaches it, as it reaches
    // the same app run on the host; passt forwards the host's port on its other addresses too,
    // and a connection to one of those is refused, as the host refuses it to a localhost listener.
    [PasstFact]
    public void OnLocalhost_TheHostsLocalhostReachesIt_AndTheHostsOtherAddressesDoNot()
    {
        using KestrelServer server = KestrelServer.Start(build.OutputFile("WebApi"), Port, "localhost");
        server.WaitUntilListening();

        WebApiChecks.PageAndTodos(server, arguments => Curl.OnHost(arguments), "http://localhost:" + Port);
        string? other = HostAddresses.FirstNonLoopbackIpv4();
        if (other is not null)
        {
            Assert.False(Curl.Answers("http://" + other + ":" + Port + "/"), "a listener on the kernel's localhost answered the host's " + other);
        }

        Assert.Equal(0, server.Stop());
        Assert.Contains("Now listening on: http://localhost:" + Port, server.Output, StringComparison.Ordinal);
    }

    // Headless Chromium loads the page from the kernel, runs its script, which fetches
    // /api/todos from the kernel too, and shows the list.
    [ChromiumFact]
    public void Chromium_LoadsThePage_AndItsScriptShowsTheTodos()
    {
        Assert.True(File.Exists("/usr/bin/passt"), "passt is not installed (apt-get install passt)");
        using KestrelServer server = KestrelServer.Start(build.OutputFile("WebApi"), Port);
        server.WaitUntilListening();

        string dom = Chromium.DumpDom("http://localhost:" + Port + "/", virtualTimeBudgetMilliseconds: 10000);

        Assert.Contains("<h1>Hello from Kestrel on the kernel's own TCP/IP</h1>", dom, StringComparison.Ordinal);
        Assert.Contains("<li>[x] Boot the kernel</li>", dom, StringComparison.Ordinal);
        Assert.Contains("<li>[ ] Answer curl from the host</li>", dom, StringComparison.Ordinal);
        Assert.Equal(0, server.Stop());
    }

    public sealed class Build : SampleBuild
    {
        public Build()
            : base("WebApi", "passt", "build", "-p:WebApiPort=" + Port)
        {
        }
    }
}

// The same sample with IPv6 through passt (-p:WebApiAddress6=auto): Kestrel on every address
// ([::], dual-stack) answers curl on the host's ::1 and on its 127.0.0.1, and Kestrel on
// localhost (127.0.0.1 and [::1]) answers `curl -6 http://[::1]:<port>/` and
// `curl http://localhost:<port>/`, as the same app run on the host does.
public sealed class WebApiPasstIpv6Tests : IClassFixture<WebApiPasstIpv6Tests.Build>
{
    private readonly Build build;

    public WebApiPasstIpv6Tests(Build build)
    {
        this.build = build;
    }

    private static int Port => WebApiPasstTests.Port + 2;

    [PasstFact]
    public void OnEveryAddress_CurlOnTheHostsIpv6AndIpv4Loopback_GetsThePageAndTodos()
    {
        using KestrelServer server = KestrelServer.Start(build.OutputFile("WebApi"), Port, "[::]");
        server.WaitUntilListening();

        WebApiChecks.PageAndTodos(server, arguments => Curl.OnHost(arguments), "http://[::1]:" + Port);
        Assert.Contains("<h1>Hello from Kestrel", Curl.OnHost(["-sS", "--max-time", "30", "http://127.0.0.1:" + Port + "/"]).StandardOutput, StringComparison.Ordinal);

        Assert.Equal(0, server.Stop());
        Assert.Contains("[uk] net eth0: ipv6 router fe80::", server.Output, StringComparison.Ordinal);
    }

    [PasstFact]
    public void OnLocalhost_CurlOnTheHostsIpv6LoopbackAndLocalhost_GetsThePageAndTodos()
    {
        using KestrelServer server = KestrelServer.Start(build.OutputFile("WebApi"), Port, "localhost");
        server.WaitUntilListening();

        WebApiChecks.PageAndTodos(server, arguments => Curl.OnHost(arguments), "http://[::1]:" + Port);
        Assert.Contains("<h1>Hello from Kestrel", Curl.OnHost(["-sS", "--max-time", "30", "http://localhost:" + Port + "/"]).StandardOutput, StringComparison.Ordinal);

        Assert.Equal(0, server.Stop());
        Assert.DoesNotContain("Unable to bind to http://localhost:" + Port + " on the IPv6 loopback interface", server.Output, StringComparison.Ordinal);
    }

    public sealed class Build : SampleBuild
    {
        public Build()
            : base("WebApi", "passt6", "build", "-p:WebApiPort=" + Port, "-p:WebApiAddress6=auto")
        {
        }
    }
}

// The same sample on a TAP device inside a network namespace (the kernel is 198.18.0.2 there),
// curl inside the namespace as its client: the page, the list, and a todo posted as JSON.
public sealed class WebApiTapTests : IClassFixture<WebApiTapTests.Build>
{
    private readonly Build build;

    public WebApiTapTests(Build build)
    {
        this.build = build;
    }

    [NetFact]
    public void PageJsonAndPost_AnswerCurlInsideTheNamespace()
    {
        using NetNamespace space = NetNamespace.Create("web");
        using KestrelServer server = KestrelServer.StartIn(space, build.OutputFile("WebApi"));
        space.ConfigureTap("uk0");
        server.WaitUntilListening();

        WebApiChecks.PageAndTodos(server, arguments => Curl.In(space, arguments), "http://198.18.0.2:8080");

        Assert.Equal(0, server.Stop());
    }

    public sealed class Build : SampleBuild
    {
        public Build()
            : base("WebApi", "tap", "build", "-p:WebApiNetwork=tap")
        {
        }
    }
}

// The sample's NativeAOT publish: one native binary whose link sends the BCL's SystemNative_*
// calls (sockets, files, inotify, the socket engine's epoll) to the kernel; it answers curl
// through passt as the JIT build does.
public sealed class WebApiPublishAotTests : IClassFixture<WebApiPublishAotTests.Publish>
{
    private readonly Publish publish;

    public WebApiPublishAotTests(Publish publish)
    {
        this.publish = publish;
    }

    private static int Port => WebApiPasstTests.Port + 1;

    [PasstFact]
    public void NativeBinary_AnswersCurlOnTheHost_ThroughPasst()
    {
        publish.EnsureSucceeded();
        string binary = Path.Combine(publish.PublishPath, "WebApi");
        Assert.True(File.Exists(binary), "no native binary at " + binary);
        using KestrelServer server = KestrelServer.Start(binary, Port);
        server.WaitUntilListening();
        KestrelServer.WaitForHostPort(Port);

        WebApiChecks.PageAndTodos(server, arguments => Curl.OnHost(arguments), "http://localhost:" + Port);

        Assert.Equal(0, server.Stop());
        // Every socket, file and inotify call of Kestrel and the BCL went to the kernel: the
        // link wrapped them (UK0401 would have failed the publish for one it does not serve).
        string decision = File.ReadAllText(publish.IntermediateFile("WebApi.native.txt"));
        Assert.Contains("SystemNative_Accept", decision, StringComparison.Ordinal);
        Assert.Contains("SystemNative_INotifyInit", decision, StringComparison.Ordinal);
    }

    public sealed class Publish : SampleBuild
    {
        public Publish()
            : base("WebApi", "aot", "publish", "-r", "linux-x64", "-p:PublishAot=true", "-p:WebApiPort=" + (WebApiPasstTests.Port + 1), "-o", "{publish}")
        {
        }
    }
}

// What every run of the sample must answer, whatever carries it.
internal static class WebApiChecks
{
    // The checks, with the server's own output added to a failure's message.
    public static void PageAndTodos(KestrelServer server, Func<string[], CommandResult> curl, string root)
    {
        try
        {
            PageAndTodos(curl, root);
        }
        catch (Exception exception) when (exception is Xunit.Sdk.XunitException)
        {
            throw new Xunit.Sdk.XunitException(exception.Message + "\n--- WebApi's output ---\n" + server.Output);
        }
    }

    private static void PageAndTodos(Func<string[], CommandResult> curl, string root)
    {
        CommandResult page = curl(["-sS", "-i", "--max-time", "30", root + "/"]);
        Assert.StartsWith("HTTP/1.1 200 OK", page.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("Content-Type: text/html", page.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("Server: Kestrel", page.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("<h1>Hello from Kestrel on the kernel's own TCP/IP</h1>", page.StandardOutput, StringComparison.Ordinal);

        CommandResult list = curl(["-sS", "--fail", "--max-time", "30", root + "/api/todos"]);
        using (JsonDocument todos = JsonDocument.Parse(list.StandardOutput))
        {
            Assert.Equal(3, todos.RootElement.GetArrayLength());
            Assert.Equal("Boot the kernel", todos.RootElement[0].GetProperty("title").GetString());
            Assert.True(todos.RootElement[0].GetProperty("done").GetBoolean());
        }

        CommandResult posted = curl(["-sS", "-i", "--max-time", "30", "-X", "POST", "-H", "Content-Type: application/json",
            "--data", "{\"title\":\"Posted with curl\",\"done\":false}", root + "/api/todos"]);
        Assert.StartsWith("HTTP/1.1 201 Created", posted.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("Location: /api/todos/4", posted.StandardOutput, StringComparison.Ordinal);

        CommandResult fourth = curl(["-sS", "--fail", "--max-time", "30", root + "/api/todos/4"]);
        using (JsonDocument todo = JsonDocument.Parse(fourth.StandardOutput))
        {
            Assert.Equal(4, todo.RootElement.GetProperty("id").GetInt32());
            Assert.Equal("Posted with curl", todo.RootElement.GetProperty("title").GetString());
        }

        CommandResult missing = curl(["-sS", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "30", root + "/api/todos/99"]);
        Assert.Equal("404", missing.StandardOutput);
    }
}
