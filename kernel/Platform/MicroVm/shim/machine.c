/* The machine: the serial console, the debug port (the shim's own log and the exit status),
 * the descriptor tables, SYSCALL, the FPU state, the clocks and RDRAND, and the trap handler. */
#include "shim.h"

/* NOTE: the 16550 UART at COM1 (I/O 0x3F8), QEMU's debugcon port (0xE9) and the
 * isa-debug-exit device the runner adds at 0xF4 (QEMU exits with (value << 1) | 1). */
#define COM1 0x3F8
#define COM2 0x2F8
#define DEBUG_PORT 0xE9
#define EXIT_PORT 0xF4

int trace;

/* String instructions: one instruction for the whole copy, which is fast on a real CPU (ERMS)
 * and what an instruction emulator executes with the least work per byte (under PVM the shim's
 * ring 0 runs in KVM's emulator: see "PVM" below). */
void *memcpy(void *dst, const void *src, u64 n)
{
    void *d = dst;
    __asm__ volatile("rep movsb" : "+D"(d), "+S"(src), "+c"(n) : : "memory");
    return dst;
}

void *memset(void *dst, int c, u64 n)
{
    void *d = dst;
    __asm__ volatile("rep stosb" : "+D"(d), "+c"(n) : "a"(c) : "memory");
    return dst;
}

void zero_page(void *page)
{
    u64 n = PAGE_SIZE / 8;
    __asm__ volatile("rep stosq" : "+D"(page), "+c"(n) : "a"(0UL) : "memory");
}

u64 strlen(const char *s)
{
    u64 n = 0;
    while (s[n]) n++;
    return n;
}

static void serial_init(void)
{
    outb(COM1 + 1, 0x00);   /* no interrupts */
    outb(COM1 + 3, 0x80);   /* divisor latch */
    outb(COM1 + 0, 0x01);   /* 115200 baud */
    outb(COM1 + 1, 0x00);
    outb(COM1 + 3, 0x03);   /* 8N1 */
    /* The FIFOs stay off (FCR 0, as at reset): turning them on empties the receive side, and
     * the runner's input may have started arriving before the shim got here. Polled, the
     * one-byte holding registers are enough. */
}

/* A byte has arrived on the line (the LSR's data-ready bit); the line is polled, with no
 * interrupts. */
int serial_ready(void)
{
    return inb(COM1 + 5) & 0x01;
}

u8 serial_read(void)
{
    return inb(COM1);
}

/* The second serial line (COM2), the runner's resizes (uk.winch=1, process.c's resize_poll): polled
 * too, with its FIFO on (16 bytes: a resize's line arrives at once; the runner writes nothing to it
 * before the first resize, so emptying it here loses nothing). */
void resize_line_init(void)
{
    outb(COM2 + 1, 0x00);
    outb(COM2 + 3, 0x80);
    outb(COM2 + 0, 0x01);
    outb(COM2 + 1, 0x00);
    outb(COM2 + 3, 0x03);
    outb(COM2 + 2, 0x07);   /* FIFOs on and emptied */
}

int resize_line_ready(void)
{
    return inb(COM2 + 5) & 0x01;
}

u8 resize_line_read(void)
{
    return inb(COM2);
}

void serial_write(const void *bytes, u64 length)
{
    const u8 *p = bytes;
    for (u64 i = 0; i < length; i++) {
        while ((inb(COM1 + 5) & 0x20) == 0) {
        }
        outb(COM1, p[i]);
    }
}

static void debug_write(const char *text)
{
    while (*text) outb(DEBUG_PORT, (u8)*text++);
}

static void format_number(char *out, u64 value, int base, int negative)
{
    char digits[24];
    int n = 0;
    do {
        u64 d = value % base;
        digits[n++] = (char)(d < 10 ? '0' + d : 'a' + d - 10);
        value /= base;
    } while (value);
    int o = 0;
    if (negative) out[o++] = '-';
    while (n) out[o++] = digits[--n];
    out[o] = 0;
}

void log_text(const char *text)
{
    debug_write(text);
}

void log_number(const char *text, i64 number)
{
    char digits[24];
    format_number(digits, number < 0 ? (u64)-number : (u64)number, 10, number < 0);
    debug_write(text);
    debug_write(digits);
    debug_write("\n");
}

