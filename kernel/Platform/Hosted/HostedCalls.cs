namespace Unikraft.Kernel;

using System;
using System.Runtime.InteropServices;
using System.Text;

// The host calls behind the hosted devices, made straight to libc. They must not go through
// the BCL (Console streams, RandomNumberGenerator): in a NativeAOT image the BCL's native layer
// is the kernel itself, and a device that wrote through it would write into its own kernel.
internal static class HostedCalls
{
    // NOTE: EINTR from asm-generic/errno-base.h: a signal interrupted the call; try it again.
    private const int Interrupted = 4;

    // Writes all of bytes to a host fd; the count, or -errno.
    public static long WriteAll(int fd, ReadOnlySpan<byte> bytes)
    {
        int done = 0;
        while (done < bytes.Length)
        {
            nint written = write(fd, ref MemoryMarshal.GetReference(bytes.Slice(done)), (nuint)(bytes.Length - done));
            if (written < 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                if (errno == Interrupted)
                {
                    continue;
                }
                return errno > 0 ? -errno : -Errno.EIO;
            }
            done += (int)written;
        }
        return done;
    }

    // One read from a host fd: the count (0 at the end), or -errno.
    public static long Read(int fd, Span<byte> buffer)
    {
        while (true)
        {
            nint read = HostedCalls.read(fd, ref MemoryMarshal.GetReference(buffer), (nuint)buffer.Length);
            if (read >= 0)
            {
                return read;
            }
            int errno = Marshal.GetLastPInvokeError();
            if (errno != Interrupted)
            {
                return errno > 0 ? -errno : -Errno.EIO;
            }
        }
    }

    // Fills buffer from the host's getrandom(2); the count, or -errno.
    public static long GetRandom(Span<byte> buffer)
    {
        int done = 0;
        while (done < buffer.Length)
        {
            nint filled = getrandom(ref MemoryMarshal.GetReference(buffer.Slice(done)), (nuint)(buffer.Length - done), 0);
            if (filled < 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                if (errno == Interrupted)
                {
                    continue;
                }
                return errno > 0 ? -errno : -Errno.EIO;
            }
            done += (int)filled;
        }
        return done;
    }

    // The target of a host symbolic link (readlink(2)), or null when it cannot be read or does
    // not fit PATH_MAX.
    public static string? ReadLink(string path)
    {
        // NOTE: PATH_MAX is 4096 on Linux (linux/limits.h); readlink(2) does not terminate the
        // target, so a result that fills the buffer may have been cut.
        byte[] target = new byte[4096];
        byte[] name = Encoding.UTF8.GetBytes(path + "\0");
        nint length = readlink(ref name[0], ref target[0], (nuint)target.Length);
        if (length <= 0 || length >= target.Length)
        {
            return null;
        }
        return Encoding.UTF8.GetString(target, 0, (int)length);
    }

    // ioctl(2) on a host fd with a buffer argument (TCGETS, TCSETS, TIOCGWINSZ): 0, or -errno.
    public static long Ioctl(int fd, uint request, Span<byte> argument)
    {
        while (true)
        {
            int result = ioctl(fd, request, ref MemoryMarshal.GetReference(argument));
            if (result >= 0)
            {
                return result;
            }
            int errno = Marshal.GetLastPInvokeError();
            if (errno != Interrupted)
            {
                return errno > 0 ? -errno : -Errno.EIO;
            }
        }
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int ioctl(int fd, nuint request, ref byte argument);

    [DllImport("libc", SetLastError = true)]
    private static extern nint write(int fd, ref byte buffer, nuint count);

    [DllImport("libc", SetLastError = true)]
    private static extern nint read(int fd, ref byte buffer, nuint count);

    [DllImport("libc", SetLastError = true)]
    private static extern nint readlink(ref byte path, ref byte buffer, nuint size);

    [DllImport("libc", SetLastError = true)]
    private static extern nint getrandom(ref byte buffer, nuint length, uint flags);
}
