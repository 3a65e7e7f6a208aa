namespace Unikraft.Kernel;

using System.Collections.Generic;

// What a platform gives the kernel: the devices, the boot environment, a log sink and a way to
// end the program. Hosted runs as a Linux process; sim and the tests replace every device, so
// time, randomness and input reach the kernel only through here.
internal interface IPlatform
{
    // True when every syscall result should be written to the kernel log.
    bool TraceSyscalls { get; }

    IConsoleDevice OpenConsole();

    IClockDevice OpenClock();

    IRandomDevice OpenRandom();

    // The environment the program boots with, copied once by the environ library's boot step.
    IEnumerable<KeyValuePair<string, string>> ReadEnvironment();

    // The path of the program's executable as the platform names it, or null where it names
    // none. Read once, at boot, before the confinement (the native layer answers
    // Environment.ProcessPath from that copy).
    string? ReadExecutablePath();

    // Writes one line, without its line end, to the platform's log sink.
    void WriteLog(string line);

    // Ends the program with the status. A platform that cannot stop the caller may return.
    void Halt(int status);
}
