/* Memory: physical frames from the PVH memory map, four-level page tables, and the program's
 * address space. The address space is a sorted list of areas (the image's segments, the break,
 * the stack, anonymous mmap), each with its protection, as Linux's VMAs; pages are filled on
 * demand: a page gets a zeroed frame the first time it is touched, if its area allows the
 * access. Any other access (a guard page, a PROT_NONE reservation, a write to read-only data,
 * a jump into data) is a fault the program receives as SIGSEGV, as on Linux. */
#include "shim.h"

/* NOTE: struct hvm_start_info and hvm_memmap_table_entry, xen/include/public/arch-x86/hvm/start_info.h. */
struct start_info {
    u32 magic, version, flags, modules;
    u64 modlist, cmdline, rsdp, memmap;
    u32 memmap_entries, reserved;
};
struct memmap_entry {
    u64 address, size;
    u32 type, reserved;
};

#define PTE_PRESENT 0x1UL
#define PTE_WRITE 0x2UL
#define PTE_USER 0x4UL
#define PTE_LARGE 0x80UL
/* A software bit (bits 9-11 are the OS's): a PROT_NONE page that keeps its frame, not present
 * to the CPU, so that mprotect back to readable finds its contents (Linux's _PAGE_PROTNONE). */
#define PTE_HELD 0x200UL
#define PTE_NO_EXECUTE (1UL << 63)
#define PTE_ADDRESS 0x000FFFFFFFFFF000UL

/* NOTE: the page-fault error code, Intel SDM vol. 3A 4.7: bit 1 a write, bit 4 an instruction
 * fetch (reported only with EFER.NXE). */
#define FAULT_WRITE 0x2UL
#define FAULT_FETCH 0x10UL

/* NOTE: the direct map covers the first 4 GiB (boot.S); frames come from below that. */
#define DIRECT_LIMIT (4UL << 30)
#define MAX_RANGES 16

/* The program's half: above the shim's first 2 MiB (kernel only, which also makes a null
 * dereference fault), below the canonical hole. */
#define USER_LOW 0x200000UL
#define USER_HIGH (1UL << 47)

/* Where anonymous mmap places what it is not told where to put, and where the stack ends. */
#define MMAP_BASE 0x100000000000UL
#define MMAP_LIMIT 0x700000000000UL

/* NOTE: Linux's default vm.max_map_count is 65530; the .NET runtime keeps a few dozen areas
 * (its reservations split by what it commits), so a fixed table is enough. */
#define MAX_AREAS 1024

/* Pages filled with a faulting one where faults are dear (PVM): see user_fault. */
#define FAULT_AROUND 16

extern char payload_end[];

static struct { u64 next, end; } ranges[MAX_RANGES];
static int range_count, range_index;
static u64 free_list;       /* physical address of a free frame; its first word links the next */
static u64 frames_total, frames_used;
static u64 *pml4;
static u64 no_execute;      /* PTE_NO_EXECUTE when the CPU has NX (EFER.NXE is then on) */

struct area { u64 start, end; u64 prot; };
static struct area areas[MAX_AREAS];
static int area_count;

static u64 brk_start, brk_current, brk_value;
static u64 mmap_next = MMAP_BASE;

