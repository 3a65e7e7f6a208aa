namespace Unikraft.Kernel;

using System;
using System.Threading;

// The receive side of a hosted network device: a host reader thread puts frames in, the vCPU
// takes them out through TryReceive, and the interrupt (the listener from ListenForFrames) is
// posted to the kernel's scheduler once per batch: the reader posts only when no report is
// outstanding, and the report is marked taken before the listener drains, so a frame that
// arrives during or after the drain posts again and none waits unreported.
//
// The queue is bounded: when the kernel does not keep up, the newest frames are dropped and
// counted, as a NIC's receive ring drops when its descriptors run out.
internal sealed class HostFrameInbox
{
    private readonly HostFrameRing ring;
    private readonly SendOrPostCallback deliver;
    private Scheduler? scheduler;
    private Action? arrived;
    // 1 while a report is posted and not yet taken by the vCPU.
    private int reportPending;
    private long dropped;

    public HostFrameInbox(int capacity, int slotLength)
    {
        ring = new HostFrameRing(capacity, slotLength);
        deliver = new SendOrPostCallback(Deliver);
    }

    public int SlotLength => ring.SlotLength;

    // Frames dropped because the queue was full (any thread reads it).
    public long Dropped => Volatile.Read(ref dropped);

    public int Count => ring.Count;

    // On the vCPU, usually once.
    public void Listen(Scheduler scheduler, Action arrived)
    {
        this.arrived = arrived;
        // A full fence: either the reader sees the scheduler, or this sees its frame.
        Interlocked.Exchange(ref this.scheduler, scheduler);
        // Frames that came before anyone listened are reported now.
        if (!ring.IsEmpty)
        {
            Report();
        }
    }

    // Reader thread: the slot to read the next frame into, or false when the queue is full
    // (the caller then reads the frame elsewhere and calls CountDropped).
    public bool TryBeginWrite(out Span<byte> slot) => ring.TryBeginWrite(out slot);

    // Reader thread: the frame is in the slot; the kernel hears of it.
    public void CommitWrite(int length)
    {
        ring.CommitWrite(length);
        Report();
    }

    // Reader thread.
    public void CountDropped()
    {
        Interlocked.Increment(ref dropped);
    }

    // On the vCPU: the next frame, as INetDevice.TryReceive gives it.
    public bool TryReceive(Span<byte> frame, out int length)
    {
        while (ring.TryPeek(out ReadOnlySpan<byte> next))
        {
            length = next.Length;
            bool fits = next.Length <= frame.Length;
            if (fits)
            {
                next.CopyTo(frame);
            }
            ring.Release();
            if (fits)
            {
                return true;
            }
        }
        length = 0;
        return false;
    }

    private void Report()
    {
        // The frame's publication is ordered before the look at the listener (see Listen).
        Interlocked.MemoryBarrier();
        Scheduler? target = Volatile.Read(ref scheduler);
        if (target != null && Interlocked.Exchange(ref reportPending, 1) == 0)
        {
            target.Post(deliver, null);
        }
    }

    // On the vCPU: the interrupt.
    private void Deliver(object? state)
    {
        // Taken before the drain (a full fence too), so a frame added after the drain's last
        // look finds no report pending and posts one.
        Interlocked.Exchange(ref reportPending, 0);
        arrived?.Invoke();
    }
}
