namespace Unikraft.Kernel;

using System;
using System.Threading;

// One unit of ready work: a kernel callback (timers, spawned work) or a continuation posted
// through the synchronization context. Kept as a struct with both delegate kinds so that
// neither needs a wrapper allocation.
internal readonly struct WorkItem
{
    private readonly Action<object?>? action;
    private readonly SendOrPostCallback? post;
    private readonly object? state;

    public WorkItem(Action<object?> action, object? state)
    {
        this.action = action;
        post = null;
        this.state = state;
    }

    public WorkItem(SendOrPostCallback post, object? state)
    {
        action = null;
        this.post = post;
        this.state = state;
    }

    // The argument the callback gets (a deadline timer's waiter, for one).
    public object? State => state;

    // Whether this item runs callback (the scheduler's own resume items, for one).
    public bool Calls(Action<object?> callback)
    {
        return ReferenceEquals(action, callback);
    }

    public void Invoke()
    {
        if (action != null)
        {
            action(state);
        }
        else if (post != null)
        {
            post(state);
        }
    }
}
