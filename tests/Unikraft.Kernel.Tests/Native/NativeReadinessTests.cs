namespace Unikraft.Kernel.Tests;

using System.Runtime.InteropServices;
using Xunit;

// SystemNative_Pipe and SystemNative_Poll as the BCL calls them: through their unmanaged entry
// points, with the PAL's flags, PollEvent array and error codes. The native layer serves one
// kernel per process, so these tests take turns.
[Collection("native layer")]
public unsafe class NativeReadinessTests
{
    private const int PalCloseOnExec = 0x0010;
    private const int PalEinval = 0x1001C;

    [Fact]
    public void SystemNativePipe_InstallsAKernelPipe_AndRefusesUnknownFlags()
    {
        Kernel kernel = TestKernel.Boot(out _);
        NativeLayer.Attach(kernel);
        delegate* unmanaged<nint, int, int> pipe = &NativeReadiness.Pipe;
        int* fds = stackalloc int[2];

        Assert.Equal(0, pipe((nint)fds, PalCloseOnExec));
        Assert.IsType<PipeEnd>(kernel.Files.Get(fds[0]));
        Assert.Equal(OpenFlags.FD_CLOEXEC, Sys.Fcntl(kernel, fds[1], OpenFlags.F_GETFD, 0));
        Assert.Equal(3, Sys.Write(kernel, fds[1], "abc"u8));
        Assert.Equal(3, Sys.Read(kernel, fds[0], new byte[8]));

        Assert.Equal(-1, pipe((nint)fds, 0x0800));
        Assert.Equal(Errno.EINVAL, Marshal.GetLastSystemError());
    }

    [Fact]
    public void SystemNativePoll_ReportsKernelReadiness_WaitsForIt_AndAnswersPalErrors()
    {
        Kernel kernel = TestKernel.Boot(out TestPlatform platform);
        NativeLayer.Attach(kernel);
        delegate* unmanaged<nint, uint, int, nint, int> poll = &NativeReadiness.Poll;
        int[] pipe = new int[2];
        Assert.Equal(0, Sys.Pipe2(kernel, pipe, 0));
        PollFd* events = stackalloc PollFd[3];
        events[0] = new PollFd(pipe[0], (short)PollEvents.POLLIN);
        events[1] = new PollFd(pipe[1], (short)PollEvents.POLLOUT);
        events[2] = new PollFd(900, (short)PollEvents.POLLIN);
        uint triggered = 99;

        Assert.Equal(0, poll((nint)events, 3, 0, (nint)(&triggered)));
        Assert.Equal(2u, triggered);
        Assert.Equal(0, events[0].ReturnedEvents);
        Assert.Equal(PollEvents.POLLOUT, events[1].ReturnedEvents);
        Assert.Equal(PollEvents.POLLNVAL, events[2].ReturnedEvents);

        // A blocking poll waits on the kernel's readiness: a timer's write wakes it.
        Sys.UkTimerArm(kernel, PipeTestKit.Second, _ => Sys.Write(kernel, pipe[1], "x"u8), null);
        long start = platform.Clock.MonotonicNanoseconds;
        Assert.Equal(0, poll((nint)events, 1, -1, (nint)(&triggered)));
        Assert.Equal(1u, triggered);
        Assert.Equal(PollEvents.POLLIN, events[0].ReturnedEvents);
        Assert.Equal(PipeTestKit.Second, platform.Clock.MonotonicNanoseconds - start);

        Assert.Equal(PalEinval, poll((nint)events, 1, -2, (nint)(&triggered)));
    }
}