void log_hex(const char *text, u64 number)
{
    char digits[24];
    format_number(digits, number, 16, 0);
    debug_write(text);
    debug_write("0x");
    debug_write(digits);
    debug_write("\n");
}

/* The last line of the debug port is the status; the runner reads it, because QEMU's own exit
 * code keeps only seven bits of it. */
void halt_vm(int status)
{
    if (trace) log_number("[shim] memory in use at exit, KiB: ", (i64)(memory_used() / 1024));
    log_number("exit ", status);
    outl(EXIT_PORT, (u32)status);
    for (;;) __asm__ volatile("cli; hlt");
}

/* The TSS: only rsp0 matters, the stack a trap from ring 3 lands on. */
static struct __attribute__((packed)) {
    u32 reserved0;
    u64 rsp[3];
    u64 reserved1;
    u64 ist[7];
    u64 reserved2;
    u16 reserved3;
    u16 iomap;
} tss;

struct __attribute__((packed)) idt_entry {
    u16 offset_low, selector;
    u8 ist, type;
    u16 offset_middle;
    u32 offset_high, reserved;
};
static struct idt_entry idt[256] __attribute__((aligned(16)));

struct __attribute__((packed)) table_pointer {
    u16 limit;
    u64 base;
};

void set_kernel_stack(u64 top)
{
    tss.rsp[0] = top;
    kernel_stack_top = top;
}

static void tables_init(void)
{
    u64 base = (u64)&tss;
    u64 limit = sizeof(tss) - 1;
    tss.iomap = sizeof(tss);
    gdt[6] = (limit & 0xFFFF) | ((base & 0xFFFFFF) << 16) | (0x89UL << 40) | (((limit >> 16) & 0xF) << 48) | (((base >> 24) & 0xFF) << 56);
    gdt[7] = base >> 32;
    struct table_pointer gdtp = { 8 * 8 - 1, (u64)gdt };
    __asm__ volatile("lgdt %0" : : "m"(gdtp));
    __asm__ volatile("ltr %w0" : : "r"(TSS_SELECTOR));

    for (int v = 0; v < 256; v++) {
        u64 handler = trap_table[v < 32 ? v : 32];
        idt[v].offset_low = handler & 0xFFFF;
        idt[v].selector = KERNEL_CODE;
        idt[v].ist = 0;
        /* Interrupt gate, present; breakpoint (3) may be raised from ring 3. */
        idt[v].type = v == 3 ? 0xEE : 0x8E;
        idt[v].offset_middle = (handler >> 16) & 0xFFFF;
        idt[v].offset_high = handler >> 32;
        idt[v].reserved = 0;
    }
    struct table_pointer idtp = { sizeof(idt) - 1, (u64)idt };
    __asm__ volatile("lidt %0" : : "m"(idtp));

    /* NOTE: MSR numbers from the Intel SDM vol. 4: STAR, LSTAR, SFMASK. SYSRET takes user CS
     * from STAR[63:48] + 16 and SS from + 8; SFMASK clears IF, TF, DF, AC and NT on entry. */
    wrmsr(0xC0000081, ((u64)(0x18 | 3) << 48) | ((u64)KERNEL_CODE << 32));
    wrmsr(0xC0000082, (u64)syscall_entry);
    wrmsr(0xC0000084, 0x47700);
}

/* SSE, and AVX through XSAVE when the CPU has it and ring 0 is not emulated (below): the
 * runtime checks CPUID and XCR0. */
static u64 fpu_area_size = 512;
static int has_xsave;

/* The x87 and SSE state a thread starts from: the control word 0x37F and MXCSR 0x1F80, their
 * values after FNINIT and reset, loaded with FXRSTOR (FCW at byte 0, MXCSR at byte 24 of the
 * FXSAVE layout, Intel SDM vol. 1 10.5.1). Not LDMXCSR: KVM's instruction emulator, which runs
 * ring 0 under PVM, has FXRSTOR but no LDMXCSR. */
static u8 fpu_initial[512] __attribute__((aligned(16)));

static void set_xcr0(u64 xcr0)
{
    __asm__ volatile("xsetbv" : : "c"(0), "a"((u32)xcr0), "d"((u32)(xcr0 >> 32)));
}

