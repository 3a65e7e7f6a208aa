namespace Unikraft.Kernel;

using System;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Threading;

// The kernel behind the BCL's native layer. The linker gives one __wrap_SystemNative_* symbol
// per process, so this is the one piece of kernel state that a static holds: the kernel the
// process booted. The BCL calls in from any thread (the thread pool runs file I/O for async
// streams, the socket engine waits for events on a thread of its own, the runtime has threads of
// its own), so every call from a thread that does not hold the kernel's vCPU already takes the
// kernel's vCPU for its length, as an intercepted call from another thread does: the calls take
// turns with each other and with the kernel's own work (timers, device interrupts). A call that
// blocks (a socket read, the socket engine's wait) parks its thread of control in the scheduler
// and hands the vCPU on, so the other threads' calls go on meanwhile. Before boot, a gate counts
// the calls that came too early.
internal sealed class NativeLayer
{
    private static readonly object Gate = new object();
    private static volatile NativeLayer? served;
    private static long callsBeforeBoot;
    private static string firstCallBeforeBoot = "";
    private static long calls;

    private readonly Dictionary<long, NativeDirectory> directories = new Dictionary<long, NativeDirectory>();
    private NativeTerminal? terminal;

    private NativeLayer(Kernel kernel, string? executablePath)
    {
        Kernel = kernel;
        ExecutablePath = executablePath;
    }

    public Kernel Kernel { get; }

    // The program's executable as the platform named it at boot (GetProcessPath answers from it:
    // once the confinement is in, the host's /proc may no longer be read), or null.
    public string? ExecutablePath { get; }

    // Whether fd is open in the kernel's fd table (the check of the functions that only need a
    // valid fd: flock, fadvise, isatty, poll).
    public bool IsOpen(long fd)
    {
        return fd >= 0 && fd <= int.MaxValue && Kernel.Files.Get((int)fd) != null;
    }

    // The terminal mode the BCL's console set (NativeConsole), made on first use.
    public NativeTerminal Terminal => terminal ??= new NativeTerminal();

    // The open directory streams (OpenDir), by the handle the BCL holds.
    public Dictionary<long, NativeDirectory> Directories => directories;

    // Serves the BCL's native calls from this kernel from now on.
    [BootStep(Order = 90)]
    internal static void Attach(Kernel kernel)
    {
        lock (Gate)
        {
            // The scheduler and its vCPU are made here, on the kernel's thread, before any other
            // thread's call can reach them. Nobody holds the vCPU: a synchronous Main takes it for
            // each native call as every other thread does, so a thread-pool thread's call is not
            // held up while Main runs the program's own code (a spin that waits for a timer's
            // callback, say).
            _ = kernel.Scheduler;
            served = new NativeLayer(kernel, kernel.Platform.ReadExecutablePath());

            // A NativeAOT link sends the BCL's native calls here; under the JIT, the jump slots of
            // a program built for the route do once they point here (NativeSlots). Anywhere else
            // the BCL keeps the host's own native layer, and saying so beats a silent difference.
            // One call of a System.Native function tells which: routed, it arrives here. The
            // function is the one every image imports anyway (the runtime seeds its string hashing
            // with it), so the probe adds no import: a BCL question such as
            // Directory.GetCurrentDirectory would import getcwd and stat, and the link's import
            // list would keep their entry points, the VFS and a root file system in every image.
            // (RuntimeFeature.IsDynamicCodeSupported cannot tell: PublishAot=true turns it off
            // under the JIT too.)
            if (KernelFeatures.NativeSlots)
            {
                NativeSlots.Attach(kernel);
            }
            long before = Interlocked.Read(ref calls);
            byte probe = 0;
            SystemNativeRandomBytes(ref probe, 1);
            if (Interlocked.Read(ref calls) == before)
            {
                kernel.Log.Write("[uk] native layer: the BCL's native calls do not reach the kernel in this run, so only the program's intercepted calls do: " +
                    "it runs without the jump slots of the JIT route (built with UnikraftNativeSlots=false, or its folder's libSystem.Native.so is the runtime's own); build or publish it with the slots, or publish with NativeAOT");
            }
            if (callsBeforeBoot > 0)
            {
                kernel.Log.Write("[uk] native layer: " + callsBeforeBoot + " call(s) came before the kernel booted and were not served by it (first: " +
                    firstCallBeforeBoot + ")");
            }
        }
    }

