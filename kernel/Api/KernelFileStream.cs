namespace Unikraft.Kernel;

using System;
using System.IO;
using System.Threading;
using System.Threading.Tasks;

// A Stream over a kernel fd: what KernelFile.Open returns where the BCL returns a FileStream.
// Reads and writes go straight to read(2) and write(2) (no buffer of its own, so Flush has
// nothing to do); the async methods complete synchronously on the kernel thread. Dispose
// closes the fd.
internal sealed class KernelFileStream : Stream
{
    private readonly bool canRead;
    private readonly bool canWrite;
    private readonly string path;
    private int fd;

    public KernelFileStream(int fd, bool canRead, bool canWrite, string path)
    {
        this.fd = fd;
        this.canRead = canRead;
        this.canWrite = canWrite;
        this.path = path;
    }

    // The path the stream was opened with, as FileStream.Name.
    public string Name => path;

    public override bool CanRead => fd >= 0 && canRead;

    public override bool CanWrite => fd >= 0 && canWrite;

    public override bool CanSeek => fd >= 0;

    public override long Length
    {
        get
        {
            long result = Sys.Fstat(Kernel.Current, OpenFd(), out Stat stat);
            if (result < 0)
            {
                throw KernelFileCalls.Error(result, path, false);
            }
            return stat.Size;
        }
    }

    public override long Position
    {
        get => Seek(0, SeekOrigin.Current);
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            Seek(value, SeekOrigin.Begin);
        }
    }

    public override int Read(byte[] buffer, int offset, int count)
    {
        ValidateBufferArguments(buffer, offset, count);
        return Read(buffer.AsSpan(offset, count));
    }

    public override int Read(Span<byte> buffer)
    {
        int open = OpenFd();
        if (!canRead)
        {
            throw new NotSupportedException("Stream does not support reading.");
        }
        long result = Sys.Read(Kernel.Current, open, buffer);
        if (result < 0)
        {
            throw KernelFileCalls.Error(result, path, false);
        }
        return (int)result;
    }

    [KernelFeature("FileWrite")]
    public override void Write(byte[] buffer, int offset, int count)
    {
        ValidateBufferArguments(buffer, offset, count);
        Write(new ReadOnlySpan<byte>(buffer, offset, count));
    }

    [KernelFeature("FileWrite")]
    public override void Write(ReadOnlySpan<byte> buffer)
    {
        int open = OpenFd();
        if (!canWrite)
        {
            throw new NotSupportedException("Stream does not support writing.");
        }
        KernelFileCalls.WriteAll(open, buffer, path);
    }

    public override long Seek(long offset, SeekOrigin origin)
    {
        int whence = origin == SeekOrigin.Begin ? OpenFlags.SEEK_SET : origin == SeekOrigin.Current ? OpenFlags.SEEK_CUR : OpenFlags.SEEK_END;
        long result = Sys.Lseek(Kernel.Current, OpenFd(), offset, whence);
        if (result == -Errno.EINVAL)
        {
            throw new IOException("An attempt was made to move the position before the beginning of the stream.");
        }
        if (result < 0)
        {
            throw KernelFileCalls.Error(result, path, false);
        }
        return result;
    }

    [KernelFeature("FileWrite")]
    public override void SetLength(long value)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(value);
        int open = OpenFd();
        if (!canWrite)
        {
            throw new NotSupportedException("Stream does not support writing.");
        }
        long result = Sys.Ftruncate(Kernel.Current, open, value);
        if (result < 0)
        {
            throw KernelFileCalls.Error(result, path, false);
        }
    }

    public override void Flush()
    {
        OpenFd();
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        ValidateBufferArguments(buffer, offset, count);
        return ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<int>(cancellationToken);
        }
        try
        {
            return new ValueTask<int>(Read(buffer.Span));
        }
        catch (Exception exception)
        {
            return ValueTask.FromException<int>(exception);
        }
    }

    [KernelFeature("FileWrite")]
    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        ValidateBufferArguments(buffer, offset, count);
        return WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    }

    [KernelFeature("FileWrite")]
    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled(cancellationToken);
        }
        try
        {
            Write(buffer.Span);
            return ValueTask.CompletedTask;
        }
        catch (Exception exception)
        {
            return ValueTask.FromException(exception);
        }
    }

    public override Task FlushAsync(CancellationToken cancellationToken)
    {
        return cancellationToken.IsCancellationRequested ? Task.FromCanceled(cancellationToken) : Task.CompletedTask;
    }

    protected override void Dispose(bool disposing)
    {
        if (fd >= 0)
        {
            int open = fd;
            fd = -1;
            Sys.Close(Kernel.Current, open);
        }
        base.Dispose(disposing);
    }

    private int OpenFd()
    {
        ObjectDisposedException.ThrowIf(fd < 0, this);
        return fd;
    }
}
