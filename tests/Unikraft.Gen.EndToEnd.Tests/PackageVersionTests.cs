namespace Unikraft.Gen.EndToEnd.Tests;

using System;
using System.IO;
using Xunit;

// The packages' version scheme (generators/Unikraft.Gen.Package/Packaging.targets): with no
// version given, a pack is versioned <prefix>-dev.h<hash of the sources>, so changed code always
// gets a new version and the same code the same one. Each test runs the version target alone
// (what every pack runs first) over folders of its own, laid out like the repository.
public sealed class PackageVersionTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(5);

    private readonly string folder = Path.Combine(Path.GetTempPath(), "unikraft-e2e-version-" + Guid.NewGuid().ToString("N").Substring(0, 8));

    [Fact]
    public void SameFiles_GiveTheSameVersion_InWhateverOrderTheyWereWritten_BuildOutputLeftOut()
    {
        string first = Sources("first", ("generators/Gen.cs", "class Gen {}"), ("kernel/Core/Kernel.cs", "class Kernel {}"), ("LICENSE", "MIT"));
        string second = Sources("second", ("LICENSE", "MIT"), ("kernel/Core/Kernel.cs", "class Kernel {}"), ("generators/Gen.cs", "class Gen {}"),
            ("generators/bin/Release/Gen.dll", "built"), ("kernel/obj/project.assets.json", "{}"));

        string version = VersionOf(first);

        Assert.Matches(@"^\d+\.\d+\.\d+-dev\.h[0-9a-f]{12}$", version);
        Assert.Equal(version, VersionOf(second));
    }

    [Fact]
    public void AChangedByte_ARenamedFile_AnAddedFile_OrAChangedTemplate_GiveNewVersions()
    {
        string original = VersionOf(Sources("original", ("generators/Gen.cs", "class Gen {}"), ("generators/Templates/t/Program.cs", "x")));
        string changedByte = VersionOf(Sources("byte", ("generators/Gen.cs", "class Gen {} "), ("generators/Templates/t/Program.cs", "x")));
        string renamed = VersionOf(Sources("renamed", ("generators/Gen2.cs", "class Gen {}"), ("generators/Templates/t/Program.cs", "x")));
        string added = VersionOf(Sources("added", ("generators/Gen.cs", "class Gen {}"), ("generators/Templates/t/Program.cs", "x"), ("analyzers/New.cs", "")));
        string template = VersionOf(Sources("template", ("generators/Gen.cs", "class Gen {}"), ("generators/Templates/t/Program.cs", "y")));

        string[] versions = [original, changedByte, renamed, added, template];
        Assert.Equal(versions.Length, new System.Collections.Generic.HashSet<string>(versions).Count);
    }

    [Fact]
    public void AGivenVersion_Wins()
    {
        string root = Sources("given", ("generators/Gen.cs", "class Gen {}"));
        CommandResult result = Command.Dotnet(Timeout, null, "msbuild", "generators/Unikraft.Gen.Package/Unikraft.Gen.Package.csproj",
            "-t:UnikraftPackageVersion", "-p:UnikraftVersionRoot=" + root + "/", "-p:Version=0.7.1", "-getProperty:PackageVersion", "-nodeReuse:false");

        Assert.True(result.ExitCode == 0, result.Describe());
        Assert.Equal("0.7.1", result.StandardOutput.Trim());
    }

    // The version a pack of the sources under `root` would get.
    internal static string VersionOf(string root)
    {
        CommandResult result = Command.Dotnet(Timeout, null, "msbuild", "generators/Unikraft.Gen.Package/Unikraft.Gen.Package.csproj",
            "-t:UnikraftPackageVersion", "-p:UnikraftVersionRoot=" + root.TrimEnd('/') + "/", "-getProperty:PackageVersion", "-nodeReuse:false");
        Assert.True(result.ExitCode == 0, result.Describe());
        return result.StandardOutput.Trim();
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temporary folder is not worth failing the run for.
        }
    }

    private string Sources(string name, params (string Path, string Text)[] files)
    {
        string root = Path.Combine(folder, name);
        foreach ((string path, string text) in files)
        {
            string full = Path.Combine(root, path);
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            File.WriteAllText(full, text);
        }
        return root;
    }
}
