namespace Unikraft.Gen.EndToEnd.Tests;

using System;
using System.Diagnostics;
using System.IO;
using System.Text.RegularExpressions;
using Xunit;

// A program with <UnikraftNet Type="tap">, built as a user builds it and run as `dotnet run` runs
// it, inside a network namespace: its kernel creates the TAP device there, and Linux's own stack
// and tools (ping, arping) talk to the kernel's ARP, IPv4 and ICMP across it. The program itself
// only waits on its standard input.
public sealed class NetPingTests : IClassFixture<NetPingTests.Build>
{
    private const string Program = "tests/Unikraft.Gen.EndToEnd.Tests/Programs/NetPing";

    private readonly Build build;

    public NetPingTests(Build build)
    {
        this.build = build;
    }

    [NetFact]
    public void KernelOnTap_AnswersArpAndPing_WithNoLoss_AndReassemblesLargePings()
    {
        using NetNamespace space = NetNamespace.Create("ping");
        using Process running = space.Start(build.KeptFile("echo", "NetPing"));
        try
        {
            space.ConfigureTap("uk0");

            CommandResult arping = space.Run("arping", "-c", "3", "-w", "10", "-I", "uk0", "198.18.0.2");
            Assert.Contains("3 packets received", arping.StandardOutput, StringComparison.Ordinal);

            // NOTE: the figure: a thousand pings 2 ms apart, none lost.
            CommandResult flood = space.Run("ping", "-c", "1000", "-i", "0.002", "-W", "2", "-q", "198.18.0.2");
            Assert.Contains("1000 packets transmitted, 1000 received, 0% packet loss", flood.StandardOutput, StringComparison.Ordinal);

            // 8000 bytes of payload leave Linux as six fragments; the kernel reassembles them and
            // its reply comes back fragmented the same way.
            CommandResult large = space.Run("ping", "-c", "3", "-s", "8000", "-W", "2", "198.18.0.2");
            Assert.Contains("3 packets transmitted, 3 received, 0% packet loss", large.StandardOutput, StringComparison.Ordinal);
            Assert.Equal(3, Regex.Matches(large.StandardOutput, "8008 bytes from 198.18.0.2").Count);

            running.StandardInput.WriteLine("bye");
            running.StandardInput.Close();
            Assert.True(running.WaitForExit(TimeSpan.FromSeconds(30)), "the program did not end after its input did");
            string output = running.StandardOutput.ReadToEnd();
            string error = running.StandardError.ReadToEnd();
            Assert.True(running.ExitCode == 0, output + error);
            Assert.Equal("up\nread bye\ndown\n", output);
            Assert.Contains("[uk] net eth0: 198.18.0.2/24 via 198.18.0.1", error, StringComparison.Ordinal);
        }
        finally
        {
            if (!running.HasExited)
            {
                running.Kill(entireProcessTree: true);
                running.WaitForExit();
            }
        }
    }

    // UnikraftIcmpEcho=false: the same program, its kernel without the echo answer. ARP still
    // answers (the host is there), ping gets nothing back.
    [NetFact]
    public void KernelBuiltWithoutIcmpEcho_AnswersArp_ButNotPing()
    {
        using NetNamespace space = NetNamespace.Create("noping");
        using Process running = space.Start(build.OutputFile("NetPing"));
        try
        {
            space.ConfigureTap("uk0");

            CommandResult arping = space.Run("arping", "-c", "3", "-w", "10", "-I", "uk0", "198.18.0.2");
            Assert.Contains("3 packets received", arping.StandardOutput, StringComparison.Ordinal);
            // ping ends with status 1 when no reply came.
            CommandResult ping = space.Try("ping", "-c", "3", "-i", "0.2", "-W", "1", "198.18.0.2");
            Assert.True(ping.ExitCode == 1, ping.Describe());
            Assert.Contains("3 packets transmitted, 0 received, 100% packet loss", ping.StandardOutput, StringComparison.Ordinal);

            running.StandardInput.WriteLine("bye");
            running.StandardInput.Close();
            Assert.True(running.WaitForExit(TimeSpan.FromSeconds(30)), "the program did not end after its input did");
            Assert.True(running.ExitCode == 0, running.StandardOutput.ReadToEnd() + running.StandardError.ReadToEnd());
        }
        finally
        {
            if (!running.HasExited)
            {
                running.Kill(entireProcessTree: true);
                running.WaitForExit();
            }
        }
    }

    public sealed class Build : SampleBuild
    {
        public Build()
            : base(Program, "tap", "build")
        {
            // The default build is kept as "echo"; the output is then the same program without
            // the echo answer.
            BuildAgain("echo", "-p:UnikraftIcmpEcho=false");
        }
    }
}
