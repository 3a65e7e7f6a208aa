namespace Unikraft.Kernel;

using System.Collections.Generic;
using System.Threading;

// The threads the program started itself (uk_thread_record), which the end of Main waits for
// while they run in the foreground, as the runtime does before it ends a process whose Main
// returned (a server whose Main starts its listening thread and returns keeps serving). A thread
// a library starts is not recorded here. Any thread may record one while Main's thread looks, so
// the list has a lock of its own.
internal sealed class ProgramThreads
{
    private readonly Kernel kernel;
    private readonly List<Thread> threads = new List<Thread>();

    public ProgramThreads(Kernel kernel)
    {
        this.kernel = kernel;
    }

    public void Add(Thread thread)
    {
        lock (threads)
        {
            threads.Add(thread);
        }
    }

    // Waits until none of the recorded threads runs in the foreground: one may start another, or
    // turn a background thread into a foreground one, while it runs, so each wait looks again.
    // Main's thread lets the vCPU go while it waits, so the threads' own kernel calls go on.
    public void WaitForForeground()
    {
        while (true)
        {
            Thread? foreground = FirstForeground();
            if (foreground == null)
            {
                return;
            }
            Vcpu vcpu = kernel.Scheduler.Vcpu;
            int held = vcpu.Release();
            try
            {
                foreground.Join();
            }
            finally
            {
                vcpu.Reacquire(held);
            }
        }
    }

    private Thread? FirstForeground()
    {
        lock (threads)
        {
            for (int index = threads.Count - 1; index >= 0; index--)
            {
                Thread thread = threads[index];
                if (!thread.IsAlive)
                {
                    threads.RemoveAt(index);
                    continue;
                }
                try
                {
                    if (!thread.IsBackground)
                    {
                        return thread;
                    }
                }
                catch (ThreadStateException)
                {
                    // It ended between the two questions.
                    threads.RemoveAt(index);
                }
            }
            return null;
        }
    }
}
