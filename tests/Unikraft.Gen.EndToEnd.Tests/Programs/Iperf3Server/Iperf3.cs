// iperf3's control protocol as its client speaks it, learned from iperf3 3.12's sources
// (src/iperf_api.h, iperf_api.c, iperf_server_api.c, iperf_client_api.c, iperf_tcp.c):
//   - every connection, control or data, starts with the client's 37-byte cookie (an ASCII UUID
//     and its terminating NUL);
//   - the server drives the test with one signed byte per state on the control connection
//     (PARAM_EXCHANGE, CREATE_STREAMS, TEST_START, TEST_RUNNING, EXCHANGE_RESULTS,
//     DISPLAY_RESULTS); the client answers TEST_END and IPERF_DONE the same way;
//   - parameters and results are JSON objects, each after its length as a 32-bit big-endian
//     integer;
//   - a refusal is ACCESS_DENIED alone (busy), or SERVER_ERROR followed by two 32-bit big-endian
//     integers: iperf3's own error number (which the client turns into its message) and an errno.
using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text.Json;

internal static class Iperf3
{
    public const int CookieLength = 37;

    // NOTE: DEFAULT_TCP_BLKSIZE, MAX_BLOCKSIZE, MAX_STREAMS and MAX_TIME in iperf3's iperf_api.h
    // and iperf.h.
    public const int DefaultBlockSize = 128 * 1024;
    public const int MaxBlockSize = 1024 * 1024;
    public const int MaxStreams = 128;
    public const int MaxSeconds = 86400;
    public const long MaxSocketBuffer = 512L * 1024 * 1024;

    // A parameter or result object larger than this is not an iperf3 client's.
    public const int MaxJsonLength = 1024 * 1024;

    public static class State
    {
        public const sbyte TestStart = 1;
        public const sbyte TestRunning = 2;
        public const sbyte TestEnd = 4;
        public const sbyte ParamExchange = 9;
        public const sbyte CreateStreams = 10;
        public const sbyte ServerTerminate = 11;
        public const sbyte ClientTerminate = 12;
        public const sbyte ExchangeResults = 13;
        public const sbyte DisplayResults = 14;
        public const sbyte IperfDone = 16;
        public const sbyte AccessDenied = -1;
        public const sbyte ServerError = -2;
    }

    // iperf3's error numbers (i_errno) that this server sends; the client prints its own text for
    // each, with strerror(errno) after it where iperf3 marks the error so.
    public static class Error
    {
        public const int Duration = 5;          // "test duration too long"
        public const int NumStreams = 6;        // "number of parallel streams too large"
        public const int BlockSize = 7;         // "block size too large"
        public const int BufferSize = 8;        // "socket buffer size too large"
        public const int NoSendfile = 11;       // "this OS does not support sendfile"
        public const int Omit = 12;             // "bogus value for --omit"
        public const int NoSctp = 18;           // "no SCTP support available"
        public const int ReverseBidirectional = 25; // "cannot be both reverse and bidirectional"
        public const int ReceiveParameters = 114;   // "unable to receive parameters from client"
        public const int SetMss = 123;          // "unable to set TCP/SCTP MSS: <errno>"
        public const int SetBuffer = 124;       // "unable to set socket buffer size: <errno>"
        public const int SetTos = 125;          // "unable to set IP TOS: <errno>"
        public const int SetPacing = 140;       // "unable to set socket pacing: <errno>"
        public const int StreamListen = 202;    // "unable to start stream listener: <errno>"
        public const int StreamAccept = 204;    // "unable to accept stream connection: <errno>"
    }

    // Linux errno values (errno-base.h, errno.h) sent after SERVER_ERROR.
    public static class Errno
    {
        public const int None = 0;
        public const int TimedOut = 110;
        public const int ProtocolNotSupported = 93;
        public const int OperationNotSupported = 95;
    }

    public static async Task WriteStateAsync(Stream control, sbyte state, CancellationToken cancel)
    {
        byte[] one = [unchecked((byte)state)];
        await control.WriteAsync(one, cancel);
    }

    public static async Task WriteServerErrorAsync(Stream control, int error, int errno, CancellationToken cancel)
    {
        byte[] message = new byte[9];
        message[0] = unchecked((byte)State.ServerError);
        BinaryPrimitives.WriteInt32BigEndian(message.AsSpan(1, 4), error);
        BinaryPrimitives.WriteInt32BigEndian(message.AsSpan(5, 4), errno);
        await control.WriteAsync(message, cancel);
    }

    // One JSON object after its 32-bit big-endian length; null at end of stream or when the
    // length is not that of an iperf3 message.
    public static async Task<JsonDocument?> ReadJsonAsync(Stream control, CancellationToken cancel)
    {
        byte[] length = new byte[4];
        if (!await TryReadExactlyAsync(control, length, cancel))
        {
            return null;
        }
        int size = BinaryPrimitives.ReadInt32BigEndian(length);
        if (size <= 0 || size > MaxJsonLength)
        {
            return null;
        }
        byte[] text = new byte[size];
        if (!await TryReadExactlyAsync(control, text, cancel))
        {
            return null;
        }
        try
        {
            return JsonDocument.Parse(text);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public static async Task WriteJsonAsync(Stream control, Action<Utf8JsonWriter> write, CancellationToken cancel)
    {
        using var body = new MemoryStream();
        using (var writer = new Utf8JsonWriter(body))
        {
            write(writer);
        }
        byte[] message = new byte[4 + body.Length];
        BinaryPrimitives.WriteInt32BigEndian(message.AsSpan(0, 4), (int)body.Length);
        body.ToArray().CopyTo(message, 4);
        await control.WriteAsync(message, cancel);
    }

    // Reads the whole buffer; false when the peer closed first.
    public static async Task<bool> TryReadExactlyAsync(Stream stream, Memory<byte> buffer, CancellationToken cancel)
    {
        int read = await stream.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, cancel);
        return read == buffer.Length;
    }

    // The busy answer to a connection that is neither the running test's control connection nor
    // one of its streams, then the close, as iperf3's server does.
    public static async Task DenyAsync(Socket socket)
    {
        try
        {
            byte[] denied = [unchecked((byte)State.AccessDenied)];
            await socket.SendAsync(denied, SocketFlags.None);
        }
        catch (SocketException)
        {
            // The peer left already; nothing to tell it.
        }
        catch (ObjectDisposedException)
        {
        }
        finally
        {
            socket.Dispose();
        }
    }
}
