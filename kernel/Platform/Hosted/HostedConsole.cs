namespace Unikraft.Kernel;

using System;
using System.Threading;

// The host's stdin, stdout and stderr as raw byte streams, written and read through libc (see
// HostedCalls). Nothing is buffered on the way out, so nothing is lost when the process ends
// through exit_group.
//
// Input is read on a host thread, the device's own: a read of standard input may wait for a
// person to type, and that wait must not hold the vCPU. The kernel asks for a chunk when its
// buffer is empty; the reader thread makes one host read(2) and posts what it got to the
// kernel's scheduler (the device's interrupt), where it is handed out one line at a time. One
// chunk at most is in flight, so the program's stdin is read no further ahead than before.
[Device("console")]
internal sealed class HostedConsole : IConsoleDevice
{
    // NOTE: 4096, one page: what a pipe hands out in one read and what a terminal's line fits in.
    private const int ChunkLength = 4096;

    // How long a new reader thread may take to start running before the console reads on the
    // calling thread instead (see Fetch).
    private const int ReaderStartMilliseconds = 1000;

    // What the reader thread posts for a timed raw read that returned nothing (never a count or
    // an -errno).
    private const long TimedOut = long.MinValue;

    private readonly int inputFd;
    private readonly byte[] inputBuffer = new byte[ChunkLength];
    private readonly byte[] chunk = new byte[ChunkLength];
    private readonly AutoResetEvent requested = new AutoResetEvent(false);
    private readonly ManualResetEventSlim readerStarted = new ManualResetEventSlim(false);
    private volatile bool readerAbandoned;
    private int inputStart;
    private int inputEnd;
    private bool inputEnded;
    private long inputError;
    private bool fetching;
    private Thread? reader;
    private Scheduler? scheduler;
    private Action? arrived;
    private HostedTerminal? terminal;
    private bool terminalProbed;
    private bool timedOut;

    public HostedConsole()
        : this(0)
    {
    }

    // inputFd: the host fd read as standard input (0; a test hands it a host pipe).
    public HostedConsole(int inputFd)
    {
        this.inputFd = inputFd;
    }

    public long WriteOutput(ReadOnlySpan<byte> bytes)
    {
        return HostedCalls.WriteAll(1, bytes);
    }

    public long WriteError(ReadOnlySpan<byte> bytes)
    {
        return HostedCalls.WriteAll(2, bytes);
    }

    // The host's terminal, when any of its fds 0-2 is one; asked on first use, so a program that
    // never asks makes no ioctl.
    public IConsoleTerminal? Terminal
    {
        get
        {
            if (!terminalProbed)
            {
                terminalProbed = true;
                terminal = HostedTerminal.Open(inputFd);
            }
            return terminal;
        }
    }

    public void ListenForInput(Scheduler scheduler, Action arrived)
    {
        this.scheduler = scheduler;
        this.arrived = arrived;
    }

    public bool PollInput()
    {
        if (inputStart < inputEnd || inputEnded || inputError != 0 || timedOut)
        {
            return true;
        }
        // With no reader thread a read answers at once (it blocks in the host's read), so it
        // counts as ready, as the console did before it had one.
        return !Fetch();
    }

    public long ReadLine(Span<byte> buffer)
    {
        if (inputStart == inputEnd)
        {
            if (timedOut)
            {
                // A raw read with VMIN 0 that found nothing within VTIME: 0 once, not the end.
                timedOut = false;
                return 0;
            }
            if (inputError != 0)
            {
                long error = inputError;
                inputError = 0;
                return error;
            }
            if (inputEnded)
            {
                return 0;
            }
            if (!Fetch())
            {
                // Nobody listens for the interrupt, or no reader thread can run: read on the
                // calling thread, as a device used on its own.
                long read = HostedCalls.Read(inputFd, inputBuffer);
                if (read <= 0)
                {
                    return read;
                }
                inputStart = 0;
                inputEnd = (int)read;
            }
            else
            {
                return -Errno.EAGAIN;
            }
        }
        ReadOnlySpan<byte> pending = inputBuffer.AsSpan(inputStart, inputEnd - inputStart);
        int lineEnd = pending.IndexOf((byte)'\n');
        int length = lineEnd < 0 ? pending.Length : lineEnd + 1;
        if (length > buffer.Length)
        {
            length = buffer.Length;
        }
        pending.Slice(0, length).CopyTo(buffer);
        inputStart += length;
        return length;
    }

    // Every write reaches the host before it returns: nothing waits to be flushed.
    public void Flush()
    {
    }

    // On the vCPU: asks the reader thread for the next chunk, once. Returns false when there is
    // no reader to ask: nobody listens for the interrupt, or the reader thread could not start.
    private bool Fetch()
    {
        if (scheduler == null || readerAbandoned)
        {
            return false;
        }
        if (fetching)
        {
            return true;
        }
        if (reader == null)
        {
            // A background thread: a program that ends while it waits for input must not
            // wait for it.
            reader = new Thread(ReadChunks) { IsBackground = true, Name = "uk console input" };
            reader.Start();
            // NOTE: while a module initializer runs, the runtime holds back every other thread
            // that would run this assembly's code, and a program run without the startup hook
            // (the JIT with no runtimeconfig of ours) runs Main inside it: the reader would never
            // start, so the console reads on the calling thread instead, as it did before it had
            // a reader.
            if (!readerStarted.Wait(ReaderStartMilliseconds))
            {
                readerAbandoned = true;
                return false;
            }
        }
        fetching = true;
        requested.Set();
        return true;
    }

    // The reader thread: one host read per request, handed to the kernel through its scheduler.
    private void ReadChunks()
    {
        readerStarted.Set();
        if (readerAbandoned)
        {
            return;
        }
        Scheduler target = scheduler!;
        while (true)
        {
            requested.WaitOne();
            long read = HostedCalls.Read(inputFd, chunk);
            // A timed raw read that found nothing is not the end: the reader stays for the next.
            bool timeout = read == 0 && terminal != null && terminal.ReadMayTimeOut;
            target.Post(Deliver, timeout ? TimedOut : read);
            if (read == 0 && !timeout)
            {
                return;
            }
        }
    }

    // On the vCPU: the chunk the reader thread read (it reads no more until the next request).
    private void Deliver(object? state)
    {
        long read = (long)state!;
        fetching = false;
        if (read == TimedOut)
        {
            timedOut = true;
        }
        else if (read > 0)
        {
            chunk.AsSpan(0, (int)read).CopyTo(inputBuffer);
            inputStart = 0;
            inputEnd = (int)read;
        }
        else if (read == 0)
        {
            inputEnded = true;
        }
        else
        {
            inputError = read;
        }
        arrived?.Invoke();
    }
}
