namespace Unikraft.Gen.EndToEnd.Tests;

using System;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.Text.Json;
using System.Text.RegularExpressions;
using Xunit;

// Linux's own iperf3 client measures the kernel's TCP both ways: Programs/Iperf3Server speaks
// iperf3's control protocol on the BCL's TcpListener and Socket, built as a user builds it and run
// from `dotnet run`'s build output on the kernel's TCP/IP stack on a TAP device, inside a network
// namespace; `iperf3 -c` runs in the namespace, with -J, and its JSON report is the evidence.
public sealed class Iperf3Tests : IClassFixture<Iperf3Tests.Build>
{
    private const string Program = "tests/Unikraft.Gen.EndToEnd.Tests/Programs/Iperf3Server";

    // NOTE: iperf3 counts what the receiver read until TEST_END, and the sender every byte it
    // wrote; what was still queued between the two programs then is counted by the sender only.
    // That is bounded by the buffers between them: Linux's send buffer (tcp_wmem's maximum,
    // 4 MiB) and the kernel's receive window (256 KiB) one way, the kernel's send buffer (256 KiB)
    // and what Linux had received but iperf3 not yet read the other way (iperf3 keeps reading
    // after TEST_END in reverse mode). Linux against Linux over loopback differs by a few MB too.
    private const long MostInFlight = 8L << 20;

    private readonly Build build;

    public Iperf3Tests(Build build)
    {
        this.build = build;
    }

    [NetFact]
    public void LinuxIperf3Client_MeasuresBothWays_AndBothSidesCountAlike()
    {
        using NetNamespace space = NetNamespace.Create("iperf");
        using Process server = space.Start(build.OutputFile("Iperf3Server"));
        try
        {
            space.ConfigureTap("uk0");
            Listening(server);

            JsonElement upload = Measure(space, "-t", "2", "-J");
            JsonElement download = Measure(space, "-t", "2", "-R", "-J");

            (long uploadSent, long uploadReceived) = Agree(upload, reverse: false);
            (long downloadSent, long downloadReceived) = Agree(download, reverse: true);
            server.StandardInput.Close();
            string output = Finish(server);
            // The server's own counts are what the client reported for its side: the results
            // crossed the control connection intact (receiver's in the normal test, sender's in
            // the reverse one).
            Assert.Equal([uploadReceived, downloadSent], Counted(output));
            Assert.Contains("test 1: TCP, normal, 1 stream(s), 2 s", output, StringComparison.Ordinal);
            Assert.Contains("test 2: TCP, reverse, 1 stream(s), 2 s", output, StringComparison.Ordinal);
            Assert.EndsWith("stopped after 2 test(s)\n", output, StringComparison.Ordinal);
            Assert.True(uploadSent > 0 && downloadReceived > 0);
        }
        finally
        {
            Stop(server);
        }
    }

    // A UDP test is refused as iperf3 refuses what it cannot do: SERVER_ERROR with iperf3's own
    // error number, which the client prints; the server lives on and runs the next test, here two
    // parallel streams.
    [NetFact]
    public void UdpTest_IsRefusedWithIperf3sOwnError_AndTheNextTestRuns()
    {
        using NetNamespace space = NetNamespace.Create("iperfu");
        using Process server = space.Start(build.OutputFile("Iperf3Server"));
        try
        {
            space.ConfigureTap("uk0");
            Listening(server);

            CommandResult udp = space.Try("iperf3", "-c", "198.18.0.2", "-u", "-t", "1", "-J");
            using (JsonDocument refused = JsonDocument.Parse(udp.StandardOutput))
            {
                Assert.Equal("unable to start stream listener: Protocol not supported", refused.RootElement.GetProperty("error").GetString());
            }
            JsonElement parallel = Measure(space, "-t", "1", "-P", "2", "-J");
            Assert.Equal(2, parallel.GetProperty("end").GetProperty("streams").GetArrayLength());
            Agree(parallel, reverse: false);

            server.StandardInput.Close();
            string output = Finish(server);
            Assert.Contains("test 1: refused: UDP tests (-u) are not served", output, StringComparison.Ordinal);
            Assert.Contains("test 2: TCP, normal, 2 stream(s), 1 s", output, StringComparison.Ordinal);
        }
        finally
        {
            Stop(server);
        }
    }

    private static JsonElement Measure(NetNamespace space, params string[] options)
    {
        CommandResult result = space.Run("iperf3", ["-c", "198.18.0.2", .. options]);
        using JsonDocument report = JsonDocument.Parse(result.StandardOutput);
        Assert.False(report.RootElement.TryGetProperty("error", out JsonElement error), "iperf3 " + string.Join(' ', options) + ": " + error);
        return report.RootElement.Clone();
    }

    // Both sums have bytes, the receiver's no more than the sender's and short of it by at most
    // what was in flight at the end; the client was the sender unless the test was reverse.
    private static (long Sent, long Received) Agree(JsonElement report, bool reverse)
    {
        JsonElement end = report.GetProperty("end");
        JsonElement sent = end.GetProperty("sum_sent");
        JsonElement received = end.GetProperty("sum_received");
        long sentBytes = sent.GetProperty("bytes").GetInt64();
        long receivedBytes = received.GetProperty("bytes").GetInt64();
        string figures = (reverse ? "reverse" : "normal") + ": sent " + sentBytes + ", received " + receivedBytes;
        Assert.True(receivedBytes > 0, figures);
        Assert.True(receivedBytes <= sentBytes, figures);
        Assert.True(sentBytes - receivedBytes <= MostInFlight, figures);
        Assert.Equal(!reverse, sent.GetProperty("sender").GetBoolean());
        Assert.True(sent.GetProperty("seconds").GetDouble() > 0.5 && received.GetProperty("seconds").GetDouble() > 0.5, figures);
        return (sentBytes, receivedBytes);
    }

    // The server's "received N bytes" or "sent N bytes", one per test.
    private static long[] Counted(string output)
    {
        return Regex.Matches(output, @"done: stream 1: (?:received|sent) (\d+) bytes")
            .Select(match => long.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture))
            .ToArray();
    }

    private static void Listening(Process server)
    {
        var line = server.StandardOutput.ReadLineAsync();
        Assert.True(line.Wait(TimeSpan.FromSeconds(60)), "the server did not say it listens");
        Assert.Equal("listening on 0.0.0.0:5201", line.Result);
    }

    private static string Finish(Process server)
    {
        Assert.True(server.WaitForExit(TimeSpan.FromSeconds(30)), "the server did not end when its standard input closed");
        string output = server.StandardOutput.ReadToEnd();
        string error = server.StandardError.ReadToEnd();
        Assert.True(server.ExitCode == 0, output + error);
        return output;
    }

    private static void Stop(Process server)
    {
        if (!server.HasExited)
        {
            server.Kill(entireProcessTree: true);
            server.WaitForExit();
        }
    }

    public sealed class Build : SampleBuild
    {
        public Build()
            : base(Program, "tap", "build")
        {
        }
    }
}
