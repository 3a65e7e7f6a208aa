namespace Unikraft.Sim.Tests;

using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;
using System.Threading.Tasks;
using Unikraft.Kernel;
using Xunit;

// Tasks move money between accounts with a yield between the debit and the credit, on two
// kernels whose run queues the seed orders; the money in accounts plus the money in flight is
// constant after every step. Each task also writes lines to its console, which must come out
// whole and in the order each task wrote them.
public class SchedulerScenarios
{
    [Fact]
    public void TransfersConserveMoney()
    {
        SimHarness.RunSeeds("SchedulerScenarios.TransfersConserveMoney", 2000, 150, Run);
    }

    internal static void Run(Simulation world)
    {
        const int Total = 10_000;
        List<Task> tasks = new List<Task>();
        for (int n = 0; n < 2; n++)
        {
            SimNode node = world.AddNode("bank" + n);
            int accounts = 2 + world.Random.Next(5);
            long[] balance = new long[accounts];
            balance[0] = Total;
            long inFlight = 0;
            world.AddInvariant(_ =>
            {
                long sum = inFlight;
                foreach (long value in balance)
                {
                    sum += value;
                }
                if (sum != Total)
                {
                    throw new SimInvariantException(node.Name + " holds " + sum + " instead of " + Total);
                }
            });
            int taskCount = 2 + world.Random.Next(10);
            List<string>[] written = new List<string>[taskCount];
            for (int t = 0; t < taskCount; t++)
            {
                int id = t;
                written[t] = new List<string>();
                int transfers = 1 + world.Random.Next(8);
                tasks.Add(node.Start(async () =>
                {
                    byte[] dice = new byte[8];
                    for (int round = 0; round < transfers; round++)
                    {
                        Sys.Getrandom(Kernel.Current, dice, 0);
                        int from = dice[0] % balance.Length;
                        int to = dice[1] % balance.Length;
                        long amount = Math.Min(balance[from], dice[2]);
                        balance[from] -= amount;
                        inFlight += amount;
                        await Task.Yield();
                        if (dice[3] % 4 == 0)
                        {
                            await KernelTask.Run(() => { });
                        }
                        inFlight -= amount;
                        balance[to] += amount;
                        string line = "task " + id + " moved " + amount + " from " + from + " to " + to + "\n";
                        written[id].Add(line);
                        Sys.Write(Kernel.Current, 1, Encoding.UTF8.GetBytes(line));
                    }
                }));
            }
            world.AddInvariant(_ => CheckConsole(node, written));
        }

        world.RunUntilQuiescent(long.MaxValue);
        foreach (Task task in tasks)
        {
            if (task.IsFaulted)
            {
                throw task.Exception!.InnerException!;
            }
            Assert.True(task.IsCompletedSuccessfully, "a task never finished");
        }
    }

    // Every line on the console is one a task wrote, whole, and each task's lines keep their order.
    private static void CheckConsole(SimNode node, List<string>[] written)
    {
        string output = node.Console.OutputText;
        int[] seen = new int[written.Length];
        int total = 0;
        foreach (string line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            int id = int.Parse(line.Split(' ')[1], CultureInfo.InvariantCulture);
            if (seen[id] >= written[id].Count || written[id][seen[id]] != line + "\n")
            {
                throw new SimInvariantException(node.Name + " printed '" + line + "' out of order");
            }
            seen[id]++;
            total++;
        }
        int expected = 0;
        foreach (List<string> lines in written)
        {
            expected += lines.Count;
        }
        if (total != expected)
        {
            throw new SimInvariantException(node.Name + " printed " + total + " lines of " + expected);
        }
    }
}
