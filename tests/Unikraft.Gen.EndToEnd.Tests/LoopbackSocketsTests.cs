namespace Unikraft.Gen.EndToEnd.Tests;

using Xunit;

// A program with sockets and no <UnikraftNet> item, built as `dotnet run` builds it: the kernel's
// loopback carries its TCP and UDP (the generator keeps the native layer's socket functions for
// the network types the program names), and an address beyond the loopback is unreachable, as
// UK0501 says. No root and no device needed: nothing leaves the process.
public sealed class LoopbackSocketsTests : IClassFixture<LoopbackSocketsTests.Build>
{
    private const string Program = "tests/Unikraft.Gen.EndToEnd.Tests/Programs/LoopbackChat";

    private readonly Build build;

    public LoopbackSocketsTests(Build build)
    {
        this.build = build;
    }

    [Fact]
    public void ProgramTalksToItself_OverTheKernelsLoopback()
    {
        CommandResult result = build.RunWithDotnet();

        Assert.True(result.ExitCode == 0, result.Describe());
        // The same output as in the program suite, which also runs it as a NativeAOT image.
        SuiteProgram chat = System.Array.Find(ProgramSuiteTests.Suite, p => p.Name == "LoopbackChat")!;
        Assert.Equal(
            chat.Steps[0].Expected,
            result.StandardOutput);
    }

    [Fact]
    public void Manifest_HasTheSocketsButNoInterface()
    {
        build.EnsureSucceeded();
        string manifest = System.IO.File.ReadAllText(build.OutputFile("LoopbackChat.kernel.txt"));

        Assert.Contains("[native layer]  SystemNative_Socket", manifest);
        Assert.DoesNotContain("NetBoot.Attach", manifest);
    }

    public sealed class Build : SampleBuild
    {
        public Build()
            : base(Program, "loopback", "build")
        {
        }
    }
}
