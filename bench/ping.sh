#!/usr/bin/env bash
# Ping round trips to the kernel's own stack vs Linux's, side by side in one run.
#
# Ours: tests/Unikraft.Gen.EndToEnd.Tests/Programs/NetPing (a program with a TAP interface,
# 198.18.0.2/24) built as `dotnet run` builds it, run in a network namespace, its TAP device
# given 198.18.0.1 on the Linux side. Reference: a second namespace joined to the same one by a
# veth pair, Linux's own stack at 198.18.1.2 answering. Rounds alternate (ours, then Linux), each
# `ping -c $COUNT -i 0.002` from the same namespace; the script prints each side's p50 and p99
# round trip over all rounds and the median of the per-round p50 and p99 ratios ours/Linux.
#
# Usage: bench/ping.sh [rounds=5] [count=500]. Needs root (namespaces, TAP), iproute2 and
# iputils-ping; BENCH_KEEP=1 keeps the build folder.
set -euo pipefail
rounds=${1:-5}
count=${2:-500}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d /tmp/unikraft-bench-ping-XXXXXX)
space=ukbench-$$
peer=ukbench-peer-$$
server=""
cleanup() {
  [ -n "$server" ] && kill "$server" 2>/dev/null || true
  ip netns del "$space" 2>/dev/null || true
  ip netns del "$peer" 2>/dev/null || true
  [ "${BENCH_KEEP:-0}" = 1 ] || rm -rf "$work"
}
trap cleanup EXIT

dotnet build "$root/tests/Unikraft.Gen.EndToEnd.Tests/Programs/NetPing" --artifacts-path "$work/artifacts" -nodeReuse:false -v quiet >/dev/null
program=$(find "$work/artifacts/bin/NetPing" -type f -name NetPing | head -n 1)

ip netns add "$space"
ip netns add "$peer"
ip -n "$space" link set lo up
ip -n "$peer" link set lo up
ip -n "$space" link add ukv0 type veth peer name ukv1 netns "$peer"
ip -n "$space" addr add 198.18.1.1/24 dev ukv0
ip -n "$peer" addr add 198.18.1.2/24 dev ukv1
ip -n "$space" link set ukv0 up
ip -n "$peer" link set ukv1 up

mkfifo "$work/input"
ip netns exec "$space" "$program" < "$work/input" > "$work/program.out" 2> "$work/program.err" &
server=$!
exec 3> "$work/input"
for _ in $(seq 1 600); do ip -n "$space" link show uk0 >/dev/null 2>&1 && break; sleep 0.1; done
ip -n "$space" addr add 198.18.0.1/24 dev uk0
ip -n "$space" link set uk0 up
# Warm both sides (ARP, the JIT).
ip netns exec "$space" ping -c 50 -i 0.002 -q 198.18.0.2 >/dev/null
ip netns exec "$space" ping -c 50 -i 0.002 -q 198.18.1.2 >/dev/null

times() { ip netns exec "$space" ping -c "$count" -i 0.002 "$1" | sed -n 's/.*time=\([0-9.]*\) ms/\1/p'; }
percentile() { sort -g | awk -v p="$1" '{ v[NR] = $1 } END { i = int((NR - 1) * p + 0.5) + 1; print v[i] }'; }
: > "$work/ours.all"; : > "$work/linux.all"; : > "$work/ratios"
for round in $(seq 1 "$rounds"); do
  times 198.18.0.2 > "$work/ours"
  times 198.18.1.2 > "$work/linux"
  cat "$work/ours" >> "$work/ours.all"; cat "$work/linux" >> "$work/linux.all"
  o50=$(percentile 0.5 < "$work/ours"); l50=$(percentile 0.5 < "$work/linux")
  o99=$(percentile 0.99 < "$work/ours"); l99=$(percentile 0.99 < "$work/linux")
  echo "$o50 $l50 $o99 $l99" | awk '{ printf "%.4f %.4f\n", $1 / $2, $3 / $4 }' >> "$work/ratios"
  echo "round $round: ours p50 $o50 ms p99 $o99 ms ($(wc -l < "$work/ours") replies), linux p50 $l50 ms p99 $l99 ms ($(wc -l < "$work/linux") replies)"
done
exec 3>&-
echo
echo "ours  (kernel stack on TAP): p50 $(percentile 0.5 < "$work/ours.all") ms, p99 $(percentile 0.99 < "$work/ours.all") ms over $(wc -l < "$work/ours.all") replies"
echo "linux (veth, same namespace): p50 $(percentile 0.5 < "$work/linux.all") ms, p99 $(percentile 0.99 < "$work/linux.all") ms over $(wc -l < "$work/linux.all") replies"
echo "median ratio ours/linux: p50 $(cut -d' ' -f1 "$work/ratios" | percentile 0.5), p99 $(cut -d' ' -f2 "$work/ratios" | percentile 0.5) ($rounds rounds of $count)"
