namespace Unikraft.Kernel.Tests.NetDev;

using System;
using System.Threading;
using System.Threading.Tasks;
using Xunit;

// The receive queue of the hosted devices, fed from a host thread as their readers feed it.
public class HostFrameInboxTests
{
    [Fact]
    public void FullQueue_DropsTheNewestAndCounts()
    {
        HostFrameInbox inbox = new HostFrameInbox(2, 64);

        for (byte index = 1; index <= 3; index++)
        {
            if (inbox.TryBeginWrite(out Span<byte> slot))
            {
                slot[0] = index;
                inbox.CommitWrite(1);
            }
            else
            {
                inbox.CountDropped();
            }
        }

        byte[] frame = new byte[64];
        Assert.True(inbox.TryReceive(frame, out int length));
        Assert.Equal((1, 1), (length, (int)frame[0]));
        Assert.True(inbox.TryReceive(frame, out _));
        Assert.Equal(2, frame[0]);
        Assert.False(inbox.TryReceive(frame, out _));
        Assert.Equal(1, inbox.Dropped);
    }

    [Fact]
    public void FrameLongerThanTheBuffer_IsSkipped()
    {
        HostFrameInbox inbox = new HostFrameInbox(4, 64);
        Add(inbox, 40, 7);
        Add(inbox, 10, 8);

        byte[] small = new byte[20];
        Assert.True(inbox.TryReceive(small, out int length));
        Assert.Equal((10, 8), (length, (int)small[0]));
    }

    // Frames from another thread reach the listener through the scheduler, every one of them,
    // with fewer interrupts than frames when they come in bursts.
    [Fact]
    public void FramesFromAHostThread_AllReachTheListener()
    {
        const int Count = 20_000;
        Kernel kernel = new Kernel(new TestPlatform());
        HostFrameInbox inbox = new HostFrameInbox(64, 8);
        TaskCompletionSource done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        byte[] frame = new byte[8];
        int received = 0;
        int interrupts = 0;
        int expected = 0;
        bool inOrder = true;
        inbox.Listen(kernel.Scheduler, () =>
        {
            interrupts++;
            while (inbox.TryReceive(frame, out _))
            {
                int value = BitConverter.ToInt32(frame, 0);
                inOrder &= value == expected;
                expected = value + 1;
                received++;
            }
            if (received + inbox.Dropped == Count)
            {
                done.TrySetResult();
            }
        });
        Thread producer = new Thread(() =>
        {
            for (int index = 0; index < Count; index++)
            {
                Span<byte> slot;
                while (!inbox.TryBeginWrite(out slot))
                {
                    Thread.Yield();
                }
                BitConverter.TryWriteBytes(slot, index);
                inbox.CommitWrite(4);
            }
        });
        producer.Start();

        kernel.Scheduler.RunUntilCompleted(Task.WhenAny(done.Task, Task.Delay(30_000)));
        producer.Join();

        Assert.True(done.Task.IsCompleted, "received " + received + " of " + Count);
        Assert.Equal(Count, received);
        Assert.True(inOrder);
        Assert.InRange(interrupts, 1, Count);
    }

    private static void Add(HostFrameInbox inbox, int length, byte first)
    {
        Assert.True(inbox.TryBeginWrite(out Span<byte> slot));
        slot[0] = first;
        inbox.CommitWrite(length);
    }
}