void memory_init(u64 start_info_address)
{
    struct start_info *info = PHYS_TO_VIRT(start_info_address);
    struct memmap_entry *map = PHYS_TO_VIRT(info->memmap);
    u64 lowest = ((u64)payload_end + PAGE_SIZE - 1) & PAGE_MASK;
    for (u32 i = 0; i < info->memmap_entries && range_count < MAX_RANGES; i++) {
        if (map[i].type != 1) continue; /* NOTE: E820 type 1 is usable RAM */
        u64 start = (map[i].address + PAGE_SIZE - 1) & PAGE_MASK;
        u64 end = (map[i].address + map[i].size) & PAGE_MASK;
        if (start < lowest) start = lowest;
        if (end > DIRECT_LIMIT) end = DIRECT_LIMIT;
        if (start >= end) continue;
        ranges[range_count].next = start;
        ranges[range_count].end = end;
        frames_total += (end - start) / PAGE_SIZE;
        range_count++;
    }

    /* NOTE: NX is CPUID 0x80000001 EDX bit 20; EFER.NXE (bit 11) lets a page forbid execution. */
    u32 a, b, c, d;
    cpuid(0x80000000, 0, &a, &b, &c, &d);
    if (a >= 0x80000001) {
        cpuid(0x80000001, 0, &a, &b, &c, &d);
        if ((d >> 20) & 1) {
            wrmsr(0xC0000080, rdmsr(0xC0000080) | (1UL << 11));
            no_execute = PTE_NO_EXECUTE;
        }
    }

    /* The final tables: slot 256 keeps the boot direct map; slot 0 maps only the shim's own
     * first 2 MiB (kernel only), and the rest of the lower half is the program's. */
    u64 *boot_pml4;
    __asm__ volatile("mov %%cr3, %0" : "=r"(boot_pml4));
    pml4 = PHYS_TO_VIRT(frame_alloc());
    pml4[256] = ((u64 *)PHYS_TO_VIRT(boot_pml4))[256];
    u64 *pdpt = PHYS_TO_VIRT(frame_alloc());
    u64 *pd = PHYS_TO_VIRT(frame_alloc());
    pd[0] = 0 | PTE_PRESENT | PTE_WRITE | PTE_LARGE;
    pdpt[0] = VIRT_TO_PHYS(pd) | PTE_PRESENT | PTE_WRITE | PTE_USER;
    pml4[0] = VIRT_TO_PHYS(pdpt) | PTE_PRESENT | PTE_WRITE | PTE_USER;
    __asm__ volatile("mov %0, %%cr3" : : "r"(VIRT_TO_PHYS(pml4)) : "memory");
}

/* A frame from the memory map is still as QEMU gave it, all zeros (guest RAM starts zeroed, and
 * nothing is loaded above the image); only a frame that comes back through frame_free is
 * zeroed again. Zeroing costs: where ring 0 runs in an instruction emulator (PVM, machine.c),
 * a page takes 512 emulated stores. */
u64 frame_alloc(void)
{
    u64 frame = 0;
    if (free_list) {
        frame = free_list;
        free_list = *(u64 *)PHYS_TO_VIRT(frame);
        zero_page(PHYS_TO_VIRT(frame));
    } else {
        while (range_index < range_count && ranges[range_index].next >= ranges[range_index].end) range_index++;
        if (range_index == range_count) {
            log_text("[shim] out of memory: every frame is in use (give the VM more with -m)\n");
            halt_vm(137);
        }
        frame = ranges[range_index].next;
        ranges[range_index].next += PAGE_SIZE;
    }
    frames_used++;
    return frame;
}

static void frame_free(u64 frame)
{
    *(u64 *)PHYS_TO_VIRT(frame) = free_list;
    free_list = frame;
    frames_used--;
}

void *kernel_alloc_pages(u64 count)
{
    /* Contiguous pages for kernel stacks and FPU areas, straight from a range (fresh, so zero). */
    for (int i = range_index; i < range_count; i++) {
        if (ranges[i].end - ranges[i].next >= count * PAGE_SIZE) {
            u64 start = ranges[i].next;
            ranges[i].next += count * PAGE_SIZE;
            frames_used += count;
            return PHYS_TO_VIRT(start);
        }
    }
    log_text("[shim] out of memory for a kernel stack\n");
    halt_vm(137);
}

u64 memory_total(void) { return frames_total * PAGE_SIZE; }
u64 memory_used(void) { return frames_used * PAGE_SIZE; }

/* --- page tables ------------------------------------------------------------------------ */

