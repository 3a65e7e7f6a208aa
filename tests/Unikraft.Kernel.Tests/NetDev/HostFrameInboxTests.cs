namespace Unikraft.Kernel.Tests.NetDev;

using System;
using System.Threading;
using System.Threading.Tasks;
using Xunit;

// The receive queue of the hosted devices, fed from a host thread as their readers feed it.
public class HostFrameInboxTests
{
    // A full queue holds the reader back until the kernel takes a frame: nothing is dropped,
    // and each wait is counted.
    [Fact]
    public void FullQueue_HoldsTheReaderBack_UntilTheKernelTakesAFrame()
    {
        HostFrameInbox inbox = new HostFrameInbox(2, 64);
        Add(inbox, 1, 1);
        Add(inbox, 1, 2);
        Assert.False(inbox.TryBeginWrite(out _));

        bool? room = null;
        Thread reader = new Thread(() => room = inbox.WaitForRoom());
        reader.Start();
        Assert.False(reader.Join(200), "the reader went on while the queue was full");
        Assert.Equal(1, inbox.HeldBack);

        byte[] frame = new byte[64];
        Assert.True(inbox.TryReceive(frame, out int length));
        Assert.Equal((1, 1), (length, (int)frame[0]));
        Assert.True(reader.Join(5000), "taking a frame did not wake the reader");
        Assert.True(room);
        Add(inbox, 1, 3);

        Assert.True(inbox.TryReceive(frame, out _));
        Assert.Equal(2, frame[0]);
        Assert.True(inbox.TryReceive(frame, out _));
        Assert.Equal(3, frame[0]);
        Assert.False(inbox.TryReceive(frame, out _));
        Assert.Equal(0, inbox.Dropped);
    }

    [Fact]
    public void Close_EndsAReaderWaitingForRoom()
    {
        HostFrameInbox inbox = new HostFrameInbox(1, 64);
        Add(inbox, 1, 1);
        bool? room = null;
        Thread reader = new Thread(() => room = inbox.WaitForRoom());
        reader.Start();
        Assert.False(reader.Join(100));

        inbox.Close();

        Assert.True(reader.Join(5000));
        Assert.False(room);
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
            if (received == Count)
            {
                done.TrySetResult();
            }
        });
        Thread producer = new Thread(() =>
        {
            for (int index = 0; index < Count; index++)
            {
                Span<byte> slot;
                // A full queue: the reader waits to be woken, as the devices' readers do.
                while (!inbox.TryBeginWrite(out slot))
                {
                    inbox.WaitForRoom();
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
