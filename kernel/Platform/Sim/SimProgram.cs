namespace Unikraft.Kernel;

using System;
using System.Globalization;
using System.Runtime.ExceptionServices;
using System.Threading.Tasks;

// Runs one program built with <UnikraftPlatform>sim</UnikraftPlatform>: its kernel is one node of
// a simulation, on virtual time, with its scheduler, randomness and devices driven by one seed.
// The seed comes from the host variable UNIKRAFT_SIM_SEED (0 when unset), so any run can be
// replayed exactly; the last line on stderr says how.
internal static class SimProgram
{
    public const string SeedVariable = "UNIKRAFT_SIM_SEED";

    // Returns the program's exit status. mount runs after the node booted and before main, with
    // the node's kernel (the generated boot mounts the program's file systems there).
    public static int Run(string name, string[] args, Func<string[], Task<int>> main, Action<Kernel> mount, string? banner)
    {
        ulong seed = 0;
        string? seedText = System.Environment.GetEnvironmentVariable(SeedVariable);
        if (!string.IsNullOrEmpty(seedText) && !ulong.TryParse(seedText, NumberStyles.None, CultureInfo.InvariantCulture, out seed))
        {
            System.Console.Error.WriteLine(SeedVariable + "='" + seedText + "' is not a seed: use a whole number from 0 to " + ulong.MaxValue.ToString(CultureInfo.InvariantCulture));
            return 2;
        }

        Simulation world = new Simulation(seed);
        SimNode node = world.AddNode(name);
        // The program's standard input is the host's, read only when the program reads it (a
        // program that never reads is not held up by a terminal it never reads from).
        node.Console.SetInputSource(System.Console.OpenStandardInput());
        if (banner != null)
        {
            System.Console.Error.WriteLine(banner + " | seed " + seed.ToString(CultureInfo.InvariantCulture));
        }

        int status = 0;
        Kernel? previous = node.Kernel.Enter();
        try
        {
            mount(node.Kernel);
        }
        finally
        {
            Kernel.Leave(previous);
        }

        Task task = node.Start(async () => status = await main(args));
        world.RunUntil(() => task.IsCompleted || node.Halted, long.MaxValue);

        // The console is captured by the simulation; the host sees it when the run is over.
        System.Console.Out.Write(node.Console.OutputText);
        System.Console.Out.Flush();
        System.Console.Error.Write(node.Console.ErrorText);
        System.Console.Error.WriteLine("[uk] sim: seed " + seed.ToString(CultureInfo.InvariantCulture) + ", "
            + (world.Now / 1_000_000.0).ToString("0.###", CultureInfo.InvariantCulture) + " ms of virtual time, "
            + world.Steps.ToString(CultureInfo.InvariantCulture) + " steps, trace hash " + world.Trace.HashText
            + "; replay with " + SeedVariable + "=" + seed.ToString(CultureInfo.InvariantCulture));

        if (node.Halted)
        {
            return node.Kernel.ExitStatus;
        }

        if (!task.IsCompleted)
        {
            System.Console.Error.WriteLine("[uk] sim: the program is blocked for ever: no kernel has work, timer or event left");
            return 124;
        }

        if (task.IsFaulted && task.Exception != null)
        {
            ExceptionDispatchInfo.Capture(task.Exception.InnerException ?? task.Exception).Throw();
        }

        return status;
    }
}