    // The BCL's own import of the function (a NativeAOT link lists libSystem.Native for direct
    // calls, so this is the same undefined symbol the link sends to NativeRandom; under the JIT
    // the host's System.Native answers).
    [DllImport("libSystem.Native", EntryPoint = "SystemNative_GetNonCryptographicallySecureRandomBytes")]
    private static extern void SystemNativeRandomBytes(ref byte buffer, int length);

    // Returns the served layer, having taken its kernel's vCPU when the calling thread did not
    // hold it (entered is then that kernel, for Leave); or null before boot (the caller then
    // fails the call with EPERM: nothing reaches the host). NativeCall pairs it with Leave. A
    // function that has a deliberate answer before boot (the runtime's hash seed) is not counted
    // as refused.
    public static NativeLayer? Enter(string function, bool answeredBeforeBoot, out Kernel? entered, out Kernel? previous)
    {
        Interlocked.Increment(ref calls);
        entered = null;
        previous = null;
        NativeLayer? layer = served;
        if (layer != null)
        {
            Kernel kernel = layer.Kernel;
            Vcpu vcpu = kernel.Scheduler.Vcpu;
            if (!vcpu.IsHeldByCurrentThread)
            {
                vcpu.Enter();
                previous = kernel.Enter();
                entered = kernel;
            }
            return layer;
        }
        if (!answeredBeforeBoot)
        {
            lock (Gate)
            {
                if (callsBeforeBoot++ == 0)
                {
                    firstCallBeforeBoot = function;
                }
            }
            Marshal.SetLastSystemError(Errno.EPERM);
        }
        return null;
    }

    public static void Leave(Kernel? entered, Kernel? previous)
    {
        if (entered != null)
        {
            Kernel.Leave(previous);
            entered.Scheduler.Vcpu.Exit();
        }
    }

    // A syscall result as the native layer's functions return it: the value, or -1 with the
    // platform errno set, which the BCL's interop stub reads back (SetLastError = true).
    public static int Result(long value)
    {
        return (int)LongResult(value);
    }

    public static long LongResult(long value)
    {
        if (value < 0)
        {
            Marshal.SetLastSystemError((int)-value);
            return -1;
        }
        return value;
    }

    // The NUL-terminated UTF-8 string the BCL passes for a path.
    public static string Text(nint pointer)
    {
        return Marshal.PtrToStringUTF8(pointer) ?? "";
    }

    // The caller's buffer as a span, without a copy. The BCL pins it for the call.
    public static Span<byte> Bytes(nint pointer, int length)
    {
        if (pointer == 0 || length <= 0)
        {
            return Span<byte>.Empty;
        }
        return MemoryMarshal.CreateSpan(ref Unsafe.AddByteOffset(ref Unsafe.NullRef<byte>(), pointer), length);
    }
}

// One call into the native layer: holds the kernel's vCPU (when the thread did not hold it
// already) from Enter to the end of the using block that holds it, whatever way the entry point
// leaves. (IDisposable, not only a Dispose method, so the
// member graph links Dispose to the using statements that call it.)
internal readonly ref struct NativeCall : IDisposable
{
    private readonly Kernel? entered;
    private readonly Kernel? previous;

    private NativeCall(NativeLayer? layer, Kernel? entered, Kernel? previous)
    {
        Layer = layer;
        this.entered = entered;
        this.previous = previous;
    }

    // The served layer, or null before boot (the entry point then fails the call).
    public NativeLayer? Layer { get; }

    public static NativeCall Enter(string function)
    {
        return Enter(function, false);
    }

    public static NativeCall Enter(string function, bool answeredBeforeBoot)
    {
        NativeLayer? layer = NativeLayer.Enter(function, answeredBeforeBoot, out Kernel? entered, out Kernel? previous);
        return new NativeCall(layer, entered, previous);
    }

    public void Dispose()
    {
        NativeLayer.Leave(entered, previous);
    }
}
