/* The system calls the shim serves: the .NET runtime's and glibc's own, as Linux numbers them.
 * The program's I/O never arrives here: the C# kernel serves the BCL's native layer inside the
 * program. SERVED below is the one list of what is served and why; the manifest and
 * docs/architecture.md repeat it. Anything else answers -ENOSYS (logged with uk.trace=1). */
#include "shim.h"

struct timespec { i64 seconds, nanoseconds; };

#define A0 f->rdi
#define A1 f->rsi
#define A2 f->rdx
#define A3 f->r10
#define A4 f->r8
#define A5 f->r9

/* The program's pointers: a system call reads or writes through one only once it is the
 * program's memory (memory.c, user_memory_ok), and answers EFAULT otherwise, as Linux does;
 * the shim's own fault on a bad pointer would end the VM. A null pointer where Linux accepts
 * none is EFAULT too. */
#define READS(address, length) do { if (!user_memory_ok((u64)(address), (u64)(length), 0)) return -EFAULT; } while (0)
#define WRITES(address, length) do { if (!user_memory_ok((u64)(address), (u64)(length), 1)) return -EFAULT; } while (0)

static i64 sys_read(struct frame *f) { return do_read((int)A0, (u8 *)A1, A2); }
static i64 sys_write(struct frame *f) { return do_write((int)A0, (const u8 *)A1, A2); }
static i64 sys_close(struct frame *f) { return do_close((int)A0); }
/* NOTE: struct stat is 144 bytes on x86-64 (asm/stat.h). */
static i64 sys_fstat(struct frame *f) { WRITES(A1, 144); return do_fstat((int)A0, (void *)A1); }

/* NOTE: mmap flags from asm-generic/mman-common.h: MAP_ANONYMOUS 0x20, MAP_FIXED 0x10,
 * MAP_FIXED_NOREPLACE 0x100000; madvise MADV_DONTNEED 4. */
static i64 sys_mmap(struct frame *f)
{
    if (!(A3 & 0x20)) return -ENODEV;
    if (A1 == 0) return -EINVAL;
    return (i64)user_mmap(A0, A1, A2, (A3 & (0x10 | 0x100000)) != 0);
}
/* A device's registers and DMA memory (devices.c) are no area of the program's: neither call
 * reaches them. */
static i64 sys_mprotect(struct frame *f) { return device_window_overlaps(A0, A1) ? -EINVAL : user_mprotect(A0, A1, A2); }
static i64 sys_munmap(struct frame *f) { return device_window_overlaps(A0, A1) ? -EINVAL : user_munmap(A0, A1); }
static i64 sys_brk(struct frame *f) { return (i64)user_brk(A0); }
/* NOTE: the kernel's struct sigaction is 32 bytes on x86-64: handler, flags, restorer, mask. */
static i64 sys_rt_sigaction(struct frame *f)
{
    if (A1) READS(A1, 32);
    if (A2) WRITES(A2, 32);
    return do_rt_sigaction((int)A0, (const void *)A1, (void *)A2, A3);
}
static i64 sys_rt_sigprocmask(struct frame *f)
{
    if (A3 != 8) return -EINVAL;
    if (A1) READS(A1, 8);
    if (A2) WRITES(A2, 8);
    return do_rt_sigprocmask((int)A0, (const u64 *)A1, (u64 *)A2);
}
static i64 sys_ioctl(struct frame *f) { return console_ioctl((int)A0, A1, A2); }
static i64 sys_sched_yield(struct frame *f) { (void)f; return do_yield(); }
static i64 sys_madvise(struct frame *f)
{
    if (A2 == 4 && !device_window_overlaps(A0, A1)) unmap_user_range(A0, A0 + A1);
    return 0;
}
static i64 sys_dup(struct frame *f) { return do_dup((int)A0, 0); }
static i64 sys_nanosleep(struct frame *f)
{
    READS(A0, sizeof(struct timespec));
    const struct timespec *ts = (const struct timespec *)A0;
    return do_sleep_until(now_ns() + (u64)ts->seconds * 1000000000UL + (u64)ts->nanoseconds);
}
static i64 sys_getpid(struct frame *f) { (void)f; return 1; }
/* The one process is pid 1 (0 and -1 reach it too); signal 0 only asks whether it exists. */
static i64 sys_kill(struct frame *f)
{
    i64 pid = (i64)A0;
    if (pid != 1 && pid != 0 && pid != -1) return -ESRCH;
    if ((i64)A1 < 0 || A1 > 64) return -EINVAL;
    if (A1) raise_signal((int)A1);
    return 0;
}
static i64 sys_clone(struct frame *f) { return do_clone(f, A0, A1, A2, A3, A4); }
static i64 sys_exit(struct frame *f) { return do_exit((int)A0); }
static i64 sys_uname(struct frame *f)
{
    /* NOTE: struct utsname: six fields of 65 bytes. */
    WRITES(A0, 65 * 6);
    char *u = (char *)A0;
    memset(u, 0, 65 * 6);
    memcpy(u, "Linux", 6);
    memcpy(u + 65, "microvm", 8);
    memcpy(u + 130, "6.1.0-unikraft-gen", 19);
    memcpy(u + 195, "#1", 3);
    memcpy(u + 260, "x86_64", 7);
    return 0;
}
static i64 sys_fcntl(struct frame *f) { return do_fcntl((int)A0, (int)A1, A2); }
/* NOTE: stack_t is 24 bytes on x86-64: base, flags, size. */
static i64 sys_sigaltstack(struct frame *f)
{
    if (A0) READS(A0, 24);
    if (A1) WRITES(A1, 24);
    return do_sigaltstack((const u64 *)A0, (u64 *)A1);
}
static i64 sys_zero(struct frame *f) { (void)f; return 0; }
static i64 sys_enosys(struct frame *f) { (void)f; return -ENOSYS; }
static i64 sys_enoent(struct frame *f) { (void)f; return -ENOENT; }
/* No path names a file here: the runtime probes /proc and /sys, and OpenSSL (linked into an image
 * that uses cryptography) looks for its configuration file, /usr/lib/ssl/openssl.cnf, which it
 * goes without on ENOENT. With uk.trace=1 the path is logged (its first 127 bytes), so that a
 * library looking for a file of its own says which. */
static i64 sys_openat(struct frame *f)
{
    if (trace) {
        char path[128];
        u64 length = 0;
        while (length < sizeof path - 1 && user_memory_ok(A1 + length, 1, 0) && ((const char *)A1)[length]) {
            path[length] = ((const char *)A1)[length];
            length++;
        }
        path[length] = 0;
        log_text("[shim] openat ");
        log_text(path);
        log_text("\n");
    }
    return -ENOENT;
}
static i64 sys_arch_prctl(struct frame *f)
{
    /* NOTE: ARCH_SET_FS 0x1002, ARCH_GET_FS 0x1003 (asm/prctl.h). */
    if (A0 == 0x1002) return do_set_fs(A1);
    if (A0 == 0x1003) { WRITES(A1, 8); *(u64 *)A1 = rdmsr(0xC0000100); return 0; }
    return -EINVAL;
}
static i64 sys_gettid(struct frame *f) { (void)f; return current_tid(); }
/* NOTE: FUTEX_WAIT (0) and FUTEX_WAIT_BITSET (9) read the futex word and the timeout; a wake
 * only keys on the address, which Linux does not read for a private futex. */
static i64 sys_futex(struct frame *f)
{
    int command = (int)A1 & 127;
    if (command == 0 || command == 9) {
        READS(A0, 4);
        if (A3) READS(A3, sizeof(struct timespec));
    }
    return do_futex(A0, (int)A1, (u32)A2, A3, A4, (u32)A5);
}
static i64 sys_sched_getaffinity(struct frame *f)
{
    if (A1 < 8) return -EINVAL;
    WRITES(A2, A1 < 128 ? A1 : 128);
    memset((void *)A2, 0, A1 < 128 ? A1 : 128);
    *(u8 *)A2 = 1;          /* one CPU */
    return 8;
}
static i64 sys_set_tid_address(struct frame *f) { return do_set_tid_address(A0); }
static i64 sys_clock_gettime(struct frame *f)
{
    /* NOTE: CLOCK_REALTIME 0 and its coarse variant 5; the monotonic clocks (1, 4, 6, 7) and the
     * CPU-time clocks (2, 3) all read the TSC. */
    WRITES(A1, sizeof(struct timespec));
    u64 ns = (A0 == 0 || A0 == 5) ? realtime_ns() : now_ns();
    struct timespec *ts = (struct timespec *)A1;
    ts->seconds = (i64)(ns / 1000000000UL);
    ts->nanoseconds = (i64)(ns % 1000000000UL);
    return 0;
}
static i64 sys_clock_getres(struct frame *f)
{
    if (A1) WRITES(A1, sizeof(struct timespec));
    if (A1) { ((struct timespec *)A1)->seconds = 0; ((struct timespec *)A1)->nanoseconds = 1; }
    return 0;
}
static i64 sys_clock_nanosleep(struct frame *f)
{
    READS(A2, sizeof(struct timespec));
    const struct timespec *ts = (const struct timespec *)A2;
    u64 span = (u64)ts->seconds * 1000000000UL + (u64)ts->nanoseconds;
    if (!(A1 & 1)) return do_sleep_until(now_ns() + span);          /* relative */
    if (A0 == 0) { u64 real = realtime_ns(); return do_sleep_until(span > real ? now_ns() + span - real : 0); }
    return do_sleep_until(span);
}
static i64 sys_exit_group(struct frame *f) { return do_exit_group((int)A0); }
static i64 sys_tgkill(struct frame *f)
{
    /* abort() signals itself: there is no handler to run, the program ends as Linux would end it. */
    log_number("[shim] the program sent itself signal ", (i64)A2);
    halt_vm(128 + (int)A2);
}
static i64 sys_pipe2(struct frame *f) { WRITES(A0, 8); return do_pipe((int *)A0, (int)A1); }
static i64 sys_prlimit64(struct frame *f)
{
    /* NOTE: RLIMIT_STACK 3 answers the start stack's 8 MiB; everything else is unlimited. */
    if (A2) READS(A2, 16);
    if (A3) WRITES(A3, 16);
    if (A3) {
        u64 *limit = (u64 *)A3;
        limit[0] = limit[1] = A1 == 3 ? (8UL << 20) : ~0UL;
    }
    return 0;
}
static i64 sys_getrandom(struct frame *f) { WRITES(A0, A1); return random_fill((u8 *)A0, A1); }
static i64 sys_sysinfo(struct frame *f)
{
    /* NOTE: struct sysinfo (linux/sysinfo.h): totalram at byte 32, freeram at 40, mem_unit at 104. */
    WRITES(A0, 112);
    u8 *info = (u8 *)A0;
    memset(info, 0, 112);
    *(u64 *)info = now_ns() / 1000000000UL;
    *(u64 *)(info + 32) = memory_total();
    *(u64 *)(info + 40) = memory_total() - memory_used();
    *(u16 *)(info + 80) = 1;
    *(u32 *)(info + 104) = 1;
    return 0;
}
static i64 sys_membarrier(struct frame *f)
{
    /* NOTE: MEMBARRIER_CMD_QUERY (0) lists MEMBARRIER_CMD_PRIVATE_EXPEDITED (8) and its
     * registration (16), linux/membarrier.h; with one CPU every barrier is already there. */
    return A0 == 0 ? 8 | 16 : 0;
}
static i64 sys_time(struct frame *f)
{
    i64 seconds = (i64)(realtime_ns() / 1000000000UL);
    if (A0) WRITES(A0, 8);
    if (A0) *(i64 *)A0 = seconds;
    return seconds;
}
static i64 sys_getcpu(struct frame *f)
{
    if (A0) WRITES(A0, 4);
    if (A1) WRITES(A1, 4);
    if (A0) *(u32 *)A0 = 0;
    if (A1) *(u32 *)A1 = 0;
    return 0;
}
static i64 sys_getrusage(struct frame *f)
{
    WRITES(A1, 144);
    memset((void *)A1, 0, 144);     /* NOTE: struct rusage is 144 bytes on x86-64 */
    return 0;
}
static i64 sys_rt_sigreturn(struct frame *f) { return do_rt_sigreturn(f); }

