// The program declares types with the kernel's own names, in the global namespace.
Console.WriteLine(new Kernel().Name + " " + Sys.Value + " " + Errno.Code + " " + new Span<int>().Length + " " + new Timespec().Seconds);

internal sealed class Kernel { public string Name => "program-kernel"; }
internal static class Sys { public const int Value = 7; }
internal static class Errno { public const int Code = 2; }
internal sealed class Span<T> { public int Length => 0; }
internal sealed class Timespec { public long Seconds => 1; }
internal static class SyscallNumber { }
internal static class KernelLog { }
