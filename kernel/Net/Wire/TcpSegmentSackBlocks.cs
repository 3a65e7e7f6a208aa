namespace Unikraft.Kernel;

// Up to four SACK blocks (RFC 2018, 3): each the left edge (first sequence number) and the right
// edge (the one after the last) of a run of data the receiver holds beyond its cumulative ACK.
// NOTE: four is the most the 40 bytes of options can carry (2 + 8 * 4 = 34 bytes, RFC 2018, 3);
// with timestamps three fit.
internal record struct TcpSackBlocks
{
    public const int MaximumCount = 4;

    private uint left0;
    private uint right0;
    private uint left1;
    private uint right1;
    private uint left2;
    private uint right2;
    private uint left3;
    private uint right3;

    public int Count { get; private set; }

    // false when four are already held.
    public bool TryAdd(uint left, uint right)
    {
        switch (Count)
        {
            case 0: left0 = left; right0 = right; break;
            case 1: left1 = left; right1 = right; break;
            case 2: left2 = left; right2 = right; break;
            case 3: left3 = left; right3 = right; break;
            default: return false;
        }
        Count++;
        return true;
    }

    // index in [0, Count); outside it both edges read 0.
    public uint Left(int index) => index >= Count ? 0 : index == 0 ? left0 : index == 1 ? left1 : index == 2 ? left2 : left3;

    public uint Right(int index) => index >= Count ? 0 : index == 0 ? right0 : index == 1 ? right1 : index == 2 ? right2 : right3;

    // The first count blocks only.
    public TcpSackBlocks Take(int count)
    {
        TcpSackBlocks taken = default;
        for (int index = 0; index < count && index < Count; index++)
        {
            taken.TryAdd(Left(index), Right(index));
        }
        return taken;
    }
}
