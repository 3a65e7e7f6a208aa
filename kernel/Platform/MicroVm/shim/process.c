/* The program: its ELF image, its start stack, its threads (switched when one blocks in a
 * syscall or its time slice ends: preempt), futexes, sleeps, the pipes, the console fds and the console's
 * input from the serial line, and the
 * delivery of a hardware fault as a signal to the runtime's handler. */
#include "shim.h"

extern char payload_start[], payload_end[];
extern const char program_name[];

/* NOTE: ELF64 layouts from elf.h. */
struct elf_header {
    u8 ident[16];
    u16 type, machine;
    u32 version;
    u64 entry, phoff, shoff;
    u32 flags;
    u16 ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};
struct elf_segment {
    u32 type, flags;
    u64 offset, vaddr, paddr, filesz, memsz, align;
};
#define PT_LOAD 1
#define PT_PHDR 6

#define STACK_TOP 0x7FFFFFFFF000UL
#define STACK_SIZE (8UL << 20)
#define KERNEL_STACK_PAGES 4
#define MAX_THREADS 64
#define MAX_FDS 64
#define FOREVER (~0UL)

enum { FREE, RUNNABLE, BLOCKED, DEAD };

struct thread {
    int tid, state;
    u64 kernel_rsp, kernel_top;
    void *fpu;
    u64 fs_base;
    u64 wait_address;   /* the futex word or pipe a blocked thread waits on; 0 for a sleep */
    u64 deadline;       /* monotonic nanoseconds, or FOREVER */
    i64 wake_result;
    u64 clear_tid;      /* CLONE_CHILD_CLEARTID / set_tid_address */
    u64 altstack_base, altstack_size;   /* sigaltstack: each thread has its own, as on Linux */
    u64 blocked;        /* the signals it blocks (rt_sigprocmask), bit n - 1 for signal n */
    int interruptible;  /* blocked in a wait a signal may end (block_interruptible) */
};

static struct thread threads[MAX_THREADS];
static struct thread *current;
static int next_tid = 1;

/* --- files: the console and pipes ------------------------------------------------------- */

#define PIPE_SIZE 4096
struct pipe {
    u8 bytes[PIPE_SIZE];
    u64 start, count;
    int readers, writers;
};
enum { FD_NONE, FD_CONSOLE_IN, FD_CONSOLE_OUT, FD_PIPE_READ, FD_PIPE_WRITE };
static struct { int kind, flags; struct pipe *pipe; } fds[MAX_FDS];

/* The console's input: bytes from the serial line, polled (no interrupts yet). The runner feeds
 * the program's standard input to the line and ends it with one EOT byte (0x04), as Ctrl-D ends
 * a terminal's input: from then on every read returns 0. With uk.console=tty on the command line
 * (the runner's own standard input is a terminal, which it puts in raw mode) the shim is the
 * terminal's line discipline, in the mode the C# kernel's terminal last set (ioctl TCSETS on
 * fd 0, console_ioctl): canonical, it echoes, reads Enter (CR) as a newline, erases with
 * backspace, and gives a line only once it is complete; EOT on an empty line ends the input,
 * after text it gives the line so far; a read returns at most one line, as a terminal's does.
 * Raw (ICANON off), every byte is input as it arrives (EOT too), echoed only with ECHO, and a read
 * returns what is there: at least one byte (VMIN 1 or more), or, with VMIN 0, what arrives within
 * VTIME tenths of a second, 0 when nothing did. When a person types (uk.input=live: the runner's
 * standard input is a terminal) the line is read as keys arrive, whether or not the program reads
 * (console_poll: every timer tick and while the VM idles), into a buffer of CONSOLE_BUFFER bytes as
 * Linux's n_tty holds 4096, so typed-ahead lines wait there (echoed as typed) and the interrupt
 * character is seen at once. Keys piped in ahead (a terminal forced with UNIKRAFT_VM_TERMINAL) are
 * taken when the program reads, as if typed just then. In both modes, with ISIG, the interrupt character
 * (Ctrl-C) drops the input not yet read and raises SIGINT: the runtime's handler
 * (Console.CancelKeyPress), or, with none, SIGINT's default action, which ends the VM as it ends
 * a Linux process: status 128 + 2. */
int console_tty, console_live;
#define CONSOLE_LINE 1024
#define CONSOLE_BUFFER 4096
static u8 console_ready[CONSOLE_BUFFER], console_pending[CONSOLE_LINE];
static u64 console_ready_start, console_ready_count, console_pending_count;
static int console_ended, console_waiting;
/* The line discipline's mode (c_lflag, c_iflag and c_cc of the last TCSETS): a new terminal's. */
static int console_canonical = 1, console_echo = 1, console_signals = 1, console_cr_to_nl = 1;
static u8 console_interrupt = 3, console_minimum = 1, console_tenths;
#define CONSOLE_WAIT ((u64)&console_waiting)

/* The window's size (TIOCGWINSZ): the runner's UNIKRAFT_TERMINAL at the start, then each resize
 * it sends on the second serial line (uk.winch=1, resize_poll); 0 when the line is no terminal. */
static u16 window_columns, window_rows;
int resize_line;

#define O_NONBLOCK 04000
#define O_CLOEXEC 02000000

/* --- signals ------------------------------------------------------------------------------ */

/* NOTE: sa_flags from asm-generic/signal-defs.h and arch/x86/include/uapi/asm/signal.h. */
struct kernel_sigaction { u64 handler, flags, restorer, mask; };
static struct kernel_sigaction actions[65];
#define SA_ONSTACK 0x08000000UL
#define SA_RESTORER 0x04000000UL
#define SA_RESTART 0x10000000UL
#define SA_NODEFER 0x40000000UL
#define SIGNAL_BIT(signal) (1UL << ((signal) - 1))
/* NOTE: SIGKILL 9 and SIGSTOP 19 can be neither caught nor blocked (signal(7)). */
#define UNBLOCKABLE (SIGNAL_BIT(9) | SIGNAL_BIT(19))
/* Signals raised for the process (Ctrl-C's SIGINT, a resize's SIGWINCH, kill) that no thread has
 * taken yet: the first thread that does not block one takes it on its way back to the program. */
static u64 pending_signals;

static struct thread *thread_new(void)
{
    for (int i = 0; i < MAX_THREADS; i++) {
        if (threads[i].state == FREE || (threads[i].state == DEAD && &threads[i] != current)) {
            struct thread *t = &threads[i];
            if (!t->fpu) {
                t->fpu = kernel_alloc_pages((xsave_size() + PAGE_SIZE - 1) / PAGE_SIZE);
                t->kernel_top = (u64)kernel_alloc_pages(KERNEL_STACK_PAGES) + KERNEL_STACK_PAGES * PAGE_SIZE;
            }
            t->tid = next_tid++;
            t->state = RUNNABLE;
            t->wait_address = 0;
            t->deadline = FOREVER;
            t->clear_tid = 0;
            t->altstack_base = 0;
            t->altstack_size = 0;
            t->blocked = 0;
            t->interruptible = 0;
            return t;
        }
    }
    return NULL;
}

