namespace Unikraft.Kernel;

// NOTE: the event and flag bits of linux/inotify.h.
internal static class InotifyMask
{
    public const uint IN_ACCESS = 0x00000001;
    public const uint IN_MODIFY = 0x00000002;
    public const uint IN_ATTRIB = 0x00000004;
    public const uint IN_CLOSE_WRITE = 0x00000008;
    public const uint IN_CLOSE_NOWRITE = 0x00000010;
    public const uint IN_OPEN = 0x00000020;
    public const uint IN_MOVED_FROM = 0x00000040;
    public const uint IN_MOVED_TO = 0x00000080;
    public const uint IN_CREATE = 0x00000100;
    public const uint IN_DELETE = 0x00000200;
    public const uint IN_DELETE_SELF = 0x00000400;
    public const uint IN_MOVE_SELF = 0x00000800;
    public const uint IN_ALL_EVENTS = 0x00000FFF;

    public const uint IN_UNMOUNT = 0x00002000;
    public const uint IN_Q_OVERFLOW = 0x00004000;
    public const uint IN_IGNORED = 0x00008000;

    public const uint IN_ONLYDIR = 0x01000000;
    public const uint IN_DONT_FOLLOW = 0x02000000;
    public const uint IN_EXCL_UNLINK = 0x04000000;
    public const uint IN_MASK_CREATE = 0x10000000;
    public const uint IN_MASK_ADD = 0x20000000;
    public const uint IN_ISDIR = 0x40000000;
    public const uint IN_ONESHOT = 0x80000000;
}
