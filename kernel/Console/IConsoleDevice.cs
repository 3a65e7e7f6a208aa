namespace Unikraft.Kernel;

using System;

// A console: bytes out to standard output or standard error, bytes in one line at a time.
// Results are byte counts or -errno.
//
// Input may arrive later than it is asked for (the host's stdin is read on a host thread, a
// simulated world delivers it as an event): the device then answers -EAGAIN and reports the
// arrival through the listener, its interrupt, so the kernel waits on a WaitQueue instead of
// blocking the vCPU in a host read.
internal interface IConsoleDevice
{
    long WriteOutput(ReadOnlySpan<byte> bytes);

    long WriteError(ReadOnlySpan<byte> bytes);

    // Reads at most one line, including its '\n', into buffer (less when the buffer is
    // smaller, or when the input so far ends in part of a line: the rest comes with the next
    // call). 0 means end of input; -EAGAIN that nothing has arrived yet, and the device has
    // started to fetch more (the listener hears when it is there).
    long ReadLine(Span<byte> buffer);

    // Whether ReadLine would answer at once (input buffered, or its end reached); when not,
    // the device starts to fetch more, as ReadLine does.
    bool PollInput();

    // Where the device reports that input arrived or ended: arrived runs on the vCPU (a device
    // that reads on a host thread posts it through scheduler.Post, any thread's way in).
    void ListenForInput(Scheduler scheduler, Action arrived);

    void Flush();

    // The terminal the console is, or null for a plain byte stream (then fds 0-2 are not ttys).
    IConsoleTerminal? Terminal { get; }
}
