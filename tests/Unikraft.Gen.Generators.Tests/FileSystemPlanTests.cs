using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Xunit;

namespace Unikraft.Gen.Tests;

// What the generator makes of a program's file calls and its <UnikraftMount> items.
public sealed class FileSystemPlanTests
{
    private static GeneratorHarness.Result Run(string program, string mounts) =>
        GeneratorHarness.Run(GeneratorHarness.Compilation(new[] { ("Program.cs", program) }),
            new Dictionary<string, string> { ["UnikraftMounts"] = mounts });

    private static string KernelText(GeneratorHarness.Result result) =>
        string.Concat(result.Run.Results.Single().GeneratedSources
            .Where(s => s.HintName.StartsWith("Kernel/", System.StringComparison.Ordinal) && !s.HintName.StartsWith("Kernel/Api/", System.StringComparison.Ordinal))
            .Select(s => s.SourceText.ToString()));

    [Fact]
    public void ReadOnlyProgram_HasNoWritePathInItsKernel()
    {
        GeneratorHarness.Result result = GeneratorHarness.RunProgram("ReadOnlyFiles");

        Assert.Empty(result.Problems);
        IReadOnlyList<string> syscalls = result.ImplementedSyscalls;
        Assert.Contains("openat", syscalls);
        Assert.Contains("read", syscalls);
        foreach (string changing in new[] { "pwrite64", "ftruncate", "unlinkat", "renameat2", "mkdirat", "linkat", "symlinkat", "getdents64" })
        {
            Assert.DoesNotContain(changing, syscalls);
        }

        Assert.Contains("FileWrite  off", result.Manifest);
        Assert.DoesNotContain("if (KernelFeatures.FileWrite)", KernelText(result));
        Assert.DoesNotContain("if (KernelFeatures.FileCreate)", KernelText(result));
    }

    [Fact]
    public void ReadWriteProgram_HasTheWritePath()
    {
        GeneratorHarness.Result result = GeneratorHarness.RunProgram("ReadWriteFiles");

        Assert.Empty(result.Problems);
        IReadOnlyList<string> syscalls = result.ImplementedSyscalls;
        foreach (string needed in new[] { "openat", "write", "mkdirat", "unlinkat", "getdents64" })
        {
            Assert.Contains(needed, syscalls);
        }

        Assert.Contains("FileWrite  on", result.Manifest);
        Assert.Contains("if (KernelFeatures.FileWrite)", KernelText(result));
    }

    [Fact]
    public void InitrdRoot_UnderAReadOnlyProgram_KeepsWhatUnpackingNeeds_ForTheCallSite()
    {
        GeneratorHarness.Result result = Run("Console.WriteLine(File.ReadAllText(\"/hello.txt\"));\n", "/|initrd|rootfs/|true|");

        Assert.Empty(result.Problems);
        string manifest = result.Manifest;
        Assert.Contains("FileCreate  on\n//       Program.cs:1  boot: mounts initrd at / for File.ReadAllText(string) '/hello.txt'", manifest);
        Assert.Contains("FileWrite  on\n//       Program.cs:1  boot: mounts initrd at / for File.ReadAllText(string) '/hello.txt'", manifest);
        Assert.Contains("FileTruncate  off", manifest);
        Assert.Contains("if (KernelFeatures.FileCreate)", KernelText(result));
    }

    [Fact]
    public void InitrdNoCallReaches_NeedsNothingToUnpack()
    {
        GeneratorHarness.Result result = Run("Console.WriteLine(1);\n", "/|initrd|rootfs/||");

        Assert.Empty(result.Problems);
        Assert.DoesNotContain("FileCreate  on", result.Manifest);
    }

    [Fact]
    public void MountNoCallReaches_IsLeftOut()
    {
        GeneratorHarness.Result result = Run("File.WriteAllText(\"/tmp/x\", \"x\");\n", "/|ramfs|||>/tmp|ramfs|||1M>/data|hostfs|data/||");

        Assert.Empty(result.Problems);
        Assert.Contains("/data  hostfs, host folder /src/app/data  LEFT OUT: no call site reaches it", result.Manifest);
        Assert.Contains("Program.cs:1  File.WriteAllText(string, string?) '/tmp/x'", result.Manifest);
        string boot = result.Source("Unikraft.Boot.g.cs");
        Assert.Contains("VfsMounts.Mount(kernel, \"/tmp\"", boot);
        Assert.DoesNotContain("HostFileSystem", boot);
        Assert.DoesNotContain("HostFileSystem", KernelText(result));
    }

