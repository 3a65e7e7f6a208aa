#!/usr/bin/env bash
# Publishes samples/Hello (the program on its generated kernel) and a plain .NET hello world
# (the same one line, no generator) with NativeAOT and the same flags, then prints for both the
# binary size and the median wall time from exec to exit, and the ratios ours/plain.
#
# Usage: bench/aot-hello.sh [RUNS]     RUNS defaults to 50.
# Needs: the .NET SDK, a C toolchain for the NativeAOT link (gcc, libc6-dev, binutils — or clang),
# and optionally hyperfine (without it, a bash loop times the runs). See bench/README.md.
# BENCH_KEEP=1 keeps the temporary folder with both publishes; BENCH_NO_HYPERFINE=1 times with the
# bash loop even where hyperfine is installed.
set -euo pipefail

runs="${1:-50}"
if ! [[ "$runs" =~ ^[1-9][0-9]*$ ]]; then
    echo "usage: $0 [RUNS]   (RUNS is a positive whole number, default 50)" >&2
    exit 2
fi

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
results="$repo/bench/out"
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

mkdir -p "$results"

have_hyperfine() {
    [[ "${BENCH_NO_HYPERFINE:-0}" != "1" ]] && command -v hyperfine >/dev/null 2>&1
}

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

# Prints the median wall time of one binary in milliseconds.
median_ms() {
    local name="$1" binary="$2"
    if have_hyperfine; then
        # --shell=none execs the binary directly, so no shell start-up is in the figure.
        hyperfine --shell=none --warmup 3 --runs "$runs" --style none \
            --export-json "$results/aot-hello-$name.json" "$binary" >/dev/null
        grep -o '"median": *[0-9.eE+-]*' "$results/aot-hello-$name.json" | head -n 1 \
            | awk -F: '{ printf "%.3f\n", $2 * 1000 }'
    else
        local i start end
        local -a samples=()
        for i in 1 2 3; do "$binary" >/dev/null 2>&1; done
        for ((i = 0; i < runs; i++)); do
            # EPOCHREALTIME is a bash builtin (microseconds); date +%s%N costs a fork per sample.
            if [[ -n "${EPOCHREALTIME:-}" ]]; then
                start="${EPOCHREALTIME/./}"
                "$binary" >/dev/null 2>&1
                end="${EPOCHREALTIME/./}"
                samples+=($(((end - start) * 1000)))
            else
                start="$(date +%s%N)"
                "$binary" >/dev/null 2>&1
                end="$(date +%s%N)"
                samples+=($((end - start)))
            fi
        done
        printf '%s\n' "${samples[@]}" | sort -n | awk '
            { ns[NR] = $1 }
            END {
                m = (NR % 2) ? ns[(NR + 1) / 2] : (ns[NR / 2] + ns[NR / 2 + 1]) / 2
                printf "%.3f\n", m / 1e6
            }'
    fi
}

if have_hyperfine; then
    method="hyperfine $(hyperfine --version | awk '{ print $2 }'), JSON in bench/out/"
else
    method="bash loop, no hyperfine"
fi
echo "== timing $runs runs of each, exec to exit ($method)" >&2
ours_ms="$(median_ms ours "$ours")"
plain_ms="$(median_ms plain "$plain")"
ours_bytes="$(stat -c %s "$ours")"
plain_bytes="$(stat -c %s "$plain")"

echo
echo "NativeAOT hello world, linux-x64 Release, $runs runs each ($method)"
awk -v ob="$ours_bytes" -v pb="$plain_bytes" -v om="$ours_ms" -v pm="$plain_ms" 'BEGIN {
    printf "%-30s %14s %12s %18s\n", "", "size (bytes)", "size (KiB)", "median wall (ms)"
    printf "%-30s %14d %12.1f %18.3f\n", "ours (samples/Hello + kernel)", ob, ob / 1024, om
    printf "%-30s %14d %12.1f %18.3f\n", "plain .NET", pb, pb / 1024, pm
    printf "%-30s %14.3f %12.3f %18.3f\n", "ours/plain", ob / pb, ob / pb, (pm > 0 ? om / pm : 0)
}'
