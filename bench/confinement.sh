#!/usr/bin/env bash
# What the hosted confinement allows and what it costs at start.
#
# 1. For samples/Hello and samples/Files: how many of the host's system calls the seccomp filter
#    lets the program make once booted, in a NativeAOT image and under dotnet run (the JIT), out
#    of the calls asm/unistd_64.h names. Read from the kernel manifest each build writes
#    (<Assembly>.kernel.txt), whose Confinement section lists them.
# 2. samples/Hello's start, exec to exit, with the confinement on and off
#    (-p:UnikraftConfinement=false), as a NativeAOT image and as the JIT's `dotnet Hello.dll`:
#    the two builds take turns run by run; the figure is the median of the pairwise ratios on/off.
#
# Usage: bench/confinement.sh [RUNS]     RUNS defaults to 20.
# Needs: the .NET SDK and a C toolchain for the NativeAOT link (see bench/README.md); the host's
# kernel headers for the call count (Debian linux-libc-dev). BENCH_KEEP=1 keeps the work folder.
set -euo pipefail

runs="${1:-20}"
if ! [[ "$runs" =~ ^[1-9][0-9]*$ ]]; then
    echo "usage: $0 [RUNS]   (RUNS is a positive whole number, default 20)" >&2
    exit 2
fi

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/confinement.XXXXXX")"
cleanup() {
    if [[ "${BENCH_KEEP:-0}" == "1" ]]; then
        echo "kept $work" >&2
    else
        rm -rf "$work"
    fi
}
trap cleanup EXIT

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
unset UNIKRAFT_TRACE

unistd=/usr/include/x86_64-linux-gnu/asm/unistd_64.h
[[ -f "$unistd" ]] || unistd=/usr/include/asm/unistd_64.h
if [[ ! -f "$unistd" ]]; then
    echo "no asm/unistd_64.h on this host: install the Debian package linux-libc-dev" >&2
    exit 1
fi
host_calls="$(grep -c '^#define __NR_' "$unistd")"

# $1 project, $2 output folder, $3 "aot" or "jit", the rest: extra MSBuild properties.
build() {
    local project="$1" out="$2" kind="$3"
    shift 3
    local name
    name="$(basename "$project")-$kind-$(basename "$out")"
    if [[ "$kind" == aot ]]; then
        dotnet publish "$repo/samples/$project" -c Release -r linux-x64 -p:PublishAot=true -nodeReuse:false \
            -p:EmitCompilerGeneratedFiles=true "$@" --artifacts-path "$work/$name-artifacts" -o "$out" \
            >"$work/$name.log" 2>&1 || { cat "$work/$name.log" >&2; exit 1; }
    else
        dotnet build "$repo/samples/$project" -c Release -nodeReuse:false \
            -p:EmitCompilerGeneratedFiles=true "$@" --artifacts-path "$work/$name-artifacts" -o "$out" \
            >"$work/$name.log" 2>&1 || { cat "$work/$name.log" >&2; exit 1; }
    fi
}

# The allowed calls of one list line of the manifest ("label: a, b (qualified), c"): its count.
count_line() { sed 's/^[^:]*: //' | tr ',' '\n' | grep -c '[a-z]'; }

# $1 manifest: prints "image jit", the counts of calls allowed in each.
allowed() {
    local manifest="$1" section image path
    section="$(sed -n '/^Confinement (seccomp/,/^$/p' "$manifest")"
    # The image's list: the runtime's calls, and the host folders' and passt's where planned.
    image=0
    while IFS= read -r line; do
        image=$((image + $(printf '%s\n' "$line" | count_line)))
    done < <(printf '%s\n' "$section" | grep -E '^    (the runtime|the host folders|passt)[^:]*: ')
    path="$(printf '%s\n' "$section" | grep -E "^  under dotnet run \(JIT\), the same list and the runtime's calls by path: " \
        | sed 's/; .*//' | count_line)"
    echo "$image $((image + path))"
}

echo "== building samples/Hello and samples/Files (JIT) for their manifests" >&2
build Hello "$work/hello-jit" jit
build Files "$work/files-jit" jit
read -r hello_image hello_jit < <(allowed "$work/hello-jit/Hello.kernel.txt")
read -r files_image files_jit < <(allowed "$work/files-jit/Files.kernel.txt")
if [[ "$hello_image" -lt 20 || "$files_image" -le "$hello_image" ]]; then
    echo "the manifests' Confinement sections did not read as expected (Hello $hello_image, Files $files_image)" >&2
    exit 1
fi

echo "== publishing samples/Hello with NativeAOT, confinement on and off" >&2
build Hello "$work/hello-aot-on" aot
build Hello "$work/hello-aot-off" aot -p:UnikraftConfinement=false
build Hello "$work/hello-jit-off" jit -p:UnikraftConfinement=false

wall_ns() {
    local start end
    start="${EPOCHREALTIME/./}"
    "$@" >/dev/null 2>&1
    end="${EPOCHREALTIME/./}"
    echo $(((end - start) * 1000))
}
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# $1 label; on-command and off-command as two strings. Prints medians and the ratio.
pairs() {
    local label="$1" on="$2" off="$3" a b
    local on_samples=() off_samples=() ratios=()
    for i in 1 2; do $on >/dev/null 2>&1; $off >/dev/null 2>&1; done
    for ((i = 0; i < runs; i++)); do
        a="$(wall_ns $on)"
        b="$(wall_ns $off)"
        on_samples+=("$a")
        off_samples+=("$b")
        ratios+=("$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.4f", a / b }')")
    done
    printf '%-28s %10.2f %10.2f %10s\n' "$label" \
        "$(printf '%s\n' "${on_samples[@]}" | median | awk '{ print $1 / 1e6 }')" \
        "$(printf '%s\n' "${off_samples[@]}" | median | awk '{ print $1 / 1e6 }')" \
        "$(printf '%s\n' "${ratios[@]}" | median)"
}

for binary in "$work/hello-aot-on/Hello" "$work/hello-aot-off/Hello"; do
    if [[ "$("$binary" 2>/dev/null)" != "Hello, world!" ]]; then
        echo "$binary did not print the greeting" >&2
        exit 1
    fi
done

echo
echo "System calls allowed once booted, of the $host_calls in $(basename "$unistd"):"
printf '%-16s %16s %20s\n' "" "NativeAOT image" "dotnet run (JIT)"
printf '%-16s %16d %20d\n' "samples/Hello" "$hello_image" "$hello_jit"
printf '%-16s %16d %20d\n' "samples/Files" "$files_image" "$files_jit"
echo
echo "samples/Hello, exec to exit, $runs pairs taking turns (median ms; median of pairwise ratios):"
printf '%-28s %10s %10s %10s\n' "" "on" "off" "on/off"
pairs "NativeAOT image" "$work/hello-aot-on/Hello" "$work/hello-aot-off/Hello"
pairs "JIT (dotnet Hello.dll)" "dotnet $work/hello-jit/Hello.dll" "dotnet $work/hello-jit-off/Hello.dll"
