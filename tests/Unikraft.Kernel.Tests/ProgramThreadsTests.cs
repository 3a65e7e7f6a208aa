namespace Unikraft.Kernel.Tests;

using System;
using System.Threading;
using System.Threading.Tasks;
using Xunit;

// The program's own threads (Thread.Start, intercepted to KernelThread.Start) and the end of Main:
// as .NET does, the program ends after Main returns only once its foreground threads have ended
// (a UDP server whose Main starts a listening thread and returns keeps serving); background
// threads are not waited for.
public class ProgramThreadsTests
{
    [Fact]
    public void MainReturns_TheKernelExitsOnlyAfterTheForegroundThreadEnds()
    {
        Kernel kernel = TestKernel.Boot(out TestPlatform platform);
        using var mainReturned = new ManualResetEventSlim();
        bool threadSawMainReturn = false;
        bool threadEnded = false;

        int status = kernel.Run(Array.Empty<string>(), _ =>
        {
            KernelThread.Start(new Thread(() =>
            {
                threadSawMainReturn = mainReturned.Wait(TimeSpan.FromSeconds(10));
                Thread.Sleep(50);
                threadEnded = true;
            }));
            mainReturned.Set();
            return 3;
        });

        Assert.Equal(3, status);
        Assert.True(threadSawMainReturn);
        Assert.True(threadEnded);
    }

    [Fact]
    public void AsyncMainReturns_TheForegroundThreadWithAParameterIsWaitedFor_ABackgroundOneIsNot()
    {
        Kernel kernel = TestKernel.Boot(out _);
        using var never = new ManualResetEventSlim();
        string? received = null;

        int status = kernel.RunAsync(Array.Empty<string>(), async _ =>
        {
            await Task.Yield();
            KernelThread.Start(new Thread(() => never.Wait()) { IsBackground = true });
            KernelThread.Start(new Thread(parameter =>
            {
                Thread.Sleep(50);
                received = (string?)parameter;
            }), "handed over");
            return 0;
        });

        Assert.Equal(0, status);
        Assert.Equal("handed over", received);
    }
}
