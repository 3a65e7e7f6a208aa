#!/usr/bin/env bash
# samples/Hello as a microvm image against the same program as a hosted NativeAOT process:
# image size against the binary's, and the median wall time from start to exit (QEMU start to
# QEMU exit for the VM), the two taking turns run by run, with the median of the pairwise ratios.
# A third row boots a static C program that only exits 0 in the same shim: QEMU, its firmware
# and the shim alone, the floor under any VM here. Also: the memory the VM's program touched.
#
# Usage: bench/microvm.sh [RUNS]     RUNS defaults to 20.
# Needs: the .NET SDK, a C toolchain (gcc, libc6-dev, binutils), qemu-system-x86. TCG unless
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

# The floor: the shim around a static C program that exits 0, linked as the build links Hello's.
echo "== linking the floor image (a static C program that exits 0)" >&2
shim="$repo/kernel/Platform/MicroVm/shim"
mkdir -p "$work/floor"
echo 'int main(void) { return 0; }' >"$work/floor/exit0.c"
gcc -O2 -static -no-pie -o "$work/floor/exit0" "$work/floor/exit0.c"
strip "$work/floor/exit0"
printf '.section .payload, "a"\n.incbin "%s"\n.section .rodata\n.globl program_name\nprogram_name: .asciz "exit0"\n' "$work/floor/exit0" >"$work/floor/payload.S"
(cd "$work/floor" && gcc -O2 -std=gnu11 -ffreestanding -fno-stack-protector -fno-pic -fno-pie -mno-red-zone -mgeneral-regs-only \
    -fno-asynchronous-unwind-tables -fcf-protection=none -c "$shim"/*.c "$shim/boot.S" payload.S \
    && gcc -nostdlib -static -no-pie -Wl,-z,noexecstack -Wl,-z,max-page-size=4096 -Wl,--no-warn-rwx-segments -Wl,--build-id=none \
        -Wl,-T,"$shim/link.ld" -o exit0.vm boot.o devices.o machine.o main.o memory.o process.o syscalls.o payload.o)
cp "$work/vm/Hello-vm" "$work/floor/exit0-vm"

vm="$work/vm/Hello-vm"
hosted="$work/hosted/Hello"
floor="$work/floor/exit0-vm"
if [[ "$("$vm" 2>/dev/null | tail -n 1)" != "Hello, world!" ]]; then
    echo "the VM did not print the greeting:" >&2
    "$vm" >&2 || true
    exit 1
fi
"$floor" >/dev/null || { echo "the floor image did not exit 0" >&2; exit 1; }
touched_kib="$(UNIKRAFT_TRACE=1 "$vm" 2>&1 >/dev/null | sed -n 's/^\[shim\] memory in use at exit, KiB: //p' | tail -n 1)"

wall_ns() {
    local start end
    start="${EPOCHREALTIME/./}"
    "$1" >/dev/null 2>&1
    end="${EPOCHREALTIME/./}"
    echo $(((end - start) * 1000))
}
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

accel="TCG"
# The runner uses KVM only where /dev/kvm is usable and a probe boot runs under it (and
# UNIKRAFT_VM_ACCEL is not tcg); its trace names the accelerator.
if UNIKRAFT_TRACE=1 "$vm" 2>&1 >/dev/null | grep -q "qemu -accel kvm"; then accel="KVM"; fi
method="bash loop; VM, hosted and floor in turn; $accel"
echo "== timing $runs rounds, start to exit ($method)" >&2
for i in 1 2; do "$vm" >/dev/null 2>&1; "$hosted" >/dev/null 2>&1; "$floor" >/dev/null 2>&1; done
vm_samples=(); hosted_samples=(); floor_samples=(); ratios=(); above=()
for ((i = 0; i < runs; i++)); do
    a="$(wall_ns "$vm")"
    b="$(wall_ns "$hosted")"
    c="$(wall_ns "$floor")"
    vm_samples+=("$a"); hosted_samples+=("$b"); floor_samples+=("$c")
    ratios+=("$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.4f", a / b }')")
    above+=("$((a - c))")
done
ms() { printf '%s\n' "$@" | median | awk '{ printf "%.1f", $1 / 1e6 }'; }
vm_ms="$(ms "${vm_samples[@]}")"
hosted_ms="$(ms "${hosted_samples[@]}")"
floor_ms="$(ms "${floor_samples[@]}")"
above_ms="$(ms "${above[@]}")"
ratio="$(printf '%s\n' "${ratios[@]}" | median)"
vm_bytes="$(stat -c %s "$work/vm/Hello.vm")"
hosted_bytes="$(stat -c %s "$hosted")"
floor_bytes="$(stat -c %s "$work/floor/exit0.vm")"

echo
echo "samples/Hello, microvm against hosted NativeAOT, $runs rounds ($method)"
awk -v vb="$vm_bytes" -v hb="$hosted_bytes" -v fb="$floor_bytes" -v vm="$vm_ms" -v hm="$hosted_ms" -v fm="$floor_ms" 'BEGIN {
    printf "%-44s %14s %12s %18s\n", "", "size (bytes)", "size (KiB)", "median wall (ms)"
    printf "%-44s %14d %12.1f %18.1f\n", "microvm Hello.vm (QEMU start to exit)", vb, vb / 1024, vm
    printf "%-44s %14d %12.1f %18.1f\n", "hosted Hello (NativeAOT, exec to exit)", hb, hb / 1024, hm
    printf "%-44s %14d %12.1f %18.1f\n", "floor: the shim and a C exit(0) in QEMU", fb, fb / 1024, fm
    printf "%-44s %14.3f\n", "image size microvm/hosted", vb / hb
}'
echo "median of the $runs pairwise time ratios microvm/hosted: $ratio"
echo "median of the $runs differences microvm - floor: $above_ms ms (the goal: at most 100 ms above QEMU's own start)"
echo "memory the VM's program touched (frames in use at exit, page tables and kernel stacks included): ${touched_kib} KiB"
