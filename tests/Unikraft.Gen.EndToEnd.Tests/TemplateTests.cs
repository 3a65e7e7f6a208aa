namespace Unikraft.Gen.EndToEnd.Tests;

using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using Xunit;

// The template package as a user meets it: `dotnet new install` of the packed
// Unikraft.Gen.Templates, `dotnet new unikraft-console`, then `dotnet run` of the new project
// against the folder feed through a nuget.config beside it, and `dotnet new uninstall`. The
// templates go into a private hive (--debug:custom-hive) and the CLI's home is a temporary folder
// (DOTNET_CLI_HOME), so the user's own templates and NuGet cache are never touched.
[Collection(PackedSolution.Collection)]
public sealed class TemplateTests : IClassFixture<TemplateTests.CreatedFromTemplate>
{
    private const string Name = "HelloUnikraft";

    private readonly PackedSolution packed;

    private readonly CreatedFromTemplate created;

    public TemplateTests(PackedSolution packed, CreatedFromTemplate created)
    {
        this.packed = packed;
        this.created = created;
    }

    [Fact]
    public void TemplatePackage_InstallsIntoAPrivateHive_WithUnikraftConsole()
    {
        CreatedFromTemplate.Steps steps = created.Run(packed);

        Assert.True(steps.Install.ExitCode == 0, steps.Install.Describe());
        Assert.Contains("unikraft-console", steps.Install.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("Unikraft.Gen.Templates@" + packed.Version, steps.Install.StandardOutput, StringComparison.Ordinal);
        // The hive it went to is the test's own.
        Assert.NotEmpty(Directory.EnumerateFileSystemEntries(created.Hive, "*", SearchOption.AllDirectories));
    }

    [Fact]
    public void CreatedProject_ReferencesTheUnikraftGenOfTheSamePack_AndHasAReadme()
    {
        CreatedFromTemplate.Steps steps = created.Run(packed);
        Assert.True(steps.Create.ExitCode == 0, steps.Create.Describe());

        string project = File.ReadAllText(Path.Combine(created.ProjectFolder, Name + ".csproj"));
        Assert.Contains("<PackageReference Include=\"Unikraft.Gen\" Version=\"" + packed.Version + "\" />", project, StringComparison.Ordinal);
        Assert.DoesNotContain("UNIKRAFT_GEN", project, StringComparison.Ordinal);

        string readme = File.ReadAllText(Path.Combine(created.ProjectFolder, "README.md"));
        Assert.StartsWith("# " + Name, readme, StringComparison.Ordinal);
        Assert.Contains("dotnet run", readme, StringComparison.Ordinal);
        Assert.Contains("-p:PublishAot=true", readme, StringComparison.Ordinal);
        Assert.Contains("bin/Debug/net10.0/" + Name + ".kernel.txt", readme, StringComparison.Ordinal);
        Assert.Matches(@"<https://[^>]+/docs/diagnostics>", readme);
    }

    [Fact]
    public void CreatedProject_BuildsAndRunsOnItsKernel_FromTheFeedInItsNuGetConfig()
    {
        CreatedFromTemplate.Steps steps = created.Run(packed);
        Assert.True(steps.Create.ExitCode == 0, steps.Create.Describe());
        CommandResult run = steps.Run!;

        Assert.True(run.ExitCode == 0, run.Describe());
        Assert.Matches("^Hello from " + Name + @", booted on its own kernel\.\nA random number from the kernel: [1-6]\n$", run.StandardOutput);
        Assert.StartsWith("Unikraft.Gen kernel (hosted) for " + Name, run.ErrorLines.FirstOrDefault() ?? "", StringComparison.Ordinal);

        // The kernel serves the template's calls, each named in the manifest by its line (beside
        // the native layer's functions that need the same syscall).
        string manifest = File.ReadAllText(Path.Combine(created.ProjectFolder, "bin", "Debug", "net10.0", Name + ".kernel.txt"));
        Assert.Matches(@"write \(1\)  library console\n(\s+\[native layer\].*\n)*\s+Program\.cs:3  Console\.WriteLine", manifest);
        Assert.Matches(@"getrandom \(318\)  library random\n(\s+\[native layer\].*\n)*\s+Program\.cs:5  Random\.Next", manifest);
        // Restored from the feed into the test's package folder, not the user's cache.
        Assert.True(Directory.Exists(Path.Combine(packed.PackagesFolder, "unikraft.gen", packed.Version)), "Unikraft.Gen " + packed.Version + " is not in " + packed.PackagesFolder);
    }

    // The template's project asks NuGet's own restore for the native layer's JIT route
    // (RuntimeIdentifiers), which cannot see it in the package's build files: a plain restore after
    // the run keeps the linux-x64 target the routed build needs, so no build restores again.
    [Fact]
    public void CreatedProject_ItsOwnRestoreKeepsTheJitRoutesTarget()
    {
        CreatedFromTemplate.Steps steps = created.Run(packed);
        Assert.True(steps.Create.ExitCode == 0, steps.Create.Describe());
        Assert.True(steps.Run!.ExitCode == 0, steps.Run.Describe());
        Assert.True(File.Exists(Path.Combine(created.ProjectFolder, "bin", "Debug", "net10.0", "libSystem.Native.host.so")), "the template's program did not take the JIT route");

        CommandResult restore = steps.RestoreAfterRun!;
        Assert.True(restore.ExitCode == 0, restore.Describe());
        string assets = File.ReadAllText(Path.Combine(created.ProjectFolder, "obj", "project.assets.json"));
        Assert.Contains("\"net10.0/linux-x64\"", assets, StringComparison.Ordinal);
    }

    [Fact]
    public void Uninstall_RemovesTheTemplate()
    {
        CreatedFromTemplate.Steps steps = created.Run(packed);

        Assert.True(steps.Uninstall.ExitCode == 0, steps.Uninstall.Describe());
        Assert.True(steps.CreateAfterUninstall.ExitCode != 0, "unikraft-console was still there after the uninstall:\n" + steps.CreateAfterUninstall.Describe());
    }

    // Install, create, run, uninstall: once, on the first test that asks.
    public sealed class CreatedFromTemplate
    {
        private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(10);

        private readonly object gate = new object();

        private Steps? steps;

        public string Hive { get; private set; } = "";

        public string ProjectFolder { get; private set; } = "";

        internal Steps Run(PackedSolution packed)
        {
            packed.EnsurePacked();
            lock (gate)
            {
                return steps ??= Make(packed);
            }
        }

        private Steps Make(PackedSolution packed)
        {
            string folder = Path.Combine(packed.Folder, "template");
            Hive = Path.Combine(folder, "hive");
            string work = Path.Combine(folder, "work");
            ProjectFolder = Path.Combine(work, Name);
            Directory.CreateDirectory(Hive);
            Directory.CreateDirectory(work);
            var environment = new Dictionary<string, string> { ["DOTNET_CLI_HOME"] = Path.Combine(folder, "home") };
            string[] hive = ["--debug:custom-hive", Hive];

            CommandResult New(string directory, params string[] arguments) =>
                Command.Run("dotnet", new[] { "new" }.Concat(arguments).Concat(hive), directory, Timeout, environment);

            CommandResult install = New(work, "install", packed.TemplatePackagePath);
            CommandResult create = New(work, "unikraft-console", "-o", Name, "--no-update-check");
            CommandResult? run = null;
            CommandResult? restoreAfterRun = null;
            if (create.ExitCode == 0)
            {
                packed.WriteNuGetConfig(ProjectFolder);
                File.Copy(Path.Combine(Repository.Root, "global.json"), Path.Combine(ProjectFolder, "global.json"));
                run = Command.Run("dotnet", new[] { "run", "-nodeReuse:false" }, ProjectFolder, Timeout, environment);
                restoreAfterRun = Command.Run("dotnet", new[] { "restore", "-nodeReuse:false" }, ProjectFolder, Timeout, environment);
            }
            CommandResult uninstall = New(work, "uninstall", "Unikraft.Gen.Templates");
            CommandResult createAfterUninstall = New(work, "unikraft-console", "-o", Name + "Again", "--no-update-check");
            return new Steps(install, create, run, restoreAfterRun, uninstall, createAfterUninstall);
        }

        internal sealed record Steps(CommandResult Install, CommandResult Create, CommandResult? Run, CommandResult? RestoreAfterRun, CommandResult Uninstall, CommandResult CreateAfterUninstall);
    }
}
