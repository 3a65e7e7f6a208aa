// VfsBench: the kernel's ramfs through its syscall layer, against the same calls on the host's
// tmpfs (/dev/shm) through libc, in one run. Prints medians and ratios.
//
//   dotnet run -c Release --project bench/VfsBench [rounds]
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Runtime.InteropServices;
using Unikraft.Kernel;

int rounds = args.Length > 0 && int.TryParse(args[0], out int parsed) && parsed > 0 ? parsed : 7;
const int FileBytes = 64 * 1024 * 1024;
const int ChunkBytes = 64 * 1024;
const int MetadataOperations = 100_000;

string hostRoot = Path.Combine("/dev/shm", "unikraft-vfsbench-" + Environment.ProcessId);
Directory.CreateDirectory(hostRoot);
try
{
    var kernel = new Kernel(new HostedPlatform());
    VfsMounts.Mount(kernel, "/", new RamFileSystem(FileBytes * 2L), readOnly: false);
    var ours = new KernelFiles(kernel);
    var host = new HostFiles(hostRoot);

    var results = new List<(string Name, string Unit, double Ours, double Host, bool HigherIsBetter)>
    {
        ("sequential write, 64 KiB chunks", "MiB/s", Median(rounds, () => WriteThroughput(ours)), Median(rounds, () => WriteThroughput(host)), true),
        ("sequential read, 64 KiB chunks", "MiB/s", Median(rounds, () => ReadThroughput(ours)), Median(rounds, () => ReadThroughput(host)), true),
        ("open + close", "ns/op", Median(rounds, () => OpenCloseLatency(ours)), Median(rounds, () => OpenCloseLatency(host)), false),
        ("stat", "ns/op", Median(rounds, () => StatLatency(ours)), Median(rounds, () => StatLatency(host)), false),
    };

    Console.WriteLine($"VfsBench: kernel ramfs (syscall layer) vs host tmpfs ({hostRoot}, libc), median of {rounds} rounds");
    Console.WriteLine($"{"measure",-34} {"unit",-6} {"ours",12} {"host",12} {"ours/host",10}");
    foreach ((string name, string unit, double oursValue, double hostValue, bool _) in results)
    {
        Console.WriteLine($"{name,-34} {unit,-6} {oursValue,12:F1} {hostValue,12:F1} {oursValue / hostValue,10:F2}");
    }
}
finally
{
    Directory.Delete(hostRoot, recursive: true);
}

static double Median(int rounds, Func<double> measure)
{
    measure();
    var values = new double[rounds];
    for (int round = 0; round < rounds; round++)
    {
        values[round] = measure();
    }

    Array.Sort(values);
    return values[rounds / 2];
}

static double WriteThroughput(IFiles files)
{
    byte[] chunk = new byte[ChunkBytes];
    new Random(1).NextBytes(chunk);
    long fd = Check(files.Open("data.bin", write: true));
    var watch = Stopwatch.StartNew();
    for (long offset = 0; offset < FileBytes; offset += ChunkBytes)
    {
        Check(files.PWrite(fd, chunk, offset));
    }

    watch.Stop();
    Check(files.Close(fd));
    return FileBytes / (1024.0 * 1024.0) / watch.Elapsed.TotalSeconds;
}

static double ReadThroughput(IFiles files)
{
    byte[] chunk = new byte[ChunkBytes];
    long fd = Check(files.Open("data.bin", write: false));
    var watch = Stopwatch.StartNew();
    for (long offset = 0; offset < FileBytes; offset += ChunkBytes)
    {
        if (Check(files.PRead(fd, chunk, offset)) != ChunkBytes)
        {
            throw new InvalidOperationException("short read");
        }
    }

    watch.Stop();
    Check(files.Close(fd));
    return FileBytes / (1024.0 * 1024.0) / watch.Elapsed.TotalSeconds;
}

static double OpenCloseLatency(IFiles files)
{
    var watch = Stopwatch.StartNew();
    for (int index = 0; index < MetadataOperations; index++)
    {
        Check(files.Close(Check(files.Open("data.bin", write: false))));
    }

    return watch.Elapsed.TotalNanoseconds / MetadataOperations;
}

static double StatLatency(IFiles files)
{
    var watch = Stopwatch.StartNew();
    for (int index = 0; index < MetadataOperations; index++)
    {
        Check(files.Stat("data.bin"));
    }

    return watch.Elapsed.TotalNanoseconds / MetadataOperations;
}

static long Check(long result) => result >= 0 ? result : throw new IOException("errno " + (-result));

internal interface IFiles
{
    long Open(string name, bool write);

    long PWrite(long fd, ReadOnlySpan<byte> buffer, long offset);

    long PRead(long fd, Span<byte> buffer, long offset);

    long Close(long fd);

    long Stat(string name);
}

internal sealed class KernelFiles(Kernel kernel) : IFiles
{
    private const int AtFdCwd = -100;

    public long Open(string name, bool write) =>
        Sys.Openat(kernel, AtFdCwd, "/" + name, write ? OpenFlags.O_RDWR | OpenFlags.O_CREAT : OpenFlags.O_RDONLY, 0x1A4);

    public long PWrite(long fd, ReadOnlySpan<byte> buffer, long offset) => Sys.Pwrite64(kernel, (int)fd, buffer, offset);

    public long PRead(long fd, Span<byte> buffer, long offset) => Sys.Pread64(kernel, (int)fd, buffer, offset);

    public long Close(long fd) => Sys.Close(kernel, (int)fd);

    public long Stat(string name) => Sys.Newfstatat(kernel, AtFdCwd, "/" + name, out Stat _, 0);
}

internal sealed unsafe class HostFiles(string root) : IFiles
{
    private const int ORdOnly = 0;
    private const int ORdWr = 2;
    private const int OCreat = 0x40;

    public long Open(string name, bool write) => Result(open(root + "/" + name, write ? ORdWr | OCreat : ORdOnly, 0x1A4));

    public long PWrite(long fd, ReadOnlySpan<byte> buffer, long offset)
    {
        fixed (byte* pointer = buffer)
        {
            return Result(pwrite((int)fd, pointer, (nuint)buffer.Length, offset));
        }
    }

    public long PRead(long fd, Span<byte> buffer, long offset)
    {
        fixed (byte* pointer = buffer)
        {
            return Result(pread((int)fd, pointer, (nuint)buffer.Length, offset));
        }
    }

    public long Close(long fd) => Result(close((int)fd));

    // NOTE: struct stat is 144 bytes on x86-64 Linux.
    public long Stat(string name)
    {
        byte* buffer = stackalloc byte[144];
        return Result(stat(root + "/" + name, buffer));
    }

    private static long Result(long value) => value >= 0 ? value : -Marshal.GetLastPInvokeError();

    [DllImport("libc", SetLastError = true)]
    private static extern int open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, int mode);

    [DllImport("libc", SetLastError = true)]
    private static extern nint pwrite(int fd, byte* buffer, nuint count, long offset);

    [DllImport("libc", SetLastError = true)]
    private static extern nint pread(int fd, byte* buffer, nuint count, long offset);

    [DllImport("libc", SetLastError = true)]
    private static extern int close(int fd);

    [DllImport("libc", SetLastError = true)]
    private static extern int stat([MarshalAs(UnmanagedType.LPUTF8Str)] string path, byte* buffer);
}
