namespace Unikraft.Kernel;

using System.IO;

// The one exception type of the kernel, thrown only at the app-facing edge: inside the kernel
// errors travel as -errno values. It derives from IOException because the BCL calls the API
// stands in for (Console, File, ...) report host failures that way, so existing catch blocks
// keep working.
internal sealed class KernelException : IOException
{
    public KernelException(string message)
        : base(message)
    {
    }

    public KernelException(string message, int errno)
        : base(message)
    {
        Errno = errno;
    }

    // The positive errno value, or 0 when the failure did not come from a syscall.
    public int Errno { get; }

    // Builds the exception for a failed syscall: call names the syscall and its main argument,
    // as in "write(1)", and result is the negative value the syscall returned.
    public static KernelException Failed(string call, long result)
    {
        int errno = (int)-result;
        return new KernelException(call + " failed: " + Unikraft.Kernel.Errno.Name(errno), errno);
    }
}