    [Fact]
    public void PathNotKnownAtCompileTime_KeepsEveryMount_AndSaysWhere()
    {
        GeneratorHarness.Result result = Run("Console.WriteLine(File.ReadAllText(args[0]));\n", "/|ramfs|||>/tmp|ramfs|||1M");

        Assert.Empty(result.Problems);
        Assert.DoesNotContain("LEFT OUT", result.Manifest);
        Assert.Contains("Program.cs:1  File.ReadAllText(string), path not known at compile time", result.Manifest);
    }

    [Fact]
    public void MountWithoutRoot_GetsAnImplicitRamfsRoot()
    {
        GeneratorHarness.Result result = Run("File.WriteAllText(\"/tmp/x\", \"x\");\n", "/tmp|ramfs|||1M");

        Assert.Empty(result.Problems);
        Assert.Contains("implicit root for the mount points", result.Manifest);
        Assert.Contains("VfsMounts.Mount(kernel, \"/\"", result.Source("Unikraft.Boot.g.cs"));
    }

    [Fact]
    public void MountsWrittenChildFirst_BootParentsFirst_AndAParentNoCallReachesStillHoldsTheMountPoint()
    {
        GeneratorHarness.Result result = Run("File.WriteAllText(\"/data/cache/x\", \"x\");\n", "/data/cache|ramfs|||>/data|hostfs|data/||>/|ramfs|||");

        Assert.Empty(result.Problems);
        string boot = result.Source("Unikraft.Boot.g.cs");
        int root = boot.IndexOf("Mount(kernel, \"/\"", System.StringComparison.Ordinal);
        int data = boot.IndexOf("Mount(kernel, \"/data\"", System.StringComparison.Ordinal);
        int cache = boot.IndexOf("Mount(kernel, \"/data/cache\"", System.StringComparison.Ordinal);
        Assert.True(root >= 0 && root < data && data < cache, boot);
        Assert.Contains("Program.cs:1  holds the mount point of /data/cache", result.Manifest);
        Assert.Contains("Program.cs:1  holds the mount point of /data\n", result.Manifest);
        Assert.DoesNotContain("LEFT OUT", result.Manifest);
    }

    [Theory]
    [InlineData("/dev/pts|ramfs|||>/dev|devfs|||", "<UnikraftMount Include=\"/dev/pts\">: its mount point would be a directory in the devfs of <UnikraftMount Include=\"/dev\">")]
    [InlineData("/|zfs|||", "Type 'zfs' is not a file system this kernel has; valid: ramfs, initrd, hostfs, devfs")]
    [InlineData("data|ramfs|||", "the mount point 'data' must be an absolute path")]
    [InlineData("/data/|ramfs|||", "must not end with '/'")]
    [InlineData("/a/../b|ramfs|||", "must not contain empty, '.' or '..' parts")]
    [InlineData("/data|hostfs|||", "a hostfs mount needs Source")]
    [InlineData("/tmp|ramfs|||1M>/tmp|ramfs|||2M", "/tmp is mounted twice")]
    [InlineData("/tmp|ramfs||maybe|", "ReadOnly 'maybe' is not true or false")]
    [InlineData("/tmp|ramfs|||lots", "Size 'lots' is not a size")]
    public void BadMount_IsABuildErrorNamingTheItem(string mounts, string message)
    {
        GeneratorHarness.Result result = Run("Console.WriteLine(1);\n", mounts);

        Diagnostic error = Assert.Single(result.GeneratorDiagnostics);
        Assert.Equal("UKG0001", error.Id);
        Assert.Contains("<UnikraftMount Include=", error.GetMessage());
        Assert.Contains(message, error.GetMessage());
    }
}