int current_tid(void)
{
    return current ? current->tid : 0;
}

static void switch_to(struct thread *next)
{
    if (next == current) return;
    struct thread *previous = current;
    fpu_save(previous->fpu);
    current = next;
    set_kernel_stack(next->kernel_top);
    wrmsr(0xC0000100, next->fs_base);  /* NOTE: IA32_FS_BASE */
    fpu_restore(next->fpu);
    switch_stacks(&previous->kernel_rsp, next->kernel_rsp);
}

/* Runs another thread until this one is runnable again. With nothing runnable, sleeps in `hlt`
 * until the nearest deadline (idle_wait, the APIC timer). */
static void wake_expired(void)
{
    u64 now = now_ns();
    for (int i = 0; i < MAX_THREADS; i++) {
        if (threads[i].state == BLOCKED && threads[i].deadline <= now) {
            threads[i].state = RUNNABLE;
            threads[i].wake_result = -ETIMEDOUT;
        }
    }
}

static int wake(u64 wait_address, int count);

/* A device's interrupt (devices.c) woke a thread while the CPU idled. */
static int any_runnable(void)
{
    for (int i = 0; i < MAX_THREADS; i++) if (threads[i].state == RUNNABLE) return 1;
    return 0;
}

static void schedule(void)
{
    for (;;) {
        /* A deadline that passed while other threads ran wakes its thread first. */
        wake_expired();
        console_poll();
        int start = (int)(current - threads);
        for (int step = 1; step <= MAX_THREADS; step++) {
            struct thread *t = &threads[(start + step) % MAX_THREADS];
            if (t->state == RUNNABLE) {
                switch_to(t);
                return;
            }
        }
        u64 nearest = FOREVER;
        for (int i = 0; i < MAX_THREADS; i++) {
            if (threads[i].state == BLOCKED && threads[i].deadline < nearest) nearest = threads[i].deadline;
        }
        /* On a terminal a key can still end the wait (Ctrl-C raises SIGINT), as can a resize. */
        if (nearest == FOREVER && !console_waiting && !devices_waiting() && !console_live) {
            log_text("[shim] every thread is blocked with no timeout: deadlock\n");
            halt_vm(124);
        }
        /* Sleeps until the nearest deadline; a thread that reads the console waits for a byte on
         * the line too, which is polled every millisecond; a terminal's line (Ctrl-C, resizes) is
         * polled every 10 ms while nobody reads it. */
        for (;;) {
            u64 now = now_ns();
            if (now >= nearest || any_runnable()) break;
            console_poll();
            if (any_runnable()) break;
            u64 wait = nearest - now;
            if (console_waiting && wait > 1000000) wait = 1000000;
            if ((console_live || resize_line) && wait > 10000000) wait = 10000000;
            /* With only device waits left there is no deadline: the device's interrupt ends the
             * sleep, which the timer bounds to a second (no overflow in idle_wait's arithmetic). */
            if (wait > 1000000000UL) wait = 1000000000UL;
            idle_wait(wait);
        }
    }
}

static i64 block(u64 wait_address, u64 deadline)
{
    current->state = BLOCKED;
    current->wait_address = wait_address;
    current->deadline = deadline;
    current->wake_result = 0;
    schedule();
    current->wait_address = 0;
    return current->wake_result;
}

static int wake(u64 wait_address, int count)
{
    int woken = 0;
    for (int i = 0; i < MAX_THREADS && woken < count; i++) {
        if (threads[i].state == BLOCKED && threads[i].wait_address == wait_address) {
            threads[i].state = RUNNABLE;
            threads[i].wake_result = 0;
            woken++;
        }
    }
    return woken;
}

/* A wait a signal may end, as Linux's interruptible sleeps: -EINTR when a signal is pending for
 * the thread before it sleeps or raise_signal woke it to take one; its caller then answers
 * -ERESTARTSYS, and the system call is restarted after the handler (SA_RESTART) or answers EINTR
 * (deliver_signals). */
static int signal_pending(void)
{
    return (pending_signals & ~current->blocked) != 0;
}

static i64 block_interruptible(u64 wait_address, u64 deadline)
{
    if (signal_pending()) return -EINTR;
    current->interruptible = 1;
    i64 result = block(wait_address, deadline);
    current->interruptible = 0;
    return result;
}

/* A wait no signal ends (a device's line, devices.c): while *address is value, until woken. */
i64 wait_word(u64 address, u32 value)
{
    if (*(volatile u32 *)address != value) return -EAGAIN;
    return block(address, FOREVER);
}

/* The timer's tick in the program: the running thread goes to the back of the line (its user
 * registers are the trap frame on its kernel stack, its FPU state is saved by the switch), and
 * a thread whose deadline passed meanwhile gets to run. */
void preempt(void)
{
    schedule();
}

i64 do_yield(void)
{
    schedule();
    return 0;
}

i64 do_sleep_until(u64 deadline)
{
    if (deadline <= now_ns()) return 0;
    i64 result = block(0, deadline);
    return result == -ETIMEDOUT ? 0 : result;
}

/* NOTE: futex operations from linux/futex.h. */
#define FUTEX_WAIT 0
#define FUTEX_WAKE 1
#define FUTEX_WAIT_BITSET 9
#define FUTEX_WAKE_BITSET 10
#define FUTEX_PRIVATE_FLAG 128
#define FUTEX_CLOCK_REALTIME 256

struct timespec { i64 seconds, nanoseconds; };

i64 do_futex(u64 address, int op, u32 value, u64 timeout, u64 address2, u32 value3)
{
    (void)address2;
    (void)value3;
    int command = op & ~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME);
    switch (command) {
    case FUTEX_WAIT:
    case FUTEX_WAIT_BITSET: {
        if (*(volatile u32 *)address != value) return -EAGAIN;
        u64 deadline = FOREVER;
        if (timeout) {
            struct timespec *ts = (struct timespec *)timeout;
            u64 span = (u64)ts->seconds * 1000000000UL + (u64)ts->nanoseconds;
            if (command == FUTEX_WAIT) {
                deadline = now_ns() + span;
            } else if (op & FUTEX_CLOCK_REALTIME) {
                u64 real = realtime_ns();
                deadline = span > real ? now_ns() + (span - real) : 0;
            } else {
                deadline = span;
            }
        }
        i64 result = block_interruptible(address, deadline);
        return result == -EINTR ? -ERESTARTSYS : result;
    }
    case FUTEX_WAKE:
    case FUTEX_WAKE_BITSET:
        return wake(address, (int)value);
    default:
        if (trace) log_number("[shim] futex operation not served: ", command);
        return -ENOSYS;
    }
}

