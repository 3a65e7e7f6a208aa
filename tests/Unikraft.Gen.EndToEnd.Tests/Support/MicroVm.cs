namespace Unikraft.Gen.EndToEnd.Tests;

using System;
using System.Collections.Generic;
using System.IO;
using Xunit;

// Booting a published microvm image: the runner script publish writes beside it (<name>-vm)
// starts qemu-system-x86_64 -machine microvm (TCG here, KVM where /dev/kvm is usable).
internal static class MicroVm
{
    // NOTE: under TCG a NativeAOT program boots and exits in well under a second; the limit only
    // keeps a hung VM from stalling the run.
    private static readonly TimeSpan BootTimeout = TimeSpan.FromMinutes(1);

    public const string Qemu = "qemu-system-x86_64";

    // Why the VM cannot be booted here, or null when it can.
    public static string? Missing()
    {
        foreach (string folder in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            if (File.Exists(Path.Combine(folder, Qemu)))
            {
                return null;
            }
        }
        return Qemu + " is not on PATH (Debian and Ubuntu: apt-get install qemu-system-x86)";
    }

    // Boots the image of a published sample with these program arguments; the result's exit
    // code is the program's status, its output the serial line.
    // shell: a bash script run with the runner as $0 and the arguments after it, to wrap the boot.
    public static CommandResult Boot(SampleBuild publish, IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string>? environment = null, string? input = null, string? shell = null)
    {
        publish.EnsureSucceeded();
        string? missing = Missing();
        Assert.True(missing is null, "The microvm tests boot QEMU, and " + missing);
        string runner = Path.Combine(publish.PublishPath, publish.Sample + "-vm");
        Assert.True(File.Exists(runner) && File.Exists(Path.Combine(publish.PublishPath, publish.Sample + ".vm")),
            "No microvm image and runner in " + publish.PublishPath + "; it holds: " +
            string.Join(", ", Directory.Exists(publish.PublishPath) ? Directory.GetFiles(publish.PublishPath) : Array.Empty<string>()));
        if (shell is not null)
        {
            return Command.Run("bash", ["-c", shell, runner, .. arguments], publish.Folder, BootTimeout, environment, input);
        }
        return Command.Run(runner, arguments, publish.Folder, BootTimeout, environment, input);
    }
}

// A fact that boots a VM: skipped, with the reason, where QEMU is missing; run (and failed by
// MicroVm.Boot, naming the package) when the environment variable CI is set.
[AttributeUsage(AttributeTargets.Method)]
public sealed class QemuFactAttribute : FactAttribute
{
    public QemuFactAttribute()
    {
        string? missing = MicroVm.Missing();
        if (missing != null && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CI")))
        {
            Skip = missing + "; with CI set it runs and fails instead";
        }
    }
}

// A fact that boots a VM under KVM: skipped, with the reason, where QEMU or a usable /dev/kvm is
// missing; run (and failed) when the environment variable CI is set.
[AttributeUsage(AttributeTargets.Method)]
public sealed class KvmFactAttribute : FactAttribute
{
    public KvmFactAttribute()
    {
        string? missing = MicroVm.Missing() ?? (File.Exists("/dev/kvm") ? null : "/dev/kvm is missing (no KVM on this machine)");
        if (missing != null && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CI")))
        {
            Skip = missing + "; with CI set it runs and fails instead";
        }
    }
}
