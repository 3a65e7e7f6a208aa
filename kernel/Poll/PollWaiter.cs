namespace Unikraft.Kernel;

// The waiter of one blocking poll call: registered with every polled description, it wakes the
// call on any change, and the call scans its fds again (poll's answer is recomputed, never
// taken from the wake-up).
internal sealed class PollWaiter : IReadinessWatcher
{
    public PollWaiter(Scheduler scheduler)
    {
        Queue = new WaitQueue(scheduler);
    }

    public WaitQueue Queue { get; }

    public void ReadinessChanged(IFileDescription description, int events)
    {
        Queue.WakeAll();
    }

    public void DescriptionReleased(IFileDescription description)
    {
        Queue.WakeAll();
    }
}
