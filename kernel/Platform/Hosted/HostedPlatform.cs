namespace Unikraft.Kernel;

using System;
using System.Collections;
using System.Collections.Generic;
using System.Text;

// The platform of a kernel that runs as a Linux process. The generated boot creates it and
// hands it to the Kernel; each device is created only when a library's boot step asks for it.
internal sealed class HostedPlatform : IPlatform
{
    private readonly bool traceSyscalls;

    public HostedPlatform()
    {
        traceSyscalls = System.Environment.GetEnvironmentVariable("UNIKRAFT_TRACE") == "1";
    }

    public bool TraceSyscalls => traceSyscalls;

    public IConsoleDevice OpenConsole()
    {
        return new HostedConsole();
    }

    public IClockDevice OpenClock()
    {
        return new HostedClock();
    }

    public IRandomDevice OpenRandom()
    {
        return new HostedRandom();
    }

    public IEnumerable<KeyValuePair<string, string>> ReadEnvironment()
    {
        return ProcessEnvironment();
    }

    // The host's /proc/self/exe, which names the executable with every link resolved, as the
    // runtime's own SystemNative_GetProcessPath reads it; after boot the confinement refuses
    // readlink, so the native layer reads this once, while it boots.
    public string? ReadExecutablePath()
    {
        return HostedCalls.ReadLink("/proc/self/exe");
    }

    // The process's environment variables as name-value pairs (the microvm platform reads the
    // same: the shim puts the VM's command-line variables on the start stack).
    internal static List<KeyValuePair<string, string>> ProcessEnvironment()
    {
        IDictionary variables = System.Environment.GetEnvironmentVariables();
        List<KeyValuePair<string, string>> result = new List<KeyValuePair<string, string>>(variables.Count);
        foreach (DictionaryEntry entry in variables)
        {
            if (entry.Key is string name && entry.Value is string value)
            {
                result.Add(new KeyValuePair<string, string>(name, value));
            }
        }
        return result;
    }

    // The log goes to the host's stderr as one write per line, so lines from the kernel and
    // from the program's own stderr writes never interleave inside a line.
    public void WriteLog(string line)
    {
        // A closed stderr must not stop the kernel: the log is advisory, so the result is dropped.
        HostedCalls.WriteAll(2, Encoding.UTF8.GetBytes(line + "\n"));
    }

    public void Halt(int status)
    {
        System.Environment.Exit(status);
    }
}
