namespace Unikraft.Kernel;

using System;
using System.Collections.Generic;

// What can go wrong with storage, as probabilities per operation in [0, 1]; a test may also
// arm one fault for the next operation (FaultyFileSystem.FailNextWrite and the like).
internal sealed class StorageFaults
{
    // A write fails with EIO and writes nothing.
    public double WriteError { get; set; }

    // A write writes a seeded prefix and then fails with EIO (the device tore it).
    public double TornWrite { get; set; }

    // A torn write also crashes the device: every operation fails with EIO until Recover.
    public bool CrashOnTornWrite { get; set; }

    // An fsync reports success but makes nothing durable (a lying disk cache).
    public double LostSync { get; set; }

    // A write fails with ENOSPC as if the device were full.
    public double Full { get; set; }
}

// Counters of the faults a FaultyFileSystem injected.
internal sealed class StorageCounters
{
    public long Writes { get; set; }

    public long FailedWrites { get; set; }

    public long TornWrites { get; set; }

    public long Syncs { get; set; }

    public long LostSyncs { get; set; }

    public long FullWrites { get; set; }

    public long Crashes { get; set; }
}

// A file system wrapper that fails the way disks fail: a write that reports EIO, a write torn
// after a prefix (optionally crashing the device), an fsync that is lost, a full device. It
// keeps, per regular file, the content as of the last fsync that really happened; a simulated
// crash (Crash, or Recover after a torn write crashed the device) puts every file back to that
// content, so data written after the last successful fsync vanishes. Metadata (names,
// directories) is taken to be durable at once. The dice are a seeded stream, so a seed replays
// every storage fault.
internal sealed class FaultyFileSystem : IFileSystem
{
    private readonly IFileSystem inner;
    private readonly SimRandom random;
    private readonly Simulation? world;
    private readonly Dictionary<long, FaultyVnode> files = new Dictionary<long, FaultyVnode>();
    private bool failNextWrite;
    private int tearNextWrite = -1;
    private bool loseNextSync;

    public FaultyFileSystem(IFileSystem inner, SimRandom random, StorageFaults faults, Simulation? world = null)
    {
        this.inner = inner;
        this.random = random;
        this.world = world;
        Faults = faults;
    }

    public StorageFaults Faults { get; }

    public StorageCounters Counters { get; } = new StorageCounters();

    // While true every write fails with ENOSPC.
    public bool DeviceFull { get; set; }

    // After a torn write that crashed the device: every operation fails with EIO until Recover.
    public bool Crashed { get; private set; }

    public long Mount(Kernel kernel, out IVnode? root)
    {
        long result = inner.Mount(kernel, out IVnode? innerRoot);
        root = result < 0 ? null : Wrap(innerRoot);
        return result;
    }

    // The next write fails with EIO and writes nothing.
    public void FailNextWrite()
    {
        failNextWrite = true;
    }

    // The next write writes only prefixLength bytes (at most its length) and fails with EIO.
    public void TearNextWrite(int prefixLength)
    {
        tearNextWrite = Math.Max(0, prefixLength);
    }

    // The next fsync reports success but makes nothing durable.
    public void LoseNextSync()
    {
        loseNextSync = true;
    }

    // fsync(2) as a program makes it: the syscall reaches the file's vnode, so what the file
    // holds becomes what survives a crash, unless the sync is lost.
    public long Fsync(Kernel kernel, int fd) => Sys.Fsync(kernel, fd);

    // Power loss and restart: every file goes back to its content at its last real fsync, and
    // a crashed device works again.
    public void Crash()
    {
        Counters.Crashes++;
        Record("crash", files.Count, 0);
        foreach (KeyValuePair<long, FaultyVnode> entry in files)
        {
            entry.Value.Revert();
        }
        Crashed = false;
    }

    // The device came back after a crash that a torn write caused.
    public void Recover()
    {
        Crash();
    }

    internal IVnode? Wrap(IVnode? vnode)
    {
        if (vnode == null)
        {
            return null;
        }
        if (vnode is FaultyVnode already)
        {
            return already;
        }
        if (files.TryGetValue(vnode.Inode, out FaultyVnode? known) && known.Type == vnode.Type)
        {
            return known;
        }
        FaultyVnode wrapped = new FaultyVnode(this, vnode);
        files[vnode.Inode] = wrapped;
        return wrapped;
    }

    // Decides the fate of one write: 0 to go ahead, -errno to fail it, or 1 to tear it with the
    // prefix length in prefix.
    internal long JudgeWrite(int length, out int prefix)
    {
        prefix = 0;
        Counters.Writes++;
        if (Crashed)
        {
            return -Errno.EIO;
        }
        if (DeviceFull || random.Chance(Faults.Full))
        {
            Counters.FullWrites++;
            Record("enospc", length, 0);
            return -Errno.ENOSPC;
        }
        if (failNextWrite || random.Chance(Faults.WriteError))
        {
            failNextWrite = false;
            Counters.FailedWrites++;
            Record("eio", length, 0);
            return -Errno.EIO;
        }
        if (tearNextWrite >= 0 || random.Chance(Faults.TornWrite))
        {
            prefix = tearNextWrite >= 0 ? Math.Min(tearNextWrite, length) : random.Next(Math.Max(1, length));
            tearNextWrite = -1;
            Counters.TornWrites++;
            Record("torn", length, prefix);
            return 1;
        }
        return 0;
    }

    // After a torn write was applied: the device may crash.
    internal void AfterTear()
    {
        if (Faults.CrashOnTornWrite)
        {
            Crashed = true;
            Record("device-crashed", 0, 0);
        }
    }

    internal bool JudgeSync()
    {
        Counters.Syncs++;
        if (loseNextSync || random.Chance(Faults.LostSync))
        {
            loseNextSync = false;
            Counters.LostSyncs++;
            Record("lost-fsync", 0, 0);
            return false;
        }
        return true;
    }

