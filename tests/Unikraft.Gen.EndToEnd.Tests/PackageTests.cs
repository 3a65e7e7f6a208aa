namespace Unikraft.Gen.EndToEnd.Tests;

using System;
using System.Collections.Generic;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Xunit;

// The NuGet packages as a user outside this repository meets them: `dotnet pack Unikraft.Gen.sln`
// once (PackedSolution), what it made, and a new console project with a ramfs and an initrd mount
// that takes Unikraft.Gen with `dotnet add package` from the folder feed and is started with
// `dotnet run`, once: its first run must already be the kernel's, the BCL's native calls included.
[Collection(PackedSolution.Collection)]
public sealed class PackageTests : IClassFixture<PackageTests.PackagedApp>
{
    private readonly PackedSolution packed;

    private readonly PackagedApp app;

    public PackageTests(PackedSolution packed, PackagedApp app)
    {
        this.packed = packed;
        this.app = app;
    }

    [Fact]
    public void PackOfTheSolution_MakesExactlyThePackagesAUserInstalls()
    {
        packed.EnsurePacked();
        string[] made = Directory.GetFiles(packed.Feed).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray()!;

        Assert.Equal(new[] { "Unikraft.Gen." + packed.Version + ".nupkg", "Unikraft.Gen.Templates." + packed.Version + ".nupkg" }, made);
    }

    [Fact]
    public void PackedVersion_IsTheVersionPrefixAndAHashOfTheSources_AsTheVersionTargetComputesIt()
    {
        packed.EnsurePacked();
        string prefix = Regex.Match(File.ReadAllText(Path.Combine(Repository.Root, "Directory.Build.props")), "<UnikraftVersionPrefix>([^<]+)</UnikraftVersionPrefix>").Groups[1].Value;
        Assert.Matches("^" + Regex.Escape(prefix) + @"-dev\.h[0-9a-f]{12}$", packed.Version);

        // The same target on the same sources, alone: the pack used it, and nothing else set the version.
        Assert.Equal(packed.Version, PackageVersionTests.VersionOf(Repository.Root));
    }

    [Fact]
    public void Package_HoldsTheCompilerAssembliesWithTheirPdbsAndTheMsbuildFiles_AndNoLibrary()
    {
        packed.EnsurePacked();
        string[] entries = Entries(packed.PackagePath);

        string[] expected =
        [
            "analyzers/dotnet/cs/Unikraft.Gen.Generators.dll",
            "analyzers/dotnet/cs/Unikraft.Gen.Analyzers.dll",
            "analyzers/dotnet/cs/Unikraft.Gen.CodeFixes.dll",
            "build/Unikraft.Gen.props",
            "build/Unikraft.Gen.targets",
            "build/Unikraft.Gen.BeforeSdk.targets",
            "build/Unikraft.Gen.Tasks.dll",
            "build/microvm/shim/boot.S",
            "build/microvm/shim/link.ld",
            "build/microvm/shim/syscalls.c",
            "build/microvm/shim/devices.c",
            "build/microvm/shim/shim.h",
            "build/microvm/boot-microvm.sh",
            "README.md",
            "icon.png",
        ];
        foreach (string entry in expected)
        {
            Assert.True(entries.Contains(entry), entry + " is not in the package:\n" + string.Join("\n", entries));
        }
        Assert.DoesNotContain(entries, e => e.StartsWith("lib/", StringComparison.Ordinal));
        // The tasks come compiled: no C# for MSBuild to compile in every build of every program.
        Assert.DoesNotContain(entries, e => e.StartsWith("build/", StringComparison.Ordinal) && e.EndsWith(".cs", StringComparison.Ordinal));
        Assert.DoesNotContain("RoslynCodeTaskFactory", ReadEntry(packed.PackagePath, "build/Unikraft.Gen.targets"), StringComparison.Ordinal);

        // Symbols travel inside the assemblies the compiler loads (DebugType embedded), and, built
        // deterministically, name no folder of the machine that built them (the repository is
        // /_/, the build's obj/ outside it /_N/): the same sources give the same bytes anywhere.
        using ZipArchive archive = ZipFile.OpenRead(packed.PackagePath);
        foreach (ZipArchiveEntry entry in archive.Entries.Where(e => e.FullName.EndsWith(".dll", StringComparison.Ordinal)))
        {
            using var bytes = new MemoryStream();
            using (Stream stream = entry.Open())
            {
                stream.CopyTo(bytes);
            }
            bytes.Position = 0;
            using var pe = new PEReader(bytes);
            DebugDirectoryEntry[] embedded = pe.ReadDebugDirectory().Where(d => d.Type == DebugDirectoryEntryType.EmbeddedPortablePdb).ToArray();
            Assert.True(embedded.Length == 1, entry.FullName + " has no embedded PDB");
            using MetadataReaderProvider pdb = pe.ReadEmbeddedPortablePdbDebugDirectoryData(embedded[0]);
            MetadataReader reader = pdb.GetMetadataReader();
            string[] documents = reader.Documents.Select(d => reader.GetString(reader.GetDocument(d).Name)).ToArray();
            Assert.NotEmpty(documents);
            Assert.All(documents, d => Assert.Matches("^/_[0-9]*/", d));
        }
    }

