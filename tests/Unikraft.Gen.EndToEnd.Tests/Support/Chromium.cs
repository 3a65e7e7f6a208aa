namespace Unikraft.Gen.EndToEnd.Tests;

using System;
using System.Collections.Generic;
using System.IO;
using Xunit;

// Headless Chromium (Debian package chromium), for the tests that look at a page as a browser
// renders it. Every run has a new profile folder and no network side channel: no background
// networking, no component updates, no sync, no QUIC.
internal static class Chromium
{
    private static readonly string[] Names = ["chromium", "chromium-browser", "google-chrome"];

    public static string? Path => Find();

    // The page's DOM after load, as the browser serialises it. With a virtual time budget the
    // browser first lets the page's scripts and their fetches run for that long (virtual time:
    // it ends as soon as nothing is left to do).
    public static string DumpDom(string page, int virtualTimeBudgetMilliseconds = 0) => virtualTimeBudgetMilliseconds > 0
        ? Run(page, "--dump-dom", "--virtual-time-budget=" + virtualTimeBudgetMilliseconds).StandardOutput
        : Run(page, "--dump-dom").StandardOutput;

    // A PNG screenshot of the page.
    public static void Screenshot(string page, string png, int width = 1200, int height = 1600)
    {
        File.Delete(png);
        CommandResult result = Run(page, "--screenshot=" + png, "--window-size=" + width + "," + height, "--hide-scrollbars");
        Assert.True(File.Exists(png), "Chromium wrote no screenshot at " + png + ":\n" + result.Describe());
    }

    private static CommandResult Run(string page, params string[] what)
    {
        string browser = Path ?? throw new InvalidOperationException("chromium is not installed (apt-get install chromium)");
        string profile = Directory.CreateTempSubdirectory("unikraft-chromium-").FullName;
        try
        {
            var arguments = new List<string>
            {
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--user-data-dir=" + profile,
            };
            arguments.AddRange(what);
            arguments.Add(new Uri(page).AbsoluteUri);
            CommandResult result = Command.Run(browser, arguments, profile, TimeSpan.FromMinutes(2));
            Assert.True(result.ExitCode == 0, "Chromium failed on " + page + ":\n" + result.Describe());
            return result;
        }
        finally
        {
            try
            {
                Directory.Delete(profile, recursive: true);
            }
            catch (IOException)
            {
                // A profile folder left behind in the temporary directory is not worth failing for.
            }
        }
    }

    private static string? Find()
    {
        foreach (string folder in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(System.IO.Path.PathSeparator))
        {
            foreach (string name in Names)
            {
                string candidate = System.IO.Path.Combine(folder, name);
                if (folder.Length > 0 && File.Exists(candidate))
                {
                    return candidate;
                }
            }
        }
        return null;
    }
}

// A fact that needs Chromium: skipped with the reason on a machine without it; under CI=true it
// runs and fails loudly instead (.ci/run installs chromium).
[AttributeUsage(AttributeTargets.Method)]
public sealed class ChromiumFactAttribute : FactAttribute
{
    public ChromiumFactAttribute()
    {
        if (Chromium.Path is null && Environment.GetEnvironmentVariable("CI") != "true")
        {
            Skip = "chromium is not installed (apt-get install chromium); with CI=true this test runs and fails instead";
        }
    }
}
