#!/usr/bin/env bash
# iperf3 both ways: the kernel's own TCP/IP stack vs Linux's, side by side in one run.
#
#   ours   tests/Unikraft.Gen.EndToEnd.Tests/Programs/Iperf3Server (an iperf3 server in C# on the
#          BCL's TcpListener and Socket) built as `dotnet run` builds it, on its generated kernel,
#          the kernel's TCP/IP stack on a TAP device (198.18.0.2) in a network namespace;
#   linux  Linux's own `iperf3 -s`, on Linux's stack, in a second namespace joined to the first by
#          a veth pair (198.18.1.2).
# Linux's `iperf3 -c` in the first namespace runs against each: the upload (the client sends, the
# server receives) and the download (-R: the server sends), rounds alternating (ours, then Linux,
# each way); the script prints each test's rate (iperf3's receiver figure, sum_received), each
# side's median, and the median of the per-round ratios ours/Linux, per direction.
#
# Usage: bench/iperf.sh [rounds=5] [seconds=10]. Needs root (namespaces, TAP), iproute2, iperf3,
# jq and the .NET SDK. BENCH_PARALLEL=N runs N parallel streams (-P N); BENCH_OFFLOAD=0 runs the
# kernel's TAP device without its offloads (MTU frames); BENCH_KEEP=1 keeps the work folder (the
# JSON reports and the servers' logs are in it).
set -euo pipefail
rounds=${1:-5}
seconds=${2:-10}
parallel=${BENCH_PARALLEL:-1}
offload=${BENCH_OFFLOAD:-1}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d /tmp/unikraft-bench-iperf-XXXXXX)
space=ukiperf-$$
peer=ukiperf-peer-$$
ours=""
linux=""
cleanup() {
  exec 3>&- || true
  [ -n "$ours" ] && kill "$ours" 2>/dev/null || true
  [ -n "$linux" ] && kill "$linux" 2>/dev/null || true
  ip netns del "$space" 2>/dev/null || true
  ip netns del "$peer" 2>/dev/null || true
  [ "${BENCH_KEEP:-0}" = 1 ] || rm -rf "$work"
}
trap cleanup EXIT
for tool in ip iperf3 jq dotnet; do
  command -v "$tool" >/dev/null || { echo "bench/iperf.sh needs $tool" >&2; exit 1; }
done

program="$root/tests/Unikraft.Gen.EndToEnd.Tests/Programs/Iperf3Server"
dotnet build "$program" -c Release --artifacts-path "$work/ours" -nodeReuse:false -v quiet >/dev/null
ours_binary=$(find "$work/ours/bin/Iperf3Server" -type f -name Iperf3Server | head -n 1)

ip netns add "$space"
ip netns add "$peer"
ip -n "$space" link set lo up
ip -n "$peer" link set lo up
ip -n "$space" link add ukv0 type veth peer name ukv1 netns "$peer"
ip -n "$space" addr add 198.18.1.1/24 dev ukv0
ip -n "$peer" addr add 198.18.1.2/24 dev ukv1
ip -n "$space" link set ukv0 up
ip -n "$peer" link set ukv1 up

# Ours serves until its standard input closes: a FIFO the script holds open on fd 3 (closed in
# cleanup); the server itself must not inherit fd 3, or it would never see the end.
mkfifo "$work/ours.in"
exec 3<>"$work/ours.in"
ip netns exec "$space" env UNIKRAFT_TAP_OFFLOAD="$offload" "$ours_binary" < "$work/ours.in" > "$work/ours.out" 2> "$work/ours.err" 3>&- &
ours=$!
ip netns exec "$peer" iperf3 -s -B 198.18.1.2 > "$work/linux.out" 2>&1 3>&- &
linux=$!
for _ in $(seq 1 600); do ip -n "$space" link show uk0 >/dev/null 2>&1 && break; sleep 0.1; done
ip -n "$space" addr add 198.18.0.1/24 dev uk0
ip -n "$space" link set uk0 up
for _ in $(seq 1 600); do grep -q listening "$work/ours.out" && grep -q listening "$work/linux.out" && break; sleep 0.1; done

# One iperf3 test: its receiver's bits per second; the JSON report is kept as $work/NAME.json.
measure() {
  local name=$1 address=$2
  shift 2
  ip netns exec "$space" iperf3 -c "$address" -P "$parallel" -J "$@" > "$work/$name.json" 3>&- || true
  if jq -e 'has("error")' "$work/$name.json" >/dev/null 2>&1 || ! jq -e '.end.sum_received.bits_per_second' "$work/$name.json" >/dev/null 2>&1; then
    echo "iperf3 -c $address $*: $(jq -r '.error // "no report"' "$work/$name.json" 2>/dev/null || echo 'no report')" >&2
    exit 1
  fi
  jq -r '.end.sum_received.bits_per_second' "$work/$name.json"
}
gbits() { awk -v b="$1" 'BEGIN { printf "%.3f", b / 1e9 }'; }
median() { sort -g | awk '{ v[NR] = $1 } END { i = int((NR + 1) / 2); print v[i] }'; }

# Warm both sides (the JIT, ARP, the windows).
measure warm-ours-up 198.18.0.2 -t 1 >/dev/null; measure warm-linux-up 198.18.1.2 -t 1 >/dev/null
measure warm-ours-down 198.18.0.2 -t 1 -R >/dev/null; measure warm-linux-down 198.18.1.2 -t 1 -R >/dev/null
: > "$work/up"; : > "$work/down"
for round in $(seq 1 "$rounds"); do
  ou=$(measure "ours-up-$round" 198.18.0.2 -t "$seconds"); lu=$(measure "linux-up-$round" 198.18.1.2 -t "$seconds")
  od=$(measure "ours-down-$round" 198.18.0.2 -t "$seconds" -R); ld=$(measure "linux-down-$round" 198.18.1.2 -t "$seconds" -R)
  echo "$ou $lu" >> "$work/up"; echo "$od $ld" >> "$work/down"
  echo "round $round: upload ours $(gbits "$ou") Gbit/s, linux $(gbits "$lu") Gbit/s; download (-R) ours $(gbits "$od") Gbit/s, linux $(gbits "$ld") Gbit/s"
done

exec 3>&-
for _ in $(seq 1 100); do kill -0 "$ours" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$ours" 2>/dev/null; then
  echo "ours did not end when its standard input closed" >&2
  exit 1
fi
wait "$ours" || { echo "ours exited with $?: $(tail -n 3 "$work/ours.err")" >&2; exit 1; }
ours=""

echo
for direction in up down; do
  name=$([ "$direction" = up ] && echo "upload (iperf3 -c)" || echo "download (iperf3 -c -R)")
  echo "$name, $seconds s, $rounds rounds, -P $parallel, our offloads $([ "$offload" = 1 ] && echo on || echo off):" \
    "ours median $(gbits "$(cut -d' ' -f1 "$work/$direction" | median)") Gbit/s," \
    "linux median $(gbits "$(cut -d' ' -f2 "$work/$direction" | median)") Gbit/s," \
    "median ratio ours/linux $(awk '{ printf "%.4f\n", $1 / $2 }' "$work/$direction" | median)"
done
