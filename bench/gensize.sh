#!/usr/bin/env bash
# How much C# the generator puts into a program, and where it goes (issue 12: "Hello's generated
# source under 600 lines").
#
# Builds each sample named in BENCH_SAMPLES (default: Hello) twice with
# -p:EmitCompilerGeneratedFiles=true: `dotnet build` (the JIT route of `dotnet run`, whose kernel
# serves the BCL's whole native layer, since no link says which functions the program calls) and a
# NativeAOT `dotnet publish` (the link decides). For each it counts the lines of every generated
# file and sums them by part:
#   api          the app-facing API (Kernel/Api)
#   confinement  the hosted confinement: HostedConfinement, ConfinementSupervisor, HostedLandlock,
#                PathCheck (kernel/Platform/Hosted)
#   native       the native layer's entry points (Kernel/Native)
#   kernel       every other kernel library
#   generated    what the generator writes itself: the boot, the interceptors, the manifest and the
#                report (the last two as comments, which the build copies out as files)
# and prints the total and the comment share, and the five biggest files.
#
# Usage: bench/gensize.sh            BENCH_SAMPLES="Hello Files" bench/gensize.sh
# Needs: the .NET SDK and a C toolchain for the NativeAOT link (see bench/README.md).
# BENCH_KEEP=1 keeps the work folder (every generated file).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/gensize.XXXXXX")"
cleanup() {
    if [[ "${BENCH_KEEP:-0}" == "1" ]]; then
        echo "kept $work" >&2
    else
        rm -rf "$work"
    fi
}
trap cleanup EXIT

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

# $1 sample, $2 "jit" or "aot": builds into $work/$1-$2 and prints the generated files' folder.
build() {
    local sample="$1" kind="$2" name="$1-$2"
    local generated="$work/$name-generated"
    if [[ "$kind" == aot ]]; then
        dotnet publish "$repo/samples/$sample" -c Release -r linux-x64 -p:PublishAot=true -nodeReuse:false \
            -p:EmitCompilerGeneratedFiles=true -p:CompilerGeneratedFilesOutputPath="$generated" \
            --artifacts-path "$work/$name-artifacts" -o "$work/$name" >"$work/$name.log" 2>&1 \
            || { cat "$work/$name.log" >&2; exit 1; }
    else
        dotnet build "$repo/samples/$sample" -c Release -nodeReuse:false \
            -p:EmitCompilerGeneratedFiles=true -p:CompilerGeneratedFilesOutputPath="$generated" \
            --artifacts-path "$work/$name-artifacts" -o "$work/$name" >"$work/$name.log" 2>&1 \
            || { cat "$work/$name.log" >&2; exit 1; }
    fi

    local kernel="$generated/Unikraft.Gen.Generators/Unikraft.Gen.KernelGenerator"
    if [[ ! -d "$kernel" ]]; then
        echo "$sample ($kind): the build wrote no generated kernel under $generated" >&2
        exit 1
    fi

    echo "$kernel"
}

# $1 folder of generated files: "part lines comment-lines path" per file the last compile wrote.
# A NativeAOT publish compiles twice (first with every native function the BCL could import,
# then, once its link has said which it imports, with only those), and both write into the same
# folder: a file only the first compile wrote is older than the second's by the whole ILC run.
classify() {
    local folder="$1" file relative part newest
    newest="$(find "$folder" -name '*.cs' -printf '%T@\n' | sort -n | tail -1)"
    while IFS= read -r file; do
        relative="${file#"$folder"/}"
        case "$relative" in
            Kernel/Api/*) part=api ;;
            Kernel/Platform/Hosted/HostedConfinement.g.cs | Kernel/Platform/Hosted/ConfinementSupervisor.g.cs \
                | Kernel/Platform/Hosted/HostedLandlock.g.cs | Kernel/Platform/Hosted/PathCheck.g.cs) part=confinement ;;
            Kernel/Native/*) part=native ;;
            Kernel/*) part=kernel ;;
            *) part=generated ;;
        esac
        echo "$part $(wc -l <"$file") $(grep -c '^[[:space:]]*//' "$file" || true) $relative"
    done < <(find "$folder" -name '*.cs' -printf '%T@ %p\n' | awk -v newest="$newest" '$1 >= newest - 5 { print $2 }' | sort)
}

report() {
    local sample="$1" kind="$2" folder="$3"
    classify "$folder" >"$work/$sample-$kind.sizes"
    awk -v sample="$sample" -v kind="$kind" '
        { lines[$1] += $2; comments[$1] += $3; total += $2; totalComments += $3 }
        END {
            printf "%-8s %-4s total %6d lines (%d%% comments)", sample, kind, total, total ? 100 * totalComments / total : 0
            split("api confinement native kernel generated", order, " ")
            for (i = 1; i <= 5; i++) { printf "   %s %d", order[i], lines[order[i]] }
            printf "\n"
        }' "$work/$sample-$kind.sizes"
    sort -k2,2nr "$work/$sample-$kind.sizes" | head -5 | awk '{ printf "           %6d  %s (%s)\n", $2, $4, $1 }'
}

for sample in ${BENCH_SAMPLES:-Hello}; do
    if [[ ! -d "$repo/samples/$sample" ]]; then
        echo "no sample '$sample' under samples/" >&2
        exit 2
    fi

    for kind in jit aot; do
        echo "== $sample: $kind build" >&2
        folder="$(build "$sample" "$kind")"
        report "$sample" "$kind" "$folder"
    done
done
