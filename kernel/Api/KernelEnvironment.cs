namespace Unikraft.Kernel;

using System;
using System.Diagnostics.CodeAnalysis;

// System.Environment on the kernel: exit through exit_group, variables from the boot
// environment through uk_getenv.
internal static partial class KernelEnvironment
{
    [DoesNotReturn]
    public static void Exit(int exitCode)
    {
        Sys.ExitGroup(Kernel.Current, exitCode);
        // The platform ends the program inside exit_group; one that cannot (a test platform
        // that must keep its test runner alive) returns, and Exit must still not return.
        throw new KernelException("exit_group(" + exitCode.ToString(System.Globalization.CultureInfo.InvariantCulture) +
            ") returned: the platform did not end the program");
    }

    public static string? GetEnvironmentVariable(string variable)
    {
        ArgumentNullException.ThrowIfNull(variable);
        long result = Sys.UkGetenv(Kernel.Current, variable, out string? value);
        if (result == -Errno.ENOENT)
        {
            return null;
        }
        if (result < 0)
        {
            throw KernelException.Failed("uk_getenv(" + variable + ")", result);
        }
        return value;
    }
}
