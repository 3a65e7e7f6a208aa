namespace Unikraft.Gen.EndToEnd.Tests;

using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;

// The generator chain (the generator, its graph tool, the analyzers, the code fixes and the
// Unikraft MSBuild tasks) built once per test run, into an artifacts folder of its own that every
// sample build then finds up to date.
//
// A sample still builds into its private artifacts folder; only its project references to the
// chain point here (GeneratorChain.targets). The chain builds with the sample's other global
// properties, so a Debug build and a Release publish each have their own output beside the other
// (bin/<project>/debug, bin/<project>/release), and every build after the first of its
// configuration finds the chain up to date: a few seconds, where a cold build of the chain takes
// 20-40 s on two cores, once per test class before. The folder is under the temporary directory
// and unique to the test run, so a developer's bin/ and obj/ folders and another test run beside
// this one stay apart from it, as from the samples' folders.
//
// Two builds writing the chain at once would clobber each other, so the builds that use it run one
// at a time, whatever the test collections' parallelism (AssemblyInfo.cs turns it off anyway).
internal static class GeneratorChain
{
    // The chain's projects a restore starts from; it walks their references (the graph tool, the
    // analyzers) from there.
    private static readonly string[] Roots =
    [
        "generators/Unikraft.Gen.Generators",
        "analyzers/Unikraft.Gen.CodeFixes",
        "generators/Unikraft.Gen.Tasks",
    ];

    // The folder's name: this prefix, the test host's process id, a dash and a unique suffix.
    private const string Prefix = "unikraft-e2e-chain-";

    private static readonly object Gate = new object();

    private static string? folder;

    // The first failed restore: every build that needs the chain fails with it.
    private static CommandResult? failedRestore;

    // `dotnet <arguments>` for a command that builds a sample (build, publish, a build of one
    // target), with the chain from the shared folder. A failed restore of the chain is returned as
    // the command's result, so the test's message shows why.
    public static CommandResult Dotnet(TimeSpan timeout, params string[] arguments)
    {
        lock (Gate)
        {
            CommandResult? restore = EnsureRestored(timeout);
            if (restore is not null)
            {
                return restore;
            }
            var all = new List<string>(arguments)
            {
                "-p:CustomAfterMicrosoftCommonTargets=" + Path.Combine(Repository.Root, "tests", "Unikraft.Gen.EndToEnd.Tests", "Support", "GeneratorChain.targets"),
                "-p:UnikraftSharedChainPath=" + folder,
            };
            return Command.Dotnet(timeout, null, all.ToArray());
        }
    }

    // The environment that gives a command a build starts by itself (`dotnet run` on microvm
    // publishes the image with a nested `dotnet publish`) the shared chain too: MSBuild reads
    // environment variables as properties, in every build below the command.
    public static Dictionary<string, string> NestedBuildEnvironment(TimeSpan timeout)
    {
        lock (Gate)
        {
            CommandResult? restore = EnsureRestored(timeout);
            Xunit.Assert.True(restore is null, "The generator chain's restore failed:\n" + restore?.Describe());
            return new Dictionary<string, string>
            {
                ["CustomAfterMicrosoftCommonTargets"] = Path.Combine(Repository.Root, "tests", "Unikraft.Gen.EndToEnd.Tests", "Support", "GeneratorChain.targets"),
                ["UnikraftSharedChainPath"] = folder!,
            };
        }
    }

    // A sample's restore walks its project references without their AdditionalProperties, so it
    // writes the chain's assets files to the sample's own folder; the chain's builds read them from
    // the shared folder, so they are restored there here, once.
    private static CommandResult? EnsureRestored(TimeSpan timeout)
    {
        if (folder is not null || failedRestore is not null)
        {
            return failedRestore;
        }
        RemoveLeftovers();
        string path = Path.Combine(Path.GetTempPath(), Prefix + Environment.ProcessId + "-" + Guid.NewGuid().ToString("N").Substring(0, 8));
        Directory.CreateDirectory(path);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Remove(path);
        foreach (string root in Roots)
        {
            CommandResult restore = Command.Dotnet(timeout, null, "restore", root, "--artifacts-path", path, "-nodeReuse:false");
            if (restore.ExitCode != 0)
            {
                failedRestore = restore;
                return restore;
            }
        }
        folder = path;
        return null;
    }

    // The folders of earlier runs whose test host is gone: the test platform may stop the host
    // before, or while, its exit handler removes the folder. A folder whose process id has been
    // taken again since is left alone, as is every folder of a run still going.
    private static void RemoveLeftovers()
    {
        foreach (string leftover in Directory.GetDirectories(Path.GetTempPath(), Prefix + "*"))
        {
            string name = Path.GetFileName(leftover);
            int dash = name.IndexOf('-', Prefix.Length);
            if (dash < 0 || !int.TryParse(name.AsSpan(Prefix.Length, dash - Prefix.Length), out int processId) || IsRunning(processId))
            {
                continue;
            }
            Remove(leftover);
        }
    }

    private static bool IsRunning(int processId)
    {
        try
        {
            using Process process = Process.GetProcessById(processId);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    // Removed when the test run ends, unless UNIKRAFT_E2E_KEEP=1 asks to keep it for a look.
    private static void Remove(string path)
    {
        if (Environment.GetEnvironmentVariable("UNIKRAFT_E2E_KEEP") == "1")
        {
            return;
        }
        try
        {
            Directory.Delete(path, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temporary folder is not worth failing the run for.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
