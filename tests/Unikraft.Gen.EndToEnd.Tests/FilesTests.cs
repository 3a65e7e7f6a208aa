namespace Unikraft.Gen.EndToEnd.Tests;

using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Xunit;

// samples/Files: plain System.IO calls on an initrd at / (read-only), a hostfs at /data and a ramfs
// at /tmp. Built once with `dotnet build`, run with `dotnet run`.
public sealed class FilesTests : IClassFixture<FilesTests.DebugBuild>
{
    private readonly DebugBuild build;

    public FilesTests(DebugBuild build)
    {
        this.build = build;
    }

    private static string VisitsLog => Path.Combine(Repository.Sample("Files"), "data", "visits.log");

    [Fact]
    public void Files_Run_ReadsTheInitrd_KeepsALogOnTheHost_ListsTmp()
    {
        File.Delete(VisitsLog);
        try
        {
            CommandResult first = build.RunWithDotnet(new Dictionary<string, string> { ["UNIKRAFT_TRACE"] = "1" });
            Assert.True(first.ExitCode == 0, first.Describe());
            Assert.Equal(
                "Hello from the initrd.\nvisits so far: 1\n/tmp/scratch/a.txt: first\n/tmp/scratch/b.txt: second\n",
                first.StandardOutput);
            Assert.DoesNotContain(first.ErrorLines, line => line.Contains("reached but not in this kernel", StringComparison.Ordinal)
                || line.EndsWith("= -ENOSYS", StringComparison.Ordinal));

            CommandResult second = build.RunWithDotnet();
            Assert.True(second.ExitCode == 0, second.Describe());
            Assert.Contains("visits so far: 2\n", second.StandardOutput);

            // The host folder really holds what the kernel wrote through hostfs.
            Assert.Equal("visit 1\nvisit 2\n", File.ReadAllText(VisitsLog));
        }
        finally
        {
            File.Delete(VisitsLog);
        }
    }

    [Fact]
    public void Files_Manifest_HoldsTheThreeMountsAndTheWritePath()
    {
        KernelManifest manifest = KernelManifest.Load(build.OutputFile("Files.kernel.txt"));

        foreach (string library in new[] { "vfs", "ramfs", "initrd", "hostfs" })
        {
            Assert.Contains(library, manifest.Libraries);
        }

        foreach (string syscall in new[] { "openat", "read", "write", "mkdirat", "getdents64" })
        {
            Assert.Contains(syscall, manifest.ImplementedSyscalls);
        }

        Assert.Contains("FileWrite  on", manifest.Text);
        Assert.DoesNotContain("LEFT OUT", manifest.Text);
    }

    [Fact]
    public void Files_InitrdArchive_IsByteIdenticalAcrossBuilds()
    {
        build.EnsureSucceeded();
        string first = Archive(build.ArtifactsPath);
        using var again = new DebugBuild();
        again.EnsureSucceeded();
        string second = Archive(again.ArtifactsPath);

        Assert.Equal(File.ReadAllBytes(first), File.ReadAllBytes(second));

        // The system's cpio reads it as the newc archive of the folder.
        CommandResult list = Command.Run("sh", new[] { "-c", "cpio -it < '" + first + "'" }, build.Folder, TimeSpan.FromMinutes(1), null);
        Assert.True(list.ExitCode == 0, list.Describe());
        Assert.Contains("etc/motd", list.StandardOutput.Split('\n'));
    }

    [Fact]
    public void Explain_NamesTheCallSitesThatNeedASyscall_AndRefusesWhatTheKernelLeftOut()
    {
        build.EnsureSucceeded();
        CommandResult explained = build.BuildOnce("-t:UnikraftExplain", "-p:UnikraftExplain=mkdirat");
        Assert.True(explained.ExitCode == 0, explained.Describe());
        Assert.Contains("Why 'mkdirat' is in the kernel", explained.StandardOutput);
        Assert.Contains("Program.cs:11  Directory.CreateDirectory(string)", explained.StandardOutput);

        // A syscall the program never needs is not in its kernel at all, not even as a stub (the
        // app-facing API is pruned with the kernel). (Not renameat2 any more: the BCL's
        // SystemNative_Rename needs it, and under dotnet run the native layer serves the BCL.)
        CommandResult leftOut = build.BuildOnce("-t:UnikraftExplain", "-p:UnikraftExplain=dup3");
        Assert.NotEqual(0, leftOut.ExitCode);
        Assert.Contains("holds no syscall, device, library, feature or mount named 'dup3'", leftOut.StandardOutput);

        CommandResult unknown = build.BuildOnce("-t:UnikraftExplain", "-p:UnikraftExplain=nfs");
        Assert.NotEqual(0, unknown.ExitCode);
        Assert.Contains("holds no syscall, device, library, feature or mount named 'nfs'", unknown.StandardOutput);
    }

