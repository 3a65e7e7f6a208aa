namespace Unikraft.Kernel;

internal static partial class Sys
{
    // exit_group(2): the program is done. The kernel records the status and flushes the
    // console. Called by Run after main returned, it returns and Run hands the status back;
    // called by the program while main still runs, the platform ends the program.
    [Syscall(SyscallNumber.ExitGroup)]
    internal static long ExitGroup(Kernel kernel, int status)
    {
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
