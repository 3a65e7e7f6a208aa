namespace Unikraft.Kernel.Tests.NetDev;

using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading.Tasks;
using Xunit;

// What the hosted network device tests need from the host: root (CAP_NET_ADMIN for the TAP
// interface, CAP_SYS_ADMIN for network namespaces), /dev/net/tun, and programs on PATH.
internal static class HostNet
{
    public const string Root = "root";
    public const string Tun = "/dev/net/tun";

    // Null when the host has everything in needs, else a sentence naming what it lacks.
    public static string? Missing(params string[] needs)
    {
        List<string> missing = new List<string>();
        foreach (string need in needs)
        {
            if (need == Root)
            {
                string? capabilities = HostCapabilities.Missing(HostCapability.NetAdmin, HostCapability.SysAdmin);
                if (capabilities != null)
                {
                    missing.Add(capabilities);
                }
            }
            else if (need == Tun)
            {
                if (!File.Exists(Tun))
                {
                    missing.Add("this test needs /dev/net/tun (the TUN/TAP driver)");
                }
            }
            else if (FindProgram(need) == null)
            {
                missing.Add("this test needs the program '" + need + "' on PATH (Debian package " + PackageOf(need) + ")");
            }
        }
        return missing.Count == 0 ? null : string.Join("; ", missing);
    }

    // Fails the test, saying why, when something is missing: under CI the attribute does not
    // skip, so a CI machine without them fails here.
    public static void Require(params string[] needs)
    {
        string? missing = Missing(needs);
        Assert.True(missing == null, missing + "; CI is set, so this is a failure, not a skip");
    }

    public static string? FindProgram(string name)
    {
        foreach (string folder in (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin").Split(':'))
        {
            string path = Path.Combine(folder, name);
            if (folder.Length > 0 && File.Exists(path))
            {
                return path;
            }
        }
        return null;
    }

    // Runs a program to its end; fails the test when it fails and mustSucceed.
    public static (int ExitCode, string Output) Run(string program, IEnumerable<string> arguments, bool mustSucceed = true)
    {
        ProcessStartInfo start = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        using Process process = Process.Start(start)!;
        string output = process.StandardOutput.ReadToEnd();
        string error = process.StandardError.ReadToEnd();
        if (!process.WaitForExit(30_000))
        {
            process.Kill(true);
            Assert.Fail(program + " " + string.Join(" ", start.ArgumentList) + " did not end within 30 s");
        }
        if (mustSucceed && process.ExitCode != 0)
        {
            Assert.Fail(program + " " + string.Join(" ", start.ArgumentList) + " failed (" + process.ExitCode + "): " + error + output);
        }
        return (process.ExitCode, output + error);
    }

    public static (int ExitCode, string Output) Ip(params string[] arguments) => Run("ip", arguments);

    private static string PackageOf(string program) => program switch
    {
        "ip" => "iproute2",
        "ping" => "iputils-ping",
        "nc" => "netcat-openbsd",
        _ => program,
    };
}

// A fact that needs something of the host (HostNet): skipped, with the reason, on a machine
// without it; run (and failed by HostNet.Require) when the environment variable CI is set.
[AttributeUsage(AttributeTargets.Method)]
public sealed class HostNetFactAttribute : FactAttribute
{
    public HostNetFactAttribute(params string[] needs)
    {
        string? missing = HostNet.Missing(needs);
        if (missing != null && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CI")))
        {
            Skip = missing + "; with CI set it runs and fails instead";
        }
    }
}

// A network namespace the test creates and removes, with no route out: whatever Linux sends
// there reaches only the interfaces the test moves in.
internal sealed class NetNamespace : IDisposable
{
    private NetNamespace(string name)
    {
        Name = name;
    }

    public string Name { get; }

    public static NetNamespace Create()
    {
        string name = "uk-netdev-" + Guid.NewGuid().ToString("N").Substring(0, 8);
        HostNet.Ip("netns", "add", name);
        return new NetNamespace(name);
    }

    // Moves a host interface in (its fd, if a TAP device holds one, stays valid).
    public void MoveIn(string interfaceName)
    {
        HostNet.Ip("link", "set", interfaceName, "netns", Name);
    }

    // ip -n NAME ARGUMENTS...
    public (int ExitCode, string Output) Ip(params string[] arguments) => Ip(true, arguments);

    public (int ExitCode, string Output) Ip(bool mustSucceed, params string[] arguments) =>
        HostNet.Run("ip", new[] { "-n", Name }.Concat(arguments), mustSucceed);

    // Starts a program inside the namespace without waiting for it.
    public Process Start(string program, params string[] arguments)
    {
        ProcessStartInfo start = new ProcessStartInfo("ip")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in new[] { "netns", "exec", Name, program }.Concat(arguments))
        {
            start.ArgumentList.Add(argument);
        }
        return Process.Start(start)!;
    }

    // The hardware address Linux gave an interface in the namespace.
    public byte[] MacOf(string interfaceName)
    {
        string output = HostNet.Run("ip", new[] { "netns", "exec", Name, "cat", "/sys/class/net/" + interfaceName + "/address" }).Output.Trim();
        return output.Split(':').Select(part => Convert.ToByte(part, 16)).ToArray();
    }

    public void Dispose()
    {
        HostNet.Run("ip", new[] { "netns", "del", Name }, mustSucceed: false);
    }
}

// Takes a device's frames the way the kernel does: ListenForFrames on a kernel's scheduler, and
// on each interrupt TryReceive until it answers false. WaitFor runs the kernel's poll loop until
// a frame that matches arrives or the time is up.
internal sealed class FrameCollector
{
    private readonly Kernel kernel = new Kernel(new TestPlatform());
    private readonly INetDevice device;
    private readonly byte[] buffer;
    private readonly List<byte[]> frames = new List<byte[]>();
    private readonly List<FrameOffload> offloads = new List<FrameOffload>();
    private Func<byte[], bool>? match;
    private TaskCompletionSource<byte[]>? found;

    public FrameCollector(INetDevice device)
    {
        this.device = device;
        buffer = new byte[device.Info.MaximumReceiveFrameLength];
        device.ListenForFrames(kernel.Scheduler, Drain);
    }

    public IReadOnlyList<byte[]> Frames => frames;

    // What the device said of each frame in Frames.
    public IReadOnlyList<FrameOffload> Offloads => offloads;

    public int Interrupts { get; private set; }

    public byte[] WaitFor(string what, Func<byte[], bool> predicate, TimeSpan timeout)
    {
        byte[]? already = frames.FirstOrDefault(predicate);
        if (already != null)
        {
            return already;
        }
        match = predicate;
        found = new TaskCompletionSource<byte[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        Task deadline = Task.Delay(timeout);
        kernel.Scheduler.RunUntilCompleted(Task.WhenAny(found.Task, deadline));
        match = null;
        if (!found.Task.IsCompleted)
        {
            Assert.Fail("no " + what + " arrived within " + timeout.TotalSeconds + " s; " + frames.Count + " other frames did: " +
                string.Join(", ", frames.Select(Frame.Describe)));
        }
        return found.Task.Result;
    }

    // Runs the poll loop for a while, taking whatever arrives.
    public void RunFor(TimeSpan time)
    {
        kernel.Scheduler.RunUntilCompleted(Task.Delay(time));
    }

    private void Drain()
    {
        Interrupts++;
        while (device.TryReceive(buffer, out int length, out FrameOffload offload))
        {
            byte[] frame = buffer.AsSpan(0, length).ToArray();
            frames.Add(frame);
            offloads.Add(offload);
            if (match != null && match(frame))
            {
                found!.TrySetResult(frame);
            }
        }
    }
}
