namespace Unikraft.Gen.EndToEnd.Tests;

using System;
using System.IO;
using System.Text.RegularExpressions;
using Xunit;

// `dotnet new razor`, made by the SDK's own template when the test runs (its wwwroot carries
// Bootstrap and jQuery, which the repository need not hold), with only the package's imports added
// and its launch ports fixed. Its Program calls MapStaticAssets, which reads an endpoints manifest
// beside the program and serves files that `dotnet run` has in several host folders: the build
// stages them into the kernel's root (UnikraftStaticWebAssetsRoot), so the page, its fingerprinted
// CSS and scripts, and the compressed copies answer curl on the host as they do without the
// kernel. (Before, the program stopped at start: "The static resources manifest file ... was not
// found".) Razor Pages' data protection writes its key through Path.GetTempFileName, into the
// root's /tmp.
public sealed class RazorTemplateTests : IClassFixture<RazorTemplateTests.Build>
{
    private const int Port = 47292;

    private readonly Build build;

    public RazorTemplateTests(Build build)
    {
        this.build = build;
    }

    [Fact]
    public void DotnetRun_OfTheRazorTemplate_ServesItsPagesAndStaticAssets()
    {
        build.EnsureSucceeded();
        string project = Path.GetDirectoryName(Build.ProjectFile)!;

        using KestrelServer server = KestrelServer.StartDotnetRun(Build.ProjectFile, build.ArtifactsPath);
        server.WaitUntilListening();
        KestrelServer.WaitForHostPort(Port);

        string page = Get("/");
        Assert.Contains("<title>Home page - RazorTemplate</title>", page, StringComparison.Ordinal);
        Assert.Contains("Privacy Policy", Get("/Privacy"), StringComparison.Ordinal);

        // The fingerprinted routes the page links to, each with the bytes of its file.
        string siteCss = Regex.Match(page, "href=\"(/css/site\\.[a-z0-9]+\\.css)\"").Groups[1].Value;
        string bootstrap = Regex.Match(page, "href=\"(/lib/bootstrap/dist/css/bootstrap\\.min\\.[a-z0-9]+\\.css)\"").Groups[1].Value;
        string jquery = Regex.Match(page, "src=\"(/lib/jquery/dist/jquery\\.min\\.[a-z0-9]+\\.js)\"").Groups[1].Value;
        Assert.True(siteCss.Length > 0 && bootstrap.Length > 0 && jquery.Length > 0, "the page links no fingerprinted assets:\n" + page);
        Assert.Equal(File.ReadAllText(Path.Combine(project, "wwwroot/css/site.css")), Get(siteCss));
        Assert.Equal(File.ReadAllText(Path.Combine(project, "wwwroot/lib/bootstrap/dist/css/bootstrap.min.css")), Get(bootstrap));
        Assert.Equal(File.ReadAllText(Path.Combine(project, "wwwroot/lib/jquery/dist/jquery.min.js")), Get(jquery));
        // The plain route too, as the gzip copy the build made (curl asks for it and unpacks it).
        string headers = Path.Combine(build.Folder, "site.js.headers");
        Assert.Equal(File.ReadAllText(Path.Combine(project, "wwwroot/js/site.js")), Get("/js/site.js", "--compressed", "-D", headers));
        Assert.Contains("Content-Encoding: gzip", File.ReadAllText(headers), StringComparison.OrdinalIgnoreCase);

        Assert.DoesNotContain("Unhandled exception", server.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("Could not find a part of the path '/tmp/'", server.Output, StringComparison.Ordinal);
        Assert.Contains("Now listening on: http://localhost:" + Port, server.Output, StringComparison.Ordinal);
    }

    private static string Get(string path, params string[] options)
    {
        var arguments = new System.Collections.Generic.List<string> { "-sS", "--fail", "--max-time", "20" };
        arguments.AddRange(options);
        arguments.Add("http://localhost:" + Port + path);
        CommandResult result = Command.Run("curl", arguments, Repository.Root, TimeSpan.FromSeconds(30));
        Assert.True(result.ExitCode == 0, path + ": " + result.Describe());
        return result.StandardOutput;
    }

    public sealed class Build : SampleBuild
    {
        private static readonly string Source = Path.Combine(Path.GetTempPath(), "unikraft-e2e-razortemplate-src-" + Guid.NewGuid().ToString("N").Substring(0, 8));

        public Build()
            : base(Create(), "hosted", "build")
        {
        }

        public static string ProjectFile => Path.Combine(Source, "RazorTemplate", "RazorTemplate.csproj");

        // The template's project, as `dotnet new razor` writes it, plus the package's imports and
        // fixed ports.
        private static string Create()
        {
            string folder = Path.Combine(Source, "RazorTemplate");
            CommandResult created = Command.Run("dotnet", ["new", "razor", "-n", "RazorTemplate", "-o", folder, "--no-restore"], Repository.Root, TimeSpan.FromMinutes(3));
            Assert.True(created.ExitCode == 0, created.Describe());

            string build = Path.Combine(Repository.Root, "generators", "Unikraft.Gen.Generators", "build");
            string project = File.ReadAllText(ProjectFile);
            project = project.Replace("<Project Sdk=\"Microsoft.NET.Sdk.Web\">", "<Project Sdk=\"Microsoft.NET.Sdk.Web\">\n  <Import Project=\"" + Path.Combine(build, "Unikraft.Gen.Local.props") + "\" />", StringComparison.Ordinal)
                .Replace("</Project>", "  <Import Project=\"" + Path.Combine(build, "Unikraft.Gen.Local.targets") + "\" />\n</Project>", StringComparison.Ordinal);
            File.WriteAllText(ProjectFile, project);

            string launch = Path.Combine(folder, "Properties", "launchSettings.json");
            string settings = Regex.Replace(File.ReadAllText(launch), "https://localhost:[0-9]+", "https://localhost:" + (Port + 1));
            File.WriteAllText(launch, Regex.Replace(settings, "http://localhost:[0-9]+", "http://localhost:" + Port));
            File.Copy(Path.Combine(Repository.Root, "global.json"), Path.Combine(folder, "global.json"));
            return ProjectFile;
        }

        protected override void Dispose(bool disposing)
        {
            base.Dispose(disposing);
            if (disposing && Environment.GetEnvironmentVariable("UNIKRAFT_E2E_KEEP") != "1" && Directory.Exists(Source))
            {
                Directory.Delete(Source, recursive: true);
            }
        }
    }
}