i64 do_set_fs(u64 base)
{
    current->fs_base = base;
    wrmsr(0xC0000100, base);
    return 0;
}

i64 do_set_tid_address(u64 address)
{
    current->clear_tid = address;
    return current->tid;
}

/* NOTE: clone flags from linux/sched.h. */
#define CLONE_VM 0x100
#define CLONE_THREAD 0x10000
#define CLONE_SETTLS 0x80000
#define CLONE_PARENT_SETTID 0x100000
#define CLONE_CHILD_CLEARTID 0x200000
#define CLONE_CHILD_SETTID 0x1000000

i64 do_clone(struct frame *frame, u64 flags, u64 stack, u64 parent_tid, u64 child_tid, u64 tls)
{
    if (!(flags & CLONE_VM) || !(flags & CLONE_THREAD)) {
        log_text("[shim] clone: only threads (CLONE_VM | CLONE_THREAD) are served; no processes\n");
        return -EPERM;
    }
    struct thread *t = thread_new();
    if (!t) return -EAGAIN;
    struct frame *child = (struct frame *)(t->kernel_top - sizeof(struct frame));
    *child = *frame;
    child->rax = 0;
    if (stack) child->rsp = stack;
    u64 *switch_frame = (u64 *)child;
    *--switch_frame = (u64)thread_trampoline;
    for (int i = 0; i < 6; i++) *--switch_frame = 0;
    t->kernel_rsp = (u64)switch_frame;
    t->fs_base = (flags & CLONE_SETTLS) ? tls : current->fs_base;
    t->blocked = current->blocked;
    fpu_save(t->fpu);
    if (flags & CLONE_PARENT_SETTID) *(u32 *)parent_tid = (u32)t->tid;
    if (flags & CLONE_CHILD_SETTID) *(u32 *)child_tid = (u32)t->tid;
    if (flags & CLONE_CHILD_CLEARTID) t->clear_tid = child_tid;
    return t->tid;
}

i64 do_exit(int status)
{
    (void)status;
    if (current->clear_tid) {
        *(u32 *)current->clear_tid = 0;
        wake(current->clear_tid, 1 << 30);
    }
    current->state = DEAD;
    int live = 0;
    for (int i = 0; i < MAX_THREADS; i++) live += threads[i].state == RUNNABLE || threads[i].state == BLOCKED;
    if (!live) halt_vm(status);
    schedule();
    log_text("[shim] a dead thread ran again\n");
    halt_vm(125);
}

i64 do_exit_group(int status)
{
    halt_vm(status & 0xFF);
}

/* --- fds ---------------------------------------------------------------------------------- */

static int fd_free(int minimum)
{
    for (int fd = minimum; fd < MAX_FDS; fd++) if (fds[fd].kind == FD_NONE) return fd;
    return -EMFILE;
}

i64 do_pipe(int *result, int flags)
{
    int readFd = fd_free(0);
    if (readFd < 0) return readFd;
    fds[readFd].kind = FD_PIPE_READ;
    int writeFd = fd_free(0);
    if (writeFd < 0) { fds[readFd].kind = FD_NONE; return writeFd; }
    struct pipe *p = kernel_alloc_pages((sizeof(struct pipe) + PAGE_SIZE - 1) / PAGE_SIZE);
    p->readers = 1;
    p->writers = 1;
    fds[readFd].pipe = p;
    fds[readFd].flags = flags;
    fds[writeFd].kind = FD_PIPE_WRITE;
    fds[writeFd].pipe = p;
    fds[writeFd].flags = flags;
    result[0] = readFd;
    result[1] = writeFd;
    return 0;
}

i64 do_close(int fd)
{
    if (fd < 0 || fd >= MAX_FDS || fds[fd].kind == FD_NONE) return -EBADF;
    struct pipe *p = fds[fd].pipe;
    if (fds[fd].kind == FD_PIPE_READ) { p->readers--; wake((u64)p, 1 << 30); }
    if (fds[fd].kind == FD_PIPE_WRITE) { p->writers--; wake((u64)p, 1 << 30); }
    fds[fd].kind = FD_NONE;
    fds[fd].pipe = NULL;
    return 0;
}

i64 do_dup(int fd, int minimum)
{
    if (fd < 0 || fd >= MAX_FDS || fds[fd].kind == FD_NONE) return -EBADF;
    int copy = fd_free(minimum);
    if (copy < 0) return copy;
    fds[copy] = fds[fd];
    fds[copy].flags &= ~O_CLOEXEC;
    if (fds[fd].kind == FD_PIPE_READ) fds[fd].pipe->readers++;
    if (fds[fd].kind == FD_PIPE_WRITE) fds[fd].pipe->writers++;
    return copy;
}

/* NOTE: fcntl commands from asm-generic/fcntl.h. */
i64 do_fcntl(int fd, int command, u64 argument)
{
    if (fd < 0 || fd >= MAX_FDS || fds[fd].kind == FD_NONE) return -EBADF;
    switch (command) {
    case 0: return do_dup(fd, (int)argument);               /* F_DUPFD */
    case 1030: {                                            /* F_DUPFD_CLOEXEC */
        i64 copy = do_dup(fd, (int)argument);
        if (copy >= 0) fds[copy].flags |= O_CLOEXEC;
        return copy;
    }
    case 1: return (fds[fd].flags & O_CLOEXEC) ? 1 : 0;     /* F_GETFD */
    case 2: fds[fd].flags = (int)((fds[fd].flags & ~O_CLOEXEC) | ((argument & 1) ? O_CLOEXEC : 0)); return 0;
    case 3: return fds[fd].flags & ~O_CLOEXEC;              /* F_GETFL */
    case 4: fds[fd].flags = (int)((fds[fd].flags & O_CLOEXEC) | (argument & O_NONBLOCK)); return 0;
    default: return -EINVAL;
    }
}

/* The bytes ready to read move to the buffer's start. */
static void console_compact(void)
{
    if (console_ready_start == 0) return;
    for (u64 i = 0; i < console_ready_count; i++) console_ready[i] = console_ready[console_ready_start + i];
    console_ready_start = 0;
}

/* A complete line of the terminal becomes ready to read, after any lines typed before it. */
static void console_give_line(void)
{
    console_compact();
    memcpy(console_ready + console_ready_count, console_pending, console_pending_count);
    console_ready_count += console_pending_count;
    console_pending_count = 0;
}

/* Whether a byte more fits: a line's bytes and the lines ready to read share the buffer. */
static int console_room(void)
{
    return console_ready_count + console_pending_count < CONSOLE_BUFFER;
}

/* Ctrl-C with ISIG, as Linux's n_tty takes it (n_tty_receive_signal_char): the input not yet read
 * is dropped (no NOFLSH), "^C" echoed (ECHO with ECHOCTL), and SIGINT raised for the program. */
