namespace Unikraft.Kernel;

using System;

// SYN cookies (RFC 4987, 3.6): when a listener's SYN queue is full, the SYN-ACK's initial
// sequence number carries what the half-open connection would have held, and the connection is
// made only when an ACK brings it back, so a SYN flood costs no memory and a real client still
// gets in. The encoding is this stack's own, on the lines of Linux's (net/ipv4/syncookies.c):
//
//   ISN = (F(4-tuple, peer ISN, time counter) with its low 2 bits cleared) | MSS index
//
// F is the stack's keyed SipHash, the counter ticks every 64 seconds and a cookie of this or the
// two ticks before is taken (2 to 3 minutes). That leaves 30 bits a blind attacker must guess
// (one try in 2^30 for each counter accepted), more than Linux's 24.
//
// The MSS travels as an index into a short table; window scaling and SACK-permitted, which have no
// room in the ISN, travel in the low 5 bits of the SYN-ACK's timestamp and come back in the ACK's
// echo (RFC 7323 timestamps: the peer must echo what it was sent). Without timestamps a cookie
// connection goes without window scaling and SACK: the SYN-ACK does not offer them.
internal sealed class TcpSynCookies
{
    // NOTE: a counter tick of 64 s and two earlier ticks accepted are Linux's (the jiffies / (HZ *
    // 60) count, rounded to a power of two here, and MAX_SYNCOOKIE_AGE 2).
    public const long Period = 64_000_000_000;

    public const int MaximumAge = 2;

    // NOTE: the low 5 bits of a cookie's timestamp: the peer's window shift (0 to 14, 15 for
    // none) and SACK-permitted (bit 4), as Linux's TS_OPT_WSCALE_MASK and TS_OPT_SACK.
    public const int TimestampOptionBits = 5;

    private const uint TimestampOptionMask = (1u << TimestampOptionBits) - 1;

    private const int NoWindowScale = 15;

    private const uint SackBit = 16;

    // The salt that keeps cookies apart from the hash's other uses (ISN 1, timestamps 2, ports 3).
    private const uint Salt = 4;

    // NOTE: the MSS values a cookie can say, Linux's msstab for IPv4: 536 (RFC 9293's default),
    // 1300 (tunnels), 1440 (PPPoE and similar), 1460 (Ethernet less 40 bytes of headers).
    private static readonly ushort[] MssTable = { 536, 1300, 1440, 1460 };

    private readonly TcpKeyedHash hash;

    public TcpSynCookies(TcpKeyedHash hash)
    {
        this.hash = hash;
    }

    // The cookie for a SYN from endpoints with the peer's sequence number and MSS, at now.
    public uint Make(TcpEndpoints endpoints, uint peerSequence, int peerMss, long now)
    {
        return Mac(endpoints, peerSequence, Counter(now)) | (uint)MssIndex(peerMss);
    }

    // The MSS a cookie says, or 0 when the cookie is not this stack's for this 4-tuple and
    // sequence number within the last MaximumAge ticks.
    public int Check(TcpEndpoints endpoints, uint peerSequence, uint cookie, long now)
    {
        uint counter = Counter(now);
        for (uint age = 0; age <= MaximumAge; age++)
        {
            if (Mac(endpoints, peerSequence, counter - age) == (cookie & ~3u))
            {
                return MssTable[cookie & 3];
            }
        }
        return 0;
    }

    // The MSS the cookie will say for a peer's: the largest in the table not above it.
    public static int TableMss(int peerMss) => MssTable[MssIndex(peerMss)];

    // The timestamp a cookie's SYN-ACK sends: the connection's clock with the options in its low
    // bits, never later than the clock itself, so what the connection sends after it is not older.
    public static uint EncodeTimestamp(uint clock, int peerShift, bool sack)
    {
        uint options = (uint)(peerShift < 0 ? NoWindowScale : peerShift) | (sack ? SackBit : 0);
        uint stamp = (clock & ~TimestampOptionMask) | options;
        return TcpSequence.GreaterThan(stamp, clock) ? stamp - (TimestampOptionMask + 1) : stamp;
    }

    // The peer's window shift (-1 for none) and SACK-permitted from the echo of such a timestamp.
    public static void DecodeTimestamp(uint echo, out int peerShift, out bool sack)
    {
        int shift = (int)(echo & 15);
        peerShift = shift == NoWindowScale ? -1 : Math.Min(shift, 14);
        sack = (echo & SackBit) != 0;
    }

    private static uint Counter(long now) => (uint)(now / Period);

    private uint Mac(TcpEndpoints endpoints, uint peerSequence, uint counter)
    {
        return (uint)hash.Hash(endpoints, Salt, peerSequence, counter) & ~3u;
    }

    private static int MssIndex(int peerMss)
    {
        int index = MssTable.Length - 1;
        while (index > 0 && MssTable[index] > peerMss)
        {
            index--;
        }
        return index;
    }
}
