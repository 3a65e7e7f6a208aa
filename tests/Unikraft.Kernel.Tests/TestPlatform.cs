namespace Unikraft.Kernel.Tests;

using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.IO;
using System.Text;
using System.Threading;

// A platform with every device replaced by a deterministic one: the console captures bytes,
// the clock only moves when the scheduler waits (virtual time), randomness comes from a seed,
// the environment is a fixed table and the log is a list of lines.
internal sealed class TestPlatform : IPlatform
{
    private readonly object logLock = new object();
    private readonly List<string> logLines = new List<string>();

    public TestPlatform(int seed = 1234)
    {
        Seed = seed;
    }

    public bool TraceSyscalls { get; set; }

    public int Seed { get; }

    public MemoryConsole Console { get; } = new MemoryConsole();

    public ManualClock Clock { get; } = new ManualClock();

    public Dictionary<string, string> Environment { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

    public List<int> Halts { get; } = new List<int>();

    public IReadOnlyList<string> Log
    {
        get
        {
            lock (logLock)
            {
                return logLines.ToArray();
            }
        }
    }

    public IConsoleDevice OpenConsole() => Console;

    public IClockDevice OpenClock() => Clock;

    public IRandomDevice OpenRandom() => new SeededRandomDevice(Seed);

    public IEnumerable<KeyValuePair<string, string>> ReadEnvironment() => Environment;

    // What ReadExecutablePath answers, and how many times the kernel asked.
    public string? ExecutablePath { get; set; }

    public int ExecutablePathReads { get; private set; }

    public string? ReadExecutablePath()
    {
        ExecutablePathReads++;
        return ExecutablePath;
    }

    public void WriteLog(string line)
    {
        lock (logLock)
        {
            logLines.Add(line);
        }
    }

    // A test process must survive the program's exit, so Halt records the status and unwinds
    // the program with an exception, as a real process end would never return either.
    public void Halt(int status)
    {
        Halts.Add(status);
        throw new ProgramHaltedException(status);
    }
}

internal sealed class ProgramHaltedException : Exception
{
    public ProgramHaltedException(int status)
        : base("The program halted with status " + status + ".")
    {
        Status = status;
    }

    public int Status { get; }
}

// A console in memory. Input is either all there from the start (SetInput, then its end), or
// delivered later from any thread (KeepInputOpen, Deliver, EndInput), as a device's interrupt:
// posted to the kernel's scheduler, so a read that waits for it must not block the vCPU.
internal sealed class MemoryConsole : IConsoleDevice
{
    private readonly MemoryStream output = new MemoryStream();
    private readonly MemoryStream error = new MemoryStream();
    private readonly ConcurrentQueue<string?> deliveries = new ConcurrentQueue<string?>();
    private byte[] input = Array.Empty<byte>();
    private int inputPosition;
    private bool inputOpen;
    private Scheduler? scheduler;
    private Action? arrived;

    public int FlushCount { get; private set; }

    // The console's terminal; null (the default) keeps it a plain byte stream.
    public IConsoleTerminal? Terminal { get; set; }

    // How many times the kernel asked whether input is there or read with none there.
    public int EmptyReads { get; private set; }

    // When set, what standard output's writes answer instead of taking the bytes (-EPIPE: the
    // reader of a pipe went away).
    public long? OutputFailure { get; set; }

    public long WriteOutput(ReadOnlySpan<byte> bytes)
    {
        if (OutputFailure is long failure)
        {
            return failure;
        }
        output.Write(bytes);
        return bytes.Length;
    }

    public long WriteError(ReadOnlySpan<byte> bytes)
    {
        error.Write(bytes);
        return bytes.Length;
    }

    public void ListenForInput(Scheduler scheduler, Action arrived)
    {
        this.scheduler = scheduler;
        this.arrived = arrived;
        if (!deliveries.IsEmpty)
        {
            scheduler.Post(_ => Arrive(), null);
        }
    }

    public bool PollInput()
    {
        TakeDeliveries();
        return inputPosition < input.Length || !inputOpen;
    }

