namespace Unikraft.Kernel;

using System;

// One end of a pipe, the open file description pipe2 installs: the read end is O_RDONLY, the
// write end O_WRONLY, as Linux opens them, and O_NONBLOCK belongs to each end on its own.
internal sealed class PipeEnd : IFileDescription
{
    // NOTE: F_SETFL may change O_APPEND | O_NONBLOCK | O_DIRECT | O_NOATIME (fs/fcntl.c).
    private const int ChangeableFlags = OpenFlags.O_APPEND | OpenFlags.O_NONBLOCK | OpenFlags.O_DIRECT | OpenFlags.O_NOATIME;

    private readonly Pipe pipe;
    private readonly bool readEnd;
    private int flags;

    public PipeEnd(Pipe pipe, bool readEnd)
    {
        this.pipe = pipe;
        this.readEnd = readEnd;
        flags = readEnd ? OpenFlags.O_RDONLY : OpenFlags.O_WRONLY;
    }

    public Pipe Pipe => pipe;

    public bool IsReadEnd => readEnd;

    public int StatusFlags => flags;

    public Readiness Readiness { get; } = new Readiness();

    public void SetStatusFlags(int newFlags)
    {
        flags = (flags & ~ChangeableFlags) | (newFlags & ChangeableFlags);
    }

    public long Read(Span<byte> buffer)
    {
        if (!readEnd)
        {
            return -Errno.EBADF;
        }
        return pipe.Read(buffer, (flags & OpenFlags.O_NONBLOCK) != 0);
    }

    public long Write(ReadOnlySpan<byte> buffer)
    {
        if (readEnd)
        {
            return -Errno.EBADF;
        }
        return pipe.Write(buffer, (flags & OpenFlags.O_NONBLOCK) != 0);
    }

    // NOTE: pipefs gives both ends one inode, S_IFIFO with mode 0600 (fs/pipe.c), and a block
    // size of one page.
    public long GetAttributes(out Stat attributes)
    {
        attributes = default;
        attributes.Mode = Stat.S_IFIFO | 0x180;
        attributes.LinkCount = 1;
        attributes.Inode = pipe.Inode;
        attributes.BlockSize = Pipe.AtomicLength;
        return 0;
    }

    public int Poll()
    {
        return pipe.Poll(readEnd);
    }

    public void Release()
    {
        pipe.Close(readEnd);
        Readiness.Released(this);
    }
}
