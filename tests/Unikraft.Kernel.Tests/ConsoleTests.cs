namespace Unikraft.Kernel.Tests;

using System;
using System.Text;
using Xunit;

public class ConsoleTests
{
    [Fact]
    public void Write_ToStdout_ReachesConsoleDevice()
    {
        Kernel kernel = TestKernel.Boot(out TestPlatform platform);

        long result = Sys.Write(kernel, 1, Encoding.UTF8.GetBytes("hello, kernel\n"));

        Assert.Equal(14, result);
        Assert.Equal("hello, kernel\n", platform.Console.OutputText);
        Assert.Equal("", platform.Console.ErrorText);
    }

    [Fact]
    public void Write_ToStderr_ReachesErrorStream()
    {
        Kernel kernel = TestKernel.Boot(out TestPlatform platform);

        Sys.Write(kernel, 2, "oops"u8);

        Assert.Equal("oops", platform.Console.ErrorText);
        Assert.Equal("", platform.Console.OutputText);
    }

    [Fact]
    public void Write_BadFd_ReturnsEBADF()
    {
        Kernel kernel = TestKernel.Boot(out TestPlatform platform);

        Assert.Equal(-Errno.EBADF, Sys.Write(kernel, 7, "x"u8));
        Assert.Equal(-Errno.EBADF, Sys.Write(kernel, -1, "x"u8));
        Assert.Equal(-Errno.EBADF, Sys.Write(kernel, 0, "x"u8));
        Assert.Empty(platform.Console.OutputBytes);
    }

    [Fact]
    public void Write_BeforeConsoleBoot_ReturnsEBADF()
    {
        Kernel kernel = new Kernel(new TestPlatform());

        Assert.Equal(-Errno.EBADF, Sys.Write(kernel, 1, "x"u8));
    }

    [Fact]
    public void Read_Stdin_ReturnsOneLineAtATime()
    {
        Kernel kernel = TestKernel.Boot(out TestPlatform platform);
        platform.Console.SetInput("first\nsecond");
        byte[] buffer = new byte[64];

        long first = Sys.Read(kernel, 0, buffer);
        Assert.Equal("first\n", Encoding.UTF8.GetString(buffer, 0, (int)first));
        long second = Sys.Read(kernel, 0, buffer);
        Assert.Equal("second", Encoding.UTF8.GetString(buffer, 0, (int)second));
        Assert.Equal(0, Sys.Read(kernel, 0, buffer));
    }

    [Fact]
    public void Read_FromStdout_ReturnsEBADF()
    {
        Kernel kernel = TestKernel.Boot(out _);

        Assert.Equal(-Errno.EBADF, Sys.Read(kernel, 1, new byte[4]));
        Assert.Equal(-Errno.EBADF, Sys.Read(kernel, 9, new byte[4]));
    }

    [Fact]
    public void KernelConsole_ReadLine_StripsLineEndsAndReturnsNullAtEnd()
    {
        Kernel kernel = TestKernel.Boot(out TestPlatform platform);
        platform.Console.SetInput("hello\r\nwörld\n" + new string('x', 1000) + "\nlast");

        kernel.Run(Array.Empty<string>(), _ =>
        {
            Assert.Equal("hello", KernelConsole.ReadLine());
            Assert.Equal("wörld", KernelConsole.ReadLine());
            Assert.Equal(new string('x', 1000), KernelConsole.ReadLine());
            Assert.Equal("last", KernelConsole.ReadLine());
            Assert.Null(KernelConsole.ReadLine());
            return 0;
        });
    }

    [Fact]
    public void KernelConsole_WithoutConsole_ThrowsNamingCallAndErrno()
    {
        Kernel kernel = new Kernel(new TestPlatform());

        KernelException exception = Assert.Throws<KernelException>(
            () => kernel.Run(Array.Empty<string>(), _ =>
            {
                KernelConsole.WriteLine("nobody hears this");
                return 0;
            }));

        Assert.Equal("write(1) failed: EBADF", exception.Message);
        Assert.Equal(Errno.EBADF, exception.Errno);
    }

    // As .NET's own console on Linux (ConsolePal.Unix): output into a pipe whose reader went away
    // (`program | head -5`) is dropped, and the program goes on to its own end.
    [Fact]
    public void KernelConsole_IntoABrokenPipe_DropsTheOutput_AndTheProgramGoesOn()
    {
        Kernel kernel = TestKernel.Boot(out TestPlatform platform);
        platform.Console.OutputFailure = -Errno.EPIPE;

        int status = kernel.Run(Array.Empty<string>(), _ =>
        {
            KernelConsole.WriteLine("nobody reads this");
            KernelConsole.Write('x');
            return 7;
        });

        Assert.Equal(7, status);
        Assert.Equal("", platform.Console.OutputText);
    }

    [Fact]
    public void KernelConsole_LongText_IsWrittenWhole()
    {
        Kernel kernel = TestKernel.Boot(out TestPlatform platform);
        string text = new string('é', 5000);

        kernel.Run(Array.Empty<string>(), _ =>
        {
            KernelConsole.Write(text);
            return 0;
        });

        Assert.Equal(text, platform.Console.OutputText);
    }
}
