namespace Unikraft.Kernel;

using System.Globalization;

// NOTE: Linux x86-64 numbers from /usr/include/x86_64-linux-gnu/asm/unistd_64.h. Calls that
// Linux has no number for start at 1000 and carry a Uk prefix.
internal static class SyscallNumber
{
    public const int Read = 0;
    public const int Write = 1;
    public const int Nanosleep = 35;
    public const int ClockGettime = 228;
    public const int ExitGroup = 231;
    public const int Getrandom = 318;

    public const int UkTimerArm = 1000;
    public const int UkSpawn = 1001;
    public const int UkGetenv = 1002;

    // The Linux name of a syscall, as the trace and the not-planned message print it. A number
    // this kernel does not know prints as the number, so the line still says which call it was.
    public static string Name(int number)
    {
        switch (number)
        {
            case Read: return "read";
            case Write: return "write";
            case Nanosleep: return "nanosleep";
            case ClockGettime: return "clock_gettime";
            case ExitGroup: return "exit_group";
            case Getrandom: return "getrandom";
            case UkTimerArm: return "uk_timer_arm";
            case UkSpawn: return "uk_spawn";
            case UkGetenv: return "uk_getenv";
            default: return number.ToString(CultureInfo.InvariantCulture);
        }
    }
}
