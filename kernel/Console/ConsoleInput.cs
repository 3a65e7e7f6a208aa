namespace Unikraft.Kernel;

using System;

// Standard input of one kernel: reads wait for the console device's input on a WaitQueue, so a
// read with nothing typed yet lets the kernel's other work and timers run (it never blocks the
// vCPU in a host read), and poll and epoll hear when a line arrives. fd 0 and /dev/console read
// through here.
internal sealed class ConsoleInput
{
    private readonly Kernel kernel;
    private readonly IConsoleDevice device;
    private WaitQueue? arrivals;

    public ConsoleInput(Kernel kernel, IConsoleDevice device)
    {
        this.kernel = kernel;
        this.device = device;
    }

    // The description that reports readiness for standard input (fd 0's).
    public IFileDescription? Description { get; set; }

    public Readiness Readiness { get; } = new Readiness();

    // A line (or what arrived of one), 0 at the end of input, or -EAGAIN when nothing is there
    // and nonBlocking says not to wait for it.
    public long Read(Span<byte> buffer, bool nonBlocking)
    {
        WaitQueue queue = Listen();
        while (true)
        {
            long read = device.ReadLine(buffer);
            if (read != -Errno.EAGAIN || nonBlocking)
            {
                return read;
            }
            queue.Wait(long.MaxValue);
        }
    }

    // POLLIN when a read would not wait: input is buffered or has ended, as a pipe or a
    // terminal at end of file reports on Linux.
    public int Poll()
    {
        Listen();
        return device.PollInput() ? PollEvents.POLLIN | PollEvents.POLLRDNORM : 0;
    }

    // Whether a read would not wait, after giving input that is on its way until the monotonic
    // deadline to arrive: a key typed a moment ago may sit in the device (the hosted reader thread
    // has it, its interrupt has not run yet), and a program that polls KeyAvailable in a loop of
    // its own gives the kernel no other moment to take it. With no clock it does not wait.
    public bool WaitReady(long monotonicDeadline)
    {
        WaitQueue queue = Listen();
        if (device.PollInput())
        {
            return true;
        }
        if (kernel.Clock == null)
        {
            return false;
        }
        queue.Wait(monotonicDeadline);
        return device.PollInput();
    }

    // The device is told where to report input on first use only, so a program that never
    // reads standard input starts no reader and no scheduler.
    private WaitQueue Listen()
    {
        WaitQueue? queue = arrivals;
        if (queue == null)
        {
            queue = new WaitQueue(kernel.Scheduler);
            arrivals = queue;
            device.ListenForInput(kernel.Scheduler, Arrived);
        }
        return queue;
    }

    // The device's interrupt, on the vCPU.
    private void Arrived()
    {
        arrivals?.WakeAll();
        IFileDescription? description = Description;
        if (description != null)
        {
            Readiness.Changed(description, PollEvents.POLLIN | PollEvents.POLLRDNORM);
        }
    }
}
