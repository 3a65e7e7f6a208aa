namespace Unikraft.Sim.Tests;

using System;
using System.Diagnostics;
using System.IO;
using Xunit;

// The checkers can fail: a receiver that skips de-duplication is caught on some seed, and the
// replay command the failure prints reproduces the same failure in a fresh process.
public class InjectedBugTests
{
    [Fact]
    public void ReceiverWithoutDeduplication_IsCaught_AndTheReplayCommandReproducesIt()
    {
        if (SimHarness.ReplaySeed().HasValue)
        {
            return;
        }
        SimFailure? failure = null;
        ulong seed = 1;
        for (; seed <= 200 && failure == null; seed++)
        {
            try
            {
                SimHarness.RunOne("NetworkScenarios.BuggyReceiverWithoutDeduplication", seed,
                    world => NetworkScenarios.Exchange(world, skipDeduplication: true));
            }
            catch (SimFailure caught)
            {
                failure = caught;
            }
        }
        Assert.NotNull(failure);
        ulong failingSeed = seed - 1;
        string command = SimHarness.ReplayCommand("NetworkScenarios.BuggyReceiverWithoutDeduplication", failingSeed);
        Assert.Contains("Replay: " + command, failure!.Message, StringComparison.Ordinal);
        Assert.Contains("at most once and in order", failure.Message, StringComparison.Ordinal);

        // Run the printed command as printed (plus --no-build: this very build is the one to replay).
        string root = RepositoryRoot();
        ProcessStartInfo start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (string part in Split(command.Substring(command.IndexOf("dotnet ", StringComparison.Ordinal) + "dotnet ".Length)))
        {
            start.ArgumentList.Add(part);
        }
        start.ArgumentList.Add("--no-build");
        start.Environment[SimHarness.SeedVariable] = failingSeed.ToString(System.Globalization.CultureInfo.InvariantCulture);
        start.Environment["MSBUILDNOINPROCNODE"] = "1";
        using Process process = Process.Start(start)!;
        string output = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
        process.WaitForExit();

        Assert.True(process.ExitCode != 0, "the replay passed:\n" + output);
        string firstLine = failure.Message.Split('\n')[0];
        Assert.Contains(firstLine.Trim(), output, StringComparison.Ordinal);
        Assert.Contains(failure.InnerException!.Message, output, StringComparison.Ordinal);
    }

    // Splits a shell command line at spaces outside double quotes, dropping the quotes.
    private static System.Collections.Generic.List<string> Split(string commandLine)
    {
        System.Collections.Generic.List<string> parts = new System.Collections.Generic.List<string>();
        System.Text.StringBuilder current = new System.Text.StringBuilder();
        bool quoted = false;
        foreach (char value in commandLine)
        {
            if (value == '"')
            {
                quoted = !quoted;
            }
            else if (value == ' ' && !quoted)
            {
                if (current.Length > 0)
                {
                    parts.Add(current.ToString());
                    current.Clear();
                }
            }
            else
            {
                current.Append(value);
            }
        }
        if (current.Length > 0)
        {
            parts.Add(current.ToString());
        }
        return parts;
    }

    private static string RepositoryRoot()
    {
        string? directory = AppContext.BaseDirectory;
        while (directory != null && !File.Exists(Path.Combine(directory, "Unikraft.Gen.sln")))
        {
            directory = Path.GetDirectoryName(directory);
        }
        return directory ?? throw new InvalidOperationException("no Unikraft.Gen.sln above " + AppContext.BaseDirectory);
    }
}