    // Packed on linux-x64 (this machine and CI), the generator and the analyzers carry code compiled
    // ahead of time (ReadyToRun), so a build without a warm compiler server does not JIT them; the
    // code fixes, which only the IDE loads, stay IL.
    [Fact]
    public void GeneratorAndAnalyzers_AreReadyToRun_OnLinuxX64()
    {
        packed.EnsurePacked();
        Assert.Equal(System.Runtime.InteropServices.Architecture.X64, System.Runtime.InteropServices.RuntimeInformation.OSArchitecture);
        using ZipArchive archive = ZipFile.OpenRead(packed.PackagePath);
        foreach ((string name, bool readyToRun) in new[] { ("Unikraft.Gen.Generators", true), ("Unikraft.Gen.Analyzers", true), ("Unikraft.Gen.CodeFixes", false) })
        {
            using var bytes = new MemoryStream();
            using (Stream stream = archive.GetEntry("analyzers/dotnet/cs/" + name + ".dll")!.Open())
            {
                stream.CopyTo(bytes);
            }
            bytes.Position = 0;
            using var pe = new PEReader(bytes);
            Assert.True(pe.PEHeaders.CorHeader!.ManagedNativeHeaderDirectory.Size > 0 == readyToRun,
                name + (readyToRun ? " carries no ReadyToRun code" : " carries ReadyToRun code"));
        }
    }

