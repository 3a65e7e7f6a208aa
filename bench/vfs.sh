#!/usr/bin/env bash
# The kernel's ramfs through its syscall layer against the host's tmpfs through libc, in one run:
# sequential read and write throughput, open+close and stat latency. Medians of N rounds (default 7).
set -euo pipefail
cd "$(dirname "$0")/.."
rounds="${1:-7}"
case "$rounds" in ''|*[!0-9]*) echo "usage: bench/vfs.sh [rounds]" >&2; exit 2;; esac
dotnet run -c Release --project bench/VfsBench -- "$rounds"
