namespace Unikraft.Sim.Tests;

using System;
using System.Buffers.Binary;
using System.Threading.Tasks;
using Unikraft.Kernel;
using Xunit;

// A program appends checksummed records to a log on a ramfs behind a FaultyFileSystem and
// fsyncs now and then; the seed picks EIO, torn writes, lost fsyncs, a full device and crashes.
// After every crash the program recovers the log. The invariants: what survives is a prefix of
// what was written, made of whole records, and (when no fsync was lost) holds at least every
// record that a successful fsync covered.
public class FileScenarios
{
    [Fact]
    public void LogSurvivesCrashes()
    {
        SimHarness.RunSeeds("FileScenarios.LogSurvivesCrashes", 3000, 150, Run);
    }

    internal static void Run(Simulation world)
    {
        SimNode node = world.AddNode("disk");
        StorageFaults faults = new StorageFaults
        {
            WriteError = world.Random.Chance(0.5) ? world.Random.NextDouble() * 0.05 : 0,
            TornWrite = world.Random.Chance(0.5) ? world.Random.NextDouble() * 0.05 : 0,
            CrashOnTornWrite = world.Random.Chance(0.5),
            LostSync = world.Random.Chance(0.3) ? world.Random.NextDouble() * 0.2 : 0,
        };
        long capacity = world.Random.Chance(0.3) ? 512 + world.Random.NextLong(4096) : 1 << 20;
        FaultyFileSystem disk = new FaultyFileSystem(new RamFileSystem(capacity), world.DeriveRandom(1), faults, world);
        VfsMounts.Mount(node.Kernel, "/", disk, false);
        LogWriter writer = new LogWriter(node, disk, 20 + world.Random.Next(60));

        Task run = node.Start(writer.Run);
        world.RunUntilQuiescent(long.MaxValue);
        if (run.IsFaulted)
        {
            throw run.Exception!.InnerException!;
        }
        Assert.True(run.IsCompletedSuccessfully, "the writer never finished");
        Assert.True(writer.Recoveries > 0 || writer.Appended > 0);
    }

    private sealed class LogWriter
    {
        private readonly SimNode node;
        private readonly FaultyFileSystem disk;
        private readonly int records;
        private int fd;
        private long offset;
        private int durable;

        public LogWriter(SimNode node, FaultyFileSystem disk, int records)
        {
            this.node = node;
            this.disk = disk;
            this.records = records;
        }

        public int Appended { get; private set; }

        public int Recoveries { get; private set; }

        public async Task Run()
        {
            Kernel kernel = Kernel.Current;
            fd = (int)Sys.Openat(kernel, OpenFlags.AT_FDCWD, "/log", OpenFlags.O_CREAT | OpenFlags.O_RDWR, 0x1A4);
            Assert.True(fd >= 0, "open /log: " + fd);
            byte[] dice = new byte[4];
            while (Appended < records)
            {
                byte[] record = Record(Appended);
                long result = Sys.Pwrite64(kernel, fd, record, offset);
                if (result == record.Length)
                {
                    offset += record.Length;
                    Appended++;
                }
                else
                {
                    // EIO, a torn write or a full device: the program stops as if it crashed.
                    Crash();
                    if (result == -Errno.ENOSPC || (result >= 0 && result < record.Length))
                    {
                        return;
                    }
                }
                Sys.Getrandom(kernel, dice, 0);
                if (dice[0] % 3 == 0 && disk.Fsync(kernel, fd) == 0)
                {
                    durable = Appended;
                }
                if (dice[1] % 12 == 0)
                {
                    Crash();
                }
                if (dice[2] % 2 == 0)
                {
                    await KernelTask.Delay(TimeSpan.FromMilliseconds(1 + dice[3] % 5));
                }
            }
            Crash();
        }

        // Power loss, then recovery: read the log back and check it.
        private void Crash()
        {
            if (disk.Crashed)
            {
                disk.Recover();
            }
            else
            {
                disk.Crash();
            }
            Recoveries++;
            Kernel kernel = Kernel.Current;
            byte[] content = new byte[64 * 1024];
            long length = Sys.Pread64(kernel, fd, content, 0);
            if (length < 0)
            {
                throw new SimInvariantException("reading the log after a crash failed: " + length);
            }
            int valid = 0;
            long position = 0;
            while (position + 2 <= length)
            {
                byte[] expected = Record(valid);
                if (position + expected.Length > length ||
                    !content.AsSpan((int)position, expected.Length).SequenceEqual(expected))
                {
                    break;
                }
                position += expected.Length;
                valid++;
            }
            if (position != length)
            {
                throw new SimInvariantException("after a crash the log holds " + length + " bytes but only " + position +
                    " are whole records in order (" + valid + " records)");
            }
            if (valid > Appended)
            {
                throw new SimInvariantException("after a crash the log holds " + valid + " records, more than the " + Appended + " written");
            }
            if (disk.Counters.LostSyncs == 0 && valid < durable)
            {
                throw new SimInvariantException("after a crash the log holds " + valid + " records, but fsync had made " + durable + " durable");
            }
            Appended = valid;
            durable = Math.Min(durable, valid);
            offset = position;
            Assert.Equal(0, Sys.Ftruncate(kernel, fd, position));
            if (disk.Fsync(kernel, fd) == 0)
            {
                durable = valid;
            }
        }

        private static byte[] Record(int index)
        {
            int payload = 4 + index % 13;
            byte[] record = new byte[2 + payload + 4];
            BinaryPrimitives.WriteUInt16BigEndian(record, (ushort)payload);
            BinaryPrimitives.WriteInt32BigEndian(record.AsSpan(2), index);
            for (int i = 4; i < payload; i++)
            {
                record[2 + i] = (byte)(index * 31 + i);
            }
            BinaryPrimitives.WriteUInt32BigEndian(record.AsSpan(2 + payload), ReliableFrame.Fnv32(record.AsSpan(0, 2 + payload)));
            return record;
        }
    }
}