static void fpu_init(void)
{
    u32 a, b, c, d;
    cpuid(1, 0, &a, &b, &c, &d);
    u64 cr0, cr4;
    __asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
    cr0 &= ~((1UL << 2) | (1UL << 3)); /* EM, TS off */
    cr0 |= (1UL << 1) | (1UL << 5);    /* MP, NE */
    __asm__ volatile("mov %0, %%cr0" : : "r"(cr0));
    __asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
    cr4 |= (1UL << 9) | (1UL << 10); /* OSFXSR, OSXMMEXCPT */
    has_xsave = (c >> 26) & 1;
    if (has_xsave) cr4 |= 1UL << 18; /* OSXSAVE */
    __asm__ volatile("mov %0, %%cr4" : : "r"(cr4));
    *(u16 *)fpu_initial = 0x37F;
    *(u32 *)(fpu_initial + 24) = 0x1F80;
    __asm__ volatile("fxrstor64 %0" : : "m"(*(u8(*)[512])fpu_initial));
    if (has_xsave) {
        u64 xcr0 = 0x3;              /* x87, SSE */
        if ((c >> 28) & 1) xcr0 |= 0x4; /* AVX */
        set_xcr0(xcr0);
        cpuid(0xD, 0, &a, &b, &c, &d);
        fpu_area_size = b;
    }
}

u64 xsave_size(void)
{
    return fpu_area_size;
}

void fpu_save(void *area)
{
    if (has_xsave) __asm__ volatile("xsave64 (%0)" : : "r"(area), "a"(-1), "d"(-1) : "memory");
    else __asm__ volatile("fxsave64 (%0)" : : "r"(area) : "memory");
}

void fpu_restore(void *area)
{
    if (has_xsave) __asm__ volatile("xrstor64 (%0)" : : "r"(area), "a"(-1), "d"(-1) : "memory");
    else __asm__ volatile("fxrstor64 (%0)" : : "r"(area) : "memory");
}

/* Whether ring 0 runs in an instruction emulator (PVM, see below), found by machine_probe. */
int ring0_emulated;
static int cpuid_faulting;
static int probing;
static u64 probe_resume_rsp;

/* The probe: `syscall; ud2` run once in ring 3, from a page outside the program's address
 * space. On a CPU, or KVM on VT-x/AMD-V, or TCG, the SYSCALL enters syscall_entry in ring 0
 * (getpid answers) and the ud2 traps; under PVM the SYSCALL stays in ring 3 and faults on
 * syscall_entry's page. Either trap ends the probe (trap_handler), back here. Then, under PVM:
 * FXSAVE for threads' vector state, and CPUID served by the shim through CPUID faulting (Intel
 * SDM vol. 4, MSR_PLATFORM_INFO bit 31, MSR_MISC_FEATURES_ENABLES bit 0), with XSAVE and AVX
 * taken out, so the program keeps to the state FXSAVE holds. */
void machine_probe(void)
{
    /* syscall; ud2 */
    static const u8 code[] = { 0x0F, 0x05, 0x0F, 0x0B };
    const u64 page = 0x200000;
    map_user_page(page);
    memcpy((void *)page, code, sizeof(code));
    u64 top = (u64)kernel_alloc_pages(1) + PAGE_SIZE;
    set_kernel_stack(top);
    struct frame *frame = (struct frame *)(top - sizeof(struct frame));
    memset(frame, 0, sizeof(*frame));
    frame->rip = page;
    frame->cs = USER_CODE;
    frame->ss = USER_DATA;
    frame->rsp = page + PAGE_SIZE;
    frame->rflags = 0x2;
    frame->rax = 39;
    u64 *sp = (u64 *)frame;
    *--sp = (u64)thread_trampoline;
    for (int i = 0; i < 6; i++) *--sp = 0;
    probing = 1;
    switch_stacks(&probe_resume_rsp, (u64)sp);
    probing = 0;
    unmap_user_range(page, page + PAGE_SIZE);
    if (!ring0_emulated) return;
    has_xsave = 0;
    fpu_area_size = 512;
    if (rdmsr(0xCE) & (1UL << 31)) {
        wrmsr(0x140, 1);
        cpuid_faulting = 1;
    } else {
        log_text("[shim] ring 0 is emulated (PVM) and CPUID cannot be served: AVX state is not kept across a switch of threads\n");
    }
    if (trace) log_text("[shim] ring 0 is emulated (PVM): SYSCALL through its fault, FXSAVE, CPUID without XSAVE and AVX\n");
}

