namespace Unikraft.Sim.Tests;

using System;
using System.Collections.Generic;
using System.Text;
using System.Threading.Tasks;
using Unikraft.Kernel;
using Xunit;

// Console input under sim arrives as world events, at the virtual times the scenario chooses,
// and reaches the kernel as an interrupt: a read that waits for it lets the kernel's timers and
// the other kernels run meanwhile, and returns at the virtual time the line arrived.
public class ConsoleInputScenarios
{
    private const long Millisecond = 1_000_000;

    [Fact]
    public void StdinRead_WaitsForTheWorldEvent_WhileTimersAndOtherKernelsRun()
    {
        for (ulong seed = 1; seed <= 20; seed++)
        {
            Simulation world = new Simulation(seed);
            SimNode reader = world.AddNode("reader");
            SimNode other = world.AddNode("other");
            reader.Console.ScheduleInput(5 * Millisecond, "hello\nwor");
            reader.Console.ScheduleInput(7 * Millisecond, "ld\n");
            reader.Console.ScheduleEndOfInput(9 * Millisecond);
            List<string> events = new List<string>();
            int otherTicks = 0;
            int ticksBeforeFirstLine = -1;
            other.Spawn(() =>
            {
                Kernel kernel = Kernel.Current;
                void Tick(object? _)
                {
                    if (++otherTicks < 10)
                    {
                        Sys.UkTimerArm(kernel, Millisecond, Tick, null);
                    }
                }
                Sys.UkTimerArm(kernel, Millisecond, Tick, null);
            });
            Task main = reader.Start(() =>
            {
                Kernel kernel = Kernel.Current;
                Sys.UkTimerArm(kernel, Millisecond, _ => events.Add("timer at " + world.Now / Millisecond), null);
                byte[] buffer = new byte[64];
                while (true)
                {
                    long read = Sys.Read(kernel, 0, buffer);
                    Assert.True(read >= 0, "read = " + read);
                    if (ticksBeforeFirstLine < 0)
                    {
                        ticksBeforeFirstLine = otherTicks;
                    }
                    events.Add("read " + Encoding.ASCII.GetString(buffer, 0, (int)read).Replace("\n", "\\n", StringComparison.Ordinal)
                        + " at " + world.Now / Millisecond);
                    if (read == 0)
                    {
                        return Task.CompletedTask;
                    }
                }
            });

            Assert.True(world.RunUntil(() => main.IsCompleted && otherTicks == 10, 100 * Millisecond),
                "seed " + seed + " did not finish: " + string.Join(", ", events) + ", other kernel ticked " + otherTicks);

            Assert.True(main.IsCompletedSuccessfully, "seed " + seed + ": " + main.Exception);
            Assert.Equal(new[] { "timer at 1", "read hello\\n at 5", "read wor at 5", "read ld\\n at 7", "read  at 9" }, events);
            Assert.Equal(10, otherTicks);
            Assert.True(ticksBeforeFirstLine >= 4, "the other kernel ran while the reader waited: " + ticksBeforeFirstLine);
        }
    }

    [Fact]
    public void FixedInput_IsReadAtOnce_AndEndsAsBefore()
    {
        Simulation world = new Simulation(4);
        SimNode node = world.AddNode("a");
        node.Console.SetInput("one\ntwo");
        List<string> reads = new List<string>();
        Task main = node.Start(() =>
        {
            byte[] buffer = new byte[64];
            long read;
            while ((read = Sys.Read(Kernel.Current, 0, buffer)) > 0)
            {
                reads.Add(Encoding.ASCII.GetString(buffer, 0, (int)read));
            }
            return Task.CompletedTask;
        });

        Assert.True(world.RunUntil(() => main.IsCompleted, Millisecond));

        Assert.Equal(new[] { "one\n", "two" }, reads);
        Assert.Equal(0, world.Now);
    }
}

// A simulated console that is a terminal (AttachTerminal): the program sees a tty of the size the
// test gave, and in raw mode its reads hand out the scripted keys as they arrive, not a line.
public class TerminalScenarios
{
    private const long Millisecond = 1_000_000;

    [Fact]
    public void AttachedTerminal_IsATtyOfItsSize_AndRawReadsTakeTheKeysThatArrived()
    {
        Simulation world = new Simulation(5);
        SimNode node = world.AddNode("a");
        VirtualTerminal terminal = node.Console.AttachTerminal(120, 40);
        node.Console.SetInput("w\na\ns\n");
        byte[] window = new byte[WindowSize.Size];
        List<string> reads = new List<string>();
        Task main = node.Start(() =>
        {
            Kernel kernel = Kernel.Current;
            Assert.Equal(0, Sys.Ioctl(kernel, 1, TerminalRequest.TIOCGWINSZ, window));
            byte[] bytes = new byte[TerminalAttributes.Size];
            Assert.Equal(0, Sys.Ioctl(kernel, 0, TerminalRequest.TCGETS, bytes));
            TerminalAttributes.TryRead(bytes, out TerminalAttributes attributes);
            byte[] buffer = new byte[64];
            reads.Add(Encoding.ASCII.GetString(buffer, 0, (int)Sys.Read(kernel, 0, buffer)));
            attributes.LocalFlags &= ~TerminalAttributes.ICANON;
            attributes.TryWrite(bytes);
            Assert.Equal(0, Sys.Ioctl(kernel, 0, TerminalRequest.TCSETS, bytes));
            reads.Add(Encoding.ASCII.GetString(buffer, 0, (int)Sys.Read(kernel, 0, buffer)));
            return Task.CompletedTask;
        });

        Assert.True(world.RunUntil(() => main.IsCompleted, Millisecond));

        Assert.Equal(40, window[0]);
        Assert.Equal(120, window[2]);
        Assert.False(terminal.Canonical);
        Assert.Equal(new[] { "w\n", "a\ns\n" }, reads);
    }

    [Fact]
    public void WithoutATerminal_TheConsoleIsNotATty()
    {
        Simulation world = new Simulation(6);
        SimNode node = world.AddNode("a");
        long result = 0;
        Task main = node.Start(() =>
        {
            result = Sys.Ioctl(Kernel.Current, 1, TerminalRequest.TIOCGWINSZ, new byte[WindowSize.Size]);
            return Task.CompletedTask;
        });

        Assert.True(world.RunUntil(() => main.IsCompleted, Millisecond));

        Assert.Equal(-Errno.ENOTTY, result);
    }
}
