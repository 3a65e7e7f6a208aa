/* Entry through PVH (QEMU's -kernel with the Xen PHYS32_ENTRY note): 32-bit protected mode,
 * paging off, %ebx = the hvm_start_info. Switches to long mode with the first 4 GiB mapped
 * twice (identity, and the direct map at PML4 slot 256), then calls shim_main. Also here: the
 * trap and syscall entries, the return to ring 3 and the switch between kernel stacks, which C
 * cannot express. */

    .section .note.Xen, "a", @note
    .balign 4
    .long 4                     /* name size: "Xen\0" */
    .long 4                     /* descriptor size */
    .long 18                    /* NOTE: XEN_ELFNOTE_PHYS32_ENTRY, xen/include/public/elfnote.h */
    .asciz "Xen"
    .long pvh_start

    .section .text.boot, "ax"
    .code32
    .globl pvh_start
pvh_start:
    cli
    cld
    mov %ebx, %edi              /* the start info, shim_main's first argument */

    /* boot_pd: 2048 entries of 2 MiB pages for the first 4 GiB (present, writable, large). */
    mov $boot_pd, %edx
    xor %ecx, %ecx
1:  mov %ecx, %eax
    shl $21, %eax
    or $0x83, %eax
    mov %eax, (%edx,%ecx,8)
    movl $0, 4(%edx,%ecx,8)
    inc %ecx
    cmp $2048, %ecx
    jb 1b

    /* boot_pdpt: four page directories; boot_pml4: slot 0 (identity) and slot 256 (direct map). */
    mov $boot_pdpt, %edx
    mov $boot_pd, %eax
    or $0x3, %eax
    xor %ecx, %ecx
2:  mov %eax, (%edx,%ecx,8)
    movl $0, 4(%edx,%ecx,8)
    add $4096, %eax
    inc %ecx
    cmp $4, %ecx
    jb 2b
    mov $boot_pml4, %edx
    mov $boot_pdpt, %eax
    or $0x3, %eax
    mov %eax, (%edx)
    mov %eax, 2048(%edx)

    mov $boot_pml4, %eax
    mov %eax, %cr3
    mov %cr4, %eax
    or $0x20, %eax              /* PAE */
    mov %eax, %cr4
    mov $0xC0000080, %ecx       /* EFER: long mode enable, SYSCALL enable */
    rdmsr
    or $0x101, %eax
    wrmsr
    mov %cr0, %eax
    or $0x80000001, %eax        /* paging, protected mode */
    mov %eax, %cr0
    lgdt gdt_pointer32
    ljmp $0x08, $long_mode

    .code64
long_mode:
    mov $0x10, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    xor %ax, %ax
    mov %ax, %fs
    mov %ax, %gs
    mov $boot_stack_top, %rsp
    mov %edi, %edi
    call shim_main
3:  hlt
    jmp 3b

/* Traps: every vector pushes an error code (0 when the CPU gives none) and its number, then
 * the registers, so that C sees one struct frame. */
    .text
.macro TRAP_NOERR n
trap\n:
    push $0
    push $\n
    jmp trap_common
.endm
.macro TRAP_ERR n
trap\n:
    push $\n
    jmp trap_common
.endm

    TRAP_NOERR 0
    TRAP_NOERR 1
    TRAP_NOERR 2
    TRAP_NOERR 3
    TRAP_NOERR 4
    TRAP_NOERR 5
    TRAP_NOERR 6
    TRAP_NOERR 7
    TRAP_ERR 8
    TRAP_NOERR 9
    TRAP_ERR 10
    TRAP_ERR 11
    TRAP_ERR 12
    TRAP_ERR 13
    TRAP_ERR 14
    TRAP_NOERR 15
    TRAP_NOERR 16
    TRAP_ERR 17
    TRAP_NOERR 18
    TRAP_NOERR 19
    TRAP_NOERR 20
    TRAP_ERR 21
    TRAP_NOERR 22
    TRAP_NOERR 23
    TRAP_NOERR 24
    TRAP_NOERR 25
    TRAP_NOERR 26
    TRAP_NOERR 27
    TRAP_NOERR 28
    TRAP_NOERR 29
    TRAP_NOERR 30
    TRAP_NOERR 31
    TRAP_NOERR 32

