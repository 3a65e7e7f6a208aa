using System;
using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using System.Threading.Tasks;
using Unikraft.Kernel;

// A client and a server kernel in one deterministic simulation, exchanging pings over the
// simulated network with the faults given on the command line. Each kernel prints what it saw
// on its own console; the program prints both consoles, the switch's counters and the trace
// hash. The same seed and faults print the same output, byte for byte.
//
//   dotnet run --project samples/SimPingPong -- --seed 42 --faults loss=0.1,delay=5ms,dup=0.05
ulong seed = 42;
string faultText = "none";
int pings = 10;
for (int index = 0; index + 1 < args.Length; index += 2)
{
    switch (args[index])
    {
        case "--seed":
            seed = ulong.Parse(args[index + 1], CultureInfo.InvariantCulture);
            break;
        case "--faults":
            faultText = args[index + 1];
            break;
        case "--pings":
            pings = int.Parse(args[index + 1], CultureInfo.InvariantCulture);
            break;
        default:
            Console.Error.WriteLine("usage: SimPingPong [--seed N] [--faults loss=P,delay=T,jitter=T,reorder=P,dup=P,corrupt=P,mtu=N,bw=R] [--pings N]");
            return 2;
    }
}
LinkFaults? faults = LinkFaults.Parse(faultText, out string? error);
if (faults == null)
{
    Console.Error.WriteLine(error);
    return 2;
}

Simulation world = new Simulation(seed);
SimNode client = world.AddNode("client");
SimNode server = world.AddNode("server");
SimNic clientNic = world.Network.Attach(client);
SimNic serverNic = world.Network.Attach(server);
world.Network.SetFaults(client, server, faults);

// The server answers every intact ping with a pong of the same number (a duplicate ping gets a
// duplicate pong: the client ignores pongs it no longer waits for).
serverNic.Interrupt = _ =>
{
    Span<byte> buffer = stackalloc byte[1514];
    byte[] reply = new byte[64];
    while (serverNic.TryReceive(buffer, out int length))
    {
        if (!PingFrame.TryParse(buffer.Slice(0, length), serverNic.Info.Mac, out byte kind, out int number) || kind != PingFrame.Ping)
        {
            Print("server: dropped a damaged or foreign frame\n");
            continue;
        }
        Print("server: ping " + number + " at " + Milliseconds(world.Now) + "\n");
        int replyLength = PingFrame.Build(reply, clientNic.Info.Mac, serverNic.Info.Mac, PingFrame.Pong, number);
        serverNic.TryTransmit(reply.AsSpan(0, replyLength));
    }
};

// The client sends ping n and waits for pong n, resending after 50 ms.
int current = -1;
TaskCompletionSource<bool> answered = new TaskCompletionSource<bool>();
clientNic.Interrupt = _ =>
{
    Span<byte> buffer = stackalloc byte[1514];
    while (clientNic.TryReceive(buffer, out int length))
    {
        if (PingFrame.TryParse(buffer.Slice(0, length), clientNic.Info.Mac, out byte kind, out int number) &&
            kind == PingFrame.Pong && number == current)
        {
            answered.TrySetResult(true);
        }
    }
};
Task run = client.Start(async () =>
{
    byte[] frame = new byte[64];
    for (current = 0; current < pings; current++)
    {
        long sent = world.Now;
        int attempts = 0;
        while (true)
        {
            attempts++;
            answered = new TaskCompletionSource<bool>();
            int length = PingFrame.Build(frame, serverNic.Info.Mac, clientNic.Info.Mac, PingFrame.Ping, current);
            clientNic.TryTransmit(frame.AsSpan(0, length));
            Sys.UkTimerArm(Kernel.Current, 50_000_000, static state => ((TaskCompletionSource<bool>)state!).TrySetResult(false), answered);
            if (await answered.Task)
            {
                break;
            }
        }
        Print("client: pong " + current + " after " + Milliseconds(world.Now - sent) + " (" + attempts + " attempt" + (attempts == 1 ? "" : "s") + ")\n");
    }
});

bool finished = world.RunUntil(() => run.IsCompleted, 600_000_000_000);
Console.WriteLine("SimPingPong seed " + seed + ", faults " + faultText);
Console.Write(Indent(client.Console.OutputText));
Console.Write(Indent(server.Console.OutputText));
Console.WriteLine(finished && run.IsCompletedSuccessfully
    ? "done: " + pings + " pings answered in " + Milliseconds(world.Now) + " of virtual time"
    : "not done: the client gave up at " + Milliseconds(world.Now));
Console.WriteLine("network: " + world.Network.Counters);
Console.WriteLine("trace: " + world.Trace.Count + " events, hash " + world.Trace.HashText);
return finished ? 0 : 1;

static void Print(string text)
{
    Sys.Write(Kernel.Current, 1, Encoding.UTF8.GetBytes(text));
}

static string Milliseconds(long nanoseconds)
{
    return (nanoseconds / 1_000_000.0).ToString("F3", CultureInfo.InvariantCulture) + " ms";
}

static string Indent(string text)
{
    StringBuilder builder = new StringBuilder();
    foreach (string line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
    {
        builder.Append("  ").Append(line).Append('\n');
    }
    return builder.ToString();
}

// A ping or pong frame: EtherType 0x88B5, kind, number, FNV-1a 32 checksum.
internal static class PingFrame
{
    public const byte Ping = 1;
    public const byte Pong = 2;

    public static int Build(Span<byte> frame, MacAddress destination, MacAddress source, byte kind, int number)
    {
        destination.Write(frame);
        source.Write(frame.Slice(6));
        BinaryPrimitives.WriteUInt16BigEndian(frame.Slice(12), 0x88B5);
        frame[14] = kind;
        BinaryPrimitives.WriteInt32BigEndian(frame.Slice(15), number);
        BinaryPrimitives.WriteUInt32BigEndian(frame.Slice(19), Fnv32(frame.Slice(0, 19)));
        return 23;
    }

    public static bool TryParse(ReadOnlySpan<byte> frame, MacAddress self, out byte kind, out int number)
    {
        kind = 0;
        number = 0;
        if (frame.Length != 23 || !MacAddress.Read(frame).Equals(self) || BinaryPrimitives.ReadUInt16BigEndian(frame.Slice(12)) != 0x88B5 ||
            BinaryPrimitives.ReadUInt32BigEndian(frame.Slice(19)) != Fnv32(frame.Slice(0, 19)))
        {
            return false;
        }
        kind = frame[14];
        number = BinaryPrimitives.ReadInt32BigEndian(frame.Slice(15));
        return true;
    }

    private static uint Fnv32(ReadOnlySpan<byte> bytes)
    {
        uint hash = 2166136261;
        foreach (byte value in bytes)
        {
            hash = (hash ^ value) * 16777619;
        }
        return hash;
    }
}
