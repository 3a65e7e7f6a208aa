namespace Unikraft.Kernel;

// The sender's record of what the receiver reported holding beyond its cumulative ACK (the
// scoreboard of RFC 6675, 2), from the SACK blocks of its ACKs (RFC 2018). During recovery it
// names the next hole to retransmit, so several losses in one window are repaired in about one
// round trip instead of one per round trip as NewReno alone does. Bounded: runs past the last
// few merge or are dropped, which costs only an extra retransmission.
internal sealed class TcpSackScoreboard
{
    // NOTE: a few more runs than the blocks one ACK carries (RFC 2018, 3: at most four).
    public const int MaximumRanges = 8;

    private readonly uint[] lefts = new uint[MaximumRanges];
    private readonly uint[] rights = new uint[MaximumRanges];
    private int count;

    public int Count => count;

    // The bytes the runs cover: an ACK that raises it SACKed bytes not SACKed before.
    public long Covered
    {
        get
        {
            long total = 0;
            for (int index = 0; index < count; index++)
            {
                total += (uint)(rights[index] - lefts[index]);
            }
            return total;
        }
    }

    // The highest sequence number the receiver reported holding: data below it that is not
    // SACKed counts as lost (RFC 6675, 4, IsLost, simplified to one SACKed byte above).
    public uint HighestSacked => count == 0 ? 0 : rights[count - 1];

    public void Clear()
    {
        count = 0;
    }

    // Adds the blocks of one ACK; blocks at or below SND.UNA (D-SACK, RFC 2883) or beyond what
    // was sent are ignored.
    public void Add(in TcpSackBlocks blocks, uint sndUna, uint sndMax)
    {
        for (int index = 0; index < blocks.Count; index++)
        {
            uint left = blocks.Left(index);
            uint right = blocks.Right(index);
            if (!TcpSequence.LessThan(left, right) || !TcpSequence.GreaterThan(left, sndUna) || TcpSequence.GreaterThan(right, sndMax))
            {
                continue;
            }
            Insert(left, right);
        }
    }

    // SND.UNA moved to ack: runs it passed are forgotten.
    public void Acknowledged(uint ack)
    {
        int kept = 0;
        for (int index = 0; index < count; index++)
        {
            if (TcpSequence.GreaterThan(rights[index], ack))
            {
                lefts[kept] = TcpSequence.Max(lefts[index], ack);
                rights[kept] = rights[index];
                kept++;
            }
        }
        count = kept;
    }

    // The next hole at or after from, below the highest SACKed byte: its start and length (at
    // most limit). False when no hole is left below what the receiver holds.
    public bool TryNextHole(uint from, int limit, out uint start, out int length)
    {
        start = from;
        length = 0;
        for (int index = 0; index < count; index++)
        {
            if (TcpSequence.LessThan(start, lefts[index]))
            {
                length = (int)System.Math.Min((long)(lefts[index] - start), limit);
                return length > 0;
            }
            start = TcpSequence.Max(start, rights[index]);
        }
        return false;
    }

    private void Insert(uint left, uint right)
    {
        int index = 0;
        while (index < count && TcpSequence.LessThan(rights[index], left))
        {
            index++;
        }
        if (index < count && TcpSequence.LessOrEqual(lefts[index], right))
        {
            if (TcpSequence.LessThan(left, lefts[index]))
            {
                lefts[index] = left;
            }
            rights[index] = TcpSequence.Max(rights[index], right);
            while (index + 1 < count && TcpSequence.LessOrEqual(lefts[index + 1], rights[index]))
            {
                rights[index] = TcpSequence.Max(rights[index], rights[index + 1]);
                Remove(index + 1);
            }
            return;
        }
        if (count == MaximumRanges)
        {
            return;
        }
        for (int move = count; move > index; move--)
        {
            lefts[move] = lefts[move - 1];
            rights[move] = rights[move - 1];
        }
        lefts[index] = left;
        rights[index] = right;
        count++;
    }

    private void Remove(int index)
    {
        for (int move = index; move + 1 < count; move++)
        {
            lefts[move] = lefts[move + 1];
            rights[move] = rights[move + 1];
        }
        count--;
    }
}
