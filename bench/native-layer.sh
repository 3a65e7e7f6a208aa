#!/usr/bin/env bash
# What the native layer costs a NativeAOT binary: samples/Hello and samples/Files published with
# the kernel serving the BCL's native layer (the default in a NativeAOT build on hosted) and with
# it off (-p:UnikraftNativeLayer=false), and a plain .NET hello with no generator. Prints each
# binary's size, then times exec-to-exit of each pair taking turns run by run (ours, then the
# other, RUNS times) and prints the median of the pairwise ratios.
#
# Usage: bench/native-layer.sh [RUNS]     RUNS defaults to 30.
# Needs: the .NET SDK and a C toolchain for the NativeAOT link. BENCH_KEEP=1 keeps the publishes.
set -euo pipefail

runs="${1:-30}"
if ! [[ "$runs" =~ ^[1-9][0-9]*$ ]]; then
    echo "usage: $0 [RUNS]   (RUNS is a positive whole number, default 30)" >&2
    exit 2
fi

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/native-layer.XXXXXX")"
cleanup() {
    if [[ "${BENCH_KEEP:-0}" == "1" ]]; then echo "kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
unset UNIKRAFT_TRACE
flags=(-c Release -r linux-x64 -p:PublishAot=true -p:UnikraftBootBanner=false -nodeReuse:false)

publish() { # name project output [extra flags...]
    local name="$1" project="$2" output="$3"
    shift 3
    echo "== publishing $name" >&2
    dotnet publish "$project" "${flags[@]}" "$@" --artifacts-path "$work/$name-artifacts" -o "$output" \
        >"$work/$name.log" 2>&1 || { cat "$work/$name.log" >&2; exit 1; }
}

publish hello-native "$repo/samples/Hello" "$work/hello-native"
publish hello-off "$repo/samples/Hello" "$work/hello-off" -p:UnikraftNativeLayer=false
publish files-native "$repo/samples/Files" "$work/files-native"
publish files-off "$repo/samples/Files" "$work/files-off" -p:UnikraftNativeLayer=false

mkdir -p "$work/plain"
cat >"$work/plain/plain.csproj" <<'EOF'
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <OutputType>Exe</OutputType>
    <TargetFramework>net10.0</TargetFramework>
    <ImplicitUsings>enable</ImplicitUsings>
  </PropertyGroup>
</Project>
EOF
echo 'Console.WriteLine("Hello, world!");' >"$work/plain/Program.cs"
publish plain "$work/plain/plain.csproj" "$work/plain-out"

size() { stat -c %s "$1"; }
echo
echo "binary sizes (bytes)"
printf '  %-40s %10s\n' "Hello, native layer on" "$(size "$work/hello-native/Hello")"
printf '  %-40s %10s\n' "Hello, native layer off" "$(size "$work/hello-off/Hello")"
printf '  %-40s %10s\n' "plain .NET hello" "$(size "$work/plain-out/plain")"
printf '  %-40s %10s\n' "Files, native layer on" "$(size "$work/files-native/Files")"
printf '  %-40s %10s\n' "Files, native layer off" "$(size "$work/files-off/Files")"
echo "  Hello: native layer adds $(( $(size "$work/hello-native/Hello") - $(size "$work/hello-off/Hello") )) bytes"
echo "  Files: native layer adds $(( $(size "$work/files-native/Files") - $(size "$work/files-off/Files") )) bytes"

# Where Hello's extra bytes go: the code symbols only the native-layer binary has (from the .dbg
# files the publish writes), summed by kernel type; the native entry points' reverse-P/Invoke
# thunks apart. Needs nm (binutils, there with any NativeAOT toolchain).
if command -v nm >/dev/null 2>&1 && [[ -f "$work/hello-native/Hello.dbg" && -f "$work/hello-off/Hello.dbg" ]]; then
    echo "  Hello: code only in the native-layer binary, by kernel type (bytes)"
    nm -S -t d "$work/hello-off/Hello.dbg" | awk 'NF >= 4 { print $4 }' | sort -u >"$work/off-symbols.txt"
    nm -S -t d "$work/hello-native/Hello.dbg" | awk 'NF >= 4 { print $4, $2 + 0 }' \
        | awk 'NR == FNR { off[$1] = 1; next } !($1 in off) { print }' "$work/off-symbols.txt" - \
        | awk '{ group = "other"
                 if (match($1, /_Unikraft_Kernel_[A-Za-z]+/)) group = substr($1, RSTART + 17, RLENGTH - 17)
                 else if ($1 ~ /__wrap_SystemNative_/) group = "entry-point thunks"
                 size[group] += $2; total += $2 }
               END { for (g in size) printf "    %7d  %s\n", size[g], g; printf "    %7d  in all\n", total }' \
        | sort -rn | head -12
fi

# One run's wall time in nanoseconds, from exec to exit, output discarded.
timed() {
    local start end
    start=$(date +%s%N)
    (cd "$1" && "$2" >/dev/null 2>&1 </dev/null) || true
    end=$(date +%s%N)
    echo $((end - start))
}

# Pairs taken in turn; prints medians of each side and the median of the pairwise ratios.
compare() { # label ours-folder ours-binary other-folder other-binary
    local label="$1" ratios=() ours=() other=()
    for ((run = 0; run < runs; run++)); do
        local a b
        a=$(timed "$2" "$3")
        b=$(timed "$4" "$5")
        ours+=("$a")
        other+=("$b")
        ratios+=("$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.4f", a / b }')")
    done
    median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
    printf '  %-52s ours %6.2f ms  other %6.2f ms  median ratio %s\n' "$label" \
        "$(awk -v n="$(median "${ours[@]}")" 'BEGIN { print n / 1e6 }')" \
        "$(awk -v n="$(median "${other[@]}")" 'BEGIN { print n / 1e6 }')" \
        "$(median "${ratios[@]}")"
}

# samples/Files appends to samples/Files/data/visits.log on every run; the log is removed at the end.
echo
echo "exec to exit, $runs runs per side taken in turn"
compare "Hello native layer on / off" "$work/hello-native" ./Hello "$work/hello-off" ./Hello
compare "Hello native layer on / plain .NET hello" "$work/hello-native" ./Hello "$work/plain-out" ./plain
compare "Files native layer on / off" "$work/files-native" ./Files "$work/files-off" ./Files
rm -f "$repo/samples/Files/data/visits.log"
