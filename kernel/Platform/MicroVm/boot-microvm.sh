#!/bin/sh
# Boots a microvm image in QEMU. Published next to the image as <name>-vm, it boots <name>.vm:
#   ./Hello-vm [arguments...]
# The serial line is the console (the program's stdin, stdout and stderr), the arguments are the
# program's, UNIKRAFT_VM_ENV="NAME=value ..." gives it environment variables, and this script
# exits with the program's exit status. KVM is used when /dev/kvm is usable and runs the shim (a
# probe boot, its answer cached) and is not PVM (kvm_pvm, slower than TCG here), TCG otherwise;
# UNIKRAFT_VM_ACCEL=tcg or kvm asks for one.
# UNIKRAFT_VM_MEMORY sets the VM's memory (default 512M); UNIKRAFT_TRACE=1 traces the shim's
# system calls (and the kernel's) to stderr; the network's variables are below.
# When standard input and output are both a terminal, the program runs in it as in a terminal on
# Linux: the runner passes the window's size and TERM to the VM, and keeps the terminal raw for the
# VM's life (the program's own line discipline, in the VM, decides echo and raw keys; Ctrl-C
# reaches it as a key and raises SIGINT there: Console.CancelKeyPress, or status 130 without a
# handler that cancels it, unless it reads Ctrl-C as input), putting it back on every way out; each
# resize of the window (SIGWINCH) is sent to the VM on a second serial line. UNIKRAFT_VM_TERMINAL=
# <columns>x<rows> makes the VM see a terminal of that size whatever standard input and output are
# (tests: keys piped in as typed).
set -u
here=$(dirname "$0")
name=$(basename "$0")
name=${name%-vm}
image=${UNIKRAFT_VM_IMAGE:-$here/$name.vm}
qemu=${UNIKRAFT_QEMU:-qemu-system-x86_64}
if ! command -v "$qemu" >/dev/null 2>&1; then
    echo "$name-vm: $qemu was not found: install QEMU (Debian and Ubuntu: apt-get install qemu-system-x86)" >&2
    exit 127
fi
if [ ! -f "$image" ]; then
    echo "$name-vm: no image at $image: publish with -p:PublishAot=true -p:UnikraftPlatform=microvm" >&2
    exit 126
fi
accel="-accel tcg -cpu max"
want=${UNIKRAFT_VM_ACCEL:-}
# NOTE: a KVM without VT-x or AMD-V (kvm_pvm, the "Pagetable-based Virtual Machine") runs the
# shim's ring 0 in its instruction emulator: each trap from the program (a syscall, a page fault)
# costs about 0.2-1.4 ms there against microseconds under TCG, so short and syscall-heavy programs
# run 2-4 times slower (bench/README.md, microvm.sh). TCG is the default there;
# UNIKRAFT_VM_ACCEL=kvm asks for PVM anyway (compute-bound code runs natively under it).
if [ -z "$want" ] && [ -d /sys/module/kvm_pvm ]; then
    want=tcg
    if [ "${UNIKRAFT_TRACE:-}" = 1 ]; then
        echo "$name-vm: /dev/kvm is PVM (kvm_pvm: no hardware virtualization), slower than TCG for this: running under TCG (UNIKRAFT_VM_ACCEL=kvm asks for it)" >&2
    fi
