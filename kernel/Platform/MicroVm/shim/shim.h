/* The microvm boot and trap layer: what must run before C# can (boot, paging, traps, the
 * syscall entry, the switch between threads). Everything here serves the .NET runtime's own
 * system calls, as Linux would; the program's I/O is the C# kernel's, above this layer. */
#ifndef SHIM_H
#define SHIM_H

typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long u64;
typedef long i64;

#define NULL ((void *)0)

/* NOTE: protections from asm-generic/mman-common.h. */
#define PROT_READ 0x1UL
#define PROT_WRITE 0x2UL
#define PROT_EXEC 0x4UL
#define PAGE_SIZE 4096UL
#define PAGE_MASK (~(PAGE_SIZE - 1))

/* Physical memory is reached through the direct map at PML4 slot 256 (set up by boot.S). */
#define DIRECT_MAP 0xFFFF800000000000UL
#define PHYS_TO_VIRT(p) ((void *)((u64)(p) + DIRECT_MAP))
#define VIRT_TO_PHYS(v) ((u64)(v) - DIRECT_MAP)

/* Segment selectors; the order is the one SYSRET expects (user data, then user code). */
#define KERNEL_CODE 0x08
#define KERNEL_DATA 0x10
#define USER_DATA (0x20 | 3)
#define USER_CODE (0x28 | 3)
#define TSS_SELECTOR 0x30

/* The registers saved on a trap or syscall, lowest address first (boot.S pushes them). */
struct frame {
    u64 r15, r14, r13, r12, r11, r10, r9, r8;
    u64 rbp, rdi, rsi, rdx, rcx, rbx, rax;
    u64 vector, error;
    u64 rip, cs, rflags, rsp, ss;
};

/* NOTE: errno values from asm-generic/errno-base.h and errno.h. */
#define EPERM 1
#define ENOENT 2
#define ESRCH 3
#define EINTR 4
#define EBADF 9
#define EAGAIN 11
#define ENOMEM 12
#define EFAULT 14
#define EINVAL 22
#define EMFILE 24
#define ENOTTY 25
#define EPIPE 32
#define ENOSYS 38
#define ETIMEDOUT 110
#define ENODEV 19
/* NOTE: the kernel's own restart code (include/linux/errno.h), never seen by the program: a wait a
 * signal ended; deliver_signals restarts the call or makes it EINTR. */
#define ERESTARTSYS 512

/* boot.S */
void switch_stacks(u64 *save_rsp, u64 new_rsp);
void enter_frame(struct frame *frame) __attribute__((noreturn));
void thread_trampoline(void);
extern u64 kernel_stack_top;
extern u64 trap_table[];
extern char syscall_entry[];
extern u64 gdt[];

/* machine.c */
static inline void outb(u16 port, u8 value) { __asm__ volatile("outb %0, %1" : : "a"(value), "Nd"(port)); }
static inline u8 inb(u16 port) { u8 v; __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline void outl(u16 port, u32 value) { __asm__ volatile("outl %0, %1" : : "a"(value), "Nd"(port)); }
static inline u64 rdtsc(void) { u32 lo, hi; __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi)); return ((u64)hi << 32) | lo; }
static inline void wrmsr(u32 msr, u64 v) { __asm__ volatile("wrmsr" : : "c"(msr), "a"((u32)v), "d"((u32)(v >> 32))); }
static inline u64 rdmsr(u32 msr) { u32 lo, hi; __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr)); return ((u64)hi << 32) | lo; }
static inline void cpuid(u32 leaf, u32 sub, u32 *a, u32 *b, u32 *c, u32 *d)
{
    __asm__ volatile("cpuid" : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d) : "a"(leaf), "c"(sub));
}
void serial_write(const void *bytes, u64 length);
int serial_ready(void);
u8 serial_read(void);
void resize_line_init(void);
int resize_line_ready(void);
u8 resize_line_read(void);
void log_text(const char *text);
void log_number(const char *text, i64 number);
void log_hex(const char *text, u64 number);
void halt_vm(int status) __attribute__((noreturn));
void machine_init(void);
void set_kernel_stack(u64 top);
u64 now_ns(void);
void idle_wait(u64 nanoseconds);
void preempt(void);
u64 realtime_ns(void);
int random_fill(u8 *buffer, u64 length);
u64 xsave_size(void);
void fpu_save(void *area);
void fpu_restore(void *area);
void machine_probe(void);
extern int ring0_emulated;
void *memcpy(void *dst, const void *src, u64 n);
void *memset(void *dst, int c, u64 n);
void zero_page(void *page);
u64 strlen(const char *s);
extern int trace;
extern int console_tty;
extern int console_live;
extern int resize_line;

/* memory.c */
void memory_init(u64 start_info);
u64 frame_alloc(void);
void *kernel_alloc_pages(u64 count);
void map_user_page(u64 va);
void unmap_user_range(u64 start, u64 end);
int user_fault(u64 address, u64 error);
u64 user_mmap(u64 address, u64 length, u64 prot, int fixed);
i64 user_munmap(u64 address, u64 length);
i64 user_mprotect(u64 address, u64 length, u64 prot);
int user_writable(u64 start, u64 end);
int user_memory_ok(u64 address, u64 length, int write);
void map_segment(u64 vaddr, u64 file_physical, u64 file_size, u64 memory_size, u64 prot);
u64 user_brk(u64 address);
void set_brk_start(u64 address);
void set_stack_region(u64 low, u64 high);
u64 memory_total(void);
u64 memory_used(void);
void map_user_frame(u64 va, u64 physical, u64 flags);

/* process.c */
struct thread;
void process_start(const char *command_line) __attribute__((noreturn));
i64 do_clone(struct frame *frame, u64 flags, u64 stack, u64 parent_tid, u64 child_tid, u64 tls);
i64 do_exit(int status) __attribute__((noreturn));
i64 do_exit_group(int status) __attribute__((noreturn));
i64 console_ioctl(int fd, u64 request, u64 argument);
i64 do_futex(u64 address, int op, u32 value, u64 timeout, u64 address2, u32 value3);
i64 do_sleep_until(u64 deadline);
i64 do_yield(void);
i64 do_set_fs(u64 base);
i64 do_set_tid_address(u64 address);
int current_tid(void);
i64 do_read(int fd, u8 *buffer, u64 length);
i64 do_write(int fd, const u8 *buffer, u64 length);
i64 do_pipe(int *fds, int flags);
i64 do_close(int fd);
i64 do_dup(int fd, int minimum);
i64 do_fcntl(int fd, int command, u64 argument);
i64 do_rt_sigaction(int signal, const void *action, void *old, u64 size);
i64 do_rt_sigprocmask(int how, const u64 *set, u64 *old);
void raise_signal(int signal);
void deliver_signals(struct frame *frame, i64 number);
void console_poll(void);
i64 wait_word(u64 address, u32 value);
i64 do_rt_sigreturn(struct frame *frame);
int deliver_fault(struct frame *frame, int signal, u64 address);
i64 do_fstat(int fd, void *stat);
i64 do_sigaltstack(const u64 *stack, u64 *old);

/* devices.c */
i64 device_map(u64 physical, u64 length);
i64 device_dma_alloc(u64 length, u64 *physical);
i64 device_wait_interrupt(u64 line);
int devices_waiting(void);
int device_window_overlaps(u64 start, u64 length);
int device_window_holds(u64 start, u64 length);
void devices_interrupt(void);

/* syscalls.c */
void syscall_dispatch(struct frame *frame);
void syscalls_init(void);

#endif
