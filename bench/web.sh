#!/usr/bin/env bash
# HTTP requests per second and p99 latency of ASP.NET Core on the kernel's own TCP/IP stack vs a
# reference on Linux's stack, side by side in one run, with wrk as the client.
#
#   static  samples/StaticSite (the static file middleware, its files in the kernel's initrd),
#           NativeAOT, on a TAP device (198.18.0.2)  vs  nginx (Debian's nginx-light, one worker,
#           access log off, the same folder), on Linux's stack over a veth pair (198.18.1.2);
#           the 612-byte index.html and the 64 KiB files/64k.bin.
#   webapi  samples/WebApi's JSON endpoint (/api/todos), NativeAOT, on the TAP device  vs  the same
#           Program.cs published as plain NativeAOT (no generator, no kernel) on Linux's stack.
#
# Topology as bench/tcp.sh: wrk runs in namespace A, which holds the TAP device's Linux end
# (198.18.0.1) and one end of the veth pair (198.18.1.1); the reference listens in namespace B.
# On two cores wrk competes with the server: wrk is pinned to CPU 0 and every server to CPU 1
# (taskset), ours and the reference alike. Each run measures ours, then the reference, for each
# workload; the script prints each run's figures, and per workload the medians and the median of
# the run-by-run ratios ours/reference. Any socket error or non-2xx/3xx answer wrk reports is
# printed and makes the script exit 1 after the summary.
#
# Usage: bench/web.sh [runs=3] [seconds=5] [connections=100] [threads=2]
#        (the issue's figures: bench/web.sh 5 10). Needs root (namespaces, TAP), iproute2, curl,
#        the .NET SDK with a C toolchain (NativeAOT), and the Debian packages wrk and nginx-light.
#        BENCH_KEEP=1 keeps the build folder; BENCH_WORK=<folder> uses (and keeps) that one, and
#        skips the publishes it already holds; BENCH_ONLY=static or webapi runs one half.
set -euo pipefail
runs=${1:-3}
seconds=${2:-5}
connections=${3:-100}
threads=${4:-2}
only=${BENCH_ONLY:-}
root=$(cd "$(dirname "$0")/.." && pwd)

missing=""
command -v wrk >/dev/null || missing="$missing wrk"
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing="$missing nginx-light"
if [ -n "$missing" ]; then
  echo "bench/web.sh needs the Debian packages:$missing (apt-get install -y$missing)" >&2
  exit 2
fi
if [ "$(id -u)" != 0 ]; then
  echo "bench/web.sh needs root: it makes network namespaces and a TAP device" >&2
  exit 2
fi
nginx_binary=$(command -v nginx || echo /usr/sbin/nginx)

if [ -n "${BENCH_WORK:-}" ]; then work=$BENCH_WORK; mkdir -p "$work"; else work=$(mktemp -d /tmp/unikraft-bench-web-XXXXXX); fi
space=ukweb-$$
peer=ukweb-peer-$$
ours=""
reference=""
# SIGTERM, then SIGKILL after 30 s: a server that stopped answering must not hold the script.
stop() {
  for pid in "$@"; do
    [ -n "$pid" ] || continue
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then
      echo "pid $pid did not end within 30 s of SIGTERM; killed" | tee -a "$work/errors" >&2
      kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
  done
}
cleanup() {
  stop "$ours" "$reference"
  ip netns del "$space" 2>/dev/null || true
  ip netns del "$peer" 2>/dev/null || true
  [ "${BENCH_KEEP:-0}" = 1 ] || [ -n "${BENCH_WORK:-}" ] || rm -rf "$work"
}
trap cleanup EXIT

publish() { # project folder, artifacts name, extra options...
  local project=$1 name=$2
  shift 2
  # A kept folder (BENCH_WORK) that has the binary already skips the publish.
  [ -n "${BENCH_WORK:-}" ] && [ -d "$work/$name/publish" ] && return
  dotnet publish "$project" -c Release -r linux-x64 -p:PublishAot=true --artifacts-path "$work/$name" \
    -o "$work/$name/publish" -nodeReuse:false -v quiet "$@" >"$work/$name.log" 2>&1 ||
    { echo "publish of $project failed; its output:" >&2; tail -40 "$work/$name.log" >&2; exit 1; }
}

site="$root/samples/StaticSite/rootfs/wwwroot"
if [ "$only" != webapi ]; then
  echo "publishing samples/StaticSite (NativeAOT, tap) ..."
  publish "$root/samples/StaticSite" site -p:StaticSiteNetwork=tap
fi
if [ "$only" != static ]; then
  echo "publishing samples/WebApi (NativeAOT, tap) and the same Program.cs as plain NativeAOT ..."
  publish "$root/samples/WebApi" webapi -p:WebApiNetwork=tap
  mkdir -p "$work/plain"
  cat > "$work/plain/WebApiPlain.csproj" <<PROJ