static void console_interrupted(void)
{
    console_pending_count = 0;
    console_ready_start = 0;
    console_ready_count = 0;
    if (console_echo) serial_write("^C", 2);
    raise_signal(2);
}

/* Where a byte leaves an escape sequence a key sends (ECMA-48): ESC, then "[" and parameters up
 * to a final byte (CSI), "O" and one byte (SS3), or one byte (Alt and a key). 0 outside one. */
static int escape_after(int state, u8 byte)
{
    if (byte == 0x1B) return 1;
    switch (state) {
    case 1: return byte == '[' ? 2 : byte == 'O' ? 3 : 0;
    case 2: return byte >= 0x40 && byte <= 0x7E ? 0 : 2;
    default: return 0;
    }
}

/* NOTE: how long the rest of an escape sequence may take to follow its first bytes: the UART
 * (FIFOs off) holds one byte, and QEMU hands it the next only after this one was read, so a key's
 * sequence that the host's terminal sent in one write arrives a byte at a time, microseconds
 * apart; 10 ms is far above that (and ncurses' ESCDELAY is 1 s) and short against a keystroke. */
#define ESCAPE_GAP_NS 10000000UL

/* Raw mode: every byte on the line is input now (after ICRNL and the interrupt character), as
 * far as the buffer holds. A key's escape sequence is taken whole (up to ESCAPE_GAP_NS between
 * its bytes), so a read never ends inside one: a pty hands the program the whole sequence too,
 * and the BCL reads a lone ESC as the Escape key. */
static void console_take_raw(void)
{
    console_compact();
    int escape = 0;
    while (console_ready_count < CONSOLE_BUFFER) {
        if (!serial_ready()) {
            if (!escape) break;
            u64 until = now_ns() + ESCAPE_GAP_NS;
            while (!serial_ready() && now_ns() < until) __asm__ volatile("pause");
            if (!serial_ready()) break;
        }
        u8 byte = serial_read();
        escape = escape_after(escape, byte);
        if (console_signals && byte == console_interrupt) {
            console_interrupted();
            continue;
        }
        if (byte == '\r' && console_cr_to_nl) byte = '\n';
        if (console_echo) serial_write(byte == '\n' ? "\r\n" : (const char *)&byte, byte == '\n' ? 2 : 1);
        console_ready[console_ready_count++] = byte;
    }
}

/* Moves the bytes on the line into the console's buffers; returns whether a read can now
 * complete (bytes ready, or the input ended). */
static int console_take(void)
{
    if (!console_tty) {
        /* A byte stream: a line at a time, taken when a read wants it. */
        while (!console_ended && console_ready_count == 0 && serial_ready()) {
            u8 byte = serial_read();
            if (byte == 0x04) {
                console_ended = 1;
                break;
            }
            console_ready_start = 0;
            console_ready[console_ready_count++] = byte;
            while (console_ready_count < CONSOLE_LINE && byte != '\n' && serial_ready()) {
                byte = serial_read();
                if (byte == 0x04) { console_ended = 1; break; }
                console_ready[console_ready_count++] = byte;
            }
            break;
        }
        return console_ready_count > 0 || console_ended;
    }
    if (!console_canonical) {
        console_take_raw();
        return console_ready_count > 0;
    }
    /* Keys piped in ahead are taken a line at a time, when the program reads (see console_live). */
    while (!console_ended && console_room() && (console_live || console_ready_count == 0) && serial_ready()) {
        u8 byte = serial_read();
        if (console_signals && byte == console_interrupt) {
            console_interrupted();
            continue;
        }
        if (byte == 0x04) {
            if (console_pending_count > 0) console_give_line();
            else console_ended = 1;
            continue;
        }
        if (byte == 0x7F || byte == 0x08) {
            if (console_pending_count > 0) {
                console_pending_count--;
                if (console_echo) serial_write("\b \b", 3);
            }
            continue;
        }
        if (byte == '\r' && console_cr_to_nl) byte = '\n';
        if (console_echo) serial_write(byte == '\n' ? "\r\n" : (const char *)&byte, byte == '\n' ? 2 : 1);
        console_pending[console_pending_count++] = byte;
        if (byte == '\n' || console_pending_count == CONSOLE_LINE) console_give_line();
    }
    return console_ready_count > 0 || console_ended;
}

/* A raw read: at least one byte (VMIN 0 and VTIME 0: none needed; VMIN 0 and a VTIME: what
 * arrives before it passes, 0 when nothing did), then everything that is there. NOTE: a VMIN
 * above 1 is read as 1: the BCL asks for 1 or 0 (pal_console.c). */
static i64 console_read_raw(u8 *buffer, u64 length, int nonblocking)
{
    u64 deadline = console_minimum == 0 ? now_ns() + (u64)console_tenths * 100000000UL : FOREVER;
    while (!console_take()) {
        if (nonblocking) return -EAGAIN;
        if (console_minimum == 0 && now_ns() >= deadline) return 0;
        console_waiting++;
        i64 woke = block_interruptible(CONSOLE_WAIT, deadline);
        console_waiting--;
        if (woke == -EINTR) return -ERESTARTSYS;
    }
    u64 n = length < console_ready_count ? length : console_ready_count;
    if (!user_memory_ok((u64)buffer, n, 1)) return -EFAULT;
    memcpy(buffer, console_ready + console_ready_start, n);
    console_ready_start += n;
    console_ready_count -= n;
    return (i64)n;
}

static i64 console_read(u8 *buffer, u64 length, int nonblocking)
{
    if (length == 0) return 0;
    if (console_tty && !console_canonical) return console_read_raw(buffer, length, nonblocking);
    while (!console_take()) {
        if (nonblocking) return -EAGAIN;
        console_waiting++;
        i64 woke = block_interruptible(CONSOLE_WAIT, FOREVER);
        console_waiting--;
        if (woke == -EINTR) return -ERESTARTSYS;
    }
    /* NOTE: a read's buffer is checked once there is something to copy, as Linux's copy faults:
     * the line stays for the next read. */
    u64 ready = 0;
    while (ready < console_ready_count && console_ready[console_ready_start + ready] != '\n') ready++;
    ready = ready < console_ready_count ? ready + 1 : ready;
    if (!user_memory_ok((u64)buffer, length < ready ? length : ready, 1)) return -EFAULT;
    u64 n = 0;
    while (n < length && console_ready_count > 0) {
        u8 byte = console_ready[console_ready_start++];
        console_ready_count--;
        buffer[n++] = byte;
        if (byte == '\n') break;
    }
    return (i64)n;
}

