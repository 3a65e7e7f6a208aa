namespace Unikraft.Kernel;

// The struct stat of fstat, newfstatat and statx, with the fields of Linux's x86-64
// struct stat (asm/stat.h) under full names. It is part of the syscall ABI, so the
// app-facing API uses it beside Sys; file systems fill it in their vnode's GetAttributes
// (the VFS then sets Device to the mount's number).
internal struct Stat
{
    // NOTE: file type bits of st_mode, from linux/stat.h.
    public const int S_IFMT = 0xF000;
    public const int S_IFSOCK = 0xC000;
    public const int S_IFLNK = 0xA000;
    public const int S_IFREG = 0x8000;
    public const int S_IFBLK = 0x6000;
    public const int S_IFDIR = 0x4000;
    public const int S_IFCHR = 0x2000;
    public const int S_IFIFO = 0x1000;

    // st_dev
    public long Device { get; set; }

    // st_ino
    public long Inode { get; set; }

    // st_nlink
    public long LinkCount { get; set; }

    // st_mode: the S_IF* type bits and the permission bits
    public int Mode { get; set; }

    // st_uid
    public int UserId { get; set; }

    // st_gid
    public int GroupId { get; set; }

    // st_rdev: the device number of a character or block device node
    public long SpecialDevice { get; set; }

    // st_size
    public long Size { get; set; }

    // st_blksize
    public long BlockSize { get; set; }

    // st_blocks, in 512-byte units as Linux counts them
    public long Blocks { get; set; }

    // st_atim
    public Timespec AccessTime { get; set; }

    // st_mtim
    public Timespec ModifyTime { get; set; }

    // st_ctim
    public Timespec ChangeTime { get; set; }

    public int Type => Mode & S_IFMT;

    public bool IsDirectory => (Mode & S_IFMT) == S_IFDIR;

    public bool IsRegularFile => (Mode & S_IFMT) == S_IFREG;

    public bool IsSymbolicLink => (Mode & S_IFMT) == S_IFLNK;
}
