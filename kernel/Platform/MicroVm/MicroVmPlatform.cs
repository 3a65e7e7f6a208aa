namespace Unikraft.Kernel;

using System.Collections.Generic;
using System.Text;

// The platform of a kernel booted in a microVM. Below it is no Linux but the shim
// (shim/syscalls.c), which serves the .NET runtime's own system calls; the devices reach the
// machine through those: the serial line through write(2) on fds 1 and 2, the clocks through
// clock_gettime(2) (the TSC, calibrated at boot, and the RTC), randomness through getrandom(2)
// (RDRAND). The program's own I/O never goes below this kernel.
internal sealed class MicroVmPlatform : IPlatform
{
    private readonly bool traceSyscalls;

    public MicroVmPlatform()
    {
        traceSyscalls = System.Environment.GetEnvironmentVariable("UNIKRAFT_TRACE") == "1";
    }

    public bool TraceSyscalls => traceSyscalls;

    // A terminal when the runner said the serial line has one behind it (UNIKRAFT_TERMINAL on the
    // command line: its size; MicroVmTerminal), which follows the window's resizes through the shim.
    public IConsoleDevice OpenConsole()
    {
        return new MicroVmConsole(MicroVmTerminal.FromVariable(System.Environment.GetEnvironmentVariable(MicroVmTerminal.Variable), followsResizes: true));
    }

    // The hosted clock's calls (clock_gettime, futex waits with a timeout) are served by the shim.
    public IClockDevice OpenClock()
    {
        return new HostedClock();
    }

    // getrandom(2), served by the shim from RDRAND.
    public IRandomDevice OpenRandom()
    {
        return new HostedRandom();
    }

    // The environment is the "NAME=VALUE" words of the VM's command line, put on the start stack
    // by the shim.
    public IEnumerable<KeyValuePair<string, string>> ReadEnvironment()
    {
        return HostedPlatform.ProcessEnvironment();
    }

    // The VM has no file system below the kernel that holds the program's image, and the shim
    // no /proc: as the runtime's own answer there, none.
    public string? ReadExecutablePath()
    {
        return null;
    }

    // The log shares the serial line with the console, one write per line.
    public void WriteLog(string line)
    {
        MicroVmSerial.Write(Encoding.UTF8.GetBytes(line + "\n"));
    }

    // exit_group: the shim hands the status to QEMU.
    public void Halt(int status)
    {
        System.Environment.Exit(status);
    }
}
