namespace Unikraft.Gen.EndToEnd.Tests;

using System;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using Xunit;

// `dotnet pack Unikraft.Gen.sln`, once for every test class in the "Packed solution" collection
// (PackageTests, TemplateTests): the pack builds the generator chain, the costly part, so the
// classes share it. The packages go to a folder feed in a temporary folder, with no version
// given, so the pack is versioned as a user's would be (Packaging.targets), and as a
// deterministic build (ContinuousIntegrationBuild, as CI packs). Everything the
// classes make (projects, a NuGet package folder, a template hive) goes under the same folder,
// which is removed at the end (UNIKRAFT_E2E_KEEP=1 keeps it).
public sealed class PackedSolution : IDisposable
{
    public const string Collection = "Packed solution";

    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(15);

    public PackedSolution()
    {
        Folder = Path.Combine(Path.GetTempPath(), "unikraft-e2e-packed-" + Guid.NewGuid().ToString("N").Substring(0, 8));
        Feed = Path.Combine(Folder, "feed");
        Directory.CreateDirectory(Feed);
        Pack = Command.Dotnet(Timeout, null, "pack", "Unikraft.Gen.sln", "-c", "Release", "-o", Feed,
            "--artifacts-path", Path.Combine(Folder, "artifacts"), "-p:ContinuousIntegrationBuild=true", "-nodeReuse:false");

        // Unikraft.Gen.<version>.nupkg (the version starts with a digit) tells the version both packages got.
        Match? package = Directory.GetFiles(Feed, "*.nupkg")
            .Select(path => Regex.Match(Path.GetFileName(path), @"^Unikraft\.Gen\.([0-9].*)\.nupkg$"))
            .FirstOrDefault(match => match.Success);
        Version = package is null ? "" : package.Groups[1].Value;
    }

    // The temporary folder everything of this run goes under.
    public string Folder { get; }

    public string Feed { get; }

    internal CommandResult Pack { get; }

    // The version the pack gave the packages ("" if it made no Unikraft.Gen package).
    public string Version { get; }

    public string PackagePath => Path.Combine(Feed, "Unikraft.Gen." + Version + ".nupkg");

    public string TemplatePackagePath => Path.Combine(Feed, "Unikraft.Gen.Templates." + Version + ".nupkg");

    // Where the projects built from the feed keep their packages: not the user's NuGet cache.
    public string PackagesFolder => Path.Combine(Folder, "packages");

    // Fails the calling test, with the pack's output, unless the pack made the Unikraft.Gen package.
    public void EnsurePacked()
    {
        Assert.True(Pack.ExitCode == 0 && Version.Length > 0 && File.Exists(PackagePath),
            "dotnet pack Unikraft.Gen.sln failed or wrote no Unikraft.Gen package to " + Feed + ":\n" + Pack.Describe());
    }

    // A nuget.config in `folder` that restores from the feed and, for what nuget.org would give a
    // user (the runtime packs of a self-contained linux-x64 program: the native layer's JIT route),
    // the machine's global packages folder as a local source, into PackagesFolder: what a user
    // puts beside a project, plus the package folder that keeps the test off the user's cache.
    // Read from that folder, the restore needs no network: `dotnet restore Unikraft.Gen.sln`
    // (.ci/run) has put the runtime packs there, as the repository's programs take the route too.
    public void WriteNuGetConfig(string folder)
    {
        File.WriteAllText(Path.Combine(folder, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
                <add key="unikraft" value="{Feed}" />
                <add key="machine-packages" value="{MachinePackages}" />
              </packageSources>
              <config>
                <add key="globalPackagesFolder" value="{PackagesFolder}" />
              </config>
            </configuration>
            """);
    }

    // The machine's global packages folder (NUGET_PACKAGES, or ~/.nuget/packages).
    private static string MachinePackages
    {
        get
        {
            string? configured = Environment.GetEnvironmentVariable("NUGET_PACKAGES");
            return string.IsNullOrEmpty(configured)
                ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages")
                : configured;
        }
    }

    public void Dispose()
    {
        if (Environment.GetEnvironmentVariable("UNIKRAFT_E2E_KEEP") == "1")
        {
            return;
        }

        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temporary folder is not worth failing the run for.
        }
    }
}

[CollectionDefinition(PackedSolution.Collection)]
public sealed class PackedSolutionCollection : ICollectionFixture<PackedSolution>
{
}
