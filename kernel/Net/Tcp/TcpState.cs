namespace Unikraft.Kernel;

// The connection states of RFC 9293, 3.3.2.
internal static class TcpState
{
    public const int Closed = 0;
    public const int Listen = 1;
    public const int SynSent = 2;
    public const int SynReceived = 3;
    public const int Established = 4;
    public const int FinWait1 = 5;
    public const int FinWait2 = 6;
    public const int CloseWait = 7;
    public const int Closing = 8;
    public const int LastAck = 9;
    public const int TimeWait = 10;

    // States in which both sides' initial sequence numbers are known (RFC 9293, 3.10.7.4).
    public static bool IsSynchronized(int state) => state >= Established;

    [NameTable]
    public static string Name(int state)
    {
        switch (state)
        {
            case Closed: return "CLOSED";
            case Listen: return "LISTEN";
            case SynSent: return "SYN-SENT";
            case SynReceived: return "SYN-RECEIVED";
            case Established: return "ESTABLISHED";
            case FinWait1: return "FIN-WAIT-1";
            case FinWait2: return "FIN-WAIT-2";
            case CloseWait: return "CLOSE-WAIT";
            case Closing: return "CLOSING";
            case LastAck: return "LAST-ACK";
            case TimeWait: return "TIME-WAIT";
            default: return "?";
        }
    }
}