static u64 *next_table(u64 *table, int index, int create)
{
    if (!(table[index] & PTE_PRESENT)) {
        if (!create) return NULL;
        table[index] = frame_alloc() | PTE_PRESENT | PTE_WRITE | PTE_USER;
    }
    return PHYS_TO_VIRT(table[index] & PTE_ADDRESS);
}

static u64 *page_entry(u64 va)
{
    u64 *pdpt = next_table(pml4, (va >> 39) & 511, 1);
    u64 *pd = next_table(pdpt, (va >> 30) & 511, 1);
    u64 *pt = next_table(pd, (va >> 21) & 511, 1);
    return &pt[(va >> 12) & 511];
}

static void flush(u64 va)
{
    __asm__ volatile("invlpg (%0)" : : "r"(va) : "memory");
}

/* The entry bits for a page of this protection: present (and writable, executable) as it
 * allows; PROT_NONE is not present. */
static u64 page_flags(u64 prot)
{
    if (!(prot & (PROT_READ | PROT_WRITE | PROT_EXEC))) return PTE_HELD;
    u64 flags = PTE_PRESENT | PTE_USER;
    if (prot & PROT_WRITE) flags |= PTE_WRITE;
    if (!(prot & PROT_EXEC)) flags |= no_execute;
    return flags;
}

/* A user page outside every area, readable, writable and executable: the syscall probe's
 * (machine.c), unmapped again with unmap_user_range. */
void map_user_page(u64 va)
{
    u64 *entry = page_entry(va);
    if (!(*entry & PTE_PRESENT)) *entry = frame_alloc() | PTE_PRESENT | PTE_WRITE | PTE_USER;
}

/* Calls visit for every page in [start, end) that has a frame, skipping tables that hold
 * nothing (a reservation of gigabytes that was never touched costs a few steps). */
static void walk(u64 start, u64 end, void (*visit)(u64 va, u64 *entry, u64 argument), u64 argument)
{
    u64 va = start & PAGE_MASK;
    while (va < end) {
        u64 *pdpt = next_table(pml4, (va >> 39) & 511, 0);
        if (!pdpt) { va = (va | ((1UL << 39) - 1)) + 1; continue; }
        u64 *pd = next_table(pdpt, (va >> 30) & 511, 0);
        if (!pd) { va = (va | ((1UL << 30) - 1)) + 1; continue; }
        u64 *pt = next_table(pd, (va >> 21) & 511, 0);
        if (!pt) { va = (va | ((1UL << 21) - 1)) + 1; continue; }
        u64 *entry = &pt[(va >> 12) & 511];
        if (*entry & (PTE_PRESENT | PTE_HELD)) visit(va, entry, argument);
        va += PAGE_SIZE;
    }
}

static void free_page(u64 va, u64 *entry, u64 argument)
{
    (void)argument;
    frame_free(*entry & PTE_ADDRESS);
    *entry = 0;
    flush(va);
}

static void protect_page(u64 va, u64 *entry, u64 prot)
{
    *entry = (*entry & PTE_ADDRESS) | page_flags(prot);
    flush(va);
}

/* Frees every page in [start, end); the areas stay (madvise(MADV_DONTNEED): zeros next time). */
void unmap_user_range(u64 start, u64 end)
{
    walk(start, end, free_page, 0);
}

/* --- areas ------------------------------------------------------------------------------ */

/* The index of the first area that ends after address (area_count when none does). */
static int first_after(u64 address)
{
    int low = 0, high = area_count;
    while (low < high) {
        int middle = (low + high) / 2;
        if (areas[middle].end <= address) low = middle + 1;
        else high = middle;
    }
    return low;
}

static struct area *area_at(u64 address)
{
    int i = first_after(address);
    return i < area_count && areas[i].start <= address ? &areas[i] : NULL;
}

