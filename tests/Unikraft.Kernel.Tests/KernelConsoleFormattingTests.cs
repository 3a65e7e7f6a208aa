namespace Unikraft.Kernel.Tests;

using System;
using System.Globalization;
using System.IO;
using System.Text;
using Xunit;

// KernelConsole must print exactly what System.Console prints for the same call, so that an
// intercepted program's output does not change. Each case runs the same call against both.
public class KernelConsoleFormattingTests
{
    private static readonly object ConsoleLock = new object();

    [Fact]
    public void KernelConsole_WriteLineFormat_MatchesSystemConsoleFormatting()
    {
        DateTime instant = new DateTime(2026, 3, 4, 5, 6, 7, DateTimeKind.Utc);
        char[] letters = "abcdef".ToCharArray();
        object?[]? noArguments = null;
        CultureInfo german = CultureInfo.GetCultureInfo("de-DE");

        AssertSameOutput(german, () => Console.WriteLine("{0:N2} and {1}", 1234.5, instant), () => KernelConsole.WriteLine("{0:N2} and {1}", 1234.5, instant));
        AssertSameOutput(german, () => Console.WriteLine("{0}", 0.25), () => KernelConsole.WriteLine("{0}", 0.25));
        AssertSameOutput(german, () => Console.WriteLine("{0} {1} {2}", 1.5m, 2.5f, -3), () => KernelConsole.WriteLine("{0} {1} {2}", 1.5m, 2.5f, -3));
        AssertSameOutput(german, () => Console.WriteLine("{0}{1}{2}{3}", 1.5, 2, 3, 4.5), () => KernelConsole.WriteLine("{0}{1}{2}{3}", 1.5, 2, 3, 4.5));
        AssertSameOutput(german, () => Console.WriteLine("[{0}]", noArguments), () => KernelConsole.WriteLine("[{0}]", noArguments));
        AssertSameOutput(german, () => Console.WriteLine(3.75), () => KernelConsole.WriteLine(3.75));
        AssertSameOutput(german, () => Console.WriteLine(3.75f), () => KernelConsole.WriteLine(3.75f));
        AssertSameOutput(german, () => Console.WriteLine(1234567.891m), () => KernelConsole.WriteLine(1234567.891m));
        AssertSameOutput(german, () => Console.WriteLine((object)instant), () => KernelConsole.WriteLine((object)instant));
        AssertSameOutput(german, () => Console.WriteLine((object?)null), () => KernelConsole.WriteLine((object?)null));
        AssertSameOutput(german, () => Console.WriteLine((string?)null), () => KernelConsole.WriteLine((string?)null));
        AssertSameOutput(german, () => Console.WriteLine(true), () => KernelConsole.WriteLine(true));
        AssertSameOutput(german, () => Console.WriteLine(-42L), () => KernelConsole.WriteLine(-42L));
        AssertSameOutput(german, () => Console.WriteLine(42u), () => KernelConsole.WriteLine(42u));
        AssertSameOutput(german, () => Console.WriteLine(ulong.MaxValue), () => KernelConsole.WriteLine(ulong.MaxValue));
        AssertSameOutput(german, () => Console.WriteLine('ß'), () => KernelConsole.WriteLine('ß'));
        AssertSameOutput(german, () => Console.WriteLine(letters), () => KernelConsole.WriteLine(letters));
        AssertSameOutput(german, () => Console.WriteLine(letters, 1, 3), () => KernelConsole.WriteLine(letters, 1, 3));
        AssertSameOutput(german, () => Console.WriteLine("span".AsSpan()), () => KernelConsole.WriteLine("span".AsSpan()));
        AssertSameOutput(german, () => Console.WriteLine(), () => KernelConsole.WriteLine());
        AssertSameOutput(german, () => Console.Write("{0:C}", 9.99m), () => KernelConsole.Write("{0:C}", 9.99m));
        AssertSameOutput(german, () => Console.Write(1e-7), () => KernelConsole.Write(1e-7));
        AssertSameOutput(german, () => Console.Write("emoji 😀 ✓"), () => KernelConsole.Write("emoji 😀 ✓"));
        AssertSameOutput(CultureInfo.InvariantCulture, () => Console.WriteLine("{0:N2}", 1234.5), () => KernelConsole.WriteLine("{0:N2}", 1234.5));
    }

    [Fact]
    public void KernelConsole_WriteCharArraySlice_ChecksArgumentsLikeConsole()
    {
        Kernel kernel = TestKernel.Boot(out _);
        char[] letters = "abc".ToCharArray();

        kernel.Run(Array.Empty<string>(), _ =>
        {
            Assert.Throws<ArgumentNullException>(() => KernelConsole.Write(null!, 0, 1));
            Assert.Throws<ArgumentOutOfRangeException>(() => KernelConsole.Write(letters, -1, 1));
            Assert.Throws<ArgumentException>(() => KernelConsole.Write(letters, 2, 2));
            return 0;
        });
    }

    private static void AssertSameOutput(CultureInfo culture, Action systemCall, Action kernelCall)
    {
        CultureInfo previous = CultureInfo.CurrentCulture;
        CultureInfo.CurrentCulture = culture;
        try
        {
            string expected = CaptureSystemConsole(systemCall);
            Kernel kernel = TestKernel.Boot(out TestPlatform platform);
            kernel.Run(Array.Empty<string>(), _ =>
            {
                kernelCall();
                return 0;
            });
            Assert.Equal(expected, platform.Console.OutputText);
        }
        finally
        {
            CultureInfo.CurrentCulture = previous;
        }
    }

    // Console.Out is a StreamWriter without a format provider of its own; this one is the same
    // kind of writer, with Linux's line end.
    private static string CaptureSystemConsole(Action call)
    {
        lock (ConsoleLock)
        {
            TextWriter previous = Console.Out;
            MemoryStream bytes = new MemoryStream();
            StreamWriter writer = new StreamWriter(bytes, new UTF8Encoding(false)) { AutoFlush = true, NewLine = "\n" };
            Console.SetOut(writer);
            try
            {
                call();
            }
            finally
            {
                Console.SetOut(previous);
            }
            return Encoding.UTF8.GetString(bytes.ToArray());
        }
    }
}