static void probe_done(int emulated)
{
    u64 abandoned;
    ring0_emulated = emulated;
    switch_stacks(&abandoned, probe_resume_rsp);
}

/* CPUID for the program under PVM: the CPU's answer (CPUID in ring 0 does not fault) without
 * what needs XSAVE. NOTE: bits from the Intel SDM vol. 2A, CPUID: leaf 1 ECX FMA 12, XSAVE 26,
 * OSXSAVE 27, AVX 28, F16C 29; leaf 7.0 EBX AVX2 5 and the AVX-512 bits 16, 17, 21, 26-28,
 * 30, 31, ECX 1, 6, 9-12, 14, EDX 2, 3, 8, 23; leaf 7.1 EAX AVX-VNNI 4, AVX512-BF16 5; leaf
 * 0xD (XSAVE's components) answers zeros. */
static void serve_cpuid(struct frame *frame)
{
    u32 leaf = (u32)frame->rax, subleaf = (u32)frame->rcx;
    u32 a, b, c, d;
    cpuid(leaf, subleaf, &a, &b, &c, &d);
    if (leaf == 1) {
        c &= ~((1U << 12) | (1U << 26) | (1U << 27) | (1U << 28) | (1U << 29));
    } else if (leaf == 7 && subleaf == 0) {
        b &= ~((1U << 5) | (1U << 16) | (1U << 17) | (1U << 21) | (7U << 26) | (3U << 30));
        c &= ~((1U << 1) | (1U << 6) | (0xFU << 9) | (1U << 14));
        d &= ~((3U << 2) | (1U << 8) | (1U << 23));
    } else if (leaf == 7 && subleaf == 1) {
        a &= ~(3U << 4);
    } else if (leaf == 0xD) {
        a = b = c = d = 0;
    }
    frame->rax = a;
    frame->rbx = b;
    frame->rcx = c;
    frame->rdx = d;
    frame->rip += 2;
}

/* The clocks: the TSC, calibrated once against the PIT (channel 0, 5 ms), for the monotonic
 * clock; the CMOS RTC, read once at boot, for the wall clock. */
static u64 tsc_start;
static u64 tsc_ns_multiplier;   /* nanoseconds per tick, as a 32.32 fixed-point number */
static u64 realtime_at_start;

/* PIT channel 0's count, latched and read back. */
static u16 pit_count(void)
{
    outb(0x43, 0x00);
    u8 low = inb(0x40);
    u8 high = inb(0x40);
    return (u16)(low | high << 8);
}

static void calibrate_tsc(void)
{
    /* NOTE: the PIT counts at 1,193,182 Hz; 5966 counts are 5 ms. Channel 0 in mode 0, from
     * 0xFFFF, its interrupt masked, read back with the latch command: channel 2's gate and
     * output are wired through port 0x61, which microvm does not have (read there, the output
     * looks high at once and the TSC came out at a few MHz: guest time ran hundreds of times
     * too fast). */
    const u16 ticks = 5966;
    outb(0x43, 0x30);
    outb(0x40, 0xFF);
    outb(0x40, 0xFF);
    u64 spins = 0;
    u16 first = pit_count();
    while (pit_count() == first && spins < 10000000) spins++;
    u16 start = pit_count();
    u64 t0 = rdtsc();
    u16 now = start;
    while ((u16)(start - now) < ticks && spins < 100000000) {
        now = pit_count();
        spins++;
    }
    u64 elapsed = rdtsc() - t0;
    u16 counted = (u16)(start - now);
    u64 hz = counted ? elapsed * 1193182 / counted : 0;
    if (counted < ticks || hz < 1000000) {
        hz = 1000000000;             /* no PIT: assume 1 GHz, and say so */
        log_text("[shim] no PIT to calibrate the TSC; assuming 1 GHz\n");
    }
    tsc_ns_multiplier = (1000000000UL << 32) / hz;
    if (trace) log_number("[shim] TSC Hz ", (i64)hz);
}

