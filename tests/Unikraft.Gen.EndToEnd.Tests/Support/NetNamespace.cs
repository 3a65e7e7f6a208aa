namespace Unikraft.Gen.EndToEnd.Tests;

using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Threading;
using Xunit;

// A Linux network namespace the test creates and removes: the real Linux stack and real programs
// (ping, arping, nc, curl) as peers of a kernel, with no route out. Addresses come from
// 198.18.0.0/15 only, and nothing is sent anywhere but inside the namespace.
internal sealed class NetNamespace : IDisposable
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromMinutes(2);

    private NetNamespace(string name)
    {
        Name = name;
    }

    public string Name { get; }

    // What this machine lacks for namespaces (root, iproute2, /dev/net/tun), or null.
    public static string? Missing()
    {
        if (!string.Equals(Environment.UserName, "root", StringComparison.Ordinal))
        {
            return "network namespaces and TAP devices need root (CAP_NET_ADMIN); run the tests as root";
        }
        if (!File.Exists("/usr/sbin/ip") && !File.Exists("/sbin/ip") && !File.Exists("/usr/bin/ip"))
        {
            return "no `ip` command: install the Debian package iproute2";
        }
        if (!File.Exists("/dev/net/tun"))
        {
            return "no /dev/net/tun: this machine's kernel has no TUN/TAP driver";
        }
        if (!File.Exists("/usr/bin/ping") && !File.Exists("/bin/ping"))
        {
            return "no `ping`: install the Debian package iputils-ping";
        }
        return null;
    }

    public static NetNamespace Create(string label)
    {
        string name = "uk-" + label + "-" + Guid.NewGuid().ToString("N").Substring(0, 6);
        CommandResult added = Command.Run("ip", ["netns", "add", name], Path.GetTempPath(), CommandTimeout);
        Assert.True(added.ExitCode == 0, added.Describe());
        var space = new NetNamespace(name);
        space.Run("ip", "link", "set", "lo", "up");
        return space;
    }

    // Runs a command inside the namespace and asserts it succeeded.
    public CommandResult Run(string command, params string[] arguments)
    {
        CommandResult result = Try(command, arguments);
        Assert.True(result.ExitCode == 0, result.Describe());
        return result;
    }

    public CommandResult Try(string command, params string[] arguments)
    {
        return Command.Run("ip", ["netns", "exec", Name, command, .. arguments], Path.GetTempPath(), CommandTimeout);
    }

    // Starts a program inside the namespace with its standard streams piped; the caller ends it.
    public Process Start(string program, params string[] arguments) => Start(null, program, arguments);

    // As Start, with these variables added to the program's environment.
    public Process Start(IReadOnlyDictionary<string, string>? environment, string program, params string[] arguments)
    {
        var start = new ProcessStartInfo("ip")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (environment != null)
        {
            foreach (KeyValuePair<string, string> variable in environment)
            {
                start.Environment[variable.Key] = variable.Value;
            }
        }
        foreach (string argument in new[] { "netns", "exec", Name, program })
        {
            start.ArgumentList.Add(argument);
        }
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        return Process.Start(start)!;
    }

    // Brings up the Linux side of the TAP device a kernel made here, once it exists, as
    // 198.18.0.1/24: the kernel's interface is 198.18.0.2 on the same network.
    public void ConfigureTap(string link)
    {
        Assert.True(WaitForLink(link, TimeSpan.FromSeconds(60)), "the kernel made no TAP device " + link + " in " + Name);
        Run("ip", "addr", "add", "198.18.0.1/24", "dev", link);
        Run("ip", "link", "set", link, "up");
    }

    // Waits until a link of that name exists in the namespace (a TAP device a kernel creates).
    public bool WaitForLink(string link, TimeSpan timeout)
    {
        DateTime end = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < end)
        {
            if (Try("ip", "link", "show", link).ExitCode == 0)
            {
                return true;
            }
            Thread.Sleep(100);
        }
        return false;
    }

    public void Dispose()
    {
        // Removing the namespace removes its links; a TAP device goes with the process that holds it.
        Command.Run("ip", ["netns", "del", Name], Path.GetTempPath(), CommandTimeout);
    }
}

// A fact that needs network namespaces and a TAP device: skipped, with the reason, on a machine
// without them; run (and failed, naming what is missing) when the environment variable CI is set.
[AttributeUsage(AttributeTargets.Method)]
public sealed class NetFactAttribute : FactAttribute
{
    public NetFactAttribute()
    {
        string? missing = NetNamespace.Missing();
        if (missing != null && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CI")))
        {
            Skip = missing + "; with CI set it runs and fails instead";
        }
    }
}