fi
if [ "$want" != tcg ] && [ -r /dev/kvm ] && [ -w /dev/kvm ]; then
    # NOTE: without arch-capabilities: a KVM may refuse the host's IA32_ARCH_CAPABILITIES value
    # (PVM does; QEMU then aborts: "failed to set MSR 0x10a to 0x69"); the shim never reads
    # that MSR.
    kvm="-accel kvm -cpu host,-arch-capabilities"
    # A KVM that cannot run the shim stops QEMU for good ("KVM internal error ... emulation
    # failure", then QEMU waits, paused), after the program may have read its input: a probe
    # boot decides first (uk.probe=1 ends the VM right after the shim's set-up, its ring-3 probe
    # included; under 0.5 s), and TCG runs the program where KVM cannot. The answer is kept per
    # QEMU binary, host kernel and image, so a program booted again does not probe again.
    cache=${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/unikraft-gen
    qemu_path=$(command -v "$qemu")
    key=$(printf '%s\n' "$qemu_path" "$(ls -lL "$qemu_path")" "$(uname -rv)" "$(cksum <"$image")" | cksum | cut -d ' ' -f 1)
    answer=$(cat "$cache/kvm-probe-$key" 2>/dev/null)
    if [ -z "$answer" ]; then
        # shellcheck disable=SC2086
        timeout 5 "$qemu" -machine microvm,pit=on,rtc=on $kvm -m 64M -no-reboot -nodefaults -no-user-config \
            -display none -serial none -device isa-debug-exit,iobase=0xf4,iosize=4 \
            -kernel "$image" -append "uk.probe=1 --" </dev/null >/dev/null 2>&1
        # isa-debug-exit: status 0 leaves QEMU with (0 << 1) | 1.
        if [ $? -eq 1 ]; then answer=kvm; else answer=tcg; fi
        mkdir -p "$cache" 2>/dev/null && printf '%s\n' "$answer" >"$cache/kvm-probe-$key" 2>/dev/null
    fi
    if [ "$answer" = kvm ]; then
        accel="$kvm"
    elif [ "${UNIKRAFT_TRACE:-}" = 1 ] || [ "${UNIKRAFT_VM_ACCEL:-}" = kvm ]; then
        echo "$name-vm: KVM did not run the shim's set-up (probe boot failed); running under TCG" >&2
    fi
fi
if [ "${UNIKRAFT_TRACE:-}" = 1 ]; then
    echo "$name-vm: qemu $accel" >&2
fi

# The network: <name>.vm-net, written by publish beside the image, has a line per
# <UnikraftNet Type="virtio"> item: name|address/prefix|gateway|forwarded ports. Each becomes a
# virtio-net device on QEMU's user network (slirp: no root, no TAP), set up as the item says (its
# network, the gateway as the host's address there) and forwarding 127.0.0.1:PORT on the host to
# the same port of the program. UNIKRAFT_VM_FORWARD="HOST:GUEST ..." forwards those ports instead
# (a host port that is taken, a test's free port); UNIKRAFT_VM_NET_RESTRICT=1 cuts the VM off
# from the host's network but for the forwarded ports (slirp's restrict=on). The devices are
# modern virtio-mmio (version 2), on the first IO-APIC (ioapic2=off: lines 16-23).
# UNIKRAFT_VM_NETWORK=passt puts each card on a passt of its own instead (Debian package passt:
# no root, no TAP), reached through QEMU's stream netdev on passt's UNIX socket: passt answers for
# the item's gateway (-a, -n, -g), forwards the same ports from 127.0.0.1 and presents
# connections from the host's loopback as coming from the gateway, as the user network does. It
# quits when QEMU closes its socket (-1), and the runner ends it in any case. With
# UNIKRAFT_VM_NET_RESTRICT=1 it drops the program's own UDP and ICMP (--no-udp --no-icmp); passt
# has no switch for the TCP connections the program opens itself.
machine="microvm,pit=on,rtc=on"
network=""
backend=${UNIKRAFT_VM_NETWORK:-user}
passt=${UNIKRAFT_PASST:-passt}
passt_folder=""
terminal_saved=""
winch_folder=""
cleanup() {
    if [ -n "$terminal_saved" ]; then
        stty "$terminal_saved" 2>/dev/null
        terminal_saved=""
    fi
    if [ -n "$winch_folder" ]; then
        exec 4>&-
        rm -rf "$winch_folder"
    fi
    if [ -n "$passt_folder" ]; then
        for pidfile in "$passt_folder"/*.pid; do
            [ -f "$pidfile" ] && kill "$(cat "$pidfile")" 2>/dev/null
        done
        rm -rf "$passt_folder"
    fi
    [ -n "${log:-}" ] && rm -f "$log"
}
trap cleanup EXIT
# A runner ended by a signal cleans up too (passt, the log), once QEMU has gone.
trap 'exit 130' INT
trap 'exit 143' TERM HUP
# One card's passt (its own positional parameters: the program's arguments stay the script's),
# in the foreground of a background job, so that its pid is the job's (the runner writes it down:
# passt, become nobody, could not write a pid file of its own in the runner's folder). Its
# messages go to a log that is shown only when it does not start.
start_passt() {
    interface=$1 host=$2 prefix=$3 gateway=$4 forward=$5
    socket="$passt_folder/$interface.socket"
    set -- -f -q -4 -1 -a "$host" -n "$prefix" -s "$socket"
    if [ -n "$gateway" ]; then
        set -- "$@" -g "$gateway"
    fi
    if [ "${UNIKRAFT_VM_NET_RESTRICT:-}" = 1 ]; then
        set -- "$@" --no-udp --no-icmp
    fi
    if [ -n "${UNIKRAFT_VM_FORWARD:-}" ]; then
        for pair in $UNIKRAFT_VM_FORWARD; do
            set -- "$@" -t "127.0.0.1/${pair%%:*}:${pair#*:}"
        done
    else
        for port in $(echo "$forward" | tr ',' ' '); do
            # Forward's "8080/tcp" is 8080 (the build refuses "/udp" for a VM).
            set -- "$@" -t "127.0.0.1/${port%/tcp}"
        done
    fi
    "$passt" "$@" </dev/null >"$passt_folder/$interface.log" 2>&1 &
    echo $! >"$passt_folder/$interface.pid"
    # NOTE: passt binds its socket once it is set up; 10 s is far more than it takes.
    waited=0
    while [ ! -S "$socket" ]; do
        if ! kill -0 "$(cat "$passt_folder/$interface.pid")" 2>/dev/null || [ "$waited" -ge 200 ]; then
            cat "$passt_folder/$interface.log" >&2
            echo "$name-vm: passt did not start for $interface: $passt $*" >&2
            return 1
        fi
        sleep 0.05
        waited=$((waited + 1))
    done
}
dotted() {
    echo "$(( ($1 >> 24) & 255 )).$(( ($1 >> 16) & 255 )).$(( ($1 >> 8) & 255 )).$(( $1 & 255 ))"
}
if [ -f "$here/$name.vm-net" ]; then
    case "$backend" in
    user)
        if ! "$qemu" -netdev help 2>/dev/null | grep -qx user; then
            echo "$name-vm: $qemu has no user network (-netdev user, libslirp), which the image's network card needs" >&2
            exit 127
        fi ;;
    passt)
        if ! command -v "$passt" >/dev/null 2>&1; then
            echo "$name-vm: $passt was not found: install passt (Debian and Ubuntu: apt-get install passt), or leave UNIKRAFT_VM_NETWORK unset for QEMU's user network" >&2
            exit 127
        fi
        if ! "$qemu" -netdev help 2>/dev/null | grep -qx stream; then
            echo "$name-vm: $qemu has no stream netdev (QEMU 7.2 or later), which passt needs" >&2
            exit 127
        fi
        passt_folder=$(mktemp -d)
        # NOTE: run as root, passt becomes the user nobody before it binds its socket (passt(1),
        # "Don't run as root"): the folder is then nobody's to write in.
        if [ "$(id -u)" = 0 ]; then
            chown nobody "$passt_folder"
        fi ;;
    *)
        echo "$name-vm: UNIKRAFT_VM_NETWORK=$backend: the networks are user (QEMU's, the default) and passt" >&2
        exit 2 ;;
    esac
    machine="$machine,ioapic2=off"
    network="-global virtio-mmio.force-legacy=false"
    while IFS='|' read -r interface address gateway forward; do
        [ -n "$interface" ] || continue
        host=${address%/*}
        prefix=${address#*/}
        ip=$(echo "$host" | { IFS=. read -r a b c d; echo $(( (a << 24) | (b << 16) | (c << 8) | d )); })
        subnet=$(dotted $(( ip & ((0xFFFFFFFF << (32 - prefix)) & 0xFFFFFFFF) )))
        if [ "$backend" = passt ]; then
            start_passt "$interface" "$host" "$prefix" "$gateway" "$forward" || exit 127
            network="$network -netdev stream,id=$interface,server=off,addr.type=unix,addr.path=$passt_folder/$interface.socket -device virtio-net-device,netdev=$interface"
            continue
        fi
        options="user,id=$interface,net=$subnet/$prefix"
        if [ -n "$gateway" ]; then
            options="$options,host=$gateway"
        fi
        if [ "${UNIKRAFT_VM_NET_RESTRICT:-}" = 1 ]; then
            options="$options,restrict=on"
        fi
        if [ -n "${UNIKRAFT_VM_FORWARD:-}" ]; then
            for pair in $UNIKRAFT_VM_FORWARD; do
                options="$options,hostfwd=tcp:127.0.0.1:${pair%%:*}-$host:${pair#*:}"
            done
        else
            for port in $(echo "$forward" | tr ',' ' '); do
                port=${port%/tcp}
                options="$options,hostfwd=tcp:127.0.0.1:$port-$host:$port"
            done
        fi
        network="$network -netdev $options -device virtio-net-device,netdev=$interface"
    done < "$here/$name.vm-net"
fi

# The shim splits its command line at spaces: "%20" stands for a space, "%25" for a percent sign.
encode() {
    printf '%s' "$1" | sed -e 's/%/%25/g' -e 's/ /%20/g'
}
cmdline=""
if [ "${UNIKRAFT_TRACE:-}" = 1 ]; then
    cmdline="uk.trace=1 UNIKRAFT_TRACE=1"
fi
for variable in ${UNIKRAFT_VM_ENV:-}; do
    cmdline="$cmdline $(encode "$variable")"
done
# The terminal. Standard input a terminal: the runner makes it raw (below), and the shim is the
# line discipline (uk.console=tty: it echoes and edits lines as a terminal would, or hands out keys
# raw when the program asks). Standard output a terminal too (or UNIKRAFT_VM_TERMINAL): the
# program's console is a terminal of the window's size (UNIKRAFT_TERMINAL=<columns>x<rows>, read by
# the kernel's MicroVmTerminal) with the host's TERM (xterm-256color when it has none), unless
# UNIKRAFT_VM_ENV sets one. Anything else on standard input is fed to the serial line and ended
# with one EOT byte (0x04), as Ctrl-D ends a terminal's input.
terminal=""
window=""
if [ -n "${UNIKRAFT_VM_TERMINAL:-}" ]; then
    if ! printf '%s' "$UNIKRAFT_VM_TERMINAL" | grep -qx '[1-9][0-9]*x[1-9][0-9]*'; then
        echo "$name-vm: UNIKRAFT_VM_TERMINAL=$UNIKRAFT_VM_TERMINAL: give the terminal's size as <columns>x<rows>, e.g. 80x24" >&2
        exit 2
    fi
    terminal=$UNIKRAFT_VM_TERMINAL
elif [ -t 0 ] && [ -t 1 ]; then
    # "rows columns"; a terminal that knows no size (0 0) is taken as 80x24.
    size=$(stty size 2>/dev/null)
    rows=${size% *}
    columns=${size#* }
    if [ -z "$size" ] || [ "${rows:-0}" = 0 ] || [ "${columns:-0}" = 0 ]; then
        rows=24 columns=80
    fi
    terminal="${columns}x${rows}"
    window=1
fi
if [ -n "$terminal" ]; then
    case " ${UNIKRAFT_VM_ENV:-} " in
    *" TERM="*) ;;
    *) cmdline="TERM=$(encode "${TERM:-xterm-256color}") $cmdline" ;;
    esac
    cmdline="UNIKRAFT_TERMINAL=$terminal $cmdline"
