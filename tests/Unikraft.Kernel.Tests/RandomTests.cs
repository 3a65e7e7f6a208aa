namespace Unikraft.Kernel.Tests;

using System;
using Xunit;

public class RandomTests
{
    [Fact]
    public void Getrandom_FillsBuffer()
    {
        Kernel kernel = TestKernel.Boot(out TestPlatform platform);
        byte[] buffer = new byte[64];
        byte[] expected = new byte[64];
        new Random(platform.Seed).NextBytes(expected);

        long result = Sys.Getrandom(kernel, buffer, 0);

        Assert.Equal(64, result);
        Assert.Equal(expected, buffer);
    }

    [Fact]
    public void Getrandom_UnknownFlags_ReturnsEINVAL()
    {
        Kernel kernel = TestKernel.Boot(out _);

        Assert.Equal(-Errno.EINVAL, Sys.Getrandom(kernel, new byte[4], 8));
        Assert.Equal(4, Sys.Getrandom(kernel, new byte[4], 1 | 2 | 4));
    }

    [Fact]
    public void Getrandom_SameSeed_SameBytes()
    {
        Kernel first = TestKernel.Boot(new TestPlatform(seed: 7));
        Kernel second = TestKernel.Boot(new TestPlatform(seed: 7));
        byte[] firstBytes = new byte[32];
        byte[] secondBytes = new byte[32];

        Sys.Getrandom(first, firstBytes, 0);
        Sys.Getrandom(second, secondBytes, 0);

        Assert.Equal(firstBytes, secondBytes);
    }

    [Fact]
    public void KernelRandom_NextMaxValue_StaysInRange()
    {
        Kernel kernel = TestKernel.Boot(out _);
        int[] counts = new int[3];

        kernel.Run(Array.Empty<string>(), _ =>
        {
            Random receiver = new Random();
            for (int index = 0; index < 3000; index++)
            {
                int value = KernelRandom.Next(receiver, 3);
                Assert.InRange(value, 0, 2);
                counts[value]++;
                Assert.InRange(KernelRandom.Next(receiver, -5, 5), -5, 4);
                Assert.InRange(KernelRandom.Next(receiver), 0, int.MaxValue - 1);
                Assert.InRange(KernelRandom.NextInt64(receiver, 1000), 0, 999);
                Assert.InRange(KernelRandom.NextInt64(receiver, long.MinValue, long.MaxValue), long.MinValue, long.MaxValue - 1);
                Assert.InRange(KernelRandom.NextDouble(receiver), 0.0, 0.9999999999999999);
                Assert.InRange(KernelRandom.NextSingle(receiver), 0.0f, 0.99999994f);
            }
            Assert.Equal(0, KernelRandom.Next(receiver, 0));
            Assert.Equal(9, KernelRandom.Next(receiver, 9, 9));
            Assert.Equal(int.MinValue, KernelRandom.Next(receiver, int.MinValue, int.MinValue + 1));
            return 0;
        });

        // Each of three outcomes should appear about 1000 times; a modulo bias or an off-by-one
        // range would starve one of them.
        Assert.All(counts, count => Assert.InRange(count, 850, 1150));
    }

    [Fact]
    public void KernelRandom_ChecksArgumentsLikeSystemRandom()
    {
        Kernel kernel = TestKernel.Boot(out _);

        kernel.Run(Array.Empty<string>(), _ =>
        {
            Random receiver = new Random();
            Assert.Throws<ArgumentOutOfRangeException>("maxValue", () => KernelRandom.Next(receiver, -1));
            Assert.Throws<ArgumentOutOfRangeException>("minValue", () => KernelRandom.Next(receiver, 2, 1));
            Assert.Throws<ArgumentOutOfRangeException>("maxValue", () => KernelRandom.NextInt64(receiver, -1));
            Assert.Throws<ArgumentOutOfRangeException>("minValue", () => KernelRandom.NextInt64(receiver, 2, 1));
            Assert.Throws<ArgumentNullException>("buffer", () => KernelRandom.NextBytes(receiver, (byte[])null!));
            return 0;
        });
    }

    [Fact]
    public void KernelRandom_NextBytes_DrawsFromTheKernelDevice()
    {
        Kernel kernel = TestKernel.Boot(out TestPlatform platform);
        byte[] expected = new byte[100];
        new Random(platform.Seed).NextBytes(expected);
        byte[] actual = new byte[100];

        kernel.Run(Array.Empty<string>(), _ =>
        {
            KernelRandom.NextBytes(new Random(), actual);
            return 0;
        });

        Assert.Equal(expected, actual);
    }

    [Fact]
    public void HostedRandom_FillsTheWholeBuffer()
    {
        byte[] buffer = new byte[256];

        Assert.Equal(256, new HostedRandom().Fill(buffer));
        Assert.Contains(buffer, value => value != 0);
    }
}
