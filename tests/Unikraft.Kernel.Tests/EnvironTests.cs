namespace Unikraft.Kernel.Tests;

using System;
using Xunit;

public class EnvironTests
{
    [Fact]
    public void Getenv_Missing_ReturnsENOENT()
    {
        Kernel kernel = TestKernel.Boot(out _);

        long result = Sys.UkGetenv(kernel, "NOT_THERE", out string? value);

        Assert.Equal(-Errno.ENOENT, result);
        Assert.Null(value);
    }

    [Fact]
    public void Getenv_Present_ReturnsBootValue()
    {
        TestPlatform platform = new TestPlatform();
        platform.Environment["GREETING"] = "hej";
        Kernel kernel = TestKernel.Boot(platform);
        platform.Environment["GREETING"] = "changed after boot";

        Assert.Equal(0, Sys.UkGetenv(kernel, "GREETING", out string? value));
        Assert.Equal("hej", value);
        Assert.Equal(-Errno.ENOENT, Sys.UkGetenv(kernel, "greeting", out _));
    }

    [Fact]
    public void KernelEnvironment_GetEnvironmentVariable_ReturnsValueOrNull()
    {
        TestPlatform platform = new TestPlatform();
        platform.Environment["MODE"] = "fast";
        Kernel kernel = TestKernel.Boot(platform);

        kernel.Run(Array.Empty<string>(), _ =>
        {
            Assert.Equal("fast", KernelEnvironment.GetEnvironmentVariable("MODE"));
            Assert.Null(KernelEnvironment.GetEnvironmentVariable("OTHER"));
            Assert.Throws<ArgumentNullException>(() => KernelEnvironment.GetEnvironmentVariable(null!));
            return 0;
        });
    }

    [Fact]
    public void HostedPlatform_ReadsTheHostEnvironment()
    {
        HostedPlatform platform = new HostedPlatform();
        bool foundPath = false;

        foreach (System.Collections.Generic.KeyValuePair<string, string> variable in platform.ReadEnvironment())
        {
            if (variable.Key == "PATH")
            {
                foundPath = variable.Value == Environment.GetEnvironmentVariable("PATH");
            }
        }

        Assert.True(foundPath);
    }
}