trap_common:
    push %rax
    push %rbx
    push %rcx
    push %rdx
    push %rsi
    push %rdi
    push %rbp
    push %r8
    push %r9
    push %r10
    push %r11
    push %r12
    push %r13
    push %r14
    push %r15
    mov %rsp, %rdi
    cld
    call trap_handler
    .globl trap_return
trap_return:
    pop %r15
    pop %r14
    pop %r13
    pop %r12
    pop %r11
    pop %r10
    pop %r9
    pop %r8
    pop %rbp
    pop %rdi
    pop %rsi
    pop %rdx
    pop %rcx
    pop %rbx
    pop %rax
    add $16, %rsp
    iretq

    .section .rodata
    .balign 8
    .globl trap_table
trap_table:
    .irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32
    .quad trap\n
    .endr

/* SYSCALL: %rcx = the user's %rip, %r11 = its RFLAGS, interrupts off (SFMASK). The user's
 * registers become a struct frame on the current thread's kernel stack, exactly as a trap
 * from ring 3 would leave them, so both return through trap_return. */
    .text
    .globl syscall_entry
syscall_entry:
    mov %rsp, user_rsp_scratch(%rip)
    mov kernel_stack_top(%rip), %rsp
    push $0x23                  /* ss: user data */
    push user_rsp_scratch(%rip)
    push %r11                   /* rflags */
    push $0x2b                  /* cs: user code */
    push %rcx                   /* rip */
    push $0
    push $256                   /* "vector" 256 marks a syscall */
    push %rax
    push %rbx
    push %rcx
    push %rdx
    push %rsi
    push %rdi
    push %rbp
    push %r8
    push %r9
    push %r10
    push %r11
    push %r12
    push %r13
    push %r14
    push %r15
    mov %rsp, %rdi
    cld
    call syscall_dispatch
    jmp trap_return

/* switch_stacks(&old_rsp, new_rsp): saves the callee-saved registers on this kernel stack,
 * and resumes the thread whose stack is new_rsp where it called switch_stacks (or, for a new
 * thread, in thread_trampoline). */
    .globl switch_stacks
switch_stacks:
    push %rbp
    push %rbx
    push %r12
    push %r13
    push %r14
    push %r15
    mov %rsp, (%rdi)
    mov %rsi, %rsp
    pop %r15
    pop %r14
    pop %r13
    pop %r12
    pop %rbx
    pop %rbp
    ret

/* A new thread's first switch returns here, with its frame right above. */
    .globl thread_trampoline
thread_trampoline:
    jmp trap_return

/* enter_frame(frame): leaves for ring 3 with the registers in frame. */
    .globl enter_frame
enter_frame:
    mov %rdi, %rsp
    jmp trap_return

    .data
    .balign 16
    .globl gdt
gdt:
    .quad 0
    .quad 0x00AF9A000000FFFF    /* 0x08 kernel code, 64-bit */
    .quad 0x00CF92000000FFFF    /* 0x10 kernel data */
    .quad 0x00CFFA000000FFFF    /* 0x18 user code, 32-bit (unused; SYSRET's layout) */
    .quad 0x00CFF2000000FFFF    /* 0x20 user data */
    .quad 0x00AFFA000000FFFF    /* 0x28 user code, 64-bit */
    .quad 0, 0                  /* 0x30 the TSS, filled in by machine.c */
gdt_end:
gdt_pointer32:
    .word gdt_end - gdt - 1
    .long gdt
    .globl kernel_stack_top
kernel_stack_top:
    .quad 0
user_rsp_scratch:
    .quad 0

    .section .bss
    .balign 4096
boot_pml4:
    .skip 4096
boot_pdpt:
    .skip 4096
boot_pd:
    .skip 4096 * 4
boot_stack:
    .skip 16384
boot_stack_top:
