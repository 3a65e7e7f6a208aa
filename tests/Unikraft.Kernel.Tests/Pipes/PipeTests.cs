namespace Unikraft.Kernel.Tests;

using System;
using System.Collections.Generic;
using System.Text;
using Xunit;

public class PipeTests
{
    private const long Second = PipeTestKit.Second;

    [Fact]
    public void Pipe2_BytesWrittenToTheWriteEnd_AreReadFromTheReadEnd()
    {
        Kernel kernel = TestKernel.Boot(out _);
        (int read, int write) = PipeTestKit.Open(kernel);

        Assert.Equal(3, read);
        Assert.Equal(4, write);
        Assert.Equal(5, Sys.Write(kernel, write, "hello"u8));
        Assert.Equal(6, Sys.Write(kernel, write, " world"u8));
        byte[] buffer = new byte[64];
        long got = Sys.Read(kernel, read, buffer);
        Assert.Equal("hello world", Encoding.ASCII.GetString(buffer, 0, (int)got));
    }

    [Fact]
    public void Pipe_IsPipe2WithoutFlags()
    {
        Kernel kernel = TestKernel.Boot(out _);
        int[] fds = new int[2];

        Assert.Equal(0, Sys.Pipe(kernel, fds));
        Assert.Equal(OpenFlags.O_RDONLY, Sys.Fcntl(kernel, fds[0], OpenFlags.F_GETFL, 0));
        Assert.Equal(OpenFlags.O_WRONLY, Sys.Fcntl(kernel, fds[1], OpenFlags.F_GETFL, 0));
        Assert.Equal(0, Sys.Fcntl(kernel, fds[0], OpenFlags.F_GETFD, 0));
    }

    [Fact]
    public void Pipe2_Flags_SetNonBlockingAndCloseOnExecOnBothEnds_AndOthersAreEINVAL()
    {
        Kernel kernel = TestKernel.Boot(out _);
        (int read, int write) = PipeTestKit.Open(kernel, OpenFlags.O_NONBLOCK | OpenFlags.O_CLOEXEC);

        Assert.Equal(OpenFlags.O_RDONLY | OpenFlags.O_NONBLOCK, Sys.Fcntl(kernel, read, OpenFlags.F_GETFL, 0));
        Assert.Equal(OpenFlags.O_WRONLY | OpenFlags.O_NONBLOCK, Sys.Fcntl(kernel, write, OpenFlags.F_GETFL, 0));
        Assert.Equal(OpenFlags.FD_CLOEXEC, Sys.Fcntl(kernel, read, OpenFlags.F_GETFD, 0));
        Assert.Equal(OpenFlags.FD_CLOEXEC, Sys.Fcntl(kernel, write, OpenFlags.F_GETFD, 0));
        Assert.Equal(-Errno.EINVAL, Sys.Pipe2(kernel, new int[2], OpenFlags.O_APPEND));
        Assert.Equal(-Errno.EFAULT, Sys.Pipe2(kernel, new int[1], 0));
        Assert.Equal(0, Sys.Pipe2(kernel, new int[2], OpenFlags.O_DIRECT));
    }

    [Fact]
    public void ReadOfTheWriteEnd_AndWriteOfTheReadEnd_AreEBADF()
    {
        Kernel kernel = TestKernel.Boot(out _);
        (int read, int write) = PipeTestKit.Open(kernel);

        Assert.Equal(-Errno.EBADF, Sys.Read(kernel, write, new byte[4]));
        Assert.Equal(-Errno.EBADF, Sys.Write(kernel, read, "x"u8));
    }

    [Fact]
    public void Seeking_OrPositionedIo_OnAPipe_IsESPIPE()
    {
        Kernel kernel = TestKernel.Boot(out _);
        (int read, int write) = PipeTestKit.Open(kernel);

        Assert.Equal(-Errno.ESPIPE, Sys.Lseek(kernel, read, 0, OpenFlags.SEEK_SET));
        Assert.Equal(-Errno.ESPIPE, Sys.Pread64(kernel, read, new byte[1], 0));
        Assert.Equal(-Errno.ESPIPE, Sys.Pwrite64(kernel, write, "x"u8, 0));
    }

