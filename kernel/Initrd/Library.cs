// The initrd library: cpio newc archives (Linux initramfs, Unikraft rootfs) unpacked into a
// ramfs at boot.
using Unikraft.Kernel;

[assembly: KernelLibrary("initrd", Summary = "Unpacks a cpio newc archive embedded in the program into a ramfs at boot",
    Needs = new[] { "core", "vfs", "ramfs" })]