/* The kernel's device drivers (devices.c): numbers above Linux's (its x86-64 table ends below
 * 500), so no program call can mean one of them. */
static i64 sys_device_map(struct frame *f) { return device_map(A0, A1); }
static i64 sys_device_dma(struct frame *f) { WRITES(A1, 8); return device_dma_alloc(A0, (u64 *)A1); }
static i64 sys_device_wait(struct frame *f) { return device_wait_interrupt(A0); }

/* NOTE: numbers from asm/unistd_64.h. */
static const struct served {
    int number;
    const char *name;
    i64 (*serve)(struct frame *);
    const char *why;
} SERVED[] = {
    { 0, "read", sys_read, "the console's signal-handling thread blocks on a pipe; fd 0 reads the serial line" },
    { 1, "write", sys_write, "fds 1 and 2 are the serial line (the C# console device and the runtime's own messages); pipes" },
    { 3, "close", sys_close, "pipes" },
    { 5, "fstat", sys_fstat, "the console fds are character devices, pipes are FIFOs" },
    { 9, "mmap", sys_mmap, "anonymous memory with its protection: the GC's reservations (PROT_NONE) and heaps, thread stacks, glibc's malloc" },
    { 10, "mprotect", sys_mprotect, "enforced: the GC commits its reservations, glibc makes thread stacks' guard pages and RELRO read-only" },
    { 11, "munmap", sys_munmap, "frees the frames behind the range; later accesses fault" },
    { 12, "brk", sys_brk, "glibc's malloc starts on the break" },
    { 13, "rt_sigaction", sys_rt_sigaction, "the runtime's SIGSEGV/SIGFPE handlers, run on hardware faults (null reference); its SIGINT and SIGWINCH handlers, run on Ctrl-C (Console.CancelKeyPress) and a resize" },
    { 14, "rt_sigprocmask", sys_rt_sigprocmask, "each thread's mask: the terminal's signals (SIGINT, SIGWINCH) and kill's go to a thread that does not block them" },
    { 15, "rt_sigreturn", sys_rt_sigreturn, "returns from a handler with the context (and the mask) it left" },
    { 16, "ioctl", sys_ioctl, "the console's terminal (uk.console=tty): the line discipline's mode (TCSETS), FIONREAD and the window's size (TIOCGWINSZ); ENOTTY otherwise" },
    { 24, "sched_yield", sys_sched_yield, "runs another thread (spin waits in the runtime)" },
    { 28, "madvise", sys_madvise, "MADV_DONTNEED frees the frames (the GC decommits); the rest are hints" },
    { 32, "dup", sys_dup, "the console's fds" },
    { 35, "nanosleep", sys_nanosleep, "Thread.Sleep; the thread blocks until the deadline" },
    { 39, "getpid", sys_getpid, "one process, pid 1" },
    { 62, "kill", sys_kill, "the runtime raises SIGINT again with its default action when no CancelKeyPress handler cancelled it: the VM ends with 128 + the signal" },
    { 56, "clone", sys_clone, "threads only (CLONE_VM | CLONE_THREAD): the finalizer thread, the thread pool" },
    { 60, "exit", sys_exit, "a thread ends (CLONE_CHILD_CLEARTID wakes its joiner)" },
    { 63, "uname", sys_uname, "glibc and the runtime ask the kernel's name" },
    { 72, "fcntl", sys_fcntl, "F_DUPFD_CLOEXEC and the O_NONBLOCK flag of pipes" },
    { 89, "readlink", sys_enoent, "ENOENT: no /proc/self/exe" },
    { 131, "sigaltstack", sys_sigaltstack, "the runtime's handlers run on an alternate stack" },
    { 157, "prctl", sys_zero, "thread names: accepted and dropped" },
    { 158, "arch_prctl", sys_arch_prctl, "ARCH_SET_FS: glibc's thread pointer (TLS)" },
    { 186, "gettid", sys_gettid, "thread ids" },
    { 202, "futex", sys_futex, "WAIT/WAKE (and _BITSET) with timeouts: every lock and condition of glibc and the runtime" },
    { 204, "sched_getaffinity", sys_sched_getaffinity, "one CPU" },
    { 218, "set_tid_address", sys_set_tid_address, "glibc's start" },
    { 228, "clock_gettime", sys_clock_gettime, "no vDSO: every clock read (the TSC, calibrated at boot; the RTC for the wall clock)" },
    { 229, "clock_getres", sys_clock_getres, "nanosecond resolution" },
    { 230, "clock_nanosleep", sys_clock_nanosleep, "sleeps, relative and absolute" },
    { 231, "exit_group", sys_exit_group, "the program's exit status becomes the VM's (isa-debug-exit)" },
    { 234, "tgkill", sys_tgkill, "abort(): the VM ends with 128 + the signal" },
    { 257, "openat", sys_openat, "ENOENT: the runtime probes /proc and /sys, OpenSSL its openssl.cnf; the program's own files are the C# kernel's" },
    { 273, "set_robust_list", sys_zero, "accepted: threads never die holding a lock they own" },
    { 292, "dup3", sys_enosys, "ENOSYS" },
    { 293, "pipe2", sys_pipe2, "the console's signal-handling thread waits on a pipe" },
    { 302, "prlimit64", sys_prlimit64, "the stack limit (8 MiB), the rest unlimited" },
    { 318, "getrandom", sys_getrandom, "RDRAND (hash seeds, Random, AT_RANDOM)" },
    { 324, "membarrier", sys_membarrier, "FlushProcessWriteBuffers (GC suspension): one CPU, every barrier is already there" },
    { 149, "mlock", sys_zero, "accepted: nothing is ever paged out" },
    { 334, "rseq", sys_enosys, "ENOSYS: glibc goes without restartable sequences" },
    { 435, "clone3", sys_enosys, "ENOSYS: glibc then uses clone" },
    { 99, "sysinfo", sys_sysinfo, "the GC sizes itself by the VM's memory" },
    { 201, "time", sys_time, "the wall clock in seconds" },
    { 309, "getcpu", sys_getcpu, "CPU 0 (the runtime's per-CPU caches)" },
    { 98, "getrusage", sys_getrusage, "zeros: no CPU-time accounting" },
    { 102, "getuid", sys_zero, "root" },
    { 104, "getgid", sys_zero, "root" },
    { 107, "geteuid", sys_zero, "root" },
    { 108, "getegid", sys_zero, "root" },
    { 500, "uk_device_map", sys_device_map, "the kernel's virtio drivers: a virtio-mmio transport's registers, mapped uncached into the program" },
    { 501, "uk_device_dma", sys_device_dma, "the kernel's virtio drivers: zeroed, contiguous memory for rings and buffers, and its physical address" },
    { 502, "uk_device_wait", sys_device_wait, "the kernel's virtio drivers: blocks a thread until its device's IO-APIC line fires (masked until it waits again)" },
};

#define MAX_SYSCALL 512
static i64 (*table[MAX_SYSCALL])(struct frame *);

void syscalls_init(void)
{
    for (u64 i = 0; i < sizeof(SERVED) / sizeof(SERVED[0]); i++) table[SERVED[i].number] = SERVED[i].serve;
}

static const char *name_of(u64 number)
{
    for (u64 i = 0; i < sizeof(SERVED) / sizeof(SERVED[0]); i++) if ((u64)SERVED[i].number == number) return SERVED[i].name;
    return "?";
}

void syscall_dispatch(struct frame *f)
{
    u64 number = f->rax;
    i64 (*serve)(struct frame *) = number < MAX_SYSCALL ? table[number] : NULL;
    if (!serve) {
        if (trace) log_number("[shim] not served: syscall ", (i64)number);
        f->rax = (u64)-ENOSYS;
        return;
    }
    i64 result = serve(f);
    if (trace) {
        log_text("[shim] ");
        log_text(name_of(number));
        log_number(" = ", result);
    }
    if (number != 15) f->rax = (u64)result;
    deliver_signals(f, number != 15 ? (i64)number : -1);
}