/* "<columns>x<rows>", each 1-65535: 1 and the size, or 0. */
static int parse_size(const char *text, u64 length, u16 *columns, u16 *rows)
{
    u64 values[2] = { 0, 0 };
    int part = 0;
    u64 digits = 0;
    for (u64 i = 0; i < length; i++) {
        char c = text[i];
        if (c == 'x' && part == 0 && digits > 0) { part = 1; digits = 0; continue; }
        if (c < '0' || c > '9' || digits == 5) return 0;
        values[part] = values[part] * 10 + (u64)(c - '0');
        digits++;
    }
    if (part != 1 || digits == 0 || values[0] == 0 || values[1] == 0 || values[0] > 65535 || values[1] > 65535) return 0;
    *columns = (u16)values[0];
    *rows = (u16)values[1];
    return 1;
}

/* The runner's resizes, on the second serial line (uk.winch=1): a line "<columns>x<rows>\n" per
 * resize of the host's window. A new size is kept for TIOCGWINSZ and raises SIGWINCH, as Linux's
 * TIOCSWINSZ does for the terminal's foreground process group. The program's input never carries
 * them: a sequence in the console's own byte stream could be mistaken for the program's input (or
 * its input for one), so it has a line of its own. */
static char resize_text[16];
static u64 resize_length;

static void resize_poll(void)
{
    while (resize_line && resize_line_ready()) {
        char c = (char)resize_line_read();
        if (c != '\n') {
            if (resize_length < sizeof(resize_text)) resize_text[resize_length] = c;
            resize_length++;
            continue;
        }
        u16 columns, rows;
        int valid = resize_length <= sizeof(resize_text) && parse_size(resize_text, resize_length, &columns, &rows);
        resize_length = 0;
        if (!valid || (columns == window_columns && rows == window_rows)) continue;
        window_columns = columns;
        window_rows = rows;
        if (trace) log_number("[shim] the window's new width ", columns);
        raise_signal(28);   /* NOTE: SIGWINCH, asm-generic/signal.h */
    }
}

/* What arrived on the terminal's lines goes through the line discipline now, whether or not the
 * program reads (a key's echo, Ctrl-C's SIGINT, a resize), and wakes a reader it completed. From
 * every timer tick in the program and from the idle loop; never inside a system call's own use of
 * the buffers (interrupts are off in the shim but for `hlt`, where only the CPU wakes). */
void console_poll(void)
{
    resize_poll();
    if (console_tty && console_live) {
        if (console_take() && console_waiting) wake(CONSOLE_WAIT, 1 << 30);
    } else if (console_waiting && serial_ready()) {
        wake(CONSOLE_WAIT, 1 << 30);
    }
}

/* ioctl(2) on the console's fds, only when the runner said the line is a terminal (uk.console=tty):
 * TCSETS, TCSETSW and TCSETSF set the line discipline's mode from the struct termios the C#
 * kernel's terminal keeps (it answers TCGETS itself); FIONREAD says how many bytes a read would
 * give now, which is how that kernel polls the line; TIOCGWINSZ gives the window's size as the
 * runner last said it (ENOTTY when it gave none). Anything else, and every request when the line
 * is no terminal, is ENOTTY, as for a pipe.
 * NOTE: requests from asm-generic/ioctls.h; struct termios of asm-generic/termbits.h: c_iflag at
 * 0, c_lflag at 12, c_cc at 17 (VINTR 0, VTIME 5, VMIN 6); ICRNL 0x100, ISIG 0x1, ICANON 0x2,
 * ECHO 0x8. */
i64 console_ioctl(int fd, u64 request, u64 argument)
{
    if (fd < 0 || fd >= MAX_FDS || fds[fd].kind == FD_NONE) return -EBADF;
    if (!console_tty || (fds[fd].kind != FD_CONSOLE_IN && fds[fd].kind != FD_CONSOLE_OUT)) return -ENOTTY;
    switch (request) {
    case 0x5402: case 0x5403: case 0x5404: {
        if (!user_memory_ok(argument, 36, 0)) return -EFAULT;
        const u8 *termios = (const u8 *)argument;
        u32 input = *(const u32 *)termios, local = *(const u32 *)(termios + 12);
        int was_canonical = console_canonical;
        console_cr_to_nl = (input & 0x100) != 0;
        console_signals = (local & 0x1) != 0;
        console_canonical = (local & 0x2) != 0;
        console_echo = (local & 0x8) != 0;
        console_interrupt = termios[17 + 0];
        console_tenths = termios[17 + 5];
        console_minimum = termios[17 + 6];
        /* A line typed in part becomes input as it is, as Linux's n_tty hands it over. */
        if (was_canonical && !console_canonical && console_pending_count > 0 && console_ready_count == 0) console_give_line();
        return 0;
    }
    case 0x541B: {
        if (!user_memory_ok(argument, 4, 1)) return -EFAULT;
        if (fds[fd].kind == FD_CONSOLE_IN) console_take();
        *(u32 *)argument = fds[fd].kind == FD_CONSOLE_IN ? (u32)console_ready_count : 0;
        return 0;
    }
    case 0x5413: {
        /* NOTE: struct winsize, asm-generic/termios.h: rows, columns, then two pixel sizes. */
        if (!window_rows) return -ENOTTY;
        if (!user_memory_ok(argument, 8, 1)) return -EFAULT;
        u16 *window = (u16 *)argument;
        window[0] = window_rows;
        window[1] = window_columns;
        window[2] = window[3] = 0;
        return 0;
    }
    default:
        return -ENOTTY;
    }
}

i64 do_read(int fd, u8 *buffer, u64 length)
{
    if (fd < 0 || fd >= MAX_FDS) return -EBADF;
    switch (fds[fd].kind) {
    case FD_CONSOLE_IN:
        return console_read(buffer, length, fds[fd].flags & O_NONBLOCK);
    case FD_PIPE_READ: {
        struct pipe *p = fds[fd].pipe;
        while (p->count == 0) {
            if (p->writers == 0) return 0;
            if (fds[fd].flags & O_NONBLOCK) return -EAGAIN;
            if (block_interruptible((u64)p, FOREVER) == -EINTR) return -ERESTARTSYS;
        }
        u64 n = length < p->count ? length : p->count;
        if (!user_memory_ok((u64)buffer, n, 1)) return -EFAULT;
        for (u64 i = 0; i < n; i++) buffer[i] = p->bytes[(p->start + i) % PIPE_SIZE];
        p->start = (p->start + n) % PIPE_SIZE;
        p->count -= n;
        wake((u64)p, 1 << 30);
        return (i64)n;
    }
    default:
        return -EBADF;
    }
}

i64 do_write(int fd, const u8 *buffer, u64 length)
{
    if (fd < 0 || fd >= MAX_FDS) return -EBADF;
    if ((fds[fd].kind == FD_CONSOLE_OUT || fds[fd].kind == FD_PIPE_WRITE) && !user_memory_ok((u64)buffer, length, 0)) return -EFAULT;
    switch (fds[fd].kind) {
    case FD_CONSOLE_OUT:
        serial_write(buffer, length);
        return (i64)length;
    case FD_PIPE_WRITE: {
        struct pipe *p = fds[fd].pipe;
        u64 done = 0;
        while (done < length) {
            if (p->readers == 0) return done ? (i64)done : -EPIPE;
            if (p->count == PIPE_SIZE) {
                if (fds[fd].flags & O_NONBLOCK) return done ? (i64)done : -EAGAIN;
                wake((u64)p, 1 << 30);
                if (block_interruptible((u64)p, FOREVER) == -EINTR) return done ? (i64)done : -ERESTARTSYS;
                continue;
            }
            p->bytes[(p->start + p->count) % PIPE_SIZE] = buffer[done++];
            p->count++;
        }
        wake((u64)p, 1 << 30);
        return (i64)done;
    }
    default:
        return -EBADF;
    }
}

/* NOTE: struct stat for x86_64 (asm/stat.h): st_mode at byte 24, st_blksize at 56; S_IFCHR, S_IFIFO. */
i64 do_fstat(int fd, void *stat)
{
    if (fd < 0 || fd >= MAX_FDS || fds[fd].kind == FD_NONE) return -EBADF;
    memset(stat, 0, 144);
    u32 mode = (fds[fd].kind == FD_CONSOLE_IN || fds[fd].kind == FD_CONSOLE_OUT) ? 0020620 : 0010600;
    *(u32 *)((u8 *)stat + 24) = mode;
    *(u64 *)((u8 *)stat + 56) = 4096;
    return 0;
}

/* --- signals ------------------------------------------------------------------------------ */

i64 do_rt_sigaction(int signal, const void *action, void *old, u64 size)
{
    if (signal < 1 || signal > 64 || size != 8) return -EINVAL;
    if (action && (SIGNAL_BIT(signal) & UNBLOCKABLE)) return -EINVAL;
    if (old) *(struct kernel_sigaction *)old = actions[signal];
    if (action) actions[signal] = *(const struct kernel_sigaction *)action;
    return 0;
}

i64 do_sigaltstack(const u64 *stack, u64 *old)
{
    if (old) { old[0] = current->altstack_base; old[1] = current->altstack_base ? 0 : 2; old[2] = current->altstack_size; }
    if (stack) {
        int flags = (int)stack[1];
        if (flags & 2) { current->altstack_base = 0; current->altstack_size = 0; } /* SS_DISABLE */
        else { current->altstack_base = stack[0]; current->altstack_size = stack[2]; }
    }
    return 0;
}

/* NOTE: the x86_64 signal frame, arch/x86/include/uapi/asm/sigcontext.h and
 * arch/x86/include/asm/sigframe.h: the restorer's address, then the ucontext (flags, link,
 * stack_t, sigcontext, mask), then the siginfo; the FPU state (FXSAVE format) is pointed to. */
struct sigcontext {
    u64 r8, r9, r10, r11, r12, r13, r14, r15, rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip, eflags;
    u16 cs, gs, fs, ss;
    u64 err, trapno, oldmask, cr2, fpstate;
    u64 reserved[8];
};
struct ucontext {
    u64 flags, link;
    u64 stack_base;
    u64 stack_flags;
    u64 stack_size;
    struct sigcontext mcontext;
    u64 mask;
};
struct siginfo {
    int signo, error, code, pad;
    u64 address;
    u8 rest[104];
};
struct sigframe {
    u64 restorer;
    struct ucontext uc;
    struct siginfo info;
};

/* NOTE: SIG_BLOCK 0, SIG_UNBLOCK 1, SIG_SETMASK 2 (asm-generic/signal-defs.h); the set is 8 bytes. */
i64 do_rt_sigprocmask(int how, const u64 *set, u64 *old)
{
    u64 previous = current->blocked;
    if (set) {
        switch (how) {
        case 0: current->blocked |= *set; break;
        case 1: current->blocked &= ~*set; break;
        case 2: current->blocked = *set; break;
        default: return -EINVAL;
        }
        current->blocked &= ~UNBLOCKABLE;
    }
    if (old) *old = previous;
    return 0;
}

/* NOTE: the default actions of signal(7): SIGCHLD 17, SIGCONT 18, SIGURG 23 and SIGWINCH 28 are
 * ignored; the stop signals (SIGSTOP 19, SIGTSTP 20, SIGTTIN 21, SIGTTOU 22) would stop the
 * process, and a VM with nobody to continue it ignores them; the rest end the process. */
static int ignored_by_default(int signal)
{
    return signal == 17 || signal == 18 || signal == 23 || signal == 28 || (signal >= 19 && signal <= 22);
}

/* A signal for the process, from the terminal (Ctrl-C, a resize) or kill(2). Ignored, or the
 * default action that ends the program (128 + the signal, as a Linux process killed by it), or
 * pending for the runtime's handler: a thread that is running takes it on its way back to the
 * program (a system call's end, a timer tick); with none, a thread blocked in an interruptible wait
 * is woken to take it. */
void raise_signal(int signal)
{
    if (signal < 1 || signal > 64) return;
    struct kernel_sigaction *action = &actions[signal];
    if (action->handler == 1) return;                           /* SIG_IGN */
    if (action->handler == 0) {                                 /* SIG_DFL */
        if (ignored_by_default(signal)) return;
        /* NOTE: quiet, as a shell is after Ctrl-C; uk.trace=1 says it. */
        if (trace) log_number("[shim] the program was killed by signal ", signal);
        halt_vm(128 + signal);
    }
    u64 bit = SIGNAL_BIT(signal);
    pending_signals |= bit;
    for (int i = 0; i < MAX_THREADS; i++) {
        if (threads[i].state == RUNNABLE && !(threads[i].blocked & bit)) return;
    }
    for (int i = 0; i < MAX_THREADS; i++) {
        struct thread *t = &threads[i];
        if (t->state == BLOCKED && t->interruptible && !(t->blocked & bit)) {
            t->state = RUNNABLE;
            t->wake_result = -EINTR;
            return;
        }
    }
}

static int setup_frame(struct frame *frame, int signal, int code, u64 address, int asynchronous);

/* On the current thread's way back to the program (frame): a pending signal it does not block runs
 * its handler there, one at a time, as Linux's do_signal does. number is the system call that
 * ends here (-1 for an interrupt or rt_sigreturn): one that answered -ERESTARTSYS (a wait a signal
 * ended) is made to run again once the handler returns (SA_RESTART) or answers EINTR, and again at
 * once when the signal went to another thread. */