<Project Sdk="Microsoft.NET.Sdk.Web">
  <PropertyGroup>
    <TargetFramework>net10.0</TargetFramework>
    <Nullable>enable</Nullable>
    <ImplicitUsings>enable</ImplicitUsings>
    <AssemblyName>WebApiPlain</AssemblyName>
  </PropertyGroup>
  <ItemGroup>
    <Compile Include="$root/samples/WebApi/Program.cs" />
  </ItemGroup>
</Project>
PROJ
  publish "$work/plain" plain
fi

ip netns add "$space"
ip netns add "$peer"
ip -n "$space" link set lo up
ip -n "$peer" link set lo up
ip -n "$space" link add ukv0 type veth peer name ukv1 netns "$peer"
ip -n "$space" addr add 198.18.1.1/24 dev ukv0
ip -n "$peer" addr add 198.18.1.2/24 dev ukv1
ip -n "$space" link set ukv0 up
ip -n "$peer" link set ukv1 up

# Starts one of our NativeAOT images in namespace A on CPU 1 and brings up the Linux end of its
# TAP device; its output goes to $work/<name>.out.
start_ours() { # binary, name
  (cd "$(dirname "$1")" && exec ip netns exec "$space" taskset -c 1 "$1" </dev/null >"$work/$2.out" 2>&1) &
  ours=$!
  for _ in $(seq 1 600); do ip -n "$space" link show uk0 >/dev/null 2>&1 && break; sleep 0.1; done
  ip -n "$space" addr add 198.18.0.1/24 dev uk0
  ip -n "$space" link set uk0 up
  for _ in $(seq 1 600); do grep -q "Now listening on" "$work/$2.out" && break; sleep 0.1; done
  grep -q "Now listening on" "$work/$2.out" || { echo "$2 did not start:" >&2; cat "$work/$2.out" >&2; exit 1; }
}
wait_port() { # address
  for _ in $(seq 1 600); do ip netns exec "$space" curl -s -o /dev/null "http://$1:8080/" && return; sleep 0.1; done
  echo "nothing answers on $1:8080" >&2; exit 1
}

# One wrk run; prints "requests-per-second p99-milliseconds errors", and adds a line to
# $work/errors when wrk saw socket errors or non-2xx/3xx answers.
measure() { # url, label
  local out
  if ! out=$(ip netns exec "$space" taskset -c 0 wrk -t"$threads" -c"$connections" -d"${seconds}s" --latency "$1" 2>&1); then
    echo "$2: wrk failed: $(echo "$out" | head -3 | paste -sd';')" | tee -a "$work/errors" >&2
    echo "0 0 1"
    return
  fi
  echo "$out" > "$work/wrk-$(echo "$2" | tr / _)-$(date +%s%N).txt"
  local rps p99 errors
  rps=$(echo "$out" | awk '/^Requests\/sec:/ { print $2 }')
  p99=$(echo "$out" | awk '$1 == "99%" { v = $2; if (v ~ /us$/) { sub(/us$/, "", v); v /= 1000 } else if (v ~ /ms$/) { sub(/ms$/, "", v) } else if (v ~ /s$/) { sub(/s$/, "", v); v *= 1000 } printf "%.3f", v }')
  errors=$(echo "$out" | awk '/Socket errors:/ { gsub(",", ""); e += $4 + $6 + $8 + $10 } /Non-2xx or 3xx responses:/ { e += $5 } END { print e + 0 }')
  if [ "$errors" != 0 ]; then
    echo "$2: $(echo "$out" | grep -E "Socket errors|Non-2xx" | tr -s ' ' | paste -sd';')" | tee -a "$work/errors" >&2
  fi
  echo "$rps $p99 $errors"
}
median() { sort -g | awk '{ v[NR] = $1 } END { i = int((NR + 1) / 2); print v[i] }'; }

# Checks that a URL gives exactly the bytes of a file, on each side, before timing anything.
same_bytes() { # url, file
  local got want
  got=$(ip netns exec "$space" curl -sS --fail --max-time 30 "$1" | sha256sum | cut -d' ' -f1)
  want=$(sha256sum < "$2" | cut -d' ' -f1)
  [ "$got" = "$want" ] || { echo "$1 did not give the bytes of $2 ($got, want $want)" >&2; exit 1; }
}

