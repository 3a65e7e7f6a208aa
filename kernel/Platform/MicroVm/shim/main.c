/* shim_main: from boot.S, in long mode on the boot stack. */
#include "shim.h"

struct start_info {
    u32 magic, version, flags, modules;
    u64 modlist, cmdline, rsdp, memmap;
    u32 memmap_entries, reserved;
};

static int same(const char *a, const char *b, u64 n)
{
    for (u64 i = 0; i < n; i++) if (a[i] != b[i]) return 0;
    return 1;
}

static int has_word(const char *text, const char *word)
{
    u64 n = strlen(word);
    for (const char *p = text; *p; p++) {
        if ((p == text || p[-1] == ' ') && same(p, word, n) && (p[n] == 0 || p[n] == ' ')) return 1;
    }
    return 0;
}

void shim_main(u64 start_info_address)
{
    struct start_info *info = PHYS_TO_VIRT(start_info_address);
    /* NOTE: XEN_HVM_START_MAGIC_VALUE. */
    const char *command_line = info->magic == 0x336ec578 && info->cmdline ? (const char *)PHYS_TO_VIRT(info->cmdline) : "";
    trace = has_word(command_line, "uk.trace=1");
    console_tty = has_word(command_line, "uk.console=tty");
    console_live = console_tty && has_word(command_line, "uk.input=live");
    resize_line = console_tty && has_word(command_line, "uk.winch=1");
    machine_init();
    if (resize_line) resize_line_init();
    memory_init(start_info_address);
    syscalls_init();
    machine_probe();
    /* uk.probe=1: the runner asks whether this accelerator runs the shim's set-up at all (KVM
     * under a nested hypervisor may fail to emulate an instruction of it); the VM ends here with
     * status 0. */
    if (has_word(command_line, "uk.probe=1")) halt_vm(0);
    process_start(command_line);
}