fi
if [ -n "$terminal" ] || [ -t 0 ]; then
    cmdline="uk.console=tty $cmdline"
fi
# Keys a person types as the program runs (standard input a terminal): the shim's line discipline
# takes them as they arrive (echo, Ctrl-C while the program does not read), as a terminal does.
# Piped keys are all there at the start, and are taken when the program reads, as if typed then.
if [ -t 0 ]; then
    cmdline="uk.input=live $cmdline"
fi
# The window's resizes. A terminal's size changes while the VM runs; the runner hears it (SIGWINCH)
# and sends the new size as a line "<columns>x<rows>" on the VM's second serial port (COM2, through
# a FIFO QEMU reads: its pipe chardev), which the shim reads beside the console (uk.winch=1) and
# turns into the window's size and a SIGWINCH in the VM. Not in the console's own byte stream: the
# program's input must stay exactly what was typed. The runner keeps the FIFO open for writing and
# reading (fd 4), so neither end waits for the other and QEMU never sees its end.
resize=""
if [ -n "$window" ] && command -v mkfifo >/dev/null 2>&1; then
    winch_folder=$(mktemp -d)
    if mkfifo "$winch_folder/winch" && exec 4<>"$winch_folder/winch"; then
        resize="-chardev pipe,id=winch,path=$winch_folder/winch -device isa-serial,chardev=winch,iobase=0x2f8,irq=3"
        cmdline="uk.winch=1 $cmdline"
    fi
