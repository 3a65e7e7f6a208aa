#!/usr/bin/env bash
# The exit's TCP delivery under repetition: TcpEcho's copy server (it echoes what it receives, then
# closes and exits at once) gets 1 MiB from Linux's nc across its TAP device, RUNS times, each run
# in a fresh network namespace. A run loses data when nc gets fewer or other bytes back than it
# sent; it hangs when the server has not ended 40 s after nc did (the run is then killed). Prints
# one line per bad run and the totals. Not a speed figure: how often the exit loses or hangs.
#
# Usage: bench/exit-delivery.sh [runs=100]. Needs root (namespaces, TAP), iproute2 and
# netcat-openbsd; BENCH_KEEP=1 keeps the build folder.
set -euo pipefail
runs=${1:-100}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d /tmp/unikraft-bench-exit-XXXXXX)
space=ukexit-$$
server=""
cleanup() {
  [ -n "$server" ] && kill -9 "$server" 2>/dev/null || true
  ip netns del "$space" 2>/dev/null || true
  [ "${BENCH_KEEP:-0}" = 1 ] || rm -rf "$work"
}
trap cleanup EXIT

dotnet build "$root/tests/Unikraft.Gen.EndToEnd.Tests/Programs/TcpEcho" --artifacts-path "$work/artifacts" -nodeReuse:false -v quiet >/dev/null
program=$(find "$work/artifacts/bin/TcpEcho" -type f -name TcpEcho | head -n 1)
head -c 1048576 /dev/urandom > "$work/sent.bin"
lost=0
hung=0
for run in $(seq 1 "$runs"); do
  ip netns add "$space"
  ip netns exec "$space" ip link set lo up
  rm -f "$work/out"
  mkfifo "$work/out"
  ip netns exec "$space" "$program" copy 1 > "$work/out" 2>"$work/err" &
  server=$!
  exec 3<"$work/out"
  read -r -t 60 _ <&3 || true
  for _ in $(seq 1 50); do ip netns exec "$space" ip link show uk0 >/dev/null 2>&1 && break; sleep 0.1; done
  ip netns exec "$space" ip addr add 198.18.0.1/24 dev uk0
  ip netns exec "$space" ip link set uk0 up
  ip netns exec "$space" sh -c "nc -N -w 30 198.18.0.2 7777 < '$work/sent.bin' > '$work/received.bin'" || true
  for _ in $(seq 1 400); do kill -0 "$server" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$server" 2>/dev/null; then
    hung=$((hung + 1))
    echo "run $run: the server had not ended 40 s after the client"
    kill -9 "$server" 2>/dev/null || true
  fi
  wait "$server" 2>/dev/null || true
  server=""
  cat <&3 >/dev/null || true
  exec 3<&-
  if ! cmp -s "$work/sent.bin" "$work/received.bin"; then
    lost=$((lost + 1))
    echo "run $run: got $(stat -c %s "$work/received.bin") of 1048576 bytes"
  fi
  ip netns del "$space"
done
echo "$runs runs: $lost lost data, $hung hung"
