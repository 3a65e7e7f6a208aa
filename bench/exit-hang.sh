#!/usr/bin/env bash
# Does a NativeAOT image ever hang or fail at exit? Publishes suite programs with NativeAOT
# (default: Threads, whose threads, pool, timers and a socket are all still about when Main
# returns, and LoopbackChat, a TCP client and server over the kernel's loopback), then runs each
# RUNS times, one after another, each under `timeout -s KILL`. A run hangs when it is still alive
# after LIMIT seconds; it fails when it ends with a status other than 0. Prints one line per bad
# run (its standard error is kept in the work folder) and the totals per program. Not a speed
# figure: how often the exit goes wrong.
#
# Usage: bench/exit-hang.sh [RUNS=300] [LIMIT=20]    BENCH_PROGRAMS="Threads LoopbackChat"
# Needs: the .NET SDK and a C toolchain for the NativeAOT link. BENCH_KEEP=1 keeps the work folder.
set -euo pipefail

runs="${1:-300}"
limit="${2:-20}"
for value in "$runs" "$limit"; do
    if ! [[ "$value" =~ ^[1-9][0-9]*$ ]]; then
        echo "usage: $0 [RUNS] [LIMIT]   (positive whole numbers; defaults 300 20)" >&2
        exit 2
    fi
done

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/exit-hang.XXXXXX")"
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

bad=0
for program in ${BENCH_PROGRAMS:-Threads LoopbackChat}; do
    project="$repo/tests/Unikraft.Gen.EndToEnd.Tests/Programs/$program"
    if [[ ! -d "$project" ]]; then
        echo "no program '$program' under tests/Unikraft.Gen.EndToEnd.Tests/Programs" >&2
        exit 2
    fi

    echo "== publishing $program with NativeAOT" >&2
    dotnet publish "$project" -c Release -r linux-x64 -p:PublishAot=true -nodeReuse:false \
        --artifacts-path "$work/$program-artifacts" -o "$work/$program" >"$work/$program.log" 2>&1 \
        || { cat "$work/$program.log" >&2; exit 1; }

    ok=0 failed=0 hung=0
    for run in $(seq 1 "$runs"); do
        status=0
        (cd "$work/$program" && timeout -s KILL "$limit" "./$program" >/dev/null 2>"$work/$program.stderr") || status=$?
        if ((status == 0)); then
            ok=$((ok + 1))
            continue
        fi

        cp "$work/$program.stderr" "$work/$program-run$run.stderr"
        if ((status == 137)); then
            hung=$((hung + 1))
            echo "$program run $run: still running after $limit s (killed); stderr in $work/$program-run$run.stderr"
        else
            failed=$((failed + 1))
            echo "$program run $run: exit status $status; stderr in $work/$program-run$run.stderr"
        fi
    done

    echo "$program: $runs runs, $ok clean exits, $failed failed, $hung hung (over $limit s)"
    bad=$((bad + failed + hung))
done

if ((bad > 0)); then
    BENCH_KEEP=1
fi
