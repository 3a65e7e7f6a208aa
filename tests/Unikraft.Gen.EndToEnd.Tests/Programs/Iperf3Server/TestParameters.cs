// The parameters an iperf3 client sends after PARAM_EXCHANGE (iperf_api.c's send_parameters),
// and what this server refuses of them: a refusal carries iperf3's error number and errno, which
// the client prints as its own message, and a message of ours for the server's log.
using System.Net.Sockets;
using System.Text.Json;

internal sealed record Refusal(int Error, int Errno, string Message);

internal sealed class TestParameters
{
    public bool Udp { get; private init; }

    public bool Sctp { get; private init; }

    public int Seconds { get; private init; }

    public int OmitSeconds { get; private init; }

    public long Bytes { get; private init; }

    public long Blocks { get; private init; }

    public int Streams { get; private init; } = 1;

    public bool Reverse { get; private init; }

    public bool Bidirectional { get; private init; }

    public int BlockSize { get; private init; } = Iperf3.DefaultBlockSize;

    public long Window { get; private init; }

    public int Mss { get; private init; }

    public bool NoDelay { get; private init; }

    // Bits per second per stream; 0: as fast as the stream goes (TCP's default).
    public long Rate { get; private init; }

    public long FairQueueRate { get; private init; }

    public int Tos { get; private init; }

    public bool ZeroCopy { get; private init; }

    public bool RepeatingPayload { get; private init; }

    public bool ServerOutput { get; private init; }

    public string? Congestion { get; private init; }

    public string? ClientVersion { get; private init; }

    // Streams the server reads (the client sends on them) and streams it writes, in the order the
    // client opens them: the client's sending streams first (iperf_client_api.c creates them first
    // in a bidirectional test, and iperf_server_api.c takes the receiving ones first).
    public int ReceivingStreams => Reverse ? 0 : Streams;

    public int SendingStreams => Reverse || Bidirectional ? Streams : 0;

    public static TestParameters Read(JsonElement json)
    {
        return new TestParameters
        {
            Udp = Has(json, "udp"),
            Sctp = Has(json, "sctp"),
            Seconds = (int)Number(json, "time"),
            OmitSeconds = (int)Number(json, "omit"),
            Bytes = Number(json, "num"),
            Blocks = Number(json, "blockcount"),
            Streams = Has(json, "parallel") ? (int)Number(json, "parallel") : 1,
            Reverse = Has(json, "reverse"),
            Bidirectional = Has(json, "bidirectional"),
            BlockSize = Number(json, "len") is > 0 and var length ? (int)Math.Min(length, int.MaxValue) : Iperf3.DefaultBlockSize,
            Window = Number(json, "window"),
            Mss = (int)Number(json, "MSS"),
            NoDelay = Has(json, "nodelay"),
            Rate = Number(json, "bandwidth"),
            FairQueueRate = Number(json, "fqrate"),
            Tos = (int)Number(json, "TOS"),
            ZeroCopy = Number(json, "zerocopy") != 0,
            RepeatingPayload = Has(json, "repeating_payload"),
            ServerOutput = Number(json, "get_server_output") != 0,
            Congestion = Text(json, "congestion"),
            ClientVersion = Text(json, "client_version"),
        };
    }