    private static string Archive(string artifacts)
    {
        string[] found = Directory.GetFiles(Path.Combine(artifacts, "obj"), "initrd_.cpio", SearchOption.AllDirectories);
        Assert.True(found.Length == 1, "Expected one initrd_.cpio under " + artifacts + ", found " + found.Length);
        return found[0];
    }

    // The kernel report beside the build output, rendered by headless Chromium: the library graph
    // (inline SVG, one box per library the manifest keeps) and the tables are on the page, and the
    // screenshot is kept as an artefact of the test run (bin/.../artefacts/Files.kernel.png).
    [ChromiumFact]
    public void Files_Build_WritesAKernelReport_ThatChromiumRenders()
    {
        Assert.True(Chromium.Path is not null, "CI=true, and chromium is not installed: apt-get install chromium (.ci/run does)");
        string report = build.OutputFile("Files.kernel.html");
        KernelManifest manifest = KernelManifest.Load(build.OutputFile("Files.kernel.txt"));
        Assert.Contains("kernel report: " + report, build.Result!.StandardOutput, StringComparison.Ordinal);

        string dom = Chromium.DumpDom(report);
        Assert.Contains("<svg id=\"library-graph\"", dom, StringComparison.Ordinal);
        var boxes = System.Text.RegularExpressions.Regex.Matches(dom, "<g class=\"library\">.*?<text[^>]*>([^<]+)</text>")
            .Select(match => match.Groups[1].Value).Where(label => label != "program").ToList();
        Assert.Equal(manifest.Libraries.OrderBy(n => n, StringComparer.Ordinal), boxes.OrderBy(n => n, StringComparer.Ordinal));
        foreach (string table in new[] { "libraries", "syscalls", "devices", "mounts" })
        {
            Assert.Contains("<table id=\"" + table + "\">", dom, StringComparison.Ordinal);
        }
        // Syscalls present and stubbed, as the manifest has them, with the call sites.
        foreach (string syscall in manifest.ImplementedSyscalls)
        {
            Assert.Matches("<tr class=\"present\"><td>\\d+</td><td><code>" + syscall + "</code>", dom);
        }
        foreach (string syscall in manifest.StubbedSyscalls)
        {
            Assert.Matches("<tr class=\"stub\"><td>\\d+</td><td><code>" + syscall + "</code>", dom);
        }
        Assert.Contains("Program.cs:4 File.ReadAllText(string)", dom, StringComparison.Ordinal);
        // Mounts with sizes: the initrd's archive as packed, the ramfs's limit.
        Assert.Matches("<td><code>/</code></td><td>initrd, read-only</td><td>[\\d,]+ B \\(cpio archive in the program\\)</td>", dom);
        Assert.Contains("<td><code>/tmp</code></td><td>ramfs</td><td>16 MiB limit</td>", dom, StringComparison.Ordinal);
        Assert.Contains("id=\"runtime-features\"", dom, StringComparison.Ordinal);
        Assert.Contains("<ul id=\"change-list\"", dom, StringComparison.Ordinal);

        string artefacts = Path.Combine(AppContext.BaseDirectory, "artefacts");
        Directory.CreateDirectory(artefacts);
        string png = Path.Combine(artefacts, "Files.kernel.png");
        Chromium.Screenshot(report, png);
        byte[] header = File.ReadAllBytes(png)[..8];
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A }, header);
        Assert.True(new FileInfo(png).Length > 20_000, "The screenshot is nearly empty: " + png);
    }

    public sealed class DebugBuild : SampleBuild
    {
        public DebugBuild()
            : base("Files", "debug", "build")
        {
        }
    }
}
