namespace Unikraft.Sim.Tests;

using System;
using System.Globalization;
using System.Text;
using Unikraft.Kernel;

// Runs a scenario (a method that takes a world made from one seed) on many seeds. A failure
// names the seed, prints the command that replays exactly that seed and the last events of
// its trace. UNIKRAFT_SIM_SEED=<seed> makes every scenario run that one seed only.
internal static class SimHarness
{
    public const string SeedVariable = "UNIKRAFT_SIM_SEED";

    public static string ReplayCommand(string scenario, ulong seed)
    {
        return SeedVariable + "=" + seed.ToString(CultureInfo.InvariantCulture) +
            " dotnet test tests/Unikraft.Sim.Tests --filter \"FullyQualifiedName~" + scenario + "\"";
    }

    // The seed the environment asks for, if any.
    public static ulong? ReplaySeed()
    {
        string? text = Environment.GetEnvironmentVariable(SeedVariable);
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }
        return ulong.Parse(text, NumberStyles.None, CultureInfo.InvariantCulture);
    }

    // Runs seeds first .. first + count - 1 (or the replay seed). scenario is the test's name as
    // the filter finds it: "ClassName.MethodName".
    public static void RunSeeds(string scenario, ulong first, int count, Action<Simulation> body, SimOptions? options = null)
    {
        ulong? replay = ReplaySeed();
        if (replay.HasValue)
        {
            RunOne(scenario, replay.Value, body, options);
            return;
        }
        for (int index = 0; index < count; index++)
        {
            RunOne(scenario, first + (ulong)index, body, options);
        }
    }

    // One seed; returns the world so a caller can compare trace hashes.
    public static Simulation RunOne(string scenario, ulong seed, Action<Simulation> body, SimOptions? options = null)
    {
        Simulation world = new Simulation(seed, options ?? new SimOptions());
        try
        {
            body(world);
        }
        catch (Exception exception)
        {
            throw new SimFailure(Describe(scenario, seed, world, exception), exception);
        }
        return world;
    }

    public static string Describe(string scenario, ulong seed, Simulation world, Exception exception)
    {
        StringBuilder text = new StringBuilder();
        text.Append("Simulation failed: ").Append(scenario).Append(" seed ").Append(seed.ToString(CultureInfo.InvariantCulture))
            .Append(" at virtual time ").Append(world.Now.ToString(CultureInfo.InvariantCulture)).Append(" ns, step ")
            .Append(world.Steps.ToString(CultureInfo.InvariantCulture)).AppendLine();
        text.Append("  ").Append(exception.GetType().Name).Append(": ").AppendLine(exception.Message);
        text.Append("Replay: ").AppendLine(ReplayCommand(scenario, seed));
        text.AppendLine(world.Trace.Describe() + "; last events:");
        foreach (string line in world.Trace.Tail())
        {
            text.Append("  ").AppendLine(line);
        }
        return text.ToString();
    }
}

internal sealed class SimFailure : Exception
{
    public SimFailure(string message, Exception inner)
        : base(message, inner)
    {
    }
}

internal static class Virtual
{
    public const long Microsecond = 1_000;
    public const long Millisecond = 1_000_000;
    public const long Second = 1_000_000_000;
}
