namespace Unikraft.Kernel;

internal static partial class Sys
{
    // exit_group(2): the program is done. What the libraries must still do runs first (Kernel.AtExit:
    // the host's exit closes every descriptor and the host's TCP goes on delivering what closed
    // connections hold, but here the stack ends with the process, so TCP delivers it now, bounded).
    // Then the kernel records the status and flushes the console. Called by Run after main
    // returned, it returns and Run hands the status back; called by the program while main still
    // runs, the platform ends the program.
    [Syscall(SyscallNumber.ExitGroup)]
    internal static long ExitGroup(Kernel kernel, int status)
    {
        // Whatever libraries are in the kernel: the list is empty unless one of them registered
        // work (a kernel whose libraries register none reaches no AtExit and pays one null test).
        kernel.RunExitWork();
        kernel.MarkHalted(status);
        kernel.Console?.Flush();
        long result = kernel.Return(SyscallNumber.ExitGroup, 0);
        if (kernel.MainRunning)
        {
            kernel.Platform.Halt(status);
        }
        return result;
    }
}
