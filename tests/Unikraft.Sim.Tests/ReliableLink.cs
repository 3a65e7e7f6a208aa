namespace Unikraft.Sim.Tests;

using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Threading.Tasks;
using Unikraft.Kernel;

// A small reliable-delivery protocol over raw Ethernet frames, written the way a program on
// the kernel would: go-back-N with cumulative acks and a retransmit timer on the sender,
// in-order delivery with de-duplication by sequence number on the receiver, and a checksum that
// turns corruption into loss. Frame: destination, source, EtherType 0x88B5 (IEEE local
// experimental), kind (1 data, 2 ack), sequence (4), length (2), payload, FNV-1a 32 of all
// the bytes before it.
internal static class ReliableFrame
{
    public const int EtherType = 0x88B5;
    public const byte Data = 1;
    public const byte Ack = 2;
    public const int HeaderLength = 14 + 1 + 4 + 2;

    public static int Build(Span<byte> frame, MacAddress destination, MacAddress source, byte kind, int sequence, ReadOnlySpan<byte> payload)
    {
        destination.Write(frame);
        source.Write(frame.Slice(6));
        BinaryPrimitives.WriteUInt16BigEndian(frame.Slice(12), EtherType);
        frame[14] = kind;
        BinaryPrimitives.WriteInt32BigEndian(frame.Slice(15), sequence);
        BinaryPrimitives.WriteUInt16BigEndian(frame.Slice(19), (ushort)payload.Length);
        payload.CopyTo(frame.Slice(HeaderLength));
        int length = HeaderLength + payload.Length;
        BinaryPrimitives.WriteUInt32BigEndian(frame.Slice(length), Fnv32(frame.Slice(0, length)));
        return length + 4;
    }

    public static bool TryParse(ReadOnlySpan<byte> frame, MacAddress self, out byte kind, out int sequence, out ReadOnlySpan<byte> payload)
    {
        kind = 0;
        sequence = 0;
        payload = default;
        if (frame.Length < HeaderLength + 4 || !MacAddress.Read(frame).Equals(self) ||
            BinaryPrimitives.ReadUInt16BigEndian(frame.Slice(12)) != EtherType)
        {
            return false;
        }
        int length = BinaryPrimitives.ReadUInt16BigEndian(frame.Slice(19));
        if (HeaderLength + length + 4 != frame.Length ||
            BinaryPrimitives.ReadUInt32BigEndian(frame.Slice(HeaderLength + length)) != Fnv32(frame.Slice(0, HeaderLength + length)))
        {
            return false;
        }
        kind = frame[14];
        sequence = BinaryPrimitives.ReadInt32BigEndian(frame.Slice(15));
        payload = frame.Slice(HeaderLength, length);
        return true;
    }

    public static uint Fnv32(ReadOnlySpan<byte> bytes)
    {
        uint hash = 2166136261;
        foreach (byte value in bytes)
        {
            hash = (hash ^ value) * 16777619;
        }
        return hash;
    }

    // The payload of message number sequence: its bytes say which message it is.
    public static byte[] Message(int sequence)
    {
        byte[] payload = new byte[8 + sequence % 23];
        BinaryPrimitives.WriteInt32BigEndian(payload, sequence);
        BinaryPrimitives.WriteInt32BigEndian(payload.AsSpan(4), sequence * 7919);
        for (int index = 8; index < payload.Length; index++)
        {
            payload[index] = (byte)(sequence + index);
        }
        return payload;
    }
}

// The sending side, on the client's kernel.
internal sealed class ReliableSender
{
    private readonly SimNode node;
    private readonly INetDevice device;
    private readonly MacAddress peer;
    private readonly int count;
    private readonly int window;
    private readonly long timeout;
    private readonly byte[] frame = new byte[1514];
    private TaskCompletionSource<bool> progress = new TaskCompletionSource<bool>();

    public ReliableSender(SimNode node, INetDevice device, MacAddress peer, int count, int window, long timeout)
    {
        this.node = node;
        this.device = device;
        this.peer = peer;
        this.count = count;
        this.window = window;
        this.timeout = timeout;
    }

    public int Acked { get; private set; }

    public int Retransmissions { get; private set; }

