namespace Unikraft.Gen.EndToEnd.Tests;

using System;
using System.Linq;
using Xunit;

// `dotnet new worker`, the template a .NET developer starts a background service from:
// Microsoft.Extensions.Hosting with configuration from appsettings.json (here with one level
// changed, as a developer changes it, to show the kernel's copy is read) and from every
// environment variable, the console logger (whose Windows path declares P/Invokes into
// kernel32.dll) and a BackgroundService that logs every second. Its sources are the template's,
// unmodified (Programs/WorkerService); it builds with no UK0301 and, started as `dotnet run`
// starts it, logs on the kernel's console and timers until SIGTERM ends it cleanly, as a service
// manager asks.
public sealed class WorkerTemplateTests : IClassFixture<WorkerTemplateTests.Build>
{
    private readonly Build build;

    public WorkerTemplateTests(Build build)
    {
        this.build = build;
    }

    [Fact]
    public void WorkerTemplate_BuildsWithNoUK0301_LogsEverySecond_AndSigtermEndsIt()
    {
        CommandResult result = build.EnsureSucceeded();
        Assert.DoesNotContain("UK0301", result.StandardOutput + result.StandardError, StringComparison.Ordinal);

        using KestrelServer worker = KestrelServer.StartHost(build.OutputFile("WorkerService"), "Worker running at:");
        worker.WaitUntilListening();
        DateTime end = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (CountRuns(worker.Output) < 3 && DateTime.UtcNow < end)
        {
            System.Threading.Thread.Sleep(100);
        }

        int status = worker.Stop();
        string output = worker.Output;
        Assert.True(CountRuns(output) >= 3, "fewer than three runs of the worker in 20 s:\n" + output);
        Assert.True(status == 0, "status " + status + ":\n" + output);
        Assert.Contains("Unikraft.Gen kernel (hosted) for WorkerService", output, StringComparison.Ordinal);
        // appsettings.json, which the build copies beside the program, is in the kernel's root
        // (UnikraftOutputFilesRoot) and read: its Microsoft.Hosting.Lifetime level of Warning
        // keeps the host's start and stop lines out; without it they are logged.
        Assert.Contains("libraries: console, core, initrd,", output, StringComparison.Ordinal);
        Assert.DoesNotContain("Application started. Press Ctrl+C to shut down.", output, StringComparison.Ordinal);
        Assert.DoesNotContain("Application is shutting down...", output, StringComparison.Ordinal);
        Assert.DoesNotContain("[uk] confinement", output, StringComparison.Ordinal);
    }

    private static int CountRuns(string output) =>
        output.Split('\n').Count(line => line.Contains("Worker running at:", StringComparison.Ordinal));

    public sealed class Build : SampleBuild
    {
        public Build()
            : base("tests/Unikraft.Gen.EndToEnd.Tests/Programs/WorkerService", "hosted", "build")
        {
        }
    }
}
