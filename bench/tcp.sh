#!/usr/bin/env bash
# TCP throughput of the kernel's own stack vs Linux's, side by side in one run.
#
# Both sides run the same program, tests/Unikraft.Gen.EndToEnd.Tests/Programs/NetPeer (an HTTP/1.1
# server on the BCL's TcpListener: GET /bytes/N sends N bytes, PUT /sha256 hashes what it gets):
#   ours   built as `dotnet run` builds it, on its generated kernel, the kernel's TCP/IP stack on a
#          TAP device (198.18.0.2) in a network namespace;
#   linux  the same source built as a plain .NET program (no generator), on Linux's stack, in a
#          second namespace joined to the first by a veth pair (198.18.1.2).
# curl in the first namespace downloads and uploads $SIZE bytes from each, rounds alternating (ours,
# then Linux); the script prints each transfer's rate, each side's median, and the median of the
# per-round ratios ours/Linux, per direction.
#
# Usage: bench/tcp.sh [rounds=5] [megabytes=200]. Needs root (namespaces, TAP), iproute2 and curl;
# BENCH_KEEP=1 keeps the build folder. BENCH_LOSS=P drops P percent of the frames at random each way
# on both sides' links (nftables in the first namespace; with segmentation offloads off and each
# packet one segment, so that a drop loses one segment: Linux's by ethtool, the kernel's TAP device's
# by UNIKRAFT_TAP_OFFLOAD=0), for the recovery of both stacks side by side: it needs nftables and
# ethtool too. Without BENCH_LOSS the kernel's TAP device has its offloads (TCP segments of up to
# 64 KB that Linux cuts, checksums left to it); BENCH_OFFLOAD=0 turns them off for a run of MTU
# frames.
set -euo pipefail
rounds=${1:-5}
megabytes=${2:-200}
size=$((megabytes * 1000 * 1000))
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d /tmp/unikraft-bench-tcp-XXXXXX)
space=ukbench-$$
peer=ukbench-peer-$$
ours=""
linux=""
cleanup() {
  [ -n "$ours" ] && kill "$ours" 2>/dev/null || true
  [ -n "$linux" ] && kill "$linux" 2>/dev/null || true
  ip netns del "$space" 2>/dev/null || true
  ip netns del "$peer" 2>/dev/null || true
  [ "${BENCH_KEEP:-0}" = 1 ] || rm -rf "$work"
}
trap cleanup EXIT

program="$root/tests/Unikraft.Gen.EndToEnd.Tests/Programs/NetPeer"
dotnet build "$program" -c Release --artifacts-path "$work/ours" -nodeReuse:false -v quiet >/dev/null
mkdir -p "$work/plain"
cat > "$work/plain/NetPeerPlain.csproj" <<PROJ
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <OutputType>Exe</OutputType>
    <TargetFramework>net10.0</TargetFramework>
    <ImplicitUsings>enable</ImplicitUsings>
    <Nullable>enable</Nullable>
    <AssemblyName>NetPeerPlain</AssemblyName>
  </PropertyGroup>
  <ItemGroup>
    <Compile Include="$program/Program.cs" />
  </ItemGroup>
</Project>
PROJ
dotnet build "$work/plain" -c Release --artifacts-path "$work/linux" -nodeReuse:false -v quiet >/dev/null
ours_binary=$(find "$work/ours/bin/NetPeer" -type f -name NetPeer | head -n 1)
linux_binary=$(find "$work/linux/bin/NetPeerPlain" -type f -name NetPeerPlain | head -n 1)

ip netns add "$space"
ip netns add "$peer"
ip -n "$space" link set lo up
ip -n "$peer" link set lo up
ip -n "$space" link add ukv0 type veth peer name ukv1 netns "$peer"
ip -n "$space" addr add 198.18.1.1/24 dev ukv0
ip -n "$peer" addr add 198.18.1.2/24 dev ukv1
ip -n "$space" link set ukv0 up
ip -n "$peer" link set ukv1 up

