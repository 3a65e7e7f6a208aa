namespace Unikraft.Gen.EndToEnd.Tests;

using System;
using System.IO;
using Xunit;

// `dotnet new web`, the template a .NET developer starts a web app from, with no network item of
// its own (Programs/WebTemplate): `dotnet run` uses its launch profile, Kestrel listens on the
// profile's http://localhost:PORT inside the kernel, and the build gave the kernel a passt
// interface forwarding the profile's ports (UnikraftLaunchNet), so curl on the host's localhost
// reaches it, unprivileged, as it reaches the same app run without the kernel.
public sealed class WebTemplateTests : IClassFixture<WebTemplateTests.Build>
{
    private const string Program = "tests/Unikraft.Gen.EndToEnd.Tests/Programs/WebTemplate";

    private readonly Build build;

    public WebTemplateTests(Build build)
    {
        this.build = build;
    }

    [Fact]
    public void DotnetRun_OfTheWebTemplate_AnswersCurlOnTheHostsLocalhost()
    {
        build.EnsureSucceeded();
        string manifest = File.ReadAllText(build.OutputFile("WebTemplate.kernel.txt"));
        Assert.Contains("passt", manifest, StringComparison.Ordinal);

        using KestrelServer server = KestrelServer.StartDotnetRun(Program, build.ArtifactsPath);
        server.WaitUntilListening();
        KestrelServer.WaitForHostPort(47290);

        CommandResult local = Command.Run("curl", ["-sS", "--max-time", "20", "http://localhost:47290/"], Repository.Root, TimeSpan.FromSeconds(30));
        CommandResult loopback = Command.Run("curl", ["-sS", "--max-time", "20", "http://127.0.0.1:47290/"], Repository.Root, TimeSpan.FromSeconds(30));

        Assert.True(local.ExitCode == 0, local.Describe() + "\n" + server.Output);
        Assert.Equal("Hello World!", local.StandardOutput);
        Assert.True(loopback.ExitCode == 0, loopback.Describe() + "\n" + server.Output);
        Assert.Equal("Hello World!", loopback.StandardOutput);
        Assert.Contains("Now listening on: http://localhost:47290", server.Output, StringComparison.Ordinal);
        Assert.Contains("Unikraft.Gen kernel (hosted) for WebTemplate", server.Output, StringComparison.Ordinal);
        Assert.Contains("[uk] net eth0: 10.0.2.15/24 via 10.0.2.2", server.Output, StringComparison.Ordinal);
        // Run as root (CI, a container), passt says nothing on the program's output either.
        Assert.DoesNotContain("Don't run as root", server.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("bytes to syslog", server.Output, StringComparison.Ordinal);
    }

    public sealed class Build : SampleBuild
    {
        public Build()
            : base(Program, "hosted", "build")
        {
        }
    }
}
