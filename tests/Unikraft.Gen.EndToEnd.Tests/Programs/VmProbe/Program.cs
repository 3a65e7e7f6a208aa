using System.Diagnostics;
using System.Runtime.CompilerServices;

if (args.Length == 1 && args[0] == "throw")
{
    throw new InvalidOperationException("nothing caught this, inside the VM");
}

// The main thread spins without a syscall while a timer's callback, on another thread, stops it:
// only a preempting VM lets the callback run. (The callback makes no kernel call: the main thread
// holds the kernel's vCPU while it runs the program's code.)
if (args.Length == 1 && args[0] == "spin")
{
    using var timer = new Timer(_ => Volatile.Write(ref Probe.Stop, true), null, 50, Timeout.Infinite);
    long spins = 0;
    while (!Volatile.Read(ref Probe.Stop))
    {
        spins++;
    }
    Console.WriteLine("the timer's callback stopped the spinning main thread: " + (spins > 0));
    return 11;
}

// Three idle seconds: every thread blocked, the nearest deadline the timer's.
if (args.Length == 1 && args[0] == "sleep")
{
    await Task.Delay(3000);
    Console.WriteLine("slept");
    return 9;
}

// Standard input, from the serial line, to its end.
if (args.Length == 1 && args[0] == "echo")
{
    int lines = 0;
    string? line;
    while ((line = Console.ReadLine()) != null)
    {
        Console.WriteLine("read: " + line);
        lines++;
    }
    Console.WriteLine("end of input after " + lines + " lines");
    return 7;
}

Console.WriteLine("args: " + string.Join("|", args));
Console.WriteLine("GREETING=" + Environment.GetEnvironmentVariable("GREETING"));
Console.WriteLine(File.ReadAllText("/etc/motd").TrimEnd());

// The thread pool's worker threads are the runtime's own (clone in the shim).
await Task.Run(() => Console.WriteLine("from the thread pool"));

var clock = Stopwatch.StartNew();
await Task.Delay(100);
Console.WriteLine("Task.Delay(100) waited at least 100 ms: " + (clock.ElapsedMilliseconds >= 100));

var kept = new List<byte[]>();
for (int index = 0; index < 20_000; index++)
{
    kept.Add(new byte[256]);
    if (kept.Count > 1_000)
    {
        kept.Clear();
    }
}
GC.Collect();
Console.WriteLine("collections: " + (GC.CollectionCount(0) > 0));

try
{
    Console.WriteLine(Probe.Nothing(args)!.Length);
}
catch (NullReferenceException)
{
    Console.WriteLine("caught NullReferenceException");
}

return 42;

static class Probe
{
    public static bool Stop;

    // Not inlined, so the null reaches the dereference at run time: a page fault in the VM.
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static string? Nothing(string[] args) => args.Length > 99 ? "never" : null;
}
