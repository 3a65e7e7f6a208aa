namespace Unikraft.Kernel.Tests;

using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using Xunit;

// The Linux capabilities a host-side test needs (mknod, mount, chroot), read from the test
// process's effective set.
public enum HostCapability
{
    // NOTE: bit numbers from linux/capability.h.
    NetAdmin = 12,
    SysChroot = 18,
    SysAdmin = 21,
    Mknod = 27,
}

internal static class HostCapabilities
{
    // Null when the process holds every capability in needed, else a sentence naming those it lacks.
    public static string? Missing(params HostCapability[] needed)
    {
        if (!OperatingSystem.IsLinux())
        {
            return "this test needs a Linux host";
        }
        ulong effective = Effective();
        List<HostCapability> missing = needed.Where(capability => (effective & (1UL << (int)capability)) == 0).ToList();
        return missing.Count == 0 ? null
            : "this test needs the capabilities " + string.Join(", ", missing.Select(capability => "CAP_" + Name(capability))) +
              " (run it as root)";
    }

    // Fails the test, saying why, when a capability is missing: under CI the attribute does not
    // skip, so a CI machine without them fails here.
    public static void Require(params HostCapability[] needed)
    {
        string? missing = Missing(needed);
        Assert.True(missing == null, missing + "; CI is set, so this is a failure, not a skip");
    }

    private static ulong Effective()
    {
        foreach (string line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith("CapEff:", StringComparison.Ordinal))
            {
                return ulong.Parse(line.Substring(7).Trim(), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            }
        }
        return 0;
    }

    private static string Name(HostCapability capability) => capability switch
    {
        HostCapability.NetAdmin => "NET_ADMIN",
        HostCapability.SysChroot => "SYS_CHROOT",
        HostCapability.SysAdmin => "SYS_ADMIN",
        _ => "MKNOD",
    };
}

// A fact that needs host capabilities: skipped, with the reason, on a machine without them;
// run (and failed by HostCapabilities.Require) when the environment variable CI is set.
[AttributeUsage(AttributeTargets.Method)]
public sealed class HostCapabilityFactAttribute : FactAttribute
{
    public HostCapabilityFactAttribute(params HostCapability[] needed)
    {
        string? missing = HostCapabilities.Missing(needed);
        if (missing != null && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CI")))
        {
            Skip = missing + "; with CI set it runs and fails instead";
        }
    }
}