    [Fact]
    public void Fstat_SaysFifo_WithOneInodeForBothEnds()
    {
        Kernel kernel = TestKernel.Boot(out _);
        (int read, int write) = PipeTestKit.Open(kernel);
        (int otherRead, _) = PipeTestKit.Open(kernel);

        Assert.Equal(0, Sys.Fstat(kernel, read, out Stat readStat));
        Assert.Equal(0, Sys.Fstat(kernel, write, out Stat writeStat));
        Sys.Fstat(kernel, otherRead, out Stat otherStat);
        Assert.Equal(Stat.S_IFIFO, readStat.Type);
        Assert.Equal(0x180, readStat.Mode & 0xFFF);
        Assert.Equal(readStat.Inode, writeStat.Inode);
        Assert.NotEqual(readStat.Inode, otherStat.Inode);
    }

    [Fact]
    public void NonBlocking_ReadOfAnEmptyPipe_IsEAGAIN_AndAFullPipeTakes64KiB()
    {
        Kernel kernel = TestKernel.Boot(out _);
        (int read, int write) = PipeTestKit.Open(kernel, OpenFlags.O_NONBLOCK);

        Assert.Equal(-Errno.EAGAIN, Sys.Read(kernel, read, new byte[16]));
        Assert.Equal(65536, Sys.Write(kernel, write, new byte[100_000]));
        Assert.Equal(-Errno.EAGAIN, Sys.Write(kernel, write, "x"u8));
        Assert.Equal(4096, Sys.Read(kernel, read, new byte[4096]));
        Assert.Equal(4096, Sys.Write(kernel, write, new byte[4096]));
    }

    [Fact]
    public void NonBlocking_WriteOfAtMostPipeBuf_GoesInWholeOrNotAtAll_ALargerOneInPart()
    {
        Kernel kernel = TestKernel.Boot(out _);
        (int read, int write) = PipeTestKit.Open(kernel, OpenFlags.O_NONBLOCK);
        Assert.Equal(65536 - 100, Sys.Write(kernel, write, new byte[65536 - 100]));

        Assert.Equal(-Errno.EAGAIN, Sys.Write(kernel, write, new byte[200]));
        Assert.Equal(-Errno.EAGAIN, Sys.Write(kernel, write, new byte[4096]));
        Assert.Equal(100, Sys.Write(kernel, write, new byte[5000]));
        Assert.Equal(-Errno.EAGAIN, Sys.Write(kernel, write, new byte[5000]));
    }

    [Fact]
    public void Read_IsEndOfFile_OnlyOnceEveryWriteDescriptionIsClosed()
    {
        Kernel kernel = TestKernel.Boot(out _);
        (int read, int write) = PipeTestKit.Open(kernel, OpenFlags.O_NONBLOCK);
        long copy = Sys.Dup(kernel, write);
        Sys.Write(kernel, write, "ab"u8);

        Assert.Equal(0, Sys.Close(kernel, write));
        Assert.Equal(2, Sys.Read(kernel, read, new byte[8]));
        Assert.Equal(-Errno.EAGAIN, Sys.Read(kernel, read, new byte[8]));
        Assert.Equal(0, Sys.Close(kernel, (int)copy));
        Assert.Equal(0, Sys.Read(kernel, read, new byte[8]));
    }

    [Fact]
    public void Write_WithEveryReadEndClosed_IsEPIPE_EvenWhenBlocking()
    {
        Kernel kernel = TestKernel.Boot(out _);
        (int read, int write) = PipeTestKit.Open(kernel);

        Sys.Close(kernel, read);

        Assert.Equal(-Errno.EPIPE, Sys.Write(kernel, write, "x"u8));
        Assert.Equal(0, Sys.Write(kernel, write, ReadOnlySpan<byte>.Empty));
    }

    [Fact]
    public void Dup3_OverTheLastWriteEnd_ReleasesIt()
    {
        Kernel kernel = TestKernel.Boot(out _);
        (int read, int write) = PipeTestKit.Open(kernel, OpenFlags.O_NONBLOCK);

        Assert.Equal(write, Sys.Dup3(kernel, 1, write, 0));

        Assert.Equal(0, Sys.Read(kernel, read, new byte[8]));
    }

