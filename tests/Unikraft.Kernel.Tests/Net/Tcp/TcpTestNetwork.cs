namespace Unikraft.Kernel.Tests.Net.Tcp;

using System;
using System.Collections.Generic;
using Unikraft.Kernel;

// One datagram on the test network, as the sender handed it to its IPv4 layer.
internal sealed class Datagram
{
    public Datagram(Ipv4Address source, Ipv4Address destination, byte[] bytes, long sentAt)
    {
        Source = source;
        Destination = destination;
        Bytes = bytes;
        SentAt = sentAt;
    }

    public Ipv4Address Source { get; }

    public Ipv4Address Destination { get; }

    public byte[] Bytes { get; }

    public long SentAt { get; }

    public TcpHeader Header
    {
        get
        {
            TcpSegment.TryWrap((ReadOnlySpan<byte>)Bytes, out TcpSegment segment);
            TcpHeader.TryParse(segment, Source, Destination, out TcpHeader header);
            return header;
        }
    }

    public int PayloadLength
    {
        get
        {
            TcpSegment.TryWrap((ReadOnlySpan<byte>)Bytes, out TcpSegment segment);
            return segment.Payload.Length;
        }
    }

    public bool Has(byte flag) => (Header.Flags & flag) != 0;

    public override string ToString()
    {
        TcpHeader header = Header;
        return Source + ":" + header.SourcePort + " > " + Destination + ":" + header.DestinationPort + " flags " + header.Flags.ToString("x2") +
            " seq " + header.SequenceNumber + " ack " + header.AcknowledgmentNumber + " len " + PayloadLength + " win " + header.Window;
    }
}

// Hosts joined by an in-memory IPv4 network, driven step by step on a manual clock: each
// host's TcpStack sends through an IIpv4Output that queues datagrams here; Deliver hands them to
// the destination's stack, and Run advances virtual time from one timer deadline to the next.
// Loss, duplication and reordering come from a seeded Random, and Drop can remove chosen
// datagrams, so a run is replayed exactly by its seed.
internal sealed class TcpTestNetwork
{
    // NOTE: an Ethernet MTU of 1500 less the 20-byte IPv4 header.
    public const int PayloadLimit = 1480;

    private readonly Dictionary<Ipv4Address, TcpStack> hosts = new Dictionary<Ipv4Address, TcpStack>();
    private readonly List<Datagram> queue = new List<Datagram>();
    private readonly List<long> arrivals = new List<long>();
    private readonly Random random;

    public TcpTestNetwork(int seed = 1)
    {
        random = new Random(seed);
        Seed = seed;
    }

    public int Seed { get; }

    public ManualClock Clock { get; } = new ManualClock();

    // Every datagram sent, dropped or not, in order.
    public List<Datagram> Sent { get; } = new List<Datagram>();

    // One-way delay of every datagram, in nanoseconds.
    public long Latency { get; set; }

    public double LossRate { get; set; }

    public double DuplicateRate { get; set; }

    public double ReorderRate { get; set; }

    // Chosen datagrams to lose: true drops it.
    public Func<Datagram, bool>? Drop { get; set; }

    public int Queued => queue.Count;

    // The longest TCP segment a host may hand its IPv4 layer for the device to cut to
    // PayloadLimit (IIpv4Output.SegmentOffloadTo); 0, the default: no segmentation offload.
    public int SegmentOffload { get; set; }

    // The segments handed over whole to be cut: their length (header included) and the data
    // bytes of each piece asked for.
    public List<(int Length, int SegmentSize)> Offloaded { get; } = new List<(int, int)>();

    // Segments handed over to be cut that the "device" refuses with -EHOSTUNREACH, as an
    // interface does when the next hop's ARP entry expired: true refuses it.
    public Func<bool>? RefuseOffload { get; set; }

    public TcpStack AddHost(Ipv4Address address, int seed)
    {
        TcpStack stack = new TcpStack(new Output(this, address), Clock, new SeededRandomDevice(seed), null);
        hosts[address] = stack;
        return stack;
    }

    // Delivers queued datagrams that have arrived by now until none is left (those sent
    // meanwhile included).
    public void Deliver()
    {
        for (int guard = 0; ; guard++)
        {
            if (guard > 1_000_000)
            {
                throw new InvalidOperationException("the network never went quiet");
            }
            int arrived = Arrived();
            if (arrived == 0)
            {
                return;
            }
            int index = 0;
            if (ReorderRate > 0 && arrived > 1 && random.NextDouble() < ReorderRate)
            {
                index = random.Next(arrived);
            }
            Datagram datagram = queue[index];
            queue.RemoveAt(index);
            arrivals.RemoveAt(index);
            if (hosts.TryGetValue(datagram.Destination, out TcpStack? stack))
            {
                stack.Receive(datagram.Source, datagram.Destination, datagram.Bytes);
            }
        }
    }

    // Hands one raw segment to a host, as if it came from source.
    public void Inject(Ipv4Address source, Ipv4Address destination, byte[] segment)
    {
        hosts[destination].Receive(source, destination, segment);
    }

    // Delivers, then moves time to the next deadline and runs the timers, until condition holds
    // or limit nanoseconds of virtual time passed. Returns whether the condition held.
    public bool RunUntil(Func<bool> condition, long limit)
    {
        long end = Clock.MonotonicNanoseconds + limit;
        while (true)
        {
            Deliver();
            if (condition())
            {
                return true;
            }
            if (Arrived() > 0)
            {
                // The condition sent something: it goes out before time moves on.
                continue;
            }
            long next = arrivals.Count > 0 ? arrivals[0] : long.MaxValue;
            foreach (TcpStack stack in hosts.Values)
            {
                next = Math.Min(next, stack.NextDeadline());
            }
            if (next > end)
            {
                Clock.Advance(Math.Max(0, end - Clock.MonotonicNanoseconds));
                return condition();
            }
            if (next > Clock.MonotonicNanoseconds)
            {
                Clock.Advance(next - Clock.MonotonicNanoseconds);
            }
            foreach (TcpStack stack in hosts.Values)
            {
                stack.Poll();
            }
        }
    }