static u8 cmos(u8 reg)
{
    outb(0x70, reg);
    return inb(0x71);
}

static u64 read_rtc(void)
{
    while (cmos(0x0A) & 0x80) {
    }
    u64 second = cmos(0x00), minute = cmos(0x02), hour = cmos(0x04);
    u64 day = cmos(0x07), month = cmos(0x08), year = cmos(0x09);
    u8 status = cmos(0x0B);
    if (!(status & 0x04)) {
#define BCD(x) (((x) & 0x0F) + ((x) >> 4) * 10)
        second = BCD(second);
        minute = BCD(minute);
        hour = BCD(hour & 0x7F) | (hour & 0x80);
        day = BCD(day);
        month = BCD(month);
        year = BCD(year);
    }
    if (!(status & 0x02) && (hour & 0x80)) hour = ((hour & 0x7F) + 12) % 24;
    year += 2000;
    /* Days from the civil date (Howard Hinnant's algorithm). */
    i64 y = (i64)year - (month <= 2);
    i64 era = y / 400;
    u64 yoe = (u64)(y - era * 400);
    u64 doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
    u64 doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    i64 days = era * 146097 + (i64)doe - 719468;
    return (u64)days * 86400 + hour * 3600 + minute * 60 + second;
}

u64 now_ns(void)
{
    u64 delta = rdtsc() - tsc_start;
    return (u64)(((unsigned __int128)delta * tsc_ns_multiplier) >> 32);
}

u64 realtime_ns(void)
{
    return realtime_at_start + now_ns();
}

static int has_rdrand;
static u64 fallback_state;

int random_fill(u8 *buffer, u64 length)
{
    for (u64 i = 0; i < length; i += 8) {
        u64 value = 0;
        unsigned char ok = 0;
        if (has_rdrand) {
            for (int tries = 0; tries < 10 && !ok; tries++) __asm__ volatile("rdrand %0; setc %1" : "=r"(value), "=qm"(ok));
        }
        if (!ok) {
            /* NOTE: without RDRAND, xorshift64* seeded from the TSC: not cryptographic. */
            fallback_state ^= rdtsc();
            fallback_state ^= fallback_state >> 12;
            fallback_state ^= fallback_state << 25;
            fallback_state ^= fallback_state >> 27;
            value = fallback_state * 0x2545F4914F6CDD1DUL;
        }
        for (u64 j = 0; j < 8 && i + j < length; j++) buffer[i + j] = (u8)(value >> (8 * j));
    }
    return (int)length;
}

/* The local APIC's timer, the one interrupt the shim enables. While the program runs it ticks
 * every 10 ms (periodic): a tick that lands in the program preempts the running thread when
 * another one can run (preempt, process.c), so a thread that spins without a syscall cannot
 * hold the VM. An idle VM sleeps in `hlt` until the nearest deadline, which the timer marks
 * one-shot (under TCG the host's CPU sleeps too). The xAPIC's registers are MMIO at 0xFEE00000,
 * in the direct map (QEMU 7.2's TCG has no x2APIC). Without an APIC the idle wait spins on the
 * TSC and nothing is preempted. */
#define APIC_BASE 0xFEE00000UL
#define APIC_EOI 0xB0
#define APIC_SPURIOUS 0xF0
#define APIC_LVT_TIMER 0x320
#define APIC_INITIAL_COUNT 0x380
#define APIC_CURRENT_COUNT 0x390
#define APIC_DIVIDE 0x3E0
#define TIMER_VECTOR 0x20
#define TIMER_PERIODIC (1U << 17)
#define SLICE_MS 10
static u64 apic_ticks_per_ms;

static void apic_write(u32 reg, u32 value);

static void timer_periodic(void)
{
    apic_write(APIC_LVT_TIMER, TIMER_VECTOR | TIMER_PERIODIC);
    apic_write(APIC_INITIAL_COUNT, (u32)(apic_ticks_per_ms * SLICE_MS));
}

static void apic_write(u32 reg, u32 value)
{
    *(volatile u32 *)PHYS_TO_VIRT(APIC_BASE + reg) = value;
}

static u32 apic_read(u32 reg)
{
    return *(volatile u32 *)PHYS_TO_VIRT(APIC_BASE + reg);
}

