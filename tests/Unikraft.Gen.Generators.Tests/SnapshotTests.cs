using System;
using System.IO;
using System.Linq;
using System.Text;
using Microsoft.CodeAnalysis;
using Xunit;

namespace Unikraft.Gen.Tests;

// The emitted kernel of a program, with the part of the app-facing API it uses, checked in as
// Snapshots/<Program>.verified.cs. Set UNIKRAFT_UPDATE_SNAPSHOTS=1 to rewrite them on purpose,
// then review the diff.
public sealed class SnapshotTests
{
    [Theory]
    [InlineData("Hello")]
    [InlineData("SleepAndRandom")]
    [InlineData("ReadOnlyFiles")]
    [InlineData("ReadWriteFiles")]
    public void EmittedKernel_MatchesSnapshot(string program)
    {
        GeneratorHarness.Result result = GeneratorHarness.RunProgram(program);
        AssertSnapshot(program, Render(result));
    }

    // The kernel sources' hash is in every file's header and in the assembly's mark; it changes
    // with any edit to the kernel, so the snapshots hold it as a placeholder. The mark must be the
    // one made for the compilation's own name, or it is left as it is and the snapshot differs.
    private static string Render(GeneratorHarness.Result result)
    {
        string hash = Kernel.KernelImage.Instance.Graph.SourceHash;
        string mark = Support.GeneratedOutput.MarkerValue(result.Output.AssemblyName ?? "", hash);
        return RenderSources(result).Replace(mark, "<mark for " + result.Output.AssemblyName + ">").Replace("// Unikraft.Gen output " + hash + "\n", "// Unikraft.Gen output <kernel hash>\n");
    }

    private static string RenderSources(GeneratorHarness.Result result)
    {
        var builder = new StringBuilder();
        foreach (GeneratedSourceResult source in result.Run.Results.Single().GeneratedSources.OrderBy(s => s.HintName, StringComparer.Ordinal))
        {
            builder.Append("//------ ").Append(source.HintName).Append('\n');
            builder.Append(source.SourceText.ToString().Replace("\r\n", "\n"));
        }

        return builder.ToString();
    }

    private static void AssertSnapshot(string name, string actual)
    {
        string path = Path.Combine(GeneratorHarness.SourceFolder(), "Snapshots", name + ".verified.cs");
        if (Environment.GetEnvironmentVariable("UNIKRAFT_UPDATE_SNAPSHOTS") == "1")
        {
            File.WriteAllText(path, actual);
        }

        Assert.True(File.Exists(path), $"no snapshot at {path}: run with UNIKRAFT_UPDATE_SNAPSHOTS=1 to create it");
        string expected = File.ReadAllText(path).Replace("\r\n", "\n");
        if (expected != actual)
        {
            File.WriteAllText(Path.Combine(Path.GetDirectoryName(path)!, name + ".received.cs"), actual);
        }

        Assert.Equal(expected, actual);
    }
}
