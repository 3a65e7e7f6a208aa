namespace Unikraft.Gen.EndToEnd.Tests;

using System;
using System.IO;
using System.Linq;
using Xunit;

// A program whose file I/O is all inside an ordinary class library built without the generator
// (Programs/PlainJournal). Interceptors never see compiled code; in the NativeAOT image the
// library's StreamWriter, FileInfo and File calls reach the kernel through the native layer: the
// journal lands in the hostfs folder, the scratch file in the kernel's ramfs, not the host's /tmp.
public sealed class LibraryIoPublishAotTests : IClassFixture<LibraryIoPublishAotTests.AotPublish>
{
    private const string Program = "tests/Unikraft.Gen.EndToEnd.Tests/Programs/LibraryIo";

    private readonly AotPublish publish;

    public LibraryIoPublishAotTests(AotPublish publish)
    {
        this.publish = publish;
    }

    private static string JournalFolder => Path.Combine(Repository.Root, Program, "data", "journal");

    [Fact]
    public void LibraryIo_PublishAot_APlainLibrarysFileCallsReachTheKernel()
    {
        Directory.CreateDirectory(JournalFolder);
        Directory.Delete(JournalFolder, recursive: true);
        string trace = Path.Combine(publish.Folder, "strace.txt");
        try
        {
            CommandResult first = publish.RunPublished();
            Assert.True(first.ExitCode == 0, first.Describe());
            Assert.Equal("run 1 (6 bytes)\nscratch: 2 entries\n", first.StandardOutput);
            Assert.Equal("run 1\n", File.ReadAllText(Path.Combine(JournalFolder, "log.txt")));

            CommandResult second = Command.Run("strace", ["-f", "-o", trace, "-e", "trace=%file", Path.Combine(publish.PublishPath, "LibraryIo")],
                publish.Folder, TimeSpan.FromMinutes(2));
            Assert.True(second.ExitCode == 0, second.Describe());
            Assert.Equal("run 1,run 2 (12 bytes)\nscratch: 2 entries\n", second.StandardOutput);

            // The host never sees the program's paths: only names beneath the hostfs folder's descriptor.
            string[] lines = File.ReadAllLines(trace);
            foreach (string path in new[] { "\"/tmp/scratch", "\"/data/", "notes.txt" })
            {
                string[] hits = lines.Where(line => line.Contains(path, StringComparison.Ordinal)).ToArray();
                Assert.True(hits.Length == 0, "The host saw " + path + ":\n" + string.Join("\n", hits));
            }
        }
        finally
        {
            if (Directory.Exists(JournalFolder))
            {
                Directory.Delete(JournalFolder, recursive: true);
            }
        }
    }

    public sealed class AotPublish : SampleBuild
    {
        public AotPublish()
            : base(Program, "aot", "publish", "-c", "Release", "-r", "linux-x64", "-o", "{publish}")
        {
        }
    }
}