    public async Task Run()
    {
        int next = 0;
        while (Acked < count)
        {
            while (next < count && next < Acked + window)
            {
                Send(next);
                next++;
            }
            int mark = Acked;
            // One wake-up for either an ack or the retransmit timer. NOTE: not Task.WhenAny over
            // Task.Delay: a combinator's continuation is not bound to the kernel's context, and a
            // promise that runs continuations asynchronously sends it to the host's thread pool,
            // off the one vCPU (and out of the simulation's control).
            progress = new TaskCompletionSource<bool>();
            Sys.UkTimerArm(Kernel.Current, timeout, static state => ((TaskCompletionSource<bool>)state!).TrySetResult(false), progress);
            await progress.Task;
            if (Kernel.Current != node.Kernel)
            {
                throw new SimInvariantException("the sender resumed on another kernel");
            }
            if (Acked == mark && Acked < count)
            {
                // Go back N: resend the whole window from the first unacknowledged message.
                Retransmissions++;
                next = Acked;
            }
        }
    }

    // The NIC's interrupt: take every frame, move the window on a cumulative ack.
    public void OnInterrupt()
    {
        if (Kernel.Current != node.Kernel)
        {
            throw new SimInvariantException("an interrupt of " + node.Name + " ran on another kernel");
        }
        Span<byte> buffer = stackalloc byte[1514];
        while (device.TryReceive(buffer, out int length))
        {
            if (ReliableFrame.TryParse(buffer.Slice(0, length), device.Info.Mac, out byte kind, out int sequence, out _) &&
                kind == ReliableFrame.Ack && sequence > Acked && sequence <= count)
            {
                Acked = sequence;
                progress.TrySetResult(true);
            }
        }
    }

    private void Send(int sequence)
    {
        int length = ReliableFrame.Build(frame, peer, device.Info.Mac, ReliableFrame.Data, sequence, ReliableFrame.Message(sequence));
        device.TryTransmit(frame.AsSpan(0, length));
    }
}

// The receiving side, on the server's kernel. SkipDeduplication is the injected bug: it
// delivers every intact data frame it has not already passed, duplicates and retransmissions
// included, instead of only the next one in sequence.
internal sealed class ReliableReceiver
{
    private readonly SimNode node;
    private readonly INetDevice device;
    private readonly MacAddress peer;
    private readonly byte[] frame = new byte[64];
    private int checkedCount;

    public ReliableReceiver(SimNode node, INetDevice device, MacAddress peer)
    {
        this.node = node;
        this.device = device;
        this.peer = peer;
    }

    public bool SkipDeduplication { get; set; }

    public int Expected { get; private set; }

    public List<int> Delivered { get; } = new List<int>();

    public void OnInterrupt()
    {
        if (Kernel.Current != node.Kernel)
        {
            throw new SimInvariantException("an interrupt of " + node.Name + " ran on another kernel");
        }
        Span<byte> buffer = stackalloc byte[1514];
        while (device.TryReceive(buffer, out int length))
        {
            if (!ReliableFrame.TryParse(buffer.Slice(0, length), device.Info.Mac, out byte kind, out int sequence, out ReadOnlySpan<byte> payload) ||
                kind != ReliableFrame.Data)
            {
                continue;
            }
            if (!payload.SequenceEqual(ReliableFrame.Message(sequence)))
            {
                throw new SimInvariantException("message " + sequence + " arrived with the wrong bytes past its checksum");
            }
            if (sequence == Expected || (SkipDeduplication && sequence <= Expected))
            {
                Delivered.Add(sequence);
                Expected = Math.Max(Expected, sequence + 1);
            }
            int ackLength = ReliableFrame.Build(frame, peer, device.Info.Mac, ReliableFrame.Ack, Expected, ReadOnlySpan<byte>.Empty);
            device.TryTransmit(frame.AsSpan(0, ackLength));
        }
    }

    // The invariant: every message delivered at most once and in order, so the delivered list
    // is exactly 0, 1, 2, ... Checked incrementally after every step.
    public void Check()
    {
        for (; checkedCount < Delivered.Count; checkedCount++)
        {
            if (Delivered[checkedCount] != checkedCount)
            {
                throw new SimInvariantException("delivery " + checkedCount + " was message " + Delivered[checkedCount] +
                    ": messages must arrive at most once and in order");
            }
        }
    }
}
