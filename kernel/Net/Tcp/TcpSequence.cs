namespace Unikraft.Kernel;

// Sequence numbers compared modulo 2^32 (RFC 9293, 3.4: "all arithmetic dealing with sequence
// numbers must be performed modulo 2**32"): a is before b when b - a, as a signed 32-bit
// difference, is positive, which holds while the two are less than 2^31 apart.
internal static class TcpSequence
{
    public static bool LessThan(uint a, uint b) => (int)(a - b) < 0;

    public static bool LessOrEqual(uint a, uint b) => (int)(a - b) <= 0;

    public static bool GreaterThan(uint a, uint b) => (int)(a - b) > 0;

    public static bool GreaterOrEqual(uint a, uint b) => (int)(a - b) >= 0;

    // low <= value < low + length, for a window of length bytes starting at low.
    public static bool InWindow(uint value, uint low, uint length) => value - low < length;

    public static uint Max(uint a, uint b) => GreaterThan(a, b) ? a : b;
}
