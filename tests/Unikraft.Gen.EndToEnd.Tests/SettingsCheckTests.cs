namespace Unikraft.Gen.EndToEnd.Tests;

using System;
using System.Collections.Generic;
using System.IO;
using Xunit;

// Settings that Unikraft.Gen.targets refuses (UnikraftCheckSettings and the OCI image targets),
// each a build error naming the setting and what would be valid, before anything is written.
// Each test runs one target on a small project that imports the package's targets: no compile,
// no NativeAOT.
public sealed class SettingsCheckTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);

    private readonly string folder = Path.Combine(Path.GetTempPath(), "unikraft-e2e-image-" + Guid.NewGuid().ToString("N").Substring(0, 8));

    public SettingsCheckTests()
    {
        Directory.CreateDirectory(folder);
        string targets = Path.Combine(Repository.Root, "generators", "Unikraft.Gen.Generators", "build", "Unikraft.Gen.targets");
        // The package's tasks as the test project builds them (beside the tests).
        string tasks = Path.Combine(AppContext.BaseDirectory, "Unikraft.Gen.Tasks.dll");
        File.WriteAllText(Path.Combine(folder, "App.csproj"), "<Project Sdk=\"Microsoft.NET.Sdk\">\n  <PropertyGroup><TargetFramework>net10.0</TargetFramework><OutputType>Exe</OutputType>"
            + "<UnikraftTasksAssembly>" + tasks + "</UnikraftTasksAssembly></PropertyGroup>\n"
            + "  <Import Project=\"" + targets + "\" />\n</Project>\n");
    }

    [Fact]
    public void UnknownImageKind_FailsEveryBuild_NamingTheValidOne()
    {
        CommandResult result = Run("PrepareForBuild", "-p:UnikraftImage=docker");

        Assert.True(result.ExitCode != 0, result.Describe());
        Assert.Contains("UnikraftImage 'docker' is not an image kind this build writes; valid: oci", result.StandardOutput);
    }

    [Theory]
    [InlineData("UnikraftConfinement", "flase")]
    [InlineData("UnikraftBootBanner", "no")]
    [InlineData("UnikraftNativeLayer", "on")]
    [InlineData("UnikraftScanReferences", "1")]
    [InlineData("UnikraftSpecialize", "flase")]
    [InlineData("UnikraftIcmpEcho", "no")]
    [InlineData("UnikraftPackOutputFiles", "yes")]
    [InlineData("UnikraftLaunchNet", "off")]
    public void SwitchThatIsNeitherTrueNorFalse_FailsEveryBuild_NamingTheSwitch(string name, string value)
    {
        CommandResult result = Run("PrepareForBuild", "-p:" + name + "=" + value);

        Assert.True(result.ExitCode != 0, result.Describe());
        Assert.Contains(name + " '" + value + "' is not a switch value; valid: true, false", result.StandardOutput);
    }

    // A single-file publish has the runtime's libSystem.Native linked into its host, out of the
    // jump slots' reach: an error naming NativeAOT, the one-file route, before anything is
    // published. Without the route (a NativeAOT publish, or slots off) it is not the kernel's business.
    [Fact]
    public void SingleFilePublish_WithTheJitRoute_IsAnErrorNamingNativeAot()
    {
        CommandResult result = Run("UnikraftSingleFileCheck", "-p:UnikraftNativeSlots=true", "-p:PublishSingleFile=true");

        Assert.True(result.ExitCode != 0, result.Describe());
        Assert.Contains("UnikraftNativeLayer: PublishSingleFile links the runtime's libSystem.Native into the program's host, where the kernel cannot take its place", result.StandardOutput);
        Assert.Contains("publish with NativeAOT (-p:PublishAot=true)", result.StandardOutput);

        CommandResult withoutRoute = Run("UnikraftSingleFileCheck", "-p:UnikraftNativeSlots=false", "-p:PublishSingleFile=true");
        Assert.True(withoutRoute.ExitCode == 0, withoutRoute.Describe());
    }

    [Fact]
    public void SwitchesWrittenAsMSBuildReadsThem_Pass()
    {
        CommandResult result = Run("UnikraftCheckSettings", "-p:UnikraftConfinement=False", "-p:UnikraftBootBanner=TRUE", "-p:UnikraftImage=oci");

        Assert.True(result.ExitCode == 0, result.Describe());
    }

    [Theory]
    [InlineData("-p:PublishAot=false|-p:RuntimeIdentifier=linux-x64", "UnikraftImage=oci: an OCI image holds the program's NativeAOT binary; publish with -p:PublishAot=true")]
    [InlineData("-p:PublishAot=true|-p:RuntimeIdentifier=linux-arm64", "UnikraftImage=oci: RuntimeIdentifier 'linux-arm64' is not one the image can be made for")]
    [InlineData("-p:PublishAot=true|-p:RuntimeIdentifier=linux-x64|-p:UnikraftImageName=My App", "UnikraftImageName 'My App' is not an image name")]
    [InlineData("-p:PublishAot=true|-p:RuntimeIdentifier=linux-x64|-p:UnikraftImageTag=1.0.0+build.7", "UnikraftImageTag '1.0.0+build.7' is not an image tag")]
    public void ImageThatCannotBeMade_IsABuildErrorNamingTheSetting(string properties, string error)
    {
        var arguments = new List<string> { "-p:UnikraftImage=oci" };
        arguments.AddRange(properties.Split('|'));
        CommandResult result = Run("UnikraftOciImage", arguments.ToArray());

        Assert.True(result.ExitCode != 0, result.Describe());
        Assert.Contains(error, result.StandardOutput);
    }

    [Fact]
    public void DefaultNameAndTag_AreAccepted_AndOnlyTheMissingBinaryIsReported()
    {
        CommandResult result = Run("UnikraftOciImage", "-p:UnikraftImage=oci", "-p:PublishAot=true", "-p:RuntimeIdentifier=linux-x64");

        Assert.True(result.ExitCode != 0, result.Describe());
        Assert.Contains("UnikraftImage=oci: no native binary at ", result.StandardOutput);
        Assert.DoesNotContain("is not an image", result.StandardOutput);
    }

    [Fact]
    public void BundleWithoutUmoci_NamesTheDebianPackage()
    {
        string image = Path.Combine(folder, "image");
        Directory.CreateDirectory(image);
        File.WriteAllText(Path.Combine(image, "index.json"), "{}");
        string emptyPath = Path.Combine(folder, "no-tools");
        Directory.CreateDirectory(emptyPath);

        CommandResult result = Command.Run("dotnet", ["msbuild", Path.Combine(folder, "App.csproj"), "-t:UnikraftOciBundle", "-nologo", "-nodeReuse:false",
            "-p:UnikraftImagePath=" + image, "-p:UnikraftBundle=" + Path.Combine(folder, "bundle")], folder, Timeout,
            new Dictionary<string, string> { ["PATH"] = emptyPath });

        Assert.True(result.ExitCode != 0, result.Describe());
        Assert.Contains("UnikraftOciBundle needs umoci, which is not on PATH: install the Debian package umoci", result.StandardOutput);
    }

    [Fact]
    public void BundleWithoutImage_SaysHowToPublishOne()
    {
        CommandResult result = Run("UnikraftOciBundle", "-p:UnikraftImagePath=" + Path.Combine(folder, "nothing"));

        Assert.True(result.ExitCode != 0, result.Describe());
        Assert.Contains("No OCI image at " + Path.Combine(folder, "nothing") + "/: publish it first with -p:UnikraftImage=oci", result.StandardOutput);
    }

    // The files the build copies beside the program (appsettings.json, a linked file) reach the
    // kernel's root as an initrd, at their paths in the output folder, with the mount point of the
    // project's other mount; a root mount of the project's own, or UnikraftPackOutputFiles=false,
    // leaves them out.
    [Fact]
    public void FilesCopiedToTheOutput_AreTheKernelsRoot_UnlessTheProjectMountsOne()
    {
        string targets = Path.Combine(Repository.Root, "generators", "Unikraft.Gen.Generators", "build", "Unikraft.Gen.targets");
        File.WriteAllText(Path.Combine(folder, "appsettings.json"), "{ \"Level\": \"Warning\" }");
        Directory.CreateDirectory(Path.Combine(folder, "shared"));
        File.WriteAllText(Path.Combine(folder, "shared", "motd.txt"), "hello");
        File.WriteAllText(Path.Combine(folder, "notes.txt"), "not copied");
        File.WriteAllText(Path.Combine(folder, "Files.csproj"), "<Project Sdk=\"Microsoft.NET.Sdk\">\n  <PropertyGroup><TargetFramework>net10.0</TargetFramework><OutputType>Exe</OutputType>"
            + "<UnikraftTasksAssembly>" + Path.Combine(AppContext.BaseDirectory, "Unikraft.Gen.Tasks.dll") + "</UnikraftTasksAssembly></PropertyGroup>\n"
            + "  <ItemGroup>\n    <None Include=\"appsettings.json\" CopyToOutputDirectory=\"PreserveNewest\" />\n"
            + "    <None Include=\"shared/motd.txt\" Link=\"etc/motd\" CopyToOutputDirectory=\"Always\" />\n"
            + "    <None Include=\"notes.txt\" />\n"
            + "    <UnikraftMount Include=\"/data\" Type=\"ramfs\" />\n  </ItemGroup>\n"
            + "  <Import Project=\"" + targets + "\" />\n</Project>\n");

        CommandResult packed = RunProject("Files.csproj", "UnikraftPrepareMounts", "-getProperty:UnikraftMounts");
        Assert.True(packed.ExitCode == 0, packed.Describe());
        Assert.Equal("/data|ramfs|||>/|initrd|obj/Debug/net10.0/unikraft/rootfs/||", packed.StandardOutput.Trim().Replace('\\', '/'));
        string staged = Path.Combine(folder, "obj", "Debug", "net10.0", "unikraft", "rootfs");
        Assert.Equal("{ \"Level\": \"Warning\" }", File.ReadAllText(Path.Combine(staged, "appsettings.json")));
        Assert.Equal("hello", File.ReadAllText(Path.Combine(staged, "etc", "motd")));
        Assert.True(Directory.Exists(Path.Combine(staged, "data")), "the /data mount point is not in the packed root");
        Assert.False(File.Exists(Path.Combine(staged, "notes.txt")), "a file the build does not copy was packed");

        CommandResult off = RunProject("Files.csproj", "UnikraftPrepareMounts", "-getProperty:UnikraftMounts", "-p:UnikraftPackOutputFiles=false");
        Assert.Equal("/data|ramfs|||", off.StandardOutput.Trim());

        File.WriteAllText(Path.Combine(folder, "Rooted.csproj"), File.ReadAllText(Path.Combine(folder, "Files.csproj"))
            .Replace("<UnikraftMount Include=\"/data\" Type=\"ramfs\" />", "<UnikraftMount Include=\"/\" Type=\"ramfs\" />", StringComparison.Ordinal));
        CommandResult own = RunProject("Rooted.csproj", "UnikraftPrepareMounts", "-getProperty:UnikraftMounts");
        Assert.True(own.ExitCode == 0, own.Describe());
        Assert.Equal("/|ramfs|||", own.StandardOutput.Trim());
    }

    // The kernel unpacks an initrd into a ramfs of its mount's Size and cannot boot when the files
    // are larger (InitrdLoader.Validate): the packing says so first, naming the item, or for the
    // root made of the output's files, the property that sizes it.
    [Fact]
    public void InitrdFilesLargerThanTheirRamfs_FailThePacking_NamingTheSizeToSet()
    {
        string targets = Path.Combine(Repository.Root, "generators", "Unikraft.Gen.Generators", "build", "Unikraft.Gen.targets");
        Directory.CreateDirectory(Path.Combine(folder, "www"));
        File.WriteAllBytes(Path.Combine(folder, "www", "big.bin"), new byte[3000]);
        File.WriteAllBytes(Path.Combine(folder, "appsettings.json"), new byte[3000]);
        string head = "<Project Sdk=\"Microsoft.NET.Sdk\">\n  <PropertyGroup><TargetFramework>net10.0</TargetFramework><OutputType>Exe</OutputType>"
            + "<UnikraftTasksAssembly>" + Path.Combine(AppContext.BaseDirectory, "Unikraft.Gen.Tasks.dll") + "</UnikraftTasksAssembly></PropertyGroup>\n";
        string tail = "  <Import Project=\"" + targets + "\" />\n</Project>\n";
        File.WriteAllText(Path.Combine(folder, "Www.csproj"), head
            + "  <ItemGroup><UnikraftMount Include=\"/www\" Type=\"initrd\" Source=\"www\" Size=\"2K\" /></ItemGroup>\n" + tail);
        File.WriteAllText(Path.Combine(folder, "Root.csproj"), head
            + "  <ItemGroup><None Include=\"appsettings.json\" CopyToOutputDirectory=\"PreserveNewest\" /></ItemGroup>\n" + tail);

        CommandResult small = RunProject("Www.csproj", "UnikraftPackInitrd");
        Assert.True(small.ExitCode != 0, small.Describe());
        Assert.Contains("<UnikraftMount Include=\"/www\">: the initrd folder '" + Path.Combine(folder, "www"), small.StandardOutput);
        Assert.Contains("holds 3000 bytes of files, more than the 2048 bytes of the ramfs the kernel unpacks them into (its Size)", small.StandardOutput);
        Assert.Contains("set Size to at least 1M", small.StandardOutput);
        string archive = Path.Combine(folder, "obj", "Debug", "net10.0", "unikraft", "initrd_www.cpio");
        Assert.False(File.Exists(archive), "an archive the kernel could not boot was written");
        File.WriteAllText(Path.Combine(folder, "Www.csproj"), File.ReadAllText(Path.Combine(folder, "Www.csproj")).Replace("Size=\"2K\"", "Size=\"3K\"", StringComparison.Ordinal));
        CommandResult fits = RunProject("Www.csproj", "UnikraftPackInitrd");
        Assert.True(fits.ExitCode == 0, fits.Describe());
        Assert.True(File.Exists(archive), "the archive that fits was not written");

        CommandResult root = RunProject("Root.csproj", "UnikraftPackInitrd", "-p:UnikraftRootSize=1K");
        Assert.True(root.ExitCode != 0, root.Describe());
        Assert.Contains("The files the build copies to the output (Content and None items with CopyToOutputDirectory, packed into the kernel's \"/\") hold 3000 bytes of files, more than the 1024 bytes", root.StandardOutput);
        Assert.Contains("set UnikraftRootSize to at least 1M", root.StandardOutput);
        CommandResult sized = RunProject("Root.csproj", "UnikraftPrepareMounts", "-getProperty:UnikraftMounts", "-p:UnikraftRootSize=8K");
        Assert.True(sized.ExitCode == 0, sized.Describe());
        Assert.Equal("/|initrd|obj/Debug/net10.0/unikraft/rootfs/||8K", sized.StandardOutput.Trim().Replace('\\', '/'));
        Assert.True(RunProject("Root.csproj", "UnikraftPackInitrd").ExitCode == 0, "the default 64M holds 3000 bytes");

        CommandResult bad = RunProject("Root.csproj", "UnikraftPrepareMounts", "-p:UnikraftRootSize=16MB");
        Assert.True(bad.ExitCode != 0, bad.Describe());
        Assert.Contains("UnikraftRootSize '16MB' is not a size such as 65536, 512K, 64M or 1G", bad.StandardOutput);
    }

    // UnikraftLaunchNet: a hosted program with no network item of its own whose launch profiles
    // name URLs gets a passt interface forwarding their ports (the profiles' only: IIS Express's
    // URL above them is not dotnet run's); an ASP.NET Core project with none, Kestrel's 5000.
    [Fact]
    public void LaunchProfileUrls_GiveAPasstInterface_UnlessTheProjectHasOneOrSaysNo()
    {
        string targets = Path.Combine(Repository.Root, "generators", "Unikraft.Gen.Generators", "build", "Unikraft.Gen.targets");
        Directory.CreateDirectory(Path.Combine(folder, "Properties"));
        File.WriteAllText(Path.Combine(folder, "Properties", "launchSettings.json"), """
            {
              "iisSettings": { "iisExpress": { "applicationUrl": "http://localhost:40001", "sslPort": 44301 } },
              "profiles": {
                "http": { "commandName": "Project", "applicationUrl": "http://localhost:5059" },
                "https": { "commandName": "Project", "applicationUrl": "https://localhost:7078;http://localhost:5059" },
                "wildcard": { "commandName": "Project", "applicationUrl": "http://*:8080;http://[::]:8081;http://+" }
              }
            }
            """);
        string head = "<Project Sdk=\"Microsoft.NET.Sdk\">\n  <PropertyGroup><TargetFramework>net10.0</TargetFramework><OutputType>Exe</OutputType>"
            + "<UnikraftTasksAssembly>" + Path.Combine(AppContext.BaseDirectory, "Unikraft.Gen.Tasks.dll") + "</UnikraftTasksAssembly></PropertyGroup>\n";
        string tail = "  <Import Project=\"" + targets + "\" />\n</Project>\n";
        File.WriteAllText(Path.Combine(folder, "Web.csproj"), head + tail);
        File.WriteAllText(Path.Combine(folder, "Own.csproj"), head
            + "  <ItemGroup><UnikraftNet Include=\"uk0\" Type=\"tap\" Address=\"198.18.0.2/24\" /></ItemGroup>\n" + tail);

        CommandResult launch = RunProject("Web.csproj", "UnikraftPrepareMounts", "-getProperty:UnikraftNets");
        Assert.True(launch.ExitCode == 0, launch.Describe());
        Assert.Equal("eth0|passt|10.0.2.15/24|10.0.2.2||5059,7078,8080,8081,80||||end|launch", launch.StandardOutput.Trim());

        Assert.Equal("", RunProject("Web.csproj", "UnikraftPrepareMounts", "-getProperty:UnikraftNets", "-p:UnikraftLaunchNet=false").StandardOutput.Trim());
        Assert.Equal("", RunProject("Web.csproj", "UnikraftPrepareMounts", "-getProperty:UnikraftNets", "-p:UnikraftPlatform=microvm").StandardOutput.Trim());
        Assert.Equal("uk0|tap|198.18.0.2/24|||||||end", RunProject("Own.csproj", "UnikraftPrepareMounts", "-getProperty:UnikraftNets").StandardOutput.Trim());

        File.Delete(Path.Combine(folder, "Properties", "launchSettings.json"));
        Assert.Equal("", RunProject("Web.csproj", "UnikraftPrepareMounts", "-getProperty:UnikraftNets").StandardOutput.Trim());
        Assert.Equal("eth0|passt|10.0.2.15/24|10.0.2.2||5000||||end|launch",
            RunProject("Web.csproj", "UnikraftPrepareMounts", "-getProperty:UnikraftNets", "-p:UsingMicrosoftNETSdkWeb=true").StandardOutput.Trim());
    }

    private CommandResult RunProject(string project, string target, params string[] properties)
    {
        var arguments = new List<string> { "msbuild", Path.Combine(folder, project), "-t:" + target, "-nologo", "-nodeReuse:false" };
        arguments.AddRange(properties);
        return Command.Dotnet(Timeout, null, arguments.ToArray());
    }

    private CommandResult Run(string target, params string[] properties)
    {
        var arguments = new List<string> { "msbuild", Path.Combine(folder, "App.csproj"), "-t:" + target, "-nologo", "-nodeReuse:false" };
        arguments.AddRange(properties);
        return Command.Dotnet(Timeout, null, arguments.ToArray());
    }

    public void Dispose() => Directory.Delete(folder, recursive: true);
}
