namespace Unikraft.Kernel;

using System.Threading;

// The synchronization context of a kernel: every continuation that captured it is queued on
// the kernel's scheduler, so the program's code after an await runs on the kernel thread.
internal sealed class SchedulerContext : SynchronizationContext
{
    private readonly Scheduler scheduler;

    public SchedulerContext(Scheduler scheduler)
    {
        this.scheduler = scheduler;
    }

    public override void Post(SendOrPostCallback d, object? state)
    {
        scheduler.PostContinuation(d, state);
    }

    // On the kernel thread Send runs inline; from another thread it queues the callback like
    // Post and blocks that thread (never the kernel thread) until the kernel ran it.
    public override void Send(SendOrPostCallback d, object? state)
    {
        if (scheduler.IsOwnerThread)
        {
            d(state);
            return;
        }
        using ManualResetEventSlim done = new ManualResetEventSlim(false);
        SendRequest request = new SendRequest(d, state, done);
        scheduler.PostContinuation(SendRequest.Run, request);
        done.Wait();
    }

    public override SynchronizationContext CreateCopy()
    {
        return this;
    }

    private sealed class SendRequest
    {
        public static readonly SendOrPostCallback Run = static state => ((SendRequest)state!).Execute();

        private readonly SendOrPostCallback callback;
        private readonly object? state;
        private readonly ManualResetEventSlim done;

        public SendRequest(SendOrPostCallback callback, object? state, ManualResetEventSlim done)
        {
            this.callback = callback;
            this.state = state;
            this.done = done;
        }

        private void Execute()
        {
            try
            {
                callback(state);
            }
            finally
            {
                done.Set();
            }
        }
    }
}