/* Opens count free slots at index (entries move one by one: the table may overlap itself). */
static int open_slots(int index, int count)
{
    if (area_count + count > MAX_AREAS) return 0;
    for (int i = area_count - 1; i >= index; i--) areas[i + count] = areas[i];
    area_count += count;
    return 1;
}

static void close_slots(int index, int count)
{
    for (int i = index; i + count < area_count; i++) areas[i] = areas[i + count];
    area_count -= count;
}

#define NO_AREA (~0UL)

/* Makes [start, end) one area of protection prot, or no area at all (NO_AREA): the areas it
 * overlaps are cut or split, and neighbours of the same protection are merged. 0 when the table
 * is full. */
static int set_area(u64 start, u64 end, u64 prot)
{
    if (start >= end) return 1;
    int i = first_after(start);
    if (i < area_count && areas[i].start < start) {
        if (areas[i].end > end) {
            /* [start, end) lies inside one area: split it, keeping its tail after end. */
            if (!open_slots(i + 1, 1)) return 0;
            areas[i + 1] = areas[i];
            areas[i + 1].start = end;
        }
        areas[i].end = start;
        i++;
    }
    int j = i;
    while (j < area_count && areas[j].end <= end) j++;
    if (j < area_count && areas[j].start < end) areas[j].start = end;
    close_slots(i, j - i);
    if (prot == NO_AREA) return 1;
    if (i > 0 && areas[i - 1].end == start && areas[i - 1].prot == prot) {
        areas[i - 1].end = end;
        i--;
    } else {
        if (!open_slots(i, 1)) return 0;
        areas[i].start = start;
        areas[i].end = end;
        areas[i].prot = prot;
    }
    if (i + 1 < area_count && areas[i + 1].start == areas[i].end && areas[i + 1].prot == prot) {
        areas[i].end = areas[i + 1].end;
        close_slots(i + 1, 1);
    }
    return 1;
}

/* Whether every page of [start, end) is in some area. */
static int covered(u64 start, u64 end)
{
    int i = first_after(start);
    u64 at = start;
    while (at < end) {
        if (i >= area_count || areas[i].start > at) return 0;
        at = areas[i].end;
        i++;
    }
    return 1;
}

/* Whether the program may write every byte of [start, end): where the shim writes for it (a
 * signal frame), it asks first, as its own fault there would end the VM. */
int user_writable(u64 start, u64 end)
{
    int i = first_after(start);
    u64 at = start;
    while (at < end) {
        if (i >= area_count || areas[i].start > at || !(areas[i].prot & PROT_WRITE)) return 0;
        at = areas[i].end;
        i++;
    }
    return 1;
}

/* Whether the program may read (or, with write, write) every byte of [address, address +
 * length): a pointer it passes to a system call, checked before the shim reads or writes
 * through it, as its own fault in ring 0 would end the VM. Linux answers such a pointer with
 * EFAULT (access_ok, and the fault fix-up of its user copies); so do the callers. An empty range
 * is always fine (read(fd, NULL, 0) is 0 on Linux); a readable page is any page the program may
 * touch (on x86 a writable or executable page reads too); the device window (devices.c) is the
 * kernel's own memory, and fine as well. */
int user_memory_ok(u64 address, u64 length, int write)
{
    if (length == 0) return 1;
    u64 end = address + length;
    if (end < address || address < USER_LOW || end > USER_HIGH) return device_window_holds(address, length);
    u64 need = write ? PROT_WRITE : (PROT_READ | PROT_WRITE | PROT_EXEC);
    int i = first_after(address);
    u64 at = address;
    while (at < end) {
        if (i >= area_count || areas[i].start > at || !(areas[i].prot & need)) return device_window_holds(address, length);
        at = areas[i].end;
        i++;
    }
    return 1;
}

/* A page fault at address (from either ring): 1 when it was served, a frame filled in for a
 * page its area allows this access to; 0 when the access is not allowed, which for the program
 * is SIGSEGV. */
