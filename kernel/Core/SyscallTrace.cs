namespace Unikraft.Kernel;

using System.Globalization;

// Records syscall results when the platform asks for tracing. Off, it costs one branch per
// syscall and allocates nothing.
internal sealed class SyscallTrace
{
    private readonly KernelLog log;

    public SyscallTrace(KernelLog log, bool enabled)
    {
        this.log = log;
        Enabled = enabled;
    }

    public bool Enabled { get; }

    // How many syscalls were recorded, so tests and the manifest tooling can check the trace.
    public long RecordedCount { get; private set; }

    public void Record(int number, long value)
    {
        RecordedCount++;
        log.Write("[uk] syscall " + SyscallNumber.Name(number) + " = " + FormatResult(value));
    }

    // Errors print as their errno name (= -ENOSYS) so a trace reads like strace output.
    public static string FormatResult(long value)
    {
        if (value < 0 && value >= int.MinValue)
        {
            return "-" + Errno.Name((int)-value);
        }
        return value.ToString(CultureInfo.InvariantCulture);
    }
}