static void apic_timer_init(void)
{
    u32 a, b, c, d;
    cpuid(1, 0, &a, &b, &c, &d);
    if (!((d >> 9) & 1)) {
        log_text("[shim] no local APIC: an idle VM spins on the TSC\n");
        return;
    }
    /* NOTE: IA32_APIC_BASE (0x1B): bit 11 enables the APIC at its base address. */
    wrmsr(0x1B, (rdmsr(0x1B) & ~0xFFFFF000UL) | APIC_BASE | (1UL << 11));
    apic_write(APIC_SPURIOUS, 0x1FF);           /* APIC on; spurious vector 0xFF */
    apic_write(APIC_DIVIDE, 0xB);               /* divide by 1 */
    apic_write(APIC_LVT_TIMER, TIMER_VECTOR);   /* one-shot */
    apic_write(APIC_INITIAL_COUNT, 0xFFFFFFFF);
    u64 start = now_ns();
    while (now_ns() - start < 1000000) __asm__ volatile("pause");
    apic_ticks_per_ms = 0xFFFFFFFFUL - apic_read(APIC_CURRENT_COUNT);
    if (apic_ticks_per_ms == 0 || apic_ticks_per_ms * SLICE_MS > 0xFFFFFFFFUL) {
        apic_write(APIC_INITIAL_COUNT, 0);
        apic_ticks_per_ms = 0;
        log_text("[shim] the APIC timer did not count: an idle VM spins on the TSC\n");
        return;
    }
    timer_periodic();
    if (trace) log_number("[shim] APIC timer ticks per ms ", (i64)apic_ticks_per_ms);
}

static void apic_end_of_interrupt(void)
{
    if (apic_ticks_per_ms) apic_write(APIC_EOI, 0);
}

void idle_wait(u64 nanoseconds)
{
    if (apic_ticks_per_ms == 0) {
        u64 until = now_ns() + nanoseconds;
        while (now_ns() < until) __asm__ volatile("pause");
        return;
    }
    u64 ticks = nanoseconds / 1000 * apic_ticks_per_ms / 1000;
    if (ticks == 0) ticks = 1;
    if (ticks > 0xFFFFFFFFUL) ticks = 0xFFFFFFFFUL;
    apic_write(APIC_LVT_TIMER, TIMER_VECTOR);
    apic_write(APIC_INITIAL_COUNT, (u32)ticks);
    /* sti's one-instruction shadow: an interrupt already pending lands after hlt has begun. */
    __asm__ volatile("sti; hlt; cli" : : : "memory");
    timer_periodic();
}

void machine_init(void)
{
    serial_init();
    tables_init();
    fpu_init();
    /* The legacy PICs stay masked: nothing here is driven by interrupts yet. */
    outb(0x21, 0xFF);
    outb(0xA1, 0xFF);
    u32 a, b, c, d;
    cpuid(1, 0, &a, &b, &c, &d);
    has_rdrand = (c >> 30) & 1;
    fallback_state = rdtsc() | 1;
    tsc_start = rdtsc();
    calibrate_tsc();
    realtime_at_start = read_rtc() * 1000000000UL;
    apic_timer_init();
}

static const char *const trap_names[] = {
    "divide error", "debug", "NMI", "breakpoint", "overflow", "bound range", "invalid opcode",
    "device not available", "double fault", "coprocessor", "invalid TSS", "segment not present",
    "stack fault", "general protection", "page fault", "reserved", "x87 error", "alignment check",
    "machine check", "SIMD error",
};

static void dump(struct frame *frame, u64 cr2)
{
    log_text("[shim] ");
    log_text(frame->vector < 20 ? trap_names[frame->vector] : "trap");
    log_number(" vector ", (i64)frame->vector);
    log_hex("  rip ", frame->rip);
    log_hex("  rsp ", frame->rsp);
    log_hex("  error ", frame->error);
    log_hex("  cr2 ", cr2);
    log_number("  tid ", current_tid());
}

