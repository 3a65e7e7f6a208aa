namespace Unikraft.Gen.EndToEnd.Tests;

using System.IO;
using Xunit;

// samples/Notes: a program whose file calls are all in a library built with the generator
// (samples/Notes.Storage). The library's calls must reach the program's kernel (its ramfs at
// /notes, which the host does not have), and the program's kernel must hold what the library needs,
// with the library as the reason.
public sealed class NotesTests : IClassFixture<NotesTests.DebugBuild>
{
    private readonly DebugBuild build;

    public NotesTests(DebugBuild build)
    {
        this.build = build;
    }

    [Fact]
    public void Notes_Run_LibraryWritesAndReadsThroughTheProgramsKernel()
    {
        CommandResult run = build.RunWithDotnet();

        Assert.True(run.ExitCode == 0, run.Describe());
        Assert.Equal("stored first\nwritten by a library, kept in the kernel's ramfs\n", run.StandardOutput);

        // On the host the library's calls would have failed: there is no /notes folder to write into.
        Assert.False(File.Exists("/notes/first.txt"), "the library wrote to the host's /notes, not the kernel's ramfs");
    }

    [Fact]
    public void Notes_Manifest_NamesTheLibraryAsTheReason()
    {
        KernelManifest manifest = KernelManifest.Load(build.OutputFile("Notes.kernel.txt"));

        foreach (string syscall in new[] { "openat", "read", "write", "close" })
        {
            Assert.Contains(syscall, manifest.ImplementedSyscalls);
        }

        Assert.Contains("ramfs", manifest.Libraries);
        Assert.Contains("[Notes.Storage] NoteStore.cs:11  File.WriteAllText(string, string?) (needed by library Notes.Storage)", manifest.Text);
        Assert.Contains("FileWrite  on", manifest.Text);
        Assert.DoesNotContain("LEFT OUT", manifest.Text);
    }

    public sealed class DebugBuild : SampleBuild
    {
        public DebugBuild()
            : base("Notes", "debug", "build")
        {
        }
    }
}
