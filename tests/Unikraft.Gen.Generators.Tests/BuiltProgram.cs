using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Emit;
using Xunit;

namespace Unikraft.Gen.Tests;

// A program the harness compiled with its kernel, written to a private folder as App.dll with a
// runtimeconfig, so `dotnet App.dll` runs it as the SDK's output would. Disposing removes it.
internal sealed class BuiltProgram : IDisposable
{
    private readonly string _folder;

    public BuiltProgram(GeneratorHarness.Result result, string label, IEnumerable<ResourceDescription>? resources = null)
    {
        _folder = Path.Combine(Path.GetTempPath(), "unikraft-gen-tests", label + "-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_folder);
        Assembly = Path.Combine(_folder, "App.dll");
        EmitResult emit = result.Output.Emit(Assembly, manifestResources: resources);
        Assert.True(emit.Success, string.Join("\n", emit.Diagnostics));
        // STARTUP_HOOKS as the package's targets write it (UnikraftStartupHook): the boot runs Main
        // from the hook, not from the module initializer, which would hold back every other
        // thread that runs the program's code (the kernel's threads of control among them).
        File.WriteAllText(Path.Combine(_folder, "App.runtimeconfig.json"),
            """{"runtimeOptions":{"tfm":"net10.0","framework":{"name":"Microsoft.NETCore.App","version":"10.0.0"},"rollForward":"LatestPatch","configProperties":{"STARTUP_HOOKS":"App"}}}""");
    }

    public string Assembly { get; }

    // Runs the program with no standard input; fails the test if it does not end within a minute.
    public Task<(int Status, string Output, string Error)> RunAsync(IReadOnlyDictionary<string, string> environment, params string[] arguments) =>
        RunWithInputAsync("", environment, arguments);

    // Runs the program with input as its standard input (then closed); fails the test if it does
    // not end within a minute.
    public async Task<(int Status, string Output, string Error)> RunWithInputAsync(string input, IReadOnlyDictionary<string, string> environment,
        params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        start.ArgumentList.Add(Assembly);
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (KeyValuePair<string, string> variable in environment)
        {
            start.Environment[variable.Key] = variable.Value;
        }

        using Process process = Process.Start(start)!;
        Task<string> error = process.StandardError.ReadToEndAsync();
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        try
        {
            await process.StandardInput.WriteAsync(input);
            process.StandardInput.Close();
        }
        catch (IOException)
        {
            // The program ended without reading all of its input.
        }

        if (!process.WaitForExit(60_000))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail("the program did not exit within a minute; its output: " + await output + "\n" + await error);
        }

        return (process.ExitCode, await output, await error);
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);
}
