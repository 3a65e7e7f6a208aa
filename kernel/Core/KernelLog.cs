namespace Unikraft.Kernel;

// The kernel's own messages (banner, trace, not-planned syscalls). They go to the platform's
// log sink, never to the program's stdout, so they cannot corrupt the program's output.
internal sealed class KernelLog
{
    private readonly IPlatform platform;

    public KernelLog(IPlatform platform)
    {
        this.platform = platform;
    }

    public void Write(string line)
    {
        platform.WriteLog(line);
    }
}