/* PVM. On a host whose /dev/kvm is PVM (kvm-pvm, "Pagetable-based Virtual Machine": KVM
 * without VT-x or AMD-V, as inside a cloud VM without nested virtualization), an unmodified
 * guest's ring 0 runs in KVM's instruction emulator and only ring 3 runs on the CPU; found on
 * this project's build machine (kvm-pvm loaded with native=1 emul_batch=1024, its log naming
 * each failure "INTERNAL_ERROR in batch emul ... cpl=0"). What that asks of the shim:
 * - ring 0 uses only instructions the emulator has: FXSAVE/FXRSTOR, no LDMXCSR, no XSAVE.
 *   Without XSAVE a switch of threads keeps only the SSE state, so the program must not use
 *   AVX: the shim serves its CPUID (machine_probe) without XSAVE and AVX. QEMU's CPU model
 *   cannot hide them (PVM answers CPUID from the host's, whatever -cpu says), nor can XSETBV
 *   (ring 3 runs with the host's XCR0: XGETBV there answered 0xe7);
 * - ring 0 stays short, every instruction costing microseconds there: string instructions for
 *   copies, no copy of the program at boot, no zeroing of fresh frames (memory.c);
 * - SYSCALL from ring 3 jumps to LSTAR but stays in ring 3 (CS and SS keep the user's
 *   selectors), so the first fetch of syscall_entry faults on its kernel-only page: that fault
 *   is the system call, served here as syscall_entry would serve it. */
static void syscall_kept_ring3(struct frame *frame)
{
    /* What SYSCALL left: %rcx the return address, %r11 the caller's RFLAGS. */
    frame->rip = frame->rcx;
    frame->rflags = frame->r11;
    frame->vector = 256;
    frame->error = 0;
    syscall_dispatch(frame);
}

void trap_handler(struct frame *frame)
{
    if (frame->vector == 32) {
        /* An interrupt (vector 32 and up share this entry): the APIC timer, or a spurious one,
         * for which an end-of-interrupt is harmless. In the program, the running thread's time
         * slice is over; in the shim (`hlt`), it only woke the CPU. A device's line wakes the
         * thread that waits for it (devices.c). */
        devices_interrupt();
        apic_end_of_interrupt();
        /* In the program, the terminal's lines are read too (Ctrl-C, a resize: even when nobody
         * reads), and a signal that is pending runs its handler on the way back. */
        if ((frame->cs & 3) == 3) {
            console_poll();
            preempt();
            deliver_signals(frame, -1);
        }
        return;
    }
    u64 cr2 = 0;
    if (probing && (frame->vector == 6 || frame->vector == 14)) probe_done(frame->vector == 14);
    if (frame->vector == 14) {
        __asm__ volatile("mov %%cr2, %0" : "=r"(cr2));
        if (ring0_emulated && (frame->cs & 3) == 3 && frame->rip == (u64)syscall_entry && cr2 == frame->rip) {
            syscall_kept_ring3(frame);
            return;
        }
        /* Not-present faults in the program's regions are demand paging, from either ring. */
        if (user_fault(cr2, frame->error)) return;
    }
    if (frame->vector == 13 && cpuid_faulting && (frame->cs & 3) == 3 &&
        ((const u8 *)frame->rip)[0] == 0x0F && ((const u8 *)frame->rip)[1] == 0xA2) {
        serve_cpuid(frame);
        return;
    }
    if ((frame->cs & 3) == 3) {
        /* NOTE: signal numbers from asm-generic/signal.h: SIGILL 4, SIGFPE 8, SIGSEGV 11, SIGBUS 7. */
        int signal = frame->vector == 0 ? 8 : frame->vector == 6 ? 4 : frame->vector == 17 ? 7 : frame->vector == 19 ? 8 : 11;
        u64 address = frame->vector == 14 ? cr2 : frame->rip;
        if (deliver_fault(frame, signal, address)) return;
        /* No handler, or no room for its frame (a stack overflow): the signal's default action,
         * which ends the program. The registers only with uk.trace=1. */
        if (trace) dump(frame, cr2);
        log_text("[shim] ");
        log_text(frame->vector < 20 ? trap_names[frame->vector] : "trap");
        log_hex(" at ", address);
        log_number("[shim] the program was killed by signal ", signal);
        /* NOTE: a Linux process killed by a signal reports 128 + the signal number. */
        halt_vm(128 + signal);
    }
    dump(frame, cr2);
    log_text("[shim] fault in the shim itself\n");
    halt_vm(125);
}
