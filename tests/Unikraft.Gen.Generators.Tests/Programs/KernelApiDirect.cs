// Calls the kernel API directly, through an alias and 'using static' too.
using System;
using static Unikraft.Kernel.KernelClock;
using KConsole = Unikraft.Kernel.KernelConsole;

DateTime now = UtcNow;
KConsole.WriteLine(now.Year > 2000 ? "clock works" : "clock broken");
long ticks = Unikraft.Kernel.KernelClock.TickCount64;
KConsole.WriteLine(ticks >= 0 ? "monotonic works" : "monotonic broken");
