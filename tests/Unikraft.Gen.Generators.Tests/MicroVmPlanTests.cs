using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;
using Xunit;

namespace Unikraft.Gen.Tests;

// UnikraftPlatform=microvm: the boot creates the microvm platform, the native layer serves the
// BCL as on hosted, there is no seccomp (no host kernel to ask), hostfs has no VM equivalent, and
// the manifest lists the VM's devices and the system calls the shim serves.
public sealed class MicroVmPlanTests
{
    private const string Program = "System.Console.WriteLine(\"hello\");\n";

    private static GeneratorHarness.Result Build(Dictionary<string, string> properties) =>
        GeneratorHarness.Run(GeneratorHarness.Compilation(new[] { ("Program.cs", Program) }), properties);

    [Fact]
    public void MicroVm_BootsTheMicroVmPlatform_WithTheNativeLayer_AndNoConfinement()
    {
        GeneratorHarness.Result result = Build(new Dictionary<string, string> { ["UnikraftPlatform"] = "microvm", ["UnikraftNativeLayer"] = "true" });

        Assert.Empty(result.Problems);
        string boot = result.Source("Unikraft.Boot.g.cs");
        Assert.Contains("new global::Unikraft.Kernel.Kernel(new global::Unikraft.Kernel.MicroVmPlatform());", boot);
        Assert.Contains("NativeLayer.Attach", boot);
        Assert.DoesNotContain("HostedConfinement", boot);
        Assert.DoesNotContain("HostedPlatform", string.Concat(result.Run.Results.Single().GeneratedSources.Select(s => s.SourceText.ToString())));
        Assert.Contains("(platform microvm)", result.Manifest);
        Assert.Contains("platform-microvm", result.Manifest);
    }

    [Fact]
    public void MicroVm_HostFsMount_IsAnErrorNamingTheMount()
    {
        GeneratorHarness.Result result = Build(new Dictionary<string, string>
        {
            ["UnikraftPlatform"] = "microvm",
            ["UnikraftMounts"] = "/|ramfs|||>/data|hostfs|data/||",
        });

        Assert.Contains(result.Problems, d => d.GetMessage().Contains(
            "<UnikraftMount Include=\"/data\" Type=\"hostfs\">: the microvm platform has no host folders to mount", StringComparison.Ordinal));
    }

    [Fact]
    public void HostedPlatform_HostFsMount_IsNoError()
    {
        GeneratorHarness.Result result = Build(new Dictionary<string, string> { ["UnikraftMounts"] = "/|ramfs|||>/data|hostfs|data/||" });

        Assert.Empty(result.Problems);
    }

    // The manifest's list is the shim's own SERVED table, row for row, in the order of the numbers.
    [Fact]
    public void MicroVmManifest_ListsTheSyscallsTheShimServes_AsItsSourceDoes()
    {
        string source = File.ReadAllText(Path.Combine(RepositoryRoot(), "kernel", "Platform", "MicroVm", "shim", "syscalls.c"));
        List<string> rows = Regex.Matches(source, "\\{ (\\d+), \"([a-z0-9_]+)\", \\w+, \"((?:[^\"\\\\]|\\\\.)*)\" \\}")
            .Select(m => (Number: int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), Line: m.Groups[2].Value + ": " + m.Groups[3].Value))
            .OrderBy(row => row.Number)
            .Select(row => row.Line)
            .ToList();
        Assert.True(rows.Count > 40, "expected the SERVED table in syscalls.c, found " + rows.Count + " rows");

        Assert.Equal(rows, KernelGenerator.Emit.MicroVmShimSyscalls);

        GeneratorHarness.Result result = Build(new Dictionary<string, string> { ["UnikraftPlatform"] = "microvm", ["UnikraftNativeLayer"] = "true" });
        string manifest = result.Manifest.Replace("// ", "", StringComparison.Ordinal);
        Assert.Contains("runtime syscalls served by the shim (" + rows.Count + ")", manifest);
        foreach (string row in rows)
        {
            Assert.Contains("    " + row + "\n", manifest);
        }
    }

    private static string RepositoryRoot([CallerFilePath] string path = "")
    {
        return Path.GetFullPath(Path.Combine(Path.GetDirectoryName(path)!, "..", ".."));
    }
}
