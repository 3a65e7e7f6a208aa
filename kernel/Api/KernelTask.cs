namespace Unikraft.Kernel;

using System;
using System.Threading;
using System.Threading.Tasks;

// Task.Delay and Task.Run on the kernel. Delay is a kernel timer (uk_timer_arm). Run spawns the
// work (uk_spawn): on the kernel's run queue, where the seeded scheduler of a simulation orders
// it, or on a kernel served to the whole process (hosted) on a thread of the program.
internal static partial class KernelTask
{
    private const long NanosecondsPerMillisecond = 1_000_000;
    private const long NanosecondsPerTick = 100;

    // NOTE: Task.Delay accepts at most 0xFFFFFFFE milliseconds (Timer.MaxSupportedTimeout).
    private const long MaximumDelayMilliseconds = 0xFFFFFFFE;

    public static Task Delay(int millisecondsDelay)
    {
        return Delay(millisecondsDelay, CancellationToken.None);
    }

    public static Task Delay(TimeSpan delay)
    {
        return Delay(delay, CancellationToken.None);
    }

    public static Task Delay(int millisecondsDelay, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(millisecondsDelay, Timeout.Infinite);
        return DelayNanoseconds(millisecondsDelay == Timeout.Infinite ? -1 : millisecondsDelay * NanosecondsPerMillisecond,
            cancellationToken);
    }

    public static Task Delay(TimeSpan delay, CancellationToken cancellationToken)
    {
        long milliseconds = (long)delay.TotalMilliseconds;
        if (milliseconds < Timeout.Infinite || milliseconds > MaximumDelayMilliseconds)
        {
            throw new ArgumentOutOfRangeException(nameof(delay), delay,
                "The value needs to translate in milliseconds to -1 (signifying an infinite timeout), 0, or a positive integer less than or equal to the maximum allowed timer duration.");
        }
        return DelayNanoseconds(milliseconds == Timeout.Infinite ? -1 : delay.Ticks * NanosecondsPerTick, cancellationToken);
    }

    public static Task Run(Action action)
    {
        ArgumentNullException.ThrowIfNull(action);
        SpawnedAction work = new SpawnedAction(action);
        Spawn(SpawnedAction.Execute, work);
        return work.Task;
    }

    // As Task.Run does, a function that returns null gives a canceled task (Unwrap's rule); the
    // null-forgiving operator only lets the signature match the BCL's Func<Task?>.
    public static Task Run(Func<Task?> function)
    {
        ArgumentNullException.ThrowIfNull(function);
        return Run<Task>(function!).Unwrap();
    }

    public static Task<TResult> Run<TResult>(Func<TResult> function)
    {
        ArgumentNullException.ThrowIfNull(function);
        SpawnedFunction<TResult> work = new SpawnedFunction<TResult>(function);
        Spawn(SpawnedFunction<TResult>.Execute, work);
        return work.Task;
    }

    public static Task<TResult> Run<TResult>(Func<Task<TResult>?> function)
    {
        ArgumentNullException.ThrowIfNull(function);
        return Run<Task<TResult>>(function!).Unwrap();
    }

    // A negative nanoseconds value means an infinite delay: it never arms a timer and ends
    // only through its token.
    private static Task DelayNanoseconds(long nanoseconds, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return Task.FromCanceled(cancellationToken);
        }
        if (nanoseconds == 0)
        {
            return Task.CompletedTask;
        }
        DelayPromise promise = new DelayPromise(cancellationToken);
        if (nanoseconds > 0)
        {
            long result = Sys.UkTimerArm(Kernel.Current, nanoseconds, DelayPromise.Fire, promise);
            if (result < 0)
            {
                promise.Dispose();
                throw KernelException.Failed("uk_timer_arm", result);
            }
        }
        return promise.Task;
    }

    private static void Spawn(Action<object?> work, object state)
    {
        long result = Sys.UkSpawn(Kernel.Current, work, state);
        if (result < 0)
        {
            throw KernelException.Failed("uk_spawn", result);
        }
    }

    // The task of one Delay. The timer fires on the kernel thread; a cancellation may come from
    // any thread, and whichever comes first completes the task.
    private sealed class DelayPromise : IDisposable
    {
        public static readonly Action<object?> Fire = static state => ((DelayPromise)state!).Complete();

        private readonly TaskCompletionSource source = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly CancellationToken cancellationToken;
        private CancellationTokenRegistration registration;

        public DelayPromise(CancellationToken cancellationToken)
        {
            this.cancellationToken = cancellationToken;
            if (cancellationToken.CanBeCanceled)
            {
                registration = cancellationToken.Register(static state => ((DelayPromise)state!).Cancel(), this);
            }
        }

        public Task Task => source.Task;

        public void Dispose()
        {
            registration.Dispose();
        }

        private void Complete()
        {
            if (source.TrySetResult())
            {
                registration.Dispose();
            }
        }

        private void Cancel()
        {
            source.TrySetCanceled(cancellationToken);
        }
    }

    // Work of Run(Action): its exception, if any, flows into the task as Task.Run does.
    private sealed class SpawnedAction
    {
        public static readonly Action<object?> Execute = static state => ((SpawnedAction)state!).Invoke();

        private readonly TaskCompletionSource source = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly Action action;

        public SpawnedAction(Action action)
        {
            this.action = action;
        }

        public Task Task => source.Task;

        private void Invoke()
        {
            try
            {
                action();
                source.TrySetResult();
            }
            catch (Exception exception)
            {
                source.TrySetException(exception);
            }
        }
    }

    private sealed class SpawnedFunction<TResult>
    {
        public static readonly Action<object?> Execute = static state => ((SpawnedFunction<TResult>)state!).Invoke();

        private readonly TaskCompletionSource<TResult> source = new TaskCompletionSource<TResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly Func<TResult> function;

        public SpawnedFunction(Func<TResult> function)
        {
            this.function = function;
        }

        public Task<TResult> Task => source.Task;

        private void Invoke()
        {
            try
            {
                source.TrySetResult(function());
            }
            catch (Exception exception)
            {
                source.TrySetException(exception);
            }
        }
    }
}
