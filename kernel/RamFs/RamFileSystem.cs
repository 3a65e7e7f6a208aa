namespace Unikraft.Kernel;

// A file system in memory with a capacity in bytes of file data. Every node lives as long as
// a name or an open file refers to it; the data of a file is charged against the capacity
// while the file has a name.
[FileSystem("ramfs")]
internal sealed class RamFileSystem : IFileSystem
{
    // NOTE: the largest byte array .NET allocates (Array.MaxLength); a file larger is EFBIG.
    public const long MaximumFileSize = 0x7FFFFFC7;

    private Kernel? kernel;
    private RamNode? root;
    private long nextInode = 1;

    public RamFileSystem(long capacityBytes)
    {
        Capacity = capacityBytes;
    }

    public long Capacity { get; }

    public long Used { get; private set; }

    public long Available => Capacity > Used ? Capacity - Used : 0;

    // The first mount makes the root (and gives the clock for times); mounting the same file
    // system again shows the same files.
    public long Mount(Kernel kernel, out IVnode? rootDirectory)
    {
        this.kernel ??= kernel;
        root ??= new RamNode(this, Stat.S_IFDIR | 0x1ED, null);
        rootDirectory = root;
        return 0;
    }

    public long NewInode()
    {
        return nextInode++;
    }

    // The kernel's wall clock, or the epoch when no clock is attached (a kernel without the
    // time library).
    public Timespec Now()
    {
        IClockDevice? clock = kernel?.Clock;
        return clock == null ? default : Timespec.FromNanoseconds(clock.RealtimeNanoseconds);
    }

    // Takes bytes of the capacity (negative gives them back).
    public void Charge(long bytes)
    {
        Used += bytes;
    }
}
