using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

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

// Endless recursion: the stack overflows into what is below it. "overflow" recurses on the main
// thread (its stack is the shim's, nothing mapped below it); "overflow-thread" on a thread of its
// own, whose stack glibc maps PROT_NONE and then opens with mprotect but for the guard page at its
// bottom. The thread makes no kernel call, so the one-vCPU rule (UK0001) does not apply to it.
if (args.Length == 1 && (args[0] == "overflow" || args[0] == "overflow-thread"))
{
    Console.WriteLine("recursing");
    if (args[0] == "overflow")
    {
        Probe.Recurse(0);
    }
    else
    {
#pragma warning disable UK0001
        var thread = new Thread(() => Probe.Recurse(0), 256 * 1024);
        thread.Start();
        thread.Join();
#pragma warning restore UK0001
    }
    Console.WriteLine("the recursion ended");
    return 12;
}

// A write to the program's own code, which is mapped read-only and executable.
if (args.Length == 1 && args[0] == "write-code")
{
    Console.WriteLine("writing to code");
    Probe.WriteToCode();
    Console.WriteLine("the code was written");
    return 13;
}

// mprotect through glibc's own wrapper, as the runtime calls it: a page made read-only still reads,
// PROT_NONE and back keeps its contents, and a write to it once read-only again faults.
if (args.Length == 1 && args[0] == "mprotect")
{
    Probe.ProtectAndWrite();
    Console.WriteLine("the read-only page was written");
    return 14;
}