loss=${BENCH_LOSS:-0}
offload=${BENCH_OFFLOAD:-1}
[ "$loss" != 0 ] && offload=0
ip netns exec "$space" env UNIKRAFT_TAP_OFFLOAD="$offload" "$ours_binary" async < /dev/null > "$work/ours.out" 2> "$work/ours.err" &
ours=$!
ip netns exec "$peer" "$linux_binary" async < /dev/null > "$work/linux.out" 2> "$work/linux.err" &
linux=$!
for _ in $(seq 1 600); do ip -n "$space" link show uk0 >/dev/null 2>&1 && break; sleep 0.1; done
ip -n "$space" addr add 198.18.0.1/24 dev uk0
ip -n "$space" link set uk0 up
for _ in $(seq 1 600); do grep -q listening "$work/ours.out" && grep -q listening "$work/linux.out" && break; sleep 0.1; done

if [ "$loss" != 0 ]; then
  # NOTE: with offloads off Linux's TCP still builds 64 KB packets, cut into segments after
  # netfilter (and carried whole across a veth pair): gso_max_segs 1 makes each packet one segment.
  for link in "$space uk0" "$space ukv0" "$peer ukv1"; do
    set -- $link
    ip netns exec "$1" ethtool -K "$2" tso off gso off gro off >/dev/null
    ip -n "$1" link set dev "$2" gso_max_segs 1
  done
  ip netns exec "$space" nft -f - <<RULES
table inet bench_loss {
  chain in { type filter hook input priority 0; iifname { "uk0", "ukv0" } numgen random mod 100 < $loss counter drop; }
  chain out { type filter hook output priority 0; oifname { "uk0", "ukv0" } numgen random mod 100 < $loss counter drop; }
}
RULES
fi

head -c "$size" /dev/urandom > "$work/upload.bin"
# Bytes per second of one transfer, as curl measures it.
download() { ip netns exec "$space" curl -sS -o /dev/null -w '%{speed_download}' "http://$1:8080/bytes/$size"; }
upload() { ip netns exec "$space" curl -sS -o /dev/null -T "$work/upload.bin" -w '%{speed_upload}' "http://$1:8080/sha256"; }
gbits() { awk -v b="$1" 'BEGIN { printf "%.3f", b * 8 / 1e9 }'; }
median() { sort -g | awk '{ v[NR] = $1 } END { i = int((NR + 1) / 2); print v[i] }'; }

# Warm both sides (the JIT, ARP, the windows).
download 198.18.0.2 >/dev/null; download 198.18.1.2 >/dev/null
: > "$work/down"; : > "$work/up"
for round in $(seq 1 "$rounds"); do
  od=$(download 198.18.0.2); ld=$(download 198.18.1.2)
  ou=$(upload 198.18.0.2); lu=$(upload 198.18.1.2)
  echo "$od $ld" >> "$work/down"; echo "$ou $lu" >> "$work/up"
  echo "round $round: download ours $(gbits "$od") Gbit/s, linux $(gbits "$ld") Gbit/s; upload ours $(gbits "$ou") Gbit/s, linux $(gbits "$lu") Gbit/s"
done
if [ "$loss" != 0 ]; then
  echo "loss $loss%: $(ip netns exec "$space" nft list table inet bench_loss | grep -o 'counter packets [0-9]*' | awk '{ s = s $3 " " } END { print "dropped " s "frames (into, out of the first namespace)" }')"
fi
ip netns exec "$space" curl -sS -o /dev/null "http://198.18.0.2:8080/quit" || true
ip netns exec "$space" curl -sS -o /dev/null "http://198.18.1.2:8080/quit" || true

echo
for direction in down up; do
  name=$([ "$direction" = down ] && echo download || echo upload)
  echo "$name ($megabytes MB, $rounds rounds, loss $loss%, our offloads $([ "$offload" = 1 ] && echo on || echo off)): ours median $(gbits "$(cut -d' ' -f1 "$work/$direction" | median)") Gbit/s," \
    "linux median $(gbits "$(cut -d' ' -f2 "$work/$direction" | median)") Gbit/s," \
    "median ratio ours/linux $(awk '{ printf "%.4f\n", $1 / $2 }' "$work/$direction" | median)"
done