void deliver_signals(struct frame *frame, i64 number)
{
    int restart = number >= 0 && (i64)frame->rax == -ERESTARTSYS;
    u64 ready = pending_signals & ~current->blocked;
    while (ready) {
        int signal = __builtin_ctzl(ready) + 1;
        pending_signals &= ~SIGNAL_BIT(signal);
        ready &= ~SIGNAL_BIT(signal);
        struct kernel_sigaction *action = &actions[signal];
        if (action->handler <= 1) {
            /* The handler went (the runtime puts SIGINT's default back before it raises it again). */
            if (action->handler == 0 && !ignored_by_default(signal)) {
                if (trace) log_number("[shim] the program was killed by signal ", signal);
                halt_vm(128 + signal);
            }
            continue;
        }
        if (restart) {
            if (action->flags & SA_RESTART) {
                frame->rax = (u64)number;
                frame->rip -= 2;        /* NOTE: SYSCALL is two bytes, 0F 05 */
            } else {
                frame->rax = (u64)-EINTR;
            }
            restart = 0;
        }
        /* NOTE: SI_KERNEL (0x80, asm-generic/siginfo.h): the terminal raised it, as Linux's tty. */
        if (!setup_frame(frame, signal, 0x80, 0, 1)) {
            log_number("[shim] no room for the handler's frame of signal ", signal);
            halt_vm(128 + 11);
        }
        return;
    }
    if (restart) {
        frame->rax = (u64)number;
        frame->rip -= 2;
    }
}

int deliver_fault(struct frame *frame, int signal, u64 address)
{
    /* NOTE: SEGV_ACCERR 2 / SEGV_MAPERR 1, and 1 (ILL_ILLOPC, FPE_INTDIV, BUS_ADRALN) otherwise. */
    int code = signal == 11 ? ((frame->error & 1) ? 2 : 1) : 1;
    return setup_frame(frame, signal, code, address, 0);
}

/* The handler's frame on the program's stack (or its alternate stack), and the registers that run
 * the handler. A fault's handler runs with the thread's mask as it is (it may never return, but
 * jump to the exception's handler); an asynchronous signal's blocks itself and its sa_mask until
 * rt_sigreturn puts the thread's mask back. 0 when there is no handler or no room. */
static int setup_frame(struct frame *frame, int signal, int code, u64 address, int asynchronous)
{
    struct kernel_sigaction *action = &actions[signal];
    if (action->handler <= 1 || !(action->flags & SA_RESTORER)) return 0; /* SIG_DFL, SIG_IGN */
    u64 altstack_base = current->altstack_base, altstack_size = current->altstack_size;
    u64 sp = frame->rsp - 128;  /* past the red zone */
    if ((action->flags & SA_ONSTACK) && altstack_base && !(sp >= altstack_base && sp < altstack_base + altstack_size)) {
        sp = altstack_base + altstack_size;
    }
    u64 top = sp;
    sp = (sp - 512) & ~63UL;
    u64 fpstate = sp;
    sp -= sizeof(struct sigframe);
    sp = (sp & ~15UL) - 8;                /* as after a call: (sp + 8) is 16-byte aligned */
    /* NOTE: where the frame cannot be written (a stack that overflowed into its guard, with no
     * alternate stack), Linux kills the thread's process with SIGSEGV (force_sigsegv). */
    if (!user_writable(sp, top)) return 0;
    __asm__ volatile("fxsave64 (%0)" : : "r"(fpstate) : "memory");
    memset((u8 *)fpstate + 464, 0, 48);  /* no extended state described (sw_reserved) */
    struct sigframe *f = (struct sigframe *)sp;
    memset(f, 0, sizeof(*f));
    f->restorer = action->restorer;
    f->uc.stack_base = altstack_base;
    f->uc.stack_size = altstack_size;
    struct sigcontext *c = &f->uc.mcontext;
    c->r8 = frame->r8; c->r9 = frame->r9; c->r10 = frame->r10; c->r11 = frame->r11;
    c->r12 = frame->r12; c->r13 = frame->r13; c->r14 = frame->r14; c->r15 = frame->r15;
    c->rdi = frame->rdi; c->rsi = frame->rsi; c->rbp = frame->rbp; c->rbx = frame->rbx;
    c->rdx = frame->rdx; c->rax = frame->rax; c->rcx = frame->rcx; c->rsp = frame->rsp;
    c->rip = frame->rip; c->eflags = frame->rflags; c->cs = (u16)frame->cs; c->ss = (u16)frame->ss;
    c->err = frame->error; c->trapno = frame->vector; c->cr2 = address; c->fpstate = fpstate;
    f->uc.mask = current->blocked;
    f->info.signo = signal;
    f->info.code = code;
    f->info.address = address;
    if (asynchronous) {
        current->blocked |= action->mask | ((action->flags & SA_NODEFER) ? 0 : SIGNAL_BIT(signal));
        current->blocked &= ~UNBLOCKABLE;
    }
    frame->rsp = sp;
    frame->rip = action->handler;
    frame->rdi = (u64)signal;
    frame->rsi = (u64)&f->info;
    frame->rdx = (u64)&f->uc;
    frame->rax = 0;
    frame->rflags &= ~0x400UL;            /* DF clear, as the ABI requires */
    return 1;
}

i64 do_rt_sigreturn(struct frame *frame)
{
    struct ucontext *uc = (struct ucontext *)frame->rsp;
    struct sigcontext *c = &uc->mcontext;
    frame->r8 = c->r8; frame->r9 = c->r9; frame->r10 = c->r10; frame->r11 = c->r11;
    frame->r12 = c->r12; frame->r13 = c->r13; frame->r14 = c->r14; frame->r15 = c->r15;
    frame->rdi = c->rdi; frame->rsi = c->rsi; frame->rbp = c->rbp; frame->rbx = c->rbx;
    frame->rdx = c->rdx; frame->rax = c->rax; frame->rcx = c->rcx; frame->rsp = c->rsp;
    frame->rip = c->rip;
    frame->rflags = (c->eflags & 0xDD5) | 0x202;  /* user-settable flags only; IF on */
    frame->cs = USER_CODE;
    frame->ss = USER_DATA;
    current->blocked = uc->mask & ~UNBLOCKABLE;
    if (c->fpstate) __asm__ volatile("fxrstor64 (%0)" : : "r"(c->fpstate) : "memory");
    return (i64)frame->rax;
}

/* --- the start ---------------------------------------------------------------------------- */

/* Splits the command line at spaces: "name=value" words before "--" are the environment,
 * words after it the arguments; "%20" stands for a space and "%25" for a percent sign. */
#define MAX_WORDS 128
static char command_buffer[4096];

static void decode(char *word)
{
    char *out = word;
    for (char *in = word; *in; in++) {
        if (in[0] == '%' && in[1] == '2' && (in[2] == '0' || in[2] == '5')) {
            *out++ = in[2] == '0' ? ' ' : '%';
            in += 2;
        } else {
            *out++ = *in;
        }
    }
    *out = 0;
}

static u64 push_bytes(u64 sp, const void *bytes, u64 length)
{
    sp -= length;
    memcpy((void *)sp, bytes, length);
    return sp;
}