fi
cmdline="$cmdline --"
for argument in "$@"; do
    cmdline="$cmdline $(encode "$argument")"
done

# The shim writes its own log and, last, "exit <status>" to the debug port: QEMU's exit code
# (isa-debug-exit) keeps only seven bits of the status.
log=$(mktemp)
# The serial line on QEMU's stdio, with signal=off: on a terminal Ctrl-C is a byte for the VM's line
# discipline (ISIG there), not a signal that kills QEMU.
# start=exec: QEMU takes the place of the subshell that runs boot in the background, so $! is its pid.
start=""
boot() {
    # shellcheck disable=SC2086
    $start "$qemu" -machine "$machine" $accel -m "${UNIKRAFT_VM_MEMORY:-512M}" -no-reboot -nodefaults -no-user-config \
        -display none -chardev stdio,id=console,signal=off -serial chardev:console -debugcon "file:$log" \
        -device isa-debug-exit,iobase=0xf4,iosize=4 $resize $network -kernel "$image" -append "$cmdline"
}
# SIGWINCH: the window's new size to the VM (see resize above).
send_size() {
    size=$(stty size 2>/dev/null) || return 0
    rows=${size% *}
    columns=${size#* }
    if [ "${rows:-0}" != 0 ] && [ "${columns:-0}" != 0 ]; then
        printf '%sx%s\n' "$columns" "$rows" >&4
    fi
}
if [ -t 0 ]; then
    # Raw for the VM's life, as QEMU's stdio would make it, but by the runner, which puts the saved
    # attributes back on every way out (cleanup: the EXIT trap, after INT, TERM and HUP too; only
    # SIGKILL leaves it raw, `stty sane` mends that). Output processing (OPOST, NL to CR NL) stays
    # the host's: the VM writes a bare NL.
    # QEMU runs in the background, so that a signal to the runner alone (SIGTERM, SIGHUP) is
    # handled at once, not after the VM ends: the trap ends QEMU and waits for it (QEMU puts back
    # the attributes it found, the raw ones, as it exits), then cleanup puts the saved ones back.
    # Its standard input is the terminal: a background job's would be /dev/null.
    terminal_saved=$(stty -g 2>/dev/null)
    stty -icanon -echo -isig -iexten -ixon -ixoff -icrnl -inlcr -igncr -istrip min 1 time 0 2>/dev/null
    exec 3<&0
    start=exec
    boot 0<&3 &
    qemu_pid=$!
    exec 3<&-
    trap 'kill "$qemu_pid" 2>/dev/null; wait "$qemu_pid"; exit 130' INT
    trap 'kill "$qemu_pid" 2>/dev/null; wait "$qemu_pid"; exit 143' TERM HUP
    if [ -n "$resize" ]; then
        trap send_size WINCH
    fi
    # A trapped SIGWINCH ends the wait early (status above 128) while QEMU runs on: wait again.
    while :; do
        wait "$qemu_pid"
        qemu_status=$?
        kill -0 "$qemu_pid" 2>/dev/null || break
    done
else
    { cat; printf '\004'; } | boot
    qemu_status=$?
fi
status=$(sed -n 's/^exit \(-\{0,1\}[0-9][0-9]*\)$/\1/p' "$log" | tail -n 1)
grep -v '^exit ' "$log" >&2
if [ -z "$status" ]; then
    echo "$name-vm: the VM stopped without an exit status (QEMU exited with $qemu_status)" >&2
    exit 125
fi
exit "$status"