    // What this server cannot do of these parameters, checked in the order iperf3's own server
    // would fail on them, or null.
    public Refusal? Check()
    {
        if (Udp)
        {
            return new Refusal(Iperf3.Error.StreamListen, Iperf3.Errno.ProtocolNotSupported,
                "UDP tests (-u) are not served: this server runs TCP tests only");
        }
        if (Sctp)
        {
            return new Refusal(Iperf3.Error.NoSctp, Iperf3.Errno.None,
                "SCTP tests (--sctp) are not served: this server runs TCP tests only");
        }
        if (Reverse && Bidirectional)
        {
            return new Refusal(Iperf3.Error.ReverseBidirectional, Iperf3.Errno.None, "a test cannot be both reverse and bidirectional");
        }
        if (Seconds < 0 || Seconds > Iperf3.MaxSeconds)
        {
            return new Refusal(Iperf3.Error.Duration, Iperf3.Errno.None, "test duration " + Seconds + " s is out of range");
        }
        if (OmitSeconds < 0 || OmitSeconds > 600)
        {
            return new Refusal(Iperf3.Error.Omit, Iperf3.Errno.None, "omit " + OmitSeconds + " s is out of range");
        }
        if (Streams < 1 || Streams > Iperf3.MaxStreams)
        {
            return new Refusal(Iperf3.Error.NumStreams, Iperf3.Errno.None, Streams + " parallel streams asked for, at most " + Iperf3.MaxStreams);
        }
        if (BlockSize > Iperf3.MaxBlockSize)
        {
            return new Refusal(Iperf3.Error.BlockSize, Iperf3.Errno.None, "block size " + BlockSize + " is over " + Iperf3.MaxBlockSize);
        }
        if (Window < 0 || Window > Iperf3.MaxSocketBuffer)
        {
            return new Refusal(Iperf3.Error.BufferSize, Iperf3.Errno.None, "socket buffer size " + Window + " is out of range");
        }
        if (Mss != 0)
        {
            // NOTE: iperf3 sets TCP_MAXSEG on its listening socket before the streams connect;
            // the BCL has no option for it.
            return new Refusal(Iperf3.Error.SetMss, Iperf3.Errno.OperationNotSupported,
                "setting the MSS (-M) is not served: the BCL's sockets have no TCP_MAXSEG option");
        }
        bool sends = SendingStreams > 0;
        if (sends && ZeroCopy)
        {
            return new Refusal(Iperf3.Error.NoSendfile, Iperf3.Errno.None,
                "zero-copy sending (-Z) is not served: the BCL's sockets send from memory, with no sendfile from a buffer file");
        }
        if (sends && FairQueueRate != 0)
        {
            return new Refusal(Iperf3.Error.SetPacing, Iperf3.Errno.OperationNotSupported,
                "fair-queue pacing (--fq-rate) is not served: the BCL's sockets have no SO_MAX_PACING_RATE option");
        }
        if (Window > 0 && TryOption(socket => { socket.ReceiveBufferSize = (int)Window; socket.SendBufferSize = (int)Window; }) is { } bufferError)
        {
            return new Refusal(Iperf3.Error.SetBuffer, bufferError, "the socket buffer size (-w) cannot be set here (errno " + bufferError + ")");
        }
        if (Tos != 0 && TryOption(socket => socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.TypeOfService, Tos)) is { } tosError)
        {
            return new Refusal(Iperf3.Error.SetTos, tosError, "the IP type of service (-S) cannot be set here (errno " + tosError + ")");
        }
        return null;
    }

    public string Describe()
    {
        string mode = Reverse ? "reverse" : Bidirectional ? "bidirectional" : "normal";
        string end = Bytes > 0 ? Bytes + " bytes" : Blocks > 0 ? Blocks + " blocks" : Seconds + " s";
        string protocol = Udp ? "UDP" : Sctp ? "SCTP" : "TCP";
        return protocol + ", " + mode + ", " + Streams + " stream(s), " + end + ", blocks of " + BlockSize + " bytes" +
            (OmitSeconds > 0 ? ", omit " + OmitSeconds + " s" : "") + (Rate > 0 ? ", " + Rate + " bit/s per stream" : "") +
            (ClientVersion is null ? "" : ", client " + ClientVersion);
    }

    // Whether a socket option can be set on this machine's TCP sockets: the errno it fails with,
    // or null. Tried on a socket of its own, before the client opens its streams.
    private static int? TryOption(Action<Socket> set)
    {
        try
        {
            using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            set(probe);
            return null;
        }
        catch (SocketException exception)
        {
            // NOTE: SocketException carries the BCL's SocketError, not the errno; these are the
            // Linux numbers of the ones a setsockopt fails with (errno-base.h, errno.h).
            return exception.SocketErrorCode switch
            {
                SocketError.InvalidArgument => 22,
                SocketError.ProtocolOption => 92,
                SocketError.AccessDenied => 13,
                _ => Iperf3.Errno.OperationNotSupported,
            };
        }
    }

    private static bool Has(JsonElement json, string name)
    {
        return json.TryGetProperty(name, out JsonElement value) && value.ValueKind is not JsonValueKind.False and not JsonValueKind.Null;
    }

    // NOTE: cJSON writes every number as a double; iperf3 reads them as int (valueint).
    private static long Number(JsonElement json, string name)
    {
        if (!json.TryGetProperty(name, out JsonElement value) || value.ValueKind != JsonValueKind.Number)
        {
            return 0;
        }
        if (value.TryGetInt64(out long whole))
        {
            return whole;
        }
        double real = value.GetDouble();
        return real >= long.MaxValue ? long.MaxValue : real <= long.MinValue ? long.MinValue : (long)real;
    }

    private static string? Text(JsonElement json, string name)
    {
        return json.TryGetProperty(name, out JsonElement value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
    }
}