// System calls given pointers the program may not use (below its memory, a PROT_NONE page, a
// read-only page to write to, the kernel's half): each answers EFAULT, as Linux does, and the
// program goes on.
if (args.Length == 1 && args[0] == "efault")
{
    Probe.BadPointers();
    return 15;
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

    // Each frame keeps a local alive past the call, so the recursion cannot become a loop.
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Recurse(int depth)
    {
        Span<byte> pad = stackalloc byte[64];
        pad[depth & 63] = (byte)depth;
        return Recurse(depth + 1) + pad[(depth + 1) & 63];
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static unsafe void WriteToCode()
    {
        delegate*<string?> code = &Unreached;
        *(byte*)code = 0xC3;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static string? Unreached() => null;

    // glibc's mprotect, which the runtime itself calls: below the kernel's boundary on purpose, to
    // reach the shim's mprotect as the runtime does (UK0001 is for a program's own I/O).
    // NOTE: PROT_READ 1, PROT_WRITE 2 (asm-generic/mman-common.h).
#pragma warning disable UK0001
    [DllImport("libc", EntryPoint = "mprotect")]
    private static extern unsafe int Mprotect(void* address, nuint length, int protection);
#pragma warning restore UK0001

    // glibc's syscall(2), so that each call reaches the kernel as it is (glibc's own wrappers
    // would read clock_gettime's result through the vDSO on Linux, in the program).
#pragma warning disable UK0001
    [DllImport("libc", EntryPoint = "syscall", SetLastError = true)]
    private static extern nint Syscall(nint number, nint a0, nint a1, nint a2, nint a3, nint a4, nint a5);
#pragma warning restore UK0001

    // NOTE: numbers from asm/unistd_64.h; PROT_READ 1, MAP_PRIVATE | MAP_ANONYMOUS 0x22
    // (asm-generic/mman-common.h); CLOCK_MONOTONIC 1; FUTEX_WAIT_PRIVATE 128; RLIMIT_STACK 3;
    // SIGUSR1 10; EFAULT 14 (asm-generic/errno-base.h).
    public static void BadPointers()
    {
        nint none = Syscall(9, 0, 4096, 0, 0x22, -1, 0);
        nint readOnly = Syscall(9, 0, 4096, 1, 0x22, -1, 0);
        Console.WriteLine("mapped: " + (none > 0) + " " + (readOnly > 0));
        nint pipe = Syscall(9, 0, 4096, 3, 0x22, -1, 0);
        Check("pipe2 (good)", Syscall(293, pipe, 0, 0, 0, 0, 0));
        int readFd = Marshal.ReadInt32(pipe), writeFd = Marshal.ReadInt32(pipe, 4);
        Check("write to the pipe (good)", Syscall(1, writeFd, pipe, 3, 0, 0, 0));

        (string Name, nint Address, bool Write)[] pointers =
        [
            ("null+16", 16, true),
            ("PROT_NONE", none, true),
            ("read-only", readOnly, true),
            ("kernel half", unchecked((nint)0xFFFF800000001000UL), true),
        ];
        foreach ((string name, nint bad, _) in pointers)
        {
            Console.WriteLine("-- " + name);
            Check("clock_gettime", Syscall(228, 1, bad, 0, 0, 0, 0));
            Check("clock_getres", Syscall(229, 1, bad, 0, 0, 0, 0));
            Check("getrandom", Syscall(318, bad, 16, 0, 0, 0, 0));
            Check("uname", Syscall(63, bad, 0, 0, 0, 0, 0));
            Check("sysinfo", Syscall(99, bad, 0, 0, 0, 0, 0));
            Check("pipe2", Syscall(293, bad, 0, 0, 0, 0, 0));
            Check("fstat", Syscall(5, 1, bad, 0, 0, 0, 0));
            Check("sched_getaffinity", Syscall(204, 0, 8, bad, 0, 0, 0));
            Check("prlimit64 (old)", Syscall(302, 0, 3, 0, bad, 0, 0));
            Check("rt_sigaction (old)", Syscall(13, 10, 0, bad, 8, 0, 0));
            Check("rt_sigprocmask (old)", Syscall(14, 0, 0, bad, 8, 0, 0));
            Check("sigaltstack (old)", Syscall(131, 0, bad, 0, 0, 0, 0));
            Check("getrusage", Syscall(98, 0, bad, 0, 0, 0, 0));
            Check("time", Syscall(201, bad, 0, 0, 0, 0, 0));
            Check("read from the pipe", Syscall(0, readFd, bad, 3, 0, 0, 0));
            if (name != "read-only")
            {
                // A read-only page reads: these only fail where nothing can be read.
                Check("nanosleep", Syscall(35, bad, 0, 0, 0, 0, 0));
                Check("clock_nanosleep", Syscall(230, 1, 0, bad, 0, 0, 0));
                Check("rt_sigaction (new)", Syscall(13, 10, bad, 0, 8, 0, 0));
                Check("futex wait", Syscall(202, bad, 128, 0, 0, 0, 0));
                Check("write to the pipe", Syscall(1, writeFd, bad, 3, 0, 0, 0));
                Check("write to stdout", Syscall(1, 1, bad, 3, 0, 0, 0));
            }
        }
        Check("read from the pipe (good)", Syscall(0, readFd, pipe + 8, 3, 0, 0, 0));
        Console.WriteLine("still running");
    }

    // The errno of the syscall just made: below the kernel's boundary on purpose, as the call is.
    private static void Check(string call, nint result)
    {
#pragma warning disable UK0001
        int errno = Marshal.GetLastPInvokeError();
#pragma warning restore UK0001
        Console.WriteLine(call + ": " + (result == -1 ? "errno " + errno : "returned " + result));
    }

    public static unsafe void ProtectAndWrite()
    {
        byte* page = (byte*)NativeMemory.AlignedAlloc(4096, 4096);
        page[0] = 42;
        Console.WriteLine("read-only: " + Mprotect(page, 4096, 1) + ", reads " + page[0]);
        Console.WriteLine("none, then read-write: " + Mprotect(page, 4096, 0) + " " + Mprotect(page, 4096, 3) + ", kept " + page[0]);
        Console.WriteLine("read-only again: " + Mprotect(page, 4096, 1) + "; writing");
        page[0] = 7;
    }
}
