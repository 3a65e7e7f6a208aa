namespace Unikraft.Gen.EndToEnd.Tests;

using System;
using System.Collections.Generic;
using System.IO;
using Xunit;

// One build (or publish) of a sample with the dotnet CLI, made once for a test class.
//
// Every build goes to a private artifacts folder under the temporary directory
// (dotnet build --artifacts-path): the sample restores, compiles and writes its output there. The
// generator chain (generator, graph tool, analyzers, tasks) builds into the test run's one shared
// folder instead (GeneratorChain), once for the run rather than once per class. Nothing under the
// repository's own bin/ and obj/ folders is touched, so a developer's build or another test run
// beside this one cannot clobber it, nor it them.
public abstract class SampleBuild : IDisposable
{
    // NOTE: a cold build of the generator chain takes 20-40 s on two cores (the first build of the
    // run pays it); a NativeAOT publish a minute or two. The limit is there so a hung build fails
    // the run instead of stalling it.
    private static readonly TimeSpan BuildTimeout = TimeSpan.FromMinutes(15);

    private static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(2);

    private readonly string project;

    private Exception? failure;

    // The last BuildAgain's result, when there was one: the build output is then that build's.
    private CommandResult? rebuilt;

    // sample: a folder under samples/, or a project folder relative to the repository root
    // (a test program under tests/).
    protected SampleBuild(string sample, string label, string verb, params string[] options)
    {
        project = sample.Contains('/', StringComparison.Ordinal) ? sample : "samples/" + sample;
        sample = Path.GetFileName(sample);
        Sample = sample;
        Folder = Path.Combine(Path.GetTempPath(), "unikraft-e2e-" + sample.ToLowerInvariant() + "-" + label + "-" + Guid.NewGuid().ToString("N").Substring(0, 8));
        ArtifactsPath = Path.Combine(Folder, "artifacts");
        PublishPath = Path.Combine(Folder, "publish");
        Directory.CreateDirectory(Folder);

        var arguments = new List<string> { verb, project, "--artifacts-path", ArtifactsPath, "-nodeReuse:false" };
        foreach (string option in options)
        {
            arguments.Add(option.Replace("{publish}", PublishPath, StringComparison.Ordinal));
        }
        try
        {
            Result = GeneratorChain.Dotnet(BuildTimeout, arguments.ToArray());
        }
        catch (Exception exception) when (exception is TimeoutException or System.ComponentModel.Win32Exception)
        {
            failure = exception;
        }
    }

    public string Sample { get; }

    // The private folder of this build; removed when the class's tests are done, unless
    // UNIKRAFT_E2E_KEEP=1 asks to keep it for a look.
    public string Folder { get; }

    public string ArtifactsPath { get; }

    // Where a publish puts its output, passed to it as -o.
    public string PublishPath { get; }

    internal CommandResult? Result { get; }

    // Fails the calling test with the build's own output when the build did not succeed.
    internal CommandResult EnsureSucceeded()
    {
        if (failure is not null)
        {
            Assert.Fail("The " + Sample + " build did not finish: " + failure.Message);
        }
        CommandResult result = Result!;
        Assert.True(result.ExitCode == 0, "The " + Sample + " build failed:\n" + result.Describe());
        return result;
    }

    // A file of the sample's build output, wherever the artifacts layout put it
    // (bin/<project>/<configuration>[_<rid>]/).
    public string OutputFile(string fileName)
    {
        EnsureSucceeded();
        if (rebuilt is not null)
        {
            Assert.True(rebuilt.ExitCode == 0, "The " + Sample + " build again failed:\n" + rebuilt.Describe());
        }
        return FindOne(Path.Combine(ArtifactsPath, "bin", Sample), fileName);
    }

    // A file of the build output that BuildAgain kept under that name.
    public string KeptFile(string keptAs, string fileName)
    {
        EnsureSucceeded();
        return FindOne(Path.Combine(Folder, keptAs), fileName);
    }

