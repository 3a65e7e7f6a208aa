/* Devices for the kernel's own drivers. The drivers are C# (kernel/Virtio): they program the
 * device's registers and rings themselves. What C# in ring 3 cannot do, the shim gives in three
 * calls (numbered above Linux's, see SERVED in syscalls.c):
 *   - map a device's registers into the program (only the virtio-mmio window: the rest of the
 *     machine's MMIO stays the shim's);
 *   - allocate memory a device can reach by DMA, and say its physical address;
 *   - wait for a device's interrupt line: the calling thread blocks until the line fires.
 * Interrupts come through the IO-APIC, level-triggered, as the UIO drivers of Linux take them: the
 * shim masks the line when it fires and wakes the waiting thread; the driver acknowledges the
 * device (which lowers the line) and waits again, which unmasks it. A line that is still raised
 * when it is unmasked fires at once, so no interrupt is lost between the two. */
#include "shim.h"

/* Where device registers and DMA memory appear in the program: above the mmap area and below the
 * start stack, so neither munmap nor the program's own mappings can reach them. */
#define DEVICE_WINDOW 0x7E0000000000UL
#define DEVICE_WINDOW_END 0x7F0000000000UL

/* NOTE: QEMU's microvm machine (hw/i386/microvm.c) puts its virtio-mmio transports at 0xFEB00000,
 * 512 bytes each: 8 of them with one IO-APIC, 24 with a second one. */
#define VIRTIO_MMIO_BASE 0xFEB00000UL
#define VIRTIO_MMIO_END (VIRTIO_MMIO_BASE + 24 * 512)

/* NOTE: the IO-APIC at its default address 0xFEC00000 (Intel 82093AA datasheet): IOREGSEL at
 * offset 0, IOWIN at 0x10; redirection entry n is registers 0x10 + 2n (low word: vector, bit 13
 * polarity, bit 15 level trigger, bit 16 mask) and 0x11 + 2n (high word: the destination APIC id
 * in bits 24-31). The local APIC's in-service register is eight 32-bit words from 0x100. */
#define IOAPIC_BASE 0xFEC00000UL
#define IOAPIC_LINES 24
#define LINE_VECTOR_BASE 0x40
#define APIC_BASE 0xFEE00000UL
#define APIC_IN_SERVICE 0x100

/* NOTE: page-table bits from the Intel SDM vol. 3, 4.5: PWT (3) and PCD (4) make a page
 * uncached, as device registers must be. */
#define PTE_UNCACHED ((1UL << 3) | (1UL << 4))

/* The largest DMA block one call gives: 4 MiB (rings and their buffers are far smaller). */
#define DMA_LIMIT (4UL << 20)

static u64 window_next = DEVICE_WINDOW;
/* 1 once a line fired and its waiter has not yet seen it; the futex word its waiter sleeps on. */
static u32 line_fired[IOAPIC_LINES];
static int waiters;

/* NOTE: FUTEX_WAIT 0 and FUTEX_WAKE 1, linux/futex.h; the shim's futexes key on any address. */
#define FUTEX_WAIT 0
#define FUTEX_WAKE 1

static u64 window_take(u64 length)
{
    if (window_next + length > DEVICE_WINDOW_END) return 0;
    u64 va = window_next;
    window_next += length;
    return va;
}

i64 device_map(u64 physical, u64 length)
{
    if (length == 0 || physical < VIRTIO_MMIO_BASE || physical + length > VIRTIO_MMIO_END || physical + length < physical) return -EPERM;
    u64 first = physical & PAGE_MASK;
    u64 last = (physical + length + PAGE_SIZE - 1) & PAGE_MASK;
    u64 va = window_take(last - first);
    if (!va) return -ENOMEM;
    for (u64 offset = 0; offset < last - first; offset += PAGE_SIZE) map_user_frame(va + offset, first + offset, PTE_UNCACHED);
    if (trace) log_hex("[shim] device registers mapped from ", physical);
    return (i64)(va + (physical - first));
}

i64 device_dma_alloc(u64 length, u64 *physical)
{
    if (length == 0 || length > DMA_LIMIT || !physical) return -EINVAL;
    u64 pages = (length + PAGE_SIZE - 1) / PAGE_SIZE;
    u64 va = window_take(pages * PAGE_SIZE);
    if (!va) return -ENOMEM;
    /* Contiguous and zeroed; the shim never frees it (drivers keep their rings for the VM's life). */
    u64 frames = VIRT_TO_PHYS(kernel_alloc_pages(pages));
    for (u64 i = 0; i < pages; i++) map_user_frame(va + i * PAGE_SIZE, frames + i * PAGE_SIZE, 0);
    *physical = frames;
    return (i64)va;
}

static void ioapic_write(u32 reg, u32 value)
{
    volatile u32 *ioapic = PHYS_TO_VIRT(IOAPIC_BASE);
    ioapic[0] = reg;
    ioapic[4] = value;
}

static void line_set(u64 line, int masked)
{
    /* Fixed delivery to APIC 0, physical destination, active high, level-triggered. */
    ioapic_write(0x11 + 2 * (u32)line, 0);
    ioapic_write(0x10 + 2 * (u32)line, (LINE_VECTOR_BASE + (u32)line) | (1U << 15) | (masked ? 1U << 16 : 0));
}

i64 device_wait_interrupt(u64 line)
{
    if (line >= IOAPIC_LINES) return -EINVAL;
    for (;;) {
        if (line_fired[line]) {
            line_fired[line] = 0;
            return 0;
        }
        /* Interrupts are off in a system call: the line cannot fire before the thread sleeps. */
        waiters++;
        line_set(line, 0);
        i64 result = wait_word((u64)&line_fired[line], 0);
        waiters--;
        if (result < 0 && result != -EAGAIN) return result;
    }
}

/* munmap and madvise(DONTNEED) would free the frames behind a range: the device window's are
 * device registers and DMA rings, never the program's to give back. */
int device_window_overlaps(u64 start, u64 length)
{
    return start < DEVICE_WINDOW_END && start + length > DEVICE_WINDOW;
}

/* Whether [start, start + length) lies in what device_map and device_dma_alloc gave out: the
 * kernel's own memory, which it may pass to a system call. */
int device_window_holds(u64 start, u64 length)
{
    return start >= DEVICE_WINDOW && start + length >= start && start + length <= window_next;
}

/* A thread waits for a device: a VM whose other threads all wait with no deadline is idle, not
 * deadlocked (process.c, schedule). */
int devices_waiting(void)
{
    return waiters;
}

/* From the interrupt entry, before the end of interrupt: which line is in service is in the local
 * APIC's in-service register (the lines' vectors 0x40-0x57 are bits 0-23 of its third word; the
 * entry is shared by every vector, and interrupts do not nest: IF is clear in the handler). A
 * device line is masked (it stays raised until the driver acknowledges the device) and its waiter
 * woken. */
void devices_interrupt(void)
{
    u32 bits = *(volatile u32 *)PHYS_TO_VIRT(APIC_BASE + APIC_IN_SERVICE + 0x10 * (LINE_VECTOR_BASE / 32));
    for (u64 line = 0; line < IOAPIC_LINES; line++) {
        if (!(bits & (1U << line))) continue;
        line_set(line, 1);
        line_fired[line] = 1;
        do_futex((u64)&line_fired[line], FUTEX_WAKE, 1 << 30, 0, 0, 0);
    }
}