    [Fact]
    public void BlockingRead_WaitsForAWriter_WhileOtherWorkRuns()
    {
        Kernel kernel = TestKernel.Boot(out TestPlatform platform);
        (int read, int write) = PipeTestKit.Open(kernel);
        List<string> events = new List<string>();
        Sys.UkSpawn(kernel, _ => events.Add("other work"), null);
        Sys.UkTimerArm(kernel, Second, _ => { events.Add("write"); Sys.Write(kernel, write, "x"u8); }, null);
        long start = platform.Clock.MonotonicNanoseconds;

        byte[] buffer = new byte[8];
        long got = Sys.Read(kernel, read, buffer);

        Assert.Equal(1, got);
        Assert.Equal((byte)'x', buffer[0]);
        Assert.Equal(new[] { "other work", "write" }, events);
        Assert.InRange(platform.Clock.MonotonicNanoseconds - start, Second, 2 * Second);
    }

    [Fact]
    public void BlockingRead_EndsWithEndOfFile_WhenTheLastWriterCloses()
    {
        Kernel kernel = TestKernel.Boot(out _);
        (int read, int write) = PipeTestKit.Open(kernel);
        Sys.UkTimerArm(kernel, Second, _ => Sys.Close(kernel, write), null);

        Assert.Equal(0, Sys.Read(kernel, read, new byte[8]));
    }

    [Fact]
    public void BlockingWrite_OfAFullPipe_WaitsForRoom_AndGoesInWhole()
    {
        Kernel kernel = TestKernel.Boot(out _);
        (int read, int write) = PipeTestKit.Open(kernel);
        Assert.Equal(65536 - 10, Sys.Write(kernel, write, new byte[65536 - 10]));
        long drained = 0;
        Sys.UkTimerArm(kernel, Second, _ => drained = Sys.Read(kernel, read, new byte[4096]), null);

        long written = Sys.Write(kernel, write, PipeTestKit.Pattern(100, 1));

        Assert.Equal(100, written);
        Assert.Equal(4096, drained);
    }

    [Fact]
    public void BlockingWrite_WhoseReaderGoesAway_ReturnsWhatWentIn()
    {
        Kernel kernel = TestKernel.Boot(out _);
        (int read, int write) = PipeTestKit.Open(kernel);
        Sys.UkTimerArm(kernel, Second, _ => Sys.Close(kernel, read), null);

        Assert.Equal(65536, Sys.Write(kernel, write, new byte[100_000]));
        Assert.Equal(-Errno.EPIPE, Sys.Write(kernel, write, new byte[1]));
    }

    // A writer and a reader that both block, each a thread of control of one kernel (with waits
    // that nested, the one that blocked first could not return before the other: they deadlocked),
    // moving 1 MiB in writes and reads of random sizes: every byte arrives, in order.
    [Fact]
    public void OneMebibyte_BetweenABlockingWriterAndABlockingReader_InOneKernel_ArrivesByteExact()
    {
        Kernel kernel = TestKernel.Boot(out _);
        (int read, int write) = PipeTestKit.Open(kernel);
        byte[] sent = PipeTestKit.Pattern(1 << 20, 5);
        List<byte> received = new List<byte>(sent.Length);
        bool ended = false;
        WaitQueue done = new WaitQueue(kernel.Scheduler);
        Random sizes = new Random(13);
        Sys.UkSpawn(kernel, _ =>
        {
            byte[] buffer = new byte[100_000];
            while (true)
            {
                long got = Sys.Read(kernel, read, buffer.AsSpan(0, sizes.Next(1, buffer.Length)));
                Assert.True(got >= 0, "read failed: " + got);
                if (got == 0)
                {
                    ended = true;
                    done.WakeAll();
                    return;
                }
                received.AddRange(new ArraySegment<byte>(buffer, 0, (int)got));
            }
        }, null);
        Sys.UkSpawn(kernel, _ =>
        {
            int offset = 0;
            while (offset < sent.Length)
            {
                int length = Math.Min(sizes.Next(1, 90_000), sent.Length - offset);
                Assert.Equal(length, Sys.Write(kernel, write, sent.AsSpan(offset, length)));
                offset += length;
            }
            Sys.Close(kernel, write);
        }, null);

        while (!ended)
        {
            done.Wait(long.MaxValue);
        }

        Assert.Equal(sent, received.ToArray());
    }

