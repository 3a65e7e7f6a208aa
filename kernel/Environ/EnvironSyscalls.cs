namespace Unikraft.Kernel;

internal static partial class Sys
{
    // uk_getenv: 0 with the value, or -ENOENT when the boot environment has no such variable.
    [Syscall(SyscallNumber.UkGetenv)]
    internal static long UkGetenv(Kernel kernel, string name, out string? value)
    {
        value = null;
        BootEnvironment? environment = kernel.Environment;
        if (environment == null || !environment.TryGet(name, out value))
        {
            return kernel.Return(SyscallNumber.UkGetenv, -Errno.ENOENT);
        }
        return kernel.Return(SyscallNumber.UkGetenv, 0);
    }
}
