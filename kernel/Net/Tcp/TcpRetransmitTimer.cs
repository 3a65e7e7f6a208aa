namespace Unikraft.Kernel;

using System;

// The retransmission timeout of RFC 6298: a smoothed round-trip time and its variation from
// samples the connection takes (never from a retransmitted segment: Karn's rule, RFC 6298, 3),
// and a timeout that doubles on each expiry (5.5) until a new sample or acknowledgment.
internal sealed class TcpRetransmitTimer
{
    // NOTE: RFC 6298, 2.1: the initial RTO is 1 second.
    public const long InitialTimeout = 1_000_000_000;

    // NOTE: RFC 6298, 2.4 rounds a computed RTO up to 1 second (a SHOULD); like Linux
    // (TCP_RTO_MIN, HZ/5) and most deployed stacks this one rounds it up to 200 ms, which keeps a
    // lost tail from stalling a connection on a short path for a whole second.
    public const long MinimumTimeout = 200_000_000;

    // NOTE: RFC 6298, 2.5: a maximum may be placed on RTO provided it is at least 60 seconds.
    public const long MaximumTimeout = 60_000_000_000;

    // NOTE: the clock granularity G of RFC 6298, 2.2 and 2.3: this stack's clock reads nanoseconds,
    // and it takes samples to the millisecond (the timestamps' unit).
    private const long Granularity = 1_000_000;

    private long smoothed;
    private long variation;
    private long timeout = InitialTimeout;
    private int backoffs;

    public bool HasSample { get; private set; }

    public long SmoothedRoundTrip => smoothed;

    public int Backoffs => backoffs;

    // The timeout to arm now, with the backoff applied.
    public long Current
    {
        get
        {
            long value = timeout;
            for (int index = 0; index < backoffs && value < MaximumTimeout; index++)
            {
                value *= 2;
            }
            return Math.Min(value, MaximumTimeout);
        }
    }

    // One round-trip measurement in nanoseconds (RFC 6298, 2.2 and 2.3).
    public void Sample(long roundTrip)
    {
        roundTrip = Math.Max(roundTrip, 0);
        if (!HasSample)
        {
            smoothed = roundTrip;
            variation = roundTrip / 2;
            HasSample = true;
        }
        else
        {
            // NOTE: alpha = 1/8 and beta = 1/4 (RFC 6298, 2.3).
            variation = (3 * variation + Math.Abs(smoothed - roundTrip)) / 4;
            smoothed = (7 * smoothed + roundTrip) / 8;
        }
        timeout = Math.Clamp(smoothed + Math.Max(Granularity, 4 * variation), MinimumTimeout, MaximumTimeout);
        backoffs = 0;
    }

    // NOTE: RFC 6298, 5.7: when a SYN's timer expired and no RTT was measured (Karn's rule keeps
    // the retransmitted SYN from giving one), data starts with an RTO of 3 seconds.
    public const long AfterSynLossTimeout = 3_000_000_000;

    // The handshake is over: the backoff of its SYN ends, and after a lost SYN with no sample
    // the timeout starts from 3 seconds.
    public void HandshakeDone()
    {
        if (backoffs > 0 && !HasSample)
        {
            timeout = AfterSynLossTimeout;
        }
        backoffs = 0;
    }

    // The timer expired: the next one waits twice as long (RFC 6298, 5.5).
    public void Backoff()
    {
        if (Current < MaximumTimeout)
        {
            backoffs++;
        }
    }

    // New data was acknowledged: the backoff ends (RFC 6298, 5.7 and Karn's algorithm).
    public void ResetBackoff()
    {
        backoffs = 0;
    }
}
