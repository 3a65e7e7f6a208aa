#!/usr/bin/env bash
# Publishes every sample program with NativeAOT three ways, then prints, in one table, each
# binary's size and its median time from exec to the first line on stdout:
#   specialized  the sample as it is: its kernel pruned to what it uses, the runtime's unused
#                features switched off (the manifest's "Runtime features")
#   full kernel  the same program with -p:UnikraftSpecialize=false: every syscall and feature of
#                the kernel, the runtime as .NET's NativeAOT defaults have it
#   plain .NET   the same source in a folder outside the repository (no generator, no kernel),
#                where it builds and prints the same first line; "n/a" and why otherwise
# The variants of one sample take turns run by run (the order rotates), so a machine that speeds
# up or slows down moves them alike; the ratios are medians of the pairwise ratios.
#
# Usage: bench/aot.sh [RUNS]     RUNS defaults to 30.
#        BENCH_SAMPLES="Hello Files" bench/aot.sh   measures only those samples.
# Needs: the .NET SDK, a C toolchain for the NativeAOT link (clang, or gcc, libc6-dev, binutils),
# python3 (for the timing loop). BENCH_KEEP=1 keeps the temporary folder with every publish.
set -euo pipefail

runs="${1:-30}"
if ! [[ "$runs" =~ ^[1-9][0-9]*$ ]]; then
    echo "usage: $0 [RUNS]   (RUNS is a positive whole number, default 30)" >&2
    exit 2
fi
for tool in dotnet python3; do
    command -v "$tool" >/dev/null 2>&1 || { echo "$0 needs $tool" >&2; exit 2; }
done

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/aot-bench.XXXXXX")"
cleanup() {
    if [[ "${BENCH_KEEP:-0}" == "1" ]]; then
        echo "kept $work" >&2
    else
        rm -rf "$work"
    fi
}
trap cleanup EXIT

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
# The kernel's syscall trace would add stderr writes to every run.
unset UNIKRAFT_TRACE
publish_flags=(-c Release -r linux-x64 -p:PublishAot=true -nodeReuse:false)

# The programs among samples/: an executable project that the generator builds (SimPingPong
# references the sim library directly and has no generated kernel; Notes.Storage is a library).
samples=()
if [[ -n "${BENCH_SAMPLES:-}" ]]; then
    read -r -a samples <<<"$BENCH_SAMPLES"
else
    for project in "$repo"/samples/*/*.csproj; do
        name="$(basename "$(dirname "$project")")"
        if grep -q '<OutputType>Exe</OutputType>' "$project" && ! grep -q 'ImportDirectoryBuildProps>false' "$project"; then
            samples+=("$name")
        fi
    done
fi

# publish <label> <project folder> <output folder> [extra flags...]: 0 when a binary came out.
publish() {
    local label="$1" project="$2" out="$3"
    shift 3
    echo "== publishing $label" >&2
    dotnet publish "$project" "${publish_flags[@]}" "$@" --artifacts-path "$out-artifacts" -o "$out" \
        >"$out.log" 2>&1
}

# The plain copy: the sample's folder (and the projects it references, side by side as in
# samples/) outside the repository, so that no Directory.Build.props wires the generator in.
plain_copy() {
    local name="$1" into="$2"
    mkdir -p "$into"
    cp -r "$repo/samples/$name" "$into/"
    local reference
    for reference in $(grep -o 'Include="\.\./[^/"]*/' "$repo/samples/$name/$name.csproj" | sed 's|Include="\.\./||; s|/$||'); do
        cp -r "$repo/samples/$reference" "$into/"
    done
    rm -rf "$into"/*/bin "$into"/*/obj
    cp "$repo/global.json" "$into/global.json"
}

results="$work/results.tsv"
: >"$results"
for name in "${samples[@]}"; do
    spec="$work/$name/specialized"
    full="$work/$name/full"
    plain="$work/$name/plain"
    mkdir -p "$work/$name"
    publish "$name (specialized)" "$repo/samples/$name" "$spec" || { cat "$spec.log" >&2; exit 1; }
    publish "$name (full kernel)" "$repo/samples/$name" "$full" -p:UnikraftSpecialize=false || { cat "$full.log" >&2; exit 1; }
    plain_copy "$name" "$work/$name/plain-src"
    plain_note=""
    if ! publish "$name (plain .NET)" "$work/$name/plain-src/$name" "$plain"; then
        plain_note="does not build without the generator"
    fi
    # The samples read their files relative to the sample folder's mounts; run from there.
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$spec/$name" "$full/$name" "$plain/$name" "$plain_note" "$repo/samples/$name" >>"$results"
done

echo "== timing $runs rounds per sample, exec to first line on stdout (variants in rotating order)" >&2
python3 - "$runs" "$results" <<'EOF'
import os, statistics, subprocess, sys, time

runs = int(sys.argv[1])
rows = [line.rstrip("\n").split("\t") for line in open(sys.argv[2]) if line.strip()]

def first_line(binary, cwd):
    """Seconds from exec to the first line on stdout, and that line; the rest of the run is
    drained and waited for, so runs do not overlap."""
    start = time.perf_counter()
    process = subprocess.Popen([binary], cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    line = process.stdout.readline()
    elapsed = time.perf_counter() - start
    process.stdout.read()
    status = process.wait()
    return elapsed, line.decode("utf-8", "replace").rstrip("\n"), status

print()
print(f"NativeAOT samples, linux-x64 Release, {runs} rounds (exec to first line on stdout, median)")
header = f"{'sample':<10} {'variant':<12} {'size (bytes)':>13} {'size ratio':>10} {'first line (ms)':>16} {'time ratio':>10}"
print(header)
print("-" * len(header))
for name, spec, full, plain, plain_note, cwd in rows:
    variants = {"specialized": spec, "full kernel": full}
    expected = first_line(spec, cwd)
    if expected[2] != 0 or not expected[1]:
        print(f"{name}: the specialized binary printed '{expected[1]}' and exited {expected[2]}", file=sys.stderr)
        sys.exit(1)
    if not plain_note:
        if not os.path.exists(plain):
            plain_note = "no binary"
        else:
            try:
                seconds, line, status = first_line(plain, cwd)
                if status != 0 or line != expected[1]:
                    plain_note = f"runs differently on the host (exit {status}, first line '{line[:40]}')"
            except OSError as error:
                plain_note = f"does not start ({error})"
    if not plain_note:
        variants["plain .NET"] = plain
    order = list(variants)
    samples = {v: [] for v in order}
    for round_ in range(runs + 3):
        rotated = order[round_ % len(order):] + order[:round_ % len(order)]
        for variant in rotated:
            seconds, line, status = first_line(variants[variant], cwd)
            if round_ >= 3:  # three warm-up rounds
                samples[variant].append(seconds)
    spec_size = os.path.getsize(spec)
    for variant in order:
        size = os.path.getsize(variants[variant])
        median = statistics.median(samples[variant]) * 1000
        if variant == "specialized":
            size_ratio, time_ratio = "", ""
        else:
            size_ratio = f"{spec_size / size:.3f}"
            time_ratio = f"{statistics.median(a / b for a, b in zip(samples['specialized'], samples[variant])):.3f}"
        print(f"{name:<10} {variant:<12} {size:>13,} {size_ratio:>10} {median:>16.2f} {time_ratio:>10}")
    if plain_note:
        print(f"{name:<10} {'plain .NET':<12} {'n/a':>13} {'':>10} {'':>16} {'':>10}  {plain_note}")
print()
print("size ratio and time ratio: specialized / that variant (time: median of the pairwise ratios)")
EOF
