namespace Unikraft.Gen.EndToEnd.Tests;

using System;
using System.IO;
using Xunit;

// A fact that needs passt (Debian package passt): skipped, with the reason, on a machine without
// it; run (and failed, naming what is missing) when the environment variable CI is set.
[AttributeUsage(AttributeTargets.Method)]
public sealed class PasstFactAttribute : FactAttribute
{
    public PasstFactAttribute()
    {
        if (!File.Exists("/usr/bin/passt") && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CI")))
        {
            Skip = "passt is not installed (apt-get install passt); with CI set it runs and fails instead";
        }
    }
}
