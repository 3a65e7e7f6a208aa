#!/usr/bin/env bash
# samples/Hello as a microvm image against the same program as a hosted NativeAOT process:
# image size against the binary's, and the median wall times from start to the program's first
# line ("Hello, world!") and from start to exit (QEMU start to QEMU exit for the VM), the two
# taking turns run by run, with the medians of the pairwise ratios. A third row boots a static C
# program that only writes one line and exits 0 in the same shim: QEMU, its firmware and the shim
# alone, the floor under any VM here. Also: the memory the VM's program touched.
#
# Usage: bench/microvm.sh [RUNS]     RUNS defaults to 20.
# Needs: the .NET SDK, a C toolchain (gcc, libc6-dev, binutils), qemu-system-x86, python3 (the
# clock that stamps the first line as it arrives on the pipe). TCG unless
# /dev/kvm is usable and not PVM (UNIKRAFT_VM_ACCEL=tcg or kvm asks for one). BENCH_KEEP=1 keeps the
# temporary folder.
set -euo pipefail

runs="${1:-20}"
if ! [[ "$runs" =~ ^[1-9][0-9]*$ ]]; then
    echo "usage: $0 [RUNS]   (RUNS is a positive whole number, default 20)" >&2
    exit 2
fi
if ! command -v qemu-system-x86_64 >/dev/null 2>&1; then
    echo "$0: qemu-system-x86_64 not found (Debian and Ubuntu: apt-get install qemu-system-x86)" >&2
    exit 2
fi

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/microvm-bench.XXXXXX")"
cleanup() {
    if [[ "${BENCH_KEEP:-0}" == "1" ]]; then
        echo "kept $work" >&2
    else
        rm -rf "$work"
    fi
}
trap cleanup EXIT

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
unset UNIKRAFT_TRACE UNIKRAFT_VM_ENV
flags=(-c Release -r linux-x64 -p:PublishAot=true -nodeReuse:false)

echo "== publishing samples/Hello for microvm" >&2
dotnet publish "$repo/samples/Hello" "${flags[@]}" -p:UnikraftPlatform=microvm \
    --artifacts-path "$work/vm-artifacts" -o "$work/vm" >"$work/vm-publish.log" 2>&1 \
    || { cat "$work/vm-publish.log" >&2; exit 1; }
echo "== publishing samples/Hello for hosted" >&2
dotnet publish "$repo/samples/Hello" "${flags[@]}" \
    --artifacts-path "$work/hosted-artifacts" -o "$work/hosted" >"$work/hosted-publish.log" 2>&1 \
    || { cat "$work/hosted-publish.log" >&2; exit 1; }