    [Theory]
    [InlineData("Unikraft.Gen")]
    [InlineData("Unikraft.Gen.Templates")]
    public void Package_NamesItsLicenseIconReadmeAndTheCommitItWasPackedFrom(string id)
    {
        packed.EnsurePacked();
        string path = Path.Combine(packed.Feed, id + "." + packed.Version + ".nupkg");
        XElement metadata = Nuspec(path).Elements().Single(e => e.Name.LocalName == "metadata");
        string Value(string name) => metadata.Elements().SingleOrDefault(e => e.Name.LocalName == name)?.Value ?? "";

        XElement license = metadata.Elements().Single(e => e.Name.LocalName == "license");
        Assert.Equal("expression", (string?)license.Attribute("type"));
        Assert.Equal("MIT", license.Value);
        Assert.StartsWith("MIT License", File.ReadAllText(Path.Combine(Repository.Root, "LICENSE")), StringComparison.Ordinal);

        string[] entries = Entries(path);
        Assert.Equal("icon.png", Value("icon"));
        Assert.Contains("icon.png", entries);
        Assert.Equal("README.md", Value("readme"));
        Assert.Contains("README.md", entries);
        using (ZipArchive archive = ZipFile.OpenRead(path))
        {
            using Stream icon = archive.GetEntry("icon.png")!.Open();
            byte[] signature = new byte[8];
            icon.ReadExactly(signature);
            Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A }, signature);
        }

        XElement repository = metadata.Elements().Single(e => e.Name.LocalName == "repository");
        Assert.Equal("git", (string?)repository.Attribute("type"));
        Assert.StartsWith("https://", (string?)repository.Attribute("url") ?? "", StringComparison.Ordinal);
        CommandResult head = Command.Run("git", new[] { "rev-parse", "HEAD" }, Repository.Root, TimeSpan.FromMinutes(1));
        Assert.True(head.ExitCode == 0, head.Describe());
        Assert.Equal(head.StandardOutput.Trim(), (string?)repository.Attribute("commit"));
    }

    [Fact]
    public void ProgramReferencingThePackage_RunsOnItsKernel_WritesLandInTheRamfs()
    {
        CommandResult run = app.Run(packed);

        Assert.True(run.ExitCode == 0, run.Describe());
        Assert.StartsWith("kept in the kernel's ramfs\n", run.StandardOutput, StringComparison.Ordinal);
        Assert.StartsWith("Unikraft.Gen kernel (hosted) for PackagedApp", run.ErrorLines.FirstOrDefault() ?? "", StringComparison.Ordinal);
        Assert.Matches(@"libraries: [^|]*\bramfs\b", run.ErrorLines[0]);
        // The file went to the kernel's ramfs, not to the host's /packaged-app-data.
        Assert.False(Directory.Exists("/packaged-app-data"), "the program wrote to the host's file system");
        string manifest = File.ReadAllText(Path.Combine(app.ProjectFolder, "bin", "Debug", "net10.0", "PackagedApp.kernel.txt"));
        Assert.Contains("Program.cs:1", manifest);
    }

    // The first `dotnet run` after `dotnet add package` takes the native layer's JIT route: NuGet's
    // restores never see the package's build files, so the build restores for the route itself
    // (UnikraftRouteRestore) and goes on self-contained, with the jump slots. A StreamReader's
    // open (a constructor, no interceptor) reaches the kernel's initrd; on the host's native layer
    // it would look for /packaged-app-seed on the host, which has no such folder.
    [Fact]
    public void FirstRunAfterAddingThePackage_TakesTheJitRoute_AConstructorReadsTheInitrd()
    {
        CommandResult run = app.Run(packed);

        Assert.True(app.AddPackage.ExitCode == 0, app.AddPackage.Describe());
        Assert.True(run.ExitCode == 0, run.Describe());
        Assert.False(Directory.Exists("/packaged-app-seed"), "the host has a /packaged-app-seed folder, so the test proves nothing");
        Assert.Equal("kept in the kernel's ramfs\nseeded in the initrd\n", run.StandardOutput);
        Assert.DoesNotContain("do not reach the kernel", run.StandardError, StringComparison.Ordinal);
        string output = Path.Combine(app.ProjectFolder, "bin", "Debug", "net10.0");
        Assert.True(File.Exists(Path.Combine(output, "libSystem.Native.host.so")), "the output has no libSystem.Native.host.so: the build did not take the JIT route");
    }

    [Fact]
    public void ProgramWithNoReferencesToScan_GetsNoReferenceScanFile()
    {
        CommandResult run = app.Run(packed);
        Assert.True(run.ExitCode == 0, run.Describe());

        // The scan target ran (its stamp is there), but with no package or project reference to
        // read it wrote no file for UK0301.
        string folder = Path.Combine(app.ProjectFolder, "obj", "Debug", "net10.0", "unikraft");
        Assert.True(File.Exists(Path.Combine(folder, "reference-scan.stamp")), "the reference scan target did not run: no stamp in " + folder);
        Assert.False(File.Exists(Path.Combine(folder, "Unikraft.ReferenceCalls.tsv")), "a scan file was written for a program that references nothing to scan");
    }

    private static string[] Entries(string package)
    {
        using ZipArchive archive = ZipFile.OpenRead(package);
        return archive.Entries.Select(e => e.FullName).ToArray();
    }

    private static string ReadEntry(string package, string name)
    {
        using ZipArchive archive = ZipFile.OpenRead(package);
        using var reader = new StreamReader(archive.GetEntry(name)!.Open());
        return reader.ReadToEnd();
    }

    private static XElement Nuspec(string package)
    {
        using ZipArchive archive = ZipFile.OpenRead(package);
        ZipArchiveEntry entry = archive.Entries.Single(e => !e.FullName.Contains('/', StringComparison.Ordinal) && e.FullName.EndsWith(".nuspec", StringComparison.Ordinal));
        using Stream stream = entry.Open();
        return XDocument.Load(stream).Root!;
    }

    // A console project outside the repository that references the packed Unikraft.Gen, built
    // and run once (on the first test that asks) with `dotnet run`.
    public sealed class PackagedApp
    {
        private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(10);

        private readonly object gate = new object();

        private CommandResult? run;

        public string ProjectFolder { get; private set; } = "";

        // `dotnet add package Unikraft.Gen`, the project's first restore.
        internal CommandResult AddPackage { get; private set; } = null!;

        internal CommandResult Run(PackedSolution packed)
        {
            packed.EnsurePacked();
            lock (gate)
            {
                if (run is null)
                {
                    string folder = Path.Combine(packed.Folder, "package-app");
                    ProjectFolder = Path.Combine(folder, "app");
                    Directory.CreateDirectory(Path.Combine(ProjectFolder, "seed"));
                    File.Copy(Path.Combine(Repository.Root, "global.json"), Path.Combine(folder, "global.json"));
                    packed.WriteNuGetConfig(folder);
                    File.WriteAllText(Path.Combine(ProjectFolder, "PackagedApp.csproj"), """
                        <Project Sdk="Microsoft.NET.Sdk">
                          <PropertyGroup>
                            <OutputType>Exe</OutputType>
                            <TargetFramework>net10.0</TargetFramework>
                            <ImplicitUsings>enable</ImplicitUsings>
                            <Nullable>enable</Nullable>
                          </PropertyGroup>
                          <ItemGroup>
                            <UnikraftMount Include="/packaged-app-data" Type="ramfs" />
                            <UnikraftMount Include="/packaged-app-seed" Type="initrd" Source="seed/" ReadOnly="true" />
                          </ItemGroup>
                        </Project>
                        """);
                    File.WriteAllText(Path.Combine(ProjectFolder, "seed", "greeting.txt"), "seeded in the initrd\n");
                    File.WriteAllText(Path.Combine(ProjectFolder, "Program.cs"),
                        "File.WriteAllText(\"/packaged-app-data/note.txt\", \"kept in the kernel's ramfs\");\n"
                        + "Console.WriteLine(File.ReadAllText(\"/packaged-app-data/note.txt\"));\n"
                        + "using var reader = new StreamReader(\"/packaged-app-seed/greeting.txt\");\n"
                        + "Console.WriteLine(reader.ReadLine());\n");
                    AddPackage = Command.Run("dotnet", new[] { "add", "package", "Unikraft.Gen", "--version", packed.Version }, ProjectFolder, Timeout);
                    run = Command.Run("dotnet", new[] { "run", "-nodeReuse:false" }, ProjectFolder, Timeout);
                }
                return run;
            }
        }
    }
}