void process_start(const char *command_line)
{
    char *arguments[MAX_WORDS], *environment[MAX_WORDS];
    int argument_count = 0, environment_count = 0, after_dashes = 0;
    arguments[argument_count++] = (char *)program_name;
    u64 length = command_line ? strlen(command_line) : 0;
    if (length >= sizeof(command_buffer)) length = sizeof(command_buffer) - 1;
    memcpy(command_buffer, command_line ? command_line : "", length);
    command_buffer[length] = 0;
    char *p = command_buffer;
    while (*p) {
        while (*p == ' ') *p++ = 0;
        if (!*p) break;
        char *word = p;
        while (*p && *p != ' ') p++;
        if (*p) *p++ = 0;
        decode(word);
        if (!after_dashes && word[0] == '-' && word[1] == '-' && !word[2]) { after_dashes = 1; continue; }
        if (after_dashes) { if (argument_count < MAX_WORDS - 1) arguments[argument_count++] = word; continue; }
        if (word[0] == 'u' && word[1] == 'k' && word[2] == '.') continue; /* the shim's own options */
        if (environment_count < MAX_WORDS - 1) environment[environment_count++] = word;
    }
    /* HOME=/ unless the command line gives a HOME, as Linux starts its first process (init/main.c,
     * envp_init): with none the BCL asks getpwuid_r for the home directory (its terminfo search
     * looks in ~/.terminfo), which a static glibc cannot answer here (NSS), and throws. */
    int has_home = 0;
    for (int i = 0; i < environment_count; i++) {
        const char *w = environment[i];
        if (w[0] == 'H' && w[1] == 'O' && w[2] == 'M' && w[3] == 'E' && w[4] == '=') has_home = 1;
    }
    if (!has_home && environment_count < MAX_WORDS - 1) environment[environment_count++] = (char *)"HOME=/";
    /* The window the runner started with (UNIKRAFT_TERMINAL=<columns>x<rows>, which the C# kernel's
     * MicroVmTerminal reads too): TIOCGWINSZ's answer until a resize. */
    static const char terminal_word[] = "UNIKRAFT_TERMINAL=";
    for (int i = 0; console_tty && i < environment_count; i++) {
        const char *w = environment[i];
        u64 n = sizeof(terminal_word) - 1, k = 0;
        while (k < n && w[k] == terminal_word[k]) k++;
        if (k == n) parse_size(w + n, strlen(w + n), &window_columns, &window_rows);
    }

    for (int fd = 0; fd < 3; fd++) fds[fd].kind = fd == 0 ? FD_CONSOLE_IN : FD_CONSOLE_OUT;

    struct thread *main_thread = thread_new();
    current = main_thread;
    set_kernel_stack(main_thread->kernel_top);

    /* The image: every PT_LOAD mapped at its own address with its protection, in place
     * (memory.c); the break starts after the last. */
    const u8 *image = PHYS_TO_VIRT(payload_start);
    const struct elf_header *header = (const struct elf_header *)image;
    if (header->ident[0] != 0x7F || header->ident[1] != 'E' || header->type != 2 || header->machine != 62) {
        log_text("[shim] the program is not a static x86-64 ELF executable (ET_EXEC)\n");
        halt_vm(126);
    }
    const struct elf_segment *segments = (const struct elf_segment *)(image + header->phoff);
    u64 high = 0, phdr = 0;
    for (int i = 0; i < header->phnum; i++) {
        const struct elf_segment *s = &segments[i];
        if (s->type == PT_PHDR) phdr = s->vaddr;
        if (s->type != PT_LOAD) continue;
        if (s->vaddr + s->memsz > high) high = s->vaddr + s->memsz;
        if (s->offset == 0 && !phdr) phdr = s->vaddr + header->phoff;
    }
    for (int i = 0; i < header->phnum; i++) {
        const struct elf_segment *s = &segments[i];
        if (s->type != PT_LOAD) continue;
        /* NOTE: p_flags PF_X 1, PF_W 2, PF_R 4 (elf.h). */
        u64 prot = ((s->flags & 4) ? PROT_READ : 0) | ((s->flags & 2) ? PROT_WRITE : 0) | ((s->flags & 1) ? PROT_EXEC : 0);
        map_segment(s->vaddr, VIRT_TO_PHYS(image + s->offset), s->filesz, s->memsz, prot);
    }
    set_brk_start(high);

    /* The start stack (System V ABI, x86-64 supplement 3.4.1). */
    set_stack_region(STACK_TOP - STACK_SIZE, STACK_TOP);
    u64 sp = STACK_TOP;
    u64 argv[MAX_WORDS], envp[MAX_WORDS];
    for (int i = 0; i < argument_count; i++) argv[i] = sp = push_bytes(sp, arguments[i], strlen(arguments[i]) + 1);
    for (int i = 0; i < environment_count; i++) envp[i] = sp = push_bytes(sp, environment[i], strlen(environment[i]) + 1);
    u64 platform = sp = push_bytes(sp, "x86_64", 7);
    u8 random_bytes[16];
    random_fill(random_bytes, 16);
    sp &= ~15UL;
    u64 random = sp = push_bytes(sp, random_bytes, 16);
    u32 a, b, c, d;
    cpuid(1, 0, &a, &b, &c, &d);
    /* NOTE: auxiliary vector types from linux/auxvec.h. */
    u64 auxv[] = {
        3, phdr, 4, sizeof(struct elf_segment), 5, header->phnum, 6, PAGE_SIZE, 7, 0, 8, 0,
        9, header->entry, 11, 0, 12, 0, 13, 0, 14, 0, 16, d, 17, 100, 15, platform, 23, 0,
        25, random, 26, 0, 31, argv[0], 0, 0,
    };
    u64 words = 1 + (u64)argument_count + 1 + (u64)environment_count + 1 + sizeof(auxv) / 8;
    sp &= ~15UL;
    if (words & 1) sp -= 8;
    sp = push_bytes(sp, auxv, sizeof(auxv));
    sp -= 8; *(u64 *)sp = 0;
    for (int i = environment_count - 1; i >= 0; i--) { sp -= 8; *(u64 *)sp = envp[i]; }
    sp -= 8; *(u64 *)sp = 0;
    for (int i = argument_count - 1; i >= 0; i--) { sp -= 8; *(u64 *)sp = argv[i]; }
    sp -= 8; *(u64 *)sp = (u64)argument_count;

    fpu_save(main_thread->fpu);
    struct frame *frame = (struct frame *)(main_thread->kernel_top - sizeof(struct frame));
    memset(frame, 0, sizeof(*frame));
    frame->rip = header->entry;
    frame->cs = USER_CODE;
    frame->ss = USER_DATA;
    frame->rsp = sp;
    frame->rflags = 0x202;
    enter_frame(frame);
}