    internal static IVnode Unwrap(IVnode vnode)
    {
        return vnode is FaultyVnode faulty ? faulty.Inner : vnode;
    }

    private void Record(string kind, long first, long second)
    {
        if (world != null)
        {
            world.Trace.Record(world.Now, "storage", kind, first, second);
        }
    }
}

// One vnode of a FaultyFileSystem: passes every call through, with the write path judged by
// the file system and the durable content of a regular file kept for crashes.
internal sealed class FaultyVnode : IVnode
{
    private readonly FaultyFileSystem owner;
    private byte[] durable = Array.Empty<byte>();
    private bool dirty;

    public FaultyVnode(FaultyFileSystem owner, IVnode inner)
    {
        this.owner = owner;
        Inner = inner;
        // A file that already has content when first seen (mounted, looked up) has it durably.
        if (inner.Type == Stat.S_IFREG)
        {
            durable = ReadAll();
        }
    }

    public IVnode Inner { get; }

    public int Type => Inner.Type;

    public long Inode => Inner.Inode;

    public long GetAttributes(out Stat attributes)
    {
        if (owner.Crashed)
        {
            attributes = default;
            return -Errno.EIO;
        }
        return Inner.GetAttributes(out attributes);
    }

    public long Read(long offset, Span<byte> buffer)
    {
        return owner.Crashed ? -Errno.EIO : Inner.Read(offset, buffer);
    }

    public long Write(long offset, ReadOnlySpan<byte> buffer)
    {
        long verdict = owner.JudgeWrite(buffer.Length, out int prefix);
        if (verdict < 0)
        {
            return verdict;
        }
        dirty = true;
        if (verdict == 1)
        {
            if (prefix > 0)
            {
                Inner.Write(offset, buffer.Slice(0, prefix));
            }
            owner.AfterTear();
            return -Errno.EIO;
        }
        return Inner.Write(offset, buffer);
    }

    public long SetSize(long size)
    {
        if (owner.Crashed)
        {
            return -Errno.EIO;
        }
        dirty = true;
        return Inner.SetSize(size);
    }

    public long SetTimes(Timespec accessTime, Timespec modifyTime)
    {
        return owner.Crashed ? -Errno.EIO : Inner.SetTimes(accessTime, modifyTime);
    }

    public long ReadLink(out string target)
    {
        if (owner.Crashed)
        {
            target = "";
            return -Errno.EIO;
        }
        return Inner.ReadLink(out target);
    }

    public long Lookup(string name, out IVnode? child)
    {
        child = null;
        if (owner.Crashed)
        {
            return -Errno.EIO;
        }
        long result = Inner.Lookup(name, out IVnode? found);
        child = owner.Wrap(found);
        return result;
    }

    public long Create(string name, int mode, out IVnode? file)
    {
        file = null;
        if (owner.Crashed)
        {
            return -Errno.EIO;
        }
        long result = Inner.Create(name, mode, out IVnode? created);
        file = owner.Wrap(created);
        return result;
    }

    public long MakeDirectory(string name, int mode, out IVnode? directory)
    {
        directory = null;
        if (owner.Crashed)
        {
            return -Errno.EIO;
        }
        long result = Inner.MakeDirectory(name, mode, out IVnode? created);
        directory = owner.Wrap(created);
        return result;
    }

    public long MakeSymbolicLink(string name, string target, out IVnode? link)
    {
        link = null;
        if (owner.Crashed)
        {
            return -Errno.EIO;
        }
        long result = Inner.MakeSymbolicLink(name, target, out IVnode? created);
        link = owner.Wrap(created);
        return result;
    }

    public long Link(string name, IVnode target)
    {
        return owner.Crashed ? -Errno.EIO : Inner.Link(name, FaultyFileSystem.Unwrap(target));
    }

    public long Unlink(string name)
    {
        return owner.Crashed ? -Errno.EIO : Inner.Unlink(name);
    }

    public long RemoveDirectory(string name)
    {
        return owner.Crashed ? -Errno.EIO : Inner.RemoveDirectory(name);
    }

    public long Rename(string oldName, IVnode newParent, string newName)
    {
        return owner.Crashed ? -Errno.EIO : Inner.Rename(oldName, FaultyFileSystem.Unwrap(newParent), newName);
    }

    public long ReadDirectory(long cookie, out DirectoryEntry entry)
    {
        if (owner.Crashed)
        {
            entry = default;
            return -Errno.EIO;
        }
        return Inner.ReadDirectory(cookie, out entry);
    }

    // fsync: what the file holds now is what survives a crash, unless the sync is lost.
    public long Sync()
    {
        if (owner.Crashed)
        {
            return -Errno.EIO;
        }
        if (!owner.JudgeSync())
        {
            return 0;
        }
        if (Type == Stat.S_IFREG)
        {
            durable = ReadAll();
        }
        dirty = false;
        return 0;
    }

    // Crash: the file goes back to its durable content.
    internal void Revert()
    {
        if (!dirty || Type != Stat.S_IFREG)
        {
            return;
        }
        Inner.SetSize(0);
        if (durable.Length > 0)
        {
            Inner.Write(0, durable);
        }
        dirty = false;
    }

    private byte[] ReadAll()
    {
        if (Inner.GetAttributes(out Stat attributes) < 0 || attributes.Size <= 0)
        {
            return Array.Empty<byte>();
        }
        byte[] content = new byte[attributes.Size];
        long done = 0;
        while (done < content.Length)
        {
            long count = Inner.Read(done, content.AsSpan((int)done));
            if (count <= 0)
            {
                break;
            }
            done += count;
        }
        return content;
    }
}
