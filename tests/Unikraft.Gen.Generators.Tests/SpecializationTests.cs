using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Emit;
using Xunit;
using Xunit.Abstractions;

namespace Unikraft.Gen.Tests;

// Specialization checked against reality: each test program runs on its emitted kernel with the
// syscall trace on. No syscall it makes may be missing from its kernel (no -ENOSYS at run time),
// and the test reports the syscalls its kernel holds that it never made (the over-approximation).
public sealed class SpecializationTests
{
    private static readonly Regex TraceLine = new(@"^\[uk\] syscall (?<name>[a-z_0-9]+) = (?<result>\S+)", RegexOptions.Multiline);

    private readonly ITestOutputHelper _output;

    public SpecializationTests(ITestOutputHelper output)
    {
        _output = output;
    }

    public static TheoryData<string, int, string> Programs() => new()
    {
        { "Hello", 0, "Hello, world!\n" },
        { "SleepAndRandom", 0, "rolled a die\n" },
        { "AsyncTasks", 0, "answer 42, one thread: True\n" },
        { "EnvironmentAndExit", 3, "value from-the-host\n" },
        { "ClassicMain", 0, "classic main with 2\n" },
        { "KernelApiDirect", 0, "clock works\nmonotonic works\n" },
        { "UnusualSyntax", 0, "hello from a local function\nlambda\n42\npartial class\n" },
        { "ClashingNames", 0, "program-kernel 7 2 0 1\n" },
        { "ReadOnlyFiles", 0, "exists: False, /dev/null holds 0 characters\n" },
        { "ReadWriteFiles", 0, "/tmp/work/a.txt = ants\n/tmp/work/b.txt = bee\nb exists after delete: False\n" },
        { "KernelStreams", 0, "ants wasps\n" },
    };

    [Fact]
    public void EveryTestProgram_HasAnExpectedRun()
    {
        Assert.Equal(GeneratorHarness.ProgramNames.OrderBy(n => n), Programs().Select(row => (string)row[0]).OrderBy(n => n));
    }

    [Theory]
    [MemberData(nameof(Programs))]
    public async System.Threading.Tasks.Task TracedRun_MakesNoSyscallMissingFromItsKernel(string program, int expectedStatus, string expectedOutput)
    {
        GeneratorHarness.Result result = GeneratorHarness.RunProgram(program);
        Assert.Empty(result.Problems);

        using var built = new BuiltProgram(result, program);
        (int status, string stdout, string stderr) = await built.RunAsync(
            new Dictionary<string, string> { ["UNIKRAFT_TRACE"] = "1", ["UNIKRAFT_TEST_VALUE"] = "from-the-host" }, "first", "second");

        Assert.True(expectedOutput == stdout, $"stdout was:\n{stdout}\nstderr was:\n{stderr}");
        Assert.Equal(expectedStatus, status);
        Assert.DoesNotContain("reached but not in this kernel", stderr);

        var made = new SortedSet<string>(StringComparer.Ordinal);
        foreach (Match match in TraceLine.Matches(stderr))
        {
            Assert.True(match.Groups["result"].Value != "-ENOSYS", $"{match.Groups["name"].Value} returned -ENOSYS: missing from the kernel\n{stderr}");
            made.Add(match.Groups["name"].Value);
        }

        Assert.NotEmpty(made);
        IReadOnlyList<string> inKernel = result.ImplementedSyscalls;
        Assert.All(made, name => Assert.Contains(name, inKernel));
        string[] neverMade = inKernel.Where(name => !made.Contains(name)).ToArray();
        _output.WriteLine($"{program}: kernel holds {inKernel.Count} syscalls, the run made {made.Count}: {string.Join(", ", made)}");
        _output.WriteLine($"{program}: over-approximation {neverMade.Length} never made: {(neverMade.Length == 0 ? "none" : string.Join(", ", neverMade))}");
    }
}
