namespace Unikraft.Kernel;

using System;
using System.Collections.Generic;
using System.IO;
using System.Text;
using System.Threading;

// Virtual time for one kernel of a simulation: every kernel of a world reads the world's one
// clock, which moves only when every kernel is idle.
[Device("clock")]
internal sealed class SimClock : IClockDevice
{
    // NOTE: 2026-01-01T00:00:00Z in nanoseconds since the Unix epoch; a fixed start makes
    // CLOCK_REALTIME replay with the seed too.
    public const long StartRealtime = 1_767_225_600_000_000_000;

    private readonly Simulation world;
    private readonly SimNode node;

    public SimClock(Simulation world, SimNode node)
    {
        this.world = world;
        this.node = node;
    }

    public long RealtimeNanoseconds => StartRealtime + world.Now;

    public long MonotonicNanoseconds => world.Now;

    // A simulated kernel never idles on its own: its callers block as threads of control and
    // the world steps it (Simulation), so nothing may wait on this clock.
    public void WaitUntil(long monotonicDeadline, WaitHandle wake)
    {
        throw new KernelException("kernel " + node.Name + " of a simulation tried to idle on its clock: a simulated kernel is stepped by its world, never by a poll loop of its own");
    }
}

// A console that keeps what a kernel writes, per kernel, and records each write in the trace.
// Input is a fixed text the test sets before the run, text that arrives as world events at
// virtual times the scenario chooses, or a stream read as the program asks for it: a program
// built for sim reads the host's standard input (SimProgram). Input that arrives later reaches
// the kernel as a device interrupt does on hosted: posted to its scheduler, where the waiting
// read (ConsoleInput) wakes, so the kernel's other work runs meanwhile.
[Device("console")]
internal sealed class SimConsole : IConsoleDevice
{
    // NOTE: 4096, the size of a pipe read the hosted console makes too.
    private const int ChunkLength = 4096;

    private readonly Simulation world;
    private readonly SimNode node;
    private readonly StringBuilder output = new StringBuilder();
    private readonly StringBuilder error = new StringBuilder();
    private byte[] input = Array.Empty<byte>();
    private int inputPosition;
    private int inputEnd;
    private bool inputOpen;
    private bool fetching;
    private Stream? inputSource;
    private Scheduler? scheduler;
    private Action? arrived;
    private VirtualTerminal? terminal;

    public SimConsole(Simulation world, SimNode node)
    {
        this.world = world;
        this.node = node;
    }

    public string OutputText => output.ToString();

    // The console's terminal, when the program is to see one (AttachTerminal); null: fds 0-2 are a
    // plain byte stream, as a program's output captured by a test is.
    public IConsoleTerminal? Terminal => terminal;

    // Makes the console a terminal of the given size, as if the program ran in a terminal window:
    // fds 0-2 are ttys, the BCL's raw mode is a flag the reads follow (in raw mode a read hands out
    // every key that has arrived, not a line), and scripted input arrives as typed keys.
    public VirtualTerminal AttachTerminal(ushort columns, ushort rows)
    {
        terminal = new VirtualTerminal(columns, rows);
        return terminal;
    }

    public string ErrorText => error.ToString();

    // The whole input, there from the start; its end follows it.
    public void SetInput(string text)
    {
        input = Encoding.UTF8.GetBytes(text);
        inputPosition = 0;
        inputEnd = input.Length;
        inputOpen = false;
    }

    // Input that arrives as the program reads it. The program's input is part of its run, like
    // its seed: each read of the stream is a world event at the virtual time the program asked
    // (it blocks real time only), and what arrives is recorded in the trace, so the same input
    // under the same seed replays the run.
    public void SetInputSource(Stream source)
    {
        inputSource = source;
        inputOpen = true;
    }

    // Text typed at Now + delay: a world event, as a frame arriving is. Input stays open (a read
    // with nothing buffered waits) until ScheduleEndOfInput.
    public void ScheduleInput(long delay, string text)
    {
        inputOpen = true;
        world.Schedule(delay, static state =>
        {
            ScheduledText scheduled = (ScheduledText)state!;
            scheduled.Console.Append(Encoding.UTF8.GetBytes(scheduled.Text));
            scheduled.Console.Interrupt();
        }, new ScheduledText(this, text));
    }

    public void ScheduleEndOfInput(long delay)
    {
        inputOpen = true;
        world.Schedule(delay, static state =>
        {
            SimConsole console = (SimConsole)state!;
            console.world.Trace.Record(console.world.Now, "stdin-end", console.node.Name, 0, 0);
            console.inputOpen = false;
            console.Interrupt();
        }, this);
    }

    public long WriteOutput(ReadOnlySpan<byte> bytes)
    {
        string text = Encoding.UTF8.GetString(bytes);
        output.Append(text);
        world.Trace.Record(world.Now, "stdout", node.Name, Escape(text));
        return bytes.Length;
    }

    public long WriteError(ReadOnlySpan<byte> bytes)
    {
        string text = Encoding.UTF8.GetString(bytes);
        error.Append(text);
        world.Trace.Record(world.Now, "stderr", node.Name, Escape(text));
        return bytes.Length;
    }

    public void ListenForInput(Scheduler scheduler, Action arrived)
    {
        this.scheduler = scheduler;
        this.arrived = arrived;
    }

