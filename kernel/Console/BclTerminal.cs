namespace Unikraft.Kernel;

using System;
using System.IO;

internal static partial class Sys
{
    // uk_bcl_terminal: when fd 1 is a terminal and the BCL's own console stream writes it through
    // this kernel (the native layer serves the BCL's calls in this run), writes the text (and a line
    // end) through that stream and returns 1; otherwise writes nothing and returns 0, and the caller
    // writes the text itself. The console API calls it so that the BCL's cursor tracking sees the
    // text (KernelConsole.WriteText).
    [Syscall(SyscallNumber.UkBclTerminal)]
    internal static long UkBclTerminal(Kernel kernel, ReadOnlySpan<char> text, bool newLine)
    {
        if (!kernel.ServesBclNativeLayer || kernel.Console?.Terminal?.IsTerminal(1) != true)
        {
            return kernel.Return(SyscallNumber.UkBclTerminal, 0);
        }

        // The BCL's console takes its lock (Console.Out's) and then, for its write(2), this vCPU. A
        // caller that held the vCPU while it waited for that lock could wait forever on a thread
        // that holds the lock and waits for the vCPU, so the vCPU is let go for the write.
        Vcpu vcpu = kernel.Scheduler.Vcpu;
        int held = vcpu.Release();
        try
        {
            if (newLine)
            {
                System.Console.Out.WriteLine(text);
            }
            else
            {
                System.Console.Out.Write(text);
            }
        }
        catch (IOException)
        {
            return kernel.Return(SyscallNumber.UkBclTerminal, -Errno.EIO);
        }
        finally
        {
            vcpu.Reacquire(held);
        }
        return kernel.Return(SyscallNumber.UkBclTerminal, 1);
    }
}