# Alternates ours and the reference for each workload, run by run, and summarizes.
compare() { # group, ours-url-base, reference-url-base, paths...
  local group=$1 ours_base=$2 reference_base=$3
  shift 3
  local path run o r
  for path in "$@"; do : > "$work/$group-$(echo "$path" | tr / _)"; done
  # Warm both sides: the first requests fault pages in, open connections, fill ARP.
  for path in "$@"; do
    measure "$ours_base$path" "warm ours$path" >/dev/null; measure "$reference_base$path" "warm reference$path" >/dev/null
  done
  for run in $(seq 1 "$runs"); do
    for path in "$@"; do
      o=$(measure "$ours_base$path" "ours$path")
      r=$(measure "$reference_base$path" "reference$path")
      echo "$o $r" >> "$work/$group-$(echo "$path" | tr / _)"
      echo "run $run $group $path: ours $(echo "$o" | awk '{ printf "%.0f req/s, p99 %s ms", $1, $2 }');" \
        "reference $(echo "$r" | awk '{ printf "%.0f req/s, p99 %s ms", $1, $2 }')"
    done
  done
}
summary() { # group, reference name, paths...
  local group=$1 name=$2 file
  shift 2
  for path in "$@"; do
    file="$work/$group-$(echo "$path" | tr / _)"
    printf '| %s %s | %.0f | %.0f | **%.3f** | %.2f | %.2f | %.3f |\n' "$group" "$path" \
      "$(cut -d' ' -f1 "$file" | median)" "$(cut -d' ' -f4 "$file" | median)" \
      "$(awk '{ printf "%.4f\n", $1 / $4 }' "$file" | median)" \
      "$(cut -d' ' -f2 "$file" | median)" "$(cut -d' ' -f5 "$file" | median)" \
      "$(awk '{ printf "%.4f\n", ($5 > 0 ? $2 / $5 : 0) }' "$file" | median)"
  done >> "$work/summary"
  echo "$group: reference = $name" >> "$work/references"
}

: > "$work/summary"; : > "$work/references"; : > "$work/errors"
if [ "$only" != webapi ]; then
  conf="$work/nginx.conf"
  mkdir -p "$work/nginx"
  cat > "$conf" <<CONF
worker_processes 1;
daemon off;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log warn;
events { worker_connections 1024; }
http {
  include /etc/nginx/mime.types;
  default_type application/octet-stream;
  access_log off;
  sendfile on;
  tcp_nopush on;
  client_body_temp_path $work/nginx/body;
  proxy_temp_path $work/nginx/proxy;
  fastcgi_temp_path $work/nginx/fastcgi;
  uwsgi_temp_path $work/nginx/uwsgi;
  scgi_temp_path $work/nginx/scgi;
  server {
    listen 198.18.1.2:8080;
    root $site;
    index index.html;
  }
}
CONF
  start_ours "$work/site/publish/StaticSite" site
  ip netns exec "$peer" taskset -c 1 "$nginx_binary" -c "$conf" </dev/null >"$work/nginx.out" 2>&1 &
  reference=$!
  wait_port 198.18.0.2; wait_port 198.18.1.2
  for side in 198.18.0.2 198.18.1.2; do
    same_bytes "http://$side:8080/" "$site/index.html"
    same_bytes "http://$side:8080/files/64k.bin" "$site/files/64k.bin"
  done
  compare static http://198.18.0.2:8080 http://198.18.1.2:8080 / /files/64k.bin
  summary static "nginx $("$nginx_binary" -v 2>&1 | sed 's|.*/||'), one worker" / /files/64k.bin
  stop "$ours" "$reference"; ours=""; reference=""
fi
if [ "$only" != static ]; then
  start_ours "$work/webapi/publish/WebApi" webapi
  (cd "$root/samples/WebApi/rootfs" && exec ip netns exec "$peer" taskset -c 1 "$work/plain/publish/WebApiPlain" \
    --urls http://198.18.1.2:8080 </dev/null >"$work/plain.out" 2>&1) &
  reference=$!
  wait_port 198.18.0.2; wait_port 198.18.1.2
  for side in 198.18.0.2 198.18.1.2; do
    answer=$(ip netns exec "$space" curl -sS --fail --max-time 30 "http://$side:8080/api/todos")
    case "$answer" in
      '[{"id":1,"title":"Boot the kernel","done":true},'*) ;;
      *) echo "http://$side:8080/api/todos answered: $answer" >&2; exit 1 ;;
    esac
  done
  compare webapi http://198.18.0.2:8080 http://198.18.1.2:8080 /api/todos
  summary webapi "the same Program.cs, plain NativeAOT" /api/todos
  stop "$ours" "$reference"; ours=""; reference=""
fi

echo
echo "wrk -t$threads -c$connections -d${seconds}s --latency, $runs runs; wrk on CPU 0, each server on CPU 1"
cat "$work/references"
echo
echo "| workload | ours req/s | reference req/s | req/s ratio ours/reference | ours p99 ms | reference p99 ms | p99 ratio ours/reference |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
cat "$work/summary"
if [ -s "$work/errors" ]; then
  echo
  echo "wrk reported errors (a failed request, a reset or a timeout):"
  cat "$work/errors"
  exit 1
fi