    public bool PollInput()
    {
        if (inputPosition < inputEnd || !inputOpen)
        {
            return true;
        }
        Fetch();
        return false;
    }

    public long ReadLine(Span<byte> buffer)
    {
        if (inputPosition == inputEnd)
        {
            if (!inputOpen)
            {
                return 0;
            }
            if (scheduler == null && inputSource != null)
            {
                // Nobody listens for the interrupt: read the stream here, as a device used on
                // its own.
                ReadSource();
            }
            else
            {
                Fetch();
            }
            if (inputPosition == inputEnd)
            {
                return inputOpen ? -Errno.EAGAIN : 0;
            }
        }
        ReadOnlySpan<byte> pending = input.AsSpan(inputPosition, inputEnd - inputPosition);
        int lineEnd = terminal is { Canonical: false } ? -1 : pending.IndexOf((byte)'\n');
        int length = Math.Min(lineEnd < 0 ? pending.Length : lineEnd + 1, buffer.Length);
        pending.Slice(0, length).CopyTo(buffer);
        inputPosition += length;
        return length;
    }

    public void Flush()
    {
    }

    // The next chunk of the stream, read by a world event at this virtual time.
    private void Fetch()
    {
        if (fetching || inputSource == null)
        {
            return;
        }
        fetching = true;
        world.Schedule(0, static state =>
        {
            SimConsole console = (SimConsole)state!;
            console.fetching = false;
            console.ReadSource();
            console.Interrupt();
        }, this);
    }

    private void ReadSource()
    {
        Stream? source = inputSource;
        if (source == null)
        {
            return;
        }
        byte[] chunk = new byte[ChunkLength];
        int count;
        try
        {
            count = source.Read(chunk, 0, chunk.Length);
        }
        catch (IOException)
        {
            count = 0;
        }
        if (count == 0)
        {
            // The end of the input (or a stream that failed): every later read is the end too.
            inputSource = null;
            inputOpen = false;
            return;
        }
        Append(chunk.AsSpan(0, count).ToArray());
    }

    private void Append(byte[] bytes)
    {
        world.Trace.Record(world.Now, "stdin", node.Name, Escape(Encoding.UTF8.GetString(bytes)));
        int pending = inputEnd - inputPosition;
        byte[] joined = new byte[pending + bytes.Length];
        input.AsSpan(inputPosition, pending).CopyTo(joined);
        bytes.CopyTo(joined, pending);
        input = joined;
        inputPosition = 0;
        inputEnd = joined.Length;
    }

    // The device's interrupt: posted to the node's kernel, which runs it in one of its steps.
    private void Interrupt()
    {
        Scheduler? target = scheduler;
        Action? callback = arrived;
        if (target != null && callback != null)
        {
            target.Post(static state => ((Action)state!)(), callback);
        }
    }

    private static string Escape(string text)
    {
        return text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);
    }

    private sealed class ScheduledText
    {
        public ScheduledText(SimConsole console, string text)
        {
            Console = console;
            Text = text;
        }

        public SimConsole Console { get; }

        public string Text { get; }
    }
}

// The platform of one kernel in a simulation: its devices are the world's (virtual clock,
// seeded randomness, captured console), its log goes into the world's trace, and a halt only
// marks the kernel halted, since the process and the other kernels go on.
internal sealed class SimPlatform : IPlatform
{
    private readonly Simulation world;
    private readonly SimNode node;

    public SimPlatform(Simulation world, SimNode node)
    {
        this.world = world;
        this.node = node;
    }

    public bool TraceSyscalls => world.Options.TraceSyscalls;

    public Dictionary<string, string> Environment { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

    public List<int> Halts { get; } = new List<int>();

    public IConsoleDevice OpenConsole() => node.Console;

    public IClockDevice OpenClock() => node.Clock;

    public IRandomDevice OpenRandom() => node.Random;

    // Sorted, so the boot environment does not depend on a dictionary's order.
    public IEnumerable<KeyValuePair<string, string>> ReadEnvironment()
    {
        List<KeyValuePair<string, string>> variables = new List<KeyValuePair<string, string>>(Environment);
        variables.Sort(static (left, right) => string.CompareOrdinal(left.Key, right.Key));
        return variables;
    }

    // A simulated node is no executable of the host's: none (a simulation has no native layer).
    public string? ReadExecutablePath() => null;

    // Syscall trace lines and kernel messages become trace events with the virtual time.
    public void WriteLog(string line)
    {
        world.Trace.Record(world.Now, "log", node.Name, line);
        if (world.Options.KeepLogs)
        {
            node.Log.Add(line);
        }
    }

    public void Halt(int status)
    {
        Halts.Add(status);
        world.Trace.Record(world.Now, "halt", node.Name, status, 0);
    }
}

// The seeded run-queue order: which ready item of a kernel runs next is a draw of the world's
// scheduling stream. The last choice is kept for the step's trace event.
internal sealed class SimRunQueueOrder : IRunQueueOrder
{
    private readonly SimRandom random;

    public SimRunQueueOrder(SimRandom random)
    {
        this.random = random;
    }

    public int LastPick { get; private set; }

    public int LastCount { get; private set; }

    public void Reset()
    {
        LastPick = 0;
        LastCount = 0;
    }

    public int ChooseNext(int readyCount)
    {
        LastCount = readyCount;
        LastPick = random.Next(readyCount);
        return LastPick;
    }
}
