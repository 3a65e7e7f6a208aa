namespace Unikraft.Gen.EndToEnd.Tests;

using System;
using System.Collections.Generic;
using System.IO;
using System.IO.Compression;
using System.Linq;
using Xunit;

// The NuGet package (generators/Unikraft.Gen.Package), as a user outside this repository meets it:
// `dotnet pack` once, then a new console project with a PackageReference to it and a ramfs mount,
// restored from a folder feed and started with `dotnet run`.
public sealed class PackageTests : IClassFixture<PackageTests.PackedAndUsed>
{
    private readonly PackedAndUsed fixture;

    public PackageTests(PackedAndUsed fixture)
    {
        this.fixture = fixture;
    }

    [Fact]
    public void Package_HoldsTheCompilerAssembliesAndTheMsbuildFiles_AndNoLibrary()
    {
        CommandResult pack = fixture.EnsurePacked();
        string[] entries;
        using (ZipArchive archive = ZipFile.OpenRead(fixture.PackagePath))
        {
            entries = archive.Entries.Select(e => e.FullName).ToArray();
        }

        string[] expected =
        [
            "analyzers/dotnet/cs/Unikraft.Gen.Generators.dll",
            "analyzers/dotnet/cs/Unikraft.Gen.Analyzers.dll",
            "analyzers/dotnet/cs/Unikraft.Gen.CodeFixes.dll",
            "build/Unikraft.Gen.props",
            "build/Unikraft.Gen.targets",
            "build/CpioWriter.cs",
            "build/ReferenceScanner.cs",
        ];
        foreach (string entry in expected)
        {
            Assert.True(entries.Contains(entry), entry + " is not in the package:\n" + string.Join("\n", entries) + "\n" + pack.Describe());
        }

        Assert.DoesNotContain(entries, e => e.StartsWith("lib/", StringComparison.Ordinal));
    }

    [Fact]
    public void ProgramReferencingThePackage_RunsOnItsKernel_WritesLandInTheRamfs()
    {
        CommandResult run = fixture.EnsureRan();

        Assert.True(run.ExitCode == 0, run.Describe());
        Assert.Equal("kept in the kernel's ramfs\n", run.StandardOutput);
        Assert.StartsWith("Unikraft.Gen kernel (hosted) for PackagedApp", run.ErrorLines.FirstOrDefault() ?? "", StringComparison.Ordinal);
        Assert.Matches(@"libraries: [^|]*\bramfs\b", run.ErrorLines[0]);
        // The file went to the kernel's ramfs, not to the host's /packaged-app-data.
        Assert.False(Directory.Exists("/packaged-app-data"), "the program wrote to the host's file system");
        string manifest = File.ReadAllText(Path.Combine(fixture.ProjectFolder, "bin", "Debug", "net10.0", "PackagedApp.kernel.txt"));
        Assert.Contains("Program.cs:1", manifest);
    }

    [Fact]
    public void ProgramWithNoReferencesToScan_GetsNoReferenceScanFile()
    {
        CommandResult run = fixture.EnsureRan();
        Assert.True(run.ExitCode == 0, run.Describe());

        // The scan target ran (its stamp is there), but with no package or project reference to
        // read it neither compiled its inline task nor wrote a file for UK0301.
        string folder = Path.Combine(fixture.ProjectFolder, "obj", "Debug", "net10.0", "unikraft");
        Assert.True(File.Exists(Path.Combine(folder, "reference-scan.stamp")), "the reference scan target did not run: no stamp in " + folder);
        Assert.False(File.Exists(Path.Combine(folder, "Unikraft.ReferenceCalls.tsv")), "a scan file was written for a program that references nothing to scan");
    }

    public sealed class PackedAndUsed : IDisposable
    {
        private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(10);

        private readonly string folder = Path.Combine(Path.GetTempPath(), "unikraft-e2e-package-" + Guid.NewGuid().ToString("N").Substring(0, 8));

        private readonly CommandResult pack;

        private readonly CommandResult? run;

        public PackedAndUsed()
        {
            // A version of its own, so no package cache can hand back an older build.
            string version = "0.1.0-e2e." + DateTime.UtcNow.ToString("yyyyMMddHHmmss", System.Globalization.CultureInfo.InvariantCulture);
            string feed = Path.Combine(folder, "feed");
            Directory.CreateDirectory(feed);
            pack = Command.Dotnet(Timeout, null, "pack", "generators/Unikraft.Gen.Package", "-c", "Release", "-o", feed,
                "-p:Version=" + version, "--artifacts-path", Path.Combine(folder, "artifacts"), "-nodeReuse:false");
            PackagePath = Path.Combine(feed, "Unikraft.Gen." + version + ".nupkg");
            if (pack.ExitCode != 0 || !File.Exists(PackagePath))
            {
                return;
            }

            ProjectFolder = Path.Combine(folder, "app");
            Directory.CreateDirectory(ProjectFolder);
            File.Copy(Path.Combine(Repository.Root, "global.json"), Path.Combine(folder, "global.json"));
            File.WriteAllText(Path.Combine(folder, "nuget.config"), $"""
                <?xml version="1.0" encoding="utf-8"?>
                <configuration>
                  <packageSources>
                    <clear />
                    <add key="unikraft" value="{feed}" />
                  </packageSources>
                </configuration>
                """);
            File.WriteAllText(Path.Combine(ProjectFolder, "PackagedApp.csproj"), $"""
                <Project Sdk="Microsoft.NET.Sdk">
                  <PropertyGroup>
                    <OutputType>Exe</OutputType>
                    <TargetFramework>net10.0</TargetFramework>
                    <ImplicitUsings>enable</ImplicitUsings>
                    <Nullable>enable</Nullable>
                    <RestorePackagesPath>{Path.Combine(folder, "packages")}</RestorePackagesPath>
                  </PropertyGroup>
                  <ItemGroup>
                    <PackageReference Include="Unikraft.Gen" Version="{version}" />
                    <UnikraftMount Include="/packaged-app-data" Type="ramfs" />
                  </ItemGroup>
                </Project>
                """);
            File.WriteAllText(Path.Combine(ProjectFolder, "Program.cs"),
                "File.WriteAllText(\"/packaged-app-data/note.txt\", \"kept in the kernel's ramfs\");\n"
                + "Console.WriteLine(File.ReadAllText(\"/packaged-app-data/note.txt\"));\n");
            run = Command.Run("dotnet", new[] { "run", "-nodeReuse:false" }, ProjectFolder, Timeout);
        }

        public string PackagePath { get; }

        public string ProjectFolder { get; } = "";

        internal CommandResult EnsurePacked()
        {
            Assert.True(pack.ExitCode == 0 && File.Exists(PackagePath), "dotnet pack failed or wrote no " + PackagePath + ":\n" + pack.Describe());
            return pack;
        }

        internal CommandResult EnsureRan()
        {
            EnsurePacked();
            return run!;
        }

        public void Dispose()
        {
            if (Environment.GetEnvironmentVariable("UNIKRAFT_E2E_KEEP") == "1")
            {
                return;
            }

            try
            {
                Directory.Delete(folder, recursive: true);
            }
            catch (IOException)
            {
                // A leftover temporary folder is not worth failing the run for.
            }
        }
    }
}
