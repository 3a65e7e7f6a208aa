namespace Unikraft.Kernel;

using System;
using System.Collections.Generic;
using System.Globalization;

// The faults of one direction of one link. Probabilities are per frame in [0, 1]; times are
// virtual nanoseconds. A test sets them, or RandomizeFaults lets the seed choose.
internal sealed class LinkFaults
{
    public double Loss { get; set; }

    public long Delay { get; set; }

    // Each frame waits Delay plus a uniform draw in [0, Jitter].
    public long Jitter { get; set; }

    // With this probability a frame is held back by ReorderDelay more, so later frames pass it.
    public double Reorder { get; set; }

    public long ReorderDelay { get; set; } = 2_000_000;

    public double Duplicate { get; set; }

    public double Corrupt { get; set; }

    // The largest payload (frame minus the 14-byte header) the link carries; 0: no limit
    // beyond the NICs'. Longer frames are dropped, as a switch port would.
    public int Mtu { get; set; }

    // Bits per second of the link; 0: unlimited. Frames queue behind each other.
    public long Bandwidth { get; set; }

    public bool Partitioned { get; set; }

    public LinkFaults Copy()
    {
        return new LinkFaults
        {
            Loss = Loss,
            Delay = Delay,
            Jitter = Jitter,
            Reorder = Reorder,
            ReorderDelay = ReorderDelay,
            Duplicate = Duplicate,
            Corrupt = Corrupt,
            Mtu = Mtu,
            Bandwidth = Bandwidth,
            Partitioned = Partitioned,
        };
    }

    // Parses "loss=0.1,delay=5ms,jitter=1ms,reorder=0.05,dup=0.05,corrupt=0.01,mtu=1200,bw=10mbit".
    // Times take ns, us, ms or s; bandwidth takes bit, kbit, mbit or gbit. Returns null with an
    // error for anything else.
    public static LinkFaults? Parse(string text, out string? error)
    {
        LinkFaults faults = new LinkFaults();
        error = null;
        if (string.IsNullOrWhiteSpace(text) || text == "none")
        {
            return faults;
        }
        foreach (string part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            int equals = part.IndexOf('=');
            string name = equals < 0 ? part : part.Substring(0, equals);
            string value = equals < 0 ? "" : part.Substring(equals + 1);
            bool ok;
            switch (name)
            {
                case "loss":
                    ok = TryProbability(value, out double loss);
                    faults.Loss = loss;
                    break;
                case "delay":
                    ok = TryDuration(value, out long delay);
                    faults.Delay = delay;
                    break;
                case "jitter":
                    ok = TryDuration(value, out long jitter);
                    faults.Jitter = jitter;
                    break;
                case "reorder":
                    ok = TryProbability(value, out double reorder);
                    faults.Reorder = reorder;
                    break;
                case "dup":
                    ok = TryProbability(value, out double duplicate);
                    faults.Duplicate = duplicate;
                    break;
                case "corrupt":
                    ok = TryProbability(value, out double corrupt);
                    faults.Corrupt = corrupt;
                    break;
                case "mtu":
                    ok = int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int mtu) && mtu > 0;
                    faults.Mtu = mtu;
                    break;
                case "bw":
                    ok = TryBandwidth(value, out long bandwidth);
                    faults.Bandwidth = bandwidth;
                    break;
                default:
                    ok = false;
                    break;
            }
            if (!ok)
            {
                error = "bad fault '" + part + "': use loss=P, delay=T, jitter=T, reorder=P, dup=P, corrupt=P, mtu=N, bw=R " +
                    "(P in [0,1]; T like 5ms, 200us, 1s; R like 10mbit)";
                return null;
            }
        }
        return faults;
    }

    public override string ToString()
    {
        return "loss=" + Loss.ToString("0.###", CultureInfo.InvariantCulture) +
            ",delay=" + Delay.ToString(CultureInfo.InvariantCulture) + "ns" +
            ",jitter=" + Jitter.ToString(CultureInfo.InvariantCulture) + "ns" +
            ",reorder=" + Reorder.ToString("0.###", CultureInfo.InvariantCulture) +
            ",dup=" + Duplicate.ToString("0.###", CultureInfo.InvariantCulture) +
            ",corrupt=" + Corrupt.ToString("0.###", CultureInfo.InvariantCulture) +
            ",mtu=" + Mtu.ToString(CultureInfo.InvariantCulture) +
            ",bw=" + Bandwidth.ToString(CultureInfo.InvariantCulture) +
            (Partitioned ? ",partitioned" : "");
    }

    private static bool TryProbability(string text, out double value)
    {
        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value) && value >= 0 && value <= 1;
    }

    private static bool TryDuration(string text, out long nanoseconds)
    {
        nanoseconds = 0;
        long unit;
        string number;
        if (text.EndsWith("ns", StringComparison.Ordinal))
        {
            unit = 1;
            number = text.Substring(0, text.Length - 2);
        }
        else if (text.EndsWith("us", StringComparison.Ordinal))
        {
            unit = 1_000;
            number = text.Substring(0, text.Length - 2);
        }
        else if (text.EndsWith("ms", StringComparison.Ordinal))
        {
            unit = 1_000_000;
            number = text.Substring(0, text.Length - 2);
        }
        else if (text.EndsWith('s'))
        {
            unit = 1_000_000_000;
            number = text.Substring(0, text.Length - 1);
        }
        else
        {
            return false;
        }
        if (!double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out double amount) || amount < 0)
        {
            return false;
        }
        nanoseconds = (long)(amount * unit);
        return true;
    }

    private static bool TryBandwidth(string text, out long bitsPerSecond)
    {
        bitsPerSecond = 0;
        string[] units = { "gbit", "mbit", "kbit", "bit" };
        long[] factors = { 1_000_000_000, 1_000_000, 1_000, 1 };
        for (int index = 0; index < units.Length; index++)
        {
            if (text.EndsWith(units[index], StringComparison.Ordinal))
            {
                string number = text.Substring(0, text.Length - units[index].Length);
                if (double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out double amount) && amount > 0)
                {
                    bitsPerSecond = (long)(amount * factors[index]);
                    return true;
                }
                return false;
            }
        }
        return false;
    }
}

