namespace Unikraft.Gen.EndToEnd.Tests;

using System;
using System.Collections;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Text;
using System.Threading.Tasks;

// What one finished command printed and returned.
internal sealed record CommandResult(string Display, int ExitCode, string StandardOutput, string StandardError, TimeSpan Elapsed)
{
    // stderr's lines without their line endings; an empty stderr has no lines.
    public string[] ErrorLines => StandardError.Length == 0
        ? Array.Empty<string>()
        : StandardError.TrimEnd('\n').Split('\n');

    // Everything needed to see why a command failed, for assertion messages.
    public string Describe()
    {
        return "$ " + Display + "\n(exit " + ExitCode + " after " + Elapsed.TotalSeconds.ToString("0.0", System.Globalization.CultureInfo.InvariantCulture) + " s)\n" +
            "--- stdout ---\n" + Tail(StandardOutput) + "\n--- stderr ---\n" + Tail(StandardError);
    }

    // A failed build can print thousands of lines; the errors are at the end.
    private static string Tail(string text)
    {
        const int Keep = 12000;
        return text.Length <= Keep ? text : "[…]" + text.Substring(text.Length - Keep);
    }
}

// Runs a program as a user would from a shell, capturing stdout and stderr exactly.
internal static class Command
{
    // Variables that the test host inherits from `dotnet test` and that would steer a nested
    // dotnet CLI (MSBuild's own paths, the test platform's settings), plus the kernel's trace
    // switch, which each test sets itself when it wants it.
    private static readonly string[] ScrubbedPrefixes = ["MSBUILD", "VSTEST", "UNIKRAFT_"];

    private static readonly object TimingGate = new object();

    public static CommandResult Run(
        string fileName,
        IEnumerable<string> arguments,
        string workingDirectory,
        TimeSpan timeout,
        IReadOnlyDictionary<string, string>? environment = null,
        string? input = null)
    {
        var start = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = new UTF8Encoding(false),
            StandardErrorEncoding = new UTF8Encoding(false),
        };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        foreach (DictionaryEntry variable in Environment.GetEnvironmentVariables())
        {
            string name = (string)variable.Key;
            foreach (string prefix in ScrubbedPrefixes)
            {
                if (name.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
                {
                    start.Environment.Remove(name);
                }
            }
        }
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1";
        // MSBuild worker nodes left running would hold the output pipes open after the build.
        start.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        if (environment is not null)
        {
            foreach (KeyValuePair<string, string> pair in environment)
            {
                start.Environment[pair.Key] = pair.Value;
            }
        }

        string display = fileName + " " + string.Join(" ", start.ArgumentList);
        var stopwatch = Stopwatch.StartNew();
        using var process = new Process { StartInfo = start };
        process.Start();
        if (input is not null)
        {
            process.StandardInput.Write(input);
        }
        process.StandardInput.Close();

        // Read both streams to their end concurrently: a full pipe would block the child.
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        Task<string> error = process.StandardError.ReadToEndAsync();

        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            throw new TimeoutException("Still running after " + timeout.TotalSeconds + " s, killed: " + display);
        }
        stopwatch.Stop();

        // A build server started by the command may keep the pipes open after the command itself
        // has exited; what it printed is complete by then, so wait a little and take it.
        Task.WaitAll([output, error], TimeSpan.FromSeconds(10));
        string standardOutput = output.IsCompletedSuccessfully ? output.Result : "[stdout still open after exit]";
        string standardError = error.IsCompletedSuccessfully ? error.Result : "[stderr still open after exit]";
        return new CommandResult(display, process.ExitCode, standardOutput, standardError, stopwatch.Elapsed);
    }

    // The dotnet CLI, from the repository root, as a user at a shell there would type it.
    public static CommandResult Dotnet(TimeSpan timeout, IReadOnlyDictionary<string, string>? environment, params string[] arguments)
    {
        CommandResult result = Run("dotnet", arguments, Repository.Root, timeout, environment);
        LogTiming(result);
        return result;
    }

    // UNIKRAFT_E2E_TIMINGS=<file> appends a line per dotnet command to that file (seconds, exit
    // code, the command): where a test run's time goes, as the builds are most of it.
    private static void LogTiming(CommandResult result)
    {
        string? file = Environment.GetEnvironmentVariable("UNIKRAFT_E2E_TIMINGS");
        if (string.IsNullOrEmpty(file))
        {
            return;
        }
        string line = result.Elapsed.TotalSeconds.ToString("0.0", System.Globalization.CultureInfo.InvariantCulture) +
            "\t" + result.ExitCode + "\t" + result.Display + "\n";
        lock (TimingGate)
        {
            File.AppendAllText(file, line);
        }
    }
}
