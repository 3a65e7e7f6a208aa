namespace Unikraft.Gen.EndToEnd.Tests;

using System;
using System.IO;
using Xunit;

// A mount nested in a hostfs or initrd mount has its mount point in that mount's Source folder.
// What the boot could not mount there is a build error naming both items (Unikraft.Gen.targets,
// MountPointCheck.cs), never a failure at boot. Each test runs only the targets that prepare and
// pack the mounts, on a small project that imports the package's targets, with the package's
// tasks as the test project builds them.
public sealed class MountPointCheckTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);

    private readonly string folder = Path.Combine(Path.GetTempPath(), "unikraft-e2e-mountpoints-" + Guid.NewGuid().ToString("N").Substring(0, 8));

    public MountPointCheckTests()
    {
        Directory.CreateDirectory(Path.Combine(folder, "site", "cache"));
        Directory.CreateDirectory(Path.Combine(folder, "rootfs", "var"));
        File.WriteAllText(Path.Combine(folder, "rootfs", "tmp"), "a file, not a folder");
        File.CreateSymbolicLink(Path.Combine(folder, "rootfs", "etc"), "/etc");
    }

    [Theory]
    [InlineData("/srv/cache|ramfs|>/srv|hostfs|site/|true")]
    [InlineData("/srv/logs|ramfs|>/srv|hostfs|site/|false")]
    [InlineData("/var/log|ramfs|>/|initrd|rootfs/|true>/srv|hostfs|site/|true")]
    public void MountPointsTheBootCanMount_Build(string mounts)
    {
        CommandResult result = Prepare(mounts);

        Assert.True(result.ExitCode == 0, result.Describe());
    }

    [Theory]
    [InlineData("/srv/logs|ramfs|>/srv|hostfs|site/|true",
        "<UnikraftMount Include=\"/srv/logs\">: its mount point is a folder of <UnikraftMount Include=\"/srv\"> (hostfs, read-only), and the folder '{0}/site/logs' does not exist there")]
    [InlineData("/tmp|ramfs|>/|initrd|rootfs/|true",
        "<UnikraftMount Include=\"/tmp\">: its mount point is a folder of <UnikraftMount Include=\"/\"> (initrd, read-only), but '{0}/rootfs/tmp' is a file there, not a folder")]
    [InlineData("/|initrd|rootfs/|false>/etc/app|ramfs|",
        "<UnikraftMount Include=\"/etc/app\">: its mount point is a folder of <UnikraftMount Include=\"/\"> (initrd), but '{0}/rootfs/etc' is a symbolic link there")]
    public void MountPointTheBootCannotMount_IsABuildErrorNamingBothItems(string mounts, string error)
    {
        CommandResult result = Prepare(mounts);

        Assert.True(result.ExitCode != 0, result.Describe());
        Assert.Contains(string.Format(error, folder), result.StandardOutput + result.StandardError);
    }

    // A Source folder that is not there: the initrd has nothing to pack, the hostfs nothing to open at boot.
    [Theory]
    [InlineData("/|initrd|missing-rootfs/|true", "<UnikraftMount Include=\"/\">: the initrd Source folder '{0}/missing-rootfs/' does not exist")]
    [InlineData("/data|hostfs|missing-data/|false", "<UnikraftMount Include=\"/data\">: the hostfs Source folder '{0}/missing-data/' does not exist")]
    public void MissingSourceFolder_IsABuildErrorNamingTheItem(string mounts, string error)
    {
        CommandResult result = Prepare(mounts);

        Assert.True(result.ExitCode != 0, result.Describe());
        Assert.Contains(string.Format(error, folder), result.StandardOutput + result.StandardError);
    }

    [Fact]
    public void ExistingHostFolder_Builds()
    {
        CommandResult result = Prepare("/data|hostfs|site/|false");

        Assert.True(result.ExitCode == 0, result.Describe());
    }

    // Runs the mount preparation on a project with these mounts: path|type|source|readonly, '>' between items.
    private CommandResult Prepare(string mounts)
    {
        var items = new System.Text.StringBuilder();
        foreach (string item in mounts.Split('>'))
        {
            string[] fields = item.Split('|');
            items.Append("    <UnikraftMount Include=\"").Append(fields[0]).Append("\" Type=\"").Append(fields[1]).Append('"');
            if (fields[2].Length > 0)
            {
                items.Append(" Source=\"").Append(fields[2]).Append('"');
            }

            if (fields.Length > 3)
            {
                items.Append(" ReadOnly=\"").Append(fields[3]).Append('"');
            }

            items.Append(" />\n");
        }

        string targets = Path.Combine(Repository.Root, "generators", "Unikraft.Gen.Generators", "build", "Unikraft.Gen.targets");
        string project = Path.Combine(folder, "App.csproj");
        File.WriteAllText(project, "<Project Sdk=\"Microsoft.NET.Sdk\">\n  <PropertyGroup><TargetFramework>net10.0</TargetFramework></PropertyGroup>\n"
            + "  <Import Project=\"" + targets + "\" />\n  <ItemGroup>\n" + items + "  </ItemGroup>\n</Project>\n");
        string tasks = Path.Combine(AppContext.BaseDirectory, "Unikraft.Gen.Tasks.dll");
        Assert.True(File.Exists(tasks), "the package's tasks are not beside the tests: " + tasks);
        return Command.Dotnet(Timeout, null, "msbuild", project, "-t:UnikraftPackInitrd", "-p:UnikraftTasksAssembly=" + tasks, "-nologo", "-nodeReuse:false");
    }

    public void Dispose() => Directory.Delete(folder, recursive: true);
}