# The floor: the shim around a static C program that writes one line and exits 0, linked as the
# build links Hello's.
echo "== linking the floor image (a static C program that writes a line and exits 0)" >&2
shim="$repo/kernel/Platform/MicroVm/shim"
mkdir -p "$work/floor"
printf '#include <unistd.h>\nint main(void) { return write(1, "floor\\n", 6) == 6 ? 0 : 1; }\n' >"$work/floor/exit0.c"
gcc -O2 -static -no-pie -o "$work/floor/exit0" "$work/floor/exit0.c"
strip "$work/floor/exit0"
printf '.section .payload, "a"\n.incbin "%s"\n.section .rodata\n.globl program_name\nprogram_name: .asciz "exit0"\n' "$work/floor/exit0" >"$work/floor/payload.S"
(cd "$work/floor" && gcc -O2 -std=gnu11 -ffreestanding -fno-stack-protector -fno-pic -fno-pie -mno-red-zone -mgeneral-regs-only \
    -fno-asynchronous-unwind-tables -fcf-protection=none -c "$shim"/*.c "$shim/boot.S" payload.S \
    && gcc -nostdlib -static -no-pie -s -Wl,-z,noexecstack -Wl,-z,max-page-size=4096 -Wl,--no-warn-rwx-segments -Wl,--build-id=none \
        -Wl,-T,"$shim/link.ld" -o exit0.vm boot.o devices.o machine.o main.o memory.o process.o syscalls.o payload.o)
cp "$work/vm/Hello-vm" "$work/floor/exit0-vm"

vm="$work/vm/Hello-vm"
hosted="$work/hosted/Hello"
floor="$work/floor/exit0-vm"
if [[ "$("$vm" 2>/dev/null </dev/null | tail -n 1)" != "Hello, world!" ]]; then
    echo "the VM did not print the greeting:" >&2
    "$vm" >&2 </dev/null || true
    exit 1
fi
[[ "$("$floor" </dev/null)" == "floor" ]] || { echo "the floor image did not write its line and exit 0" >&2; exit 1; }
touched_kib="$(UNIKRAFT_TRACE=1 "$vm" 2>&1 >/dev/null </dev/null | sed -n 's/^\[shim\] memory in use at exit, KiB: //p' | tail -n 1)"

# One run: "<ns to the first line> <ns to exit>", from just before the start (fork and exec of the
# runner, or of the binary) to the moment the line <want> arrives on the pipe, and to the exit.
# The VM's serial line carries the kernel's boot banner first: the line counted is the program's
# own. Standard input is /dev/null (the runner feeds the VM its end at once).
cat >"$work/first-line.py" <<'PY'
import subprocess, sys, time
want = sys.argv[1].encode()
start = time.perf_counter_ns()
process = subprocess.Popen(sys.argv[2:], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
first = None
for line in process.stdout:
    if first is None and line.rstrip(b"\r\n") == want:
        first = time.perf_counter_ns()
process.wait()
end = time.perf_counter_ns()
if first is None or process.returncode != 0:
    sys.exit("no line %r, or status %d, from %s" % (want, process.returncode, sys.argv[2]))
print(first - start, end - start)
PY
run_ns() { python3 "$work/first-line.py" "$@"; }
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

accel="TCG"
# The runner uses KVM only where /dev/kvm is usable and a probe boot runs under it (and
# UNIKRAFT_VM_ACCEL is not tcg); its trace names the accelerator.
if UNIKRAFT_TRACE=1 "$vm" 2>&1 >/dev/null </dev/null | grep -q "qemu -accel kvm"; then accel="KVM"; fi
method="python3 perf_counter around each start; VM, hosted and floor in turn; $accel"
echo "== timing $runs rounds, start to first line and to exit ($method)" >&2
for i in 1 2; do run_ns "Hello, world!" "$vm" >/dev/null; run_ns "Hello, world!" "$hosted" >/dev/null; run_ns floor "$floor" >/dev/null; done
vm_first=(); hosted_first=(); floor_first=(); vm_exit=(); hosted_exit=(); floor_exit=()
first_ratios=(); exit_ratios=(); first_above=(); exit_above=()
for ((i = 0; i < runs; i++)); do
    read -r a1 a2 < <(run_ns "Hello, world!" "$vm")
    read -r b1 b2 < <(run_ns "Hello, world!" "$hosted")
    read -r c1 c2 < <(run_ns floor "$floor")
    vm_first+=("$a1"); hosted_first+=("$b1"); floor_first+=("$c1")
    vm_exit+=("$a2"); hosted_exit+=("$b2"); floor_exit+=("$c2")
    first_ratios+=("$(awk -v a="$a1" -v b="$b1" 'BEGIN { printf "%.4f", a / b }')")
    exit_ratios+=("$(awk -v a="$a2" -v b="$b2" 'BEGIN { printf "%.4f", a / b }')")
    first_above+=("$((a1 - c1))")
    exit_above+=("$((a2 - c2))")
done
ms() { printf '%s\n' "$@" | median | awk '{ printf "%.1f", $1 / 1e6 }'; }
vm_bytes="$(stat -c %s "$work/vm/Hello.vm")"
hosted_bytes="$(stat -c %s "$hosted")"
floor_bytes="$(stat -c %s "$work/floor/exit0.vm")"

echo
echo "samples/Hello, microvm against hosted NativeAOT, $runs rounds ($method)"
awk -v vb="$vm_bytes" -v hb="$hosted_bytes" -v fb="$floor_bytes" \
    -v vf="$(ms "${vm_first[@]}")" -v hf="$(ms "${hosted_first[@]}")" -v ff="$(ms "${floor_first[@]}")" \
    -v ve="$(ms "${vm_exit[@]}")" -v he="$(ms "${hosted_exit[@]}")" -v fe="$(ms "${floor_exit[@]}")" 'BEGIN {
    printf "%-44s %14s %12s %16s %16s\n", "", "size (bytes)", "size (KiB)", "first line (ms)", "exit (ms)"
    printf "%-44s %14d %12.1f %16.1f %16.1f\n", "microvm Hello.vm (from QEMU start)", vb, vb / 1024, vf, ve
    printf "%-44s %14d %12.1f %16.1f %16.1f\n", "hosted Hello (NativeAOT, from exec)", hb, hb / 1024, hf, he
    printf "%-44s %14d %12.1f %16.1f %16.1f\n", "floor: the shim and a C write+exit in QEMU", fb, fb / 1024, ff, fe
    printf "%-44s %14.3f\n", "image size microvm/hosted", vb / hb
}'
echo "medians (first line, exit): of the $runs pairwise time ratios microvm/hosted: $(printf '%s\n' "${first_ratios[@]}" | median), $(printf '%s\n' "${exit_ratios[@]}" | median)"
echo "medians (first line, exit): of the $runs differences microvm - floor: $(ms "${first_above[@]}") ms, $(ms "${exit_above[@]}") ms (the goal: at most 100 ms above QEMU's own start)"
echo "memory the VM's program touched (frames in use at exit, page tables and kernel stacks included): ${touched_kib} KiB"