int user_fault(u64 address, u64 error)
{
    if (address < USER_LOW || address >= USER_HIGH) return 0;
    struct area *area = area_at(address);
    if (!area) return 0;
    u64 prot = area->prot;
    if (!(prot & (PROT_READ | PROT_WRITE | PROT_EXEC))) return 0;
    if ((error & FAULT_WRITE) && !(prot & PROT_WRITE)) return 0;
    if ((error & FAULT_FETCH) && !(prot & PROT_EXEC)) return 0;
    u64 va = address & PAGE_MASK;
    u64 *entry = page_entry(va);
    if (*entry & PTE_PRESENT) {
        /* A present page the area allows this access to: its entry is behind its area (never,
         * as mprotect rewrites the entries); bring it in step once, and fail a second time. */
        u64 flags = page_flags(prot);
        if ((*entry & ~PTE_ADDRESS) == flags) return 0;
        *entry = (*entry & PTE_ADDRESS) | flags;
        flush(va);
        return 1;
    }
    u64 frame = *entry & PTE_ADDRESS;
    if (!frame) frame = frame_alloc();
    *entry = frame | page_flags(prot);
    if (ring0_emulated && (prot & PROT_WRITE)) {
        /* Under PVM a fault costs about 0.4 ms of emulated ring 0 (machine.c): the pages after
         * this one, in its area and its page table, are filled with it. */
        u64 last = va + FAULT_AROUND * PAGE_SIZE;
        if (last > area->end) last = area->end;
        if (last > ((va | ((1UL << 21) - 1)) + 1)) last = (va | ((1UL << 21) - 1)) + 1;
        for (u64 next = va + PAGE_SIZE; next < last; next += PAGE_SIZE) {
            entry++;
            if (*entry) break;
            *entry = frame_alloc() | page_flags(prot);
        }
    }
    return 1;
}

/* --- the program's calls ---------------------------------------------------------------- */

/* Anonymous memory with its protection. Addresses are handed out upwards and never reused (the
 * area above MMAP_BASE is 96 TiB); MAP_FIXED replaces whatever was there. */
u64 user_mmap(u64 address, u64 length, u64 prot, int fixed)
{
    length = (length + PAGE_SIZE - 1) & PAGE_MASK;
    if (fixed) {
        if (address < USER_LOW || (address & ~PAGE_MASK) || address + length > USER_HIGH) return (u64)-EINVAL;
        unmap_user_range(address, address + length);
        if (!set_area(address, address + length, prot)) return (u64)-ENOMEM;
        if (address >= MMAP_BASE && address < MMAP_LIMIT && address + length > mmap_next) mmap_next = address + length;
        return address;
    }
    if (mmap_next + length > MMAP_LIMIT) return (u64)-ENOMEM;
    u64 result = mmap_next;
    if (!set_area(result, result + length, prot)) return (u64)-ENOMEM;
    mmap_next += length;
    return result;
}

/* NOTE: munmap(2): the range need not be mapped; the pages go, and later accesses fault. */
i64 user_munmap(u64 address, u64 length)
{
    if ((address & ~PAGE_MASK) || length == 0) return -EINVAL;
    u64 end = (address + length + PAGE_SIZE - 1) & PAGE_MASK;
    if (address < USER_LOW || end > USER_HIGH || end < address) return -EINVAL;
    unmap_user_range(address, end);
    if (!set_area(address, end, NO_AREA)) return -ENOMEM;
    return 0;
}

/* NOTE: mprotect(2): EINVAL for an unaligned address, ENOMEM when part of the range is not
 * mapped. Pages already filled keep their frames under the new protection. */
i64 user_mprotect(u64 address, u64 length, u64 prot)
{
    if (address & ~PAGE_MASK) return -EINVAL;
    u64 end = (address + length + PAGE_SIZE - 1) & PAGE_MASK;
    if (end < address) return -ENOMEM;
    if (end == address) return 0;
    if (!covered(address, end)) return -ENOMEM;
    if (!set_area(address, end, prot & (PROT_READ | PROT_WRITE | PROT_EXEC))) return -ENOMEM;
    walk(address, end, protect_page, prot);
    return 0;
}

