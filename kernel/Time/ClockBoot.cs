namespace Unikraft.Kernel;

// Attaches the platform's clock early: timers and nanosleep need it, and later boot steps may
// read the time.
internal static class ClockBoot
{
    [BootStep(Order = 20)]
    internal static void AttachClock(Kernel kernel)
    {
        kernel.Clock = kernel.Platform.OpenClock();
    }
}