// Counters of everything the switch did.
internal sealed class SwitchCounters
{
    public long Sent { get; set; }

    public long Delivered { get; set; }

    public long Lost { get; set; }

    public long Duplicated { get; set; }

    public long Corrupted { get; set; }

    public long Reordered { get; set; }

    public long TooBig { get; set; }

    public long Partitioned { get; set; }

    public long Overflowed { get; set; }

    public long Unknown { get; set; }

    public override string ToString()
    {
        return "sent " + Sent + ", delivered " + Delivered + ", lost " + Lost + ", duplicated " + Duplicated +
            ", corrupted " + Corrupted + ", reordered " + Reordered + ", too big " + TooBig +
            ", partitioned " + Partitioned + ", overflowed " + Overflowed + ", unknown " + Unknown;
    }
}

// A learning-free switch between the NICs of a world's kernels: a frame goes to the port with
// its destination MAC (or to every other port when broadcast), through the faults of that
// directed link, and arrives as a world event on the virtual clock.
internal sealed class SimSwitch
{
    private readonly Simulation world;
    private readonly SimRandom random;
    private readonly List<SimNic> ports = new List<SimNic>();
    private readonly Dictionary<long, LinkFaults> links = new Dictionary<long, LinkFaults>();
    private readonly Dictionary<long, long> busyUntil = new Dictionary<long, long>();

    public SimSwitch(Simulation world, SimRandom random)
    {
        this.world = world;
        this.random = random;
    }

    // The faults every link starts with (a link's own settings are a copy made on first use).
    public LinkFaults DefaultFaults { get; set; } = new LinkFaults();

    public SwitchCounters Counters { get; } = new SwitchCounters();

    public IReadOnlyList<SimNic> Ports => ports;

    // Gives the node a NIC on this switch. MACs are 02:00:00:00:00:<index+1> unless given
    // (02: locally administered, unicast).
    public SimNic Attach(SimNode node, int mtu = 1500, int receiveQueue = 256)
    {
        MacAddress mac = new MacAddress(0x0200_0000_0000 + node.Index + 1);
        SimNic nic = new SimNic(world, this, node, new NetDeviceInfo(mac, mtu), receiveQueue);
        ports.Add(nic);
        node.Nic = nic;
        world.Trace.Record(world.Now, "nic", node.Name, mac.Value, mtu);
        return nic;
    }

    // The faults of the link from one node to another; changing the object changes the link.
    public LinkFaults Link(SimNode from, SimNode to)
    {
        long key = LinkKey(from, to);
        if (!links.TryGetValue(key, out LinkFaults? faults))
        {
            faults = DefaultFaults.Copy();
            links[key] = faults;
        }
        return faults;
    }

    // Sets both directions between two nodes.
    public void SetFaults(SimNode a, SimNode b, LinkFaults faults)
    {
        links[LinkKey(a, b)] = faults.Copy();
        links[LinkKey(b, a)] = faults.Copy();
    }

