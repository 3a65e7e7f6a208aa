namespace Unikraft.Kernel;

using System;
using System.Buffers.Binary;

// System.Random's instance methods on the kernel, for interceptors: the receiver comes first
// and is only checked, because every number is drawn from getrandom, so the sim platform's
// seeded device decides the whole sequence. Ranges are unbiased: a draw outside the largest
// multiple of the range is rejected and drawn again, never folded with a modulo.
internal static partial class KernelRandom
{
    public static int Next(Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        return (int)NextBelow(int.MaxValue);
    }

    public static int Next(Random random, int maxValue)
    {
        ArgumentNullException.ThrowIfNull(random);
        ArgumentOutOfRangeException.ThrowIfNegative(maxValue);
        return maxValue == 0 ? 0 : (int)NextBelow((ulong)maxValue);
    }

    public static int Next(Random random, int minValue, int maxValue)
    {
        ArgumentNullException.ThrowIfNull(random);
        if (minValue > maxValue)
        {
            throw new ArgumentOutOfRangeException(nameof(minValue), minValue, "'minValue' cannot be greater than maxValue.");
        }
        ulong range = (ulong)((long)maxValue - minValue);
        return range == 0 ? minValue : (int)(minValue + (long)NextBelow(range));
    }

    public static long NextInt64(Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        return (long)NextBelow(long.MaxValue);
    }

    public static long NextInt64(Random random, long maxValue)
    {
        ArgumentNullException.ThrowIfNull(random);
        ArgumentOutOfRangeException.ThrowIfNegative(maxValue);
        return maxValue == 0 ? 0 : (long)NextBelow((ulong)maxValue);
    }

    public static long NextInt64(Random random, long minValue, long maxValue)
    {
        ArgumentNullException.ThrowIfNull(random);
        if (minValue > maxValue)
        {
            throw new ArgumentOutOfRangeException(nameof(minValue), minValue, "'minValue' cannot be greater than maxValue.");
        }
        ulong range = unchecked((ulong)maxValue - (ulong)minValue);
        return range == 0 ? minValue : unchecked(minValue + (long)NextBelow(range));
    }

    // 53 random bits scaled into [0, 1), the precision of a double's mantissa.
    public static double NextDouble(Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        return (NextUInt64() >> 11) * (1.0 / (1UL << 53));
    }

    // 24 random bits scaled into [0, 1), the precision of a float's mantissa.
    public static float NextSingle(Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        return (NextUInt64() >> 40) * (1.0f / (1 << 24));
    }

    public static void NextBytes(Random random, byte[] buffer)
    {
        ArgumentNullException.ThrowIfNull(random);
        ArgumentNullException.ThrowIfNull(buffer);
        Fill(buffer);
    }

    public static void NextBytes(Random random, Span<byte> buffer)
    {
        ArgumentNullException.ThrowIfNull(random);
        Fill(buffer);
    }

    // A uniform value in [0, bound) for bound > 0: draws as many bits as bound needs and
    // rejects draws at or above bound, which happens less than half of the time.
    private static ulong NextBelow(ulong bound)
    {
        ulong mask = ulong.MaxValue >> System.Numerics.BitOperations.LeadingZeroCount(bound - 1 | 1);
        while (true)
        {
            ulong candidate = NextUInt64() & mask;
            if (candidate < bound)
            {
                return candidate;
            }
        }
    }

    private static ulong NextUInt64()
    {
        Span<byte> bytes = stackalloc byte[sizeof(ulong)];
        Fill(bytes);
        return BinaryPrimitives.ReadUInt64LittleEndian(bytes);
    }

    // getrandom may return fewer bytes than asked for; loop until the buffer is full.
    private static void Fill(Span<byte> buffer)
    {
        Kernel kernel = Kernel.Current;
        while (!buffer.IsEmpty)
        {
            long result = Sys.Getrandom(kernel, buffer, 0);
            if (result < 0)
            {
                throw KernelException.Failed("getrandom", result);
            }
            if (result == 0)
            {
                throw new KernelException("getrandom failed: the random device returned no bytes");
            }
            buffer = buffer.Slice((int)result);
        }
    }
}
