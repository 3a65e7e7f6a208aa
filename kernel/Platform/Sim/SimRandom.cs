namespace Unikraft.Kernel;

using System;

// xoshiro256** (Blackman and Vigna, 2018), seeded through splitmix64. Every source of chance in
// a simulation is one of these, derived from the world seed and a stream number, so adding a
// draw to one stream (a kernel's getrandom) never shifts another (the network's faults).
[Device("random")]
internal sealed class SimRandom : IRandomDevice
{
    // NOTE: splitmix64's increment, the golden ratio in 64 bits (Steele, Lea, Flood 2014).
    private const ulong Golden = 0x9E3779B97F4A7C15;

    private ulong state0;
    private ulong state1;
    private ulong state2;
    private ulong state3;

    public SimRandom(ulong seed, ulong stream)
    {
        ulong mix = seed ^ (stream * Golden + 0x632BE59BD9B4E019);
        state0 = SplitMix(ref mix);
        state1 = SplitMix(ref mix);
        state2 = SplitMix(ref mix);
        state3 = SplitMix(ref mix);
    }

    public ulong NextUInt64()
    {
        ulong result = RotateLeft(state1 * 5, 7) * 9;
        ulong shifted = state1 << 17;
        state2 ^= state0;
        state3 ^= state1;
        state1 ^= state2;
        state0 ^= state3;
        state2 ^= shifted;
        state3 = RotateLeft(state3, 45);
        return result;
    }

    // Uniform in [0, bound); bound must be positive.
    public int Next(int bound)
    {
        return (int)(((NextUInt64() >> 32) * (ulong)bound) >> 32);
    }

    // Uniform in [0, bound) for a positive bound; 0 when bound is not positive.
    public long NextLong(long bound)
    {
        return bound <= 0 ? 0 : (long)(NextUInt64() % (ulong)bound);
    }

    // Uniform in [0, 1) from the top 53 bits.
    public double NextDouble()
    {
        return (NextUInt64() >> 11) * (1.0 / (1UL << 53));
    }

    // True with the probability (0 never draws, so a knob left at 0 does not shift the stream).
    public bool Chance(double probability)
    {
        if (probability <= 0)
        {
            return false;
        }
        return NextDouble() < probability;
    }

    public long Fill(Span<byte> buffer)
    {
        int index = 0;
        while (index < buffer.Length)
        {
            ulong value = NextUInt64();
            for (int shift = 0; shift < 64 && index < buffer.Length; shift += 8)
            {
                buffer[index++] = (byte)(value >> shift);
            }
        }
        return buffer.Length;
    }

    private static ulong SplitMix(ref ulong x)
    {
        x += Golden;
        ulong z = x;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
        return z ^ (z >> 31);
    }

    private static ulong RotateLeft(ulong value, int count) => (value << count) | (value >> (64 - count));
}
