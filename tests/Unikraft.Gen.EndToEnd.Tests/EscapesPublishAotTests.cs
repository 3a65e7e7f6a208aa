namespace Unikraft.Gen.EndToEnd.Tests;

using System;
using System.IO;
using System.Linq;
using Xunit;

// The hostfs sandbox against the BCL's own file APIs in a NativeAOT image: '..' above the root,
// and a symbolic link in the host folder that points outside it, tried through StreamReader,
// FileInfo, DirectoryInfo enumeration, FileStream and FileInfo.CopyTo. The kernel resolves every
// name in its own tree, so each attempt fails as a missing name would, and a sentinel folder
// outside is neither read nor changed.
public sealed class EscapesPublishAotTests : IClassFixture<EscapesPublishAotTests.AotPublish>
{
    private const string Program = "tests/Unikraft.Gen.EndToEnd.Tests/Programs/Escapes";

    private readonly AotPublish publish;

    public EscapesPublishAotTests(AotPublish publish)
    {
        this.publish = publish;
    }

    [Fact]
    public void Escapes_PublishAot_EveryAttemptThroughTheBcl_StaysInside()
    {
        string data = Path.Combine(Repository.Root, Program, "data");
        string sentinel = Path.Combine(publish.Folder, "sentinel");
        string link = Path.Combine(data, "outside");
        string inside = Path.Combine(data, "inside.txt");
        Directory.CreateDirectory(sentinel);
        File.WriteAllText(Path.Combine(sentinel, "secret.txt"), "top secret\n");
        File.WriteAllText(inside, "hello inside\n");
        File.Delete(link);
        File.CreateSymbolicLink(link, sentinel);
        try
        {
            string trace = Path.Combine(publish.Folder, "strace.txt");
            CommandResult run = Command.Run("strace", ["-f", "-o", trace, "-e", "trace=%file", Path.Combine(publish.PublishPath, "Escapes")],
                publish.Folder, TimeSpan.FromMinutes(2));

            Assert.True(run.ExitCode == 0, run.Describe());
            Assert.Equal(
                "dotdot: DirectoryNotFoundException\n" +
                "exists-through-link: False\n" +
                "read-through-link: DirectoryNotFoundException\n" +
                "list-through-link: DirectoryNotFoundException\n" +
                "create-through-link: DirectoryNotFoundException\n" +
                "copy-out: DirectoryNotFoundException\n" +
                "link-is-a-link: True\n" +
                "inside: hello inside\n\n",
                run.StandardOutput);
            Assert.Equal(new[] { Path.Combine(sentinel, "secret.txt") }, Directory.GetFileSystemEntries(sentinel));
            Assert.Equal("top secret\n", File.ReadAllText(Path.Combine(sentinel, "secret.txt")));

            // The host read the link's text (readlinkat, beneath the folder's descriptor) and never
            // looked the sentinel up by its name.
            string[] touched = File.ReadAllLines(trace)
                .Where(line => line.Contains(sentinel, StringComparison.Ordinal) && !line.Contains("readlinkat(", StringComparison.Ordinal))
                .ToArray();
            Assert.True(touched.Length == 0, "The host was asked for the sentinel:\n" + string.Join("\n", touched));
        }
        finally
        {
            File.Delete(link);
            File.Delete(inside);
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