    // Cuts both directions between two nodes now; they heal after duration (a world event).
    public void Partition(SimNode a, SimNode b, long duration)
    {
        Link(a, b).Partitioned = true;
        Link(b, a).Partitioned = true;
        world.Trace.Record(world.Now, "partition", a.Name + "|" + b.Name, duration, 0);
        world.Schedule(duration, static state =>
        {
            PartitionHeal heal = (PartitionHeal)state!;
            heal.Switch.Link(heal.A, heal.B).Partitioned = false;
            heal.Switch.Link(heal.B, heal.A).Partitioned = false;
            heal.Switch.world.Trace.Record(heal.Switch.world.Now, "heal", heal.A.Name + "|" + heal.B.Name, 0, 0);
        }, new PartitionHeal(this, a, b));
    }

    // Lets the seed choose the faults of every link between the attached NICs: each fault is on
    // or off by a coin and, when on, has a seeded strength within the given maxima.
    public void RandomizeFaults(SimRandom dice, double maximumLoss, long maximumDelay, double maximumDuplicate,
        double maximumReorder, double maximumCorrupt)
    {
        for (int from = 0; from < ports.Count; from++)
        {
            for (int to = 0; to < ports.Count; to++)
            {
                if (from == to)
                {
                    continue;
                }
                LinkFaults faults = Link(ports[from].Node, ports[to].Node);
                faults.Loss = dice.Chance(0.5) ? dice.NextDouble() * maximumLoss : 0;
                faults.Delay = dice.NextLong(maximumDelay + 1);
                faults.Jitter = dice.Chance(0.5) ? dice.NextLong(maximumDelay + 1) : 0;
                faults.Duplicate = dice.Chance(0.5) ? dice.NextDouble() * maximumDuplicate : 0;
                faults.Reorder = dice.Chance(0.5) ? dice.NextDouble() * maximumReorder : 0;
                faults.ReorderDelay = 1 + dice.NextLong(2 * maximumDelay + 1);
                faults.Corrupt = dice.Chance(0.5) ? dice.NextDouble() * maximumCorrupt : 0;
                world.Trace.Record(world.Now, "link", ports[from].Node.Name + ">" + ports[to].Node.Name, faults.ToString());
            }
        }
    }

    // A NIC hands over one frame: it is copied, and each copy that survives the link's faults
    // arrives at its port later, as a world event.
    internal void Transmit(SimNic source, ReadOnlySpan<byte> frame)
    {
        Counters.Sent++;
        if (frame.Length < NetDeviceInfo.EthernetHeaderLength)
        {
            Counters.Unknown++;
            return;
        }
        MacAddress destination = MacAddress.Read(frame);
        bool any = false;
        for (int index = 0; index < ports.Count; index++)
        {
            SimNic port = ports[index];
            if (port == source || (!destination.IsGroup && !port.Info.Mac.Equals(destination)))
            {
                continue;
            }
            any = true;
            Forward(source, port, frame);
        }
        if (!any)
        {
            Counters.Unknown++;
            world.Trace.Record(world.Now, "unknown", source.Node.Name, destination.Value, frame.Length);
        }
    }

    private void Forward(SimNic source, SimNic target, ReadOnlySpan<byte> frame)
    {
        LinkFaults faults = Link(source.Node, target.Node);
        string link = source.Node.Name + ">" + target.Node.Name;
        if (faults.Partitioned)
        {
            Counters.Partitioned++;
            world.Trace.Record(world.Now, "cut", link, frame.Length, 0);
            return;
        }
        if (faults.Mtu > 0 && frame.Length > faults.Mtu + NetDeviceInfo.EthernetHeaderLength)
        {
            Counters.TooBig++;
            world.Trace.Record(world.Now, "toobig", link, frame.Length, faults.Mtu);
            return;
        }
        if (random.Chance(faults.Loss))
        {
            Counters.Lost++;
            world.Trace.Record(world.Now, "lost", link, frame.Length, 0);
            return;
        }
        int copies = random.Chance(faults.Duplicate) ? 2 : 1;
        if (copies == 2)
        {
            Counters.Duplicated++;
        }
        long departure = world.Now;
        if (faults.Bandwidth > 0)
        {
            long key = LinkKey(source.Node, target.Node);
            busyUntil.TryGetValue(key, out long busy);
            long serialization = (long)((Int128)frame.Length * 8 * 1_000_000_000 / faults.Bandwidth);
            departure = Math.Max(departure, busy) + serialization;
            busyUntil[key] = departure;
        }
        for (int copy = 0; copy < copies; copy++)
        {
            byte[] bytes = frame.ToArray();
            if (random.Chance(faults.Corrupt))
            {
                Counters.Corrupted++;
                int bit = random.Next(bytes.Length * 8);
                bytes[bit / 8] ^= (byte)(1 << (bit % 8));
                world.Trace.Record(world.Now, "corrupt", link, bit, copy);
            }
            long delay = departure - world.Now + faults.Delay + random.NextLong(faults.Jitter + 1);
            if (random.Chance(faults.Reorder))
            {
                Counters.Reordered++;
                delay += random.NextLong(faults.ReorderDelay + 1);
            }
            world.Trace.Record(world.Now, copy == 0 ? "send" : "dup", link, bytes.Length, delay);
            world.Schedule(delay, static state =>
            {
                InFlight flight = (InFlight)state!;
                flight.Target.Arrive(flight.Bytes, flight.Link);
            }, new InFlight(target, bytes, link));
        }
    }

