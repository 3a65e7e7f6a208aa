#!/usr/bin/env bash
# Publishes samples/Hello (the program on its generated kernel) and a plain .NET hello world
# (the same one line, no generator) with NativeAOT and the same flags, then prints for both the
# binary size, the median wall time from exec to exit with the two binaries taking turns run by
# run, and the median of the pairwise ratios ours/plain.
#
# Usage: bench/aot-hello.sh [RUNS]     RUNS defaults to 50.
# Needs: the .NET SDK and a C toolchain for the NativeAOT link (gcc, libc6-dev, binutils — or
# clang). See bench/README.md. BENCH_KEEP=1 keeps the temporary folder with both publishes.
set -euo pipefail

runs="${1:-50}"
if ! [[ "$runs" =~ ^[1-9][0-9]*$ ]]; then
    echo "usage: $0 [RUNS]   (RUNS is a positive whole number, default 50)" >&2
    exit 2
fi

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/aot-hello.XXXXXX")"
cleanup() {
    if [[ "${BENCH_KEEP:-0}" == "1" ]]; then
        echo "kept $work" >&2
    else
        rm -rf "$work"
    fi
}
trap cleanup EXIT

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
# The kernel's syscall trace would add stderr writes to every run of ours.
unset UNIKRAFT_TRACE
publish_flags=(-c Release -r linux-x64 -p:PublishAot=true -nodeReuse:false)



# Ours: the sample as it is in the repository. The artifacts path keeps every output of this
# publish (the generator's too) out of the repository's bin/ and obj/ folders.
echo "== publishing samples/Hello (generated kernel) with NativeAOT" >&2
dotnet publish "$repo/samples/Hello" "${publish_flags[@]}" \
    --artifacts-path "$work/ours-artifacts" -o "$work/ours" >"$work/ours-publish.log" 2>&1 \
    || { cat "$work/ours-publish.log" >&2; exit 1; }

# Plain: the same csproj settings and the same line, in a folder outside the repository so that
# none of its Directory.Build.props (and so no generator) applies.
echo "== publishing a plain .NET hello with NativeAOT" >&2
mkdir -p "$work/plain/src"
cat >"$work/plain/src/Hello.csproj" <<'EOF'
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <OutputType>Exe</OutputType>
    <TargetFramework>net10.0</TargetFramework>
    <ImplicitUsings>enable</ImplicitUsings>
  </PropertyGroup>
</Project>
EOF
echo 'Console.WriteLine("Hello, world!");' >"$work/plain/src/Program.cs"
# The repository pins its SDK; the plain program is built with the same one.
cp "$repo/global.json" "$work/plain/src/global.json"
dotnet publish "$work/plain/src" "${publish_flags[@]}" \
    --artifacts-path "$work/plain-artifacts" -o "$work/plain/out" >"$work/plain-publish.log" 2>&1 \
    || { cat "$work/plain-publish.log" >&2; exit 1; }

ours="$work/ours/Hello"
plain="$work/plain/out/Hello"
for binary in "$ours" "$plain"; do
    greeting="$("$binary" 2>/dev/null)"
    if [[ "$greeting" != "Hello, world!" ]]; then
        echo "$binary printed '$greeting', not the greeting" >&2
        exit 1
    fi
done

# One run's wall time in nanoseconds, exec to exit. EPOCHREALTIME is a bash builtin
# (microseconds); date +%s%N costs a fork per sample.
wall_ns() {
    local start end
    if [[ -n "${EPOCHREALTIME:-}" ]]; then
        start="${EPOCHREALTIME/./}"
        "$1" >/dev/null 2>&1
        end="${EPOCHREALTIME/./}"
        echo $(((end - start) * 1000))
    else
        start="$(date +%s%N)"
        "$1" >/dev/null 2>&1
        end="$(date +%s%N)"
        echo $((end - start))
    fi
}

median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# The two sides take turns run by run (ours, then plain), so a machine that speeds up or slows
# down during the benchmark moves both alike; the figure is the median of the pairwise ratios.
method="bash loop, the two binaries in turn"
echo "== timing $runs pairs, exec to exit ($method)" >&2
for i in 1 2 3; do "$ours" >/dev/null 2>&1; "$plain" >/dev/null 2>&1; done
ours_samples=()
plain_samples=()
ratios=()
for ((i = 0; i < runs; i++)); do
    a="$(wall_ns "$ours")"
    b="$(wall_ns "$plain")"
    ours_samples+=("$a")
    plain_samples+=("$b")
    ratios+=("$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.4f", a / b }')")
done
ours_ms="$(printf '%s\n' "${ours_samples[@]}" | median | awk '{ printf "%.3f", $1 / 1e6 }')"
plain_ms="$(printf '%s\n' "${plain_samples[@]}" | median | awk '{ printf "%.3f", $1 / 1e6 }')"
ratio="$(printf '%s\n' "${ratios[@]}" | median)"
ours_bytes="$(stat -c %s "$ours")"
plain_bytes="$(stat -c %s "$plain")"

echo
echo "NativeAOT hello world, linux-x64 Release, $runs pairs ($method)"
awk -v ob="$ours_bytes" -v pb="$plain_bytes" -v om="$ours_ms" -v pm="$plain_ms" 'BEGIN {
    printf "%-30s %14s %12s %18s\n", "", "size (bytes)", "size (KiB)", "median wall (ms)"
    printf "%-30s %14d %12.1f %18.3f\n", "ours (samples/Hello + kernel)", ob, ob / 1024, om
    printf "%-30s %14d %12.1f %18.3f\n", "plain .NET", pb, pb / 1024, pm
    printf "%-30s %14.3f %12.3f %18s\n", "ours/plain", ob / pb, ob / pb, "see below"
}'
echo "median of the $runs pairwise time ratios ours/plain: $ratio"