    public void RunFor(long nanoseconds)
    {
        RunUntil(() => false, nanoseconds);
    }

    private void Enqueue(Datagram datagram)
    {
        Sent.Add(datagram);
        if (Drop != null && Drop(datagram))
        {
            return;
        }
        if (LossRate > 0 && random.NextDouble() < LossRate)
        {
            return;
        }
        long arrival = Clock.MonotonicNanoseconds + Latency;
        queue.Add(datagram);
        arrivals.Add(arrival);
        if (DuplicateRate > 0 && random.NextDouble() < DuplicateRate)
        {
            queue.Add(datagram);
            arrivals.Add(arrival);
        }
    }

    // How many datagrams at the head of the queue have arrived (arrival times never decrease
    // along the queue, since the latency is fixed).
    private int Arrived()
    {
        long now = Clock.MonotonicNanoseconds;
        int count = 0;
        while (count < arrivals.Count && arrivals[count] <= now)
        {
            count++;
        }
        return count;
    }

    private sealed class Output : IIpv4Output
    {
        private readonly TcpTestNetwork network;
        private readonly Ipv4Address address;

        public Output(TcpTestNetwork network, Ipv4Address address)
        {
            this.network = network;
            this.address = address;
        }

        public int Send(Ipv4Address source, Ipv4Address destination, byte protocol, ReadOnlySpan<byte> payload)
        {
            network.Enqueue(new Datagram(source, destination, payload.ToArray(), network.Clock.MonotonicNanoseconds));
            return 0;
        }

        public bool TrySelectSource(Ipv4Address destination, out Ipv4Address source)
        {
            // 127.0.0.0/8 is each host's own, as NetStack's loopback (a listener may bind there).
            if (destination.IsLoopback)
            {
                source = destination;
                return true;
            }
            source = address;
            return destination.IsInSubnet(new Ipv4Address(198, 18, 0, 0), 15);
        }

        public int MaximumPayloadTo(Ipv4Address destination) => PayloadLimit;

        public int SegmentOffloadTo(Ipv4Address destination) => network.SegmentOffload;

        // Does what a device with TCP segmentation offload does (Linux's tcp_gso_segment): checks
        // that the checksum field holds the pseudo-header's sum, then cuts the segment into
        // pieces of segmentSize data bytes, each with the first's header, its sequence number
        // advanced, PSH and FIN only on the last, and its checksum complete.
        public int SendTcpOffloaded(Ipv4Address source, Ipv4Address destination, ReadOnlySpan<byte> segment, int segmentSize)
        {
            if (network.SegmentOffload == 0 || segment.Length > network.SegmentOffload)
            {
                throw new InvalidOperationException("a segment of " + segment.Length + " bytes offloaded to a limit of " + network.SegmentOffload);
            }
            if (network.RefuseOffload != null && network.RefuseOffload())
            {
                return -Errno.EHOSTUNREACH;
            }
            ushort partial = (ushort)~Checksum.Finish(Checksum.PseudoHeader(source, destination, IpProtocol.Tcp, segment.Length));
            ushort field = (ushort)((segment[TcpSegment.ChecksumOffset] << 8) | segment[TcpSegment.ChecksumOffset + 1]);
            if (field != partial)
            {
                throw new InvalidOperationException("the checksum field holds " + field.ToString("x4") + ", not the pseudo-header's sum " + partial.ToString("x4"));
            }
            network.Offloaded.Add((segment.Length, segmentSize));
            int headerLength = TcpSegment.HeaderLengthOf(segment);
            int dataLength = segment.Length - headerLength;
            if (headerLength + segmentSize > PayloadLimit)
            {
                throw new InvalidOperationException("pieces of " + segmentSize + " data bytes do not fit the MTU after a " + headerLength + "-byte header");
            }
            uint sequence = (uint)((segment[4] << 24) | (segment[5] << 16) | (segment[6] << 8) | segment[7]);
            byte flags = segment[13];
            for (int offset = 0; offset < dataLength; offset += segmentSize)
            {
                int length = Math.Min(segmentSize, dataLength - offset);
                bool last = offset + length == dataLength;
                byte[] piece = new byte[headerLength + length];
                segment.Slice(0, headerLength).CopyTo(piece);
                segment.Slice(headerLength + offset, length).CopyTo(piece.AsSpan(headerLength));
                uint pieceSequence = sequence + (uint)offset;
                piece[4] = (byte)(pieceSequence >> 24);
                piece[5] = (byte)(pieceSequence >> 16);
                piece[6] = (byte)(pieceSequence >> 8);
                piece[7] = (byte)pieceSequence;
                piece[13] = last ? flags : (byte)(flags & ~(TcpFlags.Psh | TcpFlags.Fin));
                piece[16] = 0;
                piece[17] = 0;
                ushort sum = Checksum.Finish(Checksum.Add(Checksum.PseudoHeader(source, destination, IpProtocol.Tcp, piece.Length), piece));
                piece[16] = (byte)(sum >> 8);
                piece[17] = (byte)sum;
                network.Enqueue(new Datagram(source, destination, piece, network.Clock.MonotonicNanoseconds));
            }
            return 0;
        }
    }
}
