namespace Unikraft.Kernel;

internal static partial class Sys
{
    // uk_bcl_terminal: 1 when fd 1 is a terminal and the BCL's own console stream writes it through
    // this kernel (the native layer serves the BCL's calls in this run), else 0. The console API
    // then hands its text to that stream, which tracks the cursor (KernelConsole.WriteText).
    [Syscall(SyscallNumber.UkBclTerminal)]
    internal static long UkBclTerminal(Kernel kernel)
    {
        bool routed = kernel.ServesBclNativeLayer && kernel.Console?.Terminal?.IsTerminal(1) == true;
        return kernel.Return(SyscallNumber.UkBclTerminal, routed ? 1 : 0);
    }
}
