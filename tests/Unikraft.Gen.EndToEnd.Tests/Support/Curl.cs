namespace Unikraft.Gen.EndToEnd.Tests;

using System;
using System.IO;
using Xunit;

// curl, on the host or inside a network namespace, as a client of a server under test.
internal static class Curl
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(1);

    public static CommandResult OnHost(string[] arguments)
    {
        CommandResult result = Command.Run("curl", arguments, Path.GetTempPath(), Timeout);
        Assert.True(result.ExitCode == 0, result.Describe());
        return result;
    }

    public static CommandResult In(NetNamespace space, string[] arguments)
    {
        return space.Run("curl", arguments);
    }

    // Whether anything answers HTTP at url now.
    public static bool Answers(string url)
    {
        return Command.Run("curl", ["-s", "-o", "/dev/null", "--max-time", "5", url], Path.GetTempPath(), Timeout).ExitCode == 0;
    }
}
