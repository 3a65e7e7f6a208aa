#!/usr/bin/env bash
# What the generator and analyzers cost a large program, in one run:
#   1. full builds of a synthetic 1,000-file program (bench/synthetic.py) with our package (the
#      Unikraft.Gen NuGet package, packed from generators/Unikraft.Gen.Package in Release and
#      restored from a folder feed, as a user gets it; a ramfs at /tmp) and of the same sources
#      without it: median build times cold (build servers shut down) and warm, and the ratios;
#   2. the compiler's own analyzer and generator timing (-p:ReportAnalyzer=true) for our build;
#   2b. CPU time of a third build, "output": the plain project plus the generator's output copied
#      in as sources, which splits the difference into compiling the generated source and the rest
#      (generator, analyzers, the package's build steps);
#   3. bench/GeneratorPerf on the same sources: the generator in memory, first run, a run after an
#      unrelated edit with every tracked step's reasons, and a run after an edit that adds a call.
#
# Usage: bench/ide-perf.sh [RUNS] [FILES] [EDITS]
#   RUNS  timed builds of each kind (default 3); FILES  files in the program (default 1000);
#   EDITS timed edits of each kind in GeneratorPerf (default 9).
# Goals (issue 5) are printed as PASS/MISS lines; a missed goal does not fail the script. A build
# that fails, a generator that throws or emits nothing, or a missing tool exits non-zero.
# NOTE: `dotnet build-server shutdown` before each cold build stops every build server of this
# user (MSBuild nodes, the compiler server), other builds' too: they start again on next use.
# BENCH_KEEP=1 keeps the temporary folder (sources, both projects, build logs). BENCH_ONLY_CPU=1
# runs only the CPU-time builds and the ReportAnalyzer build.
set -euo pipefail

runs="${1:-3}"
files="${2:-1000}"
edits="${3:-9}"
for value in "$runs" "$files" "$edits"; do
    if ! [[ "$value" =~ ^[1-9][0-9]*$ ]]; then
        echo "usage: $0 [RUNS] [FILES] [EDITS]   (positive whole numbers; defaults 3 1000 9)" >&2
        exit 2
    fi
done
if ((files < 30)); then
    echo "$0: FILES must be at least 30 (the edits need modules that call nothing the kernel serves)" >&2
    exit 2
fi
command -v python3 >/dev/null || { echo "$0: python3 is needed to write the synthetic program" >&2; exit 1; }

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
results="$repo/bench/out"
work="$(mktemp -d "${TMPDIR:-/tmp}/ide-perf.XXXXXX")"
cleanup() {
    if [[ "${BENCH_KEEP:-0}" == "1" ]]; then
        echo "kept $work" >&2
    else
        rm -rf "$work"
    fi
}
trap cleanup EXIT
mkdir -p "$results"

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

# --- The program, twice: with the generator and analyzers, and without. ----------------------
echo "== writing a synthetic program of $files files" >&2
python3 "$repo/bench/synthetic.py" "$work/src" "$files"
cp "$repo/global.json" "$work/global.json"
mkdir -p "$work/with" "$work/plain"
cp "$work/src/"*.cs "$work/with/"
cp "$work/src/"*.cs "$work/plain/"
# The same settings on both sides; only the imports and the mount differ.
common='    <OutputType>Exe</OutputType>
    <TargetFramework>net10.0</TargetFramework>
    <ImplicitUsings>enable</ImplicitUsings>
    <Nullable>enable</Nullable>'
# The package, with a version of this run's own so that no package cache hands back another build.
version="0.0.0-bench.$(date +%Y%m%d%H%M%S)"
echo "== packing Unikraft.Gen $version (Release)" >&2
dotnet pack "$repo/generators/Unikraft.Gen.Package" -c Release -o "$work/feed" "-p:Version=$version" \
    --artifacts-path "$work/artifacts-pack" >"$work/pack.log" 2>&1 \
    || { tail -n 40 "$work/pack.log" >&2; echo "$0: dotnet pack failed (log: $work/pack.log)" >&2; exit 1; }
cat >"$work/with/nuget.config" <<EOF
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <clear />
    <add key="unikraft" value="$work/feed" />
    <!-- The runtime pack the native layer's JIT route restores (self-contained linux-x64), from
         this machine's package cache: the run's own packages folder starts empty. -->
    <add key="cache" value="${NUGET_PACKAGES:-$HOME/.nuget/packages}" />
  </packageSources>
</configuration>
EOF
cat >"$work/with/Synthetic.csproj" <<EOF
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
$common
    <RestorePackagesPath>$work/packages</RestorePackagesPath>
  </PropertyGroup>
  <ItemGroup>
    <PackageReference Include="Unikraft.Gen" Version="$version" />
    <UnikraftMount Include="/tmp" Type="ramfs" />
  </ItemGroup>