    internal void CountDelivered(bool overflowed)
    {
        if (overflowed)
        {
            Counters.Overflowed++;
        }
        else
        {
            Counters.Delivered++;
        }
    }

    private static long LinkKey(SimNode from, SimNode to) => ((long)from.Index << 32) | (uint)to.Index;

    private sealed class InFlight
    {
        public InFlight(SimNic target, byte[] bytes, string link)
        {
            Target = target;
            Bytes = bytes;
            Link = link;
        }

        public SimNic Target { get; }

        public byte[] Bytes { get; }

        public string Link { get; }
    }

    private sealed class PartitionHeal
    {
        public PartitionHeal(SimSwitch owner, SimNode a, SimNode b)
        {
            Switch = owner;
            A = a;
            B = b;
        }

        public SimSwitch Switch { get; }

        public SimNode A { get; }

        public SimNode B { get; }
    }
}

// A kernel's NIC on the simulated switch. Received frames wait in a bounded queue; when one
// arrives the NIC raises its interrupt: the handler the kernel registered is queued on that
// kernel's run queue (once, until the kernel has taken the frames), as a driver's interrupt
// bottom half would run.
[Device("netdev")]
internal sealed class SimNic : INetDevice
{
    private readonly Simulation world;
    private readonly SimSwitch network;
    private readonly Queue<byte[]> received = new Queue<byte[]>();
    private readonly int queueLimit;
    private bool interruptPending;

    public SimNic(Simulation world, SimSwitch network, SimNode node, NetDeviceInfo info, int queueLimit)
    {
        this.world = world;
        this.network = network;
        Node = node;
        Info = info;
        this.queueLimit = queueLimit;
    }

    public SimNode Node { get; }

    public NetDeviceInfo Info { get; }

    public int Pending => received.Count;

    // Frames that found the queue full (or the node halted) and were dropped.
    public long ReceiveDropped { get; private set; }

    // A simulated NIC drops what its full queue cannot take; it never holds the switch back.
    public long ReceiveHeldBack => 0;

    // Runs on the kernel's run queue when frames have arrived.
    public Action<object?>? Interrupt { get; set; }

    public object? InterruptState { get; set; }

    // The sim world delivers frames on this kernel's run queue already, so the listener runs
    // as the interrupt handler itself.
    public void ListenForFrames(Scheduler scheduler, Action arrived)
    {
        Interrupt = static state => ((Action)state!)();
        InterruptState = arrived;
    }

    public bool TryReceive(Span<byte> frame, out int length, out FrameOffload offload)
    {
        offload = FrameOffload.None;
        interruptPending = false;
        if (!received.TryDequeue(out byte[]? bytes))
        {
            length = 0;
            return false;
        }
        length = bytes.Length;
        if (bytes.Length > frame.Length)
        {
            return TryReceive(frame, out length, out offload);
        }
        bytes.CopyTo(frame);
        return true;
    }

    // The simulated NIC has no offloads: a frame that asks for one is refused.
    public bool TryTransmit(ReadOnlySpan<byte> frame, in FrameOffload offload)
    {
        if (!offload.IsNone || frame.Length > Info.MaximumFrameLength || frame.Length < NetDeviceInfo.EthernetHeaderLength || Node.Halted)
        {
            return false;
        }
        network.Transmit(this, frame);
        return true;
    }

    internal void Arrive(byte[] bytes, string link)
    {
        if (Node.Halted || received.Count >= queueLimit)
        {
            ReceiveDropped++;
            network.CountDelivered(true);
            world.Trace.Record(world.Now, "overflow", link, bytes.Length, received.Count);
            return;
        }
        received.Enqueue(bytes);
        network.CountDelivered(false);
        world.Trace.Record(world.Now, "arrive", link, bytes.Length, received.Count);
        Action<object?>? handler = Interrupt;
        if (handler != null && !interruptPending)
        {
            interruptPending = true;
            Node.Kernel.Scheduler.Spawn(handler, InterruptState);
        }
    }
}
