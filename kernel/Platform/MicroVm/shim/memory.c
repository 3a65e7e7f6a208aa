/* Memory: physical frames from the PVH memory map, four-level page tables, and the program's
 * address space (its image, brk, the stack and anonymous mmap), filled on demand: a page gets
 * a zeroed frame the first time it is touched. */
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
#define PTE_ADDRESS 0x000FFFFFFFFFF000UL

/* NOTE: the direct map covers the first 4 GiB (boot.S); frames come from below that. */
#define DIRECT_LIMIT (4UL << 30)
#define MAX_RANGES 16

/* Where anonymous mmap places what it is not told where to put, and where the stack ends. */
#define MMAP_BASE 0x100000000000UL
#define MMAP_LIMIT 0x700000000000UL

extern char payload_end[];

static struct { u64 next, end; } ranges[MAX_RANGES];
static int range_count, range_index;
static u64 free_list;       /* physical address of a free frame; its first word links the next */
static u64 frames_total, frames_used;
static u64 *pml4;

static u64 brk_start, brk_current, brk_value;
static u64 mmap_next = MMAP_BASE;
static u64 stack_low, stack_high;
static u64 image_low, image_high;

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

u64 frame_alloc(void)
{
    u64 frame = 0;
    if (free_list) {
        frame = free_list;
        free_list = *(u64 *)PHYS_TO_VIRT(frame);
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
    memset(PHYS_TO_VIRT(frame), 0, PAGE_SIZE);
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
    /* Contiguous pages for kernel stacks and FPU areas, straight from a range. */
    for (int i = range_index; i < range_count; i++) {
        if (ranges[i].end - ranges[i].next >= count * PAGE_SIZE) {
            u64 start = ranges[i].next;
            ranges[i].next += count * PAGE_SIZE;
            frames_used += count;
            memset(PHYS_TO_VIRT(start), 0, count * PAGE_SIZE);
            return PHYS_TO_VIRT(start);
        }
    }
    log_text("[shim] out of memory for a kernel stack\n");
    halt_vm(137);
}

u64 memory_total(void) { return frames_total * PAGE_SIZE; }
u64 memory_used(void) { return frames_used * PAGE_SIZE; }

static u64 *next_table(u64 *table, int index, int create)
{
    if (!(table[index] & PTE_PRESENT)) {
        if (!create) return NULL;
        table[index] = frame_alloc() | PTE_PRESENT | PTE_WRITE | PTE_USER;
    }
    return PHYS_TO_VIRT(table[index] & PTE_ADDRESS);
}

void map_user_page(u64 va)
{
    u64 *pdpt = next_table(pml4, (va >> 39) & 511, 1);
    u64 *pd = next_table(pdpt, (va >> 30) & 511, 1);
    u64 *pt = next_table(pd, (va >> 21) & 511, 1);
    u64 *entry = &pt[(va >> 12) & 511];
    if (!(*entry & PTE_PRESENT)) *entry = frame_alloc() | PTE_PRESENT | PTE_WRITE | PTE_USER;
}

/* Frees every page in [start, end), skipping tables that hold nothing. */
void unmap_user_range(u64 start, u64 end)
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
        if (*entry & PTE_PRESENT) {
            frame_free(*entry & PTE_ADDRESS);
            *entry = 0;
            __asm__ volatile("invlpg (%0)" : : "r"(va) : "memory");
        }
        va += PAGE_SIZE;
    }
}

static int in_region(u64 address)
{
    if (address >= image_low && address < image_high) return 1;
    if (address >= brk_start && address < brk_current) return 1;
    if (address >= MMAP_BASE && address < mmap_next) return 1;
    if (address >= stack_low && address < stack_high) return 1;
    return 0;
}

int user_fault(u64 address)
{
    if (address < 0x200000 || address >= (1UL << 47) || !in_region(address)) return 0;
    map_user_page(address & PAGE_MASK);
    return 1;
}

/* Anonymous memory. The address space is not tracked page by page: what was unmapped reads as
 * zeros again when touched, and protections are not enforced (mprotect is accepted). */
u64 user_mmap(u64 address, u64 length, int fixed)
{
    length = (length + PAGE_SIZE - 1) & PAGE_MASK;
    if (fixed) {
        if (address < 0x200000 || (address & ~PAGE_MASK)) return (u64)-EINVAL;
        unmap_user_range(address, address + length);
        if (!in_region(address) && !(address >= MMAP_BASE && address < MMAP_LIMIT)) {
            log_hex("[shim] MAP_FIXED outside the mmap area at ", address);
            return (u64)-ENOMEM;
        }
        if (address + length > mmap_next && address >= MMAP_BASE) mmap_next = address + length;
        return address;
    }
    if (mmap_next + length > MMAP_LIMIT) return (u64)-ENOMEM;
    u64 result = mmap_next;
    mmap_next += length;
    return result;
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
    if (end < brk_current) unmap_user_range(end, brk_current);
    brk_current = end;
    brk_value = address;
    return address;
}

void set_stack_region(u64 low, u64 high) { stack_low = low; stack_high = high; }
void set_image_region(u64 low, u64 high) { image_low = low; image_high = high; }

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
