namespace Unikraft.Kernel.Tests;

using System.Runtime.InteropServices;
using Xunit;

// SystemNative_GetProcessPath as Environment.ProcessPath calls it: the answer is the path the
// platform named at boot, read once, never the host's /proc after boot (which the confinement
// refuses: before this, a NativeAOT image's Environment.ProcessPath and AppContext.BaseDirectory
// were empty on hosted).
[Collection("native layer")]
public unsafe class NativeProcessesTests
{
    [Fact]
    public void GetProcessPath_AnswersThePathThePlatformNamedAtBoot_WithoutAskingItAgain()
    {
        Kernel kernel = TestKernel.Boot(out TestPlatform platform);
        platform.ExecutablePath = "/opt/app/Tool";
        NativeLayer.Attach(kernel);
        platform.ExecutablePath = "/somewhere/else";
        delegate* unmanaged<nint> getProcessPath = &NativeProcesses.GetProcessPath;

        for (int call = 0; call < 2; call++)
        {
            nint path = getProcessPath();
            Assert.NotEqual(0, path);
            Assert.Equal("/opt/app/Tool", Marshal.PtrToStringUTF8(path));
            // The BCL's marshaller frees the answer with free(3).
            Marshal.FreeCoTaskMem(path);
        }
        Assert.Equal(1, platform.ExecutablePathReads);
    }

    [Fact]
    public void GetProcessPath_WhereThePlatformNamesNone_IsNullWithEnoent()
    {
        Kernel kernel = TestKernel.Boot(out TestPlatform platform);
        NativeLayer.Attach(kernel);
        delegate* unmanaged<nint> getProcessPath = &NativeProcesses.GetProcessPath;

        Assert.Equal(0, getProcessPath());
        Assert.Equal(Errno.ENOENT, Marshal.GetLastSystemError());
    }
}
