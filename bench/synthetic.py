#!/usr/bin/env python3
"""Writes a synthetic C# program of N source files (default 1,000) for the build and generator
benchmarks (bench/ide-perf.sh, bench/GeneratorPerf).

The program is ordinary C# that calls the BCL throughout: Console.WriteLine, File.ReadAllText and
File.WriteAllText under /tmp (a ramfs mount on the kernel), Thread.Sleep, Task.Delay and Task.Run,
Random.Shared.Next, Environment.GetEnvironmentVariable; and between those calls, classes whose
methods call each other across files, records, generics and some LINQ. Every call the generator
intercepts is a plain BCL call, so the same sources build with and without the generator.

One file in ten (Module0010.cs, Module0020.cs, ...) calls nothing the kernel serves: an edit there
is an "unrelated edit". Each of them holds `public const int Limit = <n>;`, the constant the
generator benchmark changes.

Usage: synthetic.py OUTPUT_FOLDER [FILES]
Writes Program.cs and Module0001.cs ... into OUTPUT_FOLDER (FILES - 1 modules plus Program.cs).
The output depends only on FILES, so two runs give the same bytes.
"""
import os
import sys

# What each module does, by its number modulo 10. Kind 0 calls nothing the kernel serves.
KINDS = ["pure", "console", "files", "sleep", "async", "random", "environment", "records", "mixed", "generic"]


def pure_module(i: int) -> str:
    return f"""
    // Calls nothing the kernel serves: the unrelated-edit target of the generator benchmark.
    internal static class Limits{i:04d}
    {{
        public const int Limit = {i % 97 + 3};

        public static int Clamp(int value) => Math.Min(Math.Max(value, 0), Limit);
    }}

    internal static partial class Module{i:04d}
    {{
        public static int Run(int seed)
        {{
            var values = Enumerable.Range(seed, Limits{i:04d}.Limit).Select(v => v * 3 + 1).Where(v => v % 2 == 0).ToList();
            var pair = new Pair{i:04d}<int, string>(values.Count, "m{i}");
            return Limits{i:04d}.Clamp(pair.First) + Compute(seed) + pair.Second.Length;
        }}
    }}
"""


def kind_body(kind: str, i: int) -> str:
    """The statements of Run(seed) that touch the kernel, for one module kind."""
    if kind == "console":
        return f"""            Console.WriteLine("module {i}: " + Compute(seed));
            Console.WriteLine($"module {i} seed {{seed}}");"""
    if kind == "files":
        return f"""            File.WriteAllText("/tmp/module{i:04d}.txt", "value " + Compute(seed));
            string text = File.ReadAllText("/tmp/module{i:04d}.txt");
            if (File.Exists("/tmp/module{i:04d}.txt"))
            {{
                seed += text.Length;
            }}"""
    if kind == "sleep":
        return """            Thread.Sleep(1);"""
    if kind == "async":
        # Started here, awaited by Program.cs: blocking on a task (Wait, Result) is UK0001.
        return """            Background.Pending.Add(Task.Delay(1));
            Background.Pending.Add(Task.Run(() => Compute(seed)));"""
    if kind == "random":
        return """            seed += Random.Shared.Next(100);
            seed += Random.Shared.Next(1, 6);"""
    if kind == "environment":
        return f"""            string? home = Environment.GetEnvironmentVariable("MODULE_{i:04d}");
            seed += home?.Length ?? 0;"""
    if kind == "records":
        return f"""            var item = new Item{i:04d}("item {i}", seed, new[] {{ 1, 2, 3 }});
            Console.WriteLine(item with {{ Weight = seed + 1 }});"""
    if kind == "mixed":
        return f"""            File.WriteAllText("/tmp/mixed{i:04d}.txt", string.Join(",", Enumerable.Range(0, 5)));
            Console.WriteLine(File.ReadAllText("/tmp/mixed{i:04d}.txt").Split(',').Length);"""
    if kind == "generic":
        return f"""            var box = new Box{i:04d}<string>("m{i}");
            Console.WriteLine(box.Map(s => s.Length).Value + Random.Shared.Next(10));"""
    raise ValueError(kind)


def kernel_module(i: int, kind: str) -> str:
    return f"""
    internal static partial class Module{i:04d}
    {{
        public static int Run(int seed)
        {{
{kind_body(kind, i)}
            return Compute(seed) + Module{i:04d}.Helper(seed);
        }}
    }}
"""


def module(i: int) -> str:
    kind = KINDS[i % len(KINDS)]
    group = i // 50
    previous = f"Synthetic.Group{(i - 1) // 50:02d}.Module{i - 1:04d}.Compute(seed - 1)" if i > 1 else "seed"
    body = pure_module(i) if kind == "pure" else kernel_module(i, kind)
    return f"""// Synthetic module {i} ({kind}); written by bench/synthetic.py.
namespace Synthetic.Group{group:02d}
{{
    internal sealed record Item{i:04d}(string Name, int Weight, IReadOnlyList<int> Parts)
    {{
        public int Total => Parts.Sum() * Weight;
    }}

    internal readonly record struct Pair{i:04d}<TFirst, TSecond>(TFirst First, TSecond Second);

    internal sealed class Box{i:04d}<T>
        where T : notnull
    {{
        public Box{i:04d}(T value)
        {{
            Value = value;
        }}

        public T Value {{ get; }}

        public Box{i:04d}<TResult> Map<TResult>(Func<T, TResult> map)
            where TResult : notnull => new(map(Value));
    }}

    internal static partial class Module{i:04d}
    {{
        public static int Compute(int seed)
        {{
            if (seed <= 0)
            {{
                return 1;
            }}

            var items = new List<Item{i:04d}>
            {{
                new("a", seed, new[] {{ 1, 2 }}),
                new("b", seed + 1, new[] {{ 3 }}),
            }};
            int total = items.Where(x => x.Weight > 0).OrderBy(x => x.Name).Sum(x => x.Total);
            return (total + Helper(seed)) % 1000;
        }}

        internal static int Helper(int seed) => seed <= 1 ? 0 : {previous} % 7;
    }}
{body}}}
"""


def program(files: int) -> str:
    calls = "\n".join(
        f"total += Synthetic.Group{i // 50:02d}.Module{i:04d}.Run({i});" for i in range(1, files)
    )
    return f"""// The synthetic program's entry point; written by bench/synthetic.py.
int total = 0;
{calls}
Console.WriteLine("total " + total);
await Task.WhenAll(Synthetic.Background.Pending);
await Task.Delay(1);

namespace Synthetic
{{
    // The tasks the modules start, awaited once all of them ran.
    internal static class Background
    {{
        public static readonly List<Task> Pending = new();
    }}
}}
"""


def main() -> int:
    if len(sys.argv) not in (2, 3):
        print("usage: synthetic.py OUTPUT_FOLDER [FILES]", file=sys.stderr)
        return 2
    folder = sys.argv[1]
    files = int(sys.argv[2]) if len(sys.argv) == 3 else 1000
    if files < 2:
        print("synthetic.py: FILES must be at least 2", file=sys.stderr)
        return 2
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "Program.cs"), "w", encoding="utf-8", newline="\n") as out:
        out.write(program(files))
    for i in range(1, files):
        with open(os.path.join(folder, f"Module{i:04d}.cs"), "w", encoding="utf-8", newline="\n") as out:
            out.write(module(i))
    return 0


if __name__ == "__main__":
    sys.exit(main())
