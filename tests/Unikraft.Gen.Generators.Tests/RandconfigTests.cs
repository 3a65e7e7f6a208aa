using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using Microsoft.CodeAnalysis;
using Xunit;

namespace Unikraft.Gen.Tests;

// A "randconfig" for this kernel, after Linux's: random programs, each a random mix of the calls
// the kernel serves, under random settings (platform, mounts, banner, nullable). Every one must
// get a kernel that compiles without a warning, and no generator exception or diagnostic.
// UNIKRAFT_RANDCONFIG_SEEDS=<n> runs more; a failure names its seed and prints its program.
public sealed class RandconfigTests
{
    // Statements a program may contain, each with the mounts it needs.
    private static readonly (string Code, bool NeedsFiles)[] Snippets =
    {
        ("Console.WriteLine(\"line\");", false),
        ("Console.Write(42);", false),
        ("Console.WriteLine(\"{0} and {1}\", 1, 2);", false),
        ("string? input = Console.ReadLine();", false),
        ("Thread.Sleep(1);", false),
        ("Thread.Sleep(TimeSpan.FromMilliseconds(1));", false),
        ("await Task.Delay(1);", false),
        ("await Task.Run(() => { });", false),
        ("int computed = await Task.Run(() => 6 * 7);", false),
        ("await Task.Run(async () => await Task.Delay(1));", false),
        ("int roll = Random.Shared.Next(6);", false),
        ("long big = Random.Shared.NextInt64(10, 20);", false),
        ("double fraction = Random.Shared.NextDouble();", false),
        ("byte[] noise = new byte[4]; Random.Shared.NextBytes(noise);", false),
        ("string? home = Environment.GetEnvironmentVariable(\"HOME\");", false),
        ("DateTime utc = Unikraft.Kernel.KernelClock.UtcNow;", false),
        ("long ticks = Unikraft.Kernel.KernelClock.TickCount64;", false),
        ("bool there = File.Exists(\"/tmp/a.txt\");", true),
        ("File.WriteAllText(\"/tmp/a.txt\", \"text\");", true),
        ("string read = File.Exists(\"/tmp/a.txt\") ? File.ReadAllText(\"/tmp/a.txt\") : \"\";", true),
        ("File.AppendAllText(\"/tmp/log.txt\", \"more\");", true),
        ("Directory.CreateDirectory(\"/tmp/folder\");", true),
        ("string[] listed = Directory.Exists(\"/tmp\") ? Directory.GetFiles(\"/tmp\") : [];", true),
        ("if (File.Exists(\"/tmp/b.txt\")) File.Delete(\"/tmp/b.txt\");", true),
        ("byte[] bytes = File.Exists(\"/tmp/a.txt\") ? File.ReadAllBytes(\"/tmp/a.txt\") : [];", true),
        ("string computedPath = \"/tmp/\" + DateTimeKind.Utc; bool computedThere = File.Exists(computedPath);", true),
        ("using (var stream = Unikraft.Kernel.KernelFile.Open(\"/tmp/s.bin\", FileMode.Create, FileAccess.Write)) { stream.WriteByte(1); }", true),
        ("await File.WriteAllTextAsync(\"/tmp/async.txt\", \"x\");", true),
    };

    // The program, settings and nullable context of one seed.
    internal static (string Program, Dictionary<string, string> Properties, bool Nullable) Make(int seed)
    {
        var random = new Random(seed);
        var program = new StringBuilder();
        bool needsFiles = false;
        int statements = random.Next(1, 8);
        for (int index = 0; index < statements; index++)
        {
            (string code, bool files) = Snippets[random.Next(Snippets.Length)];
            program.Append("{ ").Append(code).Append(" }\n");
            needsFiles |= files;
        }

        bool nullable = random.Next(2) == 0;
        var properties = new Dictionary<string, string>
        {
            ["UnikraftPlatform"] = random.Next(4) == 0 ? "sim" : "hosted",
            ["UnikraftBootBanner"] = random.Next(2) == 0 ? "true" : "false",
            ["UnikraftMounts"] = needsFiles || random.Next(3) == 0
                ? (random.Next(2) == 0 ? "/|ramfs|||>/tmp|ramfs|||1M" : "/tmp|ramfs|||" + (random.Next(2) == 0 ? ">/dev|devfs|||" : ""))
                : "",
        };
        return (program.ToString(), properties, nullable);
    }

    public static TheoryData<int> Seeds()
    {
        int count = int.TryParse(Environment.GetEnvironmentVariable("UNIKRAFT_RANDCONFIG_SEEDS"), out int parsed) && parsed > 0 ? parsed : 200;
        var data = new TheoryData<int>();
        for (int seed = 1; seed <= count; seed++)
        {
            data.Add(seed);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void RandomFeatureSet_GetsAKernelThatCompilesClean(int seed)
    {
        (string program, Dictionary<string, string> properties, bool nullable) = Make(seed);
        GeneratorHarness.Result result = GeneratorHarness.Run(
            GeneratorHarness.Compilation(new[] { ("Program.cs", program) }, nullable), properties);

        GeneratorRunResult run = result.Run.Results.Single();
        var problems = result.Problems
            .Where(d => !(d.Id == "CS8632" && !nullable))
            .Select(d => d.ToString())
            .ToList();
        if (run.Exception is not null)
        {
            problems.Add("generator threw " + run.Exception);
        }

        Assert.True(problems.Count == 0,
            $"seed {seed} ({string.Join(", ", properties.Select(p => p.Key + "=" + p.Value))}, nullable {nullable}):\n{program}\n{string.Join("\n", problems)}");
    }
}
