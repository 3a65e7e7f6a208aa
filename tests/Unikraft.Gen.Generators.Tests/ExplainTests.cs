using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Xunit;

namespace Unikraft.Gen.Tests;

// What UnikraftExplain prints is the manifest's entry for a name, and every chain in it (a
// library's "needed by", a device's "<-", a syscall kernel code needs) must end at the program: a
// call site, or the reason the plan records for what the boot or the native layer needs (the
// mount item in the project file, the entry point, the boot banner) — never at a library's own
// boot step, which would explain a library by itself.
public sealed class ExplainTests
{
    public static TheoryData<string, string> Programs()
    {
        var data = new TheoryData<string, string>();
        foreach (string program in GeneratorHarness.ProgramNames)
        {
            data.Add(program, "hosted");
            data.Add(program, "sim");
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Programs))]
    public void EveryChain_EndsAtTheProgram(string program, string platform)
    {
        var properties = new Dictionary<string, string>(GeneratorHarness.ProgramProperties(program)) { ["UnikraftPlatform"] = platform };
        GeneratorHarness.Result result = GeneratorHarness.Run(GeneratorHarness.Program(program), properties);

        Assert.Empty(result.Problems);
        AssertChainsEndAtTheProgram(result.Manifest);
    }

    [Fact]
    public void Time_IsExplainedByTheCallSiteThatSleeps()
    {
        GeneratorHarness.Result result = GeneratorHarness.RunProgram("SleepAndRandom");

        AssertChainsEndAtTheProgram(result.Manifest);
        string clock = Entry(result.Manifest, "Devices", "clock");
        Assert.StartsWith("Sys.Nanosleep (planned: Program.cs:2 Thread.Sleep(int))", clock.Substring(clock.IndexOf("<- ", StringComparison.Ordinal) + 3));
        Assert.Contains("ClockBoot.AttachClock", clock);
    }

    [Fact]
    public void Time_NeededByATimer_NamesTheCallSite_NotItsBootStep()
    {
        // Task.Delay arms a timer (uk_timer_arm, library sched), which reads the clock: time
        // provides no syscall here, so its entry says what needs it.
        GeneratorHarness.Result result = GeneratorHarness.Run(GeneratorHarness.Compilation(new[] { ("Program.cs", "await Task.Delay(1);\nConsole.WriteLine(1);\n") }));

        Assert.Empty(result.Problems);
        AssertChainsEndAtTheProgram(result.Manifest);
        string time = Entry(result.Manifest, "Libraries", "time");
        Assert.True(time.Contains("needed by Sys.UkTimerArm (planned: Program.cs:1 Task.Delay(int))", StringComparison.Ordinal), result.Manifest);
    }

    [Fact]
    public void HostFs_IsExplainedByItsMountItem_AndTheCallSiteThatReadsIt()
    {
        string folder = Path.Combine(Path.GetTempPath(), "unikraft-gen-tests", "explain-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        try
        {
            GeneratorHarness.Result result = GeneratorHarness.Run(
                GeneratorHarness.Compilation(new[] { ("Program.cs", "Console.WriteLine(File.ReadAllText(\"/data/a.txt\"));\n") }),
                new Dictionary<string, string> { ["UnikraftMounts"] = "/|ramfs|||>/data|hostfs|" + folder + "|true|" });

            Assert.Empty(result.Problems);
            AssertChainsEndAtTheProgram(result.Manifest);
            string hostfs = Entry(result.Manifest, "Libraries", "hostfs");
            Assert.Contains("UnikraftMount '/data' in the project file", hostfs);
            Assert.Contains("Program.cs:1", hostfs);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    // The lines of one entry of a manifest section: "clock  HostedClock  <- ..." with what follows it.
    private static string Entry(string manifest, string section, string name)
    {
        List<string> lines = Body(manifest);
        int start = lines.IndexOf(section);
        Assert.True(start >= 0, "no section " + section + " in\n" + manifest);
        for (int index = start + 1; index < lines.Count && lines[index].StartsWith("  ", StringComparison.Ordinal); index++)
        {
            if (lines[index].StartsWith("  " + name + " ", StringComparison.Ordinal) || lines[index] == "  " + name)
            {
                var entry = new List<string> { lines[index] };
                for (int next = index + 1; next < lines.Count && lines[next].StartsWith("      ", StringComparison.Ordinal); next++)
                {
                    entry.Add(lines[next]);
                }

                return string.Join("\n", entry);
            }
        }

        Assert.Fail("no " + name + " in " + section + ":\n" + manifest);
        return "";
    }

    private static List<string> Body(string manifest) =>
        manifest.Split('\n')
            .SkipWhile(l => l != "// BEGIN MANIFEST").Skip(1)
            .TakeWhile(l => l != "// END MANIFEST")
            .Select(l => l.Length <= 3 ? "" : l.Substring(3))
            .ToList();

    // Every chain: a device's "<- chain", a library's "needed by chain", a syscall's "kernel: chain".
    // Its first link is the root; the root's reason must be the program's or the plan's.
    private static void AssertChainsEndAtTheProgram(string manifest)
    {
        var chains = new List<string>();
        foreach (string line in Body(manifest))
        {
            foreach (string marker in new[] { "  <- ", "needed by ", "kernel: " })
            {
                int at = line.IndexOf(marker, StringComparison.Ordinal);
                if (at >= 0)
                {
                    chains.Add(line.Substring(at + marker.Length));
                    break;
                }
            }
        }

        Assert.NotEmpty(chains);
        foreach (string chain in chains)
        {
            Assert.DoesNotContain("boot step of library", chain);
            int open = chain.IndexOf(" (", StringComparison.Ordinal);
            int arrow = chain.IndexOf(" -> ", StringComparison.Ordinal);
            Assert.True(open >= 0 && (arrow < 0 || open < arrow), "the chain does not start at a root with a reason: " + chain);
            string reason = chain.Substring(open + 2);
            bool atProgram = reason.StartsWith("planned: Program.cs:", StringComparison.Ordinal)
                || reason.StartsWith("app-facing API: Program.cs:", StringComparison.Ordinal)
                || reason.StartsWith("boot: ", StringComparison.Ordinal)
                || reason.StartsWith("native layer: serves ", StringComparison.Ordinal);
            Assert.True(atProgram, "the chain does not end at the program or a reason of the plan: " + chain);
        }
    }
}