</Project>
EOF
cat >"$work/plain/Synthetic.csproj" <<EOF
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
$common
  </PropertyGroup>
</Project>
EOF

now_ns() { date +%s%N; }

# Every build of a side goes to its own artifacts folder, so nothing lands in the repository's
# bin/ and obj/.
build() { # side, log, extra args...
    local side="$1" log="$2"
    shift 2
    dotnet build "$work/$side/Synthetic.csproj" --no-restore --artifacts-path "$work/artifacts-$side" \
        "$@" >"$log" 2>&1 \
        || { tail -n 40 "$log" >&2; echo "$0: the $side build failed (log: $log)" >&2; exit 1; }
}
clean() { # side
    dotnet clean "$work/$1/Synthetic.csproj" --artifacts-path "$work/artifacts-$1" \
        -v:q >"$work/clean-$1.log" 2>&1 \
        || { cat "$work/clean-$1.log" >&2; echo "$0: cleaning the $1 build failed" >&2; exit 1; }
}

echo "== preparing: restore and a first build of each" >&2
for side in with plain; do
    dotnet build "$work/$side/Synthetic.csproj" --artifacts-path "$work/artifacts-$side" -v:m \
        >"$work/prepare-$side.log" 2>&1 \
        || { tail -n 40 "$work/prepare-$side.log" >&2; echo "$0: the first $side build failed" >&2; exit 1; }
done
# The output folder's name depends on the runtime identifier (debug, or debug_linux-x64 on the
# native layer's JIT route).
manifest="$(find "$work/artifacts-with/bin" -name Synthetic.kernel.txt | head -n 1)"
[[ -s "$manifest" ]] || { echo "$0: the build with the generator wrote no kernel manifest under $work/artifacts-with/bin" >&2; exit 1; }
if [[ -n "$(find "$work/artifacts-plain/bin" -name Synthetic.kernel.txt)" ]]; then
    echo "$0: the build without the generator has a kernel manifest: the plain side is not plain" >&2
    exit 1
fi