    public long ReadLine(Span<byte> buffer)
    {
        TakeDeliveries();
        ReadOnlySpan<byte> pending = input.AsSpan(inputPosition);
        if (pending.IsEmpty)
        {
            EmptyReads++;
            return inputOpen ? -Errno.EAGAIN : 0;
        }
        int lineEnd = Terminal is VirtualTerminal { Canonical: false } ? -1 : pending.IndexOf((byte)'\n');
        int length = Math.Min(lineEnd < 0 ? pending.Length : lineEnd + 1, buffer.Length);
        pending.Slice(0, length).CopyTo(buffer);
        inputPosition += length;
        return length;
    }

    public void Flush()
    {
        FlushCount++;
    }

    public void SetInput(string text)
    {
        input = Encoding.UTF8.GetBytes(text);
        inputPosition = 0;
        inputOpen = false;
    }

    // From now on an empty buffer means "nothing yet", not the end of input.
    public void KeepInputOpen()
    {
        inputOpen = true;
    }

    // Any thread: text arrives, as the hosted console's reader thread posts it.
    public void Deliver(string text)
    {
        deliveries.Enqueue(text);
        scheduler?.Post(_ => Arrive(), null);
    }

    // Any thread: the input ends.
    public void EndInput()
    {
        deliveries.Enqueue(null);
        scheduler?.Post(_ => Arrive(), null);
    }

    private void Arrive()
    {
        TakeDeliveries();
        arrived?.Invoke();
    }

    private void TakeDeliveries()
    {
        while (deliveries.TryDequeue(out string? text))
        {
            if (text == null)
            {
                inputOpen = false;
                continue;
            }
            byte[] bytes = Encoding.UTF8.GetBytes(text);
            byte[] joined = new byte[input.Length - inputPosition + bytes.Length];
            input.AsSpan(inputPosition).CopyTo(joined);
            bytes.CopyTo(joined, input.Length - inputPosition);
            input = joined;
            inputPosition = 0;
        }
    }

    public byte[] OutputBytes => output.ToArray();

    public string OutputText => Encoding.UTF8.GetString(output.ToArray());

    public string ErrorText => Encoding.UTF8.GetString(error.ToArray());
}

// Virtual time: it starts at a fixed wall-clock instant and advances only when the scheduler
// waits for a deadline (or when a test moves it), so timers fire at once in real time.
internal sealed class ManualClock : IClockDevice
{
    public static readonly long StartRealtime = new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero).ToUnixTimeMilliseconds() * 1_000_000;

    private long monotonic = 1_000;

    public long RealtimeNanoseconds => StartRealtime + monotonic;

    public long MonotonicNanoseconds => Interlocked.Read(ref monotonic);

    public int Waits { get; private set; }

    public void Advance(long nanoseconds)
    {
        Interlocked.Add(ref monotonic, nanoseconds);
    }

    public void WaitUntil(long monotonicDeadline, WaitHandle wake)
    {
        Waits++;
        if (monotonicDeadline == long.MaxValue)
        {
            // Nothing can move virtual time: only another thread can end this wait. A test
            // that waits here for long would hang, so it fails instead.
            if (!wake.WaitOne(TimeSpan.FromSeconds(10)))
            {
                throw new TimeoutException("The kernel idled with no timer and nothing posted: the program would hang.");
            }
            return;
        }
        if (monotonicDeadline > MonotonicNanoseconds)
        {
            Interlocked.Exchange(ref monotonic, monotonicDeadline);
        }
    }
}

internal sealed class SeededRandomDevice : IRandomDevice
{
    private readonly Random random;

    public SeededRandomDevice(int seed)
    {
        random = new Random(seed);
    }

    public long Fill(Span<byte> buffer)
    {
        random.NextBytes(buffer);
        return buffer.Length;
    }
}

internal static class TestKernel
{
    // The boot the generator would emit for an image with every library, in Order. A test
    // checks this list against every [BootStep] in the kernel so it cannot fall behind.
    public static readonly Action<Kernel>[] BootSteps =
    {
        ConsoleBoot.AttachConsole,
        ClockBoot.AttachClock,
        RandomBoot.AttachRandom,
        EnvironmentBoot.CopyEnvironment,
    };

    public static Kernel Boot(TestPlatform platform)
    {
        Kernel kernel = new Kernel(platform);
        foreach (Action<Kernel> step in BootSteps)
        {
            step(kernel);
        }
        return kernel;
    }

    public static Kernel Boot(out TestPlatform platform, bool trace = false)
    {
        platform = new TestPlatform { TraceSyscalls = trace };
        return Boot(platform);
    }
}
