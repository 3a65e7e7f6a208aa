#!/usr/bin/env bash
# Simulated seconds per real second of the sim platform: one simulated minute of 100 tasks with
# timers (plus a frame a millisecond between two kernels), N rounds (default 5), median printed.
# Pass --trace-syscalls as the second argument to count the syscall trace in.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds="${1:-5}"
case "$rounds" in ''|*[!0-9]*) echo "usage: bench/sim-speed.sh [rounds] [--trace-syscalls]" >&2; exit 2;; esac
dotnet run -c Release --project bench/SimSpeed -- "$rounds" ${2:-}