    // Builds the sample once more into the same artifacts folder with other options, after
    // copying the output so far to Folder/<keepAs> (a build output folder runs from wherever it
    // is). Only the program compiles again, into the same folder: a sample whose build properties
    // decide its kernel (its network device) gets each variant from one fixture.
    protected void BuildAgain(string keepAs, params string[] options)
    {
        if (failure is not null || Result is null || Result.ExitCode != 0)
        {
            return;
        }
        CopyFolder(Path.Combine(ArtifactsPath, "bin", Sample), Path.Combine(Folder, keepAs));
        var arguments = new List<string> { "build", project, "--artifacts-path", ArtifactsPath, "-nodeReuse:false" };
        arguments.AddRange(options);
        try
        {
            rebuilt = GeneratorChain.Dotnet(BuildTimeout, arguments.ToArray());
        }
        catch (Exception exception) when (exception is TimeoutException or System.ComponentModel.Win32Exception)
        {
            failure = exception;
        }
    }

    // `dotnet build` of the sample once more into this build's artifacts folder with these options
    // (one target, as -t:UnikraftExplain), and its result whatever it is: the test decides what a
    // failure means.
    internal CommandResult BuildOnce(params string[] options)
    {
        EnsureSucceeded();
        var arguments = new List<string> { "build", project, "--artifacts-path", ArtifactsPath, "-nodeReuse:false" };
        arguments.AddRange(options);
        return GeneratorChain.Dotnet(BuildTimeout, arguments.ToArray());
    }

    private static string FindOne(string folder, string fileName)
    {
        string[] found = Directory.GetFiles(folder, fileName, SearchOption.AllDirectories);
        Assert.True(found.Length == 1, "Expected one " + fileName + " under " + folder + ", found " + found.Length + ": " + string.Join(", ", found));
        return found[0];
    }

    private static void CopyFolder(string from, string to)
    {
        foreach (string directory in Directory.GetDirectories(from, "*", SearchOption.AllDirectories))
        {
            Directory.CreateDirectory(Path.Combine(to, Path.GetRelativePath(from, directory)));
        }
        Directory.CreateDirectory(to);
        foreach (string file in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
        {
            File.Copy(file, Path.Combine(to, Path.GetRelativePath(from, file)), overwrite: true);
        }
    }

    // A file of the sample's intermediate output (obj/<project>/...), such as the NativeAOT
    // compiler's response file or its mstat.
    public string IntermediateFile(string fileName)
    {
        EnsureSucceeded();
        string[] found = Directory.GetFiles(Path.Combine(ArtifactsPath, "obj", Sample), fileName, SearchOption.AllDirectories);
        Assert.True(found.Length == 1, "Expected one " + fileName + " under " + ArtifactsPath + "/obj, found " + found.Length + ": " + string.Join(", ", found));
        return found[0];
    }

    // `dotnet run --no-build` on this build: the program runs from the output just built, as a
    // user's `dotnet run` would after its build step.
    internal CommandResult RunWithDotnet(IReadOnlyDictionary<string, string>? environment = null)
    {
        EnsureSucceeded();
        return Command.Dotnet(RunTimeout, environment,
            "run", "--project", project, "--no-build", "--artifacts-path", ArtifactsPath);
    }

    // The same `dotnet run --no-build`, under `strace -f` with these options (the trace goes to
    // traceFile), passing arguments to the program.
    internal CommandResult RunWithDotnetTraced(string traceFile, string traceOptions, params string[] arguments)
    {
        EnsureSucceeded();
        var command = new List<string> { "-f", "-o", traceFile, "-e", traceOptions,
            "dotnet", "run", "--project", project, "--no-build", "--artifacts-path", ArtifactsPath, "--" };
        command.AddRange(arguments);
        return Command.Run("strace", command, Repository.Root, RunTimeout);
    }

    // A published native binary, run directly.
    internal CommandResult RunPublished(IReadOnlyDictionary<string, string>? environment = null)
    {
        EnsureSucceeded();
        string binary = Path.Combine(PublishPath, Sample);
        Assert.True(File.Exists(binary), "No native binary at " + binary + "; the publish folder holds: " +
            string.Join(", ", Directory.Exists(PublishPath) ? Directory.GetFiles(PublishPath) : Array.Empty<string>()));
        return Command.Run(binary, Array.Empty<string>(), Folder, RunTimeout, environment);
    }

    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing)
    {
        if (!disposing || Environment.GetEnvironmentVariable("UNIKRAFT_E2E_KEEP") == "1")
        {
            return;
        }
        try
        {
            Directory.Delete(Folder, recursive: true);
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
