using System.Threading.Tasks;
using Xunit;
using static Unikraft.Gen.Analyzers.Tests.Verifiers;

namespace Unikraft.Gen.Analyzers.Tests;

// UK0002: a property or constructor cannot be intercepted, so it is flagged and fixed in the source.
public sealed class KernelApiTests
{
    // What the generator's post-initialization output provides, cut to the members these tests use.
    private const string KernelClock = """

        namespace Unikraft.Kernel
        {
            internal static class KernelClock
            {
                public static System.DateTime Now => default;
                public static System.DateTime UtcNow => default;
                public static long TickCount64 => 0;
            }
        }
        """;

    private const string Reason = "it reads the host clock directly, not the kernel's clock device";

    [Fact]
    public async Task DateTimeNow_ReportsUK0002_AndFixRewritesToKernelClock()
    {
        const string source = """
            using System;

            class Program
            {
                static DateTime Started() => {|#0:DateTime.Now|};
            }
            """ + KernelClock;
        const string fixedSource = """
            using System;

            class Program
            {
                static DateTime Started() => Unikraft.Kernel.KernelClock.Now;
            }
            """ + KernelClock;

        await FixAsync(source, fixedSource,
            Diagnostic(DiagnosticDescriptors.BypassesKernel).WithLocation(0)
                .WithMessage("'DateTime.Now' bypasses the kernel: " + Reason + "; use 'KernelClock.Now'"));
    }

    [Fact]
    public async Task DateTimeNow_FixUsesShortNameUnderUsing()
    {
        const string source = """
            using System;
            using Unikraft.Kernel;

            class Program
            {
                static int Hour() => {|#0:DateTime.Now|}.Hour;
            }
            """ + KernelClock;
        const string fixedSource = """
            using System;
            using Unikraft.Kernel;

            class Program
            {
                static int Hour() => KernelClock.Now.Hour;
            }
            """ + KernelClock;

        await FixAsync(source, fixedSource,
            Diagnostic(DiagnosticDescriptors.BypassesKernel).WithLocation(0).WithArguments("DateTime.Now", Reason, "KernelClock.Now"));
    }

    [Fact]
    public async Task FixAll_RewritesEveryDateTimeNow()
    {
        const string source = """
            using System;
            using static System.DateTime;

            class Program
            {
                static void Main()
                {
                    var start = {|#0:DateTime.Now|};
                    var later = {|#1:System.DateTime.Now|};
                    var bare = {|#2:Now|};
                    var utc = {|#3:DateTime.UtcNow|};
                    long ticks = {|#4:Environment.TickCount64|};
                    Console.WriteLine((later - start) + (bare - utc).ToString() + ticks);
                }
            }
            """ + KernelClock;
        const string fixedSource = """
            using System;
            using static System.DateTime;

            class Program
            {
                static void Main()
                {
                    var start = Unikraft.Kernel.KernelClock.Now;
                    var later = Unikraft.Kernel.KernelClock.Now;
                    var bare = Unikraft.Kernel.KernelClock.Now;
                    var utc = Unikraft.Kernel.KernelClock.UtcNow;
                    long ticks = Unikraft.Kernel.KernelClock.TickCount64;
                    Console.WriteLine((later - start) + (bare - utc).ToString() + ticks);
                }
            }
            """ + KernelClock;

        await FixAsync(source, fixedSource,
            Diagnostic(DiagnosticDescriptors.BypassesKernel).WithLocation(0).WithArguments("DateTime.Now", Reason, "KernelClock.Now"),
            Diagnostic(DiagnosticDescriptors.BypassesKernel).WithLocation(1).WithArguments("DateTime.Now", Reason, "KernelClock.Now"),
            Diagnostic(DiagnosticDescriptors.BypassesKernel).WithLocation(2).WithArguments("DateTime.Now", Reason, "KernelClock.Now"),
            Diagnostic(DiagnosticDescriptors.BypassesKernel).WithLocation(3).WithArguments("DateTime.UtcNow", Reason, "KernelClock.UtcNow"),
            Diagnostic(DiagnosticDescriptors.BypassesKernel).WithLocation(4).WithArguments("Environment.TickCount64", Reason, "KernelClock.TickCount64"));
    }

    [Fact]
    public async Task DateTimeNow_NoUK0002_WithoutKernelApi()
    {
        // Without the generator there is no kernel to bypass and nothing the fix could call.
        const string source = """
            using System;

            class Program
            {
                static DateTime Started() => DateTime.Now;
            }
            """;

        await AnalyzeAsync(source);
    }

    private const string KernelFile = """

        namespace Unikraft.Kernel
        {
            internal static class KernelFile
            {
                public static System.IO.Stream Open(string path, System.IO.FileMode mode) => System.IO.Stream.Null;
            }
        }
        """;

    [Fact]
    public async Task NewFileStream_ReportsUK0002_AndFixCallsKernelFileOpen()
    {
        const string source = """
            using System.IO;

            class Program
            {
                static Stream Open() => {|#0:new FileStream("/data/log.txt", FileMode.Append)|};
            }
            """ + KernelFile;
        const string fixedSource = """
            using System.IO;

            class Program
            {
                static Stream Open() => Unikraft.Kernel.KernelFile.Open("/data/log.txt", FileMode.Append);
            }
            """ + KernelFile;

        await FixAsync(source, fixedSource,
            Diagnostic(DiagnosticDescriptors.BypassesKernel).WithLocation(0)
                .WithMessage("'new FileStream' bypasses the kernel: a FileStream constructor opens the host's file, and constructors cannot be intercepted; use 'KernelFile.Open'"));
    }
}