    // A writer that blocks and a reader driven by readiness (as an event loop is), moving 1 MiB
    // in writes of random sizes: every byte arrives, in order.
    [Fact]
    public void OneMebibyte_FromABlockingWriter_ToAReadinessDrivenReader_ArrivesByteExact()
    {
        Kernel kernel = TestKernel.Boot(out _);
        (int read, int write) = PipeTestKit.Open(kernel);
        PipeTestKit.SetNonBlocking(kernel, read);
        byte[] sent = PipeTestKit.Pattern(1 << 20, 7);
        List<byte> received = new List<byte>(sent.Length);
        bool ended = false;
        WaitQueue done = new WaitQueue(kernel.Scheduler);
        byte[] buffer = new byte[3000];
        void Drain(object? _)
        {
            while (true)
            {
                long got = Sys.Read(kernel, read, buffer);
                if (got == 0)
                {
                    ended = true;
                    done.WakeAll();
                    return;
                }
                if (got < 0)
                {
                    Assert.Equal(-Errno.EAGAIN, got);
                    return;
                }
                received.AddRange(new ArraySegment<byte>(buffer, 0, (int)got));
            }
        }
        ((PipeEnd)kernel.Files.Get(read)!).Readiness.Add(new ReadinessCallback(_ => Sys.UkSpawn(kernel, Drain, null)));
        Random sizes = new Random(11);
        Sys.UkSpawn(kernel, _ =>
        {
            int offset = 0;
            while (offset < sent.Length)
            {
                int length = Math.Min(sizes.Next(1, 70_000), sent.Length - offset);
                Assert.Equal(length, Sys.Write(kernel, write, sent.AsSpan(offset, length)));
                offset += length;
            }
            Sys.Close(kernel, write);
        }, null);

        while (!ended)
        {
            done.Wait(long.MaxValue);
        }

        Assert.Equal(sent, received.ToArray());
    }

    // The other way round: a reader that blocks and a writer driven by readiness.
    [Fact]
    public void OneMebibyte_FromAReadinessDrivenWriter_ToABlockingReader_ArrivesByteExact()
    {
        Kernel kernel = TestKernel.Boot(out _);
        (int read, int write) = PipeTestKit.Open(kernel);
        PipeTestKit.SetNonBlocking(kernel, write);
        byte[] sent = PipeTestKit.Pattern(1 << 20, 8);
        byte[] received = new byte[sent.Length + 1];
        int offset = 0;
        int total = 0;
        bool ended = false;
        WaitQueue done = new WaitQueue(kernel.Scheduler);
        void Fill(object? _)
        {
            while (offset < sent.Length)
            {
                long put = Sys.Write(kernel, write, sent.AsSpan(offset, Math.Min(5000, sent.Length - offset)));
                if (put < 0)
                {
                    Assert.Equal(-Errno.EAGAIN, put);
                    return;
                }
                offset += (int)put;
            }
            if (offset == sent.Length && Sys.Close(kernel, write) == 0)
            {
                offset++;
            }
        }
        ((PipeEnd)kernel.Files.Get(write)!).Readiness.Add(new ReadinessCallback(_ => Sys.UkSpawn(kernel, Fill, null)));
        Sys.UkSpawn(kernel, Fill, null);
        Sys.UkSpawn(kernel, _ =>
        {
            while (true)
            {
                long got = Sys.Read(kernel, read, received.AsSpan(total, Math.Min(7000, received.Length - total)));
                Assert.True(got >= 0, "read failed: " + got);
                if (got == 0)
                {
                    ended = true;
                    done.WakeAll();
                    return;
                }
                total += (int)got;
            }
        }, null);

        while (!ended)
        {
            done.Wait(long.MaxValue);
        }

        Assert.Equal(sent.Length, total);
        Assert.Equal(sent, received.AsSpan(0, total).ToArray());
    }
}
