namespace Unikraft.Kernel;

using System;

// Congestion control per RFC 5681 (slow start, congestion avoidance, fast retransmit and
// fast recovery) with NewReno's handling of partial acknowledgments (RFC 6582). Pure
// arithmetic: the connection reports acknowledgments and timeouts, this says how many bytes may
// be in flight and when to retransmit.
internal sealed class TcpCongestion
{
    // NOTE: RFC 5681, 3.2: the third duplicate ACK triggers fast retransmit.
    public const int DuplicateThreshold = 3;

    private int mss;

    public TcpCongestion(int mss)
    {
        Reset(mss);
    }

    // cwnd, in bytes.
    public long Window { get; private set; }

    public long SlowStartThreshold { get; private set; }

    public int DuplicateAcks { get; private set; }

    public bool InRecovery { get; private set; }

    // RFC 6582's "recover": the highest sequence number sent when recovery began.
    public uint Recover { get; private set; }

    public int FastRetransmits { get; private set; }

    // At the start of a connection, once the send MSS is known.
    public void Reset(int sendMss)
    {
        mss = Math.Max(sendMss, 1);
        // NOTE: the initial window of RFC 5681, 3.1 (equation 1).
        Window = mss > 2190 ? 2 * mss : mss > 1095 ? 3 * mss : 4 * mss;
        // NOTE: "the initial value of ssthresh SHOULD be set arbitrarily high" (RFC 5681, 3.1).
        SlowStartThreshold = int.MaxValue;
        DuplicateAcks = 0;
        InRecovery = false;
    }

    public void SetRecoverPoint(uint sequence)
    {
        Recover = sequence;
    }

    // An ACK acknowledged acked new bytes and moved SND.UNA to ack. Returns true for a partial
    // acknowledgment during recovery: the caller retransmits the first unacknowledged segment
    // (RFC 6582, 3.2, step 5).
    public bool OnNewAck(long acked, uint ack, long flight)
    {
        DuplicateAcks = 0;
        if (InRecovery)
        {
            if (TcpSequence.GreaterOrEqual(ack, Recover))
            {
                // A full acknowledgment: deflate the window (RFC 6582, 3.2, step 3, first option).
                Window = Math.Min(SlowStartThreshold, Math.Max(flight, mss) + mss);
                InRecovery = false;
                return false;
            }
            // Partial: deflate by the amount acknowledged, add back one MSS if that was at least
            // one (RFC 6582, 3.2, step 3).
            Window = Math.Max(Window - acked + (acked >= mss ? mss : 0), mss);
            return true;
        }
        if (Window < SlowStartThreshold)
        {
            // NOTE: slow start grows by at most one SMSS per ACK (RFC 5681, 3.1, equation 2).
            Window += Math.Min(acked, mss);
        }
        else
        {
            // NOTE: congestion avoidance, one SMSS per round trip (RFC 5681, 3.1, equation 3).
            Window += Math.Max(1, (long)mss * mss / Window);
        }
        return false;
    }

    // NOTE: limited transmit (RFC 3042, 2): on the first and second duplicate ACK, one new
    // segment each may leave beyond cwnd, so that a flight too small to bring three duplicates
    // back (a lost segment near a window's end) still starts fast retransmit.
    public long LimitedTransmit => !InRecovery && DuplicateAcks > 0 && DuplicateAcks < DuplicateThreshold ? (long)DuplicateAcks * mss : 0;

    // A duplicate ACK (RFC 5681, 2, "DUPLICATE ACKNOWLEDGMENT"). Returns true when the caller
    // should fast-retransmit the first unacknowledged segment now: at the third, or at once when
    // the caller knows the segment is lost (lost: a tail loss probe sent later was SACKed, which
    // RFC 8985's RACK takes as the loss of what was sent before it).
    public bool OnDuplicateAck(uint ack, uint highestSent, long flight, bool lost = false)
    {
        DuplicateAcks++;
        if (InRecovery)
        {
            // NOTE: each further duplicate inflates the window by one SMSS (RFC 5681, 3.2, step 4).
            Window += mss;
            return false;
        }
        // NOTE: only when the ACK covers more than recover, so one loss does not trigger a
        // second fast retransmit after a timeout (RFC 6582, 3.2, step 2). RFC 6582's recover is
        // the highest sequence number sent; Recover here is the one after it (SND.MAX), so an
        // ACK of Recover covers it: the first segment sent after a recovery can start the next.
        if ((DuplicateAcks != DuplicateThreshold && !lost) || TcpSequence.LessThan(ack, Recover))
        {
            return false;
        }
        // NOTE: RFC 5681, 3.2, steps 2 and 3 (equation 4), with RFC 6582's recover point.
        SlowStartThreshold = Math.Max(flight / 2, 2L * mss);
        Window = SlowStartThreshold + DuplicateThreshold * mss;
        Recover = highestSent;
        InRecovery = true;
        FastRetransmits++;
        return true;
    }

    // The retransmission timer expired (RFC 5681, 3.1, equation 4, and the loss window of one
    // SMSS), which also ends any recovery (RFC 6582, 3.2, step 4 after a timeout).
    public void OnTimeout(long flight, uint highestSent)
    {
        SlowStartThreshold = Math.Max(flight / 2, 2L * mss);
        Window = mss;
        DuplicateAcks = 0;
        InRecovery = false;
        Recover = highestSent;
    }
}
