namespace Unikraft.Kernel;

using System;
using System.Threading;

// The receive side of a hosted network device: a host reader thread puts frames in, the vCPU
// takes them out through TryReceive, and the interrupt (the listener from ListenForFrames) is
// posted to the kernel's scheduler once per batch: the reader posts only when no report is
// outstanding, and the report is marked taken before the listener drains, so a frame that
// arrives during or after the drain posts again and none waits unreported.
//
// The queue is bounded. When the kernel does not keep up and it fills, the reader waits for room
// (WaitForRoom) instead of reading frames only to drop them, so the frames wait where they come
// from: in the host's TAP queue, which drops beyond its length and counts that as the interface's
// transmit drops (`ip -s link`), as a NIC whose receive ring is full drops and counts on the
// wire's side; or in passt's socket, which then stops reading from the host's sockets and slows
// their peers down, so nothing is lost. Each wait is counted (HeldBack); frames the reader had
// to drop anyway (longer than a slot) are counted too (Dropped), and the stack's interface
// reports both.
internal sealed class HostFrameInbox
{
    private readonly HostFrameRing ring;
    private readonly SendOrPostCallback deliver;
    // NOTE: never disposed: the vCPU may still set it while the device closes, and on Linux
    // .NET's wait handles are managed objects that hold no host resource.
    private readonly AutoResetEvent roomFreed = new AutoResetEvent(false);
    private Scheduler? scheduler;
    private Action? arrived;
    // 1 while a report is posted and not yet taken by the vCPU.
    private int reportPending;
    // 1 while the reader waits for room.
    private int readerWaiting;
    private volatile bool closed;
    private long dropped;
    private long heldBack;

    public HostFrameInbox(int capacity, int slotLength)
    {
        ring = new HostFrameRing(capacity, slotLength);
        deliver = new SendOrPostCallback(Deliver);
    }

    public int SlotLength => ring.SlotLength;

    // Frames the reader dropped (any thread reads it).
    public long Dropped => Volatile.Read(ref dropped);

    // Times the reader found the queue full and waited for room (any thread reads it).
    public long HeldBack => Volatile.Read(ref heldBack);

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
    // (the caller then waits in WaitForRoom before it reads more).
    public bool TryBeginWrite(out Span<byte> slot) => ring.TryBeginWrite(out slot);

    // Reader thread: waits until the vCPU took a frame from the full queue; false once the
    // device closes (Close), when the reader should end.
    public bool WaitForRoom()
    {
        Interlocked.Increment(ref heldBack);
        while (!closed)
        {
            // A full fence before the look at the queue: a frame the vCPU takes after it finds
            // readerWaiting set and wakes this thread (see TryReceive).
            Interlocked.Exchange(ref readerWaiting, 1);
            if (ring.HasRoom || closed)
            {
                Interlocked.Exchange(ref readerWaiting, 0);
                break;
            }
            roomFreed.WaitOne();
        }
        return !closed;
    }

    // Any thread: the device closes; a reader waiting for room returns false.
    public void Close()
    {
        closed = true;
        roomFreed.Set();
    }

    // Reader thread: the frame is in the slot; the kernel hears of it.
    public void CommitWrite(int length)
    {
        ring.CommitWrite(length);
        Report();
    }

    // Reader thread: a frame it read could not be queued.
    public void CountDropped()
    {
        Interlocked.Increment(ref dropped);
    }

    // On the vCPU: the next frame, as INetDevice.TryReceive gives it.
    public bool TryReceive(Span<byte> frame, out int length) => TryReceive(Span<byte>.Empty, frame, out length);

    // On the vCPU: the next frame for a device whose frames start with a header of prefix.Length
    // bytes (a TAP device's virtio_net_hdr): the header goes into prefix, the frame after it into
    // frame, and length is the frame's without the header. A slot too short to hold the header is
    // dropped.
    public bool TryReceive(Span<byte> prefix, Span<byte> frame, out int length)
    {
        while (ring.TryPeek(out ReadOnlySpan<byte> next))
        {
            length = next.Length - prefix.Length;
            bool fits = length >= 0 && length <= frame.Length;
            if (fits)
            {
                next.Slice(0, prefix.Length).CopyTo(prefix);
                next.Slice(prefix.Length).CopyTo(frame);
            }
            ring.Release();
            // A full fence between the slot's release and the look at readerWaiting (see
            // WaitForRoom): a waiting reader is woken.
            Interlocked.MemoryBarrier();
            if (Volatile.Read(ref readerWaiting) != 0 && Interlocked.Exchange(ref readerWaiting, 0) == 1)
            {
                roomFreed.Set();
            }
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
