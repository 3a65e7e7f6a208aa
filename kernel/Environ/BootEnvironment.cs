namespace Unikraft.Kernel;

using System;
using System.Collections.Generic;

// The environment variables the program booted with. They are copied once at boot, so later
// changes to the host's environment never reach the kernel, as with a real unikernel's command
// line. Names are compared ordinally, as Linux does.
internal sealed class BootEnvironment
{
    private readonly Dictionary<string, string> variables = new Dictionary<string, string>(StringComparer.Ordinal);

    public int Count => variables.Count;

    public void Set(string name, string value)
    {
        variables[name] = value;
    }

    public bool TryGet(string name, out string? value)
    {
        if (variables.TryGetValue(name, out string? found))
        {
            value = found;
            return true;
        }
        value = null;
        return false;
    }
}

internal static class EnvironmentBoot
{
    [BootStep(Order = 40)]
    internal static void CopyEnvironment(Kernel kernel)
    {
        BootEnvironment environment = new BootEnvironment();
        foreach (KeyValuePair<string, string> variable in kernel.Platform.ReadEnvironment())
        {
            environment.Set(variable.Key, variable.Value);
        }
        kernel.Environment = environment;
    }
}
