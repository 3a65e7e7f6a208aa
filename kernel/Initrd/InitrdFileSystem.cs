namespace Unikraft.Kernel;


// The file system of an initrd mount: a ramfs that the archive fills when it is mounted. The
// archive was checked whole when this was made (InitrdLoader.FromResource), so mounting fails
// only when the ramfs itself refuses (its capacity counts more than the files' data); the
// kernel log then says which entry and why.
[FileSystem("initrd")]
internal sealed class InitrdFileSystem : IFileSystem
{
    private readonly string name;
    private readonly long capacityBytes;
    private readonly RamFileSystem ramFileSystem;
    private byte[]? archive;

    public InitrdFileSystem(byte[] archive, string name, long capacityBytes)
    {
        this.archive = archive;
        this.name = name;
        this.capacityBytes = capacityBytes;
        ramFileSystem = new RamFileSystem(capacityBytes);
    }

    public long Mount(Kernel kernel, out IVnode? root)
    {
        long mounted = ramFileSystem.Mount(kernel, out root);
        if (mounted < 0 || root == null || archive == null)
        {
            return mounted;
        }
        long unpacked = InitrdLoader.Unpack(archive, root, capacityBytes, out CpioProblem problem);
        if (unpacked < 0)
        {
            kernel.Log.Write("[uk] initrd " + name + ": " + problem.ToString());
            root = null;
            return unpacked;
        }
        // The bytes are in the ramfs now; the archive need not stay alive.
        archive = null;
        return 0;
    }
}
