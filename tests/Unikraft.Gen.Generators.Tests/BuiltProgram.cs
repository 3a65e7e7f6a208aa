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

    public BuiltProgram(GeneratorHarness.Result result, string label)
    {
        _folder = Path.Combine(Path.GetTempPath(), "unikraft-gen-tests", label + "-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_folder);
        Assembly = Path.Combine(_folder, "App.dll");
        EmitResult emit = result.Output.Emit(Assembly);
        Assert.True(emit.Success, string.Join("\n", emit.Diagnostics));
        File.WriteAllText(Path.Combine(_folder, "App.runtimeconfig.json"),
            """{"runtimeOptions":{"tfm":"net10.0","framework":{"name":"Microsoft.NETCore.App","version":"10.0.0"},"rollForward":"LatestPatch"}}""");
    }

    public string Assembly { get; }

    // Runs the program with no standard input; fails the test if it does not end within a minute.
    public async Task<(int Status, string Output, string Error)> RunAsync(IReadOnlyDictionary<string, string> environment, params string[] arguments)
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
        process.StandardInput.Close();
        Task<string> error = process.StandardError.ReadToEndAsync();
        string output = await process.StandardOutput.ReadToEndAsync();
        Assert.True(process.WaitForExit(60_000), "the program did not exit within a minute");
        return (process.ExitCode, output, await error);
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);
}