# The third side, "output": the plain project plus what the generator wrote for the program (the
# kernel, the interceptors, the boot), copied in as ordinary sources. It has no generator and no
# analyzers: its cost over plain is what compiling the generated source costs, which any design
# that emits the kernel as source pays; the rest of "with" over "output" is the generator, the
# analyzers and the package's build steps.
generated="$(find "$work/artifacts-with/obj" -type d -path '*/generated/Unikraft.Gen.Generators' | head -n 1)"
[[ -n "$generated" ]] || { echo "$0: the build with the generator left no generated sources under $work/artifacts-with/obj" >&2; exit 1; }
mkdir -p "$work/output/generated"
cp "$work/src/"*.cs "$work/output/"
cp -r "$generated/." "$work/output/generated/"
cat >"$work/output/Synthetic.csproj" <<EOF
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
$common
    <InterceptorsNamespaces>\$(InterceptorsNamespaces);Unikraft.Generated</InterceptorsNamespaces>
    <!-- As the package sets it with the native layer (its jump slots take entry points' addresses). -->
    <AllowUnsafeBlocks>true</AllowUnsafeBlocks>
  </PropertyGroup>
</Project>
EOF
output_lines="$(find "$work/output/generated" -name '*.cs' -exec cat {} + | wc -l)"
dotnet build "$work/output/Synthetic.csproj" --artifacts-path "$work/artifacts-output" -v:m \
    >"$work/prepare-output.log" 2>&1 \
    || { tail -n 40 "$work/prepare-output.log" >&2; echo "$0: the first output build failed" >&2; exit 1; }

# Prints one build's wall time in milliseconds.
timed_build() { # side, mode
    local side="$1" mode="$2" start end
    clean "$side"
    if [[ "$mode" == cold ]]; then
        dotnet build-server shutdown >/dev/null 2>&1 || true
    fi
    start="$(now_ns)"
    build "$side" "$work/build-$side-$mode.log" -v:m
    end="$(now_ns)"
    echo $(((end - start) / 1000000))
}

median() { sort -n | awk '{ v[NR] = $1 } END { printf "%d\n", (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# BENCH_ONLY_CPU=1: only the CPU-time builds and the ReportAnalyzer build (about a third of the
# time), for the split of the CPU time when wall times are not wanted.
wall_modes="cold warm"
[[ "${BENCH_ONLY_CPU:-0}" == "1" ]] && wall_modes=""
declare -A samples
for mode in $wall_modes; do
    echo "== $runs $mode builds of each side (clean, then dotnet build; sides alternate)" >&2
    if [[ "$mode" == warm ]]; then
        # One untimed build per side, so the servers hold both sides' analyzers.
        for side in plain with; do timed_build "$side" warm >/dev/null; done
    fi
    for ((run = 1; run <= runs; run++)); do
        for side in plain with; do
            ms="$(timed_build "$side" "$mode")"
            samples[$side-$mode]+="$ms "
            echo "   $mode $side run $run: $ms ms" >&2
        done
    done
done

# --- CPU time: what the machine spent, steadier than wall time on a shared machine. -----------
# perf stat counts task-clock over the whole process tree; the compiler runs inside it
# (UseSharedCompilation=false) and MSBuild nodes are its children (-nodeReuse:false), so nothing
# runs in a server outside the count. Without perf these lines are skipped with a note.
cpu_ms() { # side: prints the build's CPU milliseconds (all processes, all cores)
    local side="$1" stat="$work/cpu-$1.txt"
    clean "$side"
    perf stat -x, -e task-clock -o "$stat" -- \
        dotnet build "$work/$side/Synthetic.csproj" --no-restore --artifacts-path "$work/artifacts-$side" \
        -p:UseSharedCompilation=false -nodeReuse:false -v:m >"$work/build-$side-cpu.log" 2>&1 \
        || { tail -n 40 "$work/build-$side-cpu.log" >&2; echo "$0: the $side build (CPU time) failed" >&2; exit 1; }
    awk -F, '$3 == "task-clock" { printf "%d\n", $1 }' "$stat"
}
cpu_available=0
if command -v perf >/dev/null && perf stat -x, -e task-clock -- true >/dev/null 2>&1; then
    cpu_available=1
    echo "== $runs builds of each side under perf stat (CPU time; no build servers)" >&2
    for ((run = 1; run <= runs; run++)); do
        for side in plain with output; do
            ms="$(cpu_ms "$side")"
            [[ -n "$ms" ]] || { echo "$0: perf stat printed no task-clock for the $side build" >&2; exit 1; }
            samples[$side-cpu]+="$ms "
            echo "   cpu $side run $run: $ms ms" >&2
        done
    done
else
    echo "== no CPU-time builds: perf is not installed or may not count (perf_event_paranoid)" >&2
fi

# --- The compiler's own timing of analyzers and generators. ---------------------------------
echo "== one build with -p:ReportAnalyzer=true (binary log in bench/out/ide-perf-with.binlog)" >&2
clean with
report="$work/report-with.log"
build with "$report" -p:ReportAnalyzer=true -v:d "-bl:$results/ide-perf-with.binlog"
# The report's lines: "   1.234   21   Name, Version=..." for an assembly, deeper for each type.
seconds_of() { # pattern
    grep -E "^ +[<0-9.]+ +[<0-9]+ +$1" "$report" | head -n 1 | awk '{ v = $1; sub("<", "", v); print v }'
}
total_analyzers="$(grep -o 'Total analyzer execution time: [0-9.]* seconds' "$report" | awk '{ print $5 }')"
total_generators="$(grep -o 'Total generator execution time: [0-9.]* seconds' "$report" | awk '{ print $5 }')"
ours_analyzers="$(seconds_of 'Unikraft\.Gen\.Analyzers,')"
ours_generator="$(seconds_of 'Unikraft\.Gen\.Generators,')"
support_analyzer="$(seconds_of 'Unikraft\.Gen\.Analyzers\.SupportTableAnalyzer ')"
mount_analyzer="$(seconds_of 'Unikraft\.Gen\.Analyzers\.MountAnalyzer ')"
if [[ -z "$total_analyzers" || -z "$ours_generator" || -z "$ours_analyzers" ]]; then
    echo "$0: the ReportAnalyzer build printed no timing for our generator and analyzers (log: $report)" >&2
    BENCH_KEEP=1
    exit 1
fi

# --- The generator in memory. ------------------------------------------------------------
perf_out="$work/generator-perf.txt"
if [[ -n "$wall_modes" ]]; then
    echo "== bench/GeneratorPerf on the same sources" >&2
    dotnet build "$repo/bench/GeneratorPerf/GeneratorPerf.csproj" -c Release --artifacts-path "$work/artifacts-perf" -v:m \
        >"$work/perf-build.log" 2>&1 || { tail -n 40 "$work/perf-build.log" >&2; echo "$0: building GeneratorPerf failed" >&2; exit 1; }
    dotnet "$work/artifacts-perf/bin/GeneratorPerf/release/GeneratorPerf.dll" "$work/src" "$edits" | tee "$perf_out" >&2 \
        || { echo "$0: GeneratorPerf failed" >&2; exit 1; }
else
    : >"$perf_out"
fi

# --- Summary. --------------------------------------------------------------------------------
echo
echo "ide-perf: $files files ($(cat "$work/src/"*.cs | wc -l) lines), $runs timed builds of each kind, $(nproc) cores, SDK $(dotnet --version)"
echo
printf '%-34s %12s %12s %8s\n' "dotnet build after clean (median)" "with (ms)" "plain (ms)" "ratio"
status_lines=()
for mode in $wall_modes; do
    with_ms="$(tr ' ' '\n' <<<"${samples[with-$mode]}" | grep . | median)"
    plain_ms="$(tr ' ' '\n' <<<"${samples[plain-$mode]}" | grep . | median)"
    ratio="$(awk -v a="$with_ms" -v b="$plain_ms" 'BEGIN { printf "%.2f", a / b }')"
    printf '%-34s %12s %12s %8s\n' "$mode (servers $([[ $mode == cold ]] && echo shut down || echo running))" "$with_ms" "$plain_ms" "$ratio"
    echo "   samples with: ${samples[with-$mode]}  plain: ${samples[plain-$mode]}"
    verdict="$(awk -v r="$ratio" 'BEGIN { print (r <= 1.10) ? "PASS" : "MISS" }')"
    status_lines+=("$verdict $mode build: with the generator $ratio x the plain build (goal: at most 1.10)")
done
if ((cpu_available)); then
    with_ms="$(tr ' ' '\n' <<<"${samples[with-cpu]}" | grep . | median)"
    plain_ms="$(tr ' ' '\n' <<<"${samples[plain-cpu]}" | grep . | median)"
    ratio="$(awk -v a="$with_ms" -v b="$plain_ms" 'BEGIN { printf "%.2f", a / b }')"
    printf '%-34s %12s %12s %8s\n' "CPU time, no servers (median)" "$with_ms" "$plain_ms" "$ratio"
    echo "   samples with: ${samples[with-cpu]}  plain: ${samples[plain-cpu]}"
    output_ms="$(tr ' ' '\n' <<<"${samples[output-cpu]}" | grep . | median)"
    echo
    echo "where the CPU time over plain goes (medians; \"output\" is plain plus the generator's $output_lines lines as sources):"
    awk -v w="$with_ms" -v p="$plain_ms" -v o="$output_ms" 'BEGIN {
        printf "   %-54s %8d ms %6.1f %% of plain\n", "all of it (with - plain)", w - p, (w - p) * 100 / p
        printf "   %-54s %8d ms %6.1f %% of plain\n", "compiling the generated source (output - plain)", o - p, (o - p) * 100 / p
        printf "   %-54s %8d ms %6.1f %% of plain\n", "generator, analyzers, build steps (with - output)", w - o, (w - o) * 100 / p
    }'
    echo "   samples output: ${samples[output-cpu]}"
else
    echo "CPU time: not measured (no usable perf)"
fi
echo
per_file() { awk -v s="$1" -v n="$files" 'BEGIN { printf "%.2f", s * 1000 / n }'; }
echo "compiler timing, -p:ReportAnalyzer=true (one build; seconds, ms per file):"
printf '   %-44s %8s s %8s ms/file\n' "all analyzers" "$total_analyzers" "$(per_file "$total_analyzers")"
printf '   %-44s %8s s %8s ms/file\n' "Unikraft.Gen.Analyzers" "$ours_analyzers" "$(per_file "$ours_analyzers")"
printf '   %-44s %8s s %8s ms/file\n' "  SupportTableAnalyzer" "${support_analyzer:-?}" "$(per_file "${support_analyzer:-0}")"
printf '   %-44s %8s s %8s ms/file\n' "  MountAnalyzer" "${mount_analyzer:-?}" "$(per_file "${mount_analyzer:-0}")"
printf '   %-44s %8s s %8s ms/file\n' "all generators" "$total_generators" "$(per_file "$total_generators")"
printf '   %-44s %8s s %8s ms/file\n' "Unikraft.Gen.KernelGenerator" "$ours_generator" "$(per_file "$ours_generator")"
echo
echo "generator in memory (bench/GeneratorPerf):"
grep -E '^(first run|unrelated edit|kernel-call edit)' "$perf_out" | sed 's/^/   /' || echo "   not run (BENCH_ONLY_CPU=1)"
echo
for line in "${status_lines[@]}"; do echo "$line"; done
grep -E '^(PASS|MISS) ' "$perf_out" || true
{
    echo "files=$files runs=$runs output_lines=$output_lines"
    for key in "${!samples[@]}"; do echo "$key: ${samples[$key]}"; done
    echo "analyzers_total_s=$total_analyzers ours_analyzers_s=$ours_analyzers generators_total_s=$total_generators ours_generator_s=$ours_generator"
    cat "$perf_out"
} >"$results/ide-perf.txt"
