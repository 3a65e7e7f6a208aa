namespace Unikraft.Kernel;

using System;

// How often each fault happens, as probabilities in [0, 1] per frame.
internal sealed class NetFaultRates
{
    public double TransmitLoss { get; set; }

    public double ReceiveLoss { get; set; }

    public double Duplicate { get; set; }

    public double Corrupt { get; set; }
}

// Drops, duplicates and corrupts frames around another device. The dice come from a
// randomness device, so on the sim platform every fault is decided by the seed and replays.
internal sealed class FaultyNetDevice : INetDevice
{
    private readonly INetDevice inner;
    private readonly IRandomDevice random;
    private readonly byte[] scratch;

    public FaultyNetDevice(INetDevice inner, IRandomDevice random, NetFaultRates rates)
    {
        this.inner = inner;
        this.random = random;
        Rates = rates;
        scratch = new byte[inner.Info.MaximumTransmitFrameLength];
    }

    public NetFaultRates Rates { get; }

    public NetDeviceInfo Info => inner.Info;

    public long Dropped { get; private set; }

    public long Duplicated { get; private set; }

    public long Corrupted { get; private set; }

    public bool TryReceive(Span<byte> frame, out int length, out FrameOffload offload)
    {
        while (inner.TryReceive(frame, out length, out offload))
        {
            if (Roll(Rates.ReceiveLoss))
            {
                Dropped++;
                continue;
            }
            if (length <= frame.Length && length > 0 && Roll(Rates.Corrupt))
            {
                Corrupted++;
                FlipBit(frame.Slice(0, length));
                // Damage on the way is what checksums are for: the stack checks this frame's.
                offload = FrameOffload.None;
            }
            return true;
        }
        return false;
    }

    public void ListenForFrames(Scheduler scheduler, Action arrived) => inner.ListenForFrames(scheduler, arrived);

    public long ReceiveDropped => inner.ReceiveDropped;

    public long ReceiveHeldBack => inner.ReceiveHeldBack;

    public bool TryTransmit(ReadOnlySpan<byte> frame, in FrameOffload offload)
    {
        if (Roll(Rates.TransmitLoss))
        {
            // The frame left as far as the sender can tell: a lost frame is not a refused one.
            Dropped++;
            return true;
        }
        ReadOnlySpan<byte> sent = frame;
        if (frame.Length > 0 && frame.Length <= scratch.Length && Roll(Rates.Corrupt))
        {
            Corrupted++;
            frame.CopyTo(scratch);
            Span<byte> copy = scratch.AsSpan(0, frame.Length);
            FlipBit(copy);
            sent = copy;
        }
        bool accepted = inner.TryTransmit(sent, offload);
        if (accepted && Roll(Rates.Duplicate))
        {
            Duplicated++;
            inner.TryTransmit(sent, offload);
        }
        return accepted;
    }

    private void FlipBit(Span<byte> frame)
    {
        ulong dice = NextUInt64();
        int bit = (int)(dice % (ulong)(frame.Length * 8));
        frame[bit / 8] ^= (byte)(1 << (bit % 8));
    }

    private bool Roll(double probability)
    {
        if (probability <= 0)
        {
            return false;
        }
        // 53 random bits give a uniform double in [0, 1).
        double value = (NextUInt64() >> 11) * (1.0 / (1UL << 53));
        return value < probability;
    }

    private ulong NextUInt64()
    {
        Span<byte> bytes = stackalloc byte[8];
        random.Fill(bytes);
        return System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(bytes);
    }
}
