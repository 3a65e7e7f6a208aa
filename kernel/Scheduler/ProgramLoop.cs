namespace Unikraft.Kernel;

using System.Collections.Concurrent;
using System.Threading;
using System.Threading.Tasks;

// The program's own loop on a served kernel (hosted): the continuations of an async Main, posted
// through the kernel's synchronization context from any thread, run here on Main's thread, the
// same thread before and after each await. It holds no vCPU: the program's code calls the kernel
// like any other thread's, so a continuation that blocks (.Result, Wait, a lock) holds up neither
// the kernel's poll loop nor another thread's call.
internal sealed class ProgramLoop
{
    private readonly ConcurrentQueue<WorkItem> continuations = new ConcurrentQueue<WorkItem>();
    private readonly AutoResetEvent posted = new AutoResetEvent(false);

    // Any thread.
    public void Post(SendOrPostCallback callback, object? state)
    {
        continuations.Enqueue(new WorkItem(callback, state));
        posted.Set();
    }

    // Runs posted continuations in the order they came until task completes.
    public void RunUntilCompleted(Task task)
    {
        if (!task.IsCompleted)
        {
            task.ConfigureAwait(false).GetAwaiter().UnsafeOnCompleted(() => posted.Set());
        }
        while (!task.IsCompleted)
        {
            if (continuations.TryDequeue(out WorkItem item))
            {
                item.Invoke();
                continue;
            }
            posted.WaitOne();
        }
    }
}