/* One PT_LOAD segment of the program, in place: its pages are the payload's own frames (the
 * image is loaded at a page-aligned address and its file offsets are congruent to the
 * addresses, as the ELF gABI requires of PT_LOAD), so nothing is copied, except the last file
 * page when the segment goes on past its file bytes (.bss: the rest of that page must read as
 * zeros, not as what follows in the file). The pages beyond are filled on demand. */
void map_segment(u64 vaddr, u64 file_physical, u64 file_size, u64 memory_size, u64 prot)
{
    u64 start = vaddr & PAGE_MASK;
    u64 file_end = vaddr + file_size;
    u64 end = (vaddr + memory_size + PAGE_SIZE - 1) & PAGE_MASK;
    u64 physical = file_physical - (vaddr - start);
    u64 flags = page_flags(prot);
    for (u64 va = start; va < file_end; va += PAGE_SIZE, physical += PAGE_SIZE) {
        u64 *entry = page_entry(va);
        if (*entry & PTE_PRESENT) {
            /* A page two segments share: it has a frame already; this segment's bytes go into
             * it, and it allows what either segment allows. */
            u64 from = va > vaddr ? va : vaddr;
            u64 to = va + PAGE_SIZE < file_end ? va + PAGE_SIZE : file_end;
            memcpy((void *)from, PHYS_TO_VIRT(physical + (from - va)), to - from);
            if (flags & PTE_WRITE) *entry |= PTE_WRITE;
            if (!(flags & PTE_NO_EXECUTE)) *entry &= ~PTE_NO_EXECUTE;
        } else if (va + PAGE_SIZE > file_end && memory_size > file_size) {
            u64 frame = frame_alloc();
            memcpy(PHYS_TO_VIRT(frame), PHYS_TO_VIRT(physical), file_end - va);
            *entry = frame | flags;
        } else {
            *entry = physical | flags;
        }
    }
    set_area(start, end, prot);
}

void set_brk_start(u64 address)
{
    brk_start = brk_current = brk_value = (address + PAGE_SIZE - 1) & PAGE_MASK;
}

/* NOTE: brk(2) answers the current break when it refuses, as Linux does. */
u64 user_brk(u64 address)
{
    if (address < brk_start || address >= brk_start + (1UL << 32)) return brk_value;
    u64 end = (address + PAGE_SIZE - 1) & PAGE_MASK;
    if (end < brk_current) {
        unmap_user_range(end, brk_current);
        set_area(end, brk_current, NO_AREA);
    } else if (!set_area(brk_current, end, PROT_READ | PROT_WRITE)) {
        return brk_value;
    }
    brk_current = end;
    brk_value = address;
    return address;
}

/* The start stack: readable and writable down to its limit; below it, nothing (a fault). */
void set_stack_region(u64 low, u64 high)
{
    set_area(low, high, PROT_READ | PROT_WRITE);
}

/* A given physical page (a device's registers, DMA memory) at va for the program; flags add to
 * present, writable, user (the page-level cache bits for registers). Not a region of the
 * program's: no fault fills it and munmap does not reach it (devices.c keeps it apart). */
void map_user_frame(u64 va, u64 physical, u64 flags)
{
    u64 *pdpt = next_table(pml4, (va >> 39) & 511, 1);
    u64 *pd = next_table(pdpt, (va >> 30) & 511, 1);
    u64 *pt = next_table(pd, (va >> 21) & 511, 1);
    pt[(va >> 12) & 511] = (physical & PTE_ADDRESS) | PTE_PRESENT | PTE_WRITE | PTE_USER | flags;
    __asm__ volatile("invlpg (%0)" : : "r"(va) : "memory");
}
